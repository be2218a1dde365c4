"""quantum_frames: the V3 team-intelligence tables as flattened Polars frames.

Examples:
    >>> import quantum_frames as qf
    >>> q = qf.read_postgres("postgresql://analyst@db:5432/prod")  # doctest: +SKIP
    >>> q.teams.select("team_name", "market_dna.best_strategy")  # doctest: +SKIP
"""

from __future__ import annotations

from quantum_frames._version import __version__
from quantum_frames.errors import (
    FlattenCollisionError,
    FlattenError,
    MissingColumnError,
    MissingTableError,
    QuantumFramesError,
    SchemaError,
    SnapshotError,
    SourceError,
    SqlError,
)
from quantum_frames.flatten import flatten, flatten_with_report, json_columns, unflatten
from quantum_frames.frames import QuantumFrames, SourceTables
from quantum_frames.readers import build_frames, read_postgres, sample, sample_path
from quantum_frames.snapshots import (
    LazySnapshot,
    list_snapshots,
    read_snapshot,
    scan_snapshot,
    write_snapshot,
)

__all__ = [
    "FlattenCollisionError",
    "FlattenError",
    "LazySnapshot",
    "MissingColumnError",
    "MissingTableError",
    "QuantumFrames",
    "QuantumFramesError",
    "SchemaError",
    "SnapshotError",
    "SourceError",
    "SourceTables",
    "SqlError",
    "__version__",
    "build_frames",
    "flatten",
    "flatten_with_report",
    "json_columns",
    "list_snapshots",
    "read_postgres",
    "read_snapshot",
    "sample",
    "sample_path",
    "scan_snapshot",
    "unflatten",
    "write_snapshot",
]
