"""Backtests: point-in-time data (no look-ahead) and honest betting metrics."""

from __future__ import annotations

from quantum_frames.backtesting.metrics import RESULTS, Backtest, backtest
from quantum_frames.backtesting.point_in_time import NoSnapshotWarning, point_in_time
from quantum_frames.backtesting.settle import bets_from_strategies, settle

__all__ = [
    "RESULTS",
    "Backtest",
    "NoSnapshotWarning",
    "backtest",
    "bets_from_strategies",
    "point_in_time",
    "settle",
]
