"""Stability over time: metrics per period, and walk-forward backtests without look-ahead."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames.backtesting.metrics import SUMMARY, Backtest, _summary, backtest
from quantum_frames.backtesting.periods import Period, check_period, period_label, period_start
from quantum_frames.backtesting.point_in_time import (
    NoSnapshotWarning,
    _history,
    _moment,
    point_in_time,
)
from quantum_frames.errors import InvalidArgumentTypeError

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Sequence

    from quantum_frames.frames import QuantumFrames

__all__ = ["Periods", "WalkForward", "periods_of", "walk_forward"]


@dataclass(frozen=True)
class Periods:
    """A backtest's metrics per calendar period.

    Attributes:
        period: ``month``, ``week`` or ``season``.
        table: one row per period with bets, in order: ``period``, ``period_start`` and the
            summary metrics (with intervals when the backtest had them).
        share_profitable: the share of those periods with a profit above 0 (None: no period).
    """

    period: str
    table: pl.DataFrame
    share_profitable: float | None

    def __repr__(self) -> str:
        """The share of profitable periods, then the table."""
        share = "n/a" if self.share_profitable is None else f"{self.share_profitable:.0%}"
        shown = ["period", "bets", "hit_rate", "turnover", "profit", "yield",
                 *[c for c in ("yield_ci_low", "yield_ci_high") if c in self.table.columns],
                 "max_drawdown"]  # fmt: skip
        with pl.Config(tbl_rows=60, float_precision=3, tbl_hide_dataframe_shape=True):
            table = str(self.table.select(shown))
        return (
            f"{self.table.height} {self.period}(s) with bets, {share} of them profitable\n{table}"
        )


def periods_of(bt: Backtest, period: Period) -> Periods:
    """The metrics of ``bt`` per ``period`` (see :meth:`Backtest.by_period`).

    Args:
        bt: a backtest.
        period: ``month``, ``week`` or ``season``.

    Returns:
        The :class:`Periods`.
    """
    from quantum_frames.backtesting._bootstrap import intervals

    bets = bt.bets.with_columns(
        period_label(pl.col("date"), period).alias("period"),
        period_start(pl.col("date"), period).alias("period_start"),
    )
    keys = ["period", "period_start"]
    table = _summary(bets, bt.starting_bankroll, keys)
    if bt.resampling is not None:
        _, ci = intervals(bets, bt.starting_bankroll, keys, bt.resampling)
        table = table.join(ci, on=keys, how="left")
    table = table.filter(pl.col("bets") + pl.col("pushes") + pl.col("voids") > 0).sort(
        "period_start"
    )
    share = table.select((pl.col("profit") > 0).mean()).item() if table.height else None
    return Periods(period, table, share)


@dataclass(frozen=True)
class WalkForward:
    """The outcome of :func:`walk_forward`.

    Attributes:
        period: ``month``, ``week`` or ``season``.
        backtests: one backtest per period, by period label, in order.
        combined: the backtest of every period's bets together.
        table: one row per period: ``period``, ``period_start``, ``snapshot_as_of`` (the
            newest snapshot the period could see) and the period's summary metrics.
    """

    period: str
    backtests: dict[str, Backtest]
    combined: Backtest
    table: pl.DataFrame

    def __repr__(self) -> str:
        """The combined backtest, then one line per period."""
        ci = [c for c in ("yield_ci_low", "yield_ci_high") if c in self.table.columns]
        shown = ["period", "snapshot_as_of", "bets", "profit", "yield", *ci]
        with pl.Config(tbl_rows=60, float_precision=3, tbl_hide_dataframe_shape=True):
            table = str(self.table.select(shown))
        return f"Walk-forward by {self.period}, combined:\n{self.combined!r}\n\n{table}"


def walk_forward(
    fixtures: pl.DataFrame | pl.LazyFrame,
    snapshots: str | os.PathLike[str] | Sequence[QuantumFrames],
    /,
    *,
    select: Callable[[pl.DataFrame], pl.DataFrame],
    period: Period = "month",
    on: str = "date",
    home: str = "home",
    away: str = "away",
    season: str | None = None,
    strict: bool = False,
    **options: Any,
) -> WalkForward:
    """Choose and backtest bets period by period, each period seeing only older snapshots.

    For each ``period`` of the fixtures (by ``on``), the fixtures are joined point-in-time
    (:func:`point_in_time`) with only the snapshots taken **strictly before the period
    starts**, ``select`` turns that frame into bets, and the bets are backtested. So a
    strategy is always chosen from data that existed before the whole period it is judged
    on. Periods older than every snapshot get no bets (a :class:`NoSnapshotWarning` names
    them).

    Args:
        fixtures: one row per match, with goals and odds (as for :func:`bets_from_strategies`).
        snapshots: a folder of snapshots, a history (``write_history``), or QuantumFrames
            that each have ``as_of``.
        select: from the point-in-time frame of one period to its bets, e.g.
            ``lambda f: qf.bets_from_strategies(f, min_conviction=60)``.
        period: ``month``, ``week`` or ``season``.
        on: the fixtures' date column.
        home: the fixtures' home team column.
        away: the fixtures' away team column.
        season: the friction season to join (see :func:`point_in_time`).
        strict: raise on unknown team names (see :func:`point_in_time`).
        **options: passed to :func:`backtest` for every period and the combined run
            (``stake``, ``bootstrap``, ``by`` …). Each period's backtest starts from the
            starting bankroll; the combined one runs through all periods in order.

    Returns:
        A :class:`WalkForward`: per-period backtests, the combined one, and a table.

    Raises:
        InvalidArgumentError: an unknown period, or ``select`` returned no frame.

    Examples:
        >>> import datetime as dt, polars as pl, quantum_frames as qf
        >>> folder, fixtures = qf.sample_season()
        >>> in_autumn = pl.col("date").is_between(dt.date(2025, 9, 1), dt.date(2025, 10, 31))
        >>> autumn = fixtures.filter(in_autumn)
        >>> wf = qf.walk_forward(autumn, folder, select=qf.bets_from_strategies, period="month")
        >>> wf.table["period"].to_list()
        ['2025-09', '2025-10']
    """
    period = check_period(period)
    df = fixtures.collect() if isinstance(fixtures, pl.LazyFrame) else fixtures
    history = _history(snapshots)
    moments = df.select(_moment(df, on)).to_series()
    starts = moments.to_frame().select(
        period_start(pl.col("__moment"), period).alias("start"),
        period_label(pl.col("__moment"), period).alias("label"),
    )
    framed = pl.concat([df, starts], how="horizontal")
    order = starts.unique().sort("start")
    results: dict[str, Backtest] = {}
    rows: list[dict[str, Any]] = []
    bets_all: list[pl.DataFrame] = []
    unseen: list[str] = []
    for start, label in order.iter_rows():  # one pass per period, not per fixture
        begin = pl.Series([start]).cast(pl.Datetime("us")).dt.replace_time_zone("UTC").item()
        seen = [q for q in history if q.as_of is not None and q.as_of < begin]
        if not seen:
            unseen.append(label)
            continue
        part = framed.filter(pl.col("label") == label).drop("start", "label")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoSnapshotWarning)  # cannot happen: all are older
            enriched = point_in_time(
                part, seen, on=on, home=home, away=away, season=season, strict=strict
            )
        bets = select(enriched)
        if not isinstance(bets, pl.DataFrame):
            msg = f"select must return a polars DataFrame of bets, got {type(bets).__name__}."
            raise InvalidArgumentTypeError(msg, argument="select")
        bt = backtest(bets, **options)
        results[label] = bt
        bets_all.append(bets)
        newest = max(q.as_of for q in seen if q.as_of is not None)
        rows.append({"period": label, "period_start": start, "snapshot_as_of": newest,
                     **bt.summary.row(0, named=True)})  # fmt: skip
    if unseen:
        msg = (
            f"{len(unseen)} {period}(s) start before every snapshot and got no bets: "
            f"{', '.join(unseen[:12])}{' …' if len(unseen) > 12 else ''}. Hint: add older "
            "snapshots, or start the fixtures later."
        )
        warnings.warn(msg, NoSnapshotWarning, stacklevel=2)
    combined_bets = (
        pl.concat(bets_all, how="diagonal_relaxed") if bets_all else _no_bets(df, select, history)
    )
    combined = backtest(combined_bets, **options)
    table = pl.DataFrame(rows) if rows else pl.DataFrame(
        schema={"period": pl.String, "period_start": pl.Date,
                "snapshot_as_of": pl.Datetime("us", "UTC"), **dict.fromkeys(SUMMARY, pl.Float64)}
    )  # fmt: skip
    return WalkForward(period, results, combined, table)


def _no_bets(
    df: pl.DataFrame,
    select: Callable[[pl.DataFrame], pl.DataFrame],
    history: list[QuantumFrames],
) -> pl.DataFrame:
    """The empty frame of bets ``select`` gives when no period could see a snapshot."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return select(point_in_time(df.head(0), history))
