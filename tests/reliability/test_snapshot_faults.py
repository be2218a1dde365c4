"""Faults during snapshot writes, concurrent readers, and damaged bytes everywhere."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from typing import TYPE_CHECKING

import pytest

import quantum_frames as qf

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# The child writes a snapshot and SIGKILLs itself at the chosen point of the write.
CHILD = """
import os, signal, sys
import polars as pl
import quantum_frames as qf
from quantum_frames.snapshots import writer

point, target = sys.argv[1], sys.argv[2]
q = qf.sample()
calls = {"n": 0}

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_write = pl.DataFrame.write_parquet
def write_parquet(self, *a, **k):
    calls["n"] += 1
    if point == "before_files" and calls["n"] == 1:
        die()
    real_write(self, *a, **k)
    if point == "during_files" and calls["n"] == 3:
        die()
pl.DataFrame.write_parquet = write_parquet

real_json = writer._write_json
def write_json(path, data):
    if point == "after_files":
        die()
    real_json(path, data)
    if point == "after_manifest":
        die()
writer._write_json = write_json

real_publish = writer._publish
def publish(tmp, target, *, overwrite):
    if point == "before_rename":
        die()
    real_publish(tmp, target, overwrite=overwrite)
writer._publish = publish

q.write_snapshot(target)
print("finished")
"""

POINTS = ["before_files", "during_files", "after_files", "after_manifest", "before_rename"]


@pytest.mark.parametrize("point", POINTS)
def test_sigkill_at_any_point_leaves_no_snapshot(tmp_path: Path, point: str) -> None:
    earlier = qf.sample().write_snapshot(tmp_path / "earlier", as_of="2025-01-01")
    before = {p: p.read_bytes() for p in earlier.rglob("*") if p.is_file()}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(tmp_path / "new")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr  # killed, as planned
    assert not (tmp_path / "new").exists()
    assert qf.list_snapshots(tmp_path)["path"].to_list() == [str(earlier)]
    assert {p: p.read_bytes() for p in earlier.rglob("*") if p.is_file()} == before  # untouched
    qf.read_snapshot(tmp_path)  # the folder still reads: the earlier snapshot, verified
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".new.tmp-")]
    assert len(leftovers) <= 1
    qf.sample().write_snapshot(tmp_path / "new")  # the next write cleans up after the dead one
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier", "new"]


# The child overwrites a snapshot and SIGKILLs itself at the chosen step of the swap.
CHILD_OVERWRITE = """
import os, signal, sys
import quantum_frames as qf
from quantum_frames.snapshots import _swap, writer

mode, point, target = sys.argv[1], sys.argv[2], sys.argv[3]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if mode == "aside":  # as on an OS without renameat2
    _swap.exchange = lambda a, b: False

real_swap = writer.swap
def swap(new, old):
    if point == "before_swap":
        die()
    moved = real_swap(new, old)
    if point == "after_swap":  # the old snapshot not yet removed
        die()
    return moved
writer.swap = swap

calls = {"n": 0}
real_fsync = _swap._fsync_dir
def fsync_dir(path):
    calls["n"] += 1
    if point == "first_rename" and calls["n"] == 1:  # aside: the target is not there now
        die()
    real_fsync(path)
    if point == "second_rename" and calls["n"] == 2:
        die()
_swap._fsync_dir = fsync_dir

