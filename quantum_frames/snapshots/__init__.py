"""Snapshots: Parquet directories with a manifest, for offline use and point-in-time history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quantum_frames.snapshots.reader import (
    LazySnapshot,
    list_snapshots,
    read_snapshot,
    read_snapshot_history,
    resolve_history,
    resolve_snapshot,
    scan_snapshot,
)

if TYPE_CHECKING:  # imported on first use (PEP 562 below): the writer pulls in pyarrow
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


def __getattr__(name: str) -> Any:
    """Import ``write_snapshot`` on first use: reading a snapshot never loads pyarrow.

    Args:
        name: the attribute asked for.

    Returns:
        The object ``name`` names.

    Raises:
        AttributeError: ``name`` is no name of the module.
    """
    if name != "write_snapshot":
        msg = f"module 'quantum_frames.snapshots' has no attribute {name!r}"
        raise AttributeError(msg)
    from quantum_frames.snapshots.writer import write_snapshot

    globals()[name] = write_snapshot
    return write_snapshot


def __dir__() -> list[str]:
    """The module's names, the lazy one included.

    Returns:
        The sorted names.
    """
    return sorted({*globals(), *__all__})
