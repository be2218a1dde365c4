"""read_postgres(season=…): one season of the friction table, inside the load's snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import quantum_frames as qf
from quantum_frames.errors import InvalidArgumentError
from tests._helpers.pg import minimal_tables

if TYPE_CHECKING:
    import psycopg


@pytest.fixture
def seasons(pg: psycopg.Connection, schema: str) -> str:
    return seed_seasons(pg, schema)


def seed_seasons(pg: psycopg.Connection, schema: str) -> str:
    """Two teams and friction rows over two seasons in ``schema``."""
    minimal_tables(pg, schema)
    pg.execute(
        f"""
        SET search_path TO "{schema}";
        ALTER TABLE quantum_friction_matrix_v3 ADD COLUMN friction_id serial PRIMARY KEY,
            ADD COLUMN season text;
        INSERT INTO team_quantum_dna_v3 VALUES (1, 'Home', 'L', 'ELITE'), (2, 'Away', 'L', 'MID');
        INSERT INTO quantum_friction_matrix_v3 (team_home_id, team_away_id, friction_score, season)
            VALUES (1, 2, 0.2, '2024-2025'), (1, 2, 0.8, '2025-2026'), (2, 1, 0.4, '2024-2025');
        RESET search_path;
        """
    )
    return schema


def test_season_loads_one_season_of_friction(pg_dsn: str, seasons: str) -> None:
    q = qf.read_postgres(pg_dsn, schema=seasons, season="2024-2025", partition_rows=1)
    assert q.raw.friction["season"].to_list() == ["2024-2025", "2024-2025"]
    assert q.friction("Home", "Away") == 0.2
    assert q.source["season"] == "2024-2025"
    assert q.teams.height == 2  # the other tables are whole


def test_without_season_every_season_loads_and_lookups_use_the_newest(
    pg_dsn: str, seasons: str
) -> None:
    q = qf.read_postgres(pg_dsn, schema=seasons)
    assert q.raw.friction.height == 3
    assert q.friction("Home", "Away") == 0.8
    assert q.friction("Away", "Home") == 0.4  # that pair's newest is the older season
    assert q.friction("Away", "Home", season="2025-2026") is None  # never an older one silently
    assert q.friction_matrix()["Away"].to_list() == [None, 0.8]


def test_an_unknown_season_names_the_seasons_there(pg_dsn: str, seasons: str) -> None:
    with pytest.raises(qf.UnknownNameError, match=r"'2025-26'.*2024-2025, 2025-2026"):
        qf.read_postgres(pg_dsn, schema=seasons, season="2025-26")


def test_season_needs_a_season_column(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    minimal_tables(pg, schema)
    with pytest.raises(InvalidArgumentError, match="has no column 'season'"):
        qf.read_postgres(pg_dsn, schema=schema, season="2025-2026")
