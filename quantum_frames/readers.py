"""Readers: assemble source → flatten → :class:`QuantumFrames`."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames._progress import Progress, ProgressArg
from quantum_frames.errors import InvalidArgumentError, InvalidArgumentTypeError, SourceError
from quantum_frames.flattening import flatten_with_report
from quantum_frames.flattening._api import MAX_COLUMNS
from quantum_frames.frames import (
    TABLES,
    FrictionFrame,
    QuantumFrames,
    SourceTables,
    flatten_tables,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from quantum_frames.ops.names import AliasesArg
    from quantum_frames.source import FetchResult, TableInfo
    from quantum_frames.source._dsn import Dsn

__all__ = [
    "build_frames",
    "read_postgres",
    "sample",
    "sample_path",
    "sample_season",
    "sample_season_path",
]

logger = logging.getLogger("quantum_frames")


def read_postgres(
    dsn: str | None = None,
    *,
    schema: str = "quantum",
    tables: Mapping[str, str] | None = None,
    separator: str = ".",
    max_depth: int | None = None,
    max_columns: int | None = MAX_COLUMNS,
    connect_timeout: float = 10.0,
    statement_timeout: float | None = 600.0,
    retries: int = 0,
    partition_rows: int = 20_000,
    partition_num: int | None = None,
    consistent: bool = True,
    season: str | None = None,
    progress: ProgressArg = None,
    aliases: AliasesArg = None,
) -> QuantumFrames:
    """Load the three V3 tables from PostgreSQL into flattened Polars frames.

    One database moment: the catalog, the three tables and every partition are read in one
    exported PostgreSQL snapshot (REPEATABLE READ READ ONLY), recorded in ``q.source["moment"]``
    and shown by the repr. One read-only session per connection
    (``default_transaction_read_only``), binary protocol through connectorx; tables of
    ``partition_rows`` rows or more (or of 16 MiB or more on disk) are read in parallel
    partitions on their integer primary key, the key ranges computed inside the snapshot.
    Columns are discovered from the catalog: only the key columns are required, every other
    column is carried through (one dtype per column, chosen from the catalog; values no Polars
    type holds keep their column as text, with a ``ColumnKeptAsTextWarning``), every JSON/JSONB
    column is flattened on all rows.

    Args:
        dsn: ``postgresql://user@host:5432/db`` or ``host=… dbname=…``; default env ``QF_DSN``.
            A password missing from it is taken from ``PGPASSWORD`` (or ``~/.pgpass``).
        schema: the schema holding the tables.
        tables: physical table names per logical table (``teams``, ``friction``,
            ``strategies``) when they differ from the V3 defaults.
        separator: joins a column name and its JSON keys in flat column names.
        max_depth: objects nested deeper than this many keys stay JSON text.
        max_columns: leaf columns per JSON column (None: no limit); past it the widest
            objects (a dict keyed by match id) stay JSON text, named in the report.
        connect_timeout: seconds to wait for the server to accept a connection.
        statement_timeout: seconds a single read may take on the server (None: no limit).
        retries: how many more times to try when the server cannot be reached (refused,
            reset, timed out; a wrong password or a missing database is never retried).
        partition_rows: tables with at least this many rows are read in partitions.
        partition_num: partitions per large table (default: the number of CPU cores).
        consistent: read everything in one snapshot (default). False reads each table and
            partition at its own moment (for servers or poolers that cannot export a
            snapshot); ``q.source["moment"]["consistent"]`` and the repr then say so.
        season: load only this season of the friction table (default: every season; the
            friction operations then use each pair's newest season unless told otherwise).
        progress: a progress bar per table fetched and flattened: None shows it in terminals
            and notebooks only, True/False always/never; a callable gets one line per step.
        aliases: more team aliases for every name lookup, added to the shipped ones:
            ``{"Liverpool": ["LFC", "The Reds"]}`` or a ``team_name, alias`` frame.

    Returns:
        QuantumFrames with ``teams``, ``friction``, ``strategies``, the lossless ``raw``
        tables and the flatten ``report``; ``timings["total"]`` covers the whole call.

    Raises:
        SourceError: the server cannot be reached or read, or cannot export a snapshot
            (password never shown).
        InvalidArgumentError: a bad argument (``retries``, ``tables``, ``season``).
        UnknownNameError: ``season`` names no season of the friction table.
        MissingTableError, MissingColumnError: the schema lacks a required table or column.
        FlattenCollisionError: two JSON paths give one column name; pass another separator.
        InvalidArgumentError, InvalidArgumentTypeError: an argument of the wrong value or type.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.read_postgres("postgresql://analyst@db.internal:5432/prod")  # doctest: +SKIP
        >>> q = qf.read_postgres(season="2025-2026", consistent=False)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    started = datetime.now(UTC)
    _check_args(dsn=dsn, schema=schema, separator=separator, retries=retries)
    if not isinstance(consistent, bool):
        msg = f"consistent must be True or False, got {consistent!r}."
        raise InvalidArgumentTypeError(msg, argument="consistent")
    from quantum_frames.source import DEFAULT_TABLES  # the source stage, on the first load
    from quantum_frames.source._dsn import Dsn

    mapping = {**DEFAULT_TABLES, **(tables or {})}
    unknown = sorted(set(mapping) - set(TABLES))
    if unknown:
        msg = (
            f"tables= takes the keys {list(TABLES)}; got unknown {unknown}. "
            "Hint: e.g. tables={'teams': 'my_teams_view'}."
        )
        raise InvalidArgumentError(msg, argument="tables")
    parsed = Dsn.parse(dsn)
    for attempt in range(retries + 1):
        try:
            fetched, flat = _fetch_and_flatten(
                parsed,
                schema=schema,
                tables=mapping,
                connect_timeout=connect_timeout,
                statement_timeout=statement_timeout,
                partition_rows=partition_rows,
                partition_num=partition_num or os.cpu_count() or 2,
                consistent=consistent,
                season=season,
                separator=separator,
                max_depth=max_depth,
                max_columns=max_columns,
                progress=progress,
            )
            break
        except SourceError as exc:
            if attempt == retries or not exc.retryable:
                raise
            wait = min(2.0**attempt, 10.0)
            logger.warning(
                "load failed (attempt %d of %d), retrying in %.0fs", attempt + 1, retries + 1, wait
            )
            time.sleep(wait)
    raw = _with_team_names(fetched.frames)
    flat_frames = _with_team_names({name: frame for name, (frame, _) in flat.items()})
    source = {
        "kind": "postgresql",
        **parsed.public(),
        "schema": schema,
        "tables": {name: info.name for name, info in fetched.tables.items()},
        "server_version": fetched.server_version,
        "moment": fetched.moment.record() if fetched.moment else {},
        "text_columns": [note.describe() for note in fetched.text_columns],
    }
    if season is not None:
        source["season"] = season
    timings = dict(fetched.timings)
    q = QuantumFrames(
        teams=flat_frames["teams"],
        friction=FrictionFrame(flat_frames["friction"]),
        strategies=flat_frames["strategies"],
        raw=SourceTables(**raw),
        report=pl.concat([flat[name][1] for name in TABLES]),
        source=source,
        options={"separator": separator, "max_depth": max_depth, "max_columns": max_columns},
        timings=timings,
        loaded_at=started,
    )
    if aliases is not None:
        q = q.with_aliases(aliases)
    timings["total"] = time.perf_counter() - t0  # the whole call, what the caller waited
    return q


def _check_args(*, dsn: object, schema: object, separator: object, retries: object) -> None:
    """Refuse arguments of the wrong type before anything is read."""
    for name, value in (("dsn", dsn), ("schema", schema), ("separator", separator)):
        if value is not None and not isinstance(value, str):
            example = {
                "dsn": "'postgresql://user@host:5432/db'",
                "schema": "'quantum'",
                "separator": "'.'",
            }[name]
            shown = "" if name == "dsn" else f" {value!r}"  # a DSN may hold a password
            msg = (
                f"{name} must be a string, got {type(value).__name__}{shown}. "
                f"Hint: pass {name}={example}."
            )
            raise InvalidArgumentTypeError(msg, argument=name)
    if isinstance(retries, bool) or not isinstance(retries, int):
        msg = f"retries must be a whole number, got {type(retries).__name__} {retries!r}."
        raise InvalidArgumentTypeError(msg, argument="retries")
    if retries < 0:
        msg = f"retries must be 0 or more, got {retries!r}. Hint: pass retries=3."
        raise InvalidArgumentError(msg, argument="retries")


def _fetch_and_flatten(
    dsn: Dsn,
    *,
    separator: str,
    max_depth: int | None,
    max_columns: int | None,
    progress: ProgressArg,
    **fetch_options: Any,
) -> tuple[FetchResult, dict[str, tuple[pl.DataFrame, pl.DataFrame]]]:
    """Fetch table after table, flattening each in the background.

    Each table is flattened while the next is fetched, so decoding overlaps the network and the
    server's work.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    futures: dict[str, Future[tuple[pl.DataFrame, pl.DataFrame]]] = {}
    flatten_s: dict[str, float] = {}

    def flatten_one(
        name: str, frame: pl.DataFrame, info: TableInfo
    ) -> tuple[pl.DataFrame, pl.DataFrame]:
        t = time.perf_counter()
        json_cols = info.json_columns
        result = flatten_with_report(  # PostgreSQL checked every json/jsonb value
            frame,
            json_cols,
            separator=separator,
            max_depth=max_depth,
            max_columns=max_columns,
            valid_json=True,
            _unique_keys=info.jsonb_columns,  # jsonb keeps one member per key
        )
        flatten_s[name] = time.perf_counter() - t
        bar.step(
            f"flattened {name}: {len(json_cols)} JSON columns → {result[0].width} columns "
            f"in {flatten_s[name]:.2f}s"
        )
        return result

    with (
        Progress(6, "read_postgres", progress) as bar,
        # two tables may flatten at once: the last one fetched need not wait for the one before
        ThreadPoolExecutor(2, thread_name_prefix="qf-load") as pool,
    ):

        def on_table(info: TableInfo, frame: pl.DataFrame, seconds: float) -> None:
            bar.step(f"fetched {info.display}: {frame.height:,} rows in {seconds:.2f}s")
            futures[info.logical] = pool.submit(flatten_one, info.logical, frame, info)

        from quantum_frames.source import fetch_tables

        fetched = fetch_tables(dsn, on_table=on_table, **fetch_options)
        t = time.perf_counter()
        # in the tables' order, not the order they arrived: the same error if two fail
        flat = {name: futures[name].result() for name in fetched.tables}
    fetched.timings["flatten"] = sum(flatten_s.values())
    fetched.timings["flatten_wait"] = time.perf_counter() - t
    return fetched, flat


def build_frames(
    raw: SourceTables,
    *,
    json_columns: Mapping[str, list[str]] | None = None,
    source: Mapping[str, object] | None = None,
    separator: str = ".",
    max_depth: int | None = None,
    max_columns: int | None = MAX_COLUMNS,
    loaded_at: datetime | None = None,
) -> QuantumFrames:
    """Flatten lossless source tables into :class:`QuantumFrames`.

    ``json_columns`` names the JSON columns per table (as the catalog said); default: every
    String column whose values are JSON objects.

    Examples:
        >>> import quantum_frames as qf
        >>> raw = qf.sample().raw  # lossless tables, JSON as text
        >>> qf.build_frames(raw, separator="__").teams.height
        96
    """
    t0 = time.perf_counter()
    flat, report = flatten_tables(
        raw, json_columns, separator=separator, max_depth=max_depth, max_columns=max_columns
    )
    return QuantumFrames(
        teams=flat["teams"],
        friction=FrictionFrame(flat["friction"]),
        strategies=flat["strategies"],
        raw=raw,
        report=report,
        source=dict(source or {}),
        options={"separator": separator, "max_depth": max_depth, "max_columns": max_columns},
        timings={"flatten": time.perf_counter() - t0},
        loaded_at=loaded_at,
    )


def _with_team_names(frames: Mapping[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Give friction and strategies the team names when their tables hold only ids."""
    teams = frames["teams"]
    names = teams.select("team_id", "team_name")
    out = dict(frames)
    friction = frames["friction"]
    for side in ("home", "away"):
        id_col, name_col = f"team_{side}_id", f"team_{side}_name"
        if name_col not in friction.columns:
            renamed = names.rename({"team_id": id_col, "team_name": name_col})
            friction = friction.join(renamed, on=id_col, how="left", maintain_order="left")
    out["friction"] = friction
    strategies = frames["strategies"]
    if "team_name" not in strategies.columns:
        strategies = strategies.join(names, on="team_id", how="left", maintain_order="left")
    out["strategies"] = strategies
    return out


def sample_path() -> Path:
    """Where the bundled sample snapshot lives inside the installed package.

    Returns:
        The snapshot directory (read it with ``qf.read_snapshot``, or ``qf.sample()``).

    Examples:
        >>> import quantum_frames as qf
        >>> qf.sample_path().name
        'snapshot'
    """
    return Path(str(resources.files("quantum_frames.synthetic").joinpath("snapshot")))


def sample() -> QuantumFrames:
    """The bundled SYNTHETIC sample (96 teams, 2025-2026): no database, no network.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.teams.height, q.friction.height
        (96, 1752)
    """
    from quantum_frames.snapshots.reader import read_snapshot

    return read_snapshot(sample_path())


def sample_season_path() -> Path:
    """Where the bundled sample season lives inside the installed package.

    A folder of SYNTHETIC snapshots (one per matchday) and ``fixtures.parquet`` (fixtures with goals
    and odds), for backtests.

    The wheel carries it as ``quantum_frames/synthetic/season`` (copied from the
    repository's ``data/season`` at build time); a checkout (editable install) reads
    ``data/season`` itself.

    Returns:
        The folder.

    Examples:
        >>> import quantum_frames as qf
        >>> sorted(p.name for p in qf.sample_season_path().iterdir())[:2]
        ['fixtures.parquet', 'snapshots']
    """
    packaged = Path(str(resources.files("quantum_frames.synthetic").joinpath("season")))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "data" / "season"


def sample_season() -> tuple[Path, pl.DataFrame]:
    """The bundled SYNTHETIC sample season: its folder of snapshots and its fixtures.

    Works from an installed wheel (no checkout, no database): pass the folder to
    ``qf.point_in_time(fixtures, folder)`` or ``quantum-frames backtest --snapshots``.

    Returns:
        ``(snapshots folder, fixtures frame)``.

    Examples:
        >>> import quantum_frames as qf
        >>> folder, fixtures = qf.sample_season()
        >>> folder.name, fixtures.height > 0
        ('snapshots', True)
    """
    root = sample_season_path()
    return root / "snapshots", pl.read_parquet(root / "fixtures.parquet")
