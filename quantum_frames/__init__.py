"""quantum_frames: the V3 team-intelligence tables as flattened Polars frames.

Examples:
    >>> import quantum_frames as qf
    >>> q = qf.read_postgres("postgresql://analyst@db:5432/prod")  # doctest: +SKIP
    >>> q.teams.select("team_name", "market_dna.best_strategy")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from quantum_frames import _lazy
from quantum_frames._version import __version__
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

if TYPE_CHECKING:  # imported on first use (PEP 562 below): they pull in pyarrow and numpy
    from quantum_frames.backtesting import (
        Backtest,
        NoSnapshotWarning,
        backtest,
        bets_from_strategies,
    )
    from quantum_frames.backtesting.point_in_time import point_in_time
    from quantum_frames.backtesting.settle import settle
    from quantum_frames.backtesting.walk_forward import walk_forward
    from quantum_frames.history import (
        LazyHistory,
        changes,
        list_history,
        read_history,
        scan_history,
        write_history,
    )
    from quantum_frames.snapshots import (
        LazySnapshot,
        list_snapshots,
        read_snapshot,
        scan_snapshot,
        write_snapshot,
    )
    from quantum_frames.source import ColumnKeptAsTextWarning

#: The names imported on first use, by the module that holds them: ``import quantum_frames``
#: stays as light as ``import polars`` (pyarrow and numpy cost ~0.2 s more).
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "Backtest",
            "NoSnapshotWarning",
            "backtest",
            "bets_from_strategies",
        ),
        "quantum_frames.backtesting",
    ),
    # named like their modules, so they live there (no public name shadows a module)
    "point_in_time": "quantum_frames.backtesting.point_in_time",
    "settle": "quantum_frames.backtesting.settle",
    "walk_forward": "quantum_frames.backtesting.walk_forward",
    **dict.fromkeys(
        (
            "LazyHistory",
            "changes",
            "list_history",
            "read_history",
            "scan_history",
            "write_history",
        ),
        "quantum_frames.history",
    ),
    **dict.fromkeys(
        ("LazySnapshot", "list_snapshots", "read_snapshot", "scan_snapshot", "write_snapshot"),
        "quantum_frames.snapshots",
    ),
    # the source stage (psycopg and connectorx are imported on the first load anyway)
    "ColumnKeptAsTextWarning": "quantum_frames.source",
}

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


def __getattr__(name: str) -> Any:
    """Import a heavy name on first use (PEP 562) and keep it in the module.

    Args:
        name: the attribute asked for.

    Returns:
        The object ``name`` names.

    Raises:
        AttributeError: ``name`` is no name of the package.
    """
    return _lazy.load(__name__, _LAZY, globals(), name)


def __dir__() -> list[str]:
    """The package's names, the lazy ones included.

    Returns:
        The sorted names.
    """
    return sorted({*globals(), *__all__})


del _namespace
