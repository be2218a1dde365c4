"""The snapshot manifest as typed records.

What a snapshot holds, where it came from, how to check it.

``manifest.json`` is parsed once, strictly, into frozen dataclasses (:class:`Manifest`,
:class:`TableEntry`, :class:`TablePart`, :class:`ColumnEntry`, :class:`FileEntry`, and the
:class:`~quantum_frames.source.record.Source`), with a bounded size and depth: any problem is a
:class:`~quantum_frames.errors.ManifestError` naming the field. Code reads attributes, never
nested string keys.

Files inside a snapshot must be regular files inside its directory: a symbolic link anywhere
in it (a table file, the ``raw`` directory, the manifest) is refused, whether or not the read
verifies checksums.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Final, NoReturn, Protocol, TypeVar
from urllib.parse import quote

from quantum_frames.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ManifestError,
    SnapshotError,
)
from quantum_frames.frames import TABLES
from quantum_frames.source.record import Moment, Scalar, Source, SourceFieldError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "MAX_MANIFEST_BYTES",
    "MAX_MANIFEST_DEPTH",
    "READABLE_VERSIONS",
    "ColumnEntry",
    "FileEntry",
    "Manifest",
    "Moment",
    "Source",
    "TableEntry",
    "TablePart",
    "iso",
    "manifest_digest",
    "parse_when",
    "sha256_of",
]

FORMAT: Final = "quantum_frames.snapshot"
#: 2: Hive partitions keep their column only in the directory names, and the row order in
#: ``order_by``; version 1 snapshots are still read.
FORMAT_VERSION: Final = 2
READABLE_VERSIONS: Final = (1, 2)
MANIFEST: Final = "manifest.json"
#: Parquet key-value metadata key pointing a stray file back to its snapshot.
PARQUET_KEY: Final = "quantum_frames.snapshot"
#: A manifest larger than this is refused unread (a 10,000-column table needs ~3 MB).
MAX_MANIFEST_BYTES: Final = 64 * 2**20
#: Objects and arrays nested deeper than this are refused (ours go 6 deep).
MAX_MANIFEST_DEPTH: Final = 32

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

#: :meth:`Manifest.load_shared`: by manifest path, its bytes and the manifest parsed from them.
_SHARED: dict[Path, tuple[bytes, Manifest]] = {}
_SHARED_LOCK = threading.Lock()
_SHARED_MAX: Final = 16
_KINDS: Final = ("flat", "raw")


def manifest_digest(data: Mapping[str, Any]) -> str:
    """The SHA-256 of a manifest's content (canonical JSON, without its own digest).

    Args:
        data: the manifest's JSON object.

    Returns:
        The hex digest.
    """
    body = {k: v for k, v in data.items() if k != "manifest_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes.

    Args:
        path: the file.

    Returns:
        The hex digest.
    """
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class _HasAsOf(Protocol):
    @property
    def as_of(self) -> datetime: ...


_M = TypeVar("_M", bound=_HasAsOf)


def newest_at_or_before(moments: Sequence[_M], as_of: date | datetime | str) -> _M | None:
    """The last of ``moments`` (oldest first) whose ``as_of`` is at or before the given day.

    The rule of ``read_snapshot`` and ``read_history``: a bare date means the end of that day.

    Args:
        moments: snapshots or history moments, oldest first.
        as_of: the day (or moment) asked for.

    Returns:
        The newest such moment, or None when every moment is later.

    Examples:
        >>> from types import SimpleNamespace as S
        >>> ms = [S(as_of=parse_when("2025-08-01")), S(as_of=parse_when("2025-10-01"))]
        >>> newest_at_or_before(ms, "2025-09-30").as_of.month
        8
        >>> newest_at_or_before(ms, "2025-07-01") is None
        True
    """
    cutoff = parse_when(as_of, end_of_day=True)
    eligible = [m for m in moments if m.as_of <= cutoff]
    return eligible[-1] if eligible else None


