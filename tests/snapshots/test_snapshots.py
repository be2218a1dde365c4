"""Snapshots (SPEC §5): round trips, history, atomic writes and every kind of damage."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.frames import QuantumFrames

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


@pytest.fixture(scope="module")
def sample() -> QuantumFrames:
    return qf.sample()


def assert_same(a: QuantumFrames, b: QuantumFrames) -> None:
    for (name, x), (_, y) in zip(a.tables(), b.tables(), strict=True):
        assert x.schema == y.schema, name
        assert x.equals(y), name
    for (name, x), (_, y) in zip(a.raw.items(), b.raw.items(), strict=True):
        assert x.schema == y.schema, name
        assert x.equals(y), name
    assert a.report.equals(b.report)


def test_round_trip_from_postgres_is_equal_offline_and_verified(
    tmp_path: Path, pg_dsn: str, sample_schema: str
) -> None:
    q = qf.read_postgres(f"{pg_dsn.split('?')[0]}", schema=sample_schema)
    path = q.write_snapshot(tmp_path / "snap", as_of="2025-10-01")
    back = qf.read_snapshot(path)
    assert_same(q, back)
    assert back.as_of == datetime(2025, 10, 1, tzinfo=UTC)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["source"]["kind"] == "postgresql"
    assert manifest["tables"]["teams"]["rows"] == 96
    assert manifest["tables"]["friction"]["flat"]["files"][0]["file"] == "friction.parquet"
    col = next(
        c
        for c in manifest["tables"]["teams"]["flat"]["columns"]
        if c["name"] == "market_dna.best_strategy"
    )
    assert col["path"] == ["best_strategy"]
    assert col["dtype"] == "String"


def test_manifest_and_files_never_hold_a_password(
    tmp_path: Path, pg_dsn: str, sample_schema: str
) -> None:
    q = qf.read_postgres(pg_dsn, schema=sample_schema)
    poisoned = QuantumFrames(**{**q.__dict__, "source": {**q.source, "password": "Hunter2-secret"}})
    path = poisoned.write_snapshot(tmp_path / "snap")
    for file in path.rglob("*"):
        if file.is_file():
            assert b"Hunter2" not in file.read_bytes(), file


@pytest.mark.parametrize("kind", ["flat", "raw"])
def test_parquet_files_point_back_to_their_manifest(
    tmp_path: Path, sample: QuantumFrames, kind: str
) -> None:
    path = sample.write_snapshot(tmp_path / "snap")
    file = path / ("teams.parquet" if kind == "flat" else "raw/teams.parquet")
    pointer = json.loads(pl.read_parquet_metadata(file)["quantum_frames.snapshot"])
    assert pointer["table"] == "teams"
    assert pointer["kind"] == kind
    assert pointer["manifest"] == "../manifest.json"


def test_flat_files_dictionary_encode_repeated_doubles(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    """What makes the flat files small and quick to decode (Arrow's writer, not Polars')."""
    import pyarrow.parquet as pq

    path = sample.write_snapshot(tmp_path / "snap")
    meta = pq.ParquetFile(path / "friction.parquet").metadata
    names = [meta.schema.column(i).name for i in range(meta.num_columns)]
    column = meta.row_group(0).column(names.index("friction_score"))
    assert column.physical_type == "DOUBLE"
    assert "RLE_DICTIONARY" in column.encodings


def test_other_tools_read_the_flat_files_with_the_same_values(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    """The flat files are for DuckDB, pandas, Spark: same rows, columns and values there."""
    import duckdb

    pd = pytest.importorskip("pandas")
    path = sample.write_snapshot(tmp_path / "snap")
    for name, frame in sample.tables():
        file = path / f"{name}.parquet"
        plain = frame.select(c for c, d in frame.schema.items() if d.is_numeric() or d == pl.String)
        relation = duckdb.sql(f"SELECT * FROM read_parquet('{file}')")
        assert relation is not None
        via_duckdb = relation.pl()
        assert via_duckdb.select(plain.columns).equals(plain), name
        via_pandas = pd.read_parquet(file)
        assert list(via_pandas.columns) == frame.columns, name
        assert pl.from_pandas(via_pandas[plain.columns]).equals(plain, null_equal=True), name


def test_every_dtype_round_trips_including_those_arrow_cannot_hold(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    """Flat files go through Arrow's writer; a dtype Arrow lacks (Int128) takes Polars'."""
    from dataclasses import replace
    from datetime import time, timedelta
    from decimal import Decimal

    n = sample.strategies.height
    extra = {
        "big": pl.Series([2**100] * n, dtype=pl.Int128),
        "when": pl.Series([datetime(2025, 1, 1, 12)] * n).dt.replace_time_zone("Europe/Rome"),
        "at": pl.Series([time(1, 2, 3)] * n),
        "lasts": pl.Series([timedelta(days=1)] * n),
        "money": pl.Series([Decimal("1.10")] * n, dtype=pl.Decimal(10, 2)),
        "kind": pl.Series(["a", "b"] * (n // 2) + ["a"] * (n % 2), dtype=pl.Enum(["b", "a"])),
        "none": pl.Series([None] * n, dtype=pl.Null),
        "pair": pl.Series([[1, 2]] * n, dtype=pl.Array(pl.Int64, 2)),
    }
    for with_int128 in (True, False):
        columns = {k: v for k, v in extra.items() if with_int128 or k != "big"}
        strategies = sample.strategies.with_columns(**columns)
        q = replace(sample, strategies=strategies)
        back = qf.read_snapshot(q.write_snapshot(tmp_path / f"snap-{with_int128}"))
        assert back.strategies.schema == strategies.schema
        assert back.strategies.equals(strategies)


def test_reflatten_offline_with_another_separator(sample: QuantumFrames) -> None:
    again = sample.reflatten(separator="__")
    assert "market_dna__empirical_profile__avg_edge" in again.teams.columns
    assert again.teams["market_dna__empirical_profile__avg_edge"].equals(
        sample.teams["market_dna.empirical_profile.avg_edge"].alias(
            "market_dna__empirical_profile__avg_edge"
        )
    )


def test_history_as_of_picks_the_newest_at_or_before(tmp_path: Path, sample: QuantumFrames) -> None:
    for day in ("2025-09-01", "2025-10-01", "2025-11-01"):
        sample.write_snapshot(tmp_path / f"snap-{day}", as_of=day)
    listed = qf.list_snapshots(tmp_path)
    assert listed.height == 3
    assert listed["teams_rows"].to_list() == [96, 96, 96]
    assert qf.read_snapshot(tmp_path, as_of="2025-10-15").as_of == datetime(2025, 10, 1, tzinfo=UTC)
    assert qf.read_snapshot(tmp_path, as_of=date(2025, 10, 1)).as_of == datetime(
        2025, 10, 1, tzinfo=UTC
    )
    assert qf.read_snapshot(tmp_path, as_of=datetime(2025, 9, 30, 23, 59)).as_of == datetime(
        2025, 9, 1, tzinfo=UTC
    )
    assert qf.read_snapshot(tmp_path).as_of == datetime(2025, 11, 1, tzinfo=UTC)
    with pytest.raises(
        qf.SnapshotError,
        match=r"no snapshot .* is as of 2025-08-01 or earlier; the first is as of 2025-09-01",
    ):
        qf.read_snapshot(tmp_path, as_of="2025-08-01")


def test_existing_snapshot_is_never_overwritten_unless_asked(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    path = sample.write_snapshot(tmp_path / "snap", as_of="2025-01-01")
    with pytest.raises(qf.SnapshotError, match=r"already exists.*overwrite=True"):
        sample.write_snapshot(path)
    assert qf.read_snapshot(path).as_of == datetime(2025, 1, 1, tzinfo=UTC)
    sample.write_snapshot(path, as_of="2025-02-01", overwrite=True)
    assert qf.read_snapshot(path).as_of == datetime(2025, 2, 1, tzinfo=UTC)
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


def test_failure_mid_write_leaves_nothing(
    tmp_path: Path, sample: QuantumFrames, disk_full_at: Callable[[int], None]
) -> None:
    disk_full_at(3)
    with pytest.raises(qf.SnapshotError, match=r"No space left on device.*Nothing was written"):
        sample.write_snapshot(tmp_path / "snap")
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_a_killed_writer_are_ignored_and_cleaned(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    leftover = tmp_path / f".snap.tmp-{dead.stdout.strip()}-abcdef12"
    leftover.mkdir()
    (leftover / "teams.parquet").write_bytes(b"partial")
    assert qf.list_snapshots(tmp_path).is_empty()
    with pytest.raises(qf.SnapshotError, match="holds no snapshot"):
        qf.read_snapshot(tmp_path)
    sample.write_snapshot(tmp_path / "snap")
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


def _write_from_child(path: str, barrier: object) -> None:  # pragma: no cover - runs in a child
    q = qf.sample()
    barrier.wait()  # type: ignore[attr-defined]
    try:
        q.write_snapshot(path)
        print("won", flush=True)
    except qf.SnapshotError as exc:
        print("lost", exc, flush=True)
        raise SystemExit(3) from None


def test_two_processes_writing_one_target_exactly_one_wins(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    target = str(tmp_path / "snap")
    procs = [ctx.Process(target=_write_from_child, args=(target, barrier)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    codes = sorted(-1 if p.exitcode is None else p.exitcode for p in procs)
    assert codes == [0, 3]
    qf.read_snapshot(target)  # the winner's snapshot is whole and verified
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("corrupt", r"teams.parquet fails its SHA-256 check"),
        ("truncate", r"raw/teams.parquet has \d+ bytes, the manifest says"),
        ("delete", r"friction.parquet is missing"),
        ("extra", r"notes.txt are not in the manifest"),
        ("manifest_json", r"manifest.json is not valid JSON"),
        (
            "manifest_edit",
            r"not a valid manifest: field tables\.teams\.rows: "
            r"expected a whole number ≥ 0, got text",
        ),
        (
            "manifest_as_of",
            r"not a valid manifest: field manifest_sha256: does not match the manifest's content",
        ),
        ("manifest_escape", r"points outside the snapshot"),
        ("manifest_version", r"field format_version: 99 is not one this version reads"),
    ],
)
def test_damage_is_a_snapshot_error_naming_the_file(
    tmp_path: Path, sample: QuantumFrames, damage: str, message: str
) -> None:
    path = sample.write_snapshot(tmp_path / "snap")
    manifest = json.loads((path / "manifest.json").read_text())
    if damage == "corrupt":
        data = bytearray((path / "teams.parquet").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (path / "teams.parquet").write_bytes(bytes(data))
    elif damage == "truncate":
        whole = (path / "raw" / "teams.parquet").read_bytes()
        (path / "raw" / "teams.parquet").write_bytes(whole[: len(whole) // 2])
    elif damage == "delete":
        (path / "friction.parquet").unlink()
    elif damage == "extra":
        (path / "notes.txt").write_text("hello")
    elif damage == "manifest_json":
        (path / "manifest.json").write_text('{"format": ')
    else:
        if damage == "manifest_edit":
            manifest["tables"]["teams"]["rows"] = "many"
        elif damage == "manifest_as_of":  # a plausible hand edit: still valid JSON and types
            manifest["as_of"] = "2020-01-01T00:00:00Z"
        elif damage == "manifest_escape":
            manifest["tables"]["teams"]["flat"]["files"][0]["file"] = "../../etc/passwd"
        else:
            manifest["format_version"] = 99
        (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(qf.SnapshotError, match=message):
        qf.read_snapshot(path)


def test_unverified_read_of_damaged_parquet_is_still_a_snapshot_error(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    path = sample.write_snapshot(tmp_path / "snap")
    data = (path / "teams.parquet").read_bytes()
    (path / "teams.parquet").write_bytes(data[:100] + b"\0" * (len(data) - 100))
    with pytest.raises(qf.SnapshotError, match="cannot read the flat teams table"):
        qf.read_snapshot(path, verify=False)


@pytest.mark.parametrize("kind", ["missing", "file", "empty"])
def test_bad_paths(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x"
    if kind == "file":
        path.write_text("not a snapshot")
    elif kind == "empty":
        path.mkdir()
    with pytest.raises(
        qf.SnapshotError,
        match={"missing": "does not exist", "file": "is a file", "empty": "holds no snapshot"}[
            kind
        ],
    ):
        qf.read_snapshot(path)
    if kind == "file":
        with pytest.raises(qf.SnapshotError, match="is a file"):
            qf.sample().write_snapshot(path)


def test_partitioned_snapshot_reads_back_equal_and_other_tools_read_it(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    import duckdb

    path = sample.write_snapshot(tmp_path / "snap", partition_by="league")
    assert (path / "teams" / "league=Premier%20League").is_dir()  # Hive escaping, as Spark does
    assert_same(sample, qf.read_snapshot(path))
    relation = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{path}/teams/*/*.parquet', hive_partitioning=true)"
    )
    assert relation is not None
    count = relation.fetchall()
    assert count == [(96,)]


def test_scan_snapshot_is_lazy_and_filters(tmp_path: Path, sample: QuantumFrames) -> None:
    path = sample.write_snapshot(tmp_path / "snap")
    lazy = qf.scan_snapshot(path)
    assert isinstance(lazy.teams, pl.LazyFrame)
    elite = lazy.teams.filter(pl.col("tier") == "ELITE").select("team_name").collect()
    assert elite.height == sample.teams.filter(pl.col("tier") == "ELITE").height


def test_sample_works_from_an_installed_wheel(tmp_path: Path, repo_root: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(repo_root),
        ],
        check=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("quantum_frames-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        assert "quantum_frames/synthetic/snapshot/manifest.json" in names
        assert "quantum_frames/synthetic/schema.sql" in names
        zf.extractall(site)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import quantum_frames as qf; "
        "assert qf.__file__.startswith(sys.argv[1]), qf.__file__; "
        "from quantum_frames.synthetic.seed import schema_ddl; "
        "assert 'CREATE TABLE' in schema_ddl(); "
        "print(qf.sample().teams.height)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(site)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "96"


def test_bundled_sample_is_what_the_generator_builds(tmp_path: Path, sample: QuantumFrames) -> None:
    from quantum_frames.synthetic.build import build_sample

    # the bundled copy must be rebuilt (make sample) when the generator changes
    assert_same(sample, qf.read_snapshot(build_sample(tmp_path / "again")))
