"""The source stage: the PostgreSQL catalog and the connectorx fetch → lossless frames.

Flattening is the next stage's job (:mod:`quantum_frames.flattening`).
"""

from __future__ import annotations

from quantum_frames.source._postgres import (
    DEFAULT_TABLES,
    REQUIRED_COLUMNS,
    ColumnInfo,
    FetchResult,
    TableInfo,
    discover,
    fetch_tables,
)

__all__ = [
    "DEFAULT_TABLES",
    "REQUIRED_COLUMNS",
    "ColumnInfo",
    "FetchResult",
    "TableInfo",
    "discover",
    "fetch_tables",
]
