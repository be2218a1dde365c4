"""Source stage: the three V3 tables from PostgreSQL into lossless Polars frames, one moment.

One psycopg session opens ``BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY``, reads the
catalog (parameters bound, never spliced), exports its snapshot (``pg_export_snapshot()``),
records the moment (``pg_current_snapshot()``, ``now()``, the server version) and computes
the partition ranges of the large tables — all inside that transaction — and stays open until
every table and partition has been read. The rows are fetched with connectorx over the binary
protocol; every connectorx connection imports the snapshot first (``BEGIN … ; SET TRANSACTION
SNAPSHOT``), so the catalog, the three tables and every partition are one database moment.
connectorx never computes a partition range itself (it would on a connection of its own, outside
the snapshot: connector-x issue 865); it gets one explicit query per partition.

JSON/JSONB columns travel as text (so connectorx does not parse and re-serialise them),
NUMERIC as text (connectorx would round it to 10 decimals) and types connectorx cannot carry
as text; all are typed back here (:mod:`quantum_frames.source._types`).

The result is the *lossless* source: JSON kept as the text PostgreSQL holds, arrays as lists.
Flattening is the next stage's job (:mod:`quantum_frames.flattening`).
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames._sql import quote_ident, quote_literal
from quantum_frames.errors import (
    Advice,
    MissingColumnError,
    MissingTableError,
    SourceError,
    said,
)
from quantum_frames.source._types import (
    NATIVE_TYPES,
    ColumnKeptAsTextWarning,
    TextNote,
    flag_names,
    guard_reason,
    guard_sql,
    numeric_back,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterable, Mapping
    from concurrent.futures import Future
    from datetime import datetime

    import pyarrow as pa

    from quantum_frames.source._dsn import Dsn

__all__ = [
    "DEFAULT_TABLES",
    "REQUIRED_COLUMNS",
    "ColumnInfo",
    "FetchResult",
    "Moment",
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

#: The table ``season=`` filters: one row per (home, away, season).
SEASON_TABLE: Final = "friction"

_JSON_TYPES: Final = frozenset({"json", "jsonb"})
_INT_TYPES: Final = frozenset({"int2", "int4", "int8"})

# pg_table_size once per relation (a stat of every fork), not once per column: 1.6 ms instead of
# 4.2 ms for the three V3 tables on a local server.
_CATALOG_SQL: Final = """
WITH rel AS (
    SELECT c.oid, c.relname, c.reltuples::float8 AS est_rows,
           COALESCE(pg_catalog.pg_table_size(c.oid), 0)::float8 AS est_bytes
    FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %(schema)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
)
SELECT rel.relname AS table_name, a.attname AS column_name, t.typname AS type_name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_sql,
       COALESCE(pk.is_pk, false) AS is_pk, rel.est_rows, rel.est_bytes,
       CASE COALESCE(NULLIF(t.typbasetype, 0), t.oid)  -- a domain: the type it is over
           WHEN 'pg_catalog.json'::pg_catalog.regtype THEN 'json'
           WHEN 'pg_catalog.jsonb'::pg_catalog.regtype THEN 'jsonb'
       END AS json_kind
FROM rel
JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN LATERAL (
    SELECT true AS is_pk FROM pg_catalog.pg_index i
    WHERE i.indrelid = rel.oid AND i.indisprimary AND i.indnatts = 1 AND i.indkey[0] = a.attnum
) pk ON true
ORDER BY rel.relname, a.attnum
"""


_MOMENT_SQL: Final = """
SELECT current_setting('server_version'), current_setting('server_version_num')::int,
       pg_catalog.pg_is_in_recovery(), now()
