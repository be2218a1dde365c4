"""Reading snapshots: verified, point-in-time over a folder, lazily for large ones.

A folder of snapshots is a history. Its moments are resolved by :func:`resolve_history`: entries
holding the same snapshot (same id and manifest digest: a ``latest`` symbolic link, a copy)
count once; two different snapshots with one ``as_of`` are ambiguous and raise, naming both;
a damaged snapshot in the folder raises too (a history with a hole in it would give another
answer). :func:`list_snapshots` never fails on such a folder: it lists every snapshot and
says what is wrong with each, in its ``problem`` column.

Symbolic links: a snapshot directory in a folder may be a link to another snapshot directory
of the same folder (an alias such as ``latest``); a link anywhere else, and any link inside a
snapshot (a table file, a directory, the manifest), is refused, with or without verification.
"""

from __future__ import annotations

import functools
import itertools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from quantum_frames.errors import SnapshotError
from quantum_frames.flattening import report_frame
from quantum_frames.frames import TABLES, FrictionFrame, LazySourceTables, QuantumFrames
from quantum_frames.snapshots._swap import recover
from quantum_frames.snapshots.manifest import (
    MANIFEST,
    ColumnEntry,
    Manifest,
    TablePart,
    newest_at_or_before,
    parse_when,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date, datetime

    from polars._typing import PolarsDataType

__all__ = [
    "LazySnapshot",
    "list_snapshots",
    "read_snapshot",
    "read_snapshot_history",
    "resolve_history",
    "resolve_snapshot",
    "scan_snapshot",
]


_V1_ROW = "__qf_row"  # format 1 kept the row order of partitioned tables in this column

#: A snapshot of at most this many bytes is hashed on the reading thread, one file after
#: the other (SHA-256 runs at ~1-2 GB/s: a few milliseconds); a larger one on threads, the
#: lossless files while the flat ones decode.
SERIAL_HASH_BYTES: Final = 8 * 2**20


def read_snapshot(
    path: str | os.PathLike[str],
    /,
    *,
    as_of: date | datetime | str | None = None,
    verify: bool = True,
) -> QuantumFrames:
    """Read a snapshot — or, from a folder of snapshots, the newest one at or before ``as_of``.

    "At or before": a snapshot as of the day itself counts (a bare date includes that whole
    day: the data as known at its end). :func:`quantum_frames.point_in_time` means something
    else on purpose: a fixture sees only snapshots **strictly before** it, never its own day.

    Args:
        path: a snapshot directory, or a folder holding snapshot directories.
        as_of: with a folder: pick the newest snapshot whose ``as_of`` is at or before this.
            Default: the newest.
        verify: check every file's SHA-256 against the manifest (each before it is decoded;
            all of them before the read returns). Without it, sizes, the file listing and
            links are still checked, but a damaged file may go unnoticed — or even abort the
            Parquet reader: keep it on for files that left your control.

    Returns:
        The frames, with ``as_of`` and ``source`` from the manifest.

    Raises:
        SnapshotError: no snapshot fits; two different snapshots of the folder share the
            ``as_of`` picked; a snapshot is damaged, a file is missing, extra, truncated,
            changed or a symbolic link; the message names the file.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.read_snapshot(qf.sample_path())
        >>> q.teams.height
        96
    """
    return _read(_resolve(path, as_of=as_of, shared=True), verify=verify)


def read_snapshot_history(
    folder: str | os.PathLike[str], /, *, verify: bool = True
) -> list[QuantumFrames]:
    """Every moment of a folder of snapshots, read, oldest first (see :func:`resolve_history`).

    Args:
        folder: the folder holding the snapshot directories.
        verify: check every file's SHA-256 (see :func:`read_snapshot`).

    Returns:
        One QuantumFrames per distinct ``as_of``.

    Raises:
        SnapshotError: the folder holds no snapshot, a damaged one, or two different
            snapshots with one ``as_of`` (naming both).
    """
    return [_read(m, verify=verify) for m in resolve_history(folder)]


def _read(manifest: Manifest, *, verify: bool) -> QuantumFrames:
    flat = _verified_flat(manifest) if verify else _unverified_flat(manifest)
    raw = LazySourceTables(functools.partial(_read_kind, manifest, "raw"))  # picklable
    report = _report([c for name in TABLES for c in manifest.tables[name].flat.columns])
    return QuantumFrames(
        teams=flat["teams"],
        friction=FrictionFrame(flat["friction"]),
        strategies=flat["strategies"],
        raw=raw,
        report=report,
        source={**manifest.source.to_mapping(), "snapshot": str(manifest.snapshot)},
        options=dict(manifest.flatten),
        timings={},
        loaded_at=manifest.created_at,
        as_of=manifest.as_of,
    )


def _verified_flat(manifest: Manifest) -> dict[str, pl.DataFrame]:
    """The flat tables, every file of the snapshot verified.

    No file is decoded before its SHA-256 matches (a damaged file can abort the Parquet reader
    itself); the lossless files, decoded only on demand, are hashed on a second thread while the
    flat ones decode, and the read fails if any of them is damaged.
    """
    manifest.check_listing()
    raw = manifest.files(("raw",))
    if sum(e.bytes for e in manifest.files()) <= SERIAL_HASH_BYTES:
        # small: threads cost more than they save (starting them, and waiting for the GIL
        # while the other thread holds it: ~5 ms on the 0.6 MB sample); same order of checks
        manifest.check_digests(manifest.files(("flat",)), 1)
        flat = _read_kind(manifest, "flat")
        manifest.check_digests(raw, 1)
        return flat
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1, thread_name_prefix="qf-verify") as pool:
        raw_checked = pool.submit(manifest.check_digests, raw, 1)
        manifest.check_digests(manifest.files(("flat",)))
        flat = _read_kind(manifest, "flat")
        raw_checked.result()
    return flat


