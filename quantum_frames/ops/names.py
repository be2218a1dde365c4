"""Tolerant name matching: case, accents and spacing do not matter (SPEC §4, ``q.team``)."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Sequence

import polars as pl

from quantum_frames.errors import UnknownNameError, UnknownTeamError

__all__ = ["closest", "name_ids", "name_key", "normalize", "resolve_team_ids", "team_keys"]


def normalize(name: str) -> str:
    """The matching key of one name: ``"  Atlético  Madrid"`` → ``"atletico madrid"``."""
    folded = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def name_key(expr: pl.Expr) -> pl.Expr:
    """The same key as :func:`normalize`, vectorised."""
    return (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def team_keys(teams: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """``(key, team_id, team_name)``: every matching key of every team (its name and, where
    present, its ``team_name_normalized``); a key two teams share is dropped as ambiguous."""
    lf = teams.lazy()
    cols = lf.collect_schema().names()
    sources = ["team_name"] + (["team_name_normalized"] if "team_name_normalized" in cols else [])
    keys = (
        pl.concat(
            [lf.select(name_key(pl.col(c)).alias("key"), "team_id", "team_name") for c in sources]
        )
        .drop_nulls("key")
        .unique(["key", "team_id"])
    )
    return keys.filter(pl.col("team_id").n_unique().over("key") == 1).collect().sort("key")


def name_ids(teams: pl.DataFrame | pl.LazyFrame, names: pl.LazyFrame) -> pl.LazyFrame:
    """``(name, team_id)`` for each distinct value of the ``name`` column of ``names``.

    The tolerant key is computed once per distinct name, not once per row: a million
    fixtures name a few hundred teams.
    """
    keys = team_keys(teams).lazy().select("key", "team_id")
    distinct = names.select(pl.col("name").cast(pl.String)).unique().drop_nulls()
    return (
        distinct.with_columns(name_key(pl.col("name")).alias("key"))
        .join(keys, on="key", how="left")
        .select("name", "team_id")
    )


def closest(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidates closest to ``name`` (compared on their matching keys)."""
    by_key: dict[str, str] = {}
    for c in candidates:
        by_key.setdefault(normalize(c), c)
    key = normalize(name)
    hits = difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.5)
    hits += [k for k in by_key if key and key in k and k not in hits]
    return [by_key[k] for k in hits[:n]]


def resolve_team_ids(teams: pl.DataFrame | pl.LazyFrame, names: Sequence[str]) -> list[int]:
    """The team_id of each name; an unknown name is an :class:`UnknownTeamError`."""
    keys = team_keys(teams)
    lookup = dict(zip(keys["key"].to_list(), keys["team_id"].to_list(), strict=True))
    ids = []
    for name in names:
        if not isinstance(name, str):
            msg = f"a team is named by a string, got {type(name).__name__}: {name!r}."
            raise TypeError(msg)
        found = lookup.get(normalize(name))
        if found is None:
            raise UnknownTeamError(name, closest(name, keys["team_name"].unique().to_list()))
        ids.append(int(found))
    return ids


def check_known(kind: str, wanted: Sequence[str], known: Sequence[str], *, hint: str = "") -> None:
    """Raise :class:`UnknownNameError` for the first of ``wanted`` not in ``known``."""
    have = set(known)
    for name in wanted:
        if name not in have:
            raise UnknownNameError(kind, name, closest(name, known), hint=hint)
