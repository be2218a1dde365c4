"""Tags: filters, expressions, frequencies and co-occurrence over ``narrative_fingerprint_tags``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

import polars as pl

from quantum_frames.errors import Advice, InvalidArgumentError, InvalidArgumentTypeError, said
from quantum_frames.ops.names import as_names, check_known

if TYPE_CHECKING:
    from collections.abc import Sequence

    from quantum_frames._typing import FrameT

__all__ = [
    "TAGS",
    "has_all_tags",
    "has_any_tag",
    "has_tag",
    "known_tags",
    "tag_cooccurrence",
    "tag_count",
    "tag_counts",
    "teams_with_tags",
]

#: The tag column of the teams table.
TAGS = "narrative_fingerprint_tags"

Match = Literal["all", "any", "none"]


def _is_glob(tag: str) -> bool:
    return any(ch in tag for ch in "*?[")


def _glob_regex(tag: str) -> str:
    """A shell glob (``GK_*``, ``?``, ``[AB]``) as an anchored Rust regex."""
    out = []
    i = 0
    while i < len(tag):
        ch = tag[i]
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        elif ch == "[" and "]" in tag[i + 1 :]:
            end = tag.index("]", i + 1)
            body = tag[i + 1 : end]
            negate = body.startswith("!")
            body = re.sub(r"([\\\]\^])", r"\\\1", body[1:] if negate else body)
            out.append(f"[{'^' if negate else ''}{body}]")
            i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "^" + "".join(out) + "$"


def has_tag(tag: str, *, column: str = TAGS) -> pl.Expr:
    """True where the team carries ``tag`` (a glob like ``GK_*`` matches any such tag).

    Works in ``filter``/``with_columns`` on eager and lazy frames; a NULL tag array is empty.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> tags = [["GK_Alisson", "GEGENPRESS"], [], None]
        >>> df = pl.DataFrame({"narrative_fingerprint_tags": tags})
        >>> df.select(qf.has_tag("GK_*")).to_series().to_list()
        [True, False, False]
    """
    if not isinstance(tag, str) or not tag:
        msg = f"tag: a tag is a non-empty string, got {tag!r}. Hint: pass e.g. 'GEGENPRESS'."
        raise (InvalidArgumentError if isinstance(tag, str) else InvalidArgumentTypeError)(
            msg, argument="tag"
        )
    tags = pl.col(column)
    if _is_glob(tag):
        hit = tags.list.eval(pl.element().str.contains(_glob_regex(tag))).list.any()
    else:
        hit = tags.list.contains(pl.lit(tag, pl.String))
    return hit.fill_null(False).alias(f"has_{tag}")


def has_any_tag(*tags: str | Sequence[str], column: str = TAGS) -> pl.Expr:
    """True where the team carries at least one of ``tags`` (globs allowed).

    Args:
        tags: tags or globs, as separate arguments or lists.
        column: the tag column.

    Returns:
        A Boolean expression named ``has_any_of_<tags joined by _>``, distinct per tag set.

    Examples:
        >>> import quantum_frames as qf
        >>> qf.has_any_tag("GEGENPRESS", "LOW_BLOCK").meta.output_name()
        'has_any_of_GEGENPRESS_LOW_BLOCK'
    """
    given = as_names(tags, argument="tags", kind="tag")
    hit = pl.any_horizontal(has_tag(t, column=column) for t in given)
    return hit.alias("has_any_of_" + "_".join(given))


def has_all_tags(*tags: str | Sequence[str], column: str = TAGS) -> pl.Expr:
    """True where the team carries every one of ``tags`` (globs allowed).

    Args:
        tags: tags or globs, as separate arguments or lists.
        column: the tag column.

    Returns:
        A Boolean expression named ``has_all_of_<tags joined by _>``, distinct per tag set.

    Examples:
        >>> import quantum_frames as qf
        >>> teams = qf.sample().teams
        >>> both = teams.filter(qf.has_all_tags("GEGENPRESS", "GK_*"))
        >>> both.height <= teams.filter(qf.has_tag("GEGENPRESS")).height
        True
    """
    given = as_names(tags, argument="tags", kind="tag")
    hit = pl.all_horizontal(has_tag(t, column=column) for t in given)
    return hit.alias("has_all_of_" + "_".join(given))


def tag_count(*, column: str = TAGS) -> pl.Expr:
    """The number of tags of each team (0 for a NULL or empty array).

    Args:
        column: the tag column.

    Returns:
        An expression named ``tag_count``.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> df = pl.DataFrame({"narrative_fingerprint_tags": [["A", "B"], [], None]})
        >>> df.select(qf.tag_count()).to_series().to_list()
        [2, 0, 0]
    """
    return pl.col(column).list.len().fill_null(0).alias("tag_count")


def known_tags(teams: pl.DataFrame | pl.LazyFrame, /, *, column: str = TAGS) -> list[str]:
    """Every tag some team carries, sorted (for a lazy frame only that column is read).

    Args:
        teams: the teams frame.
        column: the tag column.

    Returns:
        The distinct tags.
    """
    tags = teams.lazy().select(pl.col(column).explode().drop_nulls().unique()).collect()
    return sorted(tags.get_column(column).to_list())


def teams_with_tags(
    teams: FrameT,
    /,
    *tags: str | Sequence[str],
    match: Match = "all",
    strict: bool = True,
    column: str = TAGS,
    known: Sequence[str] | None = None,
) -> FrameT:
    """The teams whose tags match: ``all`` of them, ``any`` of them, or ``none`` of them.

    Tags are exact (case matters); a glob (``GK_*``) matches any such tag.

    Args:
        teams: the teams frame (eager or lazy); not modified.
        tags: tags or globs, as separate arguments or lists.
        match: "all", "any" or "none".
        strict: a plain tag no team carries is an error with suggestions (a typo would
            otherwise give a silently empty result) — on eager and lazy frames alike.
        column: the tag column.
        known: the tags that exist (default: read from ``teams``; for a lazy frame only
            the tag column is read).

    Returns:
        The teams that match.

    Raises:
        UnknownNameError: a plain tag is not in the data (with the closest tags).
        InvalidArgumentError: no tags, or an unknown ``match``.
        InvalidArgumentTypeError: a tag that is not a string.
    """
    given = as_names(tags, argument="tags", kind="tag")
    if match not in ("all", "any", "none"):
        msg = f"match must be 'all', 'any' or 'none', got {match!r}. Hint: pass match='any'."
        raise InvalidArgumentError(msg, argument="match")
    plain = [t for t in given if not _is_glob(t)]
    if strict and plain:
        vocabulary = known_tags(teams, column=column) if known is None else known
        hint = said("Or ", Advice("strict", "False"), " to filter on it anyway.")
        check_known("tag", plain, vocabulary, hint=hint, argument="tags")
    hits = [has_tag(t, column=column) for t in given]
    keep = {
        "all": pl.all_horizontal(hits),
        "any": pl.any_horizontal(hits),
        "none": ~pl.any_horizontal(hits),
    }[match]
    return teams.filter(keep)


def tag_counts(teams: pl.DataFrame | pl.LazyFrame, /, *, column: str = TAGS) -> pl.DataFrame:
    """``tag, teams, share``: how many teams carry each tag, most frequent first.

    ``share`` is the fraction of all teams (those without tags included).
    """
    tags = teams.lazy().select(pl.col(column).list.unique()).collect().get_column(column)
    total = max(len(tags), 1)
    return (
        tags.explode()
        .drop_nulls()
        .value_counts(name="teams")
        .rename({column: "tag"})
        .with_columns(pl.col("teams").cast(pl.Int64), (pl.col("teams") / total).alias("share"))
        .sort(["teams", "tag"], descending=[True, False])
    )


def tag_cooccurrence(teams: FrameT, /, *, column: str = TAGS) -> pl.DataFrame:
    """A tag × tag frame: how many teams carry both (the diagonal: each tag's count).

    Rows and columns are the tags in alphabetical order; the first column is ``tag``.
    """
    pairs = (
        teams.lazy()
        .with_row_index("__team")
        .select("__team", pl.col(column).list.unique().alias("tag"))
        .explode("tag")
        .drop_nulls("tag")
        .collect()
    )
    tags = sorted(pairs["tag"].unique().to_list())
    if not tags:
        return pl.DataFrame({"tag": []}, schema={"tag": pl.String})
    joined = pairs.join(pairs, on="__team", suffix="_other")
    counts = joined.group_by("tag", "tag_other").agg(pl.len().cast(pl.Int64).alias("n"))
    wide = counts.pivot(on="tag_other", index="tag", values="n", sort_columns=True)
    grid = pl.DataFrame({"tag": tags}).join(wide, on="tag", how="left")
    return grid.select(
        "tag",
        *[
            pl.col(t).fill_null(0) if t in grid.columns else pl.lit(0, pl.Int64).alias(t)
            for t in tags
        ],
    )
