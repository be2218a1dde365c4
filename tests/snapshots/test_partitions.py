"""Hive-partitioned snapshots read as they are by pandas, pyarrow.dataset and DuckDB."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.errors import InvalidArgumentError
from quantum_frames.snapshots.manifest import manifest_digest

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames


@pytest.fixture(scope="module")
def sample() -> QuantumFrames:
    return qf.sample()


@pytest.fixture(scope="module")
def partitioned(sample: QuantumFrames, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample.write_snapshot(tmp_path_factory.mktemp("p") / "snap", partition_by="league")


def plain(frame: pl.DataFrame) -> pl.DataFrame:
    """The columns every tool holds alike (numbers and text), rows in key order."""
    keep = [c for c, d in frame.schema.items() if d.is_numeric() or d == pl.String]
    return frame.select(keep).sort(frame.columns[0])


def same_rows_and_columns(got: pl.DataFrame, frame: pl.DataFrame) -> None:
    assert sorted(got.columns) == sorted(frame.columns)  # no private column, none missing
    assert got.height == frame.height
    want = plain(frame)
    assert got.select(want.columns).sort(frame.columns[0]).equals(want, null_equal=True)


def test_read_back_equal_in_order(partitioned: Path, sample: QuantumFrames) -> None:
    back = qf.read_snapshot(partitioned)
    for (name, x), (_, y) in zip(sample.tables(), back.tables(), strict=True):
        assert x.schema == y.schema, name
        assert x.equals(y), name
    assert (partitioned / "teams" / "league=Premier%20League" / "part-0.parquet").is_file()
    lazy = qf.scan_snapshot(partitioned)
    assert lazy.teams.collect().equals(sample.teams)
    assert lazy.teams.filter(pl.col("league") == "Serie A").collect().height == (
        sample.teams.filter(pl.col("league") == "Serie A").height
    )


def test_the_files_hold_neither_the_partition_column_nor_a_private_one(partitioned: Path) -> None:
    for file in (partitioned / "teams").rglob("*.parquet"):
        names = pl.read_parquet_schema(file)
        assert "league" not in names
        assert not any(n.startswith("__") for n in names)


@pytest.mark.parametrize("name", ["teams", "friction", "strategies"])
def test_pandas_reads_the_table_directory(
    partitioned: Path, sample: QuantumFrames, name: str
) -> None:
    pd = pytest.importorskip("pandas")
    frame = getattr(sample, name)
    got = pd.read_parquet(partitioned / name)
    got["league"] = got["league"].astype(str)  # pandas reads partition values as a category
    same_rows_and_columns(pl.from_pandas(got[plain(frame).columns]), plain(frame))
    assert sorted(got.columns) == sorted(frame.columns)


@pytest.mark.parametrize("name", ["teams", "friction", "strategies"])
def test_pyarrow_dataset_reads_the_table_directory(
    partitioned: Path, sample: QuantumFrames, name: str
) -> None:
    import pyarrow.dataset as ds

    got = pl.from_arrow(ds.dataset(partitioned / name, partitioning="hive").to_table())
    assert isinstance(got, pl.DataFrame)
    same_rows_and_columns(got, getattr(sample, name))


@pytest.mark.parametrize("name", ["teams", "friction", "strategies"])
def test_duckdb_reads_the_table_directory(
    partitioned: Path, sample: QuantumFrames, name: str
) -> None:
    import duckdb

    glob = f"{partitioned}/{name}/**/*.parquet"
    relation = duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")
    assert relation is not None
    got = relation.pl()
    same_rows_and_columns(got, getattr(sample, name))


def test_an_integer_partition_column_comes_back_with_its_dtype(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    teams = sample.teams.with_columns(pl.col("tier_rank").cast(pl.Int16))
    q = replace(sample, teams=teams)
    back = qf.read_snapshot(q.write_snapshot(tmp_path / "snap", partition_by="tier_rank"))
    assert back.teams.schema == teams.schema
    assert back.teams.equals(teams)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, r"column 'league' of teams holds 1 null\(s\)"),
        ("__HIVE_DEFAULT_PARTITION__", r"holds 1 value\(s\) '' or '__HIVE_DEFAULT_PARTITION__'"),
        ("", r"holds 1 value\(s\) ''"),
    ],
)
def test_values_a_partition_cannot_hold_are_refused_up_front(
    tmp_path: Path, sample: QuantumFrames, value: str | None, message: str
) -> None:
    teams = sample.teams.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit(value, pl.String)).otherwise("league")
        .alias("league")
    )  # fmt: skip
    with pytest.raises(InvalidArgumentError, match=message):
        replace(sample, teams=teams).write_snapshot(tmp_path / "snap", partition_by="league")
    assert list(tmp_path.iterdir()) == []


def test_a_misspelt_partition_column_names_the_columns(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    with pytest.raises(InvalidArgumentError, match=r"no table has a column 'leage'.*'league'"):
        sample.write_snapshot(tmp_path / "snap", partition_by="leage")
    assert list(tmp_path.iterdir()) == []


def test_a_table_out_of_key_order_is_refused(tmp_path: Path, sample: QuantumFrames) -> None:
    q = replace(sample, teams=sample.teams.reverse())
    with pytest.raises(InvalidArgumentError, match="not in ascending order of a unique 'team_id'"):
        q.write_snapshot(tmp_path / "snap", partition_by="league")
    q.write_snapshot(tmp_path / "snap")  # unpartitioned: any order is kept


def test_a_format_1_partitioned_snapshot_still_reads(tmp_path: Path, sample: QuantumFrames) -> None:
    """Format 1 kept the partition column in the files and the order in ``__qf_row``."""
    snap = sample.write_snapshot(tmp_path / "snap", partition_by="league")
    data = json.loads((snap / "manifest.json").read_text())
    for name, frame in sample.tables():
        part = data["tables"][name]["flat"]
        for entry in part["files"]:
            (snap / entry["file"]).unlink()
        frame.with_row_index("__qf_row").write_parquet(
            snap / name, partition_by="league", mkdir=True
        )
        files = sorted((snap / name).rglob("*.parquet"))
        part["files"] = [
            {
                "file": f.relative_to(snap).as_posix(),
                "bytes": f.stat().st_size,
                "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
            }
            for f in files
        ]
        part.pop("order_by")
    for file in snap.rglob("*"):
        if file.is_dir() and not any(file.iterdir()):
            file.rmdir()
    data["format_version"] = 1
    data["manifest_sha256"] = manifest_digest(data)
    (snap / "manifest.json").write_text(json.dumps(data))
    back = qf.read_snapshot(snap)
    for (name, x), (_, y) in zip(sample.tables(), back.tables(), strict=True):
        assert x.schema == y.schema, name
        assert x.equals(y), name
    assert qf.scan_snapshot(snap).friction.collect().equals(sample.friction.frame)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Serie B", r"files\[0\]\.partition: does not match the path"),  # the directory says A
        (None, r"files\[0\]\.partition\.league: expected non-empty text, got null"),
    ],
)
def test_partition_values_must_agree_with_the_directory_names(
    tmp_path: Path, partitioned: Path, value: str | None, message: str
) -> None:
    """A manifest that disagrees with the directory names is refused, not read two ways.

    Other tools read the values from the directory names, we from the manifest.
    """
    import shutil

    snap = Path(shutil.copytree(partitioned, tmp_path / "snap"))
    data = json.loads((snap / "manifest.json").read_text())
    data["tables"]["teams"]["flat"]["files"][0]["partition"]["league"] = value
    data["manifest_sha256"] = manifest_digest(data)
    (snap / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(qf.ManifestError, match=message):
        qf.scan_snapshot(snap)


def test_a_partition_value_not_of_its_dtype_is_refused_before_scanning(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    import shutil

    teams = sample.teams.with_columns(pl.col("tier_rank").cast(pl.Int16))
    snap = replace(sample, teams=teams).write_snapshot(tmp_path / "s", partition_by="tier_rank")
    bad = Path(shutil.copytree(snap, tmp_path / "bad"))
    data = json.loads((bad / "manifest.json").read_text())
    entry = data["tables"]["teams"]["flat"]["files"][0]
    old_dir = entry["file"].split("/")[1]
    new_file = entry["file"].replace(old_dir, "tier_rank=x")
    (bad / new_file).parent.mkdir(parents=True)
    (bad / entry["file"]).rename(bad / new_file)
    (bad / entry["file"]).parent.rmdir()
    entry |= {"file": new_file, "partition": {"tier_rank": "x"}}
    data["manifest_sha256"] = manifest_digest(data)
    (bad / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(qf.SnapshotError, match=r"partition value 'x' is not a Int16"):
        qf.scan_snapshot(bad)
    with pytest.raises(qf.SnapshotError, match="tier_rank"):
        qf.read_snapshot(bad)


def test_the_cli_names_the_columns_of_a_misspelt_partition(
    tmp_path: Path, pg_dsn: str, sample_schema: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantum_frames.cli import main

    out = tmp_path / "snap"
    args = ["snapshot", "--dsn", pg_dsn, "--schema", sample_schema, "--out", str(out)]
    assert main([*args, "--partition-by", "leage"]) == 1
    err = capsys.readouterr().err
    assert "no table has a column 'leage'" in err
    assert "'league'" in err
    assert not out.exists()