qf.sample().write_snapshot(target, as_of="2025-02-01", overwrite=True)
print("finished")
"""

OVERWRITE_POINTS = [
    ("exchange", "before_swap", "old"),
    ("exchange", "first_rename", "new"),  # right after the exchange
    ("exchange", "after_swap", "new"),
    ("aside", "first_rename", "old"),  # old set aside, new not in place: undone on access
    ("aside", "second_rename", "new"),  # new in place, old aside: removed on access
]


@pytest.mark.parametrize(("mode", "point", "expected"), OVERWRITE_POINTS)
def test_sigkill_at_any_step_of_an_overwrite_leaves_the_old_or_the_new_snapshot(
    tmp_path: Path, mode: str, point: str, expected: str
) -> None:
    from datetime import UTC, datetime

    target = qf.sample().write_snapshot(tmp_path / "snap", as_of="2025-01-01")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD_OVERWRITE, mode, point, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == -9, proc.stderr  # killed, as planned
    month = 1 if expected == "old" else 2
    assert qf.read_snapshot(target).as_of == datetime(2025, month, 1, tzinfo=UTC)  # verified
    listed = qf.list_snapshots(tmp_path)
    assert listed["path"].to_list() == [str(target)]
    assert listed["problem"].is_null().all()
    qf.sample().write_snapshot(tmp_path / "next")  # the next write cleans up, keeps both
    assert sorted(p.name for p in tmp_path.iterdir()) == ["next", "snap"]
    assert qf.read_snapshot(target).as_of == datetime(2025, month, 1, tzinfo=UTC)


@pytest.mark.parametrize("mode", ["exchange"])
def test_a_reader_always_finds_the_target_during_overwrites(tmp_path: Path, mode: str) -> None:
    """While another process overwrites a snapshot again and again, the target is never missing.

    The swap is one step; every read of it is a whole snapshot, old or new.
    """
    target = qf.sample().write_snapshot(tmp_path / "snap", as_of="2025-01-01")
    script = (
        "import sys, quantum_frames as qf\n"
        "from quantum_frames.snapshots import _swap\n"
        "if sys.argv[2] == 'aside':\n"
        "    _swap.exchange = lambda a, b: False\n"
        "q = qf.sample()\n"
        "for i in range(5):\n"
        "    q.write_snapshot(sys.argv[1], as_of=f'2025-0{i + 2}-01', overwrite=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(target), mode])
    missing = checks = reads = 0
    while proc.poll() is None:
        checks += 1
        if not (target / "manifest.json").exists():
            missing += 1
        elif checks % 500 == 0:
            try:
                qf.read_snapshot(target, verify=False)
                reads += 1
            except qf.SnapshotError:
                pass  # swapped while reading the files: the next read sees the new one
    assert proc.wait() == 0
    assert missing == 0, f"the target was missing at {missing} of {checks} checks"
    assert checks > 1000
    assert reads > 0
    as_of = qf.read_snapshot(target).as_of
    assert as_of is not None
    assert as_of.month == 6


def test_readers_never_see_a_half_written_snapshot(tmp_path: Path) -> None:
    writer_script = (
        "import sys, quantum_frames as qf\n"
        "q = qf.sample()\n"
        "for i in range(6):\n"
        "    q.write_snapshot(f'{sys.argv[1]}/s{i}', as_of=f'2025-0{i + 1}-01')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", writer_script, str(tmp_path)])
    seen: set[str] = set()
    problems: list[str] = []

    def read_while_writing() -> None:
        while proc.poll() is None or len(seen) < 6:
            try:
                for path in qf.list_snapshots(tmp_path)["path"].to_list():
                    if path not in seen:
                        qf.read_snapshot(path)  # verified: every file whole
                        seen.add(path)
            except qf.SnapshotError as exc:
                problems.append(str(exc))
            if proc.poll() is not None and len(seen) >= 6:
                return

    reader = threading.Thread(target=read_while_writing)
    reader.start()
    reader.join(180)
    assert proc.wait(180) == 0
    assert not problems
    assert len(seen) == 6


def test_random_byte_corruption_is_always_a_snapshot_error(tmp_path: Path) -> None:
    """Flip bytes at many offsets of every file: always a SnapshotError naming the file."""
    path = qf.sample().write_snapshot(tmp_path / "snap")
    rng = random.Random(7)
    files = sorted(p for p in path.rglob("*") if p.is_file())
    cases = 0
    for file in files:
        original = file.read_bytes()
        for offset in sorted(rng.sample(range(len(original)), min(12, len(original)))):
            damaged = bytearray(original)
            damaged[offset] ^= 0xFF
            file.write_bytes(bytes(damaged))
            with pytest.raises(qf.SnapshotError) as info:
                qf.read_snapshot(path)
            assert file.name in str(info.value), (file.name, offset, str(info.value))
            cases += 1
        file.write_bytes(original)
    qf.read_snapshot(path)  # restored: whole again
    assert cases >= 12 * len(files)


def test_corrupt_parquet_without_verification_is_still_a_snapshot_error(tmp_path: Path) -> None:
    path = qf.sample().write_snapshot(tmp_path / "snap")
    rng = random.Random(11)
    for rel in ("teams.parquet", "raw/friction.parquet"):
        file = path / rel
        original = file.read_bytes()
        for _ in range(10):  # damage the footer, where Parquet keeps its schema
            damaged = bytearray(original)
            for off in rng.sample(range(len(original) - 200, len(original) - 8), 20):
                damaged[off] = rng.randrange(256)
            file.write_bytes(bytes(damaged))
            try:
                back = qf.read_snapshot(path, verify=False)
            except qf.SnapshotError:
                continue
            # a read that succeeds must still match the manifest's schema and rows
            manifest = json.loads((path / "manifest.json").read_text())
            assert back.teams.height == manifest["tables"]["teams"]["rows"]
        file.write_bytes(original)


def test_disk_full_mid_write_keeps_earlier_snapshots(
    tmp_path: Path, disk_full_at: Callable[[int], None]
) -> None:
    earlier = qf.sample().write_snapshot(tmp_path / "earlier")
    disk_full_at(4)
    with pytest.raises(qf.SnapshotError, match="No space left"):
        qf.sample().write_snapshot(tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["earlier"]
    qf.read_snapshot(earlier)


@pytest.mark.slow
def test_long_corruption_fuzz(tmp_path: Path) -> None:
    """``pytest -m slow``: 300 random multi-byte corruptions per file.

    Each is a SnapshotError naming the file — or, for whitespace in the manifest (same JSON), an
    unchanged read.
    """
    sample = qf.sample()
    path = sample.write_snapshot(tmp_path / "snap")
    rng = random.Random(2026)
    manifest = json.loads((path / "manifest.json").read_text())
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        original = file.read_bytes()
        for _ in range(300):
            damaged = bytearray(original)
            for off in rng.sample(range(len(original)), rng.randint(1, 8)):
                damaged[off] = (damaged[off] + rng.randint(1, 255)) % 256
            file.write_bytes(bytes(damaged))
            message: str | None
            try:
                back = qf.read_snapshot(path)
            except qf.SnapshotError as exc:
                message = str(exc)
            else:
                message = None
            if message is not None:
                assert file.name in message
                continue
            assert file.name == "manifest.json"
            assert (
                json.loads(bytes(damaged).decode("utf-8", "replace")) == manifest
            )  # meaning unchanged
            assert back.teams.equals(sample.teams)
            assert back.raw.teams.equals(sample.raw.teams)
        file.write_bytes(original)
