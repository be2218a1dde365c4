"""Write the V3 tables into a PostgreSQL database: the DDL of ``data/schema.sql`` plus rows.

Used by ``quantum-frames seed-db``, the demo, the tests and the benchmarks. It writes, so it
uses its own psycopg connection — never the loader's read-only sessions.
"""

from __future__ import annotations

import io
import time
from importlib import resources
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames._sql import quote_ident
from quantum_frames.errors import Advice, SeedError, SourceError, said
from quantum_frames.source import DEFAULT_TABLES
from quantum_frames.source._dsn import Dsn

if TYPE_CHECKING:
    from collections.abc import Callable

    from quantum_frames.frames import SourceTables

__all__ = ["SeedError", "schema_ddl", "seed_postgres"]

_MARKER = "-- tables --"


def schema_ddl() -> str:
    """The CREATE TABLE statements of ``data/schema.sql`` (without the schema header)."""
    text = resources.files("quantum_frames.synthetic").joinpath("schema.sql").read_text("utf-8")
    return text.split(_MARKER, 1)[1]


def seed_postgres(
    dsn: str | None,
    tables: SourceTables,
    *,
    schema: str = "quantum",
    replace: bool = False,
    progress: Callable[[str, int, float], None] | None = None,
) -> dict[str, int]:
    """Create the three V3 tables in ``schema`` and COPY ``tables`` into them.

    Args:
        dsn: where to write (env ``QF_DSN`` when None).
        tables: the rows, e.g. from :func:`quantum_frames.synthetic.generator.generate`.
        schema: created when missing.
        replace: drop the three tables first when they exist; without it an existing table
            is an error and nothing is touched.
        progress: called with (table, rows, seconds) after each table.

    Returns:
        Rows written per table.
    """
    import psycopg

    parsed = Dsn.parse(dsn)
    try:
        conn = psycopg.connect(**parsed.psycopg_kwargs(connect_timeout=10))
    except psycopg.Error as exc:
        detail = parsed.redact(str(exc)).strip()
        msg = f"cannot connect to PostgreSQL at {parsed.describe()}: {detail}"
        raise SourceError(msg, target=parsed.describe()) from None
    written: dict[str, int] = {}
    with conn:  # one transaction: all tables or none
        existing = _existing_tables(conn, schema)
        if existing and not replace:
            msg = said(
                f"schema {schema!r} already holds {', '.join(sorted(existing))}; nothing was "
                "changed. Hint: ",
                Advice("replace", "True"),
                " to drop and recreate these tables.",
            )
            raise SeedError(msg)
        with conn.cursor() as cur:
            ident = quote_ident(schema)
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ident}")
            for name in existing:
                cur.execute(f"DROP TABLE {ident}.{quote_ident(name)} CASCADE")
            cur.execute(f"SET LOCAL search_path TO {ident}")
            cur.execute(schema_ddl())
            for logical, frame in tables.items():
                t0 = time.perf_counter()
                _copy(cur, DEFAULT_TABLES[logical], frame)
                written[logical] = frame.height
                if progress is not None:
                    progress(logical, frame.height, time.perf_counter() - t0)
            for logical, pk in (
                ("teams", "team_id"),
                ("friction", "friction_id"),
                ("strategies", "strategy_id"),
            ):
                table = quote_ident(DEFAULT_TABLES[logical])
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "
                    f"COALESCE(MAX({quote_ident(pk)}), 0) + 1, false) FROM {table}",
                    (f"{ident}.{table}", pk),
                )
            cur.execute(f"ANALYZE {ident}.{quote_ident(DEFAULT_TABLES['friction'])}")
    return written


def _existing_tables(conn: Any, schema: str) -> list[str]:
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = ANY(%s) AND c.relkind IN ('r', 'p')",
        (schema, list(DEFAULT_TABLES.values())),
    ).fetchall()
    # Children first, so that DROP … CASCADE never has to reach into a table still listed.
    order = list(DEFAULT_TABLES.values())[::-1]
    return sorted((r[0] for r in rows), key=order.index)


def _copy(cur: Any, table: str, frame: pl.DataFrame) -> None:
    """COPY a frame in CSV form (lists become PostgreSQL array literals)."""
    lists = [c for c, dt in frame.schema.items() if isinstance(dt, pl.List)]
    csv_ready = frame.with_columns(_pg_array(c) for c in lists)
    buf = io.BytesIO()
    csv_ready.write_csv(buf, include_header=False, null_value="")
    columns = ", ".join(quote_ident(c) for c in frame.columns)
    with cur.copy(f"COPY {quote_ident(table)} ({columns}) FROM STDIN (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def _pg_array(column: str) -> pl.Expr:
    r"""A List(String) column as PostgreSQL array-literal text: ``{"a","b \"c\""}``."""
    quoted = (
        pl.element()
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
    )
    items = pl.col(column).list.eval(pl.lit('"') + quoted + pl.lit('"')).list.join(",")
    return (pl.lit("{") + items + pl.lit("}")).alias(column)
