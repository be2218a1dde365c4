"""The ``backtest`` subcommand, as a user meets it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from quantum_frames.cli import main

if TYPE_CHECKING:
    from pathlib import Path


def season_args(repo_root: Path, *extra: str) -> list[str]:
    season = repo_root / "data" / "season"
    return ["backtest", str(season / "fixtures.parquet"), "--snapshots", str(season / "snapshots"),
            *extra]  # fmt: skip


@pytest.mark.parametrize("extra", [(), ("--by", "strategy"), ("--format", "json")])
def test_no_bets_is_an_answer_not_a_traceback(
    repo_root: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...]
) -> None:
    assert main(season_args(repo_root, "--min-conviction", "101", *extra)) == 0
    out, err = capsys.readouterr()
    assert "note: no bets to backtest" in err
    assert "Traceback" not in err
    if not extra or extra[0] == "--by":
        assert "no bets placed" in out


def test_kelly_from_the_cli_reports_skipped_bets(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(season_args(repo_root, "--stake", "kelly", "--min-conviction", "60")) == 0
    out = capsys.readouterr().out
    assert "skipped 862 bet(s) with stake 0" in out
    assert "bets 266 " in out


def test_a_misspelt_team_in_a_fixtures_file_is_named(
    repo_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import polars as pl

    season = repo_root / "data" / "season"
    fixtures = pl.read_parquet(season / "fixtures.parquet").head(40)
    typo = fixtures.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("Liverpol"))
        .otherwise("home")
        .alias("home")
    )
    path = tmp_path / "fixtures.parquet"
    typo.write_parquet(path)
    assert main(["backtest", str(path), "--snapshots", str(season / "snapshots")]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 fixture team name(s) match no team" in err
    assert "'Liverpol'" in err


def test_bootstrap_margin_and_periods_from_the_cli(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = season_args(repo_root, "--min-conviction", "60", "--bootstrap", "500", "--margin",
                       "shin", "--by-period", "month")  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "95% intervals: 500 bootstrap resamples of whole dates (" in out
    assert "P(yield ≤ 0)" in out
    assert "yield -5.94% [" in out
    assert "month(s) with bets" in out
    assert "2025-09" in out
    assert main([*args[:-2], "--by-period", "season", "--format", "json"]) == 0
    assert '"period":"2025/26"' in capsys.readouterr().out.replace(" ", "")


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("date,home,away,market,odds\n2025-09-01,A,B,1,2.0\n", "lack column(s) ['result']"),
        ("date,home,away,market,odds,result\n20250901,A,B,1,2.0,win\n", "must hold dates"),
    ],
    ids=["missing-column", "bad-date"],
)
def test_bad_bets_are_a_user_error_not_an_internal_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, named: str
) -> None:
    path = tmp_path / "bets.csv"
    path.write_text(content)
    assert main(["backtest", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("quantum-frames: error: ")
    assert named in err
    assert "Hint:" in err


def test_fixtures_without_a_date_column_are_a_user_error(
    repo_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fixtures.csv"
    path.write_text("day,home,away\n2025-09-01,Liverpool,Everton\n")
    snapshots = repo_root / "data" / "season" / "snapshots"
    assert main(["backtest", str(path), "--snapshots", str(snapshots)]) == 1
    err = capsys.readouterr().err
    assert "lack column 'date'" in err
    assert "Hint: pass on=" in err