def _unverified_flat(manifest: Manifest) -> dict[str, pl.DataFrame]:
    manifest.check_listing()  # no hashing, but never a link, a missing or resized file
    return _read_kind(manifest, "flat")


def _read_kind(manifest: Manifest, kind: str) -> dict[str, pl.DataFrame]:
    """The three tables of one kind ("flat" or "raw"), decoded together in parallel."""
    root = manifest.snapshot
    parts = [
        (name, manifest.tables[name].part(kind), manifest.tables[name].rows) for name in TABLES
    ]
    try:
        frames = pl.collect_all([_scan_part(manifest, part) for _, part, _ in parts])
    except BaseException as exc:  # a damaged file can even panic the Parquet reader
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        # read them one by one to say which is damaged
        frames = [_read_part(manifest, name, kind, part) for name, part, _ in parts]
    return {
        name: _checked(root, name, kind, part, rows, frame)
        for (name, part, rows), frame in zip(parts, frames, strict=True)
    }


@dataclass(frozen=True, repr=False)
class LazySnapshot:
    """LazyFrames over a snapshot's flattened (and lossless) Parquet files.

    Attributes:
        teams: the flat teams table.
        friction: the flat friction table.
        strategies: the flat strategies table.
        raw: the lossless tables by name.
        manifest: the snapshot's manifest.

    Examples:
        >>> import pathlib, tempfile
        >>> import quantum_frames as qf
        >>> path = qf.sample().write_snapshot(pathlib.Path(tempfile.mkdtemp()) / "s")
        >>> lazy = qf.scan_snapshot(path)
        >>> lazy.teams.filter(league="Serie A").select("team_name").collect().height
        20
    """

    teams: pl.LazyFrame
    friction: pl.LazyFrame
    strategies: pl.LazyFrame
    raw: Mapping[str, pl.LazyFrame]
    manifest: Manifest

    def __repr__(self) -> str:
        """A short account: where, as of when, rows and columns per table."""
        m = self.manifest
        tables = ", ".join(
            f"{name} {t.rows:,} × {len(t.flat.columns)}" for name, t in m.tables.items()
        )
        return f"LazySnapshot({m.snapshot}, as of {m.as_of:%Y-%m-%d %H:%M} UTC: {tables})"


