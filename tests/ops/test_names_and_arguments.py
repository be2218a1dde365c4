"""Issue 16: wrong arguments, typos and names — one error family.

Lists, aliases, ids, and the same checks on eager and lazy frames.
"""

from __future__ import annotations

import pickle
import warnings
from typing import TYPE_CHECKING, Any

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import quantum_frames as qf
from quantum_frames.synthetic.generator import LEAGUES
from tests._helpers.frames import as_kind, collect

if TYPE_CHECKING:
    from collections.abc import Callable

    from quantum_frames.frames import QuantumFrames


# --- wrong types, lists -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda q: q.teams_in_tier(1), "tiers"),
        (lambda q: q.teams_in_league(["Serie A", 3]), "leagues"),
        (lambda q: q.teams_with_tags(None), "tags"),
        (lambda q: q.friction_matrix(5), "league"),
        (lambda q: q.friction_for({"home": ["Liverpool"]}), "fixtures"),
        (lambda q: q.best_strategies([1, 2]), "fixtures"),
        (lambda q: q.team(2.5), "team"),
        (lambda q: q.best_strategy("Liverpool", ["venue", "home"]), "context"),
        (lambda q: q.tier_ranking(by=3), "by"),
        (lambda q: q.tier_ranking(within=5), "within"),
        (lambda q: q.sql(b"SELECT 1"), "query"),
        (lambda q: q.sql("SELECT ?", params="x"), "params"),
        (lambda _q: qf.read_postgres(5432), "dsn"),  # type: ignore[arg-type]
        (lambda _q: qf.read_postgres("postgresql://x@127.0.0.1/db", schema=1), "schema"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_are_invalid_argument_type_errors_naming_the_argument(
    sample: QuantumFrames, call: Callable[[QuantumFrames], Any], argument: str
) -> None:
    with pytest.raises(qf.InvalidArgumentTypeError) as info:
        call(sample)
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, qf.QuantumFramesError)
    assert info.value.argument == argument
    assert "Hint:" in str(info.value)


@pytest.mark.parametrize("lazy", [False, True])
def test_lists_are_accepted_wherever_several_values_are(sample: QuantumFrames, lazy: bool) -> None:
    from quantum_frames.ops import tags, tiers

    teams = as_kind(sample.teams, lazy)
    assert collect(tiers.teams_in_tier(teams, ["ELITE", "TOP6"])).equals(
        collect(tiers.teams_in_tier(teams, "ELITE", "TOP6"))
    )
    assert collect(tiers.teams_in_league(teams, ["Serie A", "La Liga"])).height == 40
    assert collect(tags.teams_with_tags(teams, ["GK_*", "GEGENPRESS"], match="any")).equals(
        collect(tags.teams_with_tags(teams, "GK_*", "GEGENPRESS", match="any"))
    )
    both = sample.friction_matrix(["Serie A", "La Liga"])
    assert both.height == 40
    assert both.width == 41


def test_empty_names_are_refused(sample: QuantumFrames) -> None:
    for call in (sample.teams_in_tier, sample.teams_in_league, sample.teams_with_tags):
        with pytest.raises(qf.InvalidArgumentError, match="give at least one"):
            call([])


# --- the same name matching everywhere ----------------------------------------------------


@pytest.mark.parametrize("lazy", [False, True])
def test_leagues_and_tiers_tolerate_case_and_accents_tags_are_exact(
    sample: QuantumFrames, lazy: bool
) -> None:
    from quantum_frames.ops import tags, tiers

    teams = as_kind(sample.teams, lazy)
    assert collect(tiers.teams_in_league(teams, "serie a")).height == 20
    assert collect(tiers.teams_in_league(teams, "  LIGUE  1 ")).height == 18
    assert collect(tiers.teams_in_tier(teams, "élite")).height == 15
    assert sample.friction_matrix("premier league").height == 20
    with pytest.raises(qf.UnknownNameError, match="'GEGENPRESS'"):
        tags.teams_with_tags(teams, "gegenpress")  # tags are exact: a case typo is caught


@pytest.mark.parametrize(
    ("alias", "team"),
    [
        ("PSG", "Paris Saint-Germain"),
        ("Spurs", "Tottenham Hotspur"),
        ("Man Utd", "Manchester United"),
        ("man city", "Manchester City"),
        ("1. FC Koeln", "1. FC Köln"),
        ("Bayern Munich", "Bayern München"),
        ("Atleti", "Atlético Madrid"),
        ("Inter Milan", "Inter"),
    ],
)
def test_shipped_aliases_in_every_lookup(q: QuantumFrames, alias: str, team: str) -> None:
    assert q.team(alias)["team_name"] == team
    assert set(q.strategies_for(alias)["team_name"]) == {team}
    other = "Liverpool" if team != "Liverpool" else "Arsenal"
    assert q.friction(alias, other) == q.friction(team, other)
    out = q.friction_for(pl.DataFrame({"home": [alias], "away": [other]}))
    assert out["home_team_id"].item() == q.team(team)["team_id"]


