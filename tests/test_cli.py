"""The command line: thin, one-line errors, never a password."""

from __future__ import annotations

import subprocess
import sys

import pytest

from quantum_frames.cli import main


def test_load_prints_a_summary(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, sample_schema: str
) -> None:
    assert main(["load", "--dsn", pg_dsn, "--schema", sample_schema, "--team", "Liverpool"]) == 0
    out = capsys.readouterr().out
    assert "QuantumFrames from postgresql://" in out
    assert "team_name" in out and "Liverpool" in out
    assert "Timings:" in out


def test_seed_db_and_load_round_trip(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, schema: str
) -> None:
    assert main(["seed-db", "--dsn", pg_dsn, "--schema", schema]) == 0
    assert main(["seed-db", "--dsn", pg_dsn, "--schema", schema]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") >= 1 and "quantum-frames: error: schema" in err and "--replace" in err
    assert main(["seed-db", "--dsn", pg_dsn, "--schema", schema, "--replace"]) == 0


def test_errors_are_one_line_without_traceback_or_password(unused_port: int) -> None:
    dsn = f"postgresql://ana:Hunter2-secret@127.0.0.1:{unused_port}/prod?connect_timeout=2"
    proc = subprocess.run(
        [sys.executable, "-m", "quantum_frames.cli", "load", "--dsn", dsn],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("quantum-frames: error: cannot connect to PostgreSQL at")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert "Hunter2" not in proc.stderr + proc.stdout


def test_snapshot_then_info(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, sample_schema: str, tmp_path: object
) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "snap"
    code = main(
        [
            "snapshot",
            "--dsn",
            pg_dsn,
            "--schema",
            sample_schema,
            "--out",
            str(out),
            "--as-of",
            "2025-10-01",
        ]
    )
    assert code == 0
    captured = capsys.readouterr()
    assert "fetched" in captured.err and "team_quantum_dna_v3: 96 rows" in captured.err
    assert "flattened teams" in captured.err
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert (
        "verified" in info and "as of       2025-10-01 00:00:00 UTC" in info and "96 rows" in info
    )
    assert main(["info", str(out.parent)]) == 0
    assert "1 snapshot(s)" in capsys.readouterr().out
    (out / "teams.parquet").write_bytes(b"junk")
    assert main(["info", str(out)]) == 1
    assert "teams.parquet" in capsys.readouterr().err