"""
_BEGIN: Final = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


@dataclass(frozen=True)
class ColumnInfo:
    """One column as the catalog describes it.

    Attributes:
        name: the column name, exactly as PostgreSQL holds it.
        type_name: ``pg_type.typname``, e.g. ``jsonb``, ``_text``, ``numeric``.
        type_sql: ``format_type()``, e.g. ``numeric(10,2)``, ``text[]``.
        is_pk: the column is the table's single-column primary key.
        json_kind: ``"json"`` or ``"jsonb"`` when the column is of PostgreSQL's json or jsonb
            type (or of a domain over it), by the type's identity, not its name: a type of
            another schema named ``jsonb`` is not jsonb.
    """

    name: str
    type_name: str
    type_sql: str
    is_pk: bool = False
    json_kind: str | None = None

    @property
    def is_json(self) -> bool:
        """The column holds JSON or JSONB (PostgreSQL checked every value on the way in)."""
        return self.json_kind in _JSON_TYPES

    @property
    def guard(self) -> str | None:
        """Where a native read of the column is exact (None: everywhere, or read as text)."""
        return guard_sql(self.name, self.type_name) if self.type_name in NATIVE_TYPES else None

    @property
    def select_expr(self) -> str:
        """How the column is selected: natively (guarded), or as text to be typed back here."""
        return self.select()

    def select(self, *, as_text: bool = False) -> str:
        """The select-list expression for the column.

        Args:
            as_text: select PostgreSQL's text of the column, whatever its type.

        Returns:
            An SQL expression aliased to the column's name.
        """
        ident = quote_ident(self.name)
        if as_text or self.type_name not in NATIVE_TYPES:
            return f"{ident}::text AS {ident}"
        guard = self.guard
        return ident if guard is None else f"CASE WHEN {guard} THEN {ident} END AS {ident}"


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
        """``"schema"."table"``, quoted."""
        return f"{quote_ident(self.schema)}.{quote_ident(self.name)}"

    @property
    def display(self) -> str:
        """``schema.table``, for messages."""
        return f"{self.schema}.{self.name}"

    @property
    def json_columns(self) -> list[str]:
        """The JSON/JSONB columns."""
        return [c.name for c in self.columns if c.is_json]

    @property
    def jsonb_columns(self) -> frozenset[str]:
        """The JSONB columns (their text never repeats a key in an object)."""
        return frozenset(c.name for c in self.columns if c.json_kind == "jsonb")

    @property
    def int_pk(self) -> str | None:
        """The single-column integer primary key, if any."""
        return next((c.name for c in self.columns if c.is_pk and c.type_name in _INT_TYPES), None)

    def guarded(self, text_columns: frozenset[str] = frozenset()) -> list[tuple[ColumnInfo, str]]:
        """The guarded columns read natively, each with the name of its flag column.

        Args:
            text_columns: columns read as text (not guarded).

        Returns:
            ``(column, flag column name)`` pairs.
        """
        cols = [c for c in self.columns if c.guard is not None and c.name not in text_columns]
        flags = flag_names([c.name for c in self.columns], len(cols))
        return list(zip(cols, flags, strict=True))

    def select_sql(self, *, text_columns: frozenset[str] = frozenset(), where: str = "") -> str:
        """The SELECT of the whole table (or of ``where``).

        Args:
            text_columns: columns to select as PostgreSQL's text.
            where: an SQL condition, already quoted (empty: every row).

        Returns:
            The query: every column, then one flag column per guarded column.
        """
        cols = [c.select(as_text=c.name in text_columns) for c in self.columns]
        cols += [
            f"CASE WHEN NOT {c.guard} THEN true END AS {quote_ident(flag)}"
            for c, flag in self.guarded(text_columns)
        ]
        sql = f"SELECT {', '.join(cols)} FROM {self.qualified}"
        return f"{sql} WHERE {where}" if where else sql


@dataclass(frozen=True)
class Moment:
    """The database moment a load read.

    Attributes:
        consistent: every table and partition was read in this one snapshot.
        snapshot: ``pg_current_snapshot()`` of the load's transaction (xmin:xmax:xip).
        server_time: the server's ``now()`` in that transaction.
        server_version: ``server_version`` of the server.
        standby: the server was a hot standby (in recovery).
    """

    consistent: bool
    snapshot: str
    server_time: datetime
    server_version: str
    standby: bool = False

    def record(self) -> dict[str, Any]:
        """The moment as plain JSON-ready values, for ``q.source`` and manifests.

        Returns:
            ``consistent``, ``snapshot``, ``server_time`` (ISO 8601), ``server_version``,
            ``standby``.
        """
        return {
            "consistent": self.consistent,
            "snapshot": self.snapshot,
            "server_time": self.server_time.isoformat(),
            "server_version": self.server_version,
            "standby": self.standby,
        }


@dataclass
class FetchResult:
    """The lossless source frames with what the catalog said of them."""

    frames: dict[str, pl.DataFrame]
    tables: dict[str, TableInfo]
    timings: dict[str, float] = field(default_factory=dict)
    server_version: str = ""
    moment: Moment | None = None
    text_columns: list[TextNote] = field(default_factory=list)


def discover(conn: Any, schema: str, tables: Mapping[str, str]) -> dict[str, TableInfo]:
    """Read the catalog for ``tables`` in ``schema``; check the required tables and columns.

    Args:
        conn: an open psycopg connection.
        schema: the schema to look in.
        tables: logical → physical table name.

    Returns:
        One :class:`TableInfo` per logical table.

    Raises:
        MissingTableError: a table is not in the schema.
        MissingColumnError: a table lacks a required column.
    """
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
            ColumnInfo(name=r[1], type_name=r[2], type_sql=r[3], is_pk=bool(r[4]), json_kind=r[7])
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


class _Uri:
    """connectorx's URI, password included, built only inside the call that hands it over.

    Only this holder lives in a frame that may end up in a traceback; its repr names the
    server, never the password, and no attribute holds the URI text.
    """

    __slots__ = ("_dsn", "_extra")

    def __init__(self, dsn: Dsn, extra: Mapping[str, str]) -> None:
        self._dsn = dsn
        self._extra = dict(extra)

    @property
    def dsn(self) -> Dsn:
        """The connection parameters (the password out of sight)."""
        return self._dsn

    def build(self) -> str:
        """The URI; pass it straight to the driver, never keep it in a variable."""
        return self._dsn.connectorx_uri(**self._extra)

    def __repr__(self) -> str:
        return f"<connectorx URI for {self._dsn.describe()}, password hidden>"


@dataclass
class _Plan:
    """What the snapshot session decided: tables, moment, partitions, how to import."""

    infos: dict[str, TableInfo]
    moment: Moment
    pre: list[str] | None
    where: dict[str, str]
    ranges: dict[str, list[tuple[int, int]]]
    small: bool = False  # every table below the partitioning thresholds: read them at once


def fetch_tables(
    dsn: Dsn,
    *,
    schema: str,
    tables: Mapping[str, str],
    connect_timeout: float,
    statement_timeout: float | None,
    partition_rows: int,
    partition_num: int,
    consistent: bool = True,
    season: str | None = None,
    on_table: Callable[[TableInfo, pl.DataFrame, float], None] | None = None,
) -> FetchResult:
    """Fetch ``tables`` (logical → physical name) from ``schema`` as lossless frames.

    Args:
        dsn: where to read.
        schema: the schema holding the tables.
        tables: logical → physical table name.
        connect_timeout: seconds to wait for a connection.
        statement_timeout: seconds a read may take on the server (None: no limit).
        partition_rows: tables with this many rows (or 16 MiB on disk) are read in partitions.
        partition_num: partitions per large table.
        consistent: read everything in one exported snapshot (False: each read its own).
        season: load only this season of the friction table.
        on_table: called with each table as it arrives.

    Returns:
        The frames, the catalog's view of them, timings, the moment read and the columns
        kept as text.

    Raises:
        SourceError: the server could not be reached or read, or cannot export a snapshot
            (password redacted).
        MissingTableError, MissingColumnError: the schema lacks what quantum_frames needs.
        UnknownNameError: ``season`` is not a season of the friction table.
    """
    import psycopg

    t0 = time.perf_counter()
    conn, live = _connect(dsn, connect_timeout)
    try:
        plan = _plan(conn, live, schema, tables, consistent, season, partition_rows, partition_num)
        timings = {"catalog": time.perf_counter() - t0}
        uri = _Uri(live, _session_params(connect_timeout, statement_timeout))
        frames: dict[str, pl.DataFrame] = {}
        table_notes_of: dict[str, list[TextNote]] = {}
        seconds_of: dict[str, float] = {}
        # The largest table first, the smallest last: whatever the caller does with each table
        # as it arrives (the loader flattens it) overlaps with fetching the next, and the work
        # left after the last fetch is the smallest.
        by_size = sorted(
            plan.infos.items(), key=lambda item: (-item[1].est_bytes, -item[1].est_rows)
        )
        # closed before the snapshot session: no read is still going when it ends
        with contextlib.closing(_read_tables(uri, plan, by_size)) as reads:
            for logical, info, frame, table_notes, seconds in reads:
                frames[logical] = frame
                table_notes_of[logical] = table_notes
                seconds_of[logical] = seconds
                logger.info("fetched %s: %d rows in %.2fs", info.display, frame.height, seconds)
                if on_table is not None:
                    on_table(info, frame, seconds)
        # the reads' wall time: less than the tables' times added when they were read at once
        fetch_s = time.perf_counter() - t0 - timings["catalog"]
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.close()  # ends the snapshot's transaction: every read has imported it
        del conn
    # notes, warnings and timings in one order whatever order the reads finished in
    notes = [note for logical, _ in by_size for note in table_notes_of[logical]]
    timings |= {logical: seconds_of[logical] for logical, _ in by_size}
    timings["fetch"] = fetch_s
    for note in notes:
        msg = (
            f"{note.describe()}; the column is kept exactly, as PostgreSQL's text. Hint: "
            "filter or convert those values in SQL (a view) to get a typed column."
        )
        warnings.warn(msg, ColumnKeptAsTextWarning, stacklevel=4)
    frames = {name: frames[name] for name in plan.infos}  # back in the caller's order
    return FetchResult(
        frames,
        plan.infos,
        timings,
        server_version=plan.moment.server_version,
        moment=plan.moment,
        text_columns=notes,
    )


def _session_params(connect_timeout: float, statement_timeout: float | None) -> dict[str, str]:
    options = "-c default_transaction_read_only=on"
    if statement_timeout:
        options += f" -c statement_timeout={max(1, round(statement_timeout * 1000))}"  # ms, never 0
    return {
        "connect_timeout": str(max(1, round(connect_timeout))),
        "options": options,
        "application_name": "quantum_frames",
    }


def _connect(dsn: Dsn, connect_timeout: float) -> tuple[Any, Dsn]:
    """The snapshot session, and the DSN with the server's effective parameters."""
    import psycopg

    params = _session_params(connect_timeout, None)
    # The session holds the snapshot while the tables are read: a server-wide idle timeout
    # must not end it between two reads.
    params["options"] += " -c idle_in_transaction_session_timeout=0"
    failure: SourceError | None = None
    try:
        conn = psycopg.connect(**dsn.psycopg_kwargs(**params), autocommit=True)
    except psycopg.Error as exc:
        failure = _source_error(dsn, "cannot connect to", exc)
    if failure is not None:
        raise failure  # outside the handler: psycopg's error (it holds the password) stays out
    info = conn.info
    live = dsn.with_resolved(
        host=info.host, port=str(info.port), user=info.user, dbname=info.dbname
    )
    if live.password is None and info.password:
        live = live.with_password(info.password)  # from ~/.pgpass: connectorx needs it
    return conn, live


