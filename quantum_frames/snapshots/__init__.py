"""Snapshots: Parquet directories with a manifest, for offline use and point-in-time history."""

from __future__ import annotations

from quantum_frames.snapshots.reader import (
    LazySnapshot,
    list_snapshots,
    read_snapshot,
    read_snapshot_history,
    resolve_history,
    resolve_snapshot,
    scan_snapshot,
)
from quantum_frames.snapshots.writer import write_snapshot

__all__ = [
    "LazySnapshot",
    "list_snapshots",
    "read_snapshot",
    "read_snapshot_history",
    "resolve_history",
    "resolve_snapshot",
    "scan_snapshot",
    "write_snapshot",
]
