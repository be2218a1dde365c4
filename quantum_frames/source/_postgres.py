"""Source stage: the three V3 tables from PostgreSQL into lossless Polars frames.

The catalog is read through one short read-only psycopg session (fast, clear connection
errors, parameters bound, never spliced). The rows are fetched with connectorx over the
binary protocol, every session forced read-only through the startup ``options``, large tables
in parallel partitions on their integer primary key. JSON/JSONB columns travel as text (so
connectorx does not parse and re-serialise them), NUMERIC as text (connectorx would round it
to 10 decimals) and types connectorx cannot carry as text; all are typed back losslessly here.

The result is the *lossless* source: JSON kept as the text PostgreSQL holds, arrays as lists.
Flattening is the next stage's job (:mod:`quantum_frames.flattening`).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames._sql import quote_ident
from quantum_frames.errors import (
    Advice,
    MissingColumnError,
    MissingTableError,
    SourceError,
    said,
)
from quantum_frames.source._dsn import Dsn

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = [
    "DEFAULT_TABLES",
    "REQUIRED_COLUMNS",
    "ColumnInfo",
    "FetchResult",
    "TableInfo",
    "fetch_tables",
]

logger = logging.getLogger("quantum_frames")

#: Logical table → default physical table name in the schema.
DEFAULT_TABLES: Final[Mapping[str, str]] = {
    "teams": "team_quantum_dna_v3",
    "friction": "quantum_friction_matrix_v3",
    "strategies": "quantum_strategies_v3",
}

#: The only columns a table must have; everything else is carried through.
REQUIRED_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "teams": ("team_id", "team_name", "league", "tier"),
    "friction": ("team_home_id", "team_away_id", "friction_score"),
    "strategies": ("team_id", "strategy_name", "conviction"),
}

# PostgreSQL types connectorx fetches into Arrow faithfully (checked against 0.4.6).
_NATIVE_TYPES: Final = frozenset(
    {
        "bool", "int2", "int4", "int8", "float4", "float8", "text", "varchar", "bpchar",
        "name", "date", "timestamp", "timestamptz", "uuid", "bytea",
        "_bool", "_int2", "_int4", "_int8", "_float4", "_float8", "_text", "_varchar",
    }
)  # fmt: skip
_JSON_TYPES: Final = frozenset({"json", "jsonb"})
_INT_TYPES: Final = frozenset({"int2", "int4", "int8"})
_NUMERIC_TYPMOD = re.compile(r"numeric\((\d+),(\d+)\)")
_DECIMAL_MAX_PRECISION: Final = 38

_CATALOG_SQL: Final = """
SELECT c.relname AS table_name, a.attname AS column_name, t.typname AS type_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_sql,
       COALESCE(pk.is_pk, false) AS is_pk,
       c.reltuples::float8 AS est_rows,
       COALESCE(pg_catalog.pg_table_size(c.oid), 0)::float8 AS est_bytes
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN LATERAL (
    SELECT true AS is_pk FROM pg_catalog.pg_index i
    WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1 AND i.indkey[0] = a.attnum
) pk ON true
WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname, a.attnum
"""


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the catalog describes it."""

    name: str
    type_name: str  # pg_type.typname, e.g. "jsonb", "_text", "numeric"
    type_sql: str  # format_type(), e.g. "numeric(10,2)", "text[]"
    is_pk: bool = False

    @property
    def is_json(self) -> bool:
        return self.type_name in _JSON_TYPES

    @property
    def select_expr(self) -> str:
        """How the column is selected: natively, or as text to be typed back here."""
        ident = quote_ident(self.name)
        if self.type_name in _NATIVE_TYPES:
            return ident
        return f"{ident}::text AS {ident}"


@dataclass(frozen=True)
class TableInfo:
    """One source table: where it lives, its columns, its size estimate."""

    logical: str
    schema: str
    name: str
    columns: tuple[ColumnInfo, ...]
    est_rows: float
    est_bytes: float = 0.0  # on disk, TOAST included: how much there is to fetch and decode

    @property
    def qualified(self) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def display(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def json_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.is_json]

    @property
    def int_pk(self) -> str | None:
        return next((c.name for c in self.columns if c.is_pk and c.type_name in _INT_TYPES), None)

    def select_sql(self) -> str:
        cols = ", ".join(c.select_expr for c in self.columns)
        return f"SELECT {cols} FROM {self.qualified}"


@dataclass
class FetchResult:
    """The lossless source frames with what the catalog said of them."""

    frames: dict[str, pl.DataFrame]
    tables: dict[str, TableInfo]
    timings: dict[str, float] = field(default_factory=dict)
    server_version: str = ""


