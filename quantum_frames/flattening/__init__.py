"""Flattening: JSON / JSONB columns → plain columns, the flatten report, and back."""

from __future__ import annotations

from quantum_frames.flattening._api import (
    REPORT_SCHEMA,
    flatten,
    flatten_with_report,
    json_columns,
    report_frame,
)
from quantum_frames.flattening._unflatten import unflatten

__all__ = [
    "REPORT_SCHEMA",
    "flatten",
    "flatten_with_report",
    "json_columns",
    "report_frame",
    "unflatten",
]
