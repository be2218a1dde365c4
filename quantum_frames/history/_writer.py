"""Appending a moment to a history: one Delta commit per table, then the log entry.

See :mod:`quantum_frames.history._log` for the protocol that makes a moment of several tables
atomic. Each table is overwritten at every moment (``mode="overwrite"``, with the moment's own
schema: ``schema_mode="overwrite"``), so Delta version ``v`` of a table *is* that moment's
frame for any engine that time-travels to it, and earlier versions keep their data and their
columns. Columns come and go freely between moments (a column added, removed or retyped is
kept exactly as each moment had it — nothing is cast or filled in) unless a contract freezes
the table.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames._version import __version__
from quantum_frames.errors import HistoryError
from quantum_frames.history import _log
from quantum_frames.history._changes import CHANGE_SCHEMA, change_set, counts, tables_equal
from quantum_frames.history._drift import Contract, check_contract, drift, frozen_tables, shape_of
from quantum_frames.history._dtypes import encode_schema, storable
from quantum_frames.history._log import (
    CHANGES_TABLE,
    FLAT_TABLES,
    RAW_TABLES,
    ChangeCounts,
    Column,
    Moment,
    TableState,
    is_history,
    load_moments,
)
from quantum_frames.history._reader import read_tables, require_deltalake
from quantum_frames.snapshots.manifest import parse_when

if TYPE_CHECKING:
    from deltalake import DeltaTable

    from quantum_frames.frames import QuantumFrames

__all__ = ["Append", "write_history"]

#: Keys of ``q.source`` that may hold the database moment of the load (issue 13).
_MOMENT_KEYS: Final = ("moment", "database_moment", "db_moment")


@dataclass(frozen=True)
class Append:
    """What ``write_history`` did.

    Attributes:
        path: the history.
        moment: the moment appended — or, when nothing was written, the newest moment.
        written: False when the load was identical to the newest moment (nothing written).
        changes: inserted / updated / deleted counts per flat table (None: no unique key).
        message: one line saying what happened.
    """

    path: Path
    moment: Moment
    written: bool
    changes: Mapping[str, ChangeCounts | None]
    message: str

    def __str__(self) -> str:
        return self.message


def write_history(
    q: QuantumFrames,
    path: str | os.PathLike[str],
    /,
    *,
    as_of: date | datetime | str | None = None,
    contract: Contract = "evolve",
) -> Append:
    """Append ``q`` to the history at ``path`` as one moment (created when missing).

    Args:
        q: the frames to append.
        path: the history folder: one Delta table per flat table (``teams`` …) and per
            lossless table (``raw/teams`` …), the ``changes`` table and the ``_qf_history``
            commit log.
        as_of: the moment the data describes (default: ``q.as_of``, else now); it must be
            after the newest moment's.
        contract: "evolve" (any shape), "freeze" (refuse a moment whose flat columns, dtypes
            or type conflicts differ from the newest moment's; the first moment sets the
            shape), or per table, e.g. ``{"teams": "freeze"}``.

    Returns:
        What was done: the moment, its change counts, and whether anything was written (a
        load identical to the newest moment writes nothing and says so).

    Raises:
        HistoryContractError: the moment breaks a frozen table (each change listed; nothing
            written).
        HistoryError: the path is not a history, ``as_of`` is not after the newest moment,
            another process appended meanwhile, or a write failed.
        InvalidArgumentError: ``contract`` is not a contract.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.read_postgres("postgresql://analyst@db/prod")  # doctest: +SKIP
        >>> q.write_history("history", contract={"teams": "freeze"})  # doctest: +SKIP
    """
    require_deltalake()
    frozen = frozen_tables(contract)
    root = Path(path)
    if root.exists() and not root.is_dir():
        msg = f"{root} is a file, not a history. Hint: pass a folder path."
        raise HistoryError(msg, path=root)
    if root.is_dir() and not is_history(root) and any(root.iterdir()):
        msg = (
            f"{root} is neither a history nor empty; nothing was written. Hint: pass a new or "
            "empty folder (snapshots and histories live in separate folders)."
        )
        raise HistoryError(msg, path=root)
    moments = load_moments(root) if is_history(root) else []
    head = moments[-1] if moments else None
    now = datetime.now(UTC)
    when = parse_when(as_of) if as_of is not None else (q.as_of or now)
    when = parse_when(when)
    if head is not None and when <= head.as_of:
        msg = (
            f"history {root}: as_of {_log.iso(when)} is not after the newest moment "
            f"({head.version}, as of {_log.iso(head.as_of)}); nothing was written. Hint: moments "
            "go forward in time — pass a later as_of, or keep back-filled data as snapshots."
        )
        raise HistoryError(msg, path=root)
    if head is not None and frozen:
        report = drift(shape_of(q), shape_of(head))
        check_contract(report, frozen, path=root, against=f"moment {head.version}")
    flat = dict(q.tables())
    raw = {f"raw/{name}": frame for name, frame in q.raw.items()}
    frames = {**flat, **raw}
    opened: dict[str, DeltaTable] = {}  # the tables read at the newest moment, reused to commit
    previous = read_tables(root, head, FLAT_TABLES, opened) if head else {}
    unchanged = {n for n, f in flat.items() if n in previous and tables_equal([f], [previous[n]])}
    version = 0 if head is None else head.version + 1
    source = _source_record(q.source)
    moment = Moment(
        version=version,
        snapshot_id=uuid.uuid4().hex,
        as_of=when,
        created_at=now,
        library_version=__version__,
        source=source,
        database_moment=_database_moment(q.source, source),
        flatten=dict(q.options),
    )
    # The Parquet files are written on two threads while this one compares the lossless tables
    # and computes the change sets (the files need neither; only the commits, which carry the
    # change counts, wait for them). A file never committed is removed when the append fails.
    pool = ThreadPoolExecutor(2, thread_name_prefix="qf-history")
    files: dict[str, Future[_File]] = {}
    commits: dict[str, Future[int]] = {}  # each table's commit, once its file is written

    def write(names: list[str]) -> None:
        if names:  # the commit log first: a failed first append leaves a history (of no moment)
            (root / _log.LOG_DIR).mkdir(parents=True, exist_ok=True)  # that takes the next one
        for name in sorted(names, key=lambda n: frames[n].estimated_size(), reverse=True):
            files[name] = pool.submit(_write_file, root, name, frames[name], moment)

    try:
        # a changed flat table's lossless table is written either way: with the same raw table
        # and options the flat one would be the same too
        write([m for n in FLAT_TABLES if n not in unchanged for m in (n, f"raw/{n}")])
        alike = tuple(f"raw/{n}" for n in FLAT_TABLES if n in unchanged)
        if head is not None and alike:
            before = read_tables(root, head, alike, opened)
            same = {n for n in alike if tables_equal([raw[n]], [before[n]])}
            unchanged |= same
            write([n for n in alike if n not in same])
        if head is not None and len(unchanged) == len(FLAT_TABLES) + len(RAW_TABLES):
            message = (
                f"history {root}: the load is identical to moment {head.version} (as of "
                f"{_log.iso(head.as_of)}); no new version was written."
            )
            nothing = {
                n: c and ChangeCounts(c.key, 0, 0, 0)
                for n, c in ((n, head.tables[n].changes) for n in FLAT_TABLES)
            }
            return Append(root, head, False, nothing, message)
        change_frames = {}
        change_counts: dict[str, ChangeCounts | None] = {}
        for name, frame in flat.items():
            last = head.tables[name].changes if head is not None else None
            if name in unchanged and last is not None:  # equal to the last moment: no join
                change_frames[name] = pl.DataFrame(schema=CHANGE_SCHEMA)
                change_counts[name] = ChangeCounts(last.key, 0, 0, 0)
                continue
            found, key = change_set(name, frame, previous.get(name))
            change_frames[name] = found
            change_counts[name] = None if key is None else ChangeCounts(key, **counts(found))
        _log.remove_stale_temporaries(root)
        drafts = {  # each table's state but its Delta version, known once committed
            name: TableState(
                version=0,
                rows=frame.height,
                columns=_columns(frame, _report_of(q, name) if name in FLAT_TABLES else None),
                restore=encode_schema(storable(frame)[1]),
                changes=change_counts.get(name),
            )
            for name, frame in frames.items()
        }
        changes_json = json.dumps({n: c and c.to_json() for n, c in change_counts.items()})
        try:
            # the commits (a Delta log replay and a commit file each) run on two more threads:
            # each table's as soon as its file is there, the changes table's once all are
            with ThreadPoolExecutor(2, thread_name_prefix="qf-commit") as committer:
                for job in as_completed(files.values()):
                    written = job.result()
                    name = written.table
                    metadata = _metadata(moment, name, drafts[name], changes_json)
                    commits[name] = committer.submit(
                        _commit_table, root, name, written, moment, metadata, opened.get(name)
                    )
                rows = pl.concat(list(change_frames.values()))  # every file written
                changes_job = committer.submit(_commit_changes, root, rows, moment, head)
                # a table unchanged since the newest moment keeps its version
                delta_versions = {name: commit.result() for name, commit in commits.items()}
                changes_state = changes_job.result()
            if head is not None:
                delta_versions |= {name: head.tables[name].version for name in unchanged}
            states = {n: replace(d, version=delta_versions[n]) for n, d in drafts.items()}
            if changes_state is not None:
                states[CHANGES_TABLE] = changes_state
            moment = replace(moment, tables=states)
            _log.publish(root, moment)
        except HistoryError:
            raise
        except Exception as exc:
            msg = (
                f"appending to history {root} failed: {type(exc).__name__}: {exc}. "
                + (
                    f"The history still reads as its newest complete moment ({head.version})."
                    if head
                    else "The history holds no moment yet."
                )
                + " Hint: fix the cause and append again."
            )
            raise HistoryError(msg, path=root) from exc
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        _remove_uncommitted(root, files, commits, moment)
        raise
    finally:
        pool.shutdown(wait=True)
    total = dict(change_counts)
    shown = ", ".join(
        f"{n} +{c.inserted} ~{c.updated} -{c.deleted}" if c else f"{n} (no key)"
        for n, c in total.items()
    )
    message = f"history {root}: appended moment {version} (as of {_log.iso(when)}): {shown}."
    return Append(root, moment, True, total, message)


def _report_of(q: QuantumFrames, name: str) -> pl.DataFrame:
    """The flatten report's rows of flat table ``name``."""
    return q.report.filter(pl.col("source").is_in(getattr(q.raw, name).columns))


