"""The command line: thin, one-line errors, never a password."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

import quantum_frames as qf
from quantum_frames.cli import main


def test_load_prints_a_summary(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, sample_schema: str
) -> None:
    assert main(["load", "--dsn", pg_dsn, "--schema", sample_schema, "--team", "Liverpool"]) == 0
    out = capsys.readouterr().out
    assert "QuantumFrames from postgresql://" in out
    assert "team_name" in out
    assert "Liverpool" in out
    assert "Timings:" in out


def test_seed_db_and_load_round_trip(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, schema: str
) -> None:
    assert main(["seed-db", "--dsn", pg_dsn, "--schema", schema]) == 0
    assert main(["seed-db", "--dsn", pg_dsn, "--schema", schema]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") >= 1
    assert "quantum-frames: error: schema" in err
    assert "--replace" in err
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
    assert "fetched" in captured.err
    assert "team_quantum_dna_v3: 96 rows" in captured.err
    assert "flattened teams" in captured.err
    assert main(["info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "verified" in info
    assert "as of       2025-10-01 00:00:00 UTC" in info
    assert "96 rows" in info
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
    expected = q.teams_in_tier("ELITE").qf.teams_with_tags("GK_*")["team_name"].to_list()  # type: ignore[attr-defined]
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
    best = q.best_strategy("Liverpool", {"venue": "home", "opponent_tier": "ELITE"})
    assert best is not None
    assert chosen["strategy_id"] == best["strategy_id"]
    rows = run_json(capsys, ["sql", *source_args, "SELECT count(*) AS n FROM friction"])
    assert rows == [{"n": 1752}]


@pytest.mark.parametrize("fmt", ["table", "csv", "parquet"])
def test_output_formats(tmp_path: object, fmt: str) -> None:
    from pathlib import Path

    import polars as pl

    out = Path(str(tmp_path)) / f"teams.{fmt}"
    assert main(["teams", "--league", "Serie A", "--format", fmt, "--output", str(out)]) == 0
    if fmt == "parquet":
        assert pl.read_parquet(out).height == 20
    elif fmt == "csv":
        frame = pl.read_csv(out)
        assert frame.height == 20
        assert frame["narrative_fingerprint_tags"][0].startswith("[")
    else:
        assert "Serie A" in out.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["teams", "--tier", "gold"], "--tier: unknown tier 'gold'"),
        (["friction", "Liverpol", "Everton"], "did you mean one of these: 'Liverpool'"),
        (["matchups", "--threshold", "7"], "--threshold: threshold must be in [0, 1]"),
        (["sql", "SELECT nope FROM teams"], "DuckDB could not run the query"),
        (["strategy", "Liverpool", "--context", "venue"], "--context takes KEY=VALUE"),
        (["teams", "--columns", "nope"], "--columns nope is not a column of the teams frame"),
        (["teams", "--tag", "GEGENPRES"], "Or use --no-strict to filter on it anyway."),
        (["teams", "--league", "Seria A"], "unknown league 'Seria A'"),
        (["strategy", "Liverpool", "--context", "venue=Home", "--strict"], "'Home'"),
        (["sql", "SELECT * FROM read_csv('/etc/passwd')"], "use --allow-files"),
        (["seed-db", "--dsn", "postgresql://a@127.0.0.1:9/x", "--scale", "0"], "use --scale 1"),
    ],
)
def test_query_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2  # the sample note, then one line


def test_backtest_the_sample_season_from_the_cli(
    capsys: pytest.CaptureFixture[str], repo_root: object, tmp_path: object
) -> None:
    from pathlib import Path

    import polars as pl

    season = Path(str(repo_root)) / "data" / "season"
    out = Path(str(tmp_path)) / "bets.parquet"
    code = main(
        [
            "backtest", str(season / "fixtures.parquet"), "--snapshots", str(season / "snapshots"),
            "--stake", "kelly", "--by", "strategy", "--min-conviction", "60", "--output", str(out),
        ]
    )  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    assert "SYNTHETIC" in captured.err
    assert "bets from the strategies chosen point-in-time" in captured.err
    assert "Backtest (kelly stakes" in captured.out
    assert "yield" in captured.out
    assert pl.read_parquet(out).height > 500
    bets_csv = Path(str(tmp_path)) / "bets.csv"
    pl.read_parquet(out).select("date", "home", "away", "market", "odds", "result").write_csv(
        bets_csv
    )
    assert main(["backtest", str(bets_csv), "--format", "json"]) == 0
    assert '"yield"' in capsys.readouterr().out
    assert main(["backtest", str(season / "nope.csv")]) == 1


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, in a fresh process."""
    import os

    return subprocess.run(
        [sys.executable, "-m", "quantum_frames.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_sql_errors_are_one_line_through_the_real_command() -> None:
    proc = run_cli("sql", "SELECT nope FROM teams")
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("quantum-frames:")]
    assert len(errors) == 1
    assert '"nope" not found' in errors[0]
    assert len(proc.stderr.strip().splitlines()) == 2  # the sample note + that line
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_works_before_or_after_the_subcommand(where: str) -> None:
    args = ["friction", "Liverpol", "Everton"]
    proc = run_cli(*(["--debug", *args] if where == "before" else [*args, "--debug"]))
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert "UnknownTeamError" in proc.stderr
    plain = run_cli(*args)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr


def test_an_internal_error_is_one_line_without_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import quantum_frames.readers

    def broken() -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(quantum_frames.readers, "sample", broken)
    assert main(["teams"]) == 70
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: boom second line)" in err
    assert "--debug" in err
    assert "Traceback" not in err
    with pytest.raises(RuntimeError, match="boom"):
        main(["teams", "--debug"])