def test_alias_table_is_data_covering_the_96_teams() -> None:
    from quantum_frames.ops.names import default_aliases

    table = default_aliases()
    names = {n for league in LEAGUES.values() for n in league}
    assert set(table["team_name"]) == names  # every one of the 96 has an alias
    assert table.select("alias").is_duplicated().sum() == 0


def test_user_aliases_extend_and_are_checked(sample: QuantumFrames) -> None:
    q = sample.with_aliases({"Liverpool": ["The Reds", "LFC"]})
    assert q.team("the reds")["team_name"] == "Liverpool"
    assert q.friction("LFC", "Everton") == sample.friction("Liverpool", "Everton")
    assert q.team("PSG")["team_name"] == "Paris Saint-Germain"  # the shipped ones stay
    with pytest.raises(qf.UnknownTeamError):
        sample.team("The Reds")  # the original is unchanged
    with pytest.raises(qf.UnknownTeamError, match="Liverpol") as info:
        sample.with_aliases({"Liverpol": "x"})  # an alias for no team is a typo
    assert info.value.argument == "aliases"
    frame = pl.DataFrame({"team_name": ["Everton"], "alias": ["The Toffees"]})
    assert sample.with_aliases(frame).team("The Toffees")["team_name"] == "Everton"


def test_a_name_beats_an_alias() -> None:
    from quantum_frames.ops.names import resolve_team_ids

    teams = pl.DataFrame({"team_id": [1, 2], "team_name": ["Inter", "Milan"]})
    aliases = pl.DataFrame({"team_name": ["Inter"], "alias": ["Milan"]})
    assert resolve_team_ids(teams, ["Milan"], aliases=aliases) == [2]


def test_read_postgres_takes_aliases(pg_dsn: str, sample_schema: str) -> None:
    q = qf.read_postgres(pg_dsn, schema=sample_schema, aliases={"Everton": "The Toffees"})
    assert q.team("the toffees")["team_name"] == "Everton"


def test_lookups_by_team_id(sample: QuantumFrames) -> None:
    liverpool = sample.team("Liverpool")["team_id"]
    everton = sample.team("Everton")["team_id"]
    assert sample.team(liverpool)["team_name"] == "Liverpool"
    assert sample.friction(liverpool, everton) == sample.friction("Liverpool", "Everton")
    assert sample.strategies_for(liverpool).equals(sample.strategies_for("Liverpool"))
    ids = pl.DataFrame({"home": [liverpool], "away": [everton]})
    assert sample.friction_for(ids)["friction_score"].item() == sample.friction(
        "Liverpool", "Everton"
    )
    with pytest.raises(qf.UnknownTeamError, match="999999"):
        sample.team(999_999)


# --- lazy = eager -------------------------------------------------------------------------


@pytest.mark.parametrize("lazy", [False, True])
def test_typos_are_caught_on_lazy_frames_too(sample: QuantumFrames, lazy: bool) -> None:
    teams = as_kind(sample.teams, lazy)
    with pytest.raises(qf.UnknownNameError, match=r"unknown tag 'GEGENPRES'.*'GEGENPRESS'"):
        teams.qf.teams_with_tags("GEGENPRES")
    with pytest.raises(qf.UnknownNameError, match=r"unknown league 'Seria A'"):
        teams.qf.teams_in_league("Seria A")
    view = sample.lazy()
    with pytest.raises(qf.UnknownNameError, match="GEGENPRES"):
        view.teams_with_tags("GEGENPRES")
    assert view.teams_in_league("serie a").collect().height == 20


@pytest.mark.parametrize("lazy", [False, True])
def test_friction_for_reports_unknown_names_eager_and_lazy(
    sample: QuantumFrames, lazy: bool
) -> None:
    fixtures = as_kind(
        pl.DataFrame({"home": ["Liverpol", "Arsenal"], "away": ["Everton"] * 2}), lazy
    )
    with pytest.warns(qf.UnresolvedTeamsWarning, match=r"'Liverpol' \(closest: Liverpool"):
        out = sample.friction_for(fixtures)
    assert collect(out)["home_team_id"].null_count() == 1
    with pytest.raises(qf.UnknownTeamError, match="Liverpol"):
        sample.friction_for(fixtures, on_unknown="raise")