def parse_when(value: date | datetime | str, *, end_of_day: bool = False) -> datetime:
    """A date, datetime or ISO string → an aware UTC datetime.

    A bare date means its start, or its end with ``end_of_day`` ("at or before 2025-10-01"
    includes a snapshot taken at noon that day). Naive date-times are taken as UTC.

    Args:
        value: the moment.
        end_of_day: a bare date means its last microsecond.

    Returns:
        The moment in UTC.

    Raises:
        InvalidArgumentError: a string that is not ISO 8601.
        InvalidArgumentTypeError: neither a date, a datetime nor a string.
    """
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
        except ValueError:
            msg = (
                f"{value!r} is not a date or date-time. Hint: use ISO 8601, e.g. '2025-10-01' or "
                "'2025-10-01T18:00:00Z'."
            )
            raise InvalidArgumentError(msg, argument="as_of") from None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        moment = time.max if end_of_day else time.min
        return datetime.combine(value, moment, tzinfo=UTC)
    msg = (
        f"expected a date, datetime or ISO string, got {type(value).__name__}. Hint: pass "
        "'2025-10-01'."
    )
    raise InvalidArgumentTypeError(msg, argument="as_of")


def iso(moment: datetime) -> str:
    """A UTC moment as the manifest writes it (``2025-10-01T00:00:00Z``).

    Args:
        moment: an aware datetime.

    Returns:
        ISO 8601 text.
    """
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _FieldError(Exception):
    """One problem in a manifest: the field (dotted) and what is wrong with it."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def _fail(where: str, problem: str) -> NoReturn:
    raise _FieldError(where, problem)


@dataclass(frozen=True)
class FileEntry:
    """One data file of a snapshot.

    Attributes:
        file: its path inside the snapshot, POSIX style (never absolute, never ``..``).
        bytes: its size.
        sha256: the SHA-256 of its bytes.
        partition: for a Hive-partitioned table, the partition values of the file
            (column → value as text; never null or empty); empty otherwise.
    """

    file: str
    bytes: int
    sha256: str
    partition: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object, where: str) -> FileEntry:
        """Parse a file entry, strictly.

        Args:
            data: the decoded JSON value.
            where: the field's dotted name.

        Returns:
            The entry.

        Raises:
            ManifestError: a field is missing or wrong (raised by :meth:`Manifest.from_json`).
        """
        obj = _object(data, where, required=("file", "bytes", "sha256"), optional=("partition",))
        name = _text(obj["file"], f"{where}.file")
        parts = PurePosixPath(name).parts
        if (
            not parts
            or name.startswith("/")
            or "\\" in name
            or any(p in {"..", "."} for p in parts)
            or parts[0] == MANIFEST
        ):
            _fail(f"{where}.file", f"{name!r} points outside the snapshot")
        digest = _text(obj["sha256"], f"{where}.sha256")
        if not _SHA256.match(digest):
            _fail(f"{where}.sha256", "expected 64 lowercase hex digits")
        partition: dict[str, str] = {}
        if "partition" in obj:
            for key, value in _object(obj["partition"], f"{where}.partition").items():
                if not isinstance(value, str) or not value:
                    _fail(
                        f"{where}.partition.{key}", f"expected non-empty text, got {_kind(value)}"
                    )
                partition[key] = value
        return cls(name, _count(obj["bytes"], f"{where}.bytes"), digest, dict(partition))

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this entry.

        Returns:
            ``{"file", "bytes", "sha256"[, "partition"]}``.
        """
        out: dict[str, Any] = {"file": self.file, "bytes": self.bytes, "sha256": self.sha256}
        if self.partition:
            out["partition"] = dict(self.partition)
        return out


