"""Metrics per period, and walk-forward runs that never see a snapshot from their own period."""

from __future__ import annotations

import warnings
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.errors import InvalidArgumentError, InvalidArgumentTypeError

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames


def dated(day: str, results: list[str], odds: float = 2.0) -> list[tuple[str, float, str]]:
    return [(day, odds, r) for r in results]


def frame(rows: list[tuple[str, float, str]]) -> pl.DataFrame:
    n = len(rows)
    return pl.DataFrame(
        {
            "date": [r[0] for r in rows],
            "home": ["H"] * n,
            "away": ["A"] * n,
            "market": ["over_2.5"] * n,
            "odds": [r[1] for r in rows],
            "result": [r[2] for r in rows],
        }
    )


def test_by_period_by_hand() -> None:
    rows = (dated("2025-08-30", ["win", "loss", "win"]) + dated("2025-09-02", ["loss", "loss"])
            + dated("2026-07-01", ["win"]))  # fmt: skip
    bt = qf.backtest(frame(rows))
    months = bt.by_period("month")
    assert months.table["period"].to_list() == ["2025-08", "2025-09", "2026-07"]
    assert months.table["profit"].to_list() == [1.0, -2.0, 1.0]
    assert months.table["bets"].to_list() == [3, 2, 1]
    assert months.share_profitable == pytest.approx(2 / 3)
    seasons = bt.by_period("season")  # 1 July to 30 June
    assert seasons.table["period"].to_list() == ["2025/26", "2026/27"]
    assert seasons.table["period_start"].to_list() == [date(2025, 7, 1), date(2026, 7, 1)]
    weeks = bt.by_period("week")  # ISO weeks: Sat 30 Aug is week 35, Tue 2 Sep week 36
    assert weeks.table["period"].to_list() == ["2025-W35", "2025-W36", "2026-W27"]
    assert "3 month(s) with bets, 67% of them profitable" in repr(months)
    with pytest.raises(InvalidArgumentError, match="period must be one of month, week, season"):
        bt.by_period("year")  # type: ignore[arg-type]


def test_by_period_with_intervals() -> None:
    rows = (
        dated("2025-08-01", ["win", "loss"])
        + dated("2025-08-08", ["win"])
        + dated("2025-09-01", ["loss"])
    )
    periods = qf.backtest(frame(rows), bootstrap=200).by_period("month")
    aug = periods.table.row(0, named=True)
    assert aug["yield_ci_low"] <= aug["yield"] <= aug["yield_ci_high"]
    assert periods.table.row(1, named=True)["p_yield_le_0"] == 1.0  # one losing bet


def at(q: QuantumFrames, day: str, tier: str) -> QuantumFrames:
    teams = q.teams.with_columns(
        pl.when(pl.col("team_name") == "Liverpool")
        .then(pl.lit(tier))
        .otherwise("tier")
        .alias("tier")
    )
    return replace(q, teams=teams, as_of=datetime.fromisoformat(day).replace(tzinfo=UTC))


def seen_tier(enriched: pl.DataFrame) -> pl.DataFrame:
    """Bets that record which snapshot's tier each fixture saw."""
    return enriched.select(
        "date", "home", "away", pl.lit("over_2.5").alias("market"), pl.lit(2.0).alias("odds"),
        pl.lit("win").alias("result"), "home_tier", "snapshot_as_of",
    )  # fmt: skip


def test_each_period_sees_only_snapshots_from_before_it() -> None:
    q = qf.sample()
    history = [at(q, "2025-08-28", "MID"), at(q, "2025-09-10", "ELITE")]
    days = [date(2025, 8, 29), date(2025, 9, 2), date(2025, 9, 12), date(2025, 9, 16),
            date(2025, 10, 3)]  # fmt: skip
    fixtures = pl.DataFrame({"date": days, "home": ["Liverpool"] * 5, "away": ["Everton"] * 5})
    # point_in_time alone gives the 12 September fixture the 10 September snapshot ...
    assert qf.point_in_time(fixtures, history)["home_tier"].to_list()[2] == "ELITE"
    # ... walking forward by week, its week (from Monday 8 September) sees only 28 August;
    # the week of 29 August starts before every snapshot: no bets, and a warning naming it
    with pytest.warns(
        qf.NoSnapshotWarning, match="1 week\\(s\\) start before every snapshot.*2025-W35"
    ):
        wf = qf.walk_forward(fixtures, history, select=seen_tier, period="week")
    assert wf.combined.bets["home_tier"].to_list() == ["MID", "MID", "ELITE", "ELITE"]
    assert list(wf.backtests) == ["2025-W36", "2025-W37", "2025-W38", "2025-W40"]
    assert wf.table["snapshot_as_of"].to_list()[1] == datetime(2025, 8, 28, tzinfo=UTC)
    starts = wf.table.select(
        pl.col("period_start").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    ).to_series()
    assert (wf.table["snapshot_as_of"] < starts).all()
    # by month, all of September sees only 28 August (16 September too)
    with pytest.warns(qf.NoSnapshotWarning, match="2025-08"):
        monthly = qf.walk_forward(fixtures, history, select=seen_tier, period="month")
    assert list(monthly.backtests) == ["2025-09", "2025-10"]
    assert monthly.combined.bets["home_tier"].to_list() == ["MID", "MID", "MID", "ELITE"]
    assert monthly.backtests["2025-09"]["bets"] == 3
    assert "Walk-forward by month" in repr(monthly)


def test_walk_forward_over_the_sample_season(repo_root: object) -> None:
    from pathlib import Path

    season = Path(str(repo_root)) / "data" / "season"
    fixtures = pl.read_parquet(season / "fixtures.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qf.NoSnapshotWarning)  # August precedes the first one
        wf = qf.walk_forward(
            fixtures, season / "snapshots", period="month", stake="kelly",
            select=lambda f: qf.bets_from_strategies(f, min_conviction=60),
        )  # fmt: skip
    assert wf.table.height == len(wf.backtests) >= 8
    # August starts on the first snapshot's day (1 August): not strictly before, so no bets
    assert "2025-08" not in wf.backtests
    assert next(iter(wf.backtests)) == "2025-09"
    assert sum(b["bets"] for b in wf.backtests.values()) == wf.combined["bets"]
    assert wf.table["bets"].sum() == wf.combined["bets"]
    later = fixtures.filter(pl.col("date") >= date(2025, 9, 1)).head(50)
    nothing = lambda _frame: None  # noqa: E731
    with pytest.raises(InvalidArgumentTypeError, match="select must return a polars DataFrame"):
        qf.walk_forward(later, season / "snapshots", select=nothing)  # type: ignore[arg-type]


def test_a_walk_forward_that_sees_no_snapshot_is_empty_not_an_error(repo_root: object) -> None:
    from pathlib import Path

    season = Path(str(repo_root)) / "data" / "season"
    august = pl.read_parquet(season / "fixtures.parquet").filter(pl.col("date") < date(2025, 9, 1))
    with pytest.warns(qf.NoSnapshotWarning, match="2025-08"):
        wf = qf.walk_forward(august, season / "snapshots", select=qf.bets_from_strategies)
    assert wf.backtests == {}
    assert wf.table.is_empty()
    assert wf.combined["bets"] == 0
    assert "no bets placed" in repr(wf.combined)
