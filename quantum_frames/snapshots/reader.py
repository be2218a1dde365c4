"""Reading snapshots: verified, point-in-time over a folder, lazily for large ones."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from polars._typing import PolarsDataType

from quantum_frames.errors import SnapshotError
from quantum_frames.flattening import report_frame
from quantum_frames.frames import TABLES, FrictionFrame, LazySourceTables, QuantumFrames
from quantum_frames.snapshots.manifest import MANIFEST, Manifest, parse_when

__all__ = ["LazySnapshot", "list_snapshots", "read_snapshot", "resolve_snapshot", "scan_snapshot"]

logger = logging.getLogger("quantum_frames")


def read_snapshot(
    path: str | os.PathLike[str],
    /,
    *,
    as_of: date | datetime | str | None = None,
    verify: bool = True,
) -> QuantumFrames:
    """Read a snapshot — or, from a folder of snapshots, the newest one at or before ``as_of``.

    Args:
        path: a snapshot directory, or a folder holding snapshot directories.
        as_of: with a folder: pick the newest snapshot whose ``as_of`` is at or before this
            (a bare date includes that whole day). Default: the newest.
        verify: check every file's size and SHA-256 against the manifest (each before it
            is decoded; all of them before the read returns). Without it a damaged file may
            go unnoticed — or even abort the Parquet reader: keep it on for files that left
            your control.

    Raises:
        SnapshotError: no snapshot fits, or a file is missing, extra, truncated or changed;
            the message names the file.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.read_snapshot(qf.sample_path())
        >>> q.teams.height
        96
    """
    manifest = resolve_snapshot(path, as_of=as_of)
    flat = _verified_flat(manifest) if verify else _read_kind(manifest, "flat")
    raw = LazySourceTables(functools.partial(_read_kind, manifest, "raw"))  # picklable
    reports = [_report(manifest.data["tables"][name]["flat"]["columns"]) for name in TABLES]
    d = manifest.data
    return QuantumFrames(
        teams=flat["teams"],
        friction=FrictionFrame(flat["friction"]),
        strategies=flat["strategies"],
        raw=raw,
        report=pl.concat(reports),
        source={**d["source"], "snapshot": str(manifest.snapshot)},
        options=dict(d["flatten"]),
        timings={},
        loaded_at=manifest.created_at,
        as_of=manifest.as_of,
    )


def _verified_flat(manifest: Manifest) -> dict[str, pl.DataFrame]:
    """The flat tables, every file of the snapshot verified. No file is decoded before its
    SHA-256 matches (a damaged file can abort the Parquet reader itself); the lossless
    files, decoded only on demand, are hashed on a second thread while the flat ones decode,
    and the read fails if any of them is damaged."""
    from concurrent.futures import ThreadPoolExecutor

    manifest.check_listing()
    with ThreadPoolExecutor(1, thread_name_prefix="qf-verify") as pool:
        raw_checked = pool.submit(manifest.check_digests, manifest.files(("raw",)), 1)
        manifest.check_digests(manifest.files(("flat",)))
        flat = _read_kind(manifest, "flat")
        raw_checked.result()
    return flat


def _read_kind(manifest: Manifest, kind: str) -> dict[str, pl.DataFrame]:
    """The three tables of one kind ("flat" or "raw"), decoded together in parallel."""
    root = manifest.snapshot
    tables = manifest.data["tables"]
    parts = [(name, tables[name][kind], tables[name]["rows"]) for name in TABLES]
    try:
        frames = pl.collect_all([_scan_part(root, part) for _, part, _ in parts])
    except BaseException as exc:  # a damaged file can even panic the Parquet reader
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        # read them one by one to say which is damaged
        frames = [_read_part(root, name, kind, part) for name, part, _ in parts]
    return {
        name: _checked(root, name, kind, part, rows, frame)
        for (name, part, rows), frame in zip(parts, frames, strict=True)
    }


@dataclass(frozen=True, repr=False)
class LazySnapshot:
    """LazyFrames over a snapshot's flattened (and lossless) Parquet files."""

    teams: pl.LazyFrame
    friction: pl.LazyFrame
    strategies: pl.LazyFrame
    raw: Mapping[str, pl.LazyFrame]
    manifest: Mapping[str, Any]

    def __repr__(self) -> str:
        """A few lines: which snapshot, as of when, rows per table (not the manifest)."""
        m = self.manifest
        tables = m.get("tables", {})
        rows = ", ".join(f"{name} {tables[name].get('rows', 0):,}" for name in tables)
        return f"LazySnapshot {m.get('snapshot_id', '?')} as of {m.get('as_of', '?')}: {rows} rows"