def test_hints_speak_cli_words(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from quantum_frames.cli import cli_message

    monkeypatch.delenv("QF_DSN", raising=False)
    assert main(["load"]) == 1
    err = capsys.readouterr().err
    assert "Hint: use --dsn postgresql://user@host:5432/dbname" in err
    assert "dsn=" not in err
    collision = qf.FlattenCollisionError(column="c", name="a.b", paths=(("a", "b"), ("a.b",)))
    assert "Hint: use --separator __ (or another" in cli_message(collision)
    assert "separator='__'" in str(collision)  # Python words in Python


def test_seed_db_hint_says_replace_flag(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, schema: str
) -> None:
    assert main(["seed-db", "--dsn", pg_dsn, "--schema", schema]) == 0
    capsys.readouterr()
    assert main(["seed-db", "--dsn", pg_dsn, "--schema", schema]) == 1
    err = capsys.readouterr().err
    assert "Hint: use --replace to drop" in err
    assert "replace=True" not in err


def test_a_friction_pair_without_a_row_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["friction", "PSG", "Spurs"]) == 1  # Ligue 1 v Premier League: no row
    captured = capsys.readouterr()
    assert "no friction for PSG → Spurs" in captured.err
    assert captured.out == ""
    assert main(["friction", "Spurs", "Man Utd", "--format", "json"]) == 0
    assert '"friction_score"' in capsys.readouterr().out


def test_load_team_uses_the_team_lookup(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, sample_schema: str
) -> None:
    base = ["load", "--dsn", pg_dsn, "--schema", sample_schema]
    for name, shown in (("liverpool", "Liverpool"), ("Spurs", "Tottenham Hotspur")):
        assert main([*base, "--team", name]) == 0
        out = capsys.readouterr().out
        assert (
            f"team_name  {shown}" in " ".join(out.split("  "))
            or shown in out.split("One team")[1].splitlines()[1]
        )
    assert main([*base, "--team", "Liverpol"]) == 1
    err = capsys.readouterr().err
    assert "unknown team 'Liverpol'" in err
    assert "'Liverpool'" in err


def test_strategy_context_warning_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["strategy", "Liverpool", "--context", "venu=home", "--format", "json"]) == 0
    err = capsys.readouterr().err
    assert "quantum-frames: warning: the context would pick" in err
    assert "'venu'" in err


