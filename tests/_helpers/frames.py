"""Small frames for edge cases, and eager or lazy frames chosen at run time."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

import quantum_frames as qf
from quantum_frames.frames import QuantumFrames, SourceTables


def as_kind(frame: pl.DataFrame, lazy: bool) -> Any:
    """The frame eager or lazy, as a parametrized test asks.

    Typed ``Any`` on purpose: an operation's FrameT takes one kind per call (and returns that
    kind), while which kind this is is decided at run time.
    """
    return frame.lazy() if lazy else frame


def collect(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The frame eager (collected when lazy)."""
    return frame.collect() if isinstance(frame, pl.LazyFrame) else frame


def tiny(strategies: list[dict[str, Any]] | None = None) -> QuantumFrames:
    """Three teams, their friction, and the given strategies (context_filters as Python)."""
    teams = pl.DataFrame(
        {
            "team_id": [1, 2, 3],
            "team_name": ["1. FC Köln", "Brighton & Hove Albion", "Atlético Madrid"],
            "team_name_normalized": ["1. fc koln", "brighton and hove albion", "atletico madrid"],
            "league": ["Bundesliga", "Premier League", "La Liga"],
            "tier": ["MID", "TOP6", "ELITE"],
            "tier_rank": [9, 5, 2],
            "narrative_fingerprint_tags": [["GK_Schwäbe", "LOW_BLOCK"], [], None],
        },
        schema_overrides={"team_id": pl.Int32, "tier_rank": pl.Int32},
    )
    friction = pl.DataFrame(
        {
            "friction_id": [1, 2],
            "team_home_id": [1, 2],
            "team_away_id": [2, 1],
            "team_home_name": ["1. FC Köln", "Brighton & Hove Albion"],
            "team_away_name": ["Brighton & Hove Albion", "1. FC Köln"],
            "league": ["X", "X"],
            "friction_score": [0.9, 0.2],
        },
        schema_overrides={"team_home_id": pl.Int32, "team_away_id": pl.Int32},
    )
    rows = strategies or []
    strat = pl.DataFrame(
        {
            "strategy_id": [r["strategy_id"] for r in rows],
            "team_id": [r.get("team_id", 1) for r in rows],
            "strategy_name": [r.get("strategy_name", f"S{r['strategy_id']}") for r in rows],
            "market_type": [r.get("market_type", "over_2.5") for r in rows],
            "context_filters": [
                None if r.get("filters", "NULL") == "NULL" else json.dumps(r["filters"])
                for r in rows
            ],
            "conviction": [r.get("conviction", 50.0) for r in rows],
            "is_active": [r.get("is_active", True) for r in rows],
            "roi": [r.get("roi", 0.0) for r in rows],
        },
        schema={
            "strategy_id": pl.Int32, "team_id": pl.Int32, "strategy_name": pl.String,
            "market_type": pl.String, "context_filters": pl.String, "conviction": pl.Float64,
            "is_active": pl.Boolean, "roi": pl.Float64,
        },
    )  # fmt: skip
    raw = SourceTables(teams=teams, friction=friction, strategies=strat)
    return qf.build_frames(
        raw, json_columns={"teams": [], "friction": [], "strategies": ["context_filters"]}
    )
