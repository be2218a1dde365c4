"""Histories in Delta Lake: round trips, moments, change sets, drift, contracts, other engines."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.errors import InvalidArgumentError
from tests.history.conftest import rebuilt

if TYPE_CHECKING:
    from pathlib import Path

    from quantum_frames.frames import QuantumFrames

MOMENT = datetime(2025, 9, 1, 18, 0, tzinfo=UTC)


def assert_same_frames(got: QuantumFrames, want: QuantumFrames) -> None:
    for (name, a), (_, b) in zip(got.tables(), want.tables(), strict=True):
        assert a.schema == b.schema, name
        assert a.equals(b), name
    for (name, a), (_, b) in zip(got.raw.items(), want.raw.items(), strict=True):
        assert a.schema == b.schema, f"raw/{name}"
        assert a.equals(b), f"raw/{name}"
    assert got.report.equals(want.report)


def roi_changed(q: QuantumFrames) -> QuantumFrames:
    """Team 1's roi changed, team 96 gone, a new team 1000 (a copy of team 2)."""

    def teams(raw: pl.DataFrame) -> pl.DataFrame:
        raw = raw.with_columns(
            pl.when(pl.col("team_id") == 1).then(pl.col("roi") + 1).otherwise("roi").alias("roi")
        ).filter(pl.col("team_id") != 96)
        copy = raw.filter(pl.col("team_id") == 2).with_columns(
            pl.lit(1000, pl.Int32).alias("team_id"),
            pl.lit("Synthetic United").alias("team_name"),
            pl.lit("synthetic-united").alias("dna_fingerprint"),
        )
        return pl.concat([raw, copy])

    return rebuilt(q, teams=teams)


def test_a_moment_reads_back_exactly(sample: QuantumFrames, history: Path) -> None:
    done = sample.write_history(history, as_of=MOMENT)
    assert done.written
    assert done.moment.version == 0
    back = qf.read_history(history)
    assert_same_frames(back, sample)
    assert back.as_of == MOMENT
    assert back.options == sample.options
    assert back.source["history"] == str(history)
    assert back.source["kind"] == "synthetic"
    assert back.friction("Liverpool", "Everton") == sample.friction("Liverpool", "Everton")
    assert sorted(p.name for p in history.iterdir()) == [
        "_qf_history",
        "changes",
        "friction",
        "raw",
        "strategies",
        "teams",
    ]


def test_as_of_and_version_pick_a_moment(sample: QuantumFrames, history: Path) -> None:
    later = roi_changed(sample)
    sample.write_history(history, as_of=MOMENT)
    later.write_history(history, as_of="2025-09-10T12:00:00Z")
    assert qf.read_history(history).teams.height == later.teams.height
    # a bare date includes the whole day, as read_snapshot does
    assert qf.read_history(history, as_of="2025-09-10").teams.equals(later.teams)
    assert qf.read_history(history, as_of=date(2025, 9, 9)).teams.equals(sample.teams)
    assert qf.read_history(history, version=0).teams.equals(sample.teams)
    with pytest.raises(qf.HistoryError, match=r"no moment .* is as of 2025-08-31 or earlier"):
        qf.read_history(history, as_of="2025-08-31")
    with pytest.raises(qf.HistoryError, match="has no moment 2; it has 0 to 1"):
        qf.read_history(history, version=2)
    with pytest.raises(InvalidArgumentError, match="not both"):
        qf.read_history(history, as_of=MOMENT, version=0)


