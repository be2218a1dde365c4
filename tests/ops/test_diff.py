"""q.diff: one row per change between two loads or snapshots."""

from __future__ import annotations

from dataclasses import replace

import polars as pl

import quantum_frames as qf


def test_no_change_no_rows() -> None:
    q = qf.sample()
    d = q.diff(q)
    assert d.is_empty()
    assert d.columns == ["table", "kind", "key", "column", "old", "new"]


def test_every_kind_of_change_is_one_row() -> None:
    q = qf.sample()
    liverpool = pl.col("team_name") == "Liverpool"
    teams = (
        q.teams.with_columns(
            pl.when(liverpool).then(pl.lit("BOTTOM")).otherwise("tier").alias("tier"),
            pl.when(liverpool)
            .then(pl.lit(0.99))
            .otherwise("market_dna.empirical_profile.avg_edge")
            .alias("market_dna.empirical_profile.avg_edge"),
            pl.when(liverpool)
            .then(pl.col("narrative_fingerprint_tags").list.concat(pl.lit(["NEW_TAG"])))
            .otherwise("narrative_fingerprint_tags")
            .alias("narrative_fingerprint_tags"),
        )
        .filter(pl.col("team_name") != "Arsenal")
        .with_columns(pl.lit(1).alias("new_metric"))
    )
    pair = (pl.col("team_home_name") == "Liverpool") & (pl.col("team_away_name") == "Everton")
    friction = q.friction.with_columns(
        pl.when(pair).then(pl.lit(0.123)).otherwise("friction_score").alias("friction_score")
    )
    before = q.teams.clone()
    changed = replace(q, teams=teams, friction=friction)
    d = q.diff(changed)
    assert q.teams.equals(before)  # nothing mutated
    rows = {(r["kind"], r["key"], r["column"], r["old"], r["new"]) for r in d.iter_rows(named=True)}
    old_tier = q.teams.filter(liverpool)["tier"].item()
    old_edge = q.teams.filter(liverpool)["market_dna.empirical_profile.avg_edge"].item()
    old_score = q.friction.filter(pair)["friction_score"].item()
    assert ("team_removed", "Arsenal", None, None, None) in rows
    assert ("tier_changed", "Liverpool", "tier", old_tier, "BOTTOM") in rows
    assert ("tag_added", "Liverpool", "narrative_fingerprint_tags", None, "NEW_TAG") in rows
    assert (
        "value_changed",
        "Liverpool",
        "market_dna.empirical_profile.avg_edge",
        str(old_edge),
        "0.99",
    ) in rows
    assert (
        "friction_moved",
        "Liverpool → Everton",
        "friction_score",
        str(old_score),
        "0.123",
    ) in rows
    assert ("column_added", None, "new_metric", None, None) in rows
    assert d.height == len(rows) == 6
    reverse = changed.diff(q)
    assert ("team_added", "Arsenal", None, None, None) in {
        (r["kind"], r["key"], r["column"], r["old"], r["new"])
        for r in reverse.iter_rows(named=True)
    }
