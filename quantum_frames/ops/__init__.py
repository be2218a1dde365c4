"""Operations on the frames: the analyst's vocabulary (tags, tiers, friction, strategies, diff).

Functions first: each method of :class:`~quantum_frames.QuantumFrames` and of ``df.qf`` is
one of these functions, reachable here as ``quantum_frames.ops.<name>`` (imported on first
use, so ``import quantum_frames`` stays light). Two functions are named like their modules
and stay there, since no public name may shadow a module: ``quantum_frames.ops.diff.diff``
(also ``QuantumFrames.diff``) and ``quantum_frames.ops.friction.friction`` (also
``q.friction(home, away)``).

Examples:
    >>> import quantum_frames as qf
    >>> from quantum_frames import ops
    >>> ops.teams_in_tier(qf.sample().teams, "ELITE").height
    15
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from quantum_frames import _lazy

if TYPE_CHECKING:
    from quantum_frames.ops.friction import (
        UnresolvedTeamsWarning,
        friction_for,
        friction_matrix,
        high_friction_matchups,
        one_season,
    )
    from quantum_frames.ops.names import match_names, normalize
    from quantum_frames.ops.strategies import (
        ContextWarning,
        ScaleWarning,
        best_strategies,
        best_strategy,
        strategies_by_conviction,
        strategies_for,
    )
    from quantum_frames.ops.tags import (
        TAGS,
        has_all_tags,
        has_any_tag,
        has_tag,
        known_tags,
        tag_cooccurrence,
        tag_count,
        tag_counts,
        teams_with_tags,
    )
    from quantum_frames.ops.teams import dna_vector, team
    from quantum_frames.ops.tiers import (
        TIERS,
        elite_teams,
        is_elite,
        teams_in_league,
        teams_in_tier,
        tier_order,
        tier_ranking,
    )

#: Each re-exported name and the module (under quantum_frames.ops) that defines it.
_HOME: Final[dict[str, str]] = {
    **dict.fromkeys(
        [
            "UnresolvedTeamsWarning",
            "friction_for",
            "friction_matrix",
            "high_friction_matchups",
            "one_season",
        ],
        "friction",
    ),
    **dict.fromkeys(["match_names", "normalize"], "names"),
    **dict.fromkeys(
        [
            "ContextWarning",
            "ScaleWarning",
            "best_strategies",
            "best_strategy",
            "strategies_by_conviction",
            "strategies_for",
        ],
        "strategies",
    ),
    **dict.fromkeys(
        [
            "TAGS",
            "has_all_tags",
            "has_any_tag",
            "has_tag",
            "known_tags",
            "tag_cooccurrence",
            "tag_count",
            "tag_counts",
            "teams_with_tags",
        ],
        "tags",
    ),
    **dict.fromkeys(["dna_vector", "team"], "teams"),
    **dict.fromkeys(
        [
            "TIERS",
            "elite_teams",
            "is_elite",
            "teams_in_league",
            "teams_in_tier",
            "tier_order",
            "tier_ranking",
        ],
        "tiers",
    ),
}
#: The same, as module paths (what the loader imports).
_MODULES: Final = {name: f"quantum_frames.ops.{home}" for name, home in _HOME.items()}

__all__ = [
    "TAGS",
    "TIERS",
    "ContextWarning",
    "ScaleWarning",
    "UnresolvedTeamsWarning",
    "best_strategies",
    "best_strategy",
    "dna_vector",
    "elite_teams",
    "friction_for",
    "friction_matrix",
    "has_all_tags",
    "has_any_tag",
    "has_tag",
    "high_friction_matchups",
    "is_elite",
    "known_tags",
    "match_names",
    "normalize",
    "one_season",
    "strategies_by_conviction",
    "strategies_for",
    "tag_cooccurrence",
    "tag_count",
    "tag_counts",
    "team",
    "teams_in_league",
    "teams_in_tier",
    "teams_with_tags",
    "tier_order",
    "tier_ranking",
]


def __getattr__(name: str) -> Any:
    """Import a re-exported operation from its module on first use.

    Args:
        name: the attribute asked for.

    Returns:
        The function, class or constant of that name.

    Raises:
        AttributeError: ``name`` is not a re-exported operation (nor already imported).
    """
    return _lazy.load(__name__, _MODULES, globals(), name)


def __dir__() -> list[str]:
    """The module's names with the re-exported operations (for completion and ``dir()``)."""
    return sorted({*globals(), *__all__})
