"""Backtests of bets: stakes, profits, the bankroll path and honest metrics, vectorised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import polars as pl

__all__ = ["RESULTS", "Backtest", "backtest"]

RESULTS: Final = ("win", "loss", "void", "push", "half_win", "half_loss")
WON: Final = ("win", "half_win")
LOST: Final = ("loss", "half_loss")
REQUIRED: Final = ("date", "home", "away", "market", "odds", "result")
Stake = Literal["flat", "given", "kelly"]
SUMMARY: Final = (
    "bets", "wins", "losses", "pushes", "voids", "skipped", "hit_rate", "turnover", "profit",
    "yield", "roi", "avg_odds", "avg_clv", "max_drawdown", "max_drawdown_pct",
    "longest_losing_streak", "final_bankroll",
)  # fmt: skip


@dataclass(frozen=True)
class Backtest:
    """The outcome of :func:`backtest`.

    Attributes:
        bets: every bet, sorted by date, with ``stake``, ``profit``, ``bankroll`` (after the
            bet) and ``clv`` (when closing odds are known).
        summary: one row of metrics (see :func:`backtest`).
        groups: the same metrics per ``by`` group (empty without ``by``).
        starting_bankroll: the bankroll before the first bet.
    """

    bets: pl.DataFrame
    summary: pl.DataFrame
    groups: pl.DataFrame
    starting_bankroll: float
    stake_mode: str
    by: tuple[str, ...] = ()

    def __getitem__(self, metric: str) -> Any:
        """A summary metric: ``bt["yield"]``."""
        return self.summary.get_column(metric).item()

    def __repr__(self) -> str:
        """The summary as a few lines of text, then the groups."""
        s = self.summary.row(0, named=True)
        head = (
            f"Backtest ({self.stake_mode} stakes, starting bankroll {self.starting_bankroll:,.2f})"
        )
        if s["bets"] + s["pushes"] + s["voids"] == 0:
            lines = [head, "  no bets placed: nothing to measure", *self._skipped_line(s)]
            lines.append(f"  final bankroll {s['final_bankroll']:,.2f}")
            return "\n".join(lines)
        lines = [
            head,
            f"  bets {s['bets']:,}  (wins {s['wins']:,}, losses {s['losses']:,}, pushes "
            f"{s['pushes']:,}, voids {s['voids']:,}), hit rate {_pct(s['hit_rate'], sign=False)}",
            *self._skipped_line(s),
            f"  turnover {s['turnover']:,.2f}  profit {s['profit']:+,.2f}  yield "
            f"{_pct(s['yield'])}  ROI {_pct(s['roi'])}",
            f"  average odds {_num(s['avg_odds'])}  average CLV {_pct(s['avg_clv'])}",
            f"  max drawdown {s['max_drawdown']:,.2f} ({_pct(s['max_drawdown_pct'], sign=False)} "
            f"of peak)  longest losing streak {s['longest_losing_streak']}",
            f"  final bankroll {s['final_bankroll']:,.2f}",
        ]
        if not self.groups.is_empty():
            shown = [*self.by, "bets", "skipped", "hit_rate", "turnover", "profit", "yield", "roi",
                     "max_drawdown"]  # fmt: skip
            config = {"tbl_rows": 30, "float_precision": 3, "tbl_hide_dataframe_shape": True}
            with pl.Config(**config, tbl_width_chars=120):  # type: ignore[arg-type]
                lines += ["", str(self.groups.select(shown))]
        return "\n".join(lines)

    def _skipped_line(self, s: dict[str, Any]) -> list[str]:
        if not s["skipped"]:
            return []
        why = " (Kelly saw no edge)" if self.stake_mode == "kelly" else ""
        return [f"  skipped {s['skipped']:,} bet(s) with stake 0{why}: not counted above"]

    def _repr_html_(self) -> str:
        from html import escape

        head = escape(repr(self).split("\n\n")[0]).replace("\n", "<br>")
        groups = self.groups._repr_html_() if not self.groups.is_empty() else ""
        return f"<div><p>{head}</p>{self.summary._repr_html_()}{groups}</div>"

    def plot(self, *, title: str | None = None) -> Any:
        """The bankroll curve (an Altair chart; needs ``pip install altair``)."""
        try:
            import altair as alt
        except ImportError:
            msg = "Backtest.plot needs Altair: pip install 'quantum-frames[plot]' (or altair)."
            raise ImportError(msg) from None
        curve = self.bets.group_by("date", maintain_order=True).agg(pl.col("bankroll").last())
        if curve.is_empty():  # no bets: the starting bankroll, flat, and a title saying so
            data = pl.DataFrame({"date": [0, 1], "bankroll": [self.starting_bankroll] * 2})
            return (
                alt.Chart(data.to_pandas() if _needs_pandas(alt) else data)
                .mark_line()
                .encode(
                    x=alt.X("date:Q", title="(no bets)"), y=alt.Y("bankroll:Q", title="Bankroll")
                )
                .properties(title=title or "Bankroll (no bets placed)", width=640, height=280)
            )
        start = pl.DataFrame({"date": [curve["date"].min()], "bankroll": [self.starting_bankroll]})
        data = pl.concat([start.cast(curve.schema), curve])
        return (
            alt.Chart(data.to_pandas() if _needs_pandas(alt) else data)
            .mark_line(interpolate="step-after")
            .encode(x=alt.X("date:T", title="Date"), y=alt.Y("bankroll:Q", title="Bankroll"))
            .properties(
                title=title or f"Bankroll ({self.stake_mode} stakes)", width=640, height=280
            )
        )


def _needs_pandas(alt: Any) -> bool:
    return int(alt.__version__.split(".")[0]) < 5


def _pct(value: float | None, *, sign: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:+.2f}%" if sign else f"{100 * value:.2f}%"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def backtest(
    bets: pl.DataFrame | pl.LazyFrame,
    /,
    *,
    stake: Stake = "flat",
    unit: float = 1.0,
    bankroll: float = 100.0,
    kelly_fraction: float = 0.25,
    max_stake: float = 0.05,
    by: str | Sequence[str] | None = None,
) -> Backtest:
    """Settle ``bets`` and measure them honestly.

    ``bets`` has ``date``, ``home``, ``away``, ``market``, ``odds`` (decimal) and ``result``
    (``win``/``loss``/``void``); optionally ``closing_odds``, ``prob`` (the model's
    probability, needed for Kelly), ``stake``, ``strategy`` and any column to group by.
    Unsorted input is sorted by date (stable). The caller's frame is not modified.

    Stakes: ``flat`` (``unit`` each), ``given`` (the ``stake`` column), or fractional
    ``kelly``: ``kelly_fraction × max(0, (prob × odds − 1) / (odds − 1))`` of the bankroll,
    capped at ``max_stake`` × bankroll, every bet of a date sized from the bankroll at the
    start of that date (and scaled down together if they would add up to more than it).

    Results: ``win``, ``loss``, ``push`` (a whole-goal line hit exactly: stake returned),
    ``half_win`` / ``half_loss`` (Asian quarter lines, see :func:`settle`) and ``void``.

    Summary, over the **placed** bets (stake > 0; a Kelly stake is 0 where the model sees no
    edge): bets (decided ones: voids and pushes excluded), wins (a half win counts as a win),
    losses (a half loss counts as a loss), pushes, voids, skipped (bets with stake 0, never
    placed: counted here only), hit_rate (wins / bets), turnover (stakes of decided bets),
    profit, yield (profit / turnover), roi (profit / starting bankroll), avg_odds, avg_clv,
    max_drawdown (absolute and as a fraction of the running peak), longest_losing_streak,
    final_bankroll. An empty frame is a valid backtest: every count 0, the rates null.

    Raises:
        ValueError: a missing column, odds ≤ 1, an unknown result, prob outside [0, 1], a
            date that is not a date, a bad option — naming the column and the first rows.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> bets = pl.DataFrame({
        ...     "date": ["2025-09-01", "2025-09-01", "2025-09-08"], "home": ["A", "C", "E"],
        ...     "away": ["B", "D", "F"], "market": ["over_2.5"] * 3,
        ...     "odds": [2.0, 1.5, 3.0], "result": ["win", "loss", "void"]})
        >>> bt = qf.backtest(bets)
        >>> bt["profit"], bt["yield"], bt["bets"]
        (0.0, 0.0, 2)
    """
    df = _validated(bets.collect() if isinstance(bets, pl.LazyFrame) else bets, stake)
    _check_options(stake, unit, bankroll, kelly_fraction, max_stake)
    groups = [by] if isinstance(by, str) else list(by or [])
    missing = [g for g in groups if g not in df.columns]
    if missing:
        msg = f"by={missing} names no column of the bets (columns: {df.columns})."
        raise ValueError(msg)
    ret = (
        pl.when(pl.col("result") == "win")
        .then(pl.col("odds") - 1)
        .when(pl.col("result") == "half_win")
        .then((pl.col("odds") - 1) / 2)
        .when(pl.col("result") == "loss")
        .then(-1.0)
        .when(pl.col("result") == "half_loss")
        .then(-0.5)
        .otherwise(0.0)
    )
    df = df.with_columns(ret.alias("__return"))
    if stake == "kelly":
        df = _kelly(df, bankroll, kelly_fraction, max_stake)
    else:
        amount = pl.lit(float(unit)) if stake == "flat" else pl.col("stake").cast(pl.Float64)
        df = df.with_columns(amount.alias("stake"))
        df = df.with_columns((pl.col("stake") * pl.col("__return")).alias("profit"))
        df = df.with_columns((bankroll + pl.col("profit").cum_sum()).alias("bankroll"))
    if "closing_odds" in df.columns:
        df = df.with_columns((pl.col("odds") / pl.col("closing_odds") - 1).alias("clv"))
    else:
        df = df.with_columns(pl.lit(None, pl.Float64).alias("clv"))
    out = df.drop("__return")
    summary = _summary(out, bankroll, [])
    per_group = _summary(out, bankroll, groups) if groups else pl.DataFrame()
    return Backtest(out, summary, per_group, float(bankroll), stake, tuple(groups))


def _validated(df: pl.DataFrame, stake: Stake) -> pl.DataFrame:
    need = (
        list(REQUIRED)
        + (["prob"] if stake == "kelly" else [])
        + (["stake"] if stake == "given" else [])
    )
    missing = [c for c in need if c not in df.columns]
    if missing:
        why = " (Kelly stakes need the model's probability)" if "prob" in missing else ""
        msg = f"the bets lack column(s) {missing}{why}; they have {df.columns}."
        raise ValueError(msg)
    df = df.with_row_index("__input_row")
    df = df.with_columns(
        _as_date(df), pl.col("odds").cast(pl.Float64, strict=False).alias("__odds")
    )
    _first_bad(
        df, pl.col("__odds").is_null() & pl.col("odds").is_not_null(), "odds", "is not a number"
    )
    _first_bad(
        df,
        pl.col("__odds").is_null() | (pl.col("__odds") <= 1),
        "odds",
        "must be decimal odds above 1",
    )
    df = df.with_columns(pl.col("__odds").alias("odds")).drop("__odds")
    lowered = pl.col("result").cast(pl.String).str.to_lowercase().str.strip_chars()
    _first_bad(
        df,
        ~lowered.is_in(RESULTS).fill_null(False),
        "result",
        f"must be one of {', '.join(RESULTS)}",
    )
    df = df.with_columns(lowered.alias("result"))
    if "closing_odds" in df.columns:
        closing = pl.col("closing_odds").cast(pl.Float64, strict=False)
        _first_bad(
            df,
            closing.is_not_null() & (closing <= 1),
            "closing_odds",
            "must be decimal odds above 1",
        )
        df = df.with_columns(closing.alias("closing_odds"))
    if "prob" in df.columns:
        prob = pl.col("prob").cast(pl.Float64, strict=False)
        if stake == "kelly":
            _first_bad(df, prob.is_null(), "prob", "is missing (Kelly stakes need it)")
        _first_bad(
            df,
            prob.is_not_null() & ((prob < 0) | (prob > 1)),
            "prob",
            "must be a probability in [0, 1]",
        )
        df = df.with_columns(prob.alias("prob"))
    if stake == "given":
        given = pl.col("stake").cast(pl.Float64, strict=False)
        _first_bad(df, given.is_null() | (given < 0), "stake", "must be a number ≥ 0")
    return df.sort("date", maintain_order=True).drop("__input_row")


def _as_date(df: pl.DataFrame) -> pl.Expr:
    dtype = df.schema["date"]
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        _first_bad(df, pl.col("date").is_null(), "date", "is missing")
        return pl.col("date")
    if dtype == pl.String:
        text = df.get_column("date").str.strip_chars()
        date_only = bool((text.str.len_chars() == 10).all())
        parsed = (
            text.str.to_date(strict=False)
            if date_only
            else text.str.to_datetime(strict=False, time_zone="UTC")
        )
        bad = parsed.is_null()
        if bad.any():
            _raise_bad(df, bad, "date", "is not a date (use ISO 8601, e.g. 2025-09-01)")
        return pl.lit(parsed).alias("date")
    msg = f"column 'date' must hold dates (Date, Datetime or ISO text), not {dtype}."
    raise ValueError(msg)


def _first_bad(df: pl.DataFrame, condition: pl.Expr, column: str, what: str) -> None:
    mask = df.select(condition.fill_null(False)).to_series()
    if mask.any():
        _raise_bad(df, mask, column, what)


def _raise_bad(df: pl.DataFrame, mask: pl.Series, column: str, what: str) -> None:
    rows = df.filter(mask).head(3)
    shown = ", ".join(f"row {r['__input_row']}: {r[column]!r}" for r in rows.iter_rows(named=True))
    msg = f"column {column!r} {what}: {int(mask.sum())} bad row(s), first {shown}."
    raise ValueError(msg)


def _check_options(
    stake: str, unit: float, bankroll: float, kelly_fraction: float, max_stake: float
) -> None:
    if stake not in ("flat", "given", "kelly"):
        msg = f"stake must be 'flat', 'given' or 'kelly', got {stake!r}."
        raise ValueError(msg)
    for name, value, lo, hi in (
        ("unit", unit, 0.0, float("inf")),
        ("bankroll", bankroll, 0.0, float("inf")),
        ("kelly_fraction", kelly_fraction, 0.0, 1.0),
        ("max_stake", max_stake, 0.0, 1.0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo < value <= hi:
            msg = f"{name} must be a number in ({lo:g}, {hi:g}], got {value!r}."
            raise ValueError(msg)


def _kelly(df: pl.DataFrame, bankroll: float, fraction: float, cap: float) -> pl.DataFrame:
    """Kelly stakes: every bet of a date sized from the bankroll at the start of that date.

    With ``f`` the staked fraction of each bet and ``r`` its return per unit staked, a date's
    growth is ``1 + Σ f·r``; the bankroll at the start of a date is the starting bankroll
    times the product of the growths before it (floored at 0: a bust bankroll stays bust).
    """
    edge = (pl.col("prob") * pl.col("odds") - 1) / (pl.col("odds") - 1)
    f = pl.min_horizontal(fraction * pl.max_horizontal(edge, pl.lit(0.0)), pl.lit(cap))
    # A date's stakes never exceed the bankroll: when they would, they shrink in proportion.
    df = df.with_columns(f.alias("__f")).with_columns(
        (pl.col("__f") / pl.max_horizontal(pl.col("__f").sum().over("date"), pl.lit(1.0))).alias(
            "__f"
        )
    )
    days = (
        df.group_by("date", maintain_order=True)
        .agg((1 + (pl.col("__f") * pl.col("__return")).sum()).clip(lower_bound=0).alias("__growth"))
        .with_columns(
            (bankroll * pl.col("__growth").cum_prod().shift(1, fill_value=1.0)).alias("__start")
        )
    )
    df = df.join(days.select("date", "__start"), on="date", how="left", maintain_order="left")
    df = df.with_columns((pl.col("__f") * pl.col("__start")).alias("stake"))
    df = df.with_columns((pl.col("stake") * pl.col("__return")).alias("profit"))
    return df.with_columns((bankroll + pl.col("profit").cum_sum()).alias("bankroll")).drop(
        "__f", "__start"
    )


def _summary(bets: pl.DataFrame, bankroll: float, by: list[str]) -> pl.DataFrame:
    """The metrics of the placed bets (stake > 0); the others are counted as ``skipped``."""
    placed = pl.col("stake") > 0
    decided = placed & pl.col("result").is_in((*WON, *LOST))
    won = decided & pl.col("result").is_in(WON)
    lost = decided & pl.col("result").is_in(LOST)
    path = bankroll + pl.col("profit").cum_sum()
    peak = pl.max_horizontal(path.cum_max(), pl.lit(bankroll))
    drawdown = peak - path
    # Only decided placed bets make a streak: a void, a push or a skipped bet neither extends
    # nor breaks one.
    run = (~pl.col("result").is_in(LOST)).cum_sum()
    streaks = (
        bets.filter(decided)
        .with_columns((run.over(by) if by else run).alias("__streak"))
        .filter(pl.col("result").is_in(LOST))
    )
    longest = (
        streaks.group_by([*by, "__streak"])
        .agg(pl.len().alias("n"))
        .group_by(by or pl.lit(0))
        .agg(pl.col("n").max())
        if not streaks.is_empty()
        else None
    )
    turnover = pl.col("stake").filter(decided).sum()
    metrics = [
        decided.sum().cast(pl.Int64).alias("bets"),
        won.sum().cast(pl.Int64).alias("wins"),
        lost.sum().cast(pl.Int64).alias("losses"),
        (placed & (pl.col("result") == "push")).sum().cast(pl.Int64).alias("pushes"),
        (placed & (pl.col("result") == "void")).sum().cast(pl.Int64).alias("voids"),
        (~placed).sum().cast(pl.Int64).alias("skipped"),
        (won.sum() / decided.sum()).alias("hit_rate"),
        turnover.alias("turnover"),
        pl.col("profit").sum().alias("profit"),
        (pl.col("profit").sum() / turnover).alias("yield"),
        (pl.col("profit").sum() / bankroll).alias("roi"),
        pl.col("odds").filter(decided).mean().alias("avg_odds"),
        pl.col("clv").filter(decided).mean().alias("avg_clv"),
        drawdown.max().fill_null(0.0).alias("max_drawdown"),
        (drawdown / peak).max().fill_null(0.0).alias("max_drawdown_pct"),
        (bankroll + pl.col("profit").sum()).alias("final_bankroll"),
    ]
    if by:
        out = bets.group_by(by, maintain_order=True).agg(metrics).sort(by)
    else:
        out = bets.select(metrics)
    out = out.with_columns(
        pl.when(pl.col("turnover") > 0).then(pl.col("yield")).alias("yield"),
        pl.when(pl.col("bets") > 0).then(pl.col("hit_rate")).alias("hit_rate"),
    )
    if longest is None:
        out = out.with_columns(pl.lit(0, pl.Int64).alias("longest_losing_streak"))
    elif by:
        out = out.join(
            longest.rename({"n": "longest_losing_streak"}), on=by, how="left"
        ).with_columns(pl.col("longest_losing_streak").fill_null(0).cast(pl.Int64))
    else:
        out = out.with_columns(pl.lit(longest["n"].max(), pl.Int64).alias("longest_losing_streak"))
    return out.select(*by, *SUMMARY)
