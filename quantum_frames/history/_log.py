"""The history's commit log: which Delta version of each table makes up each moment.

Delta commits are per table, so a moment of several tables needs its own record. The protocol:

1. an appender reads the log's head (moment ``N``), then commits each table — the flat
   ``teams``, ``friction``, ``strategies``, the lossless ``raw/…`` and the ``changes`` table —
   as a new Delta version;
2. it then writes the log entry ``_qf_history/<N+1>.json`` listing each table's Delta version,
   *last*, in one atomic step: the entry is written to a hidden temporary file, fsynced, and
   hard-linked to its final name, which fails when the name exists — so of two appenders of
   moment ``N+1`` exactly one wins, and the other learns it;
3. readers go through the log only: a Delta version no entry lists (an append killed before
   step 2, or the loser of a race) is never read by quantum_frames.

Entries are typed records, parsed strictly (size-bounded, every field checked) and carry their
own SHA-256, so an edited or damaged entry is a clear error naming it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NoReturn

from quantum_frames._process import process_alive
from quantum_frames.errors import HistoryError
from quantum_frames.snapshots.manifest import parse_when

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

__all__ = [
    "CHANGES_TABLE",
    "FLAT_TABLES",
    "FORMAT",
    "LOG_DIR",
    "RAW_TABLES",
    "ChangeCounts",
    "Column",
    "Moment",
    "TableState",
    "is_history",
    "load_moments",
    "publish",
]

FORMAT: Final = "quantum_frames.history"
FORMAT_VERSION: Final = 1
LOG_DIR: Final = "_qf_history"
FLAT_TABLES: Final = ("teams", "friction", "strategies")
RAW_TABLES: Final = ("raw/teams", "raw/friction", "raw/strategies")
CHANGES_TABLE: Final = "changes"
#: A log entry larger than this is refused unread (a damaged or hostile file).
MAX_ENTRY_BYTES: Final = 64 * 1024 * 1024
_ENTRY = re.compile(r"^(\d{20})\.json$")


@dataclass(frozen=True)
class Column:
    """One column of a table at a moment, as the flatten report described it."""

    name: str
    dtype: str
    source: str | None = None
    path: tuple[str, ...] | None = None
    null_fraction: float | None = None
    conflict: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The column as a JSON object."""
        out: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.source is not None:
            out |= {
                "source": self.source,
                "path": None if self.path is None else list(self.path),
                "null_fraction": self.null_fraction,
                "conflict": self.conflict,
            }
        return out

    @classmethod
    def from_json(cls, data: Any, where: str) -> Column:
        """Parse one column object; ``where`` names it in errors."""
        obj = _object(data, where)
        path = obj.get("path")
        if path is not None and not (
            isinstance(path, list) and all(isinstance(p, str) for p in path)
        ):
            _bad(where, "'path' is not a list of strings")
        fraction = obj.get("null_fraction")
        if fraction is not None and not isinstance(fraction, int | float):
            _bad(where, "'null_fraction' is not a number")
        return cls(
            name=_str(obj, "name", where),
            dtype=_str(obj, "dtype", where),
            source=_opt_str(obj, "source", where),
            path=None if path is None else tuple(path),
            null_fraction=None if fraction is None else float(fraction),
            conflict=_opt_str(obj, "conflict", where),
        )


