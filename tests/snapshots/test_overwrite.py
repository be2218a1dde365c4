"""overwrite=True replaces only a snapshot, never a user's directory or a folder of them."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

import quantum_frames as qf
from quantum_frames.cli import main
from quantum_frames.errors import InvalidArgumentError
from quantum_frames.snapshots import _swap

if TYPE_CHECKING:
    from pathlib import Path

    from quantum_frames.frames import QuantumFrames


@pytest.fixture(scope="module")
def sample() -> QuantumFrames:
    return qf.sample()


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(proc.stdout)


def test_a_user_directory_is_never_deleted(tmp_path: Path, sample: QuantumFrames) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious")
    with pytest.raises(qf.SnapshotError, match=r"thesis is not a snapshot .*Nothing was written"):
        sample.write_snapshot(mine, overwrite=True)
    assert [p.name for p in mine.iterdir()] == ["chapter1.tex"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis"]


def test_a_folder_of_snapshots_is_never_replaced(
    tmp_path: Path, sample: QuantumFrames, capsys: pytest.CaptureFixture[str], unused_port: int
) -> None:
    folder = tmp_path / "history"
    for day in ("2025-09-01", "2025-10-01", "2025-11-01"):
        sample.write_snapshot(folder / day, as_of=day)
    with pytest.raises(qf.SnapshotError, match=r"is a folder of 3 snapshot\(s\)"):
        sample.write_snapshot(folder, overwrite=True)
    # through the CLI: refused before connecting to the database (the port refuses)
    dsn = f"postgresql://nobody@127.0.0.1:{unused_port}/none"
    code = main(["snapshot", "--dsn", dsn, "--out", str(folder), "--overwrite"])
    assert code == 1
    assert "is a folder of 3 snapshot(s)" in capsys.readouterr().err
    assert qf.list_snapshots(folder).height == 3


def test_a_link_is_not_overwritten(tmp_path: Path, sample: QuantumFrames) -> None:
    real = sample.write_snapshot(tmp_path / "snap", as_of="2025-01-01")
    (tmp_path / "latest").symlink_to("snap", target_is_directory=True)
    with pytest.raises(qf.SnapshotError, match="is a symbolic link"):
        sample.write_snapshot(tmp_path / "latest", overwrite=True)
    assert qf.read_snapshot(real).as_of == datetime(2025, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("atomic", [True, False], ids=["exchange", "aside"])
def test_overwrite_replaces_a_snapshot_and_leaves_nothing_behind(
    tmp_path: Path, sample: QuantumFrames, monkeypatch: pytest.MonkeyPatch, atomic: bool
) -> None:
    if not atomic:
        monkeypatch.setattr(_swap, "exchange", lambda _a, _b: False)
    path = sample.write_snapshot(tmp_path / "snap", as_of="2025-01-01")
    sample.write_snapshot(path, as_of="2025-02-01", overwrite=True)
    assert qf.read_snapshot(path).as_of == datetime(2025, 2, 1, tzinfo=UTC)
    assert [p.name for p in tmp_path.iterdir()] == ["snap"]


def test_a_damaged_snapshot_of_ours_may_be_overwritten(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    path = sample.write_snapshot(tmp_path / "snap", as_of="2025-01-01")
    (path / "teams.parquet").write_bytes(b"junk")
    sample.write_snapshot(path, as_of="2025-02-01", overwrite=True)
    assert qf.read_snapshot(path).as_of == datetime(2025, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize("name", [".snap.aside-{pid}-abcd1234", ".snap.tmp-{pid}-oldabcd1234"])
def test_a_half_done_replacement_is_undone_by_the_next_access(
    tmp_path: Path, sample: QuantumFrames, name: str
) -> None:
    """A writer killed between its two renames left the old snapshot aside.

    The second name is the previous protocol's, which the next write used to delete: the next
    read, listing or write puts it back.
    """
    path = sample.write_snapshot(tmp_path / "snap", as_of="2025-01-01")
    aside = tmp_path / name.format(pid=dead_pid())
    path.rename(aside)
    assert qf.read_snapshot(path).as_of == datetime(2025, 1, 1, tzinfo=UTC)
    path.rename(aside)
    assert qf.list_snapshots(tmp_path)["path"].to_list() == [str(path)]
    path.rename(aside)
    sample.write_snapshot(tmp_path / "other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other", "snap"]
    assert qf.read_snapshot(path).as_of == datetime(2025, 1, 1, tzinfo=UTC)


def test_cli_snapshot_checks_out_and_as_of_before_loading(
    tmp_path: Path, sample: QuantumFrames, capsys: pytest.CaptureFixture[str], unused_port: int
) -> None:
    """The DSN points at a port that refuses.

    A load first would fail with a connection error instead of these.
    """
    dsn = f"postgresql://nobody@127.0.0.1:{unused_port}/none"
    existing = sample.write_snapshot(tmp_path / "snap")
    assert main(["snapshot", "--dsn", dsn, "--out", str(existing)]) == 1
    assert "already exists; nothing was written" in capsys.readouterr().err
    assert main(["snapshot", "--dsn", dsn, "--out", str(tmp_path / "x"), "--as-of", "1st May"]) == 1
    assert "'1st May' is not a date or date-time" in capsys.readouterr().err
    assert main(["snapshot", "--dsn", dsn, "--out", str(tmp_path / "x")]) == 1
    assert "cannot connect" in capsys.readouterr().err  # with good arguments: the load runs


def test_a_malformed_as_of_is_refused_before_anything_is_written(
    tmp_path: Path, sample: QuantumFrames
) -> None:
    with pytest.raises(InvalidArgumentError, match="'1st May' is not a date"):
        sample.write_snapshot(tmp_path / "snap", as_of="1st May")
    assert list(tmp_path.iterdir()) == []
