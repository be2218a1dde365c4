"""Faults during history appends: SIGKILL at every step, two appenders at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

import quantum_frames as qf

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames

ROOT = Path(__file__).resolve().parents[2]

# The child appends a changed load as moment 1 and SIGKILLs itself at the chosen step.
CHILD = """
import os, signal, sys
from dataclasses import replace
import polars as pl
import quantum_frames as qf
from quantum_frames.history import _log, _writer
from tests.history.conftest import rebuilt

point, target = sys.argv[1], sys.argv[2]
q = rebuilt(replace(qf.sample(), as_of=None), teams=lambda raw: raw.with_columns(
    pl.when(pl.col("team_id") == 1).then(pl.col("roi") + 1).otherwise("roi").alias("roi")))

def die():
    os.kill(os.getpid(), signal.SIGKILL)

real_commit = _writer._commit_table
def commit_table(*args):
    if point == "before_tables":
        die()
    version = real_commit(*args)
    if point == "after_one_table":
        die()
    return version
_writer._commit_table = commit_table

real_changes = _writer._commit_changes
def commit_changes(*args):
    if point == "after_tables":
        die()
    state = real_changes(*args)
    if point == "after_changes":
        die()
    return state
_writer._commit_changes = commit_changes

real_link = os.link
def link(src, dst):
    if point == "before_link":  # the entry is written and fsynced, not yet published
        die()
    real_link(src, dst)
_log.os.link = link

real_publish = _writer._log.publish
def publish(root, moment):
    path = real_publish(root, moment)
    if point == "after_publish":
        die()
    return path
_writer._log.publish = publish

q.write_history(target, as_of="2025-09-10")
print("finished")
"""

POINTS = [
    "before_tables",
    "after_one_table",
    "after_tables",
    "after_changes",
    "before_link",
    "after_publish",
]


def changed(sample: QuantumFrames) -> QuantumFrames:
    from tests.history.conftest import rebuilt

    return rebuilt(
        sample,
        teams=lambda raw: raw.with_columns(
            pl.when(pl.col("team_id") == 1).then(pl.col("roi") + 1).otherwise("roi").alias("roi")
        ),
    )


@pytest.mark.parametrize("point", POINTS)
def test_sigkill_at_every_step_reads_as_the_last_complete_moment(
    sample: QuantumFrames, history: Path, point: str
) -> None:
    sample.write_history(history, as_of="2025-09-01")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(history)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == -9, proc.stderr  # killed, as planned
    later = changed(sample)
    complete = point == "after_publish"
    assert qf.list_history(history)["version"].to_list() == ([0, 1] if complete else [0])
    back = qf.read_history(history)
    assert back.teams.equals(later.teams if complete else sample.teams)
    assert back.raw.teams.equals(later.raw.teams if complete else sample.raw.teams)
    assert back.friction.frame.equals(sample.friction.frame)
    if not complete:  # the next append works, and nothing of the killed one shows
        done = later.write_history(history, as_of="2025-09-10")
        assert done.written
        assert done.moment.version == 1
        assert qf.read_history(history).teams.equals(later.teams)
    got = qf.changes(history, since="2025-09-01")
    assert got.select("table", "key", "change").rows() == [("teams", '{"team_id":1}', "updated")]
    leftovers = [p.name for p in (history / "_qf_history").iterdir() if p.name.startswith(".")]
    assert leftovers == []  # the dead appender's temporary entry was removed


# Two appenders of moment 1: both read moment 0; the first commits its tables and waits at the
# log entry; the second then commits its tables (after the first's, so Delta sees no conflict)
# and both publish at once: the log entry alone decides.
RACER = """
import sys, time
from dataclasses import replace
from pathlib import Path
import polars as pl
import quantum_frames as qf
from quantum_frames.history import _writer
from tests.history.conftest import rebuilt

target, me, other, roi = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4])
second = sys.argv[5] == "second"
q = rebuilt(replace(qf.sample(), as_of=None), teams=lambda raw: raw.with_columns(
    pl.when(pl.col("team_id") == 1).then(pl.lit(roi)).otherwise("roi").alias("roi")))

def wait_for(path):
    deadline = time.monotonic() + 30
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)

real_commit = _writer._commit_table
def commit_table(*args):
    if second:
        wait_for(other)
    return real_commit(*args)
_writer._commit_table = commit_table

