"""Progress: a bar when asked (or in a terminal / notebook), silence otherwise; CLI lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import quantum_frames as qf

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def test_progress_bar_on_request_and_silent_by_default_off_a_terminal(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, sample_schema: str, tmp_path: Path
) -> None:
    qf.read_postgres(pg_dsn, schema=sample_schema)  # captured stderr is no terminal: no bar
    assert capsys.readouterr().err == ""
    qf.read_postgres(pg_dsn, schema=sample_schema, progress=True)
    err = capsys.readouterr().err
    assert "read_postgres" in err
    assert "/6 [" in err
    qf.sample().write_snapshot(tmp_path / "s", progress=True)
    assert "write_snapshot" in capsys.readouterr().err
    qf.sample().write_snapshot(tmp_path / "t", progress=False)
    assert capsys.readouterr().err == ""


def test_progress_lines_go_to_a_callable(pg_dsn: str, sample_schema: str) -> None:
    lines: list[str] = []
    qf.read_postgres(pg_dsn, schema=sample_schema, progress=lines.append)
    assert len(lines) == 6
    assert any(line.startswith("fetched qf_sample.team_quantum_dna_v3: 96 rows") for line in lines)
    assert any(line.startswith("flattened teams: 31 JSON columns") for line in lines)


def test_no_bar_for_work_that_ends_within_half_a_second(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantum_frames import _progress

    monkeypatch.setattr(_progress, "interactive", lambda: True)  # as in a terminal
    with _progress.Progress(3, "quick", None) as bar:
        for i in range(3):
            bar.step(f"step {i}")
    assert capsys.readouterr().err == ""  # tqdm's delay: nothing shown
    with _progress.Progress(3, "asked", True) as bar:
        bar.step("step")
    assert "asked" in capsys.readouterr().err  # progress=True: always