def _metadata(moment: Moment, name: str, state: TableState, changes: str) -> dict[str, str]:
    """The custom metadata of table ``name``'s commit, readable without quantum_frames.

    It holds the moment, the table's columns (as the flatten report described them), the real dtypes
    of its stand-in columns, and the moment's change counts.
    """
    from quantum_frames.history._dtypes import decode_schema

    real = {c: str(d) for c, d in decode_schema(state.restore).items()}
    return moment.commit_metadata(name) | {
        "quantum_frames.columns": json.dumps([c.to_json() for c in state.columns]),
        "quantum_frames.stand_ins": json.dumps(real),
        "quantum_frames.changes": changes,
    }


@dataclass(frozen=True)
class _File:
    """A table's Parquet file of this moment, written and fsynced, not yet committed."""

    table: str
    name: str
    size: int
    mtime: int
    rows: int
    schema: Any  # pyarrow.Schema


def _write_file(root: Path, name: str, frame: pl.DataFrame, moment: Moment) -> _File:
    """Write ``frame`` as the Parquet file of this moment's version of table ``name``.

    The file is written as a snapshot's are — flat tables by Arrow's writer (about twice as
    fast as delta-rs's own writer here, and read faster), lossless ones by Polars' writer
    (straight from the frame: no Arrow copy) — and fsynced; :func:`_commit_table` then makes
    it the table's only file.
    """
    import pyarrow.parquet as pq

    from quantum_frames.snapshots.writer import ROW_GROUP_ROWS

    data = storable(frame)[0]
    uri = root / name
    uri.mkdir(parents=True, exist_ok=True)
    file = f"part-{moment.version:05d}-{uuid.uuid4().hex}.zstd.parquet"
    try:
        if name in RAW_TABLES:
            schema = data.head(0).to_arrow().schema
            data.write_parquet(uri / file, compression="zstd", row_group_size=ROW_GROUP_ROWS)
        else:
            table = _one_batch(data)
            schema = table.schema
            pq.write_table(table, uri / file, compression="zstd", row_group_size=ROW_GROUP_ROWS)
        fd = os.open(uri / file, os.O_RDONLY)
        try:
            os.fsync(fd)
            size, mtime = os.fstat(fd).st_size, os.fstat(fd).st_mtime_ns // 1_000_000
        finally:
            os.close(fd)
    except BaseException:  # a part-written file (a full disk …) is no file of the table
        with contextlib.suppress(OSError):
            (uri / file).unlink()
        raise
    return _File(name, file, size, mtime, data.height, schema)