def scan_snapshot(
    path: str | os.PathLike[str],
    /,
    *,
    as_of: date | datetime | str | None = None,
    verify: bool = False,
) -> LazySnapshot:
    """LazyFrames over a snapshot, for snapshots larger than memory.

    Only the manifest is read up front (``verify=True`` also checks every file's SHA-256,
    which reads them all once); filters and projections are pushed into the Parquet scan.
    """
    manifest = resolve_snapshot(path, as_of=as_of)
    if verify:
        manifest.verify()
    root = manifest.snapshot
    flat = {}
    raw = {}
    for name in TABLES:
        table = manifest.data["tables"][name]
        flat[name] = _scan_part(root, table["flat"])
        raw[name] = _scan_part(root, table["raw"])
    return LazySnapshot(flat["teams"], flat["friction"], flat["strategies"], raw, manifest.data)


def resolve_snapshot(
    path: str | os.PathLike[str], *, as_of: date | datetime | str | None = None
) -> Manifest:
    """The manifest of the snapshot at ``path``, or of the one ``as_of`` picks in a folder."""
    root = Path(path)
    if not root.exists():
        msg = f"{root} does not exist. Hint: pass a snapshot directory (written by write_snapshot) or a folder of them."
        raise SnapshotError(msg, path=root)
    if not root.is_dir():
        msg = f"{root} is a file, not a snapshot directory. Hint: pass the directory that holds {MANIFEST}."
        raise SnapshotError(msg, path=root)
    if (root / MANIFEST).exists():
        manifest = Manifest.load(root)
        if as_of is not None and manifest.as_of > parse_when(as_of, end_of_day=True):
            msg = f"snapshot {root} is as of {manifest.as_of:%Y-%m-%d %H:%M:%S} UTC, after {as_of}. Hint: pass a folder of snapshots to pick one by date."
            raise SnapshotError(msg, path=root)
        return manifest
    found = _manifests(root)
    if not found:
        msg = f"{root} holds no snapshot (no directory with a valid {MANIFEST}). Hint: write one with q.write_snapshot(path)."
        raise SnapshotError(msg, path=root)
    if as_of is None:
        return found[-1]
    cutoff = parse_when(as_of, end_of_day=True)
    eligible = [m for m in found if m.as_of <= cutoff]
    if not eligible:
        first = found[0].as_of
        msg = f"no snapshot in {root} is as of {as_of} or earlier; the first is as of {first:%Y-%m-%d %H:%M:%S} UTC. Hint: pass a later date."
        raise SnapshotError(msg, path=root)
    return eligible[-1]


