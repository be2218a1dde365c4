"""Backtests: point-in-time data (no look-ahead), honest betting metrics and how sure they are.

The functions named like their modules stay in them (no public name shadows a module):
``quantum_frames.backtesting.point_in_time.point_in_time``, ``….settle.settle`` and
``….walk_forward.walk_forward`` — all three are ``qf.point_in_time``, ``qf.settle`` and
``qf.walk_forward``.
"""

from __future__ import annotations

from quantum_frames.backtesting.margins import fair_probabilities
from quantum_frames.backtesting.metrics import RESULTS, Backtest, MarginWarning, backtest
from quantum_frames.backtesting.point_in_time import NoSnapshotWarning
from quantum_frames.backtesting.settle import bets_from_strategies
from quantum_frames.backtesting.walk_forward import Periods, WalkForward

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
]