real_publish = _writer._log.publish
def publish(root, moment):
    me.touch()
    wait_for(other)
    return real_publish(root, moment)
_writer._log.publish = publish

try:
    done = q.write_history(target, as_of="2025-09-10")
except qf.HistoryError as exc:
    me.touch()
    print(f"error: {exc}")
    sys.exit(3)
print(f"ok {done.moment.version}")
"""


def test_two_appenders_at_once_one_wins_the_other_is_told(
    sample: QuantumFrames, tmp_path: Path
) -> None:
    history = tmp_path / "history"
    sample.write_history(history, as_of="2025-09-01")
    a, b = tmp_path / "a", tmp_path / "b"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(history), str(me), str(other), roi, role],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for me, other, roi, role in ((a, b, "111.0", "first"), (b, a, "222.0", "second"))
    ]
    results = [(p.wait(120), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 3], results
    loser = next(out for code, out, _ in results if code == 3)
    assert "another process appended moment 1" in loser
    assert "append again" in loser
    winner_roi = 111.0 if results[0][0] == 0 else 222.0
    assert qf.list_history(history)["version"].to_list() == [0, 1]
    back = qf.read_history(history)
    assert back.teams.filter(pl.col("team_id") == 1)["roi"].item() == winner_roi
    assert back.raw.teams.filter(pl.col("team_id") == 1)["roi"].item() == winner_roi
    got = qf.changes(history, since="2025-09-01")
    assert got.select("key", "change").rows() == [('{"team_id":1}', "updated")]


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_failed_commit_leaves_no_file_that_no_commit_refers_to(
    sample: QuantumFrames, history: Path, monkeypatch: pytest.MonkeyPatch, when: str
) -> None:
    from deltalake import DeltaTable

    from quantum_frames.history import _writer

    sample.write_history(history, as_of="2025-09-01")
    real = _writer._commit_table

    def fail(*args: Any) -> int:
        if when == "after":  # the commit is made, then something fails: its file stays
            real(*args)
        msg = f"the commit failed {when} committing (simulated)"
        raise OSError(msg)

    monkeypatch.setattr(_writer, "_commit_table", fail)
    with pytest.raises(qf.HistoryError, match="simulated"):
        changed(sample).write_history(history, as_of="2025-09-10")
    tables = ["teams", "friction", "strategies", "raw/teams", "raw/friction", "raw/strategies"]
    for name in [*tables, "changes"]:
        table = DeltaTable(history / name)
        referenced = {
            Path(uri.removeprefix("file://")).name
            for version in range(table.version() + 1)
            for uri in DeltaTable(history / name, version=version).file_uris()
        }
        on_disk = {p.name for p in (history / name).glob("*.parquet")}
        assert on_disk == referenced, name  # every file a version refers to, and no other
    changed_tables = {
        "teams": 2 if when == "after" else 1,
        "raw/teams": 2 if when == "after" else 1,
    }
    for name in tables:
        assert len(list((history / name).glob("*.parquet"))) == changed_tables.get(name, 1), name
    assert qf.read_history(history).teams.equals(sample.teams)  # the moment was not published


@pytest.mark.parametrize("failing", ["change_set", "_commit_table"])
def test_a_failed_first_append_leaves_a_history_the_next_append_takes(
    sample: QuantumFrames, history: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The first append fails after writing files: the folder is a history of no moment yet.

    Appending again works (it was refused as "neither a history nor empty"), and reading it
    before that says there is no moment.
    """
    from quantum_frames.history import _writer

    def fail(*_: Any) -> Any:
        msg = "failed on the first append (simulated)"
        raise OSError(msg)

    # a commit's failure is a HistoryError saying so; the change set's is raised as it is
    expected = (
        pytest.raises(qf.HistoryError, match="holds no moment yet")
        if failing == "_commit_table"
        else pytest.raises(OSError, match="simulated")
    )
    with monkeypatch.context() as patch:
        patch.setattr(_writer, failing, fail)
        with expected:
            sample.write_history(history, as_of="2025-09-01")
    assert any(history.rglob("*.parquet")) or failing == "change_set"  # files were written
    with pytest.raises(qf.HistoryError):
        qf.read_history(history)
    sample.write_history(history, as_of="2025-09-01")
    assert qf.list_history(history)["version"].to_list() == [0]
    assert qf.read_history(history).teams.equals(sample.teams)
