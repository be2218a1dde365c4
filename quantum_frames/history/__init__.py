"""Histories in Delta Lake: every load one moment, read back (and time-travelled) by any engine.

A history is a folder of Delta tables — ``teams``, ``friction``, ``strategies`` (flat),
``raw/teams`` … (lossless), ``changes`` (the change sets) — and a small commit log
(``_qf_history/``) that lists, per moment, the Delta version of every table, so a reader never
sees ``teams`` of one moment with ``friction`` of another. Needs the ``history`` extra
(``pip install 'quantum-frames[history]'``); importing quantum_frames never imports deltalake.
"""

from __future__ import annotations

from quantum_frames.history._changes import ChangeSetWarning
from quantum_frames.history._drift import DRIFT_SCHEMA, drift_report
from quantum_frames.history._log import ChangeCounts, Column, Moment, TableState, is_history
from quantum_frames.history._reader import (
    LazyHistory,
    changes,
    history_frames,
    list_history,
    read_history,
    scan_history,
)
from quantum_frames.history._writer import Append, write_history

__all__ = [
    "DRIFT_SCHEMA",
    "Append",
    "ChangeCounts",
    "ChangeSetWarning",
    "Column",
    "LazyHistory",
    "Moment",
    "TableState",
    "changes",
    "drift_report",
    "history_frames",
    "is_history",
    "list_history",
    "read_history",
    "scan_history",
    "write_history",
]