def test_sql_allow_files(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    from pathlib import Path

    csv = Path(str(tmp_path)) / "x.csv"
    csv.write_text("a\n1\n")
    assert (
        main(["sql", f"SELECT * FROM read_csv('{csv}')", "--allow-files", "--format", "json"]) == 0
    )
    assert '"a":1' in capsys.readouterr().out.replace(" ", "")


def test_snapshot_overwrite_hint_says_the_flag(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, sample_schema: str, tmp_path: object
) -> None:
    from pathlib import Path

    args = ["snapshot", "--dsn", pg_dsn, "--schema", sample_schema, "--out"]
    out = str(Path(str(tmp_path)) / "snap")
    assert main([*args, out]) == 0
    capsys.readouterr()
    assert main([*args, out]) == 1
    err = capsys.readouterr().err
    assert "Hint: use --overwrite to replace it" in err
    assert "overwrite=True" not in err
    assert main([*args, out, "--overwrite"]) == 0


def test_season_and_no_consistent_reach_read_postgres(
    capsys: pytest.CaptureFixture[str], pg_dsn: str, schema: str, tmp_path: object
) -> None:
    import psycopg

    from tests.source.test_seasons import seed_seasons

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        seed_seasons(conn, schema)
    base = ["--dsn", pg_dsn, "--schema", schema]
    old = run_json(capsys, ["friction", "Home", "Away", *base, "--season", "2024-2025"])
    assert old == [{"home": "Home", "away": "Away", "friction_score": 0.2, "season": "2024-2025"}]
    assert run_json(capsys, ["friction", "Home", "Away", *base])[0]["friction_score"] == 0.8
    rows = run_json(capsys, ["sql", "SELECT count(*) AS n FROM friction", *base, "--season",
                             "2024-2025", "--no-consistent"])  # fmt: skip
    assert rows == [{"n": 2}]
    out = f"{tmp_path}/snap"
    args = ["snapshot", *base, "--out", out, "--season", "2025-2026", "--no-consistent"]
    assert main(args) == 0
    q = qf.read_snapshot(out)
    assert q.source["season"] == "2025-2026"
    assert q.source["moment"]["consistent"] is False
    assert q.raw.friction.height == 1


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["teams", "--season", "2025-2026"], "--season 2025-2026 selects the friction season"),
        (["sql", "SELECT 1", "--no-consistent"], "--no-consistent says how PostgreSQL is read"),
    ],
)
def test_read_options_without_postgres_are_refused_not_ignored(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    named: str,
) -> None:
    monkeypatch.delenv("QF_DSN", raising=False)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert named in err
    assert "reads the bundled sample" in err
    assert "Hint: pass --dsn" in err


def test_friction_season_looks_in_that_season(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_json(capsys, ["friction", "Liverpool", "Everton", "--season", "2025-2026"])
    assert main(["friction", "Liverpool", "Everton", "--season", "1999-2000"]) == 1
    assert "unknown season '1999-2000'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["friction", "Liverpool", "Everton", "--season", "2025-2026"],
        ["--debug", "teams", "--tier", "ELITE"],
        ["strategy", "Liverpool", "--context", "venue=home", "--format", "json"],
        ["sql", "select 1"],
        ["history", "list", "/tmp/h"],
        ["info", "--debug", "/tmp/s"],
    ],
)
def test_a_command_parses_the_same_with_only_its_parser_built(argv: list[str]) -> None:
    from quantum_frames.cli import _parser

    one, every = _parser(argv), _parser(None)
    (commands,) = [a for a in one._actions if isinstance(a, argparse._SubParsersAction)]
    assert list(commands.choices) == [argv[argv[0] == "--debug"]]  # only the one command built
    assert vars(one.parse_args(argv)) == vars(every.parse_args(argv))


@pytest.mark.parametrize("argv", [["--help"], ["-h", "teams"], ["--help", "history", "list"]])
def test_help_and_a_mistyped_command_list_every_command(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    shown = capsys.readouterr().out
    for command in ("load", "snapshot", "friction", "backtest", "history", "seed-db"):
        assert command in shown
    with pytest.raises(SystemExit):
        main(["frictoin", "Liverpool", "Everton"])
    err = capsys.readouterr().err
    assert "invalid choice: 'frictoin'" in err
    assert "friction" in err.split("invalid choice")[1]


@pytest.mark.parametrize("argv", [["-", "teams"], ["--", "teams"], ["--debug", "-h", "teams"]])
def test_anything_before_the_command_is_read_with_every_command_built(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    out = capsys.readouterr()
    assert "seed-db" in out.out + out.err  # the choices (or the help) list every command
