"""Snapshots: Parquet directories with a manifest, for offline use and point-in-time history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from quantum_frames import _lazy
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

#: The names imported on first use, by the module that holds them.
_LAZY: Final = {"write_snapshot": "quantum_frames.snapshots.writer"}

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
    return _lazy.load(
        __name__, {"write_snapshot": "quantum_frames.snapshots.writer"}, globals(), name
    )


def __dir__() -> list[str]:
    """The module's names, the lazy one included.

    Returns:
        The sorted names.
    """
    return sorted({*globals(), *__all__})