def scan_snapshot(
    path: str | os.PathLike[str],
    /,
    *,
    as_of: date | datetime | str | None = None,
    verify: bool = False,
) -> LazySnapshot:
    """LazyFrames over a snapshot, for snapshots larger than memory.

    The manifest, the file listing (no links, sizes) and each Parquet file's footer are read
    up front: row counts, column names and dtypes must match the manifest before any
    LazyFrame is handed out. ``verify=True`` also checks every file's SHA-256, which reads
    them all once. Filters and projections are pushed into the Parquet scan.

    Args:
        path: a snapshot directory, or a folder of them (see :func:`read_snapshot`).
        as_of: with a folder: the newest snapshot at or before this.
        verify: check every file's SHA-256 too.

    Returns:
        The LazyFrames and the manifest.

    Raises:
        SnapshotError: as :func:`read_snapshot`, or a file whose footer disagrees with the
            manifest (naming the file and what differs).

    Examples:
        >>> import polars as pl
        >>> import quantum_frames as qf
        >>> lazy = qf.scan_snapshot(qf.sample_path())
        >>> lazy.teams.filter(pl.col("league") == "Serie A").select("team_name").collect().height
        20
    """
    manifest = resolve_snapshot(path, as_of=as_of)
    if verify:
        manifest.verify()
    else:
        manifest.check_listing()
    flat = {}
    raw = {}
    for name in TABLES:
        table = manifest.tables[name]
        for kind in ("flat", "raw"):
            _check_footers(manifest, name, kind, table.part(kind), table.rows)
        flat[name] = _scan_part(manifest, table.flat)
        raw[name] = _scan_part(manifest, table.raw)
    return LazySnapshot(flat["teams"], flat["friction"], flat["strategies"], raw, manifest)


def _check_footers(manifest: Manifest, name: str, kind: str, part: TablePart, rows: int) -> None:
    """Row counts and schema from the Parquet footers (cheap) against the manifest."""
    root = manifest.snapshot
    kept = set(part.partition_columns)  # format 2: only in the directory names
    if kept:
        _check_partition_values(manifest, part)
    want = [(c.name, c.dtype) for c in part.columns if c.name not in kept]
    total = 0
    for entry in part.files:
        path = root / entry.file
        try:
            lf = pl.scan_parquet(path)
            schema = lf.collect_schema()
            total += lf.select(pl.len()).collect().item()  # from the footer's row counts
        except BaseException as exc:  # a damaged footer: Arrow or Polars errors, or a panic
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            msg = (
                f"snapshot {root}: cannot read the footer of {entry.file} ({type(exc).__name__}: "
                f"{exc}). Hint: restore the snapshot or write it again."
            )
            raise SnapshotError(msg, path=path) from None
        got = [
            (n, str(d)) for n, d in schema.items() if n != _V1_ROW or manifest.format_version > 1
        ]
        if got != want:
            msg = (
                f"snapshot {root}: {entry.file} does not match its manifest: "
                f"{_schema_difference(got, want)}. Hint: restore the snapshot or write it again."
            )
            raise SnapshotError(msg, path=path)
    if total != rows:
        files = ", ".join(e.file for e in part.files)
        msg = (
            f"snapshot {root}: the {kind} {name} table ({files}) has {total:,} rows, the manifest "
            f"says {rows:,}. Hint: restore the snapshot or write it again."
        )
        raise SnapshotError(msg, path=root / part.files[0].file)


