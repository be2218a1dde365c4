"""One team at a time: the team as a dict, one DNA vector."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames.ops.names import check_known, resolve_team_ids

if TYPE_CHECKING:
    from collections.abc import Collection

__all__ = ["dna_vector", "team"]


def team(
    teams_raw: pl.DataFrame,
    /,
    name: str | int,
    *,
    json_columns: Collection[str],
    aliases: pl.DataFrame | None = None,
) -> dict[str, Any]:
    """One team as a dict, its JSON vectors nested back as dicts.

    The vectors come exactly as the source holds them. The team is matched ignoring case and
    accents, or by an alias ("Spurs") or its team_id.

    Args:
        teams_raw: the lossless teams frame.
        name: a team name or alias, or a team_id.
        json_columns: the JSON columns (nested back).
        aliases: ``team_name, alias`` rows (None: the shipped table).

    Returns:
        The team's row as a dict.

    Raises:
        UnknownTeamError: no team has that name (the message lists the closest).
    """
    (team_id,) = resolve_team_ids(teams_raw, [name], aliases=aliases)
    row = teams_raw.filter(pl.col("team_id") == team_id).row(0, named=True)
    return {k: _decode(v) if k in json_columns else v for k, v in row.items()}


def dna_vector(
    teams_raw: pl.DataFrame,
    /,
    name: str | int,
    vector: str,
    *,
    json_columns: Collection[str],
    aliases: pl.DataFrame | None = None,
) -> dict[str, Any] | Any | None:
    """One JSON vector of one team, as a dict (None when it is NULL).

    Args:
        teams_raw: the lossless teams frame.
        name: a team name or alias, or a team_id.
        vector: the JSON column, e.g. ``market_dna``.
        json_columns: the JSON columns.
        aliases: ``team_name, alias`` rows (None: the shipped table).

    Returns:
        The vector as a dict (None when NULL).

    Raises:
        UnknownTeamError: unknown team.
        UnknownNameError: unknown vector (with suggestions).
    """
    check_known(
        "vector",
        [vector],
        sorted(c for c in teams_raw.columns if c in json_columns),
        argument="vector",
    )
    (team_id,) = resolve_team_ids(teams_raw, [name], aliases=aliases)
    text = teams_raw.filter(pl.col("team_id") == team_id).get_column(vector).item()
    return _decode(text)


def _decode(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text