def _remove_uncommitted(
    root: Path,
    files: Mapping[str, Future[_File]],
    commits: Mapping[str, Future[int]],
    moment: Moment,
) -> None:
    """Remove the Parquet files of a failed append that no Delta commit refers to.

    A file whose commit succeeded is kept (a Delta version refers to it, even if no log entry
    does); one whose commit failed is kept too if the table's log holds this moment's commit
    after all (the failure came after the commit).
    """
    for name, job in files.items():
        if job.cancelled() or job.exception() is not None:
            continue  # nothing written (a failed write removes its own file)
        commit = commits.get(name)
        if commit is not None and (commit.exception() is None or _committed(root, name, moment)):
            continue
        with contextlib.suppress(OSError):
            (root / name / job.result().name).unlink()


def _committed(root: Path, name: str, moment: Moment) -> bool:
    """Whether table ``name`` holds this moment's commit (True when that cannot be told)."""
    from deltalake import DeltaTable

    try:
        table = DeltaTable(root / name)
        _version_of(table, moment)
    except HistoryError:  # not among the newest 50 commits: not committed, if that was all
        return table.version() >= 50  # of them; past 50 it cannot be ruled out: keep the file
    except Exception:  # the table cannot be read: keep the file
        return True
    return True


def _commit_table(
    root: Path,
    name: str,
    written: _File,
    moment: Moment,
    metadata: dict[str, str],
    table: DeltaTable | None = None,
) -> int:
    """Commit ``written`` as the new version of table ``name``; return its Delta version.

    One Delta transaction, with the file's schema, that makes it the table's only file.
    ``table`` is the table as opened to read the newest moment (brought up to date here), or
    None to open it.
    """
    from deltalake import CommitProperties, DeltaTable, Schema
    from deltalake.exceptions import CommitFailedError, TableNotFoundError
    from deltalake.transaction import AddAction, create_table_with_add_actions

    uri = root / name
    stats = json.dumps({"numRecords": written.rows})
    add = AddAction(written.name, written.size, {}, written.mtime, True, stats)
    schema = Schema.from_arrow(written.schema)
    props = CommitProperties(custom_metadata=metadata)
    try:
        if table is None:
            try:
                table = DeltaTable(uri)
            except TableNotFoundError:
                create_table_with_add_actions(
                    str(uri), schema, [add], mode="overwrite", commit_properties=props
                )
                return _version_of(DeltaTable(uri), moment)
        else:
            table.update_incremental()  # the newest version: the commit's read version
        table.create_write_transaction([add], "overwrite", schema, commit_properties=props)
        table.update_incremental()
    except CommitFailedError as exc:
        msg = (
            f"history {root}: another process committed to table {name!r} while this append was "
            f"running ({exc}); this append is not part of the history. Hint: load again and "
            "append again."
        )
        raise HistoryError(msg, path=uri, table=name) from None
    return _version_of(table, moment)


