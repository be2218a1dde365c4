"""A folder of snapshots as a history: one snapshot counts once, two for one moment raise."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.cli import main


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled season folder (4 snapshots)."""
    repo = Path(__file__).resolve().parents[2]
    root = tmp_path_factory.mktemp("season")
    shutil.copy(repo / "data" / "season" / "fixtures.parquet", root / "fixtures.parquet")
    shutil.copytree(repo / "data" / "season" / "snapshots", root / "snapshots")
    return root


@pytest.fixture(scope="module")
def baseline(season: Path) -> pl.DataFrame:
    fixtures = pl.read_parquet(season / "fixtures.parquet")
    return qf.point_in_time(fixtures, season / "snapshots")


def test_a_latest_link_and_a_copy_count_once(
    season: Path, baseline: pl.DataFrame, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(season / "snapshots", tmp_path / "snapshots"))
    (folder / "latest").symlink_to("as-of-2026-02-01", target_is_directory=True)
    shutil.copytree(folder / "as-of-2025-10-01", folder / "copy-of-october")
    fixtures = pl.read_parquet(season / "fixtures.parquet")
    enriched = qf.point_in_time(fixtures, folder)
    assert enriched.height == baseline.height == fixtures.height
    assert enriched.equals(baseline)
    bets = qf.bets_from_strategies(enriched, min_conviction=60)
    same = qf.bets_from_strategies(baseline, min_conviction=60)
    assert qf.backtest(bets)["profit"] == qf.backtest(same)["profit"]
    listed = qf.list_snapshots(folder)
    assert listed.height == 4
    assert listed["problem"].is_null().all()
    assert listed["aliases"].to_list() == [None, "copy-of-october", None, "latest"]
    assert qf.read_snapshot(folder).source["snapshot"] == str(folder / "as-of-2026-02-01")
    assert qf.read_snapshot(folder / "latest").as_of == qf.read_snapshot(folder).as_of


def test_two_different_snapshots_with_one_as_of_raise_naming_both(
    season: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(season / "snapshots", tmp_path / "snapshots"))
    october = qf.read_snapshot(folder / "as-of-2025-10-01")
    october.write_snapshot(folder / "as-of-2025-10-01-rerun", as_of=october.as_of)  # a new id
    both = r"as-of-2025-10-01 \(snapshot season-as-of-2025-10-01\) and as-of-2025-10-01-rerun"
    with pytest.raises(qf.SnapshotError, match=both):
        qf.read_snapshot(folder, as_of="2025-11-01")
    with pytest.raises(qf.SnapshotError, match=both):
        qf.read_snapshot(folder)  # any read of the history: the folder is ambiguous
    fixtures = pl.read_parquet(season / "fixtures.parquet")
    with pytest.raises(qf.SnapshotError, match=both):
        qf.point_in_time(fixtures, folder)
    listed = qf.list_snapshots(folder)  # never fails: says which ones clash
    clashing = listed.filter(pl.col("problem").is_not_null())
    assert sorted(Path(p).name for p in clashing["path"]) == [
        "as-of-2025-10-01",
        "as-of-2025-10-01-rerun",
    ]
    assert clashing["problem"].str.contains("same as_of").all()
    code = main(["backtest", str(season / "fixtures.parquet"), "--snapshots", str(folder)])
    assert code == 1
    err = capsys.readouterr().err
    assert "as-of-2025-10-01-rerun" in err
    assert "season-as-of-2025-10-01" in err


def test_a_link_leaving_the_folder_is_refused(
    season: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "history"
    folder.mkdir()
    outside = Path(shutil.copytree(season / "snapshots" / "as-of-2025-10-01", tmp_path / "far"))
    shutil.copytree(season / "snapshots" / "as-of-2025-08-01", folder / "as-of-2025-08-01")
    (folder / "october").symlink_to(outside, target_is_directory=True)
    with pytest.raises(qf.SnapshotError, match=r"october is a symbolic link to .*far, outside"):
        qf.read_snapshot(folder)
    with pytest.raises(qf.SnapshotError, match="outside its folder"):
        qf.read_snapshot(folder / "october")
    listed = qf.list_snapshots(folder)
    assert listed["problem"].to_list()[0] is None
    assert "outside its folder" in listed["problem"].to_list()[1]
    assert main(["info", str(folder)]) == 0
    assert "october: " in capsys.readouterr().out


def test_both_docstrings_say_both_meanings_of_as_of() -> None:
    """read_snapshot: at or before the day; point_in_time: strictly before the fixture."""
    read_doc, pit_doc = (
        " ".join((f.__doc__ or "").split()) for f in (qf.read_snapshot, qf.point_in_time)
    )
    assert "at or before" in read_doc
    assert "strictly before" in read_doc
    assert "point_in_time" in read_doc
    assert "strictly before" in pit_doc
    assert "at or before" in pit_doc
    assert "read_snapshot" in pit_doc
