"""Strategies: per team, by conviction, and best-strategy matching with every edge case."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.ops.friction import UnresolvedTeamsWarning
from tests._helpers.frames import as_kind, collect, tiny

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames


def best(
    strategies: list[dict[str, Any]], context: dict[str, Any] | None, team: str = "1. FC Köln"
) -> int | None:
    with warnings.catch_warnings():  # these test the matching itself, on purpose-built data
        warnings.simplefilter("ignore", qf.ContextWarning)
        chosen = tiny(strategies).best_strategy(team, context)
    return None if chosen is None else chosen["strategy_id"]


def test_empty_and_null_filters_always_match() -> None:
    strategies = [
        {"strategy_id": 1, "filters": {}, "conviction": 40},
        {"strategy_id": 2, "filters": "NULL", "conviction": 60},
    ]
    assert best(strategies, None) == 2
    assert best(strategies, {"venue": "away"}) == 2


def test_scalar_filter_needs_an_equal_context_value() -> None:
    strategies = [
        {"strategy_id": 1, "filters": {"venue": "home"}, "conviction": 90},
        {"strategy_id": 2, "filters": {}, "conviction": 10},
    ]
    assert best(strategies, {"venue": "home"}) == 1
    assert best(strategies, {"venue": "away"}) == 2


def test_missing_context_key_does_not_match_a_filter_on_it() -> None:
    strategies = [
        {"strategy_id": 1, "filters": {"venue": "home"}, "conviction": 90},
        {"strategy_id": 2, "filters": {}, "conviction": 10},
    ]
    assert best(strategies, {}) == 2
    assert best(strategies, {"opponent_tier": "ELITE"}) == 2


def test_list_filter_contains_the_context_value() -> None:
    strategies = [
        {
            "strategy_id": 1,
            "filters": {"opponent_tier": ["ELITE", "TOP6"], "venue": "home"},
            "conviction": 80,
        }
    ]
    assert best(strategies, {"opponent_tier": "TOP6", "venue": "home"}) == 1
    assert best(strategies, {"opponent_tier": "MID", "venue": "home"}) is None
    assert best(strategies, {"opponent_tier": "TOP6"}) is None  # every filter key must be there


def test_numeric_and_boolean_filters() -> None:
    strategies = [
        {"strategy_id": 1, "filters": {"min_rest_days": 3, "derby": True}, "conviction": 80}
    ]
    assert best(strategies, {"min_rest_days": 3, "derby": True}) == 1
    assert best(strategies, {"min_rest_days": 4, "derby": True}) is None


def test_inactive_strategies_never_win() -> None:
    strategies = [
        {"strategy_id": 1, "filters": {}, "conviction": 99, "is_active": False},
        {"strategy_id": 2, "filters": {}, "conviction": 1},
    ]
    assert best(strategies, None) == 2
    assert best([{"strategy_id": 1, "filters": {}, "is_active": False}], None) is None


def test_ties_go_to_higher_roi_then_lower_id() -> None:
    tie = [
        {"strategy_id": 5, "filters": {}, "conviction": 70, "roi": 1.0},
        {"strategy_id": 4, "filters": {}, "conviction": 70, "roi": 3.0},
        {"strategy_id": 3, "filters": {}, "conviction": 70, "roi": 3.0},
    ]
    assert best(tie, None) == 3


def test_other_teams_strategies_are_not_considered() -> None:
    strategies = [{"strategy_id": 1, "team_id": 2, "filters": {}, "conviction": 99}]
    assert best(strategies, None) is None
    assert best(strategies, None, team="brighton & hove albion") == 1


def test_best_strategy_returns_the_row_with_json_nested() -> None:
    chosen = tiny([{"strategy_id": 7, "filters": {"venue": "home"}}]).best_strategy(
        "1. FC Köln", {"venue": "home"}
    )
    assert chosen is not None
    assert chosen["context_filters"] == {"venue": "home"}
    assert chosen["strategy_name"] == "S7"


def test_best_strategy_bad_input() -> None:
    q = tiny([{"strategy_id": 1}])
    with pytest.raises(qf.UnknownTeamError):
        q.best_strategy("Köln FC United", None)
    with pytest.raises(TypeError, match="context must be a mapping"):
        q.best_strategy("1. FC Köln", ["venue", "home"])  # type: ignore[arg-type]


def test_best_strategies_vectorised_equals_one_at_a_time(q: QuantumFrames) -> None:
    teams = q.teams["team_name"].to_list()
    fixtures = pl.DataFrame(
        {
            "team": [teams[i % len(teams)] for i in range(300)],
            "venue": ["home" if i % 2 else "away" for i in range(300)],
            "opponent_tier": [("ELITE", "TOP6", "MID", "BOTTOM")[i % 4] for i in range(300)],
            "opponent_style": [("possession", "gegenpress", None)[i % 3] for i in range(300)],
        }
    )
    bulk = q.best_strategies(fixtures)
    assert bulk.height == 300
    assert bulk.select("team", "venue").equals(fixtures.select("team", "venue"))
    for row in bulk.head(60).iter_rows(named=True):
        ctx = {
            k: row[k] for k in ("venue", "opponent_tier", "opponent_style") if row[k] is not None
        }
        with warnings.catch_warnings():  # a context value like a filter's: warned, not wrong
            warnings.simplefilter("ignore", qf.ContextWarning)
            one = q.best_strategy(row["team"], ctx)
        assert (one["strategy_id"] if one else None) == row["strategy_id"], row
    assert bulk["strategy_id"].null_count() < 300
    lazy = q.best_strategies(fixtures.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(bulk)


def test_strategies_for_and_by_conviction(q: QuantumFrames) -> None:
    mine = q.strategies_for("LIVERPOOL")
    assert set(mine["team_name"]) == {"Liverpool"}
    assert mine["conviction"].to_list() == sorted(mine["conviction"].to_list(), reverse=True)
    strong = q.strategies_by_conviction(80)
    assert strong["conviction"].min() >= 80  # type: ignore[operator]
    assert strong.height == q.strategies.filter(pl.col("conviction") >= 80).height
    assert q.strategies_by_conviction(100).schema == q.strategies.schema
    for bad in ("80", None, True):
        with pytest.raises(qf.InvalidArgumentTypeError, match="min_conviction"):
            q.strategies_by_conviction(bad)  # type: ignore[arg-type]
    for off_scale in (101, -1):
        with pytest.raises(qf.InvalidArgumentError, match=r"min_conviction must be in \[0, 100\]"):
            q.strategies_by_conviction(off_scale)


@pytest.mark.parametrize("lazy", [False, True])
def test_strategy_filters_on_lazy_frames(sample: QuantumFrames, lazy: bool) -> None:
    from quantum_frames.ops.strategies import strategies_by_conviction, strategies_for

    frame = as_kind(sample.strategies, lazy)
    strong = strategies_by_conviction(frame, 70)
    mine = strategies_for(frame, sample.teams, "liverpool")
    assert isinstance(strong, pl.LazyFrame) == lazy
    assert isinstance(mine, pl.LazyFrame) == lazy
    assert collect(strong).equals(sample.strategies_by_conviction(70))
    assert collect(mine).equals(sample.strategies_for("Liverpool"))


def test_spec_keyword_names_work(sample: QuantumFrames) -> None:
    by_keyword = sample.best_strategy(team="Liverpool", context={"venue": "home"})
    assert by_keyword == sample.best_strategy("Liverpool", {"venue": "home"})
    assert sample.strategies_by_conviction(min_conviction=90).equals(
        sample.strategies_by_conviction(90)
    )
    assert sample.team(name="Liverpool")["team_name"] == "Liverpool"
    assert sample.dna_vector(team="Liverpool", vector="luck_dna") == sample.dna_vector(
        "Liverpool", "luck_dna"
    )


_TEAMS = ["1. FC Köln", "Brighton & Hove Albion", "Atlético Madrid", "Nowhere FC"]


def _reference_best(strategies: list[dict[str, Any]], team: str, context: dict[str, Any]) -> Any:
    """best_strategies for one fixture, written the slow, obvious way."""
    team_id = {name: i + 1 for i, name in enumerate(_TEAMS[:3])}.get(team)

    def applies(filters: Any) -> bool:
        for key, want in (filters or {}).items():
            if key not in context or context[key] is None:
                return False
            if isinstance(want, list) and context[key] not in want:
                return False
            if not isinstance(want, list) and context[key] != want:
                return False
        return True

    fits = [
        s
        for s in strategies
        if s["team_id"] == team_id and s["is_active"] and applies(s["filters"])
    ]
    fits.sort(
        key=lambda s: (
            s["conviction"] is None,
            -(s["conviction"] or 0),
            s["roi"] is None,
            -(s["roi"] or 0),
            s["strategy_id"],
        )
    )
    return fits[0]["strategy_id"] if fits else None


_VENUES, _TIERS = ["home", "away"], ["ELITE", "TOP6", "MID"]


def _random_strategies(
    data: st.DataObject, *, active: st.SearchStrategy[bool | None]
) -> list[dict[str, Any]]:
    """1–12 strategies of teams 1–3: ties, null conviction/roi, list and scalar filters."""
    filters = st.one_of(
        st.just("NULL"),
        st.fixed_dictionaries(
            {},
            optional={
                "venue": st.sampled_from(_VENUES),
                "opponent_tier": st.one_of(
                    st.sampled_from(_TIERS), st.lists(st.sampled_from(_TIERS), min_size=1)
                ),
            },
        ),
    )
    n = data.draw(st.integers(1, 12))
    return [
        {
            "strategy_id": i + 1,
            "team_id": data.draw(st.integers(1, 3)),
            "filters": data.draw(filters),
            "conviction": data.draw(st.one_of(st.none(), st.sampled_from([40.0, 70.0, 90.0]))),
            "roi": data.draw(st.one_of(st.none(), st.sampled_from([-1.0, 0.0, 2.5]))),
            "is_active": data.draw(active),
        }
        for i in range(n)
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_best_strategies_equals_a_reference_on_random_strategies(data: st.DataObject) -> None:
    """Random strategies and random fixtures: every row gets what the obvious per-row rule gives.

    The strategies have ties, null conviction/roi, inactive ones, list and scalar filters.
    """
    strategies = _random_strategies(data, active=st.booleans())
    rows = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(_TEAMS),
                st.one_of(st.none(), st.sampled_from(_VENUES)),
                st.one_of(st.none(), st.sampled_from(_TIERS)),
            ),
            min_size=1,
            max_size=20,
        )
    )
    fixtures = pl.DataFrame(
        rows, schema=["team", "venue", "opponent_tier"], orient="row"
    ).with_columns(pl.col("venue", "opponent_tier").cast(pl.String))
    table = [{**s, "filters": None if s["filters"] == "NULL" else s["filters"]} for s in strategies]
    with warnings.catch_warnings():  # "Nowhere FC" matches no team on purpose
        warnings.simplefilter("ignore", UnresolvedTeamsWarning)
        got = tiny(strategies).best_strategies(fixtures)["strategy_id"].to_list()
    want = [
        _reference_best(table, team, {"venue": venue, "opponent_tier": tier})
        for team, venue, tier in rows
    ]
    assert got == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_best_strategy_of_one_team_equals_the_general_query(data: st.DataObject) -> None:
    """``best_strategy`` (the one-team path) picks what ``best_strategies`` picks for its row.

    Random strategies (ties, nulls, inactive ones, list and scalar filters) and random
    contexts, typos and nulls included.
    """
    strategies = _random_strategies(data, active=st.one_of(st.none(), st.booleans()))
    q = tiny(strategies)
    team = data.draw(st.sampled_from(_TEAMS[:3]))
    context = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "venue": st.one_of(st.none(), st.sampled_from([*_VENUES, "Home", "neutral"])),
                "opponent_tier": st.one_of(st.none(), st.sampled_from([*_TIERS, "BOTTOM"])),
            },
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qf.ContextWarning)
        got = q.best_strategy(team, context)
    fixture = pl.DataFrame([{"team": team, **context}])
    want = q.best_strategies(fixture)["strategy_id"].item()
    assert (None if got is None else got["strategy_id"]) == want


def test_context_values_are_never_stale_after_an_in_place_change() -> None:
    """The filter values a context is checked against follow a frame changed in place."""
    q = tiny([{"strategy_id": 1, "filters": {"venue": "home"}, "conviction": 40}])
    with warnings.catch_warnings():
        warnings.simplefilter("error", qf.ContextWarning)
        assert q.best_strategy("1. FC Köln", {"venue": "home"}) is not None  # warm
    q.strategies[0, "context_filters.venue"] = "homes"  # the same frame, changed in place
    with pytest.warns(qf.ContextWarning, match="'home'"):
        q.best_strategy("1. FC Köln", {"venue": "home"})