def test_list_history_and_change_sets(sample: QuantumFrames, history: Path) -> None:
    sample.write_history(history, as_of=MOMENT)
    roi_changed(sample).write_history(history, as_of="2025-09-10")
    listed = qf.list_history(history)
    assert listed["version"].to_list() == [0, 1]
    assert listed["teams_rows"].to_list() == [96, 96]
    assert listed["teams_changed"].to_list() == [96, 3]
    assert listed["friction_changed"].to_list() == [1752, 0]
    assert listed["inserted"].to_list() == [96 + 1752 + 468, 1]
    assert listed["updated"].to_list() == [0, 1]
    assert listed["deleted"].to_list() == [0, 1]
    # friction and the lossless tables other than teams did not change: same Delta version
    assert listed["friction_version"].to_list() == [0, 0]
    assert listed["raw_teams_version"].to_list() == [0, 1]
    got = qf.changes(history, since=MOMENT).sort("change")
    assert got.select("table", "key", "change").rows() == [
        ("teams", '{"team_id":96}', "deleted"),
        ("teams", '{"team_id":1000}', "inserted"),
        ("teams", '{"team_id":1}', "updated"),
    ]
    assert got["columns"].to_list() == [None, None, ["roi"]]
    assert got["version"].to_list() == [1, 1, 1]
    everything = qf.changes(history)
    assert everything.filter(pl.col("version") == 0)["change"].unique().to_list() == ["inserted"]
    assert qf.changes(history, until="2025-09-02").height == 96 + 1752 + 468
    assert qf.changes(history, since="2025-09-10").is_empty()


def test_an_identical_load_writes_no_new_version(sample: QuantumFrames, history: Path) -> None:
    from deltalake import DeltaTable

    sample.write_history(history, as_of=MOMENT)
    again = sample.write_history(history, as_of="2025-09-02")
    assert not again.written
    assert "identical to moment 0" in again.message
    assert "no new version" in str(again)
    assert {c.updated + c.inserted + c.deleted for c in again.changes.values() if c} == {0}
    assert qf.list_history(history).height == 1
    assert DeltaTable(history / "teams").version() == 0


def test_columns_added_removed_and_retyped_between_moments(
    sample: QuantumFrames, history: Path
) -> None:
    from deltalake import DeltaTable

    def drifted(raw: pl.DataFrame) -> pl.DataFrame:
        return raw.drop("unlucky_pct").with_columns(
            pl.col("tier_rank").cast(pl.String),  # an integer column became text
            pl.lit(None, pl.Null).alias("coach"),  # a new column, NULL everywhere
        )

    later = rebuilt(sample, teams=drifted)
    assert later.teams.schema["coach"] == pl.Null
    sample.write_history(history, as_of=MOMENT)
    later.write_history(history, as_of="2025-09-10")
    assert_same_frames(qf.read_history(history, version=0), sample)
    assert_same_frames(qf.read_history(history, version=1), later)
    # other engines see each version's own columns (the Null column as a typed stand-in)
    v0 = pl.read_delta(str(history / "teams"), version=0)
    v1 = pl.read_delta(str(history / "teams"), version=1)
    assert "unlucky_pct" in v0.columns
    assert "coach" not in v0.columns
    assert "unlucky_pct" not in v1.columns
    assert v1.schema["coach"] == pl.String
    assert v0.schema["tier_rank"] == pl.Int32
    assert v1.schema["tier_rank"] == pl.String
    assert DeltaTable(history / "teams").version() == 1
    changed = qf.changes(history, since=MOMENT)
    assert set(changed["change"]) == {"updated"}
    # the retyped and removed columns hold values in every row; the Null column in none
    assert all({"tier_rank", "unlucky_pct"} <= set(c) for c in changed["columns"])
    assert not any("coach" in c for c in changed["columns"])


def test_a_moment_with_its_columns_in_another_order(sample: QuantumFrames, history: Path) -> None:
    # (the season's snapshots do this: JSON keys first seen in another order)
    later = rebuilt(sample, friction=lambda raw: raw.select(reversed(raw.columns)))
    assert later.friction.columns != sample.friction.columns
    assert set(later.friction.columns) == set(sample.friction.columns)
    sample.write_history(history, as_of=MOMENT)
    later.write_history(history, as_of="2025-09-10")
    assert_same_frames(qf.read_history(history), later)
    assert qf.scan_history(history).friction.collect().equals(later.friction.frame)


