"""Friction with several seasons: each pair's newest season by default, ``season=`` to name one.

Never two rows for one fixture, never an older season silently (eager and lazy alike).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.errors import InvalidArgumentError
from quantum_frames.frames import FrictionFrame, QuantumFrames
from quantum_frames.ops.friction import (
    friction_for,
    friction_matrix,
    high_friction_matchups,
    one_season,
)
from tests._helpers.frames import as_kind

OLD, NEW = "2024-2025", "2025-2026"


@pytest.fixture(scope="module")
def two_seasons() -> QuantumFrames:
    """The sample with an older season of every pair placed *before* the newer rows.

    Each older score is 1 - the newer one (so a wrong pick shows).
    """
    q = qf.sample()
    assert set(q.friction["season"].unique()) == {NEW}
    older = q.friction.with_columns(
        pl.lit(OLD).alias("season"), (1 - pl.col("friction_score")).alias("friction_score")
    )
    both = pl.concat([pl.DataFrame(older), pl.DataFrame(q.friction)])
    return replace(q, friction=FrictionFrame(both))


def _pair(row: int) -> tuple[str, str, float]:
    """A pair of the sample (its newer, only season) and its score."""
    r = qf.sample().friction.row(row, named=True)
    return r["team_home_name"], r["team_away_name"], r["friction_score"]


def test_lookup_uses_the_newest_season_unless_one_is_named(two_seasons: QuantumFrames) -> None:
    home, away, score = _pair(5)
    assert two_seasons.friction(home, away) == score
    assert two_seasons.friction(home, away, season=NEW) == score
    assert two_seasons.friction(home, away, season=OLD) == pytest.approx(1 - score)
    with pytest.raises(qf.UnknownNameError, match=r"unknown season '2023-2024'.*2024-2025"):
        two_seasons.friction(home, away, season="2023-2024")


@pytest.mark.parametrize("lazy", [False, True])
def test_friction_for_returns_one_row_per_fixture(two_seasons: QuantumFrames, lazy: bool) -> None:
    sample = qf.sample().friction.head(50)
    fixtures = sample.select(
        pl.col("team_home_name").alias("home"), pl.col("team_away_name").alias("away")
    )
    for season, expected in ((None, sample["friction_score"]), (OLD, 1 - sample["friction_score"])):
        frame = as_kind(two_seasons.friction.frame, lazy)
        fx = as_kind(fixtures, lazy)
        out = friction_for(frame, two_seasons.teams, fx, season=season)
        got = out.collect() if isinstance(out, pl.LazyFrame) else out
        assert got.height == fixtures.height
        assert got["friction_score"].to_list() == pytest.approx(expected.to_list())
    assert two_seasons.friction_for(fixtures).height == fixtures.height


def test_matrix_and_matchups_show_one_season_per_pair(two_seasons: QuantumFrames) -> None:
    sample = qf.sample()
    assert friction_matrix(two_seasons.friction.frame).equals(sample.friction_matrix())
    newest = high_friction_matchups(two_seasons.friction.frame, 0.7)
    assert newest.equals(sample.high_friction_matchups(0.7))
    older = two_seasons.high_friction_matchups(0.7, season=OLD)
    assert older.select("team_home_id", "team_away_id").is_unique().all()
    assert set(older["season"]) == {OLD}
    assert two_seasons.friction_matrix(season=OLD).height == sample.friction_matrix().height


def test_the_newest_is_newest_by_year_then_name_and_pairs_keep_their_own() -> None:
    df = pl.DataFrame(
        {
            "team_home_id": [1, 1, 1, 2, 2],
            "team_away_id": [2, 2, 2, 1, 1],
            "season": ["2025-2026", "2024/25", "2099", None, "2023-2024"],
            "friction_score": [0.1, 0.2, 0.3, 0.4, 0.5],
        }
    )
    assert one_season(df)["friction_score"].to_list() == [0.3, 0.5]
    assert one_season(df.lazy()).collect()["friction_score"].to_list() == [0.3, 0.5]
    assert one_season(df, "2024/25")["friction_score"].to_list() == [0.2]
    no_season = df.drop("season")
    assert one_season(no_season).equals(no_season)
    with pytest.raises(InvalidArgumentError, match="no 'season' column"):
        one_season(no_season, "2025-2026")


def test_point_in_time_joins_one_friction_row_per_fixture(two_seasons: QuantumFrames) -> None:
    home, away, score = _pair(7)
    history = [replace(two_seasons, as_of=datetime(2025, 9, 1, tzinfo=UTC))]
    fixtures = pl.DataFrame(
        {"date": [date(2025, 9, 2)] * 2, "home": [home] * 2, "away": [away] * 2}
    )
    out = qf.point_in_time(fixtures, history)
    assert out.height == 2
    assert out["friction_score"].to_list() == [score, score]
    older = qf.point_in_time(fixtures, history, season=OLD)
    assert older["friction_score"].to_list() == pytest.approx([1 - score] * 2)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_eager_lookup_equals_the_query_on_random_frames(data: st.DataObject) -> None:
    """``friction`` on an eager frame (read from its columns) gives what the query gives.

    Random rows: several seasons per pair (unordered, null, odd names), duplicate rows,
    null and NaN scores, null team ids, each id dtype.
    """
    from quantum_frames.ops.friction import friction

    seasons = [OLD, NEW, "2025", "x", "2023-24", None]
    dtype = data.draw(st.sampled_from([pl.Int16, pl.Int32, pl.Int64]))
    n = data.draw(st.integers(0, 14))
    frame = pl.DataFrame(
        {
            "team_home_id": data.draw(
                st.lists(st.sampled_from([1, 2, None]), min_size=n, max_size=n)
            ),
            "team_away_id": data.draw(st.lists(st.sampled_from([1, 2, 3]), min_size=n, max_size=n)),
            "season": data.draw(st.lists(st.sampled_from(seasons), min_size=n, max_size=n)),
            "friction_score": data.draw(
                st.lists(st.sampled_from([0.1, 0.9, None, float("nan")]), min_size=n, max_size=n)
            ),
        },
        schema={
            "team_home_id": dtype,
            "team_away_id": pl.Int32,
            "season": pl.String,
            "friction_score": pl.Float64,
        },
    )
    if data.draw(st.booleans()):
        frame = frame.drop("season")
    teams = pl.DataFrame({"team_id": [1, 2, 3], "team_name": ["A", "B", "C"]})
    for home, away in [(1, 1), (1, 3), (2, 1), (2, 3)]:
        got = friction(frame, teams, home, away)
        want = friction(frame.lazy(), teams, home, away)  # type: ignore[arg-type]  # the query
        assert got == want or (got != got and want != want)  # NaN is NaN