def test_df_qf_has_every_frame_operation(sample: QuantumFrames) -> None:
    fixtures = pl.DataFrame({"home": ["Liverpool"], "away": ["Everton"], "team": ["Liverpool"]})
    assert fixtures.qf.friction_for(sample).equals(sample.friction_for(fixtures))  # type: ignore[attr-defined]
    assert (
        fixtures.lazy()  # type: ignore[attr-defined]
        .qf.best_strategies(sample)
        .collect()
        .equals(sample.best_strategies(fixtures))
    )
    assert sample.teams.qf.tag_counts().equals(sample.tag_counts())  # type: ignore[attr-defined]
    assert sample.teams.qf.tag_cooccurrence().equals(sample.tag_cooccurrence())  # type: ignore[attr-defined]
    assert sample.strategies.qf.strategies_for(sample.teams, "Liverpool").equals(  # type: ignore[attr-defined]
        sample.strategies_for("Liverpool")
    )
    assert sample.strategies.qf.strategies_by_conviction(80).equals(  # type: ignore[attr-defined]
        sample.strategies_by_conviction(80)
    )
    assert sample.friction.frame.qf.friction_matrix("Serie A").equals(  # type: ignore[attr-defined]
        sample.friction_matrix("Serie A")
    )
    assert sample.friction.frame.qf.friction(sample.teams, "Liverpool", "Everton") == (  # type: ignore[attr-defined]
        sample.friction("Liverpool", "Everton")
    )
    assert sample.teams.qf.tier_ranking("roi").equals(sample.tier_ranking("roi"))  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_pandas_and_pyarrow_fixtures_are_converted(sample: QuantumFrames, kind: str) -> None:
    fixtures = pl.DataFrame({"home": ["Liverpool"], "away": ["Everton"], "team": ["Liverpool"]})
    given = fixtures.to_pandas() if kind == "pandas" else fixtures.to_arrow()
    assert isinstance(given, pd.DataFrame | pa.Table)
    assert sample.friction_for(given).equals(sample.friction_for(fixtures))
    assert sample.best_strategies(given).equals(sample.best_strategies(fixtures))


# --- strategy context, scales ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "named"),
    [({"venu": "home"}, "'venu'"), ({"venue": "Home"}, "'Home'"), ({"venue": "hme"}, "'hme'")],
)
def test_a_context_no_filter_uses_warns_or_raises(
    sample: QuantumFrames, context: dict[str, str], named: str
) -> None:
    with pytest.warns(qf.ContextWarning, match=named) as caught:
        sample.best_strategy("Liverpool", context)
    assert "'venue'" in str(caught[0].message) or "'home'" in str(caught[0].message)
    with pytest.raises(qf.InvalidArgumentError, match=named) as info:
        sample.best_strategy("Liverpool", context, strict=True)
    assert info.value.argument == "context"


def test_a_plain_context_does_not_warn(sample: QuantumFrames) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sample.best_strategy("Liverpool", {"venue": "home", "opponent_tier": "MID"})
        sample.best_strategy("Liverpool", {"venue": "home"}, strict=True)


def test_conviction_scale_is_checked_like_the_friction_scale(sample: QuantumFrames) -> None:
    with pytest.raises(qf.InvalidArgumentError, match=r"threshold must be in \[0, 1\]"):
        sample.high_friction_matchups(80)
    with pytest.warns(qf.ScaleWarning, match=r"min_conviction=0.6 looks like a fraction.*60"):
        sample.strategies_by_conviction(0.6)
    with pytest.raises(qf.InvalidArgumentError, match=r"min_conviction must be in \[0, 100\]"):
        sample.strategies_by_conviction(600)


# --- tier ranking, tag expression names ----------------------------------------------------


@pytest.mark.parametrize("lazy", [False, True])
def test_tier_ranking_by_a_metric_ranks_inside_the_league(
    sample: QuantumFrames, lazy: bool
) -> None:
    from quantum_frames.ops.tiers import tier_ranking

    ranked = collect(tier_ranking(as_kind(sample.teams, lazy), "roi"))
    best = ranked.filter(rank=1).sort("league")
    top = sample.teams.group_by("league").agg(pl.max("roi")).sort("league")
    assert best["roi"].to_list() == top["roi"].to_list()  # the best by ROI, whatever its tier
    for (_league,), group in ranked.group_by("league", maintain_order=True):
        assert group["roi"].to_list() == sorted(group["roi"].to_list(), reverse=True)
    inside = collect(tier_ranking(as_kind(sample.teams, lazy), "roi", within=["league", "tier"]))
    assert inside.filter(rank=1).height == sample.teams.select("league", "tier").n_unique()
    low = collect(tier_ranking(as_kind(sample.teams, lazy), "roi", ascending=True))
    assert low.filter(rank=1).sort("league")["roi"].to_list() == (
        sample.teams.group_by("league").agg(pl.min("roi")).sort("league")["roi"].to_list()
    )


