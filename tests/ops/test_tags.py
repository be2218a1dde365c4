"""Tags: filters with globs, expressions on eager and lazy frames, counts, co-occurrence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from tests._helpers.frames import as_kind, tiny

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames

TAGS = "narrative_fingerprint_tags"


@pytest.mark.parametrize("lazy", [False, True])
def test_expressions_on_eager_and_lazy(q: QuantumFrames, lazy: bool) -> None:
    frame = q.teams.lazy() if lazy else q.teams
    out = frame.select(
        "team_name",
        TAGS,
        qf.has_tag("GK_*").alias("gk"),
        qf.has_tag("GEGENPRESS").alias("gegen"),
        qf.has_any_tag("GEGENPRESS", "LOW_BLOCK").alias("any"),
        qf.has_all_tags("GEGENPRESS", "GK_*").alias("all"),
        qf.tag_count(),
        qf.is_elite(),
        qf.tier_order(),
    )
    df = out.collect() if isinstance(out, pl.LazyFrame) else out
    oracle = [list(t or []) for t in df[TAGS].to_list()]
    assert df["gk"].to_list() == [any(x.startswith("GK_") for x in t) for t in oracle]
    assert df["gegen"].to_list() == ["GEGENPRESS" in t for t in oracle]
    assert df["any"].to_list() == [("GEGENPRESS" in t) or ("LOW_BLOCK" in t) for t in oracle]
    assert df["all"].to_list() == [
        ("GEGENPRESS" in t) and any(x.startswith("GK_") for x in t) for t in oracle
    ]
    assert df["tag_count"].to_list() == [len(t) for t in oracle]


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ("all", {"1. FC Köln"}),
        ("any", {"1. FC Köln"}),
        ("none", {"Brighton & Hove Albion", "Atlético Madrid"}),
    ],
)
def test_match_modes_and_null_or_empty_tags(match: str, expected: set[str]) -> None:
    q = tiny()
    out = q.teams_with_tags("GK_*", "LOW_BLOCK", match=match)  # type: ignore[arg-type]
    assert set(out["team_name"]) == expected


@pytest.mark.parametrize("lazy", [False, True])
def test_teams_with_tags_eager_and_lazy_agree(sample: QuantumFrames, lazy: bool) -> None:
    from quantum_frames.ops.tags import teams_with_tags

    out = teams_with_tags(as_kind(sample.teams, lazy), "GK_*", "GEGENPRESS", match="all")
    got = out.collect() if isinstance(out, pl.LazyFrame) else out
    assert got.equals(sample.teams_with_tags("GK_*", "GEGENPRESS"))
    assert got.height > 0


def test_glob_classes_and_unicode_tags() -> None:
    q = tiny()
    assert q.teams_with_tags("GK_Schw?be")["team_name"].to_list() == ["1. FC Köln"]
    assert q.teams_with_tags("[KL]OW_*")["team_name"].to_list() == ["1. FC Köln"]
    assert q.teams_with_tags("GK_[!S]*").is_empty()


def test_unknown_tag_suggests_and_empty_result_keeps_schema(sample: QuantumFrames) -> None:
    with pytest.raises(qf.UnknownNameError, match=r"unknown tag 'GEGENPRES'.*'GEGENPRESS'"):
        sample.teams_with_tags("GEGENPRES")
    empty = sample.teams_with_tags("GEGENPRES", strict=False)
    assert empty.is_empty()
    assert empty.schema == sample.teams.schema
    with pytest.raises(ValueError, match="at least one tag"):
        sample.teams_with_tags()
    with pytest.raises(ValueError, match="match must be"):
        sample.teams_with_tags("GK_*", match="some")  # type: ignore[arg-type]


def test_tag_counts_and_cooccurrence(q: QuantumFrames) -> None:
    counts = q.tag_counts()
    exploded = q.teams[TAGS].explode().drop_nulls()
    oracle = exploded.value_counts(name="n")
    assert dict(zip(counts["tag"], counts["teams"], strict=True)) == dict(
        zip(oracle[TAGS], oracle["n"], strict=True)
    )
    assert counts["share"].max() == pytest.approx(counts["teams"].max() / q.teams.height)  # type: ignore[operator]
    assert counts["teams"].sum() == exploded.len()
    assert counts["teams"].to_list() == sorted(counts["teams"].to_list(), reverse=True)
    co = q.tag_cooccurrence()
    tags = co["tag"].to_list()
    assert co.columns == ["tag", *tags]
    for tag, n in zip(counts["tag"], counts["teams"], strict=True):
        assert co.filter(pl.col("tag") == tag)[tag].item() == n  # the diagonal
    gk_gegen = q.teams.filter(qf.has_all_tags("GK_LEAKY", "GEGENPRESS")).height
    assert co.filter(pl.col("tag") == "GK_LEAKY")["GEGENPRESS"].item() == gk_gegen


def test_operations_never_mutate(sample: QuantumFrames) -> None:
    before = sample.teams.clone()
    sample.teams_with_tags("GK_*")
    sample.tag_counts()
    sample.tag_cooccurrence()
    assert sample.teams.equals(before)


def test_tag_counts_from_a_lazy_frame(sample: QuantumFrames) -> None:
    from quantum_frames.ops.tags import tag_cooccurrence, tag_counts

    assert tag_counts(sample.teams.lazy()).equals(sample.tag_counts())
    assert tag_cooccurrence(sample.teams.lazy()).equals(sample.tag_cooccurrence())
