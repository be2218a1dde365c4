"""The QuantumFrames container: what it reports about itself."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.cli import summary

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def test_timings_total_covers_the_whole_call(
    pg_dsn: str, sample_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quantum_frames.readers as readers
    from quantum_frames.source._dsn import Dsn

    real_parse = Dsn.parse

    def slow_parse(dsn: str | None) -> Any:  # the first parse imports psycopg: ~0.1 s
        time.sleep(0.3)
        return real_parse(dsn)

    real_names = readers._with_team_names

    def slow_names(frames: Any) -> Any:  # work after the fetch, before the frames are returned
        time.sleep(0.3)
        return real_names(frames)

    monkeypatch.setattr(Dsn, "parse", staticmethod(slow_parse))
    monkeypatch.setattr(readers, "_with_team_names", slow_names)
    t0 = time.perf_counter()
    q = qf.read_postgres(pg_dsn, schema=sample_schema)
    waited = time.perf_counter() - t0
    t = q.timings
    assert all(t[k] <= t["fetch"] for k in ("teams", "friction", "strategies"))  # maybe at once
    assert t["catalog"] + t["fetch"] + t["flatten_wait"] + 0.9 <= t["total"] <= waited  # all in
    assert "(alongside the fetch)" in summary(q)
    assert "total" in summary(q)


def test_lazy_snapshot_repr_is_short(tmp_path: Path) -> None:
    lazy = qf.scan_snapshot(qf.sample().write_snapshot(tmp_path / "snap"))
    text = repr(lazy)
    assert len(text) < 200
    assert "teams 96" in text
    assert "\n" not in text


def test_best_strategies_passes_strict_and_warns_at_the_callers_line() -> None:
    import warnings

    from quantum_frames.ops.strategies import best_strategies

    q = qf.sample()
    fixtures = pl.DataFrame({"team": ["Liverpol"], "venue": ["home"]})
    with pytest.raises(qf.UnknownTeamError, match="Liverpol"):
        q.best_strategies(fixtures, strict=True)
    with pytest.raises(qf.UnknownTeamError, match="Liverpol"):
        q.lazy().best_strategies(fixtures.lazy(), strict=True)
    calls: dict[str, Callable[[], object]] = {
        "q.best_strategies": lambda: q.best_strategies(fixtures),
        "q.lazy().best_strategies": lambda: q.lazy().best_strategies(fixtures.lazy()),
        "ops best_strategies": lambda: best_strategies(q.strategies, q.teams, fixtures),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert [w.filename for w in caught] == [__file__], name
