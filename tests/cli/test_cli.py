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


@pytest.fixture(params=["sample", "snapshot", "postgres"])
def source_args(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> list[str]:
    """Every query command runs on the bundled sample, a snapshot, and PostgreSQL."""
    if request.param == "sample":
        return []
    if request.param == "snapshot":
        import quantum_frames as qf

        path = tmp_path_factory.mktemp("cli") / "snap"
        qf.sample().write_snapshot(path)
        return ["--snapshot", str(path)]
    dsn = request.getfixturevalue("pg_dsn")
    schema = request.getfixturevalue("sample_schema")
    return ["--dsn", dsn, "--schema", schema]


def run_json(capsys: pytest.CaptureFixture[str], args: list[str]) -> list[dict[str, object]]:
    import json

    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_query_commands_on_every_source(
    capsys: pytest.CaptureFixture[str], source_args: list[str]
) -> None:
    import quantum_frames as qf

    q = qf.sample()
    teams = run_json(capsys, ["teams", *source_args, "--tier", "elite", "--tag", "GK_*"])
    expected = q.teams_in_tier("ELITE").qf.teams_with_tags("GK_*")["team_name"].to_list()
    assert [t["team_name"] for t in teams] == expected
    [pair] = run_json(capsys, ["friction", *source_args, "LIVERPOOL", "everton"])
    assert pair["friction_score"] == q.friction("Liverpool", "Everton")
    matchups = run_json(capsys, ["matchups", *source_args, "--threshold", "0.8"])
    assert len(matchups) == q.high_friction_matchups(0.8).height
    [chosen] = run_json(
        capsys,
        [
            "strategy",
            *source_args,
            "Liverpool",
            "--context",
            "venue=home",
            "--context",
            "opponent_tier=ELITE",
        ],
    )
    assert (
        chosen["strategy_id"]
        == q.best_strategy("Liverpool", {"venue": "home", "opponent_tier": "ELITE"})["strategy_id"]
    )  # type: ignore[index]
    rows = run_json(capsys, ["sql", *source_args, "SELECT count(*) AS n FROM friction"])
    assert rows == [{"n": 1752}]


@pytest.mark.parametrize("fmt", ["table", "csv", "parquet"])
def test_output_formats(capsys: pytest.CaptureFixture[str], tmp_path: object, fmt: str) -> None:
    from pathlib import Path

    import polars as pl

    out = Path(str(tmp_path)) / f"teams.{fmt}"
    assert main(["teams", "--league", "Serie A", "--format", fmt, "--output", str(out)]) == 0
    if fmt == "parquet":
        assert pl.read_parquet(out).height == 20
    elif fmt == "csv":
        frame = pl.read_csv(out)
        assert frame.height == 20 and frame["narrative_fingerprint_tags"][0].startswith("[")
    else:
        assert "Serie A" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["teams", "--tier", "gold"], "unknown tier 'GOLD'"),
        (["friction", "Liverpol", "Everton"], "did you mean one of these: 'Liverpool'"),
        (["matchups", "--threshold", "7"], "threshold must be a number in [0, 1]"),
        (["sql", "SELECT nope FROM teams"], "DuckDB could not run the query"),
        (["strategy", "Liverpool", "--context", "venue"], "--context takes KEY=VALUE"),
        (["teams", "--columns", "nope"], "--columns: no column"),
    ],
)
def test_query_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_backtest_the_sample_season_from_the_cli(
    capsys: pytest.CaptureFixture[str], repo_root: object, tmp_path: object
) -> None:
    from pathlib import Path

    import polars as pl

    season = Path(str(repo_root)) / "data" / "season"
    out = Path(str(tmp_path)) / "bets.parquet"
    code = main(["backtest", str(season / "fixtures.parquet"), "--snapshots", str(season / "snapshots"),
                 "--stake", "kelly", "--by", "strategy", "--min-conviction", "60", "--output", str(out)])  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert (
        "SYNTHETIC" in captured.err
        and "bets from the strategies chosen point-in-time" in captured.err
    )
    assert "Backtest (kelly stakes" in captured.out and "yield" in captured.out
    assert pl.read_parquet(out).height > 500
    bets_csv = Path(str(tmp_path)) / "bets.csv"
    pl.read_parquet(out).select("date", "home", "away", "market", "odds", "result").write_csv(
        bets_csv
    )
    assert main(["backtest", str(bets_csv), "--format", "json"]) == 0
    assert '"yield"' in capsys.readouterr().out
    assert main(["backtest", str(season / "nope.csv")]) == 1