def discover(conn: Any, schema: str, tables: Mapping[str, str]) -> dict[str, TableInfo]:
    """Read the catalog for ``tables`` in ``schema``; check the required tables and columns."""
    with conn.cursor() as cur:
        cur.execute(_CATALOG_SQL, {"schema": schema})
        rows = cur.fetchall()
    by_table: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_table.setdefault(row[0], []).append(row)
    missing = [name for name in tables.values() if name not in by_table]
    if missing:
        raise MissingTableError(schema, missing, available=sorted(by_table))
    infos: dict[str, TableInfo] = {}
    for logical, name in tables.items():
        cols = tuple(
            ColumnInfo(name=r[1], type_name=r[2], type_sql=r[3], is_pk=bool(r[4]))
            for r in by_table[name]
        )
        present = {c.name for c in cols}
        lacking = [c for c in REQUIRED_COLUMNS.get(logical, ()) if c not in present]
        if lacking:
            table = f"{schema}.{name}"
            raise MissingColumnError(table, lacking)
        est_rows = max(float(by_table[name][0][5] or 0.0), 0.0)
        est_bytes = max(float(by_table[name][0][6] or 0.0), 0.0)
        infos[logical] = TableInfo(logical, schema, name, cols, est_rows, est_bytes)
    return infos


def fetch_tables(
    dsn: Dsn,
    *,
    schema: str,
    tables: Mapping[str, str],
    connect_timeout: float,
    statement_timeout: float | None,
    partition_rows: int,
    partition_num: int,
    on_table: Callable[[TableInfo, pl.DataFrame, float], None] | None = None,
) -> FetchResult:
    """Fetch ``tables`` (logical → physical name) from ``schema`` as lossless frames.

    Raises:
        SourceError: the server could not be reached or a read failed (password redacted).
        MissingTableError, MissingColumnError: the schema lacks what quantum_frames needs.
    """
    t0 = time.perf_counter()
    infos, live, server_version = _catalog(dsn, schema, tables, connect_timeout)
    timings = {"catalog": time.perf_counter() - t0}
    uri = live.connectorx_uri(**_session_params(connect_timeout, statement_timeout))
    frames: dict[str, pl.DataFrame] = {}
    # The largest table first, the smallest last: whatever the caller does with each table as
    # it arrives (the loader flattens it) overlaps with fetching the next, and the work left
    # after the last fetch is the smallest.
    by_size = sorted(infos.items(), key=lambda item: (-item[1].est_bytes, -item[1].est_rows))
    for logical, info in by_size:
        t = time.perf_counter()
        frame = _read_table(live, uri, info, partition_rows, partition_num)
        frames[logical] = _type_back(frame, info)
        timings[logical] = time.perf_counter() - t
        logger.info("fetched %s: %d rows in %.2fs", info.display, frame.height, timings[logical])
        if on_table is not None:
            on_table(info, frames[logical], timings[logical])
    frames = {name: frames[name] for name in infos}  # back in the caller's order
    return FetchResult(frames, infos, timings, server_version=server_version)


def _session_params(connect_timeout: float, statement_timeout: float | None) -> dict[str, str]:
    options = "-c default_transaction_read_only=on"
    if statement_timeout:
        options += f" -c statement_timeout={max(1, round(statement_timeout * 1000))}"  # ms, never 0
    return {
        "connect_timeout": str(max(1, round(connect_timeout))),
        "options": options,
        "application_name": "quantum_frames",
    }


def _catalog(
    dsn: Dsn, schema: str, tables: Mapping[str, str], connect_timeout: float
) -> tuple[dict[str, TableInfo], Dsn, str]:
    import psycopg

    params = _session_params(connect_timeout, None)
    try:
        conn = psycopg.connect(**dsn.psycopg_kwargs(**params), autocommit=True)
    except psycopg.Error as exc:
        raise _source_error(dsn, "cannot connect to", exc) from None
    try:
        with conn:
            conn.read_only = True
            info = conn.info
            live = dsn.with_resolved(
                host=info.host,
                port=str(info.port),
                user=info.user,
                dbname=info.dbname,
            )
            if live.password is None and info.password:
                live = Dsn(live.params, info.password)  # from ~/.pgpass: connectorx needs it
            version = conn.execute("SHOW server_version").fetchone()
            return discover(conn, schema, tables), live, str(version[0]) if version else ""
    except psycopg.Error as exc:
        raise _source_error(dsn, "cannot read the catalog of", exc) from None


