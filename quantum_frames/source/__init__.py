"""The source stage: the PostgreSQL catalog and the connectorx fetch → lossless frames.

Flattening is the next stage's job (:mod:`quantum_frames.flattening`).
"""

from __future__ import annotations

from quantum_frames.source._postgres import (
    DEFAULT_TABLES,
    REQUIRED_COLUMNS,
    ColumnInfo,
    FetchResult,
    Moment,
    TableInfo,
    discover,
    fetch_tables,
)
from quantum_frames.source._types import ColumnKeptAsTextWarning

__all__ = [
    "DEFAULT_TABLES",
    "REQUIRED_COLUMNS",
    "ColumnInfo",
    "ColumnKeptAsTextWarning",
    "FetchResult",
    "Moment",
    "TableInfo",
    "discover",
    "fetch_tables",
]
