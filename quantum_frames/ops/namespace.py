"""The ``.qf`` namespace on Polars frames: thin delegation to the ``quantum_frames.ops`` functions.

>>> import quantum_frames as qf
>>> q = qf.sample()
>>> q.teams.qf.teams_with_tags("GK_*").height == q.teams_with_tags("GK_*").height
True
>>> q.teams.lazy().qf.elite_teams().collect().height
15
"""

from __future__ import annotations

from typing import Generic, Literal

import polars as pl

from quantum_frames._typing import FrameT
from quantum_frames.ops import friction, tags, tiers

__all__ = ["QfFrameNamespace", "QfLazyNamespace"]


class _Namespace(Generic[FrameT]):
    def __init__(self, frame: FrameT) -> None:
        self._frame: FrameT = frame

    def teams_with_tags(
        self, *tag: str, match: Literal["all", "any", "none"] = "all", strict: bool = True
    ) -> FrameT:
        """See :func:`quantum_frames.ops.tags.teams_with_tags`."""
        return tags.teams_with_tags(self._frame, *tag, match=match, strict=strict)

    def teams_in_tier(self, *tier: str) -> FrameT:
        """See :func:`quantum_frames.ops.tiers.teams_in_tier`."""
        return tiers.teams_in_tier(self._frame, *tier)

    def elite_teams(self) -> FrameT:
        """See :func:`quantum_frames.ops.tiers.elite_teams`."""
        return tiers.elite_teams(self._frame)

    def teams_in_league(self, *league: str) -> FrameT:
        """See :func:`quantum_frames.ops.tiers.teams_in_league`."""
        return tiers.teams_in_league(self._frame, *league)

    def tier_ranking(self, by: str | None = None, *, within: str | None = "league") -> FrameT:
        """See :func:`quantum_frames.ops.tiers.tier_ranking`."""
        return tiers.tier_ranking(self._frame, by, within=within)

    def high_friction_matchups(self, threshold: float = 0.7) -> FrameT:
        """See :func:`quantum_frames.ops.friction.high_friction_matchups`."""
        return friction.high_friction_matchups(self._frame, threshold)


@pl.api.register_dataframe_namespace("qf")
class QfFrameNamespace(_Namespace[pl.DataFrame]):
    """``df.qf``: the quantum_frames operations on an eager frame."""


@pl.api.register_lazyframe_namespace("qf")
class QfLazyNamespace(_Namespace[pl.LazyFrame]):
    """``lf.qf``: the quantum_frames operations on a lazy frame."""
