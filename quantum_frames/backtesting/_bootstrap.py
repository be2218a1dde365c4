"""Block-bootstrap confidence intervals of backtest metrics, vectorised with numpy.

Every bet contributes six sums: its turnover (stake of a decided bet), profit, won and
decided indicators, CLV and a CLV indicator. The sums are added up per block (a date, a bet
or a value of a column) and per group, once. A resample draws ``n_blocks`` blocks with
replacement; its metrics are ratios of weighted sums, ``W @ S`` with ``W`` the matrix of
how often each resample drew each block (resamples × blocks). ``W`` is built in chunks
(bounded memory) from uniform draws counted with one ``bincount`` per chunk: there is no
Python loop per resample or per bet.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Iterator

    import numpy as np
    import numpy.typing as npt

__all__ = ["CI_METRICS", "Resampling", "band", "block_weights", "intervals"]

CI_METRICS: Final = ("yield", "roi", "hit_rate", "avg_clv", "profit")
_SUMS: Final = ("__t", "__p", "__w", "__d", "__c", "__cn")
_CHUNK_CELLS: Final = 4_000_000  # resamples × blocks per chunk (32 MB of weights)


@dataclass(frozen=True)
class Resampling:
    """How a backtest was resampled.

    Attributes:
        resamples: the number of bootstrap resamples.
        seed: the random seed (the same seed gives the same intervals).
        level: the confidence level of the intervals, e.g. 0.95.
        block: ``"date"``, ``"bet"`` or the column whose values are resampled whole.
    """

    resamples: int
    seed: int
    level: float
    block: str


def block_ids(bets: pl.DataFrame, block: str) -> pl.Series:
    """The block of every bet: 0 … n_blocks − 1 (dates and column values in sorted order).

    Args:
        bets: the bets.
        block: ``"bet"`` (each bet its own block) or a column (``"date"`` …).

    Returns:
        One block number per bet.
    """
    if block == "bet":
        return pl.Series("__block", range(bets.height), dtype=pl.Int64)
    return bets.select(pl.col(block).rank("dense").cast(pl.Int64) - 1).to_series()


def block_weights(
    rng: np.random.Generator, n_blocks: int, resamples: int, *, width: int = 0
) -> Iterator[npt.NDArray[np.float64]]:
    """Chunks of the resamples × blocks matrix of how often each block was drawn.

    Each row draws ``n_blocks`` blocks uniformly with replacement (a multinomial count); the
    rows of all chunks together are ``resamples`` rows. A chunk has at most
    ``_CHUNK_CELLS / max(n_blocks, width)`` rows (``width``: what the caller spreads each row
    over, e.g. one weight per bet).
    """
    import numpy as np

    chunk = max(1, min(resamples, _CHUNK_CELLS // max(n_blocks, width, 1)))
    done = 0
    while done < resamples:
        rows = min(chunk, resamples - done)
        draws = rng.integers(0, n_blocks, size=(rows, n_blocks))
        draws += (np.arange(rows) * n_blocks)[:, None]
        counts = np.bincount(draws.ravel(), minlength=rows * n_blocks)
        yield counts.reshape(rows, n_blocks).astype(np.float64)
        done += rows


def _sums() -> list[pl.Expr]:
    placed = pl.col("stake") > 0
    decided = placed & pl.col("result").is_in(("win", "half_win", "loss", "half_loss"))
    has_clv = decided & pl.col("clv").is_not_null()
    return [
        pl.when(decided).then(pl.col("stake")).otherwise(0.0).alias("__t"),
        pl.col("profit").fill_null(0.0).alias("__p"),
        (decided & pl.col("result").is_in(("win", "half_win"))).cast(pl.Float64).alias("__w"),
        decided.cast(pl.Float64).alias("__d"),
        pl.when(has_clv).then(pl.col("clv")).otherwise(0.0).alias("__c"),
        has_clv.cast(pl.Float64).alias("__cn"),
    ]


def intervals(
    bets: pl.DataFrame, bankroll: float, by: list[str], how: Resampling
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The interval columns of the summary (one row) and of the groups (one row per group).

    Columns: ``<metric>_ci_low`` / ``<metric>_ci_high`` for each of :data:`CI_METRICS` (the
    percentile interval at ``how.level``), ``p_yield_le_0`` (the share of resamples whose
    yield is ≤ 0) and ``ci_blocks`` (the blocks holding a decided bet). Groups are resampled
    with the same draws of blocks as the whole.

    Args:
        bets: the backtest's bets (with ``stake``, ``profit``, ``result``, ``clv``).
        bankroll: the starting bankroll (for roi).
        by: the group columns (empty: no groups).
        how: the resampling settings.

    Returns:
        The summary's columns (one row) and the groups' (``by`` first; empty without ``by``).
    """
    import numpy as np

    frame = bets.with_columns(block_ids(bets, how.block).alias("__block"), *_sums())
    if by:
        keys = frame.select(by).unique().sort(by)
        frame = frame.join(keys.with_row_index("__group"), on=by, how="left", nulls_equal=True)
    else:
        keys = pl.DataFrame()
        frame = frame.with_columns(pl.lit(0, pl.UInt32).alias("__group"))
    n_groups = max(keys.height, 1)
    top = frame.get_column("__block").max()
    n_blocks = int(top) + 1 if frame.height else 0  # type: ignore[arg-type]
    cells = frame.group_by("__block", "__group").agg(pl.col(_SUMS).sum())
    sums = np.zeros((n_blocks, n_groups, len(_SUMS)))
    sums[cells["__block"].to_numpy(), cells["__group"].to_numpy()] = cells.select(_SUMS).to_numpy()
    # the whole (all groups together) is one more "group"
    sums = np.concatenate([sums, sums.sum(axis=1, keepdims=True)], axis=1)
    flat = sums.reshape(n_blocks, (n_groups + 1) * len(_SUMS))
    rng = np.random.default_rng(how.seed)
    shape = (n_groups + 1, len(_SUMS))
    results = (
        [(w @ flat).reshape(len(w), *shape) for w in block_weights(rng, n_blocks, how.resamples)]
        if n_blocks
        else []
    )
    totals = np.concatenate(results) if results else np.full((0, *shape), np.nan)
    t, p, w, d, c, cn = (totals[..., k] for k in range(len(_SUMS)))
    with np.errstate(invalid="ignore", divide="ignore"):
        metrics = {
            "yield": np.where(t > 0, p / t, np.nan),
            "roi": p / bankroll,
            "hit_rate": np.where(d > 0, w / d, np.nan),
            "avg_clv": np.where(cn > 0, c / cn, np.nan),
            "profit": p,
        }
    tail = (1 - how.level) / 2
    columns: dict[str, npt.NDArray[np.float64]] = {}
    for name, values in metrics.items():
        low, high = _quantiles(values, tail)
        columns[f"{name}_ci_low"], columns[f"{name}_ci_high"] = low, high
    yields = metrics["yield"]
    counted = np.sum(~np.isnan(yields), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["p_yield_le_0"] = np.where(
            counted > 0, np.sum(yields <= 0, axis=0) / counted, np.nan
        )
    table = (
        pl.DataFrame(columns)
        .fill_nan(None)
        .with_columns(
            # how many blocks hold a decided bet: an interval from a handful is itself rough
            pl.Series("ci_blocks", (sums[:, :, 3] > 0).sum(axis=0), dtype=pl.Int64)
        )
    )
    summary = table.tail(1)
    groups = pl.concat([keys, table.head(keys.height)], how="horizontal") if by else pl.DataFrame()
    return summary, groups


def _quantiles(
    values: npt.NDArray[np.float64], tail: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    import numpy as np

    if values.shape[0] == 0:
        empty = np.full(values.shape[1:], np.nan)
        return empty, empty
    # resamples with an undefined metric (no turnover drawn) are left out of its interval
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN column gives NaN
        low, high = np.nanquantile(values, [tail, 1 - tail], axis=0)
    return low, high


def band(
    bets: pl.DataFrame, bankroll: float, how: Resampling, *, resamples: int = 1000
) -> pl.DataFrame:
    """The bankroll band by date: ``date``, ``low``, ``high`` (at ``how.level``).

    The bankroll after date ``d`` in a resample is the starting bankroll plus the weighted
    profits of the bets up to ``d`` (each bet weighted by how often its block was drawn); the
    band is the percentile interval of that over (at most ``resamples``) resamples.
    """
    import numpy as np

    if bets.is_empty():
        return pl.DataFrame(schema={"date": bets.schema["date"], "low": pl.Float64,
                                    "high": pl.Float64})  # fmt: skip
    ids = block_ids(bets, how.block).to_numpy()
    profit = bets.get_column("profit").fill_null(0.0).to_numpy()
    dates = bets.select(pl.col("date").rle_id()).to_series().to_numpy()
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]])
    n_blocks = int(ids.max()) + 1
    rng = np.random.default_rng(how.seed)
    paths = []
    draws = block_weights(rng, n_blocks, min(resamples, how.resamples), width=len(ids))
    for weights in draws:
        per_bet = weights[:, ids] * profit
        paths.append(np.cumsum(np.add.reduceat(per_bet, starts, axis=1), axis=1))
    path = bankroll + np.concatenate(paths)
    tail = (1 - how.level) / 2
    low, high = np.quantile(path, [tail, 1 - tail], axis=0)
    return pl.DataFrame({"date": bets.get_column("date").gather(starts), "low": low, "high": high})
