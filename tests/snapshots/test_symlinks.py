"""Reading never follows a symbolic link out of a snapshot, verified or not."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import quantum_frames as qf
from quantum_frames.snapshots.manifest import manifest_digest, sha256_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from quantum_frames.frames import QuantumFrames


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return qf.sample().write_snapshot(tmp_path_factory.mktemp("orig") / "snap")


@pytest.fixture(scope="module")
def other() -> QuantumFrames:
    """Outside data: the sample with one team fewer."""
    from dataclasses import replace

    q = qf.sample()
    return replace(q, teams=q.teams.head(95))


def link_table_file(snap: Path, outside: Path) -> None:
    """teams.parquet → a file outside, the manifest crafted to carry its size and hash."""
    target = outside / "teams.parquet"
    (snap / "teams.parquet").unlink()
    (snap / "teams.parquet").symlink_to(target)
    data = json.loads((snap / "manifest.json").read_text())
    entry = data["tables"]["teams"]["flat"]["files"][0]
    entry |= {"bytes": target.stat().st_size, "sha256": sha256_of(target)}
    data["tables"]["teams"]["rows"] = 95
    data["manifest_sha256"] = manifest_digest(data)
    (snap / "manifest.json").write_text(json.dumps(data))


def link_raw_directory(snap: Path, outside: Path) -> None:
    shutil.rmtree(snap / "raw")
    (snap / "raw").symlink_to(outside / "raw", target_is_directory=True)


def link_manifest(snap: Path, outside: Path) -> None:
    (snap / "manifest.json").unlink()
    (snap / "manifest.json").symlink_to(outside / "manifest.json")


DAMAGE: dict[str, Callable[[Path, Path], None]] = {
    "table file": link_table_file,
    "raw directory": link_raw_directory,
    "manifest": link_manifest,
}


@pytest.mark.parametrize("what", list(DAMAGE))
@pytest.mark.parametrize(
    "read",
    [
        lambda p: qf.read_snapshot(p),
        lambda p: qf.read_snapshot(p, verify=False),
        lambda p: qf.scan_snapshot(p),
        lambda p: qf.scan_snapshot(p, verify=True),
    ],
    ids=["verified", "verify=False", "scan", "scan-verified"],
)
def test_a_link_inside_a_snapshot_is_refused(
    tmp_path: Path,
    original: Path,
    other: QuantumFrames,
    what: str,
    read: Callable[[Path], object],
) -> None:
    outside = other.write_snapshot(tmp_path / "outside")
    snap = Path(shutil.copytree(original, tmp_path / "snap"))
    DAMAGE[what](snap, outside)
    with pytest.raises(qf.SnapshotError, match="is a symbolic link"):
        read(snap)


def test_a_latest_alias_in_the_same_folder_reads(tmp_path: Path, original: Path) -> None:
    real = Path(shutil.copytree(original, tmp_path / "snap-2025"))
    (tmp_path / "latest").symlink_to("snap-2025", target_is_directory=True)
    q = qf.read_snapshot(tmp_path / "latest")
    assert q.teams.equals(qf.read_snapshot(real).teams)
    assert qf.scan_snapshot(tmp_path / "latest").teams.collect().height == 96


def test_a_linked_manifest_is_listed_as_a_problem_not_read(
    tmp_path: Path, original: Path, other: QuantumFrames
) -> None:
    """Listing reads only manifests: one that is a link is refused there too, never read."""
    outside = other.write_snapshot(tmp_path / "outside" / "snap", as_of="2030-01-01")
    folder = tmp_path / "history"
    snap = Path(shutil.copytree(original, folder / "snap"))
    link_manifest(snap, outside)
    listed = qf.list_snapshots(folder)
    assert listed["as_of"].to_list() == [None]
    assert "is a symbolic link" in listed["problem"][0]


def test_the_cli_refuses_a_linked_table_file(
    tmp_path: Path, original: Path, other: QuantumFrames, capsys: pytest.CaptureFixture[str]
) -> None:
    from quantum_frames.cli import main

    outside = other.write_snapshot(tmp_path / "outside")
    snap = Path(shutil.copytree(original, tmp_path / "snap"))
    link_table_file(snap, outside)
    for args in (["info", str(snap)], ["info", "--no-verify", str(snap)]):
        assert main(args) == 1
        assert "teams.parquet is a symbolic link" in capsys.readouterr().err
    assert main(["teams", "--snapshot", str(snap)]) == 1
    assert "is a symbolic link" in capsys.readouterr().err