def _check_partition_values(manifest: Manifest, part: TablePart) -> None:
    """Each file's partition values must be of their column's dtype.

    Else the LazyFrame would fail later with a raw cast error.
    """
    dtypes = {c.name: c.dtype for c in part.columns}
    root = manifest.snapshot
    for col in part.partition_columns:
        dtype = _PARTITION_DTYPES.get(dtypes[col])
        if dtype is None:
            msg = (
                f"snapshot {root}: partition column {col} has dtype {dtypes[col]}, which a "
                "partition cannot hold. Hint: the manifest was edited; restore the snapshot or "
                "write it again."
            )
            raise SnapshotError(msg, path=root / MANIFEST)
        values = pl.Series(col, [f.partition[col] for f in part.files], pl.String)
        valid = values.cast(dtype, strict=False).is_not_null() | values.is_null()
        if not valid.all():
            bad = part.files[valid.arg_min() or 0]
            msg = (
                f"snapshot {root}: {bad.file}: partition value {bad.partition[col]!r} is not a "
                f"{dtypes[col]} (the dtype of {col}). Hint: the manifest was edited; restore the "
                "snapshot or write it again."
            )
            raise SnapshotError(msg, path=root / bad.file)


def _schema_difference(got: list[tuple[str, str]], want: list[tuple[str, str]]) -> str:
    have, need = dict(got), dict(want)
    extra = [n for n in have if n not in need]
    missing = [n for n in need if n not in have]
    if extra:
        return f"column(s) {', '.join(extra)} not in the manifest"
    if missing:
        return f"column(s) {', '.join(missing)} missing"
    for n, dtype in need.items():
        if have[n] != dtype:
            return f"column {n} is {have[n]}, the manifest says {dtype}"
    return "the columns are in another order"


def resolve_snapshot(
    path: str | os.PathLike[str], *, as_of: date | datetime | str | None = None
) -> Manifest:
    """The manifest of the snapshot at ``path``, or of the one ``as_of`` picks in a folder.

    Args:
        path: a snapshot directory, or a folder of them.
        as_of: with a folder: the newest snapshot at or before this (default: the newest).

    Returns:
        The manifest.

    Raises:
        SnapshotError: see :func:`read_snapshot`.
    """
    return _resolve(path, as_of=as_of, shared=False)


def _resolve(
    path: str | os.PathLike[str], *, as_of: date | datetime | str | None, shared: bool
) -> Manifest:
    """:func:`resolve_snapshot`, the manifest parse shared with earlier ones when ``shared``.

    ``shared``: a snapshot directory's manifest may be one parsed before from the same bytes
    (:meth:`Manifest.load_shared`); never for a manifest handed out.
    """
    root = Path(path)
    if not os.path.lexists(root):
        recover(root.parent)  # a replacement cut short is undone
    if not root.exists():
        msg = (
            f"{root} does not exist. Hint: pass a snapshot directory (written by write_snapshot) "
            "or a folder of them."
        )
        raise SnapshotError(msg, path=root)
    if not root.is_dir():
        msg = (
            f"{root} is a file, not a snapshot directory. Hint: pass the directory that holds "
            f"{MANIFEST}."
        )
        raise SnapshotError(msg, path=root)
    if os.path.lexists(root / MANIFEST):
        _check_alias(root)
        manifest = Manifest.load_shared(root) if shared else Manifest.load(root)
        if as_of is not None and manifest.as_of > parse_when(as_of, end_of_day=True):
            msg = (
                f"snapshot {root} is as of {manifest.as_of:%Y-%m-%d %H:%M:%S} UTC, after {as_of}. "
                "Hint: pass a folder of snapshots to pick one by date."
            )
            raise SnapshotError(msg, path=root)
        return manifest
    found = resolve_history(root)
    if as_of is None:
        return found[-1]
    newest = newest_at_or_before(found, as_of)
    if newest is None:
        first = found[0].as_of
        msg = (
            f"no snapshot in {root} is as of {as_of} or earlier; the first is as of "
            f"{first:%Y-%m-%d %H:%M:%S} UTC. Hint: pass a later date."
        )
        raise SnapshotError(msg, path=root)
    return newest


