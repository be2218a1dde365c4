"""The synthetic generator and the reference schema agree, and the data is deterministic."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import polars as pl
import pytest

from quantum_frames.synthetic.generator import LEAGUES, TEAM_JSON_COLUMNS, generate, normalize_name
from quantum_frames.synthetic.seed import SeedError, schema_ddl, seed_postgres

if TYPE_CHECKING:
    from pathlib import Path

    import psycopg


def ddl_columns(ddl: str, table: str) -> list[str]:
    body = re.search(rf"CREATE TABLE {table} \((.*?)\n\);", ddl, re.S)
    assert body, table
    names = []
    for line in body.group(1).splitlines():
        line = line.strip()
        if line and not line.startswith(("--", "CONSTRAINT")):
            names.append(line.split()[0])
    return names


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = generate(1), generate(1), generate(1, seed=7)
    for (name, x), (_, y), (_, z) in zip(a.items(), b.items(), c.items(), strict=True):
        assert x.equals(y), name
        assert not x.equals(z), name


def test_schema_sql_has_exactly_the_spec_columns(repo_root: Path) -> None:
    ddl = (repo_root / "data" / "schema.sql").read_text()
    assert schema_ddl() in ddl  # the packaged copy is the data/ file
    counts = {
        t: len(ddl_columns(ddl, t))
        for t in ("team_quantum_dna_v3", "quantum_friction_matrix_v3", "quantum_strategies_v3")
    }
    assert counts == {
        "team_quantum_dna_v3": 60,
        "quantum_friction_matrix_v3": 32,
        "quantum_strategies_v3": 29,
    }
    sample = generate(1)
    assert sample.teams.columns == ddl_columns(ddl, "team_quantum_dna_v3")
    assert sample.friction.columns == ddl_columns(ddl, "quantum_friction_matrix_v3")
    assert sample.strategies.columns == ddl_columns(ddl, "quantum_strategies_v3")
    assert sum(ddl_columns(ddl, "team_quantum_dna_v3").count(c) for c in TEAM_JSON_COLUMNS) == 31


def test_sample_shape_is_realistic() -> None:
    s = generate(1)
    teams = s.teams
    assert teams.height == 96 == sum(len(v) for v in LEAGUES.values())
    assert teams.group_by("league").len().sort("league")["len"].to_list() == [18, 20, 18, 20, 20]
    tags = teams["narrative_fingerprint_tags"].list.len()
    assert 3.8 <= tags.mean() <= 4.7  # type: ignore[operator]
    assert (tags == 0).sum() >= 1  # empty tag arrays exist
    assert s.friction.height == 3 * 20 * 19 + 2 * 18 * 17
    per_team = s.strategies.group_by("team_id").len()["len"]
    assert per_team.min() == 3
    assert per_team.max() == 7
    nulls = teams.select(pl.col(c).is_null().sum() for c in TEAM_JSON_COLUMNS).row(0)
    assert sum(nulls) > 0  # a few NULL vectors
    assert (
        teams.filter(pl.col("team_name") == "1. FC Köln")["team_name_normalized"].item()
        == "1. fc koln"
    )


def test_scale_copies_the_leagues() -> None:
    s = generate(2)
    assert s.teams.height == 192
    assert s.teams["team_name"].n_unique() == 192
    assert "Premier League #2" in s.teams["league"].to_list()
    assert s.friction.height == 2 * (3 * 20 * 19 + 2 * 18 * 17)


@pytest.mark.parametrize("scale", [0, -1, 1.5])
def test_bad_scale_is_refused(scale: object) -> None:
    with pytest.raises(ValueError, match="scale"):
        generate(scale)  # type: ignore[arg-type]


def test_normalize_name() -> None:
    assert normalize_name("  Atlético   Madrid ") == "atletico madrid"
    assert normalize_name("Borussia Mönchengladbach") == "borussia monchengladbach"


def test_seed_refuses_to_replace_unless_asked(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    small = generate(1)
    seed_postgres(pg_dsn, small, schema=schema)
    pg.execute(f'DELETE FROM "{schema}".quantum_strategies_v3 WHERE strategy_id = 1')
    with pytest.raises(SeedError, match="pass replace=True"):
        seed_postgres(pg_dsn, small, schema=schema)
    count = pg.execute(f'SELECT count(*) FROM "{schema}".quantum_strategies_v3').fetchone()
    assert count == (small.strategies.height - 1,)  # untouched
    seed_postgres(pg_dsn, small, schema=schema, replace=True)
    count = pg.execute(f'SELECT count(*) FROM "{schema}".quantum_strategies_v3').fetchone()
    assert count == (small.strategies.height,)
    next_id = pg.execute(
        f"SELECT nextval('\"{schema}\".quantum_strategies_v3_strategy_id_seq')"
    ).fetchone()
    assert next_id == (small.strategies.height + 1,)
