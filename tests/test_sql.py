"""q.sql and q.to_duckdb: DuckDB over the frames."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl
import pytest

import quantum_frames as qf

if TYPE_CHECKING:
    from pathlib import Path


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
            "SELECT json_extract_string(market_dna, '$.best_strategy') "
            "FROM raw_teams ORDER BY team_id LIMIT 1"
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


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "COPY teams TO '{tmp}/out.csv'",
        "ATTACH '{tmp}/other.duckdb' AS other",
        "EXPORT DATABASE '{tmp}/export'",
        "INSTALL httpfs",
        "LOAD httpfs",
        "SET enable_external_access = true",
        "SET lock_configuration = false",
    ],
)
def test_sql_is_locked_down_by_default(tmp_path: Path, query: str) -> None:
    q = qf.sample()
    with pytest.raises(qf.SqlError, match="DuckDB could not run the query"):
        q.sql(query.format(tmp=tmp_path))
    assert list(tmp_path.iterdir()) == []  # nothing was written
    assert q.sql("SELECT count(*) AS n FROM teams")["n"].item() == 96  # still usable


def test_file_access_is_an_explicit_opt_in(tmp_path: Path) -> None:
    q = qf.sample()
    with pytest.raises(qf.SqlError, match="allow_files=True"):
        q.sql(f"COPY (SELECT 1 AS x) TO '{tmp_path}/x.csv'")
    q.sql(f"COPY (SELECT 1 AS x) TO '{tmp_path}/x.csv'", allow_files=True)
    assert (tmp_path / "x.csv").read_text().splitlines() == ["x", "1"]
    with pytest.raises(qf.SqlError):
        q.sql("INSTALL httpfs", allow_files=True)  # extensions stay off


def test_sql_registers_the_frames_once_per_quantum_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    import quantum_frames.sql as sql_module

    calls = []
    real = sql_module._register

    def counted(con: Any, q: Any) -> Any:
        calls.append(q)
        return real(con, q)

    monkeypatch.setattr(sql_module, "_register", counted)
    q = qf.sample()
    for _ in range(3):
        q.sql("SELECT 1")
    assert len(calls) == 1
    other = q.reflatten(separator="__")
    assert "market_dna__best_strategy" in other.sql("SELECT * FROM teams LIMIT 1").columns
    assert len(calls) == 2  # a new QuantumFrames registers its own frames


def test_sql_params_lazy_and_the_frames_dtypes() -> None:
    q = qf.sample()
    n = q.sql("SELECT count(*) AS n FROM teams WHERE league = ?", params=["Serie A"])
    assert n["n"].item() == 20
    named = q.sql("SELECT team_name FROM teams WHERE team_name = $t", params={"t": "Liverpool"})
    assert named["team_name"].to_list() == ["Liverpool"]
    lazy = q.sql("SELECT team_name, created_at FROM teams ORDER BY team_id", lazy=True)
    assert isinstance(lazy, pl.LazyFrame)
    out = lazy.collect()
    assert out.schema["created_at"] == q.teams.schema["created_at"]  # UTC, not Etc/UTC
    assert pl.concat([out, q.teams.select(out.columns)]).height == 192


def test_to_duckdb_quotes_every_identifier(tmp_path: Path) -> None:
    raw = qf.sample().raw
    teams = raw.teams.with_columns(pl.lit('{"a": 1}').alias('we"ird'))
    q = qf.build_frames(
        qf.SourceTables(teams=teams, friction=raw.friction, strategies=raw.strategies)
    )
    path = q.to_duckdb(tmp_path / "q.duckdb")
    with duckdb.connect(str(path), read_only=True) as con:
        got = con.sql('SELECT "we""ird.a" AS a, "we""ird" AS j FROM raw_teams, teams LIMIT 1')
        assert got.fetchall()[0][0] == 1


def test_no_query_changes_what_the_next_one_sees() -> None:
    q = qf.sample()
    for statement in (
        "CREATE OR REPLACE VIEW teams AS SELECT 1 AS x",
        "CREATE OR REPLACE TEMP VIEW teams AS SELECT 1 AS x",
        "DROP VIEW teams",
        "CREATE TABLE scratch AS SELECT 1 AS x",
    ):
        q.sql(statement)
        assert q.sql("SELECT count(*) AS n FROM teams")["n"].item() == 96
    with pytest.raises(qf.SqlError, match="scratch"):
        q.sql("SELECT * FROM scratch")
    for sneaky in ("COMMIT; CREATE OR REPLACE VIEW teams AS SELECT 1 AS x", "COMMIT", "BEGIN"):
        with pytest.raises(qf.InvalidArgumentError, match=r"one statement|BEGIN, COMMIT"):
            q.sql(sneaky)
    assert q.sql("SELECT count(*) AS n FROM teams")["n"].item() == 96
