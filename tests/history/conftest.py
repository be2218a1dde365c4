"""Helpers for history tests: loads that differ from the sample the way a database drifts."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest

import quantum_frames as qf
from quantum_frames.frames import QuantumFrames, SourceTables

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import polars as pl


def rebuilt(
    q: QuantumFrames,
    *,
    teams: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    friction: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
    strategies: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> QuantumFrames:
    """``q`` loaded again from its lossless tables, each changed by its function first.

    The flat frames come from the flattener, as after a real load.
    """
    raw = SourceTables(
        teams=teams(q.raw.teams) if teams else q.raw.teams,
        friction=friction(q.raw.friction) if friction else q.raw.friction,
        strategies=strategies(q.raw.strategies) if strategies else q.raw.strategies,
    )
    sources = set(q.report["source"])
    json_columns = {name: [c for c in f.columns if c in sources] for name, f in raw.items()}
    again = qf.build_frames(raw, json_columns=json_columns, source=q.source)
    return replace(again, as_of=None)


@pytest.fixture(scope="session")
def sample() -> QuantumFrames:
    """The bundled sample, without its as_of (so each test says when its moment is)."""
    return replace(qf.sample(), as_of=None)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A path for a new history."""
    return tmp_path / "history"
