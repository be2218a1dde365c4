"""Tiers and leagues: ELITE > TOP6 > MID > BOTTOM, filters and rankings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import polars as pl

from quantum_frames.errors import InvalidArgumentTypeError, MissingColumnError
from quantum_frames.ops.names import as_names, match_names

if TYPE_CHECKING:
    from quantum_frames._typing import FrameT

__all__ = [
    "TIERS",
    "elite_teams",
    "is_elite",
    "teams_in_league",
    "teams_in_tier",
    "tier_order",
    "tier_ranking",
]

#: The tiers, best first.
TIERS: Final = ("ELITE", "TOP6", "MID", "BOTTOM")


def tier_order(*, column: str = "tier") -> pl.Expr:
    """ELITE=0, TOP6=1, MID=2, BOTTOM=3 (null for anything else), for sorting.

    Args:
        column: the tier column.

    Returns:
        An Int8 expression named ``tier_order``.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> df = pl.DataFrame({"tier": ["MID", "ELITE", "BOTTOM", "TOP6"]})
        >>> df.sort(qf.tier_order())["tier"].to_list()
        ['ELITE', 'TOP6', 'MID', 'BOTTOM']
    """
    order = {tier: i for i, tier in enumerate(TIERS)}
    return (
        pl.col(column).replace_strict(order, default=None, return_dtype=pl.Int8).alias("tier_order")
    )


def is_elite(*, column: str = "tier") -> pl.Expr:
    """True for ELITE teams (false for a NULL tier).

    Args:
        column: the tier column.

    Returns:
        A Boolean expression named ``is_elite``.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> df = pl.DataFrame({"tier": ["ELITE", "MID", None]})
        >>> df.select(qf.is_elite()).to_series().to_list()
        [True, False, False]
    """
    return (pl.col(column) == "ELITE").fill_null(False).alias("is_elite")


def _vocabulary(
    teams: pl.DataFrame | pl.LazyFrame, column: str, known: Sequence[str] | None
) -> list[str]:
    """The distinct values of ``column``: ``known`` when given, else read from the frame.

    A lazy view carries ``known``. For a LazyFrame only that column's distinct values are collected,
    so a typo is caught on lazy frames exactly as on eager ones.
    """
    if known is not None:
        return list(known)
    values = teams.lazy().select(pl.col(column).drop_nulls().unique()).collect()
    return sorted(values.get_column(column).to_list())


def teams_in_tier(teams: FrameT, /, *tiers: str | Sequence[str]) -> FrameT:
    """The teams in any of ``tiers`` (case and accents ignored: "elite" is ELITE).

    Args:
        teams: the teams frame (eager or lazy); not modified.
        tiers: tier names, as separate arguments or lists.

    Returns:
        The teams in those tiers.

    Raises:
        InvalidArgumentError: no tier given.
        InvalidArgumentTypeError: a tier that is not a string.
        UnknownNameError: a tier that is not one of ELITE, TOP6, MID, BOTTOM.

    Examples:
        >>> import quantum_frames as qf
        >>> qf.sample().teams_in_tier(["elite", "TOP6"]).height
        30
    """
    given = as_names(tiers, argument="tiers", kind="tier")
    wanted = match_names(
        "tier", given, TIERS, argument="tiers", hint=f"The tiers are {', '.join(TIERS)}."
    )
    return teams.filter(pl.col("tier").is_in(wanted))


def elite_teams(teams: FrameT, /) -> FrameT:
    """The ELITE teams.

    Args:
        teams: the teams frame (eager or lazy).

    Returns:
        The ELITE teams.
    """
    return teams.filter(is_elite())


def teams_in_league(
    teams: FrameT, /, *leagues: str | Sequence[str], known: Sequence[str] | None = None
) -> FrameT:
    """The teams of any of ``leagues`` (case and accents ignored: "serie a" is Serie A).

    Args:
        teams: the teams frame (eager or lazy); not modified.
        leagues: league names, as separate arguments or lists.
        known: the leagues that exist (default: read from ``teams``).

    Returns:
        The teams of those leagues.

    Raises:
        InvalidArgumentError: no league given.
        InvalidArgumentTypeError: a league that is not a string.
        UnknownNameError: a league the data does not hold, with suggestions (eager and lazy).
    """
    given = as_names(leagues, argument="leagues", kind="league")
    wanted = match_names("league", given, _vocabulary(teams, "league", known), argument="leagues")
    return teams.filter(pl.col("league").is_in(wanted))


def tier_ranking(
    teams: FrameT,
    /,
    by: str | None = None,
    *,
    within: str | Sequence[str] | None = "league",
    ascending: bool = False,
) -> FrameT:
    """Teams ranked inside each ``within`` group, with a ``rank`` column (1 = best).

    Without ``by``: ELITE > TOP6 > MID > BOTTOM, then ``tier_rank``. With ``by`` (a
    metric such as ``"roi"``): by that metric (descending unless ``ascending``, nulls last)
    inside each ``within`` group, the tier only breaking ties; ``within=["league", "tier"]``
    ranks inside tiers; ``within=None`` is one overall ranking. Remaining ties: tier_rank,
    then team_name.

    Args:
        teams: the teams frame (eager or lazy); not modified.
        by: the metric column to rank by (None: by tier).
        within: the column(s) of the groups ranked separately (None: no groups).
        ascending: with ``by``: lowest first.

    Returns:
        The teams in ranking order, with ``rank``.

    Raises:
        MissingColumnError: ``by`` or ``within`` names no column of the teams.
        InvalidArgumentTypeError: ``by``/``within``/``ascending`` of the wrong type.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> q = qf.sample()
        >>> best = q.tier_ranking(by="roi").filter(rank=1)  # the best team by ROI of each league
        >>> top = q.teams.group_by("league").agg(pl.max("roi"))
        >>> best.sort("league")["roi"].equals(top.sort("league")["roi"])
        True
    """
    names = teams.lazy().collect_schema().names()
    groups = _columns(within, "within")
    if by is not None and not isinstance(by, str):
        msg = f"by= names a column (a string), got {type(by).__name__}. Hint: pass by='roi'."
        raise InvalidArgumentTypeError(msg, argument="by")
    if not isinstance(ascending, bool):
        msg = f"ascending= is True or False, got {ascending!r}."
        raise InvalidArgumentTypeError(msg, argument="ascending")
    for arg, cols in (("by", [by] if by else []), ("within", groups)):
        for col in cols:
            if col not in names:
                err = MissingColumnError.in_frame("teams", col, names, argument=arg)
                raise err
    keys: list[pl.Expr] = [pl.col(c) for c in groups]
    descending = [False] * len(groups)
    if by is not None:
        keys.append(pl.col(by))
        descending.append(not ascending)
    keys.append(tier_order())
    descending.append(False)
    if "tier_rank" in names:
        keys.append(pl.col("tier_rank"))
        descending.append(False)
    keys.append(pl.col("team_name"))
    descending.append(False)
    ordered = teams.sort(keys, descending=descending, nulls_last=True)
    rank = pl.int_range(1, pl.len() + 1, dtype=pl.UInt32)
    return ordered.with_columns((rank.over(groups) if groups else rank).alias("rank"))


def _columns(value: str | Sequence[str] | None, argument: str) -> list[str]:
    if value is None:
        return []
    many = [value] if isinstance(value, str) else value
    if not isinstance(many, Sequence) or not all(isinstance(c, str) for c in many):
        msg = (
            f"{argument}= names a column or a list of columns, got {value!r}. "
            f"Hint: pass {argument}='league' or {argument}=['league', 'tier']."
        )
        raise InvalidArgumentTypeError(msg, argument=argument)
    return list(many)
