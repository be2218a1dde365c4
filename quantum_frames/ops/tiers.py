"""Tiers and leagues: ELITE > TOP6 > MID > BOTTOM, filters and rankings."""

from __future__ import annotations

from typing import Final

import polars as pl

from quantum_frames._typing import FrameT
from quantum_frames.ops.names import check_known

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
    """ELITE=0, TOP6=1, MID=2, BOTTOM=3 (null for anything else), for sorting."""
    order = {tier: i for i, tier in enumerate(TIERS)}
    return (
        pl.col(column).replace_strict(order, default=None, return_dtype=pl.Int8).alias("tier_order")
    )


def is_elite(*, column: str = "tier") -> pl.Expr:
    """True for ELITE teams (false for a NULL tier).

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> pl.DataFrame({"tier": ["ELITE", "MID", None]}).select(qf.is_elite()).to_series().to_list()
        [True, False, False]
    """
    return (pl.col(column) == "ELITE").fill_null(False).alias("is_elite")


def teams_in_tier(teams: FrameT, /, *tiers: str) -> FrameT:
    """The teams in any of ``tiers`` (case-insensitive: "elite" is ELITE).

    Raises:
        UnknownNameError: a tier that is not one of ELITE, TOP6, MID, BOTTOM.
    """
    if not tiers:
        msg = f"give at least one tier of {', '.join(TIERS)}."
        raise ValueError(msg)
    wanted = [t.upper() if isinstance(t, str) else t for t in tiers]
    check_known("tier", wanted, TIERS, hint=f"The tiers are {', '.join(TIERS)}.")
    return teams.filter(pl.col("tier").is_in(wanted))


def elite_teams(teams: FrameT, /) -> FrameT:
    """The ELITE teams."""
    return teams.filter(is_elite())


def teams_in_league(teams: FrameT, /, *leagues: str) -> FrameT:
    """The teams of any of ``leagues``.

    Raises:
        UnknownNameError: (eager frames) a league the data does not hold, with suggestions.
    """
    if not leagues:
        msg = "give at least one league."
        raise ValueError(msg)
    if isinstance(teams, pl.DataFrame):
        check_known(
            "league", leagues, teams.get_column("league").drop_nulls().unique().sort().to_list()
        )
    return teams.filter(pl.col("league").is_in(list(leagues)))


def tier_ranking(
    teams: FrameT, /, by: str | None = None, *, within: str | None = "league"
) -> FrameT:
    """Teams ordered ELITE > TOP6 > MID > BOTTOM, then ``tier_rank`` — or, with ``by``, by that
    metric (descending, nulls last) inside each tier; a ``rank`` column (1 = best) counts
    within each ``within`` group (default the league; None for one overall ranking).

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.tier_ranking(by="roi").filter(rank=1).height  # one best team per league
        5
    """
    schema = teams.lazy().collect_schema()
    for name, col in (("by", by), ("within", within)):
        if col is not None and col not in schema:
            msg = f"{name}={col!r} is not a column of the teams frame."
            raise ValueError(msg)
    keys: list[pl.Expr] = [tier_order()]
    descending = [False]
    nulls_last = [True]
    if by is not None:
        keys.append(pl.col(by))
        descending.append(True)
        nulls_last.append(True)
    if "tier_rank" in schema:
        keys.append(pl.col("tier_rank"))
        descending.append(False)
        nulls_last.append(True)
    keys.append(pl.col("team_name"))
    descending.append(False)
    nulls_last.append(True)
    if within is not None:
        keys.insert(0, pl.col(within))
        descending.insert(0, False)
        nulls_last.insert(0, True)
    ordered = teams.sort(keys, descending=descending, nulls_last=nulls_last)
    rank = pl.int_range(1, pl.len() + 1, dtype=pl.UInt32)
    return ordered.with_columns((rank.over(within) if within is not None else rank).alias("rank"))