def test_dtypes_delta_lacks_round_trip_through_stand_ins(
    sample: QuantumFrames, history: Path
) -> None:
    extra = pl.DataFrame(
        {
            "u8": pl.Series([255] * 96, dtype=pl.UInt8),
            "u64": pl.Series([2**64 - 1] * 96, dtype=pl.UInt64),
            "i128": pl.Series([-(2**127)] * 96, dtype=pl.Int128),
            "t": [time(23, 59, 59, 999999)] * 96,
            "enum": pl.Series(["b"] * 96, dtype=pl.Enum(["a", "b"])),
            "ns": pl.Series([1_735_689_600_000_000_007] * 96).cast(pl.Datetime("ns")),
            "arr": pl.Series([[1, 2]] * 96, dtype=pl.Array(pl.Int64, 2)),
            "nested": pl.Series([[{"a": None}]] * 96, dtype=pl.List(pl.Struct({"a": pl.Null}))),
        }
    )
    q = replace(sample, teams=pl.concat([sample.teams, extra], how="horizontal"))
    q.write_history(history, as_of=MOMENT)
    back = qf.read_history(history).teams
    assert back.schema == q.teams.schema
    assert back.equals(q.teams)
    assert qf.scan_history(history).teams.collect().equals(q.teams)


def test_rows_keep_their_order_whatever_the_chunks(sample: QuantumFrames, history: Path) -> None:
    """Frames of several chunks (after a concat or a filter) come back in their order."""
    from quantum_frames.frames import SourceTables

    def chunked(frame: pl.DataFrame) -> pl.DataFrame:
        out = pl.concat([frame.slice(0, 30), frame.slice(30, 1), frame.slice(31)], rechunk=False)
        assert out.n_chunks() == 3
        return out

    for i in range(4):  # delta-rs reordered such batches in most tries
        teams = chunked(sample.teams.with_columns(pl.col("roi") + i))
        raw = SourceTables(
            teams=chunked(sample.raw.teams.with_columns(pl.col("roi") + i)),
            friction=sample.raw.friction,
            strategies=sample.raw.strategies,
        )
        q = replace(sample, teams=teams, raw=raw)
        q.write_history(history, as_of=datetime(2025, 9, 1 + i, tzinfo=UTC))
        back = qf.read_history(history)
        assert back.teams.equals(q.teams), i
        assert back.raw.teams.equals(q.raw.teams), i


