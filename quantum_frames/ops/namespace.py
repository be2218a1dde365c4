"""The ``.qf`` namespace on Polars frames.

One-line delegations to the ``quantum_frames.ops`` functions, on eager and lazy frames alike.

The frame is the one the operation works on: a teams frame for the team filters, a friction
frame for matchups, a strategies frame for conviction, a fixtures frame for
``friction_for(q)`` / ``best_strategies(q)``. Names are checked on lazy frames too (only the
column holding the names is read for it). Operations that return one team as a dict need
the lossless tables: use ``q.team`` / ``q.dna_vector`` / ``q.best_strategy``.

>>> import quantum_frames as qf
>>> q = qf.sample()
>>> q.teams.qf.teams_with_tags("GK_*").height == q.teams_with_tags("GK_*").height
True
>>> q.teams.lazy().qf.elite_teams().collect().height
15
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, Literal

import polars as pl

from quantum_frames._typing import FrameT
from quantum_frames.ops import friction, strategies, tags, tiers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from quantum_frames.frames import QuantumFrames

__all__ = ["QfFrameNamespace", "QfLazyNamespace"]


class _Namespace(Generic[FrameT]):
    def __init__(self, frame: FrameT) -> None:
        self._frame: FrameT = frame

    def teams_with_tags(
        self,
        *tag: str | Sequence[str],
        match: Literal["all", "any", "none"] = "all",
        strict: bool = True,
    ) -> FrameT:
        """See :func:`quantum_frames.ops.tags.teams_with_tags` (on a teams frame).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().teams.qf.teams_with_tags("GEGENPRESS").height
            29
        """
        return tags.teams_with_tags(self._frame, *tag, match=match, strict=strict)

    def teams_in_tier(self, *tier: str | Sequence[str]) -> FrameT:
        """See :func:`quantum_frames.ops.tiers.teams_in_tier` (on a teams frame).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().teams.qf.teams_in_tier("ELITE", "TOP6").height
            30
        """
        return tiers.teams_in_tier(self._frame, *tier)

    def elite_teams(self) -> FrameT:
        """See :func:`quantum_frames.ops.tiers.elite_teams` (on a teams frame).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().teams.lazy().qf.elite_teams().collect().height
            15
        """
        return tiers.elite_teams(self._frame)

    def teams_in_league(self, *league: str | Sequence[str]) -> FrameT:
        """See :func:`quantum_frames.ops.tiers.teams_in_league` (on a teams frame).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().teams.qf.teams_in_league("Premier League").height
            20
        """
        return tiers.teams_in_league(self._frame, *league)

    def tier_ranking(
        self,
        by: str | None = None,
        *,
        within: str | Sequence[str] | None = "league",
        ascending: bool = False,
    ) -> FrameT:
        """See :func:`quantum_frames.ops.tiers.tier_ranking` (on a teams frame).

        Examples:
            >>> import quantum_frames as qf
            >>> best = qf.sample().teams.qf.tier_ranking(by="roi").filter(rank=1)
            >>> best.height  # the best team by ROI of each of the 5 leagues
            5
        """
        return tiers.tier_ranking(self._frame, by, within=within, ascending=ascending)

    def tag_counts(self) -> pl.DataFrame:
        """See :func:`quantum_frames.ops.tags.tag_counts` (on a teams frame).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().teams.qf.tag_counts().row(0)  # the most common tag
            ('POSSESSION_KING', 34, 0.35416666666666663)
        """
        return tags.tag_counts(self._frame)

    def tag_cooccurrence(self) -> pl.DataFrame:
        """See :func:`quantum_frames.ops.tags.tag_cooccurrence` (on a teams frame).

        Examples:
            >>> import quantum_frames as qf
            >>> pairs = qf.sample().teams.qf.tag_cooccurrence()
            >>> pairs.filter(tag="GEGENPRESS")["GEGENPRESS"].item()  # teams with the tag
            29
        """
        return tags.tag_cooccurrence(self._frame)

    def high_friction_matchups(
        self, threshold: float = 0.7, *, season: str | None = None
    ) -> FrameT:
        """See :func:`quantum_frames.ops.friction.high_friction_matchups` (on friction).

        Examples:
            >>> import quantum_frames as qf
            >>> hot = qf.sample().friction.qf.high_friction_matchups(0.7)
            >>> hot.height, hot["friction_score"].min() >= 0.7
            (127, True)
        """
        return friction.high_friction_matchups(self._frame, threshold, season=season)

    def friction_matrix(
        self, league: str | Sequence[str] | None = None, *, season: str | None = None
    ) -> pl.DataFrame:
        """See :func:`quantum_frames.ops.friction.friction_matrix` (on a friction frame).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().friction.qf.friction_matrix("Premier League").shape
            (20, 21)
        """
        return friction.friction_matrix(self._frame, league, season=season)

    def friction_for(
        self,
        q: QuantumFrames,
        /,
        home: str = "home",
        away: str = "away",
        *,
        on_unknown: Literal["warn", "raise", "ignore"] = "warn",
        season: str | None = None,
    ) -> FrameT:
        """See :meth:`QuantumFrames.friction_for` (on fixtures: ``fx.qf.friction_for(q)``).

        Examples:
            >>> import polars as pl, quantum_frames as qf
            >>> q = qf.sample()
            >>> fixtures = pl.DataFrame({"home": ["Liverpool"], "away": ["Everton"]})
            >>> fixtures.qf.friction_for(q)["friction_score"].to_list()
            [0.5288]
        """
        return q.friction_for(self._frame, home, away, on_unknown=on_unknown, season=season)

    def best_strategies(self, q: QuantumFrames, /, *, team: str = "team") -> FrameT:
        """See :meth:`QuantumFrames.best_strategies` (on a fixtures frame).

        Examples:
            >>> import polars as pl, quantum_frames as qf
            >>> q = qf.sample()
            >>> fixtures = pl.DataFrame({"team": ["Liverpool"], "venue": ["home"]})
            >>> fixtures.qf.best_strategies(q).height
            1
        """
        return q.best_strategies(self._frame, team=team)

    def strategies_for(self, teams: pl.DataFrame, /, team: str | int) -> FrameT:
        """See :func:`quantum_frames.ops.strategies.strategies_for` (on a strategies frame).

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.strategies.qf.strategies_for(q.teams, "Liverpool")["team_name"].unique().to_list()
            ['Liverpool']
        """
        return strategies.strategies_for(self._frame, teams, team)

    def strategies_by_conviction(self, min_conviction: float) -> FrameT:
        """See :func:`quantum_frames.ops.strategies.strategies_by_conviction` (on strategies).

        Examples:
            >>> import quantum_frames as qf
            >>> strong = qf.sample().strategies.qf.strategies_by_conviction(80)
            >>> strong.height, strong["conviction"].min() >= 80
            (94, True)
        """
        return strategies.strategies_by_conviction(self._frame, min_conviction)


@pl.api.register_dataframe_namespace("qf")
class QfFrameNamespace(_Namespace[pl.DataFrame]):
    """``df.qf``: the quantum_frames operations on an eager frame."""

    def friction(
        self,
        teams: pl.DataFrame,
        /,
        home: str | int,
        away: str | int,
        *,
        season: str | None = None,
    ) -> float | None:
        """See :func:`quantum_frames.ops.friction.friction` (on a friction frame).

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.friction.qf.friction(q.teams, "Liverpool", "Everton")
            0.5288
        """
        return friction.friction(self._frame, teams, home, away, season=season)


@pl.api.register_lazyframe_namespace("qf")
class QfLazyNamespace(_Namespace[pl.LazyFrame]):
    """``lf.qf``: the quantum_frames operations on a lazy frame."""