def _plan(
    conn: Any,
    dsn: Dsn,
    schema: str,
    tables: Mapping[str, str],
    consistent: bool,
    season: str | None,
    partition_rows: int,
    partition_num: int,
) -> _Plan:
    """The moment, the catalog, the exported snapshot, the season filter and the partition ranges.

    All read inside one REPEATABLE READ READ ONLY transaction.
    """
    import psycopg

    failure: SourceError | None = None
    step = "cannot read the catalog of"
    try:
        if consistent:
            conn.execute(_BEGIN)
        version, version_num, standby, now = conn.execute(_MOMENT_SQL).fetchone()
        snapshot_fn = "pg_current_snapshot" if version_num >= 130000 else "txid_current_snapshot"
        (current,) = conn.execute(f"SELECT pg_catalog.{snapshot_fn}()::text").fetchone()
        infos = discover(conn, schema, tables)
        pre = None
        if consistent:
            step = "cannot export a snapshot from"
            (snapshot_id,) = conn.execute("SELECT pg_catalog.pg_export_snapshot()").fetchone()
            pre = [_BEGIN, f"SET TRANSACTION SNAPSHOT {quote_literal(str(snapshot_id))}"]
            step = "cannot read the catalog of"
        where = {} if season is None else {SEASON_TABLE: _season_where(conn, infos, season)}
        ranges = {
            logical: _ranges(conn, info, where.get(logical, ""), partition_rows, partition_num)
            for logical, info in infos.items()
        }
    except psycopg.Error as exc:
        failure = _source_error(dsn, step, exc)
    if failure is not None:
        raise failure
    moment = Moment(consistent, str(current), now, str(version), bool(standby))
    small = not any(_large(info, partition_rows) for info in infos.values())
    return _Plan(infos, moment, pre, where, ranges, small)


