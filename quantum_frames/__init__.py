"""quantum_frames: the V3 team-intelligence tables as flattened Polars frames.

Examples:
    >>> import quantum_frames as qf
    >>> q = qf.read_postgres("postgresql://analyst@db:5432/prod")  # doctest: +SKIP
    >>> q.teams.select("team_name", "market_dna.best_strategy")  # doctest: +SKIP
"""

from __future__ import annotations

from quantum_frames._version import __version__
from quantum_frames.backtesting import Backtest, NoSnapshotWarning, backtest, bets_from_strategies
from quantum_frames.backtesting.point_in_time import point_in_time
from quantum_frames.backtesting.settle import settle
from quantum_frames.backtesting.walk_forward import walk_forward
from quantum_frames.errors import (
    FlattenCollisionError,
    FlattenError,
    HistoryContractError,
    HistoryError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ManifestError,
    MissingColumnError,
    MissingTableError,
    QuantumFramesError,
    SchemaError,
    SeedError,
    SnapshotError,
    SourceError,
    SqlError,
    UnknownNameError,
    UnknownTeamError,
)
from quantum_frames.flattening import flatten, flatten_with_report, json_columns, unflatten
from quantum_frames.frames import (
    FrictionFrame,
    LazyFrames,
    LazySourceTables,
    QuantumFrames,
    SourceTables,
)
from quantum_frames.history import (
    LazyHistory,
    changes,
    list_history,
    read_history,
    scan_history,
    write_history,
)
from quantum_frames.ops import namespace as _namespace  # registers df.qf / lf.qf
from quantum_frames.ops.friction import UnresolvedTeamsWarning
from quantum_frames.ops.strategies import ContextWarning, ScaleWarning
from quantum_frames.ops.tags import has_all_tags, has_any_tag, has_tag, tag_count
from quantum_frames.ops.tiers import TIERS, is_elite, tier_order
from quantum_frames.readers import (
    build_frames,
    read_postgres,
    sample,
    sample_path,
    sample_season,
    sample_season_path,
)
from quantum_frames.snapshots import (
    LazySnapshot,
    list_snapshots,
    read_snapshot,
    scan_snapshot,
    write_snapshot,
)
from quantum_frames.source import ColumnKeptAsTextWarning

__all__ = [
    "TIERS",
    "Backtest",
    "ColumnKeptAsTextWarning",
    "ContextWarning",
    "FlattenCollisionError",
    "FlattenError",
    "FrictionFrame",
    "HistoryContractError",
    "HistoryError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "LazyFrames",
    "LazyHistory",
    "LazySnapshot",
    "LazySourceTables",
    "ManifestError",
    "MissingColumnError",
    "MissingTableError",
    "NoSnapshotWarning",
    "QuantumFrames",
    "QuantumFramesError",
    "ScaleWarning",
    "SchemaError",
    "SeedError",
    "SnapshotError",
    "SourceError",
    "SourceTables",
    "SqlError",
    "UnknownNameError",
    "UnknownTeamError",
    "UnresolvedTeamsWarning",
    "__version__",
    "backtest",
    "bets_from_strategies",
    "build_frames",
    "changes",
    "flatten",
    "flatten_with_report",
    "has_all_tags",
    "has_any_tag",
    "has_tag",
    "is_elite",
    "json_columns",
    "list_history",
    "list_snapshots",
    "point_in_time",
    "read_history",
    "read_postgres",
    "read_snapshot",
    "sample",
    "sample_path",
    "sample_season",
    "sample_season_path",
    "scan_history",
    "scan_snapshot",
    "settle",
    "tag_count",
    "tier_order",
    "unflatten",
    "walk_forward",
    "write_history",
    "write_snapshot",
]

del _namespace
