"""DuckDB SQL over the frames, and DuckDB database files for SQL users."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames.errors import QuantumFramesError, SqlError

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames

__all__ = ["sql", "to_duckdb"]


def _register(con: Any, q: QuantumFrames) -> None:
    for name, frame in q.tables():
        con.register(name, frame.to_arrow(compat_level=pl.CompatLevel.newest()))
    for name, frame in q.raw.items():
        con.register(f"raw_{name}", frame.to_arrow(compat_level=pl.CompatLevel.newest()))


def sql(q: QuantumFrames, query: str, /) -> pl.DataFrame:
    """Run DuckDB SQL over ``teams``, ``friction``, ``strategies`` and ``raw_*``.

    The frames are handed to DuckDB as Arrow (no copy). Flattened names hold dots, so quote
    them as identifiers.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.sql('''
        ...     SELECT tier, count(*) AS teams,
        ...            round(avg("market_dna.empirical_profile.avg_edge"), 3) AS avg_edge
        ...     FROM teams GROUP BY tier ORDER BY min(tier_rank)
        ... ''').columns
        ['tier', 'teams', 'avg_edge']
    """
    import duckdb

    if not isinstance(query, str) or not query.strip():
        msg = "query must be a non-empty SQL string."
        raise ValueError(msg)
    with duckdb.connect() as con:
        _register(con, q)
        try:
            result: pl.DataFrame = con.sql(query).pl()
            return result
        except duckdb.Error as exc:
            msg = f'DuckDB could not run the query: {exc}\nQuery:\n{query.strip()}\nHint: tables are teams, friction, strategies, raw_teams, raw_friction, raw_strategies; quote flattened names ("market_dna.best_strategy").'
            raise SqlError(msg, query=query) from None


def to_duckdb(
    q: QuantumFrames, path: str | os.PathLike[str], /, *, overwrite: bool = False
) -> Path:
    """Write a DuckDB database file: tables ``teams``, ``friction``, ``strategies`` (flattened),
    the lossless tables in schema ``lossless``, and views ``raw_*`` over them with the JSON
    columns typed as JSON. Written to a temporary file and renamed into place."""
    import duckdb

    target = Path(path)
    if target.exists() and not overwrite:
        msg = f"{target} already exists. Hint: pass overwrite=True to replace it."
        raise QuantumFramesError(msg)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    json_sources = set(q.report["source"].to_list())
    try:
        with duckdb.connect(str(tmp)) as con:
            _register(con, q)
            con.execute("CREATE SCHEMA lossless")
            for name, _ in q.tables():
                con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM "{name}"')
            for name, frame in q.raw.items():
                con.execute(f'CREATE TABLE lossless."{name}" AS SELECT * FROM "raw_{name}"')
                casts = [f'"{c}"::JSON AS "{c}"' for c in frame.columns if c in json_sources]
                replace = f" REPLACE ({', '.join(casts)})" if casts else ""
                con.execute(f'CREATE VIEW "raw_{name}" AS SELECT *{replace} FROM lossless."{name}"')
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
