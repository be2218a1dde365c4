"""Friction: directional lookups, matchups, the matrix, and fixtures joined in bulk."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from tests._helpers.frames import as_kind, tiny

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames


def test_friction_is_directional_and_name_tolerant() -> None:
    q = tiny()
    assert q.friction("1. FC Köln", "Brighton & Hove Albion") == 0.9
    assert q.friction("1. fc koln", "brighton and hove albion") == 0.9  # team_name_normalized
    assert q.friction("Brighton & Hove Albion", "1. FC Köln") == 0.2
    assert q.friction("Atlético Madrid", "1. FC Köln") is None  # no row for the pair
    with pytest.raises(qf.UnknownTeamError, match="Atletico Madird"):
        q.friction("Atletico Madird", "1. FC Köln")


def test_friction_frame_behaves_like_a_dataframe(sample: QuantumFrames) -> None:
    assert isinstance(sample.friction.frame, pl.DataFrame)
    assert type(sample.friction.filter(pl.col("friction_score") > 0.5)) is pl.DataFrame
    for derived in (sample.friction.head(5), sample.friction.clone(), sample.friction[:3]):
        assert type(derived) is pl.DataFrame  # never a half-built subclass
    assert sample.friction.head(5).equals(sample.friction.frame.head(5))
    assert len(sample.friction) == sample.friction.height == 1752
    assert "friction_score" in sample.friction
    assert sample.friction["friction_score"].equals(sample.friction.frame["friction_score"])
    assert pl.DataFrame(sample.friction).equals(sample.friction.frame)  # Arrow C stream


def test_friction_matches_the_table(q: QuantumFrames) -> None:
    row = q.friction.row(17, named=True)
    assert q.friction(row["team_home_name"], row["team_away_name"]) == row["friction_score"]


@pytest.mark.parametrize("lazy", [False, True])
def test_high_friction_matchups(q: QuantumFrames, lazy: bool) -> None:
    from quantum_frames.ops.friction import high_friction_matchups

    out = high_friction_matchups(as_kind(q.friction.frame, lazy), 0.75)
    got = out.collect() if isinstance(out, pl.LazyFrame) else out
    assert got.height == q.friction.filter(pl.col("friction_score") >= 0.75).height > 0
    assert got["friction_score"].to_list() == sorted(got["friction_score"].to_list(), reverse=True)
    assert got["team_home_name"].null_count() == got["team_away_name"].null_count() == 0
    assert q.high_friction_matchups(1.0).schema == q.friction.schema


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.7", True, float("nan")])
def test_threshold_outside_0_1_is_refused(sample: QuantumFrames, bad: object) -> None:
    with pytest.raises((qf.InvalidArgumentError, qf.InvalidArgumentTypeError), match="threshold"):
        sample.high_friction_matchups(bad)  # type: ignore[arg-type]


def test_friction_matrix(q: QuantumFrames) -> None:
    m = q.friction_matrix("Serie A")
    assert m.shape == (20, 21)
    assert m.columns[1:] == sorted(m["home"].to_list())
    liverpool_like = m.row(0, named=True)
    home = liverpool_like["home"]
    away = m.columns[2]
    assert liverpool_like[home] is None  # no team plays itself
    assert liverpool_like[away] == q.friction(home, away)
    assert q.friction_matrix().height == 96
    with pytest.raises(qf.UnknownNameError, match="Seria A"):
        q.friction_matrix("Seria A")


def test_friction_for_joins_every_fixture_in_order(q: QuantumFrames) -> None:
    pairs = q.friction.select("team_home_name", "team_away_name", "friction_score").sample(
        200, seed=1
    )
    fixtures = pairs.select(
        pl.col("team_home_name").str.to_uppercase().alias("home"),
        pl.col("team_away_name").alias("away"),
        pl.int_range(pl.len()).alias("match_no"),
    )
    out = q.friction_for(fixtures)
    assert out.height == 200
    assert out["match_no"].to_list() == list(range(200))
    assert out["friction_score"].to_list() == pairs["friction_score"].to_list()
    assert {"friction_level", "predicted_goals", "home_team_id", "away_team_id"} <= set(out.columns)
    lazy = q.friction_for(fixtures.lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(out)


def test_friction_for_reports_unknown_names_and_keeps_their_rows() -> None:
    q = tiny()
    fixtures = pl.DataFrame(
        {
            "h": ["1. FC Köln", "Nowhere United"],
            "a": ["Brighton & Hove Albion", "1. FC Köln"],
            "friction_score": [1, 2],
        }
    )
    with pytest.warns(qf.UnresolvedTeamsWarning, match="'Nowhere United'"):
        out = q.friction_for(fixtures, home="h", away="a")
    assert out["friction_score"].to_list() == [1, 2]  # the fixture's own column is kept
    assert out["friction_score_friction"].to_list() == [0.9, None]
    assert out["home_team_id"].to_list() == [1, None]
    with pytest.raises(qf.UnknownTeamError, match="Nowhere United"):
        q.friction_for(fixtures, home="h", away="a", on_unknown="raise")
    with pytest.raises(qf.MissingColumnError, match="home='home' is not a column") as info:
        q.friction_for(fixtures)
    assert info.value.argument == "home"
    assert info.value.columns == ("home",)


def test_friction_ops_never_mutate(sample: QuantumFrames) -> None:
    before = sample.friction.clone()
    fixtures = pl.DataFrame({"home": ["Liverpool"], "away": ["Everton"]})
    fixtures_before = fixtures.clone()
    sample.friction_for(fixtures)
    sample.friction_matrix()
    assert sample.friction.equals(before)
    assert fixtures.equals(fixtures_before)