def list_snapshots(folder: str | os.PathLike[str], /) -> pl.DataFrame:
    """The snapshots in ``folder``, oldest ``as_of`` first: path, as_of, created_at, rows per
    table, source, snapshot_id. Hidden directories (writes in progress) are never listed."""
    root = Path(folder)
    if not root.is_dir():
        msg = f"{root} is not a folder. Hint: pass the folder that holds the snapshot directories."
        raise SnapshotError(msg, path=root)
    rows = []
    for m in _manifests(root):
        tables = m.data["tables"]
        src = m.data["source"]
        rows.append(
            {
                "path": str(m.snapshot),
                "as_of": m.as_of,
                "created_at": m.created_at,
                **{f"{name}_rows": tables[name]["rows"] for name in TABLES},
                "source": _describe(src),
                "snapshot_id": m.data["snapshot_id"],
            }
        )
    schema: dict[str, PolarsDataType] = {
        "path": pl.String, "as_of": pl.Datetime("us", "UTC"), "created_at": pl.Datetime("us", "UTC"),
        "teams_rows": pl.Int64, "friction_rows": pl.Int64, "strategies_rows": pl.Int64,
        "source": pl.String, "snapshot_id": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def _manifests(root: Path) -> list[Manifest]:
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not (entry / MANIFEST).is_file():
            continue
        try:
            found.append(Manifest.load(entry))
        except SnapshotError as exc:
            logger.warning("skipping %s: %s", entry, exc)
    return sorted(found, key=lambda m: (m.as_of, m.created_at))


def _describe(src: Mapping[str, Any]) -> str:
    if src.get("kind") == "postgresql":
        return f"postgresql://{src.get('user', '')}@{src.get('host', '')}/{src.get('dbname', '')} ({src.get('schema', '')})"
    return str(src.get("kind", "unknown"))


def _read_part(root: Path, name: str, kind: str, part: Mapping[str, Any]) -> pl.DataFrame:
    files = [root / e["file"] for e in part["files"]]
    try:
        return _scan_part(root, part).collect()
    except BaseException as exc:  # polars errors, or a Rust panic, on damaged Parquet
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        msg = f"snapshot {root}: cannot read the {kind} {name} table from {', '.join(e['file'] for e in part['files'])} ({type(exc).__name__}: {exc}). Hint: restore the snapshot or write it again."
        raise SnapshotError(msg, path=files[0] if files else root) from None


def _checked(
    root: Path, name: str, kind: str, part: Mapping[str, Any], rows: int, frame: pl.DataFrame
) -> pl.DataFrame:
    got = [(n, str(d)) for n, d in frame.schema.items()]
    want = [(c["name"], c["dtype"]) for c in part["columns"]]
    if got != want or frame.height != rows:
        first = part["files"][0]["file"] if part["files"] else ""
        msg = f"snapshot {root}: the {kind} {name} table ({first}) does not match its manifest: {frame.height} rows (manifest: {rows}), columns and dtypes {'match' if got == want else 'differ'}. Hint: restore the snapshot or write it again."
        raise SnapshotError(msg, path=root / first)
    return frame


def _is_partitioned(part: Mapping[str, Any]) -> bool:
    return any("=" in e["file"] for e in part["files"])


def _parse_dtype(text: str, fallback: pl.DataType) -> pl.DataType:
    simple = {
        "String": pl.String(),
        "Int64": pl.Int64(),
        "Int32": pl.Int32(),
        "Float64": pl.Float64(),
        "Boolean": pl.Boolean(),
    }
    return simple.get(text, fallback)


def _scan_part(root: Path, part: Mapping[str, Any]) -> pl.LazyFrame:
    files = [root / e["file"] for e in part["files"]]
    if len(files) == 1 and not _is_partitioned(part):
        return pl.scan_parquet(files[0])
    lf = pl.scan_parquet(files, hive_partitioning=True).sort("__qf_row").drop("__qf_row")
    schema = lf.collect_schema()
    return lf.select(
        pl.col(c["name"]).cast(_parse_dtype(c["dtype"], schema[c["name"]])) for c in part["columns"]
    )


def _report(columns: list[Mapping[str, Any]]) -> pl.DataFrame:
    flat = [c for c in columns if "source" in c]
    return report_frame(
        {
            "column": [c["name"] for c in flat],
            "source": [c["source"] for c in flat],
            "path": [c["path"] for c in flat],
            "dtype": [c["dtype"] for c in flat],
            "null_fraction": [c["null_fraction"] for c in flat],
            "conflict": [c["conflict"] for c in flat],
        }
    )
