"""The throwaway PostgreSQL's own directory, and tables made by hand in a test's schema."""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    import psycopg


@contextmanager
def private_dir(prefix: str) -> Iterator[Path]:
    """A directory of this test session alone, removed at the end.

    Not under pytest's basetemp: pytest prunes the ``pytest-N`` directories of other sessions
    (several sessions at once on one machine), which took a running server's data away.
    """
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def minimal_tables(pg: psycopg.Connection, schema: str, *, extra_team_columns: str = "") -> None:
    """The three tables with only their required columns (plus ``extra_team_columns``)."""
    pg.execute(
        f"""
        SET search_path TO "{schema}";
        CREATE TABLE team_quantum_dna_v3 (team_id int PRIMARY KEY, team_name text, league text,
            tier text{extra_team_columns});
        CREATE TABLE quantum_friction_matrix_v3 (team_home_id int, team_away_id int,
            friction_score float8);
        CREATE TABLE quantum_strategies_v3 (team_id int, strategy_name text, conviction float8);
        RESET search_path;
        """
    )