def _commit_changes(
    root: Path, rows: pl.DataFrame, moment: Moment, head: Moment | None
) -> TableState | None:
    """Append this moment's change rows to the ``changes`` table.

    Nothing is appended when empty: the state of the newest moment carries over.
    """
    from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
    from deltalake.exceptions import TableNotFoundError

    previous = head.tables.get(CHANGES_TABLE) if head else None
    if rows.is_empty():
        return previous
    data = rows.select(
        pl.lit(moment.version, pl.Int64).alias("version"),
        pl.lit(moment.snapshot_id).alias("snapshot_id"),
        pl.lit(moment.as_of).dt.cast_time_unit("us").dt.convert_time_zone("UTC").alias("as_of"),
        "table",
        "key",
        "change",
        "columns",
    )
    uri = root / CHANGES_TABLE
    try:
        table: DeltaTable | None = DeltaTable(uri)
    except TableNotFoundError:
        table = None
    write_deltalake(
        uri if table is None else table,
        _one_batch(data),
        mode="append",
        commit_properties=CommitProperties(
            custom_metadata=moment.commit_metadata(CHANGES_TABLE), max_commit_retries=10
        ),
        writer_properties=WriterProperties(compression="ZSTD"),
    )
    total = (previous.rows if previous else 0) + data.height
    columns = tuple(Column(n, str(d)) for n, d in data.schema.items())
    if table is None:
        table = DeltaTable(uri)
    else:
        table.update_incremental()
    return TableState(version=_version_of(table, moment), rows=total, columns=columns)