#: Tables this large on disk are read in partitions however few their rows (JSONB-heavy rows:
#: 4,800 teams are 29 MB, and two partitions read them in 0.34 s instead of 0.57 s).
_PARTITION_BYTES: Final = 16 * 2**20


def _read_table(
    dsn: Dsn, uri: str, info: TableInfo, partition_rows: int, partition_num: int
) -> pl.DataFrame:
    import connectorx as cx

    query = info.select_sql()
    kwargs: dict[str, Any] = {}
    pk = info.int_pk
    large = info.est_rows >= partition_rows or info.est_bytes >= _PARTITION_BYTES
    if pk is not None and large and partition_num > 1:
        kwargs = {"partition_on": pk, "partition_num": partition_num}
    try:
        table = cx.read_sql(uri, query, return_type="arrow", **kwargs)
    except (Exception, BaseException) as exc:  # connectorx raises RuntimeError or a Rust panic
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        raise _source_error(dsn, f"cannot read {info.display} from", exc) from None
    if pk is not None:
        table = _batches_by_key(table, pk)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if pk is not None and not frame.get_column(pk).is_sorted():
        frame = frame.sort(pk)  # a copy, only when needed: keep loads reproducible
    return frame


def _batches_by_key(table: pa.Table, key: str) -> pa.Table:
    """The table's record batches (one or more per partition, in the order the partitions
    finished) ordered by their first ``key``: no copy, and a table stored in key order comes
    out sorted without sorting it."""
    import pyarrow as pa

    batches = [b for b in table.to_batches() if b.num_rows]
    if len(batches) < 2:
        return table
    first = [b.column(key)[0].as_py() for b in batches]
    if None in first:
        return table
    order = sorted(range(len(batches)), key=first.__getitem__)
    return pa.Table.from_batches([batches[i] for i in order], schema=table.schema)


def _source_error(dsn: Dsn, what: str, exc: BaseException) -> SourceError:
    detail = " ".join(dsn.redact(str(exc)).split())
    target = dsn.describe()
    if "canceling statement" in detail:  # the read started: reaching the server is not it
        hint = (
            "the server cancelled the read: read_postgres(statement_timeout=…) ran out (when "
            "a table is read in partitions, the other partitions are cancelled with it, 'due "
            "to user request'), or an administrator cancelled it. Raise statement_timeout "
            "(None: no limit), or retry"
        )
    else:
        advice = said(
            f"{what} PostgreSQL at {target}: {detail}. Hint: check host, port, database, user "
            "and password (",
            Advice("dsn"),
            ", or set QF_DSN / PGPASSWORD), and that the server is running.",
        )
        return SourceError(advice, target=target)
    return SourceError(f"{what} PostgreSQL at {target}: {detail}. Hint: {hint}.", target=target)


def _type_back(frame: pl.DataFrame, info: TableInfo) -> pl.DataFrame:
    """Type the columns fetched as text back to lossless Polars types."""
    exprs = []
    for col in info.columns:
        if col.type_name == "numeric":
            exprs.append(_numeric(frame.get_column(col.name), col.type_sql))
    return frame.with_columns(exprs) if exprs else frame


def _numeric(text: pl.Series, type_sql: str) -> pl.Series:
    """NUMERIC text → Decimal with the declared (or the data's) precision and scale.

    Stays text when Decimal cannot hold it exactly (NaN, Infinity, more than 38 digits).
    """
    declared = _NUMERIC_TYPMOD.fullmatch(type_sql.replace(" ", ""))
    if declared:
        precision, scale = int(declared[1]), int(declared[2])
        if precision <= _DECIMAL_MAX_PRECISION and not text.str.contains(r"[^0-9.\-]").any():
            return text.cast(pl.Decimal(precision, scale))
        return text
    values = text.drop_nulls()
    if values.is_empty() or not values.str.contains(r"^-?[0-9]+(\.[0-9]+)?$").all():
        return text if not values.is_empty() else text.cast(pl.Decimal(_DECIMAL_MAX_PRECISION, 0))
    parts = values.str.strip_prefix("-").str.split_exact(".", 1)
    int_digits = int(parts.struct.field("field_0").str.len_chars().max() or 0)  # type: ignore[arg-type]
    scale = int(parts.struct.field("field_1").str.len_chars().fill_null(0).max() or 0)  # type: ignore[arg-type]
    if int_digits + scale > _DECIMAL_MAX_PRECISION:
        return text
    return text.cast(pl.Decimal(_DECIMAL_MAX_PRECISION, scale))