@dataclass(frozen=True)
class ChangeCounts:
    """How many keys of a table were inserted, updated and deleted since the last moment."""

    key: tuple[str, ...]
    inserted: int
    updated: int
    deleted: int

    def to_json(self) -> dict[str, Any]:
        """The counts as a JSON object."""
        return {
            "key": list(self.key),
            "inserted": self.inserted,
            "updated": self.updated,
            "deleted": self.deleted,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> ChangeCounts:
        """Parse a counts object; ``where`` names it in errors."""
        obj = _object(data, where)
        key = obj.get("key")
        if not (isinstance(key, list) and key and all(isinstance(k, str) for k in key)):
            _bad(where, "'key' is not a list of column names")
        return cls(
            key=tuple(key),
            inserted=_count(obj, "inserted", where),
            updated=_count(obj, "updated", where),
            deleted=_count(obj, "deleted", where),
        )


@dataclass(frozen=True)
class TableState:
    """One table at one moment: its Delta version, rows, columns and change counts.

    Attributes:
        version: the Delta version of the table that holds this moment.
        rows: its row count.
        columns: its columns (flat tables: with the flatten report's details).
        restore: the real dtypes of columns stored as a stand-in (see ``_dtypes``).
        changes: the change counts (flat tables; None when the keys were not unique).
    """

    version: int
    rows: int
    columns: tuple[Column, ...] = ()
    restore: str | None = None
    changes: ChangeCounts | None = None

    def to_json(self) -> dict[str, Any]:
        """The table state as a JSON object."""
        return {
            "version": self.version,
            "rows": self.rows,
            "columns": [c.to_json() for c in self.columns],
            "restore": self.restore,
            "changes": None if self.changes is None else self.changes.to_json(),
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> TableState:
        """Parse a table object; ``where`` names it in errors."""
        obj = _object(data, where)
        columns = obj.get("columns")
        if not isinstance(columns, list):
            _bad(where, "'columns' is not a list")
        changes = obj.get("changes")
        return cls(
            version=_count(obj, "version", where),
            rows=_count(obj, "rows", where),
            columns=tuple(
                Column.from_json(c, f"{where}, column {i}") for i, c in enumerate(columns)
            ),
            restore=_opt_str(obj, "restore", where),
            changes=None if changes is None else ChangeCounts.from_json(changes, where),
        )


@dataclass(frozen=True)
class Moment:
    """One moment of a history: the log entry ``_qf_history/<version>.json``.

    Attributes:
        version: the moment's number in the history (0, 1, 2 …).
        snapshot_id: a unique id of this moment.
        as_of: the moment the data describes (UTC).
        created_at: when the moment was appended (UTC).
        library_version: the quantum_frames version that wrote it.
        source: where the data came from (never a password).
        database_moment: the database moment the load read, when the source recorded one.
        flatten: the flatten options.
        tables: each table's state ("teams", "raw/teams" …, and "changes" when written).
    """

    version: int
    snapshot_id: str
    as_of: datetime
    created_at: datetime
    library_version: str
    source: Mapping[str, Any]
    database_moment: Any
    flatten: Mapping[str, Any]
    tables: Mapping[str, TableState] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The entry as a JSON object, with its own SHA-256."""
        body: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "snapshot_id": self.snapshot_id,
            "as_of": iso(self.as_of),
            "created_at": iso(self.created_at),
            "library_version": self.library_version,
            "source": dict(self.source),
            "database_moment": self.database_moment,
            "flatten": dict(self.flatten),
            "tables": {name: t.to_json() for name, t in self.tables.items()},
        }
        body["entry_sha256"] = _digest(body)
        return body

    @classmethod
    def from_json(cls, data: Any, where: str) -> Moment:
        """Parse and check one log entry; ``where`` names it in errors.

        Raises:
            HistoryError: a field is missing or wrong, or the content fails its SHA-256.
        """
        obj = _object(data, where)
        if obj.get("format") != FORMAT:
            _bad(where, f"'format' is not {FORMAT!r}")
        if obj.get("format_version") != FORMAT_VERSION:
            _bad(
                where,
                f"format_version {obj.get('format_version')!r} is not {FORMAT_VERSION} "
                "(written by another version of quantum_frames?)",
            )
        if obj.get("entry_sha256") != _digest(obj):
            _bad(where, "its content does not match its entry_sha256 (edited or damaged)")
        tables = _object(obj.get("tables"), f"{where}, 'tables'")
        for name in (*FLAT_TABLES, *RAW_TABLES):
            if name not in tables:
                _bad(where, f"table {name!r} is missing")
        return cls(
            version=_count(obj, "version", where),
            snapshot_id=_str(obj, "snapshot_id", where),
            as_of=_when(obj, "as_of", where),
            created_at=_when(obj, "created_at", where),
            library_version=_str(obj, "library_version", where),
            source=_object(obj.get("source"), f"{where}, 'source'"),
            database_moment=obj.get("database_moment"),
            flatten=_object(obj.get("flatten"), f"{where}, 'flatten'"),
            tables={
                str(n): TableState.from_json(t, f"{where}, table {n!r}") for n, t in tables.items()
            },
        )

    def commit_metadata(self, table: str) -> dict[str, str]:
        """The custom metadata of this moment's Delta commit of ``table``.

        It is what a reader without quantum_frames sees in ``DeltaTable.history()``
        (``userMetadata`` is what Spark's ``DESCRIBE HISTORY`` shows).
        """
        summary = {
            "moment": self.version,
            "snapshot_id": self.snapshot_id,
            "as_of": iso(self.as_of),
            "source": dict(self.source),
            "database_moment": self.database_moment,
            "library_version": self.library_version,
            "flatten": dict(self.flatten),
            "table": table,
        }
        text = json.dumps(summary, sort_keys=True, default=str, ensure_ascii=False)
        return {
            "quantum_frames.moment": str(self.version),
            "quantum_frames.snapshot_id": self.snapshot_id,
            "quantum_frames.as_of": iso(self.as_of),
            "quantum_frames.source": json.dumps(dict(self.source), default=str),
            "quantum_frames.database_moment": json.dumps(self.database_moment, default=str),
            "quantum_frames.library_version": self.library_version,
            "quantum_frames.flatten": json.dumps(dict(self.flatten), default=str),
            "quantum_frames.table": table,
            "userMetadata": text,
        }


def is_history(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a history (a folder with a ``_qf_history`` commit log)."""
    return (Path(path) / LOG_DIR).is_dir()


def load_moments(root: Path) -> list[Moment]:
    """Every moment of the history at ``root``, oldest first.

    Raises:
        HistoryError: ``root`` is not a history, or an entry is damaged (naming it).
    """
    log = root / LOG_DIR
    if not log.is_dir():
        if not root.exists():
            msg = f"{root} does not exist. Hint: pass the folder q.write_history(path) wrote."
        else:
            msg = (
                f"{root} is not a history: it has no {LOG_DIR}/ commit log. Hint: pass the folder "
                "q.write_history(path) wrote (a snapshot folder reads with read_snapshot)."
            )
        raise HistoryError(msg, path=root)
    moments = []
    for entry in sorted(log.iterdir()):
        match = _ENTRY.match(entry.name)
        if not match:
            continue
        moment = _read_entry(entry)
        if moment.version != int(match[1]):
            _bad(str(entry), f"'version' {moment.version} does not match its file name")
        moments.append(moment)
    for expected, moment in enumerate(moments):
        if moment.version != expected:
            msg = (
                f"history {root}: moment {expected} is missing from {LOG_DIR}/ (found "
                f"{moment.version} after it). Hint: restore the log entry; without it the moments "
                "after it cannot be trusted."
            )
            raise HistoryError(msg, path=log)
    return moments


def publish(root: Path, moment: Moment) -> Path:
    """Write ``moment`` as the log entry of its version.

    The write is atomic, and refuses a version another appender published first.

    Raises:
        HistoryError: another appender published this version meanwhile.
    """
    log = root / LOG_DIR
    log.mkdir(parents=True, exist_ok=True)
    final = log / entry_name(moment.version)
    tmp = log / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
    text = json.dumps(moment.to_json(), indent=1, ensure_ascii=False) + "\n"
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, final)  # atomic; fails when the name exists
        except FileExistsError:
            msg = (
                f"history {root}: another process appended moment {moment.version} while this "
                "append was running; this append is not part of the history (nothing of it is "
                "visible). Hint: load again and append again."
            )
            raise HistoryError(msg, path=final) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    _fsync_dir(log)
    return final


def remove_stale_temporaries(root: Path) -> None:
    """Remove the temporary log files of appenders whose process is gone."""
    log = root / LOG_DIR
    if not log.is_dir():
        return
    for entry in log.iterdir():
        match = re.match(r"^\.tmp-(\d+)-[0-9a-f]+\.json$", entry.name)
        if match and not process_alive(int(match[1])):
            with contextlib.suppress(OSError):
                entry.unlink()


def entry_name(version: int) -> str:
    """The file name of the log entry of moment ``version``."""
    return f"{version:020d}.json"


def iso(moment: datetime) -> str:
    """An aware datetime as ISO 8601 text in UTC, with a ``Z``."""
    return parse_when(moment).isoformat().replace("+00:00", "Z")


#: Parsed log entries by (path, inode, size, mtime): an entry is written once and never
#: changed in place, so a reader parses each one once per process, not once per read.
_PARSED: dict[tuple[str, int, int, int], Moment] = {}
_PARSED_MAX: Final = 4096


def _read_entry(path: Path) -> Moment:
    stat = path.stat()
    token = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if token in _PARSED:
        return _PARSED[token]
    moment = _parse_entry(path, stat.st_size)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    _PARSED[token] = moment
    return moment


def _parse_entry(path: Path, size: int) -> Moment:
    if size > MAX_ENTRY_BYTES:
        _bad(str(path), f"it has {size:,} bytes (more than {MAX_ENTRY_BYTES:,})")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        _bad(str(path), f"it is not valid JSON ({type(exc).__name__})")
    return Moment.from_json(data, str(path))


def _digest(body: Mapping[str, Any]) -> str:
    content = {k: v for k, v in body.items() if k != "entry_sha256"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _bad(where: str, problem: str) -> NoReturn:
    msg = (
        f"{where} is not a valid history log entry: {problem}. Hint: the log was edited or "
        "damaged; restore it from a backup (the Delta tables themselves are untouched)."
    )
    raise HistoryError(msg, path=where)


def _object(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        _bad(where, "it is not a JSON object")
    return data


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        _bad(where, f"{key!r} is missing or not text")
    return str(value)


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        _bad(where, f"{key!r} is not text")
    return value


def _count(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _bad(where, f"{key!r} is missing or not a count")
    return int(value)


def _when(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    text = _str(obj, key, where)
    try:
        return parse_when(text)
    except ValueError:
        _bad(where, f"{key!r} is not a date-time")


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