def _one_batch(frame: pl.DataFrame) -> Any:
    """``frame`` as an Arrow table of one record batch.

    delta-rs's writer (used for the ``changes`` table) writes the batches of a table in parallel and
    may put them into the file out of order (a frame of three chunks came back reordered in most of
    five tries).
    """
    return frame.to_arrow().combine_chunks()


def _version_of(table: Any, moment: Moment) -> int:
    """The Delta version of this moment's commit, found by its snapshot id.

    It is not assumed to be the newest: another process may have committed since. The newest
    commit is looked at first (reading 50 commits costs 10 ms a table).
    """
    newest = table.history(limit=1)
    if newest and newest[0].get("quantum_frames.snapshot_id") == moment.snapshot_id:
        return int(newest[0]["version"])
    for entry in table.history(limit=50):
        if entry.get("quantum_frames.snapshot_id") == moment.snapshot_id:
            return int(entry["version"])
    msg = (
        f"the commit of moment {moment.version} is not in the newest 50 versions of "
        f"{table.table_uri}. Hint: another process is appending to this history; append again."
    )
    raise HistoryError(msg, path=table.table_uri)


def _columns(frame: pl.DataFrame, report: pl.DataFrame | None) -> tuple[Column, ...]:
    by_name = {} if report is None else {r["column"]: r for r in report.iter_rows(named=True)}
    out = []
    for name, dtype in frame.schema.items():
        r = by_name.get(name)
        if r is None:
            out.append(Column(name, str(dtype)))
        else:
            out.append(
                Column(
                    name,
                    str(dtype),
                    source=r["source"],
                    path=tuple(r["path"]) if r["path"] is not None else None,
                    null_fraction=r["null_fraction"],
                    conflict=r["conflict"],
                )
            )
    return tuple(out)


def _source_record(source: Any) -> dict[str, Any]:
    """The source as recorded: a mapping or a typed record, never a password."""
    from quantum_frames.snapshots.writer import _public_source

    if hasattr(source, "to_json"):
        source = source.to_json()
    elif not isinstance(source, Mapping):
        from dataclasses import asdict, is_dataclass

        source = asdict(source) if is_dataclass(source) and not isinstance(source, type) else {}
    if isinstance(source, str):
        source = json.loads(source)
    record = _public_source(source).to_json()  # nested details become JSON text there …
    for key in _MOMENT_KEYS:  # … but a database moment is kept as its object
        if isinstance(source.get(key), Mapping) and key not in ("moment",):
            record[key] = dict(source[key])
    return record


def _database_moment(source: Any, record: Mapping[str, Any]) -> Any:
    """The database moment the load read, wherever the source keeps it (None: not known)."""
    for key in _MOMENT_KEYS:
        value = getattr(source, key, None)
        if value is None and isinstance(record, Mapping):
            value = record.get(key)
        if value is not None and value != {}:
            return record.get(key, str(value))
    return None
