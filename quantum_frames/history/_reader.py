"""Reading a history: one moment through the commit log, eagerly or lazily, and its list."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames.errors import HistoryError, InvalidArgumentError
from quantum_frames.flattening import report_frame
from quantum_frames.frames import FrictionFrame, LazySourceTables, QuantumFrames
from quantum_frames.history._dtypes import decode_schema, restore
from quantum_frames.history._log import (
    CHANGES_TABLE,
    FLAT_TABLES,
    RAW_TABLES,
    Moment,
    TableState,
    iso,
    load_moments,
)
from quantum_frames.snapshots.manifest import newest_at_or_before, parse_when

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping
    from datetime import date, datetime

    from deltalake import DeltaTable

__all__ = [
    "LazyHistory",
    "changes",
    "history_frames",
    "list_history",
    "read_history",
    "read_tables",
    "resolve_moment",
    "scan_history",
]

_PIP_HINT = "pip install 'quantum-frames[history]'"


def require_deltalake() -> None:
    """Import deltalake, or say how to install it.

    Raises:
        HistoryError: deltalake is not installed.
    """
    try:
        import deltalake  # noqa: F401
    except ImportError:
        msg = (
            "histories are Delta Lake tables and need the deltalake package, which is not "
            f"installed. Hint: {_PIP_HINT}"
        )
        raise HistoryError(msg) from None


def read_history(
    path: str | os.PathLike[str],
    /,
    *,
    as_of: date | datetime | str | None = None,
    version: int | None = None,
) -> QuantumFrames:
    """Read one moment of a history: the newest at or before ``as_of``, or moment ``version``.

    Args:
        path: the history folder (written by ``q.write_history``).
        as_of: pick the newest moment whose ``as_of`` is at or before this (a bare date
            includes that whole day — the rule of ``read_snapshot``). Default: the newest.
        version: the moment's number instead (``list_history``'s ``version`` column).

    Returns:
        The frames of that moment; the lossless tables are read on first use.

    Raises:
        HistoryError: no moment fits, the path is not a history, or a table is damaged (the
            message names the table and the file).
        InvalidArgumentError: both ``as_of`` and ``version`` were given.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.read_history("history", as_of="2025-10-01")  # doctest: +SKIP
    """
    root, moment = resolve_moment(path, as_of=as_of, version=version)
    flat = read_tables(root, moment, FLAT_TABLES)
    return _frames(root, moment, flat)


def _frames(root: Path, moment: Moment, flat: Mapping[str, pl.DataFrame]) -> QuantumFrames:
    return QuantumFrames(
        teams=flat["teams"],
        friction=FrictionFrame(flat["friction"]),
        strategies=flat["strategies"],
        raw=LazySourceTables(functools.partial(_raw_tables, root, moment)),  # picklable
        report=_report(moment),
        source=_source_of(root, moment),
        options=dict(moment.flatten),
        timings={},
        loaded_at=moment.created_at,
        as_of=moment.as_of,
    )


def _raw_tables(root: Path, moment: Moment) -> dict[str, pl.DataFrame]:
    """The lossless tables of ``moment``, by their short names."""
    frames = read_tables(root, moment, RAW_TABLES)
    return {name.removeprefix("raw/"): frame for name, frame in frames.items()}


def _source_of(root: Path, moment: Moment) -> dict[str, Any]:
    """The moment's source, naming the history and the moment.

    ``moment``, when the source has one, stays the database moment of the load.
    """
    return {**moment.source, "history": str(root), "history_moment": moment.version}


@dataclass(frozen=True)
class LazyHistory:
    """LazyFrames over one moment of a history (the Delta tables at the listed versions).

    Examples:
        >>> import pathlib, tempfile
        >>> import quantum_frames as qf
        >>> history = pathlib.Path(tempfile.mkdtemp()) / "history"
        >>> _ = qf.sample().write_history(history, as_of="2025-11-15")
        >>> lazy = qf.scan_history(history)
        >>> lazy.moment.version, lazy.teams.select("team_name").collect().height
        (0, 96)
    """

    teams: pl.LazyFrame
    friction: pl.LazyFrame
    strategies: pl.LazyFrame
    raw: Mapping[str, pl.LazyFrame]
    moment: Moment


def scan_history(
    path: str | os.PathLike[str],
    /,
    *,
    as_of: date | datetime | str | None = None,
    version: int | None = None,
) -> LazyHistory:
    """LazyFrames over one moment of a history, for histories larger than memory.

    Only the commit log and the Delta logs are read up front; filters and projections go
    into the Parquet scan. Args and moment choice as in :func:`read_history`.

    Raises:
        HistoryError: no moment fits, or a table's data file is missing (naming it).

    Examples:
        >>> import pathlib, tempfile
        >>> import quantum_frames as qf
        >>> history = pathlib.Path(tempfile.mkdtemp()) / "history"
        >>> _ = qf.sample().write_history(history, as_of="2025-11-15")
        >>> lazy = qf.scan_history(history, as_of="2025-12-01")
        >>> lazy.moment.as_of.date().isoformat()
        '2025-11-15'
        >>> lazy.friction.filter(league="Serie A").collect().height > 0
        True
    """
    root, moment = resolve_moment(path, as_of=as_of, version=version)
    flat = {name: scan_table(root, moment, name) for name in FLAT_TABLES}
    raw = {name.removeprefix("raw/"): scan_table(root, moment, name) for name in RAW_TABLES}
    return LazyHistory(flat["teams"], flat["friction"], flat["strategies"], raw, moment)


def resolve_moment(
    path: str | os.PathLike[str],
    *,
    as_of: date | datetime | str | None = None,
    version: int | None = None,
) -> tuple[Path, Moment]:
    """The history root and the moment ``as_of`` or ``version`` picks (default: the newest).

    Raises:
        HistoryError: the path is not a history, or no moment fits.
        InvalidArgumentError: both ``as_of`` and ``version`` were given.
    """
    require_deltalake()
    if as_of is not None and version is not None:
        msg = (
            "pass as_of or version, not both. Hint: version picks a moment by number, as_of by "
            "date."
        )
        raise InvalidArgumentError(msg, argument="version")
    root = Path(path)
    moments = load_moments(root)
    if not moments:
        msg = f"history {root} holds no moment yet. Hint: append one with q.write_history(path)."
        raise HistoryError(msg, path=root)
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int):
            msg = (
                f"version must be a moment number (int), not {type(version).__name__}. Hint: see "
                "qf.list_history(path)."
            )
            raise InvalidArgumentError(msg, argument="version")
        if not 0 <= version < len(moments):
            msg = (
                f"history {root} has no moment {version}; it has 0 to {len(moments) - 1}. Hint: "
                "see qf.list_history(path)."
            )
            raise HistoryError(msg, path=root)
        return root, moments[version]
    if as_of is None:
        return root, moments[-1]
    newest = newest_at_or_before(moments, as_of)
    if newest is None:
        first = moments[0].as_of
        msg = (
            f"no moment of history {root} is as of {as_of} or earlier; the first is as of "
            f"{first:%Y-%m-%d %H:%M:%S} UTC. Hint: pass a later date."
        )
        raise HistoryError(msg, path=root)
    return root, newest


def open_table(root: Path, name: str, state: TableState) -> DeltaTable:
    """The Delta table ``name`` at its version of a moment, every data file present.

    Raises:
        HistoryError: the table or that version cannot be opened, or a data file is missing.
    """
    from deltalake import DeltaTable

    uri = root / name
    try:
        table = DeltaTable(uri, version=state.version)
    except Exception as exc:  # deltalake's errors: TableNotFoundError, DeltaError …
        msg = (
            f"history {root}: table {name!r} cannot be opened at Delta version {state.version} "
            f"({type(exc).__name__}: {_first_line(exc)}). Hint: the table was removed, vacuumed "
            f"or damaged; restore {uri} from a backup."
        )
        raise HistoryError(msg, path=uri, table=name) from None
    missing = [f for f in table.file_uris() if not Path(f.removeprefix("file://")).is_file()]
    if missing:
        msg = (
            f"history {root}: table {name!r} (Delta version {state.version}) lacks its data file "
            f"{missing[0]}{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}. Hint: "
            "the file was deleted (a vacuum with a short retention?); restore it from a backup."
        )
        raise HistoryError(msg, path=missing[0], table=name)
    return table


def scan_table(
    root: Path, moment: Moment, name: str, opened: dict[str, DeltaTable] | None = None
) -> pl.LazyFrame:
    """A LazyFrame over table ``name`` as of ``moment``, stand-in dtypes restored.

    The Delta table opened is put into ``opened`` (by name) when given.
    """
    state = moment.tables[name]
    table = open_table(root, name, state)
    if opened is not None:
        opened[name] = table
    scan = restore(pl.scan_delta(table), decode_schema(state.restore))
    # the moment's column order: delta-rs keeps a table's earlier order when a moment holds
    # the same columns in another order
    return scan.select([c.name for c in state.columns]) if state.columns else scan


def read_tables(
    root: Path,
    moment: Moment,
    names: tuple[str, ...],
    opened: dict[str, DeltaTable] | None = None,
) -> dict[str, pl.DataFrame]:
    """The tables ``names`` of ``moment``, decoded together and checked against the log.

    The Delta tables opened are put into ``opened`` (by name) when given.

    Raises:
        HistoryError: a table cannot be read, or does not match what the log recorded.
    """
    scans = [scan_table(root, moment, name, opened) for name in names]
    try:
        frames = pl.collect_all(scans)
    except Exception:  # say which table is damaged
        frames = [_collect(root, name, scan) for name, scan in zip(names, scans, strict=True)]
    out = {}
    for name, frame in zip(names, frames, strict=True):
        state = moment.tables[name]
        got = [(c, str(d)) for c, d in frame.schema.items()]
        want = [(c.name, c.dtype) for c in state.columns]
        if got != want or frame.height != state.rows:
            msg = (
                f"history {root}: table {name!r} at Delta version {state.version} does not match "
                f"moment {moment.version}'s log entry: {frame.height} rows (the log: "
                f"{state.rows}), columns and dtypes {'match' if got == want else 'differ'}. Hint: "
                "the table was changed outside quantum_frames; restore it from a backup."
            )
            raise HistoryError(msg, path=root / name, table=name)
        out[name] = frame
    return out


def _collect(root: Path, name: str, scan: pl.LazyFrame) -> pl.DataFrame:
    try:
        return scan.collect()
    except Exception as exc:
        msg = (
            f"history {root}: cannot read table {name!r} ({type(exc).__name__}: "
            f"{_first_line(exc)}). Hint: the table is damaged; restore it from a backup."
        )
        raise HistoryError(msg, path=root / name, table=name) from None


def list_history(path: str | os.PathLike[str], /) -> pl.DataFrame:
    """The moments of a history, oldest first: one row per moment.

    Columns: ``version`` (the moment's number), ``as_of``, ``created_at``, ``snapshot_id``,
    per flat table its Delta version, rows and changed keys (``teams_version``,
    ``teams_rows``, ``teams_changed`` …), the Delta versions of the lossless tables, and the
    ``inserted`` / ``updated`` / ``deleted`` totals (null when a table had no unique key).

    Raises:
        HistoryError: the path is not a history, or a log entry is damaged.

    Examples:
        >>> import quantum_frames as qf
        >>> qf.list_history("history").select("version", "as_of", "updated")  # doctest: +SKIP
    """
    require_deltalake()
    moments = load_moments(Path(path))
    rows: list[dict[str, Any]] = []
    for m in moments:
        row: dict[str, Any] = {
            "version": m.version,
            "as_of": m.as_of,
            "created_at": m.created_at,
            "snapshot_id": m.snapshot_id,
        }
        totals: dict[str, int | None] = {"inserted": 0, "updated": 0, "deleted": 0}
        for name in FLAT_TABLES:
            state = m.tables[name]
            counts = state.changes
            row[f"{name}_version"] = state.version
            row[f"{name}_rows"] = state.rows
            row[f"{name}_changed"] = (
                None if counts is None else counts.inserted + counts.updated + counts.deleted
            )
            for kind in totals:
                value = totals[kind]
                totals[kind] = (
                    None if counts is None or value is None else value + getattr(counts, kind)
                )
        for name in RAW_TABLES:
            row[f"{name.replace('/', '_')}_version"] = m.tables[name].version
        rows.append(row | totals)
    schema: dict[str, pl.DataType] = {
        "version": pl.Int64(),
        "as_of": pl.Datetime("us", "UTC"),
        "created_at": pl.Datetime("us", "UTC"),
        "snapshot_id": pl.String(),
    }
    for name in FLAT_TABLES:
        schema |= {f"{name}_{k}": pl.Int64() for k in ("version", "rows", "changed")}
    schema |= {f"{n.replace('/', '_')}_version": pl.Int64() for n in RAW_TABLES}
    schema |= {k: pl.Int64() for k in ("inserted", "updated", "deleted")}
    return pl.DataFrame(rows, schema=schema)


def changes(
    path: str | os.PathLike[str],
    /,
    *,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
) -> pl.DataFrame:
    """The change sets of the moments after ``since`` up to ``until``: one row per key.

    Args:
        path: the history folder.
        since: only moments whose ``as_of`` is after this (a bare date: after that whole day).
            Default: from the first moment (whose rows are all "inserted").
        until: only moments whose ``as_of`` is at or before this (a bare date includes the
            day). Default: up to the newest.

    Returns:
        Columns ``version`` (the moment), ``as_of``, ``table``, ``key`` (the row's key as a
        JSON object, e.g. ``{"team_id":7}``), ``change`` (inserted, updated, deleted) and
        ``columns`` (for updates: the flat columns whose value changed).

    Raises:
        HistoryError: the path is not a history, or the changes table is damaged.

    Examples:
        >>> import quantum_frames as qf
        >>> qf.changes("history", since="2025-10-01")  # doctest: +SKIP
    """
    require_deltalake()
    root = Path(path)
    moments = load_moments(root)
    low = parse_when(since, end_of_day=True) if since is not None else None
    high = parse_when(until, end_of_day=True) if until is not None else None
    chosen = [
        m for m in moments if (low is None or m.as_of > low) and (high is None or m.as_of <= high)
    ]
    schema = {
        "version": pl.Int64(),
        "as_of": pl.Datetime("us", "UTC"),
        "table": pl.String(),
        "key": pl.String(),
        "change": pl.String(),
        "columns": pl.List(pl.String()),
    }
    with_changes = [m for m in chosen if CHANGES_TABLE in m.tables]
    if not with_changes:
        return pl.DataFrame(schema=schema)
    newest = with_changes[-1]
    wanted = pl.DataFrame(
        {
            "version": [m.version for m in chosen],
            "snapshot_id": [m.snapshot_id for m in chosen],
        },
        schema={"version": pl.Int64(), "snapshot_id": pl.String()},
    )
    scan = scan_table(root, newest, CHANGES_TABLE)
    try:
        out = (
            scan.join(wanted.lazy(), on=["version", "snapshot_id"], how="semi")
            .select(list(schema))
            .collect()
        )
    except Exception as exc:
        msg = (
            f"history {root}: cannot read table {CHANGES_TABLE!r} ({type(exc).__name__}: "
            f"{_first_line(exc)}). Hint: the table is damaged; restore it from a backup."
        )
        raise HistoryError(msg, path=root / CHANGES_TABLE, table=CHANGES_TABLE) from None
    return out


def history_frames(path: str | os.PathLike[str]) -> list[QuantumFrames]:
    """Every moment of a history as QuantumFrames that read their tables on first use.

    Only the moments whose tables are used are ever read (each then stays with its object);
    ``point_in_time`` does not need them: it scans the moments its fixtures use lazily.
    """
    require_deltalake()
    root = Path(path)
    return [_LazyMoment.of(root, m) for m in load_moments(root)]


class _LazyMoment(QuantumFrames):
    """A moment's QuantumFrames whose tables are read from Delta on first use."""

    @classmethod
    def of(cls, root: Path, moment: Moment) -> _LazyMoment:
        from quantum_frames.frames import _SqlCache

        self = object.__new__(cls)
        for key, value in {
            "_root": root,
            "_moment": moment,
            "source": _source_of(root, moment),
            "options": dict(moment.flatten),
            "timings": {},
            "loaded_at": moment.created_at,
            "as_of": moment.as_of,
            "aliases": None,
            "_sql": _SqlCache(),
        }.items():
            object.__setattr__(self, key, value)
        return self

    def __getattr__(self, name: str) -> Any:
        if name not in {"teams", "friction", "strategies", "raw", "report"}:
            raise AttributeError(name)
        root: Path = object.__getattribute__(self, "_root")
        moment: Moment = object.__getattribute__(self, "_moment")
        full = _frames(root, moment, read_tables(root, moment, FLAT_TABLES))
        for field in ("teams", "friction", "strategies", "raw", "report"):
            object.__setattr__(self, field, getattr(full, field))
        return getattr(full, name)


def _report(moment: Moment) -> pl.DataFrame:
    flat = [c for name in FLAT_TABLES for c in moment.tables[name].columns if c.source]
    return report_frame(
        {
            "column": [c.name for c in flat],
            "source": [c.source for c in flat],
            "path": [None if c.path is None else list(c.path) for c in flat],
            "dtype": [c.dtype for c in flat],
            "null_fraction": [c.null_fraction for c in flat],
            "conflict": [c.conflict for c in flat],
        }
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else ""


def describe(moment: Moment) -> str:
    """One line naming a moment: its number and as_of."""
    return f"moment {moment.version} (as of {iso(moment.as_of)})"