def _check_alias(snapshot: Path) -> None:
    """A snapshot directory that is a symbolic link must point to one of the same folder.

    It must point to a snapshot directory of the same folder (an alias such as ``latest``), never
    elsewhere.
    """
    if not snapshot.is_symlink():
        return
    real = snapshot.resolve()
    if real.parent != snapshot.parent.resolve() or real.is_symlink():
        msg = (
            f"{snapshot} is a symbolic link to {real}, outside its folder; snapshots are never "
            "read through links that leave their folder. Hint: copy the snapshot into the "
            f"folder, or pass {real} itself."
        )
        raise SnapshotError(msg, path=snapshot)


@dataclass(frozen=True)
class _Entry:
    """One snapshot directory of a folder: its manifest, or why it cannot be read."""

    path: Path
    manifest: Manifest | None
    problem: str | None


@dataclass(frozen=True)
class _Distinct:
    """One snapshot of a folder, with the other entries holding it (links, copies)."""

    path: Path
    manifest: Manifest
    aliases: tuple[str, ...]


def _entries(root: Path) -> list[_Entry]:
    """The snapshot directories of ``root``, each parsed or with the reason it cannot be.

    Those are the ones with a manifest. Hidden entries (writes in progress) are never looked at.
    """
    recover(root)
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not os.path.lexists(entry / MANIFEST):
            continue
        try:
            _check_alias(entry)
            found.append(_Entry(entry, Manifest.load(entry), None))
        except SnapshotError as exc:
            found.append(_Entry(entry, None, str(exc)))
    return found


def _distinct(entries: list[_Entry]) -> list[_Distinct]:
    """The distinct snapshots (by id and manifest digest), oldest first.

    Of each, the real directory rather than a link, the others as its aliases.
    """
    groups: dict[tuple[str, str], list[tuple[Path, Manifest]]] = {}
    for e in entries:
        if e.manifest is not None:
            key = (e.manifest.snapshot_id, e.manifest.digest)
            groups.setdefault(key, []).append((e.path, e.manifest))
    distinct = []
    for members in groups.values():
        members.sort(key=lambda pm: (pm[0].is_symlink(), pm[0].name))
        (path, manifest), others = members[0], members[1:]
        distinct.append(_Distinct(path, manifest, tuple(p.name for p, _ in others)))
    return sorted(distinct, key=lambda d: (d.manifest.as_of, d.manifest.created_at))


def _twins(distinct: list[_Distinct], one: _Distinct) -> list[_Distinct]:
    return [d for d in distinct if d is not one and d.manifest.as_of == one.manifest.as_of]


def _clash(a: _Distinct, b: _Distinct) -> str:
    return (
        f"{a.path.name} (snapshot {a.manifest.snapshot_id}) and {b.path.name} (snapshot "
        f"{b.manifest.snapshot_id}) are two different snapshots as of "
        f"{a.manifest.as_of:%Y-%m-%d %H:%M:%S} UTC"
    )


