"""Point-in-time: no snapshot taken on or after a match is ever used for it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.ops.strategies import best_strategies
from tests._helpers.frames import as_kind

if TYPE_CHECKING:
    from pathlib import Path

    from quantum_frames.frames import QuantumFrames


def at(q: QuantumFrames, day: str, liverpool_tier: str) -> QuantumFrames:
    teams = q.teams.with_columns(
        pl.when(pl.col("team_name") == "Liverpool")
        .then(pl.lit(liverpool_tier))
        .otherwise("tier")
        .alias("tier")
    )
    return replace(q, teams=teams, as_of=datetime.fromisoformat(day).replace(tzinfo=UTC))


@pytest.fixture(scope="module")
def history() -> list[QuantumFrames]:
    q = qf.sample()
    return [at(q, "2025-09-10", "ELITE"), at(q, "2025-09-01", "MID")]  # unsorted on purpose


def test_strictly_before_the_fixture(history: list[QuantumFrames]) -> None:
    fixtures = pl.DataFrame(
        {
            "date": [date(2025, 9, 10), date(2025, 9, 2), date(2025, 9, 11)],
            "home": ["Liverpool", "liverpool", "LIVERPOOL"],
            "away": ["Everton", "Everton", "Arsenal"],
        }
    )
    out = qf.point_in_time(fixtures, history)
    assert out["snapshot_as_of"].to_list() == [
        datetime(2025, 9, 1, tzinfo=UTC),  # the 2025-09-10 snapshot is match day: never used
        datetime(2025, 9, 1, tzinfo=UTC),
        datetime(2025, 9, 10, tzinfo=UTC),
    ]
    assert out["home_tier"].to_list() == ["MID", "MID", "ELITE"]
    assert out["friction_score"][0] == history[0].friction("Liverpool", "Everton")
    assert out.select("date", "home", "away").equals(fixtures)


def test_datetimes_after_the_snapshot_moment_use_it(history: list[QuantumFrames]) -> None:
    fixtures = pl.DataFrame(
        {"date": [datetime(2025, 9, 10, 15, 0)], "home": ["Liverpool"], "away": ["Everton"]}
    )
    assert qf.point_in_time(fixtures, history)["home_tier"].to_list() == ["ELITE"]
    exact = pl.DataFrame(
        {"date": [datetime(2025, 9, 10, 0, 0)], "home": ["Liverpool"], "away": ["Everton"]}
    )
    assert qf.point_in_time(exact, history)["home_tier"].to_list() == ["MID"]


def test_fixtures_older_than_every_snapshot_get_nulls_and_a_warning(
    history: list[QuantumFrames],
) -> None:
    fixtures = pl.DataFrame(
        {
            "date": ["2025-08-30", "2025-09-01", "2025-09-05"],
            "home": ["Liverpool"] * 3,
            "away": ["Everton"] * 3,
        }
    )
    with pytest.warns(qf.NoSnapshotWarning, match="2 fixture"):
        out = qf.point_in_time(fixtures, history)
    assert out["snapshot_as_of"].null_count() == 2
    assert out["home_tier"].to_list() == [None, None, "MID"]
    assert out["friction_score"][:2].to_list() == [None, None]


def test_strategies_are_chosen_from_the_same_snapshot(history: list[QuantumFrames]) -> None:
    fixtures = pl.DataFrame(
        {"date": [date(2025, 9, 5)], "home": ["Liverpool"], "away": ["Everton"]}
    )
    out = qf.point_in_time(fixtures, history)
    snap = history[1]
    everton_tier = snap.teams.filter(pl.col("team_name") == "Everton")["tier"].item()
    expected = snap.best_strategy("Liverpool", {"venue": "home", "opponent_tier": everton_tier})
    assert out["home_strategy_id"].item() == (expected["strategy_id"] if expected else None)


def test_a_folder_of_snapshots_works_too(tmp_path: Path, history: list[QuantumFrames]) -> None:
    for q in history:
        q.write_snapshot(tmp_path / f"s-{q.as_of:%Y%m%d}", as_of=q.as_of)
    fixtures = pl.DataFrame(
        {"date": [date(2025, 9, 10)], "home": ["Liverpool"], "away": ["Everton"]}
    )
    assert qf.point_in_time(fixtures, tmp_path)["home_tier"].to_list() == ["MID"]


def test_bad_input(history: list[QuantumFrames]) -> None:
    with pytest.raises(ValueError, match="lack column 'date'"):
        qf.point_in_time(pl.DataFrame({"home": ["A"], "away": ["B"]}), history)
    with pytest.raises(ValueError, match="not dates"):
        qf.point_in_time(pl.DataFrame({"date": ["soon"], "home": ["A"], "away": ["B"]}), history)
    with pytest.raises(ValueError, match="no as_of"):
        qf.point_in_time(
            pl.DataFrame({"date": [date(2025, 9, 1)], "home": ["A"], "away": ["B"]}),
            [replace(qf.sample(), as_of=None)],
        )


def test_sample_season_end_to_end(repo_root: Path) -> None:
    fixtures = pl.read_parquet(repo_root / "data" / "season" / "fixtures.parquet")
    enriched = qf.point_in_time(fixtures, repo_root / "data" / "season" / "snapshots")
    assert (
        enriched["snapshot_as_of"]
        < enriched["date"].cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    ).all()
    bets = qf.bets_from_strategies(enriched, min_conviction=60)
    assert bets.height > 500
    bt = qf.backtest(bets, stake="kelly", by="strategy")
    assert bt["bets"] + bt["skipped"] == bets.height
    assert bt.groups["profit"].sum() == pytest.approx(bt["profit"])


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_unknown_team_names_are_reported_with_close_matches(
    history: list[QuantumFrames], lazy: bool
) -> None:
    fixtures = pl.DataFrame(
        {
            "date": [date(2025, 9, 5), date(2025, 9, 12), date(2025, 9, 12)],
            "home": ["Liverpol", "Liverpool", "Liverpol"],
            "away": ["Everton", "Arsnal", "Everton"],
        }
    )
    frame = as_kind(fixtures, lazy)
    with pytest.warns(qf.UnresolvedTeamsWarning, match=r"2 fixture team name\(s\)") as caught:
        out = qf.point_in_time(frame, history)
    message = str(caught[0].message)
    assert "'Arsnal' (closest: Arsenal" in message
    assert "'Liverpol' (closest: Liverpool" in message
    assert len(caught) == 1  # once, not once per snapshot or per side's strategy lookup
    assert isinstance(out, pl.LazyFrame) == lazy
    got = out.collect() if isinstance(out, pl.LazyFrame) else out
    assert got["home_tier"].is_null().to_list() == [True, False, True]
    with pytest.raises(qf.UnknownTeamError, match=r"unknown team 'Arsnal'.*'Arsenal'"):
        qf.point_in_time(frame, history, strict=True)


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_best_strategies_reports_unknown_teams(lazy: bool) -> None:
    q = qf.sample()
    fixtures = pl.DataFrame({"team": ["Liverpol", "Arsenal"], "venue": ["home", "away"]})
    frame = as_kind(fixtures, lazy)
    with pytest.warns(qf.UnresolvedTeamsWarning, match="'Liverpol' \\(closest: Liverpool"):
        out = best_strategies(q.strategies, q.teams, frame)
    got = out.collect() if isinstance(out, pl.LazyFrame) else out
    assert got["strategy_id"][0] is None
    assert got["strategy_id"][1] is not None
    with pytest.raises(qf.UnknownTeamError, match="unknown team 'Liverpol'"):
        best_strategies(q.strategies, q.teams, frame, strict=True)


def test_bets_from_strategies_takes_the_point_in_time_column_names(
    history: list[QuantumFrames],
) -> None:
    fixtures = pl.DataFrame(
        {
            "kickoff": [date(2025, 9, 5)] * 2,
            "host": ["Liverpool", "Arsenal"],
            "guest": ["Everton", "Chelsea"],
            "home_goals": [2, 0],
            "away_goals": [1, 0],
        }
    )
    enriched = qf.point_in_time(fixtures, history, on="kickoff", home="host", away="guest")
    markets = enriched.get_column("home_strategy_market_type").drop_nulls().unique().to_list()
    assert markets, "the sample gives these sides a strategy"
    priced = enriched.with_columns(pl.lit(2.0).alias(f"odds_{m}") for m in markets)
    bets = qf.bets_from_strategies(priced, on="kickoff", home="host", away="guest")
    assert bets.height >= 1
    assert bets.columns[:3] == ["date", "home", "away"]
    assert set(bets["home"].to_list()) <= {"Liverpool", "Arsenal"}
    with pytest.raises(ValueError, match=r"lack \['date', 'home', 'away'\].*on=, home=, away="):
        qf.bets_from_strategies(priced)


def test_fixtures_that_see_no_snapshot_still_get_every_column(history: list[QuantumFrames]) -> None:
    seen = qf.point_in_time(
        pl.DataFrame({"date": [date(2025, 9, 5)], "home": ["Liverpool"], "away": ["Everton"]}),
        history,
    )
    early = pl.DataFrame({"date": [date(2025, 8, 1)], "home": ["Liverpool"], "away": ["Everton"]})
    with pytest.warns(qf.NoSnapshotWarning):
        orphans = qf.point_in_time(early, history)
    assert orphans.columns == seen.columns
    assert orphans.row(0)[3:] == (None,) * (len(seen.columns) - 3)
    assert qf.point_in_time(early.head(0), history).columns == seen.columns


def test_bad_input_is_a_quantum_frames_error(history: list[QuantumFrames]) -> None:
    with pytest.raises(qf.InvalidArgumentError, match="Hint: pass on=") as caught:
        qf.point_in_time(pl.DataFrame({"home": ["A"], "away": ["B"]}).lazy(), history)
    assert caught.value.argument == "on"
    with pytest.raises(qf.InvalidArgumentError, match="no snapshots given") as caught:
        qf.point_in_time(pl.DataFrame({"date": [], "home": [], "away": []}), [])
    assert caught.value.argument == "snapshots"
    with pytest.raises(qf.InvalidArgumentTypeError, match="fixtures must be a polars") as typed:
        qf.point_in_time({"date": [], "home": [], "away": []}, history)  # type: ignore[type-var]
    assert typed.value.argument == "fixtures"


@pytest.mark.parametrize("source", ["frames", "folder", "history"])
def test_team_ids_instead_of_names_give_the_same_enrichment(
    tmp_path: Path, history: list[QuantumFrames], source: str
) -> None:
    """Fixtures naming teams by team_id (an integer column) are enriched as by their names."""
    if source == "folder":
        for q in history:
            q.write_snapshot(tmp_path / f"s-{q.as_of:%Y%m%d}", as_of=q.as_of)
    if source == "history":
        pytest.importorskip("deltalake")
        for q in sorted(history, key=lambda q: q.as_of or datetime.min.replace(tzinfo=UTC)):
            q.write_history(tmp_path / "h", as_of=q.as_of)
    where = {"frames": history, "folder": tmp_path, "history": tmp_path / "h"}[source]
    teams = history[0].teams
    ids = dict(zip(teams["team_name"].to_list(), teams["team_id"].to_list(), strict=True))
    by_name = pl.DataFrame(
        {
            "date": [date(2025, 9, 5), date(2025, 9, 12)],
            "home": ["Liverpool", "Arsenal"],
            "away": ["Everton", "Liverpool"],
        }
    )
    by_id = by_name.with_columns(
        pl.col(c).replace_strict(ids, return_dtype=teams.schema["team_id"])
        for c in ("home", "away")
    )
    named = qf.point_in_time(by_name, where)  # type: ignore[arg-type]
    numbered = qf.point_in_time(by_id, where)  # type: ignore[arg-type]
    assert [numbered["home_tier"][0], numbered["away_tier"][1]] == ["MID", "ELITE"]  # Liverpool
    assert numbered.drop("home", "away").equals(named.drop("home", "away"))
    assert numbered.select("home", "away").equals(by_id.select("home", "away"))


def _text_ids(q: QuantumFrames) -> QuantumFrames:
    """``q`` with every team id as text ("T1", …), in the flat and the lossless tables."""
    from quantum_frames.frames import SourceTables

    def text(frame: pl.DataFrame, *cols: str) -> pl.DataFrame:
        return frame.with_columns(pl.format("T{}", pl.col(c)).alias(c) for c in cols)

    tables = {
        "teams": ("team_id",),
        "friction": ("team_home_id", "team_away_id"),
        "strategies": ("team_id",),
    }
    flat = {name: text(frame, *tables[name]) for name, frame in q.tables()}
    raw = {name: text(frame, *tables[name]) for name, frame in q.raw.items()}
    return replace(
        q,
        teams=flat["teams"],
        friction=flat["friction"],  # type: ignore[arg-type]  # wrapped by QuantumFrames
        strategies=flat["strategies"],
        raw=SourceTables(**raw),
    )


def test_text_team_ids_over_a_history_equal_a_folder(
    tmp_path: Path, history: list[QuantumFrames]
) -> None:
    """Team ids held as text: a history enriches the fixtures as a folder of snapshots does."""
    pytest.importorskip("deltalake")
    moments = sorted((_text_ids(q) for q in history), key=lambda q: q.as_of or datetime.min)
    for q in moments:
        q.write_snapshot(tmp_path / "folder" / f"s-{q.as_of:%Y%m%d}", as_of=q.as_of)
        q.write_history(tmp_path / "h", as_of=q.as_of)
    fixtures = pl.DataFrame(
        {
            "date": [date(2025, 9, 5), date(2025, 9, 12)],
            "home": ["Liverpool", "Arsenal"],
            "away": ["Everton", "Liverpool"],
        }
    )
    via_history = qf.point_in_time(fixtures, tmp_path / "h")
    via_folder = qf.point_in_time(fixtures, tmp_path / "folder")
    assert via_history["home_team_id"].dtype == pl.String
    assert via_history["friction_score"].null_count() == 0
    assert via_history.equals(via_folder)


@pytest.mark.parametrize("column", ["friction_score", "home_tier", "snapshot_as_of", "__m"])
@pytest.mark.parametrize("source", ["frames", "history"])
def test_fixtures_holding_a_column_point_in_time_adds_are_refused(
    tmp_path: Path, history: list[QuantumFrames], column: str, source: str
) -> None:
    """Never the caller's value kept (or read) under an enriched column's name."""
    if source == "history":
        pytest.importorskip("deltalake")
        for q in sorted(history, key=lambda q: q.as_of or datetime.min):
            q.write_history(tmp_path / "h", as_of=q.as_of)
    where = history if source == "frames" else tmp_path / "h"
    fixtures = pl.DataFrame(
        {"date": [date(2025, 9, 12)], "home": ["Liverpool"], "away": ["Everton"], column: [1.0]}
    )
    with pytest.raises(qf.InvalidArgumentError, match=f"'{column}'.*Hint: drop or rename"):
        qf.point_in_time(fixtures, where)
