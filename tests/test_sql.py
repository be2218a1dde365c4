"""q.sql and q.to_duckdb: DuckDB over the frames."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

import quantum_frames as qf


def test_sql_sees_all_tables_and_quoted_flat_names() -> None:
    q = qf.sample()
    out = q.sql(
        'SELECT t.team_name, t."market_dna.best_strategy" AS best, count(*) AS pairs '
        "FROM teams t JOIN friction f ON f.team_home_id = t.team_id "
        "JOIN raw_teams r ON r.team_id = t.team_id GROUP BY ALL ORDER BY t.team_name LIMIT 3"
    )
    assert out.columns == ["team_name", "best", "pairs"]
    assert out.height == 3
    assert q.sql("SELECT count(*) AS n FROM strategies")["n"].item() == q.strategies.height


def test_sql_error_carries_duckdbs_message_and_the_query() -> None:
    q = qf.sample()
    with pytest.raises(qf.SqlError, match=r'"nope" not found.*Hint: tables are teams') as info:
        q.sql("SELECT nope FROM teams")
    assert info.value.query == "SELECT nope FROM teams"
    assert "\n" not in str(info.value)  # one line, for the CLI too
    with pytest.raises(ValueError, match="non-empty"):
        q.sql("  ")


def test_to_duckdb_writes_flat_tables_and_json_views(tmp_path: Path) -> None:
    q = qf.sample()
    path = q.to_duckdb(tmp_path / "q.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM teams").fetchall() == [(96,)]
        best = con.sql(
            "SELECT json_extract_string(market_dna, '$.best_strategy') FROM raw_teams ORDER BY team_id LIMIT 1"
        ).fetchall()
        assert best == [(q.teams.sort("team_id")["market_dna.best_strategy"][0],)]
        flat = con.sql(
            'SELECT "market_dna.empirical_profile.avg_edge" AS e FROM teams ORDER BY team_id'
        ).pl()
    assert flat["e"].equals(
        q.teams.sort("team_id")["market_dna.empirical_profile.avg_edge"].alias("e")
    )
    with pytest.raises(qf.QuantumFramesError, match="already exists"):
        q.to_duckdb(path)
    q.to_duckdb(path, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["q.duckdb"]


def test_sql_does_not_touch_the_frames() -> None:
    q = qf.sample()
    before = q.teams.clone()
    q.sql("SELECT * FROM teams")
    assert q.teams.equals(before)
    assert isinstance(q.sql("SELECT 1 AS x"), pl.DataFrame)