def resolve_history(folder: str | os.PathLike[str], /) -> list[Manifest]:
    """The distinct moments of a folder of snapshots, oldest first.

    The same snapshot (same id and manifest digest: a ``latest`` link, a copy) counts once.

    Args:
        folder: the folder holding the snapshot directories.

    Returns:
        One manifest per ``as_of``; of a snapshot with aliases, the real directory's.

    Raises:
        SnapshotError: the folder holds no snapshot; one of them is damaged or a link leaving
            the folder; or two different snapshots share an ``as_of`` (naming both).
    """
    root = Path(folder)
    if not root.is_dir():
        msg = f"{root} is not a folder. Hint: pass the folder that holds the snapshot directories."
        raise SnapshotError(msg, path=root)
    entries = _entries(root)
    bad = [e for e in entries if e.problem is not None]
    if bad:
        msg = (
            f"{root} holds {len(bad)} snapshot(s) that cannot be read, so its history is "
            f"incomplete: {bad[0].problem} Hint: repair or move them out of the folder; "
            f"list_snapshots({str(root)!r}) shows each problem."
        )
        raise SnapshotError(msg, path=bad[0].path)
    distinct = _distinct(entries)
    clashes = [
        _clash(a, b)
        for a, b in itertools.pairwise(distinct)
        if a.manifest.as_of == b.manifest.as_of
    ]
    if clashes:
        msg = (
            f"{root} is ambiguous: {'; '.join(clashes)}. Nothing was read. Hint: keep one of them "
            "(a re-run of a job into a second directory?), or give them different as_of dates."
        )
        raise SnapshotError(msg, path=root)
    if not distinct:
        msg = (
            f"{root} holds no snapshot (no directory with a valid {MANIFEST}). Hint: write one "
            "with q.write_snapshot(path)."
        )
        raise SnapshotError(msg, path=root)
    return [d.manifest for d in distinct]


_LISTING: dict[str, PolarsDataType] = {
    "path": pl.String, "as_of": pl.Datetime("us", "UTC"), "created_at": pl.Datetime("us", "UTC"),
    "teams_rows": pl.Int64, "friction_rows": pl.Int64, "strategies_rows": pl.Int64,
    "source": pl.String, "snapshot_id": pl.String, "aliases": pl.String, "problem": pl.String,
}  # fmt: skip


def list_snapshots(folder: str | os.PathLike[str], /) -> pl.DataFrame:
    """The snapshots in ``folder``, oldest ``as_of`` first — never failing on a bad one.

    Columns: path, as_of, created_at, rows per table, source, snapshot_id, ``aliases`` (the
    links and copies of the same snapshot, listed once) and ``problem`` (null when the
    snapshot is fine; else why it cannot be read, or that it shares its ``as_of`` with another
    snapshot). Snapshots that cannot be read come last. Hidden directories (writes in
    progress) are never listed.

    Args:
        folder: the folder holding the snapshot directories.

    Returns:
        One row per distinct snapshot, and one per snapshot that cannot be read.

    Raises:
        SnapshotError: ``folder`` is not a folder.

    Examples:
        >>> import pathlib, tempfile
        >>> import quantum_frames as qf
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> q = qf.sample()
        >>> _ = q.write_snapshot(folder / "nov", as_of="2025-11-15")
        >>> _ = q.write_snapshot(folder / "oct", as_of="2025-10-15")
        >>> listed = qf.list_snapshots(folder)
        >>> [pathlib.Path(p).name for p in listed["path"]], listed["problem"].to_list()
        (['oct', 'nov'], [None, None])
    """
    root = Path(folder)
    if not root.is_dir():
        msg = f"{root} is not a folder. Hint: pass the folder that holds the snapshot directories."
        raise SnapshotError(msg, path=root)
    entries = _entries(root)
    distinct = _distinct(entries)
    rows = []
    for d in distinct:
        m = d.manifest
        twins = ", ".join(t.path.name for t in _twins(distinct, d))
        rows.append(
            {
                "path": str(d.path),
                "as_of": m.as_of,
                "created_at": m.created_at,
                **{f"{name}_rows": m.tables[name].rows for name in TABLES},
                "source": m.source.describe(),
                "snapshot_id": m.snapshot_id,
                "aliases": ", ".join(d.aliases) or None,
                "problem": (
                    f"ambiguous: another snapshot ({twins}) has the same as_of" if twins else None
                ),
            }
        )
    rows.extend(
        {"path": str(e.path), "problem": e.problem} for e in entries if e.problem is not None
    )
    return pl.DataFrame(rows, schema=_LISTING)