def _season_where(conn: Any, infos: Mapping[str, TableInfo], season: str) -> str:
    """``season = '…'`` for the friction table, once the season is known to be there."""
    from quantum_frames.errors import InvalidArgumentError, UnknownNameError
    from quantum_frames.ops.names import closest

    info = infos[SEASON_TABLE]
    if not isinstance(season, str):
        msg = f"season must be a string such as '2025-2026', got {season!r}."
        raise InvalidArgumentError(msg, argument="season")
    if "season" not in {c.name for c in info.columns}:
        msg = (
            f"season={season!r} was given, but {info.display} has no column 'season'. "
            "Hint: leave season=None to load every row."
        )
        raise InvalidArgumentError(msg, argument="season")
    rows = conn.execute(
        f"SELECT DISTINCT season FROM {info.qualified} WHERE season IS NOT NULL"
    ).fetchall()
    known = sorted(str(r[0]) for r in rows)
    if season not in known:
        hint = f"seasons in {info.display}: {', '.join(known) or 'none'}."
        kind = "season"
        raise UnknownNameError(kind, season, closest(season, known), hint=hint)
    return f"season = {quote_literal(season)}"


#: Tables this large on disk are read in partitions however few their rows (JSONB-heavy rows
#: are large; the measurement behind the threshold: BENCHMARKS.md, "Figures behind the code").
_PARTITION_BYTES: Final = 16 * 2**20


