"""Backtests: point-in-time data (no look-ahead), honest betting metrics and how sure they are."""

from __future__ import annotations

from quantum_frames.backtesting.margins import fair_probabilities
from quantum_frames.backtesting.metrics import RESULTS, Backtest, MarginWarning, backtest
from quantum_frames.backtesting.point_in_time import NoSnapshotWarning, point_in_time
from quantum_frames.backtesting.settle import bets_from_strategies, settle
from quantum_frames.backtesting.walk_forward import Periods, WalkForward, walk_forward

__all__ = [
    "RESULTS",
    "Backtest",
    "MarginWarning",
    "NoSnapshotWarning",
    "Periods",
    "WalkForward",
    "backtest",
    "bets_from_strategies",
    "fair_probabilities",
    "point_in_time",
    "settle",
    "walk_forward",
]
