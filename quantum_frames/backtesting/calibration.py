"""How well the model's probabilities match what happened: Brier score, log loss, bins."""

from __future__ import annotations

from typing import Any, Final

import polars as pl

__all__ = ["BINS", "calibration_metrics", "plot_calibration", "reliability", "require_altair"]

BINS: Final = 10
_EPS: Final = 1e-15


def _outcomes(bets: pl.DataFrame) -> pl.DataFrame:
    """The placed bets with a probability and a plain win or loss (``y`` 1 or 0)."""
    return bets.filter(
        (pl.col("stake") > 0)
        & pl.col("prob").is_not_null()
        & pl.col("result").is_in(("win", "loss"))
    ).with_columns((pl.col("result") == "win").cast(pl.Float64).alias("__y"))


def calibration_metrics(bets: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """``calibrated_bets``, ``brier`` and ``log_loss`` (per ``by`` group, or one row).

    Over the placed bets that carry ``prob`` and settled as a plain win or loss (pushes,
    voids and half results say nothing about a yes/no forecast). Log loss clips the
    probability to [1e-15, 1 − 1e-15].

    Args:
        bets: the backtest's bets.
        by: the group columns (empty: one row).

    Returns:
        The three columns, with ``by`` first when grouped.
    """
    p = pl.col("prob").clip(_EPS, 1 - _EPS)
    y = pl.col("__y")
    metrics = [
        pl.len().cast(pl.Int64).alias("calibrated_bets"),
        ((pl.col("prob") - y) ** 2).mean().alias("brier"),
        (-(y * p.log() + (1 - y) * (1 - p).log())).mean().alias("log_loss"),
    ]
    data = _outcomes(bets)
    if by:
        keys = bets.select(by).unique()
        got = data.group_by(by).agg(metrics)
        return keys.join(got, on=by, how="left", nulls_equal=True).with_columns(
            pl.col("calibrated_bets").fill_null(0)
        )
    return data.select(metrics)


def reliability(bets: pl.DataFrame, *, bins: int = BINS) -> pl.DataFrame:
    """The reliability table: predicted probability in ``bins`` equal bins vs the hit rate.

    Args:
        bets: the backtest's bets.
        bins: how many equal-width bins split [0, 1].

    Returns:
        One row per bin: ``bin_low``, ``bin_high``, ``bets``, ``mean_prob``, ``hit_rate``
        (null where a bin is empty).
    """
    data = _outcomes(bets).with_columns(
        (pl.col("prob") * bins).floor().clip(0, bins - 1).cast(pl.Int64).alias("__bin")
    )
    got = data.group_by("__bin").agg(
        pl.len().cast(pl.Int64).alias("bets"),
        pl.col("prob").mean().alias("mean_prob"),
        pl.col("__y").mean().alias("hit_rate"),
    )
    grid = pl.DataFrame({"__bin": pl.int_range(0, bins, eager=True).cast(pl.Int64)})
    return (
        grid.join(got, on="__bin", how="left")
        .with_columns(
            (pl.col("__bin") / bins).round(12).alias("bin_low"),
            ((pl.col("__bin") + 1) / bins).round(12).alias("bin_high"),
            pl.col("bets").fill_null(0),
        )
        .select("bin_low", "bin_high", "bets", "mean_prob", "hit_rate")
    )


def plot_calibration(table: pl.DataFrame, *, title: str) -> Any:
    """The reliability diagram of ``table`` (an Altair chart; needs ``pip install altair``).

    Args:
        table: a table from :func:`reliability`.
        title: the chart title.

    Returns:
        An Altair layer: observed hit rate against mean predicted probability (point size:
        bets), with the diagonal of perfect calibration.

    Raises:
        ImportError: Altair is not installed.
    """
    alt = require_altair("plot_calibration")
    points = table.filter(pl.col("bets") > 0)
    diagonal = pl.DataFrame({"mean_prob": [0.0, 1.0], "hit_rate": [0.0, 1.0]})
    axis_x = alt.X("mean_prob:Q", title="Predicted probability", scale=alt.Scale(domain=[0, 1]))
    axis_y = alt.Y("hit_rate:Q", title="Observed hit rate", scale=alt.Scale(domain=[0, 1]))
    ideal = alt.Chart(_data(alt, diagonal)).mark_line(strokeDash=[4, 4], color="gray")
    observed = alt.Chart(_data(alt, points)).mark_circle()
    return (
        ideal.encode(x=axis_x, y=axis_y)
        + observed.encode(x=axis_x, y=axis_y, size=alt.Size("bets:Q", title="Bets"))
        + observed.mark_line().encode(x=axis_x, y=axis_y)
    ).properties(title=title, width=420, height=420)


def _data(alt: Any, frame: pl.DataFrame) -> Any:
    return frame.to_pandas() if int(alt.__version__.split(".")[0]) < 5 else frame


def require_altair(what: str) -> Any:
    """The ``altair`` module, for a chart.

    Args:
        what: the function or method that draws the chart, named in the error.

    Returns:
        The imported ``altair`` module.

    Raises:
        ImportError: Altair is not installed (the message says how to install it).
    """
    try:
        import altair as alt
    except ImportError:
        msg = f"{what} needs Altair: pip install 'quantum-frames[plot]' (or altair)."
        raise ImportError(msg) from None
    return alt