def _large(info: TableInfo, partition_rows: int) -> bool:
    """Whether the table is large enough to read in partitions (when it has an integer key)."""
    return info.est_rows >= partition_rows or info.est_bytes >= _PARTITION_BYTES


def _ranges(
    conn: Any, info: TableInfo, where: str, partition_rows: int, partition_num: int
) -> list[tuple[int, int]]:
    """The partitions of a large table: key ranges from MIN/MAX computed in the snapshot.

    Empty: read it whole.
    """
    pk = info.int_pk
    if pk is None or not _large(info, partition_rows) or partition_num < 2:
        return []
    key = quote_ident(pk)
    cond = f" WHERE {where}" if where else ""
    lo, hi = conn.execute(f"SELECT min({key}), max({key}) FROM {info.qualified}{cond}").fetchone()
    if lo is None or hi is None or hi == lo:
        return []
    count = min(partition_num, hi - lo + 1)
    step = -(-(hi - lo + 1) // count)
    return [(a, min(a + step - 1, hi)) for a in range(lo, hi + 1, step)]


def _read_tables(
    uri: _Uri, plan: _Plan, order: list[tuple[str, TableInfo]]
) -> Generator[tuple[str, TableInfo, pl.DataFrame, list[TextNote], float]]:
    """Read the tables, yielding each as it arrives: ``(logical, info, frame, notes, seconds)``.

    When every table is small (below the partitioning thresholds), they are read at once, one
    connection each: at this size a read is mostly round trips and connection set-up, not
    decoding, so three reads overlap instead of adding up (a scale-1 fetch: 1.24 × three
    sequential Polars reads read one after the other, 1.02 × read at once; BENCHMARKS.md). The
    partitioned reads of large tables keep the cores busy on their own and go one table after
    the other, largest first. Either way every read imports the same snapshot, and the tables
    are yielded in the order they finished, in this (the calling) thread.
    """

    def read(logical: str, info: TableInfo) -> tuple[pl.DataFrame, list[TextNote], float]:
        t = time.perf_counter()
        frame, notes = _read_table(
            uri, info, plan.pre, plan.where.get(logical, ""), plan.ranges.get(logical, [])
        )
        return frame, notes, time.perf_counter() - t

    if len(order) < 2 or not plan.small:
        for logical, info in order:
            yield (logical, info, *read(logical, info))
        return
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(len(order), thread_name_prefix="qf-fetch") as pool:
        futures = {pool.submit(read, logical, info): (logical, info) for logical, info in order}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            if any(f.exception() is not None for f in done):
                for f in pending:
                    f.cancel()
                wait(pending)  # the other reads end before the snapshot session does
                _raise_first(f for f in futures if not f.cancelled())
            for future in (f for f in futures if f in done):
                yield (*futures[future], *future.result())


def _raise_first(futures: Iterable[Future[Any]]) -> None:
    """Raise the first failure of ``futures`` (in the tables' order), the others as its notes.

    The same error whichever read failed first in time.
    """
    errors = [e for e in (f.exception() for f in futures) if e is not None]
    for other in errors[1:]:
        errors[0].add_note(f"another table failed too: {other}")
    raise errors[0]


def _read_table(
    uri: _Uri,
    info: TableInfo,
    pre: list[str] | None,
    where: str,
    ranges: list[tuple[int, int]],
) -> tuple[pl.DataFrame, list[TextNote]]:
    """Read one table (in its partitions).

    A guarded column that flagged values is read again as text, in the same snapshot.
    """
    text_columns: frozenset[str] = frozenset()
    counts: dict[str, int] = {}
    while True:
        frame = _fetch(uri, info, pre, where, ranges, text_columns)
        flagged = {
            col.name: frame.height - frame.get_column(flag).null_count()
            for col, flag in info.guarded(text_columns)
            if frame.get_column(flag).null_count() < frame.height
        }
        if not flagged:
            break
        text_columns |= flagged.keys()
        counts.update(flagged)
    flags = [flag for _, flag in info.guarded(text_columns)]
    frame = frame.drop(flags)
    notes = []
    by_name = {c.name: c for c in info.columns}
    if text_columns:
        for name in sorted(text_columns, key=[c.name for c in info.columns].index):
            col = by_name[name]
            notes.append(
                TextNote(
                    info.display, name, col.type_sql, guard_reason(col.type_name), counts[name]
                )
            )
    frame, numeric_notes = _type_back(frame, info)
    return frame, notes + numeric_notes


def _fetch(
    uri: _Uri,
    info: TableInfo,
    pre: list[str] | None,
    where: str,
    ranges: list[tuple[int, int]],
    text_columns: frozenset[str],
) -> pl.DataFrame:
    import connectorx as cx

    pk = info.int_pk
    if ranges and pk is not None:
        key = quote_ident(pk)
        scope = f"{where} AND " if where else ""
        query: str | list[str] = [
            info.select_sql(text_columns=text_columns, where=f"{scope}{key} BETWEEN {a} AND {b}")
            for a, b in ranges
        ]
    else:
        query = info.select_sql(text_columns=text_columns, where=where)
    failure: SourceError | None = None
    try:
        table = cx.read_sql(uri.build(), query, return_type="arrow", pre_execution_query=pre)
    except BaseException as exc:  # connectorx raises RuntimeError, or a Rust panic (BaseException)
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
            raise
        failure = _source_error(uri.dsn, f"cannot read {info.display} from", exc)
    if failure is not None:
        raise failure  # outside the handler: connectorx's error stays out of the chain
    if pk is not None:
        table = _batches_by_key(table, pk)
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    if pk is not None and not frame.get_column(pk).is_sorted():
        frame = frame.sort(pk)  # a copy, only when needed: keep loads reproducible
    return frame


def _batches_by_key(table: pa.Table, key: str) -> pa.Table:
    """The table's record batches ordered by their first ``key``.

    One or more per partition, in the order the partitions finished. No copy, and a table stored in
    key order comes out sorted without sorting it.
    """
    import pyarrow as pa

    batches = [b for b in table.to_batches() if b.num_rows]
    if len(batches) < 2:
        return table
    first = [b.column(key)[0].as_py() for b in batches]
    if None in first:
        return table
    order = sorted(range(len(batches)), key=first.__getitem__)
    return pa.Table.from_batches([batches[i] for i in order], schema=table.schema)


# Failures that may pass: the server refused, reset or dropped the connection, or timed out.
_TRANSIENT: Final = (
    "connection refused", "timeout expired", "timed out", "connection reset",
    "server closed the connection", "terminating connection", "connection to server",
    "the database system is starting up", "the database system is shutting down",
    "could not receive data", "could not send data", "broken pipe", "no such file or directory",
    "invalid snapshot identifier",
)  # fmt: skip
# Failures that will not: trying again with the same password only locks accounts out.
_PERMANENT: Final = (
    "password authentication failed", "no pg_hba.conf entry", "does not exist",
    "permission denied", "authentication failed", "password is required",
    "no password supplied", "canceling statement",
)  # fmt: skip


def _source_error(dsn: Dsn, what: str, exc: BaseException) -> SourceError:
    detail = " ".join(dsn.redact(str(exc)).split())
    lower = detail.lower()
    target = dsn.describe()
    retryable = not any(p in lower for p in _PERMANENT) and any(p in lower for p in _TRANSIENT)
    if "canceling statement" in lower:  # the read started: reaching the server is not it
        hint = (
            "the server cancelled the read: read_postgres(statement_timeout=…) ran out (when "
            "a table is read in partitions, the other partitions are cancelled with it, 'due "
            "to user request'), or an administrator cancelled it. Raise statement_timeout "
            "(None: no limit), or retry"
        )
    elif what.startswith("cannot export"):
        hint = (
            "this server (or a pooler in front of it, such as PgBouncer in transaction mode) "
            "cannot export a snapshot, so the tables cannot be read as one moment. Connect to "
            "the server directly, or pass read_postgres(consistent=False) to read each table "
            "at its own moment (the frames then say so)"
        )
    elif "invalid snapshot identifier" in lower:
        hint = (
            "the session holding the load's snapshot ended before every table was read (an "
            "administrator or a pooler ended it, or, on a hot standby, a recovery conflict "
            "cancelled it: set hot_standby_feedback = on or max_standby_streaming_delay on "
            "that server); retry, or pass consistent=False"
        )
    elif what.startswith("cannot read ") and "connect" not in lower:
        hint = (
            "the read failed after connecting; check that the table is readable by this "
            "user, or pass statement_timeout=None if the server stopped it"
        )
    else:
        advice = said(
            f"{what} PostgreSQL at {target}: {detail}. Hint: check host, port, database, user "
            "and password (",
            Advice("dsn"),
            ", or set QF_DSN / PGPASSWORD), and that the server is running.",
        )
        return SourceError(advice, target=target, retryable=retryable)
    return SourceError(
        f"{what} PostgreSQL at {target}: {detail}. Hint: {hint}.",
        target=target,
        retryable=retryable,
    )


def _type_back(frame: pl.DataFrame, info: TableInfo) -> tuple[pl.DataFrame, list[TextNote]]:
    """Type the NUMERIC columns fetched as text back to their catalog dtype."""
    columns = []
    notes = []
    for col in info.columns:
        if col.type_name == "numeric":
            series, odd = numeric_back(frame.get_column(col.name), col.type_sql)
            columns.append(series)
            if odd:
                reason = "hold NaN, which no Decimal holds"
                notes.append(TextNote(info.display, col.name, col.type_sql, reason, odd))
    return (frame.with_columns(columns) if columns else frame), notes