def _read_part(manifest: Manifest, name: str, kind: str, part: TablePart) -> pl.DataFrame:
    root = manifest.snapshot
    try:
        return _scan_part(manifest, part).collect()
    except BaseException as exc:  # polars errors, or a Rust panic, on damaged Parquet
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        files = ", ".join(e.file for e in part.files)
        msg = (
            f"snapshot {root}: cannot read the {kind} {name} table from {files} "
            f"({type(exc).__name__}: {exc}). Hint: restore the snapshot or write it again."
        )
        raise SnapshotError(msg, path=root / part.files[0].file) from None


def _checked(
    root: Path, name: str, kind: str, part: TablePart, rows: int, frame: pl.DataFrame
) -> pl.DataFrame:
    got = [(n, str(d)) for n, d in frame.schema.items()]
    want = [(c.name, c.dtype) for c in part.columns]
    if got != want or frame.height != rows:
        first = part.files[0].file
        what = "columns and dtypes match" if got == want else _schema_difference(got, want)
        msg = (
            f"snapshot {root}: the {kind} {name} table ({first}) does not match its manifest: "
            f"{frame.height} rows (manifest: {rows}), {what}. Hint: restore the snapshot or write "
            "it again."
        )
        raise SnapshotError(msg, path=root / first)
    return frame


#: Dtypes a partition column may have (the writer refuses others), by their text.
_PARTITION_DTYPES: dict[str, pl.DataType] = {
    str(d): d
    for d in (
        pl.String(), pl.Date(), pl.Int8(), pl.Int16(), pl.Int32(), pl.Int64(), pl.Int128(),
        pl.UInt8(), pl.UInt16(), pl.UInt32(), pl.UInt64(),
    )
}  # fmt: skip


def _scan_part(manifest: Manifest, part: TablePart) -> pl.LazyFrame:
    root = manifest.snapshot
    files = [root / e.file for e in part.files]
    keys = part.partition_columns
    if manifest.format_version < 2:
        return _scan_part_v1(root, part)
    if not keys:
        return pl.scan_parquet(files[0]) if len(files) == 1 else pl.scan_parquet(files)
    dtypes = {c.name: c.dtype for c in part.columns}
    for col in keys:
        if dtypes[col] not in _PARTITION_DTYPES:
            msg = (
                f"snapshot {root}: partition column {col} has dtype {dtypes[col]}, which a "
                "partition cannot hold. Hint: the manifest was edited; restore the snapshot or "
                "write it again."
            )
            raise SnapshotError(msg, path=root / MANIFEST)
    scans = [
        pl.scan_parquet(path).with_columns(
            pl.lit(entry.partition[col], pl.String).cast(_PARTITION_DTYPES[dtypes[col]]).alias(col)
            for col in keys
        )
        for path, entry in zip(files, part.files, strict=True)
    ]
    lf = pl.concat(scans, how="vertical").select(c.name for c in part.columns)
    return lf.sort(part.order_by) if part.order_by else lf


def _scan_part_v1(root: Path, part: TablePart) -> pl.LazyFrame:
    """Format 1: a partitioned table's files hold the partition column too.

    They also hold the row order in a hidden ``__qf_row`` column.
    """
    files = [root / e.file for e in part.files]
    if len(files) == 1 and "=" not in part.files[0].file:
        return pl.scan_parquet(files[0])
    lf = pl.scan_parquet(files, hive_partitioning=True).sort(_V1_ROW).drop(_V1_ROW)
    schema = lf.collect_schema()
    return lf.select(
        pl.col(c.name).cast(_PARTITION_DTYPES.get(c.dtype, schema[c.name])) for c in part.columns
    )


def _report(columns: Sequence[ColumnEntry]) -> pl.DataFrame:
    flat = [c for c in columns if c.source is not None]
    return report_frame(
        {
            "column": [c.name for c in flat],
            "source": [c.source for c in flat],
            "path": [list(c.path or ()) for c in flat],
            "dtype": [c.dtype for c in flat],
            "null_fraction": [c.null_fraction for c in flat],
            "conflict": [c.conflict for c in flat],
        }
    )
