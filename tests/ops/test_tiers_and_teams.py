"""Tiers, leagues, rankings, and one team at a time."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from tests._helpers.frames import tiny

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames


def test_tier_filters(q: QuantumFrames) -> None:
    elite = q.elite_teams()
    assert set(elite["tier"]) == {"ELITE"}
    assert elite.height == q.teams.filter(pl.col("tier") == "ELITE").height
    both = q.teams_in_tier("elite", "TOP6")
    assert set(both["tier"]) == {"ELITE", "TOP6"}
    assert q.teams.lazy().qf.teams_in_tier("MID").collect().equals(q.teams_in_tier("MID"))  # type: ignore[attr-defined]


def test_unknown_tier_lists_the_valid_ones(sample: QuantumFrames) -> None:
    with pytest.raises(
        qf.UnknownNameError, match=r"unknown tier 'GOLD'.*The tiers are ELITE, TOP6, MID, BOTTOM"
    ):
        sample.teams_in_tier("GOLD")


def test_leagues(q: QuantumFrames) -> None:
    pl_teams = q.teams_in_league("Premier League")
    assert pl_teams.height == 20
    with pytest.raises(
        qf.UnknownNameError, match=r"unknown league 'Premier Leage'.*'Premier League'"
    ):
        q.teams_in_league("Premier Leage")


def test_tier_ranking_default_order(q: QuantumFrames) -> None:
    ranked = q.tier_ranking()
    order = {"ELITE": 0, "TOP6": 1, "MID": 2, "BOTTOM": 3}
    for (_league,), group in ranked.group_by("league", maintain_order=True):
        keys = [(order[t], r) for t, r in zip(group["tier"], group["tier_rank"], strict=True)]
        assert keys == sorted(keys)
        assert group["rank"].to_list() == list(range(1, group.height + 1))


def test_tier_ranking_by_metric_inside_each_tier(q: QuantumFrames) -> None:
    ranked = q.tier_ranking(by="roi", within="tier")
    for (_tier,), group in ranked.group_by("tier", maintain_order=True):
        roi = group["roi"].to_list()
        assert roi == sorted(roi, reverse=True)
        assert group["rank"].to_list() == list(range(1, group.height + 1))
    with pytest.raises(qf.MissingColumnError, match="by='nope'"):
        q.tier_ranking(by="nope")


def test_tier_ranking_lazy(sample: QuantumFrames) -> None:
    from quantum_frames.ops.tiers import tier_ranking

    assert tier_ranking(sample.teams.lazy(), "roi").collect().equals(sample.tier_ranking("roi"))


@pytest.mark.parametrize("name", ["1. FC Köln", "1. fc koln", "  1.  FC   KÖLN ", "1. FC Koln"])
def test_team_tolerates_case_accents_and_spacing(name: str) -> None:
    assert tiny().team(name)["team_id"] == 1


def test_team_matches_team_name_normalized_too() -> None:
    assert tiny().team("Brighton and Hove Albion")["team_id"] == 2


def test_team_nests_dna_vectors_back_exactly(q: QuantumFrames) -> None:
    liverpool = q.team("liverpool")
    raw = q.raw.teams.filter(pl.col("team_name") == "Liverpool").row(0, named=True)
    assert liverpool["market_dna"] == json.loads(raw["market_dna"])
    assert isinstance(liverpool["market_dna"]["empirical_profile"], dict)
    assert liverpool["narrative_fingerprint_tags"] == raw["narrative_fingerprint_tags"]
    assert q.dna_vector("Liverpool", "market_dna") == liverpool["market_dna"]


def test_unknown_team_lists_close_matches(q: QuantumFrames) -> None:
    with pytest.raises(qf.UnknownTeamError, match=r"unknown team 'Liverpol'.*'Liverpool'") as info:
        q.team("Liverpol")
    assert "Liverpool" in info.value.suggestions
    assert isinstance(info.value, KeyError)
    with pytest.raises(qf.UnknownNameError, match=r"unknown vector 'market'"):
        q.dna_vector("Liverpool", "market")


def test_null_vector_is_none(sample: QuantumFrames) -> None:
    row = sample.raw.teams.filter(pl.col("luck_dna").is_null()).row(0, named=True)
    assert sample.dna_vector(row["team_name"], "luck_dna") is None
