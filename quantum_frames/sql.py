"""DuckDB SQL over the frames, and DuckDB database files for SQL users."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames._sql import quote_ident
from quantum_frames.errors import (
    Advice,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    SqlError,
    said,
)

if TYPE_CHECKING:
    import os

    from quantum_frames.frames import QuantumFrames

__all__ = ["connect", "sql", "to_duckdb"]


_TABLES_HINT = (
    "tables are teams, friction, strategies, raw_teams, raw_friction, raw_strategies; "
    'quote flattened names ("market_dna.best_strategy")'
)


def _register(con: Any, q: QuantumFrames) -> None:
    for name, frame in q.tables():
        con.register(name, frame.to_arrow(compat_level=pl.CompatLevel.newest()))
    for name, frame in q.raw.items():
        con.register(f"raw_{name}", frame.to_arrow(compat_level=pl.CompatLevel.newest()))


def connect(*, allow_files: bool = False) -> Any:
    """A locked-down in-memory DuckDB connection.

    No file or network access (unless ``allow_files``), no extension installed or loaded
    on its own, the session time zone UTC (timestamps come back as the frames hold them),
    and the configuration locked so a query cannot undo any of it.

    Args:
        allow_files: let queries read and write files (``read_csv``, ``COPY … TO``,
            ``ATTACH``); extensions stay off and the configuration locked.

    Returns:
        A ``duckdb.DuckDBPyConnection``.
    """
    import duckdb

    con = duckdb.connect(
        config={
            "enable_external_access": allow_files,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
        }
    )
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET lock_configuration = true")
    return con


def _connection(q: QuantumFrames, allow_files: bool) -> Any:
    """The connection of ``q`` (one per file-access mode), its frames registered once."""
    cache = q._sql
    con = cache.connections.get(allow_files)
    if con is None:
        con = connect(allow_files=allow_files)
        _register(con, q)
        cache.connections[allow_files] = con
    return con


def _one_statement(con: Any, query: str) -> None:
    """Refuse several statements, and transaction control.

    Transaction control would end the rollback that keeps one query from changing what the next one
    sees.
    """
    import duckdb

    statements = con.extract_statements(query)
    if len(statements) != 1:
        msg = (
            f"q.sql runs one statement at a time; the query holds {len(statements)}. "
            "Hint: run them one by one (or join them with a CTE)."
        )
        raise InvalidArgumentError(msg, argument="query")
    if statements[0].type == duckdb.StatementType.TRANSACTION:
        msg = (
            "q.sql does not take BEGIN, COMMIT or ROLLBACK: each query runs in its own "
            "transaction, rolled back afterwards. Hint: send the statement alone."
        )
        raise InvalidArgumentError(msg, argument="query")


def _one_line(error: BaseException) -> str:
    """DuckDB's message on one line.

    DuckDB spreads a message, its candidates and a caret over several.
    """
    lines = [line.strip() for line in str(error).splitlines()]
    kept = [line for line in lines if line and set(line) != {"^"} and not line.startswith("LINE ")]
    return " ".join(kept).rstrip(".")


def sql(
    q: QuantumFrames,
    query: str,
    /,
    *,
    params: Sequence[Any] | Mapping[str, Any] | None = None,
    lazy: bool = False,
    allow_files: bool = False,
) -> Any:
    """Run DuckDB SQL over ``teams``, ``friction``, ``strategies`` and ``raw_*``.

    The frames are registered with DuckDB once per QuantumFrames (as Arrow, no copy), so a
    warm query costs what DuckDB takes. One statement per call, run in a transaction that is
    rolled back: no query changes what the next one sees. The connection is locked down: a query
    cannot read or write files (``read_csv``, ``COPY … TO``, ``ATTACH``, ``EXPORT DATABASE``),
    install or load extensions, or change that — unless ``allow_files=True``. Timestamps
    come back in UTC, as the frames hold them. Flattened names hold dots: quote them.

    Args:
        q: the frames.
        query: one SQL statement.
        params: values for the query's parameters (``?`` or ``$1`` positionally, ``$name``
            from a mapping) — never format values into the query text.
        lazy: return a ``pl.LazyFrame`` over the result.
        allow_files: let the query read and write files (an explicit opt-in).

    Returns:
        A ``pl.DataFrame`` (a ``pl.LazyFrame`` with ``lazy=True``).

    Raises:
        SqlError: DuckDB could not run the query (one line: DuckDB's message and a hint).
        InvalidArgumentError: an empty query.
        InvalidArgumentTypeError: a query that is not a string, or params of another type.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.sql('''
        ...     SELECT tier, count(*) AS teams,
        ...            round(avg("market_dna.empirical_profile.avg_edge"), 3) AS avg_edge
        ...     FROM teams GROUP BY tier ORDER BY min(tier_rank)
        ... ''').columns
        ['tier', 'teams', 'avg_edge']
        >>> q.sql("SELECT count(*) AS n FROM teams WHERE league = $league",
        ...       params={"league": "Serie A"})["n"].item()
        20
    """
    import duckdb

    if not isinstance(query, str):
        msg = f"query must be an SQL string, got {type(query).__name__}. Hint: pass a str."
        raise InvalidArgumentTypeError(msg, argument="query")
    if not query.strip():
        msg = "query must be a non-empty SQL string. Hint: e.g. 'SELECT * FROM teams LIMIT 5'."
        raise InvalidArgumentError(msg, argument="query")
    if params is not None and (
        isinstance(params, str | bytes) or not isinstance(params, Sequence | Mapping)
    ):
        msg = (
            f"params must be a list (for ? or $1) or a dict (for $name), got "
            f"{type(params).__name__}. Hint: pass params=['Serie A'] or {{'league': 'Serie A'}}."
        )
        raise InvalidArgumentTypeError(msg, argument="params")
    with q._sql.lock:
        con = _connection(q, allow_files)
        try:
            _one_statement(con, query)
            # the connection lives as long as q: whatever a query creates, replaces or drops
            # (CREATE OR REPLACE VIEW teams …) is rolled back, so no query changes the next
            con.begin()
            try:
                relation = con.sql(query, params=params)
                if relation is None:  # a statement without a result (CREATE VIEW …)
                    out: Any = pl.DataFrame()
                else:
                    out = relation.pl(lazy=True) if lazy else relation.pl()
            finally:
                con.rollback()
            if lazy and isinstance(out, pl.DataFrame):
                out = out.lazy()
        except duckdb.Error as exc:
            head = f"DuckDB could not run the query: {_one_line(exc)}. Hint: "
            if isinstance(exc, duckdb.PermissionException) and not allow_files:
                msg = said(
                    head,
                    "queries see only the frames; reading or writing files and extensions "
                    "are off (",
                    Advice("allow_files", "True"),
                    " to read or write files).",
                )
            else:
                msg = said(head, _TABLES_HINT, ".")
            raise SqlError(msg, query=query) from None
    return _utc(out)


def _utc(frame: Any) -> Any:
    """Timestamps in UTC named ``UTC`` (as the frames hold them), not ``Etc/UTC``."""
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    fix = [
        pl.col(name).dt.convert_time_zone("UTC")
        for name, dtype in schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone not in (None, "UTC")
    ]
    return frame.with_columns(fix) if fix else frame


def to_duckdb(
    q: QuantumFrames, path: str | os.PathLike[str], /, *, overwrite: bool = False
) -> Path:
    """Write a DuckDB database file.

    Tables ``teams``, ``friction``, ``strategies`` (flattened), the lossless tables in schema
    ``lossless``, and views ``raw_*`` over them with the JSON columns typed as JSON. Written to a
    temporary file and renamed into place.

    Args:
        q: the frames.
        path: the database file to create.
        overwrite: replace an existing file.

    Returns:
        The path written.

    Raises:
        InvalidArgumentError: the file exists and ``overwrite`` is off.
    """
    import duckdb

    target = Path(path)
    if target.exists() and not overwrite:
        msg = said(
            f"{target} already exists. Hint: ", Advice("overwrite", "True"), " to replace it."
        )
        raise InvalidArgumentError(msg, argument="overwrite")
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    json_sources = set(q.report["source"].to_list())
    try:
        with duckdb.connect(str(tmp)) as con:
            _register(con, q)
            con.execute("CREATE SCHEMA lossless")
            for name, _ in q.tables():
                table = quote_ident(name)
                con.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}")
            for name, frame in q.raw.items():
                table, raw = quote_ident(name), quote_ident(f"raw_{name}")
                con.execute(f"CREATE TABLE lossless.{table} AS SELECT * FROM {raw}")
                casts = [
                    f"{quote_ident(c)}::JSON AS {quote_ident(c)}"
                    for c in frame.columns
                    if c in json_sources
                ]
                replace = f" REPLACE ({', '.join(casts)})" if casts else ""
                con.execute(f"CREATE VIEW {raw} AS SELECT *{replace} FROM lossless.{table}")
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