def test_commit_metadata_is_visible_without_quantum_frames(
    sample: QuantumFrames, history: Path
) -> None:
    q = replace(
        sample,
        source={
            "kind": "postgresql",
            "host": "db",
            "dbname": "prod",
            "user": "analyst",
            "password": "hunter2-secret",
            "database_moment": {"snapshot": "812:812:", "server_time": "2025-09-01T17:59:59Z"},
        },
    )
    q.write_history(history, as_of=MOMENT)
    script = (
        "import json, sys\n"
        "from deltalake import DeltaTable\n"
        "for name in ('teams', 'raw/friction'):\n"
        "    print(json.dumps(DeltaTable(sys.argv[1] + '/' + name).history()[0]))\n"
        "print('quantum_frames' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(history)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[-1] == "False"
    for line, table in zip(out[:2], ("teams", "raw/friction"), strict=True):
        commit = json.loads(line)
        assert commit["quantum_frames.as_of"] == "2025-09-01T18:00:00Z"
        assert commit["quantum_frames.table"] == table
        assert json.loads(commit["quantum_frames.flatten"]) == {"separator": ".", "max_depth": None}
        assert json.loads(commit["quantum_frames.database_moment"])["snapshot"] == "812:812:"
        assert json.loads(commit["quantum_frames.source"])["host"] == "db"
        assert json.loads(commit["userMetadata"])["moment"] == 0
        assert commit["quantum_frames.library_version"] == qf.__version__
        assert json.loads(commit["quantum_frames.changes"])["teams"]["inserted"] == 96
        columns = json.loads(commit["quantum_frames.columns"])
        assert len(columns) == (sample.teams.width if table == "teams" else 32)
    conflict = next(c for c in columns_of(history) if c["name"] == "status_2025_2026.position")
    assert str(conflict["conflict"]).startswith("type conflict")
    every_file = b"".join(p.read_bytes() for p in history.rglob("*") if p.is_file())
    assert b"hunter2" not in every_file


def columns_of(history: Path) -> list[dict[str, object]]:
    """The teams columns as the newest teams commit records them (deltalake only)."""
    from deltalake import DeltaTable

    columns: list[dict[str, object]] = json.loads(
        DeltaTable(history / "teams").history()[0]["quantum_frames.columns"]
    )
    return columns


def test_other_engines_read_the_same_moment(sample: QuantumFrames, history: Path) -> None:
    import duckdb
    from deltalake import DeltaTable

    later = roi_changed(sample)
    sample.write_history(history, as_of=MOMENT)
    later.write_history(history, as_of="2025-09-10")
    listed = qf.list_history(history)
    for moment, want in ((0, sample), (1, later)):
        ours = qf.read_history(history, version=moment)
        assert_same_frames(ours, want)
        for name, frame in ours.tables():
            version = listed[f"{name}_version"][moment]
            # Polars, by version
            polars = pl.scan_delta(str(history / name), version=version).collect()
            assert polars.equals(frame), name
            # delta-rs, by a datetime: it goes by the commit files' times, a few ms after the
            # commitInfo timestamp (taking that one picked the version before, now and then)
            log = history / name / "_delta_log" / f"{version:020d}.json"
            when = datetime.fromtimestamp(log.stat().st_mtime_ns // 1_000_000 / 1000, tz=UTC)
            table = DeltaTable(history / name)
            table.load_as_version(when + timedelta(milliseconds=1))
            assert table.version() == version
            back = pl.from_arrow(table.to_pyarrow_table())
            assert isinstance(back, pl.DataFrame)
            assert back.equals(frame), name
            # DuckDB, over the dataset of that version
            dataset = DeltaTable(history / name, version=version).to_pyarrow_dataset()
            con = duckdb.connect()
            con.register("t", dataset)
            order = ", ".join(
                f'"{c}"' for c in ("team_id", "friction_id", "strategy_id") if c in frame.columns
            )
            via_duckdb = pl.from_arrow(
                con.sql(f"SELECT * FROM t ORDER BY {order}").to_arrow_table()
            )
            assert isinstance(via_duckdb, pl.DataFrame)
            via_duckdb = via_duckdb.with_columns(  # DuckDB names UTC 'Etc/UTC': same instants
                pl.col(pl.Datetime(time_zone="Etc/UTC")).dt.convert_time_zone("UTC")
            )
            assert via_duckdb.equals(frame.sort(order.replace('"', "").split(", "))), name


def test_scan_history_is_lazy_and_equal(sample: QuantumFrames, history: Path) -> None:
    sample.write_history(history, as_of=MOMENT)
    lazy = qf.scan_history(history, as_of="2025-09-01")
    assert isinstance(lazy.teams, pl.LazyFrame)
    assert lazy.moment.version == 0
    elite = lazy.teams.filter(pl.col("tier") == "ELITE").select("team_name").collect()
    assert elite.equals(sample.teams.filter(pl.col("tier") == "ELITE").select("team_name"))
    assert lazy.raw["friction"].collect().equals(sample.raw.friction)


def test_point_in_time_over_a_history_equals_a_folder_of_snapshots(
    sample: QuantumFrames, tmp_path: Path
) -> None:
    later = rebuilt(
        sample,
        teams=lambda raw: raw.with_columns(
            pl.when(pl.col("team_name") == "Liverpool")
            .then(pl.lit("MID"))
            .otherwise("tier")
            .alias("tier")
        ),
    )
    history, folder = tmp_path / "history", tmp_path / "snapshots"
    for q, when in ((sample, "2025-09-01"), (later, "2025-09-10")):
        q.write_history(history, as_of=when)
        q.write_snapshot(folder / when, as_of=when)
    fixtures = pl.DataFrame(
        {
            "date": [date(2025, 9, 10), date(2025, 9, 2), date(2025, 9, 11), date(2025, 8, 1)],
            "home": ["Liverpool", "Liverpool", "Liverpool", "Liverpool"],
            "away": ["Everton", "Arsenal", "Everton", "Everton"],
        }
    )
    with pytest.warns(qf.NoSnapshotWarning):
        via_history = qf.point_in_time(fixtures, history)
    with pytest.warns(qf.NoSnapshotWarning):
        via_folder = qf.point_in_time(fixtures, folder)
    assert via_history.equals(via_folder)
    assert via_history["home_tier"].to_list() == ["ELITE", "ELITE", "MID", None]


def test_point_in_time_reads_only_the_moments_fixtures_use(
    sample: QuantumFrames, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantum_frames.history import _reader

    later = roi_changed(sample)
    sample.write_history(history, as_of="2025-09-01")
    later.write_history(history, as_of="2025-09-10")
    scanned: list[tuple[int, str]] = []
    real = _reader.scan_table

    def counting(root: Path, moment: qf.history.Moment, name: str) -> pl.LazyFrame:
        scanned.append((moment.version, name))
        return real(root, moment, name)

    def no_eager_read(*_: object) -> None:
        pytest.fail("a moment was read whole")

    monkeypatch.setattr(_reader, "scan_table", counting)
    monkeypatch.setattr(_reader, "read_tables", no_eager_read)
    fixtures = pl.DataFrame(
        {"date": [date(2025, 9, 5)], "home": ["Liverpool"], "away": ["Everton"]}
    )
    qf.point_in_time(fixtures, history)
    assert sorted(scanned) == [(0, "friction"), (0, "strategies"), (0, "teams")]


def _drifted(q: QuantumFrames) -> QuantumFrames:
    """``q`` a moment later, drifted: team columns gone and retyped, a strategy column gone."""
    return rebuilt(
        q,
        teams=lambda raw: raw.drop("avg_clv").with_columns(
            pl.col("tier_rank").cast(pl.Float64),
            pl.when(pl.col("team_name") == "Liverpool")
            .then(pl.lit("MID"))
            .otherwise("tier")
            .alias("tier"),
        ),
        friction=lambda raw: raw.drop("chaos_potential"),
        strategies=lambda raw: raw.drop("market_type"),
    )


def test_point_in_time_over_a_drifting_history_equals_the_snapshots(
    sample: QuantumFrames, tmp_path: Path
) -> None:
    history, folder = tmp_path / "history", tmp_path / "snapshots"
    moments = [
        (_drifted(sample), "2025-09-01"),
        (sample, "2025-09-10"),
        (_drifted(sample), "2025-09-20"),
    ]
    for q, when in moments:
        q.write_history(history, as_of=when)
        q.write_snapshot(folder / when, as_of=when)
    names = sample.teams["team_name"].to_list()
    fixtures = pl.DataFrame(
        {
            "date": [date(2025, 8, 30), *(date(2025, 9, 2 + 2 * i) for i in range(14))],
            "home": ["Liverpool", "Liverpool", "Liverpol", *names[:12]],
            "away": ["Everton", "Everton", "Arsenal", None, *names[13:24]],
        }
    )
    with pytest.warns(qf.NoSnapshotWarning), pytest.warns(qf.UnresolvedTeamsWarning):
        via_history = qf.point_in_time(fixtures, history)
    with pytest.warns(qf.NoSnapshotWarning), pytest.warns(qf.UnresolvedTeamsWarning):
        via_folder = qf.point_in_time(fixtures, folder)
    assert via_history.schema == via_folder.schema
    assert via_history.equals(via_folder)
    assert via_history["home_tier"].to_list()[:3] == [None, "MID", None]
    assert via_history["home_strategy_name"].null_count() < via_history.height
    for season in (None, "2025-2026"):  # one season named, and the lazy way in
        got = qf.point_in_time(
            fixtures.lazy().filter(pl.col("date") > date(2025, 9, 4)), history, season=season
        )
        want = qf.point_in_time(
            fixtures.filter(pl.col("date") > date(2025, 9, 4)), folder, season=season
        )
        assert isinstance(got, pl.LazyFrame)
        assert got.collect().equals(want)
    early = fixtures.head(1)
    with pytest.warns(qf.NoSnapshotWarning):
        alone = qf.point_in_time(early, history)
    with pytest.warns(qf.NoSnapshotWarning):
        assert alone.equals(qf.point_in_time(early, folder))
    none = qf.point_in_time(fixtures.head(0), history)
    assert none.schema == qf.point_in_time(fixtures.head(0), folder).schema
    with pytest.raises(qf.UnknownTeamError):
        qf.point_in_time(fixtures.slice(2, 1), history, strict=True)


def test_drift_against_a_history_a_snapshot_and_frames(
    sample: QuantumFrames, tmp_path: Path
) -> None:
    def drifted(raw: pl.DataFrame) -> pl.DataFrame:
        # a path whose value becomes text in one row: a new type conflict; a column gone
        market = pl.when(pl.col("team_id") == 1).then(
            pl.col("market_dna").str.replace(
                '"profitable_strategies": 0', '"profitable_strategies": "none"'
            )
        )
        return raw.drop("unlucky_pct").with_columns(
            market.otherwise("market_dna").alias("market_dna"), pl.lit(7).alias("stadium_size")
        )

    later = rebuilt(sample, teams=drifted)
    sample.write_history(tmp_path / "history", as_of=MOMENT)
    snapshot = sample.write_snapshot(tmp_path / "snap")
    reports = [later.drift(tmp_path / "history"), later.drift(snapshot), later.drift(sample)]
    assert reports[0].equals(reports[1])
    assert reports[0].equals(reports[2])
    got = {
        (r["column"], r["change"]): (r["before"], r["after"])
        for r in reports[0].iter_rows(named=True)
    }
    assert got == {
        ("stadium_size", "added"): (None, "Int32"),
        ("unlucky_pct", "removed"): ("Float64", None),
        ("market_dna.profitable_strategies", "retyped"): ("Int64", "String"),
        ("market_dna.profitable_strategies", "conflict"): (
            None,
            later.conflicts.filter(pl.col("column") == "market_dna.profitable_strategies")[
                "conflict"
            ][0],
        ),
    }
    assert set(reports[0]["table"]) == {"teams"}
    assert sample.drift(sample).is_empty()
    with pytest.raises(InvalidArgumentError, match="drift needs a reference"):
        sample.drift(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("contract", ["freeze", {"teams": "freeze"}])
def test_a_frozen_table_refuses_a_drifted_moment(
    sample: QuantumFrames, history: Path, contract: qf.history._drift.Contract
) -> None:
    later = rebuilt(sample, teams=lambda raw: raw.with_columns(pl.lit(7).alias("stadium_size")))
    sample.write_history(history, as_of=MOMENT)
    before = sorted(p.relative_to(history) for p in history.rglob("*"))
    with pytest.raises(
        qf.HistoryContractError, match=r"teams.'stadium_size' added \(Int32\)"
    ) as info:
        later.write_history(history, as_of="2025-09-10", contract=contract)
    assert info.value.changes == (("teams", "stadium_size", "added", "None", "Int32"),)
    assert "Nothing was written" in str(info.value)
    assert sorted(p.relative_to(history) for p in history.rglob("*")) == before
    # a table left to evolve accepts it; a contract on other tables lets it through too
    done = later.write_history(history, as_of="2025-09-10", contract={"friction": "freeze"})
    assert done.written


def test_bad_contracts_and_targets_are_refused(sample: QuantumFrames, tmp_path: Path) -> None:
    history = tmp_path / "history"
    for bad, match in (("frozen", "is not a contract"), ({"team": "freeze"}, "unknown table")):
        with pytest.raises(InvalidArgumentError, match=match) as info:
            sample.write_history(history, contract=bad)  # type: ignore[arg-type]
        assert info.value.argument == "contract"
    assert not history.exists()
    snapshot = sample.write_snapshot(tmp_path / "snap")
    with pytest.raises(qf.HistoryError, match="neither a history nor empty"):
        sample.write_history(snapshot)
    sample.write_history(history, as_of=MOMENT)
    with pytest.raises(qf.HistoryError, match="is not after the newest moment"):
        roi_changed(sample).write_history(history, as_of=MOMENT)
    with pytest.raises(qf.HistoryError, match="is not a history"):
        qf.read_history(snapshot)


def test_a_deleted_data_file_is_an_error_naming_it(sample: QuantumFrames, history: Path) -> None:
    sample.write_history(history, as_of=MOMENT)
    victim = next((history / "friction").glob("*.parquet"))
    victim.unlink()
    for read in (qf.read_history, qf.scan_history):
        with pytest.raises(
            qf.HistoryError, match=f"table 'friction' .* lacks its data file .*{victim.name}"
        ) as info:
            read(history)
        assert info.value.table == "friction"
    with pytest.raises(qf.HistoryError, match="'friction'"):
        roi_changed(sample).write_history(history, as_of="2025-09-10")


def test_a_damaged_log_entry_is_an_error_naming_it(sample: QuantumFrames, history: Path) -> None:
    sample.write_history(history, as_of=MOMENT)
    entry = next((history / "_qf_history").glob("*.json"))
    data = json.loads(entry.read_text())
    data["tables"]["teams"]["rows"] = 95
    entry.write_text(json.dumps(data))
    with pytest.raises(
        qf.HistoryError, match=f"{entry.name} is not a valid history log entry: .*entry_sha256"
    ):
        qf.read_history(history)
    entry.write_text("{")
    with pytest.raises(qf.HistoryError, match="not valid JSON"):
        qf.list_history(history)


def test_without_deltalake_a_clear_error_with_the_pip_hint(
    sample: QuantumFrames, history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "deltalake", None)  # import deltalake → ImportError
    for call in (lambda: sample.write_history(history), lambda: qf.read_history(history)):
        with pytest.raises(qf.HistoryError, match=r"pip install 'quantum-frames\[history\]'"):
            call()


def test_importing_quantum_frames_never_imports_deltalake() -> None:
    script = "import sys, quantum_frames\nprint('deltalake' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_sample_season_as_a_history(repo_root: Path, tmp_path: Path) -> None:
    """The season's four snapshots appended in turn: the history answers as the folder does."""
    season = repo_root / "data" / "season"
    history = tmp_path / "history"
    for path in qf.list_snapshots(season / "snapshots")["path"]:
        assert qf.read_snapshot(path).write_history(history).written  # each keeps its as_of
    listed = qf.list_history(history)
    assert listed["as_of"].to_list() == qf.list_snapshots(season / "snapshots")["as_of"].to_list()
    assert listed["teams_changed"].to_list() == [96, 96, 96, 96]
    fixtures = pl.read_parquet(season / "fixtures.parquet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qf.NoSnapshotWarning)
        via_history = qf.point_in_time(fixtures, history)
        via_folder = qf.point_in_time(fixtures, season / "snapshots")
    assert via_history.equals(via_folder)