def test_tier_breaks_ties_of_the_metric() -> None:
    from quantum_frames.ops.tiers import tier_ranking

    teams = pl.DataFrame(
        {"team_name": ["A", "B"], "league": ["L", "L"], "tier": ["MID", "ELITE"], "roi": [1.0, 1.0]}
    )
    assert tier_ranking(teams, "roi")["team_name"].to_list() == ["B", "A"]


def test_tag_expressions_have_distinct_readable_names(sample: QuantumFrames) -> None:
    out = sample.teams.select(
        qf.has_any_tag("GEGENPRESS", "LOW_BLOCK"),
        qf.has_any_tag("GK_*", "HIGH_LINE"),
        qf.has_all_tags("GEGENPRESS", "GK_*"),
        qf.has_tag("GK_*"),
        qf.has_tag("GEGENPRESS"),
    )
    assert out.columns == [
        "has_any_of_GEGENPRESS_LOW_BLOCK",
        "has_any_of_GK_*_HIGH_LINE",
        "has_all_of_GEGENPRESS_GK_*",
        "has_GK_*",
        "has_GEGENPRESS",
    ]


# --- objects like Polars objects ------------------------------------------------------------


@pytest.mark.parametrize("source", ["sample", "snapshot", "postgres", "reflatten"])
def test_every_quantum_frames_pickles_to_a_working_one(
    request: pytest.FixtureRequest, tmp_path: Any, source: str
) -> None:
    if source == "postgres":
        q = request.getfixturevalue("from_postgres")
    elif source == "snapshot":
        q = qf.read_snapshot(qf.sample().write_snapshot(tmp_path / "snap"))
    elif source == "reflatten":
        q = qf.sample().reflatten(separator="__")
    else:
        q = qf.sample()
    q.sql("SELECT 1")  # a cached connection must not get in the way
    back = pickle.loads(pickle.dumps(q))
    assert back.friction("Liverpool", "Everton") == q.friction("Liverpool", "Everton")
    assert back.teams.equals(q.teams)
    assert back.raw.strategies.equals(q.raw.strategies)
    assert back.team("Spurs") == q.team("Spurs")
    assert back.sql("SELECT count(*) AS n FROM teams")["n"].item() == q.teams.height


def test_snapshot_lossless_tables_stay_lazy_until_used(tmp_path: Any) -> None:
    q = qf.read_snapshot(qf.sample().write_snapshot(tmp_path / "snap"))
    assert isinstance(q.raw, qf.LazySourceTables)
    assert not q.raw.loaded
    back = pickle.loads(pickle.dumps(q))
    assert not back.raw.loaded  # the loader travels, not the tables
    assert back.raw.teams.height == 96
    assert back.raw.loaded


def test_a_dsn_of_the_wrong_type_is_never_echoed() -> None:
    with pytest.raises(
        qf.InvalidArgumentTypeError, match="dsn must be a string, got bytes"
    ) as info:
        qf.read_postgres(b"postgresql://ana:Hunter2-secret@db/prod")  # type: ignore[arg-type]
    assert "Hunter2" not in str(info.value)
    assert "Hunter2" not in repr(info.value)


def test_cached_team_lookups_never_go_stale() -> None:
    from quantum_frames.ops.names import resolve_team_ids

    teams = pl.DataFrame({"team_id": [1, 2], "team_name": ["Alpha", "Beta"]})
    assert resolve_team_ids(teams, ["alpha", "Beta"]) == [1, 2]
    assert resolve_team_ids(teams, ["alpha"]) == [1]  # warm
    teams[0, "team_name"] = "Gamma"  # changed in place: same object
    assert resolve_team_ids(teams, ["gamma"]) == [1]
    with pytest.raises(qf.UnknownTeamError, match="Alpha"):
        resolve_team_ids(teams, ["Alpha"])
    other = pl.DataFrame({"team_id": [7], "team_name": ["Alpha"]})
    assert resolve_team_ids(other, ["alpha"]) == [7]


def test_cached_team_lookups_follow_aliases_changed_in_place() -> None:
    from quantum_frames.ops.names import resolve_team_ids

    teams = pl.DataFrame({"team_id": [1, 2], "team_name": ["Alpha", "Beta"]})
    aliases = pl.DataFrame({"team_name": ["Alpha"], "alias": ["The A"]})
    assert resolve_team_ids(teams, ["the a"], aliases=aliases) == [1]
    assert resolve_team_ids(teams, ["the a"], aliases=aliases) == [1]  # warm
    aliases[0, "team_name"] = "Beta"  # changed in place: same object
    assert resolve_team_ids(teams, ["the a"], aliases=aliases) == [2]