@dataclass(frozen=True)
class ColumnEntry:
    """One column of a table part.

    Attributes:
        name: the column name.
        dtype: its Polars dtype, as text (``"Int32"``, ``"List(String)"`` …).
        source: for a flat column from JSON: the source column it was flattened from.
        path: … and its JSON path there.
        null_fraction: … the share of nulls.
        conflict: … and a type conflict kept as JSON text, if any.
        json: for a lossless column: whether it holds JSON text.
    """

    name: str
    dtype: str
    source: str | None = None
    path: tuple[str, ...] | None = None
    null_fraction: float | None = None
    conflict: str | None = None
    json: bool | None = None

    @classmethod
    def from_json(cls, data: object, where: str) -> ColumnEntry:
        """Parse a column entry, strictly.

        Args:
            data: the decoded JSON value.
            where: the field's dotted name.

        Returns:
            The entry.

        Raises:
            ManifestError: a field is missing or wrong (raised by :meth:`Manifest.from_json`).
        """
        quick = _column_quickly(data)
        if quick is not None:
            return quick
        optional = ("source", "path", "null_fraction", "conflict", "json")
        obj = _object(data, where, required=("name", "dtype"), optional=optional)
        name = _text(obj["name"], f"{where}.name")
        dtype = _text(obj["dtype"], f"{where}.dtype")
        flattened = {"source", "path", "null_fraction", "conflict"} & set(obj)
        if flattened and len(flattened) < 4:
            missing = sorted({"source", "path", "null_fraction", "conflict"} - flattened)
            _fail(f"{where}.{missing[0]}", "is missing (a flattened column records all four)")
        if not flattened:
            flag = obj.get("json")
            if "json" in obj and not isinstance(flag, bool):
                _fail(f"{where}.json", f"expected true or false, got {_kind(flag)}")
            return cls(name, dtype, json=flag if isinstance(flag, bool) else None)
        path = obj["path"]
        if not isinstance(path, list) or not all(isinstance(p, str) for p in path):
            _fail(f"{where}.path", f"expected an array of keys, got {_kind(path)}")
        fraction = obj["null_fraction"]
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not 0 <= fraction <= 1
        ):
            _fail(f"{where}.null_fraction", f"expected a number from 0 to 1, got {_kind(fraction)}")
        conflict = obj["conflict"]
        if conflict is not None and not isinstance(conflict, str):
            _fail(f"{where}.conflict", f"expected text or null, got {_kind(conflict)}")
        if "json" in obj:
            _fail(f"{where}.json", "is not a field of a flattened column")
        return cls(
            name,
            dtype,
            source=_text(obj["source"], f"{where}.source"),
            path=tuple(path),
            null_fraction=float(fraction),
            conflict=conflict,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this entry.

        Returns:
            ``{"name", "dtype", …}`` with the flatten facts or the ``json`` flag.
        """
        out: dict[str, Any] = {"name": self.name, "dtype": self.dtype}
        if self.source is not None:
            out |= {
                "source": self.source,
                "path": list(self.path or ()),
                "null_fraction": self.null_fraction,
                "conflict": self.conflict,
            }
        if self.json is not None:
            out["json"] = self.json
        return out


_RAW_COLUMN: Final = frozenset({"name", "dtype", "json"})
_FLAT_COLUMN: Final = frozenset({"name", "dtype", "source", "path", "null_fraction", "conflict"})


def _column_quickly(data: object) -> ColumnEntry | None:
    """A well-formed column entry, checked with a few type tests.

    A manifest holds thousands. None for anything else, which the strict path then explains.
    """
    if type(data) is not dict:
        return None
    name, dtype, keys = data.get("name"), data.get("dtype"), data.keys()
    if type(name) is not str or type(dtype) is not str:
        return None
    if keys == {"name", "dtype"}:
        return ColumnEntry(name, dtype)
    if keys == _RAW_COLUMN and type(data["json"]) is bool:
        return ColumnEntry(name, dtype, json=data["json"])
    if keys != _FLAT_COLUMN:
        return None
    source, path, fraction, conflict = (
        data[k] for k in ("source", "path", "null_fraction", "conflict")
    )
    if (
        type(source) is str
        and type(path) is list
        and all(type(p) is str for p in path)
        and type(fraction) in (int, float)
        and 0 <= fraction <= 1
        and (conflict is None or type(conflict) is str)
    ):
        return ColumnEntry(name, dtype, source, tuple(path), float(fraction), conflict)
    return None


@dataclass(frozen=True)
class TablePart:
    """The flat or the lossless ("raw") part of a table: its files and columns.

    Attributes:
        files: the Parquet file(s), one per Hive partition when partitioned.
        columns: the columns of the frame, in order (partition columns included).
        order_by: for a partitioned part: the column(s) whose ascending order is the frame's
            row order (the files hold one partition each).
    """

    files: tuple[FileEntry, ...]
    columns: tuple[ColumnEntry, ...]
    order_by: tuple[str, ...] = ()

    @property
    def partition_columns(self) -> tuple[str, ...]:
        """The columns kept only in the directory names (empty when unpartitioned)."""
        return tuple(self.files[0].partition) if self.files else ()

    @classmethod
    def from_json(cls, data: object, where: str) -> TablePart:
        """Parse a table part, strictly.

        Args:
            data: the decoded JSON value.
            where: the field's dotted name.

        Returns:
            The part.

        Raises:
            ManifestError: a field is missing or wrong (raised by :meth:`Manifest.from_json`).
        """
        obj = _object(data, where, required=("files", "columns"), optional=("order_by",))
        files = tuple(
            FileEntry.from_json(v, f"{where}.files[{i}]")
            for i, v in enumerate(_array(obj["files"], f"{where}.files"))
        )
        if not files:
            _fail(f"{where}.files", "is empty (every table has a file)")
        names = [f.file for f in files]
        if len(set(names)) < len(names):
            _fail(f"{where}.files", "lists a file twice")
        keys = {tuple(f.partition) for f in files}
        if len(keys) > 1:
            _fail(f"{where}.files", "the files are partitioned on different columns")
        columns = tuple(
            ColumnEntry.from_json(v, f"{where}.columns[{i}]")
            for i, v in enumerate(_array(obj["columns"], f"{where}.columns"))
        )
        known = {c.name for c in columns}
        if len(known) < len(columns):
            _fail(f"{where}.columns", "names a column twice")
        order_by = tuple(
            _text(v, f"{where}.order_by[{i}]")
            for i, v in enumerate(_array(obj.get("order_by", []), f"{where}.order_by"))
        )
        for col in (*order_by, *next(iter(keys))):
            if col not in known:
                _fail(f"{where}", f"names column {col!r}, which is not among its columns")
        for i, f in enumerate(files):  # other tools read the values from the directory names
            dirs = [f"{c}={quote(v, safe='')}" for c, v in f.partition.items()]
            if dirs and list(PurePosixPath(f.file).parts[-len(dirs) - 1 : -1]) != dirs:
                _fail(f"{where}.files[{i}].partition", f"does not match the path {f.file!r}")
        return cls(files, columns, order_by)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this part.

        Returns:
            ``{"files", "columns"[, "order_by"]}``.
        """
        out: dict[str, Any] = {
            "files": [f.to_json() for f in self.files],
            "columns": [c.to_json() for c in self.columns],
        }
        if self.order_by:
            out["order_by"] = list(self.order_by)
        return out


@dataclass(frozen=True)
class TableEntry:
    """One table of a snapshot: its row count and its flat and lossless parts.

    Attributes:
        rows: the number of rows (both parts hold them all).
        flat: the flattened frame's part.
        raw: the lossless source table's part.
    """

    rows: int
    flat: TablePart
    raw: TablePart

    def part(self, kind: str) -> TablePart:
        """The ``"flat"`` or ``"raw"`` part.

        Args:
            kind: ``"flat"`` or ``"raw"``.

        Returns:
            The part.
        """
        return self.flat if kind == "flat" else self.raw

    @classmethod
    def from_json(cls, data: object, where: str) -> TableEntry:
        """Parse a table entry, strictly.

        Args:
            data: the decoded JSON value.
            where: the field's dotted name.

        Returns:
            The entry.

        Raises:
            ManifestError: a field is missing or wrong (raised by :meth:`Manifest.from_json`).
        """
        obj = _object(data, where, required=("rows", *_KINDS))
        rows = _count(obj["rows"], f"{where}.rows")
        flat = TablePart.from_json(obj["flat"], f"{where}.flat")
        raw = TablePart.from_json(obj["raw"], f"{where}.raw")
        return cls(rows, flat, raw)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this table.

        Returns:
            ``{"rows", "flat", "raw"}``.
        """
        return {"rows": self.rows, "flat": self.flat.to_json(), "raw": self.raw.to_json()}


_TOP_REQUIRED: Final = (
    "format",
    "format_version",
    "snapshot_id",
    "created_at",
    "as_of",
    "library_version",
    "source",
    "flatten",
    "tables",
    "manifest_sha256",
)


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated ``manifest.json``.

    Attributes:
        snapshot_id: the snapshot's identity (copies and links of it share it).
        created_at: when it was written (UTC).
        as_of: the moment the data describes (UTC).
        library_version: the quantum_frames version that wrote it.
        source: where the data came from.
        flatten: the flatten options (separator, max_depth).
        partition_by: the Hive partition columns asked for (empty: none).
        tables: each table's entry, in :data:`~quantum_frames.frames.TABLES` order.
        format_version: the on-disk format version it was written in.
        digest: its ``manifest_sha256`` (of its content as written).
        path: the ``manifest.json`` it was read from (None for one not yet written).
    """

    snapshot_id: str
    created_at: datetime
    as_of: datetime
    library_version: str
    source: Source
    flatten: Mapping[str, Scalar]
    partition_by: tuple[str, ...]
    tables: Mapping[str, TableEntry]
    format_version: int = FORMAT_VERSION
    digest: str = field(default="", compare=False)
    path: Path | None = field(default=None, compare=False)

    # --- parsing and writing ----------------------------------------------------------------

    @classmethod
    def load(cls, snapshot: Path) -> Manifest:
        """Read and parse the manifest of the snapshot directory ``snapshot``.

        Args:
            snapshot: the snapshot directory.

        Returns:
            The manifest.

        Raises:
            SnapshotError: no manifest, or one that is a link, too large, not JSON.
            ManifestError: a field is missing or wrong (it names the field).
        """
        path, text = cls._read_text(snapshot)
        return cls.from_json(text, path=path)

    @classmethod
    def load_shared(cls, snapshot: Path) -> Manifest:
        """:meth:`load`, the parse shared with earlier loads of the very same bytes.

        The file is read (and checked to be a regular file) every time; only when its bytes
        equal those of an earlier load of the same path is that load's manifest — parsed,
        validated and digest-checked from exactly these bytes — given again. For readers that
        never hand the manifest out (it holds dicts: a caller could change them).

        Args:
            snapshot: the snapshot directory.

        Returns:
            The manifest.

        Raises:
            SnapshotError: as :meth:`load`.
            ManifestError: as :meth:`load`.
        """
        path, text = cls._read_text(snapshot)
        with _SHARED_LOCK:
            hit = _SHARED.get(path)
        if hit is not None and hit[0] == text:
            return hit[1]
        manifest = cls.from_json(text, path=path)
        with _SHARED_LOCK:
            _SHARED.pop(path, None)
            _SHARED[path] = (text, manifest)
            while len(_SHARED) > _SHARED_MAX:
                del _SHARED[next(iter(_SHARED))]  # the oldest
        return manifest

    @staticmethod
    def _read_text(snapshot: Path) -> tuple[Path, bytes]:
        """The manifest's path and bytes; never through a link, never more than the limit."""
        path = snapshot / MANIFEST
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            msg = (
                f"{snapshot} is not a snapshot: it has no {MANIFEST}. Hint: pass the snapshot "
                "directory written by write_snapshot, or a folder of them."
            )
            raise SnapshotError(msg, path=path) from None
        except OSError as exc:
            why = "is a symbolic link" if path.is_symlink() else f"cannot be read ({exc.strerror})"
            msg = (
                f"{path} {why}; a snapshot's files must be regular files inside it. Hint: restore "
                "the snapshot or write it again."
            )
            raise SnapshotError(msg, path=path) from None
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                msg = f"{path} is not a regular file. Hint: restore the snapshot or write it again."
                raise SnapshotError(msg, path=path)
            text = fh.read(MAX_MANIFEST_BYTES + 1)
        return path, text

    @classmethod
    def from_json(cls, text: str | bytes, *, path: Path | None = None) -> Manifest:
        """Parse a manifest's JSON text, strictly, with bounded size and depth.

        Args:
            text: the content of ``manifest.json``.
            path: where it was read from (for messages and :attr:`snapshot`).

        Returns:
            The manifest.

        Raises:
            SnapshotError: too large, not JSON, nested too deep.
            ManifestError: a field is missing or wrong, or the content does not match its
                ``manifest_sha256``; ``field`` names the field.
        """
        where = path if path is not None else Path(MANIFEST)
        hint = "Hint: the manifest was edited or damaged; restore it or write the snapshot again."
        if len(text) > MAX_MANIFEST_BYTES:
            msg = f"{where} is larger than {MAX_MANIFEST_BYTES // 2**20} MiB; not read. {hint}"
            raise SnapshotError(msg, path=where)
        try:
            data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        except RecursionError:
            msg = (
                f"{where} is not a valid manifest: nested deeper than {MAX_MANIFEST_DEPTH} "
                f"levels. {hint}"
            )
            raise ManifestError(msg, path=where, field="") from None
        except (UnicodeDecodeError, ValueError) as exc:
            msg = (
                f"{where} is not valid JSON ({exc}); the snapshot is damaged. Hint: restore it or "
                "write it again."
            )
            raise SnapshotError(msg, path=where) from None
        try:
            return cls._parse(data, where)
        except _FieldError as bad:
            msg = f"{where} is not a valid manifest: field {bad.where}: {bad.problem}. {hint}"
            raise ManifestError(msg, path=where, field=bad.where) from None
        except SourceFieldError as bad:
            msg = f"{where} is not a valid manifest: field {bad.field}: {bad.problem}. {hint}"
            raise ManifestError(msg, path=where, field=bad.field) from None

    @classmethod
    def _parse(cls, data: object, path: Path) -> Manifest:
        _check_depth(data)
        top = data if isinstance(data, dict) else {}
        if top.get("format") != FORMAT:
            _fail("format", f"is not {FORMAT!r} (not a quantum_frames snapshot manifest)")
        version = top.get("format_version")
        if isinstance(version, bool) or version not in READABLE_VERSIONS:
            _fail(
                "format_version",
                f"{version!r} is not one this version reads "
                f"({', '.join(map(str, READABLE_VERSIONS))});"
                " written by another version of quantum_frames?",
            )
        obj = _object(data, "manifest", required=_TOP_REQUIRED, optional=("partition_by",))
        digest = _text(obj["manifest_sha256"], "manifest_sha256")
        tables_obj = _object(obj["tables"], "tables", required=TABLES)
        tables = {name: TableEntry.from_json(tables_obj[name], f"tables.{name}") for name in TABLES}
        flatten = _object(obj["flatten"], "flatten")
        for key, value in flatten.items():
            if not isinstance(value, Scalar):
                _fail(f"flatten.{key}", f"expected a scalar, got {_kind(value)}")
        partition_by = tuple(
            _text(v, f"partition_by[{i}]")
            for i, v in enumerate(_array(obj.get("partition_by", []), "partition_by"))
        )
        manifest = cls(
            snapshot_id=_text(obj["snapshot_id"], "snapshot_id"),
            created_at=_moment(obj["created_at"], "created_at"),
            as_of=_moment(obj["as_of"], "as_of"),
            library_version=_text(obj["library_version"], "library_version"),
            source=Source.from_json(obj["source"], lenient=version == 1),
            flatten=dict(flatten),
            partition_by=partition_by,
            tables=dict(tables),
            format_version=version,
            digest=digest,
            path=path,
        )
        if digest != manifest_digest(obj):
            _fail(
                "manifest_sha256",
                "does not match the manifest's content (edited or damaged)",
            )
        if not manifest.snapshot_id:
            _fail("snapshot_id", "is empty")
        return manifest

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this manifest, ``manifest_sha256`` computed.

        Returns:
            What ``manifest.json`` holds (:meth:`from_json` reads it back equal).
        """
        out: dict[str, Any] = {
            "format": FORMAT,
            "format_version": self.format_version,
            "snapshot_id": self.snapshot_id,
            "created_at": iso(self.created_at),
            "as_of": iso(self.as_of),
            "library_version": self.library_version,
            "source": self.source.to_json(),
            "flatten": dict(self.flatten),
            "partition_by": list(self.partition_by),
            "tables": {name: entry.to_json() for name, entry in self.tables.items()},
        }
        out["manifest_sha256"] = manifest_digest(out)
        return out

    # --- the snapshot on disk ---------------------------------------------------------------

    @property
    def snapshot(self) -> Path:
        """The snapshot directory."""
        if self.path is None:
            msg = "this manifest was not read from a snapshot. Hint: use Manifest.load(path)."
            raise SnapshotError(msg)
        return self.path.parent

    def files(self, kinds: Iterable[str] = _KINDS) -> list[FileEntry]:
        """The data file entries of ``kinds`` ("flat", "raw") of every table.

        Args:
            kinds: which parts.

        Returns:
            The entries, table by table.
        """
        wanted = tuple(kinds)
        return [
            entry
            for table in self.tables.values()
            for kind in wanted
            for entry in table.part(kind).files
        ]

    def verify(self) -> None:
        """Check the listing (:meth:`check_listing`) and every file's SHA-256.

        Raises:
            SnapshotError: naming the first file that is wrong.
        """
        self.check_listing()
        self.check_digests(self.files())

    def check_listing(self) -> None:
        """Check the snapshot's files without reading them.

        Each must be present, a regular file (no symbolic link anywhere inside the snapshot), of its
        size, and none extra.

        Raises:
            SnapshotError: naming the first file that is wrong.
        """
        root = self.snapshot
        entries = self.files()
        listed = {MANIFEST, *(e.file for e in entries)}
        found: dict[str, int] = {}
        extra: list[str] = []
        for top, dirs, names in os.walk(root):
            base = Path(top)
            for name in [*dirs, *names]:
                path = base / name
                rel = path.relative_to(root).as_posix()
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    msg = (
                        f"snapshot {root}: {rel} is a symbolic link; a snapshot's files must be "
                        "regular files inside it. Hint: replace the link by the file, or write "
                        "the snapshot again."
                    )
                    raise SnapshotError(msg, path=path)
                if stat.S_ISREG(info.st_mode):
                    if rel in listed:
                        found[rel] = info.st_size
                    else:
                        extra.append(rel)
                elif not stat.S_ISDIR(info.st_mode):
                    msg = (
                        f"snapshot {root}: {rel} is not a regular file. Hint: remove it, or write "
                        "the snapshot again."
                    )
                    raise SnapshotError(msg, path=path)
        for entry in entries:
            size = found.get(entry.file)
            if size is None:
                raise SnapshotError.damaged(root, entry.file, "is missing (incomplete)")
            if size != entry.bytes:
                problem = (
                    f"has {size} bytes, the manifest says {entry.bytes} (truncated or replaced)"
                )
                raise SnapshotError.damaged(root, entry.file, problem)
        if extra:
            extra.sort()
            msg = (
                f"snapshot {root}: file(s) {', '.join(extra)} are not in the manifest. Hint: "
                "remove them, or write the snapshot again."
            )
            raise SnapshotError(msg, path=root / extra[0])

    def check_digests(self, entries: list[FileEntry], threads: int = 2) -> None:
        """Check the SHA-256 of the files of ``entries``.

        Args:
            entries: the file entries to hash.
            threads: hashing threads (hashlib frees the GIL).

        Raises:
            SnapshotError: naming the first file whose bytes changed.
        """
        root = self.snapshot
        if threads <= 1 or len(entries) <= 1:
            digests = [sha256_of(root / e.file) for e in entries]
        else:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                digests = list(pool.map(lambda e: sha256_of(root / e.file), entries))
        for entry, digest in zip(entries, digests, strict=True):
            if digest != entry.sha256:
                problem = "fails its SHA-256 check (its bytes changed)"
                raise SnapshotError.damaged(root, entry.file, problem)


# --- strict field readers -------------------------------------------------------------------


def _kind(value: object) -> str:
    names: dict[type, str] = {dict: "an object", list: "an array", str: "text", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(
        type(value), f"a number ({value!r})" if isinstance(value, int | float) else "?"
    )


def _object(
    value: object,
    where: str,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] | None = None,
) -> dict[str, Any]:
    """``value`` as an object with the ``required`` keys.

    When ``optional`` is given, no keys but those.
    """
    if not isinstance(value, dict):
        _fail(where, f"expected an object, got {_kind(value)}")
    needed = tuple(required)
    for key in needed:
        if key not in value:
            _fail(_join(where, key), "is missing")
    if optional is not None:
        allowed = {*needed, *optional}
        unknown = sorted(k for k in value if k not in allowed)
        if unknown:
            _fail(_join(where, unknown[0]), "is not a field of a manifest")
    return value


def _join(where: str, key: str) -> str:
    return key if where == "manifest" else f"{where}.{key}"


def _array(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(where, f"expected an array, got {_kind(value)}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        _fail(where, f"expected text, got {_kind(value)}")
    return value


def _count(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(where, f"expected a whole number ≥ 0, got {_kind(value)}")
    return value


def _moment(value: object, where: str) -> datetime:
    text = _text(value, where)
    try:
        return parse_when(text)
    except InvalidArgumentError:
        _fail(where, f"{text[:40]!r} is not an ISO 8601 date-time")


def _check_depth(data: object) -> None:
    """Refuse containers nested deeper than :data:`MAX_MANIFEST_DEPTH`.

    The check is iterative: never a recursion that a hostile manifest could exhaust.
    """
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_MANIFEST_DEPTH:
            _fail("manifest", f"nested deeper than {MAX_MANIFEST_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, dict | list))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) < len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        msg = f"key {dup!r} appears twice in one object"
        raise ValueError(msg)
    return out


def _no_constant(name: str) -> object:
    msg = f"{name} is not JSON"
    raise ValueError(msg)
