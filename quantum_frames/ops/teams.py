"""One team at a time: the team as a dict, one DNA vector."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

import polars as pl

from quantum_frames.ops.names import check_known, resolve_team_ids

__all__ = ["dna_vector", "team"]


def team(teams_raw: pl.DataFrame, /, name: str, *, json_columns: Collection[str]) -> dict[str, Any]:
    """One team as a dict, its JSON vectors nested back as dicts (exactly as the source holds
    them), matched ignoring case and accents.

    Raises:
        UnknownTeamError: no team has that name (the message lists the closest).
    """
    (team_id,) = resolve_team_ids(teams_raw, [name])
    row = teams_raw.filter(pl.col("team_id") == team_id).row(0, named=True)
    return {k: _decode(v) if k in json_columns else v for k, v in row.items()}


def dna_vector(
    teams_raw: pl.DataFrame, /, name: str, vector: str, *, json_columns: Collection[str]
) -> dict[str, Any] | Any | None:
    """One JSON vector of one team, as a dict (None when it is NULL).

    Raises:
        UnknownTeamError: unknown team; UnknownNameError: unknown vector (with suggestions).
    """
    check_known("vector", [vector], sorted(c for c in teams_raw.columns if c in json_columns))
    (team_id,) = resolve_team_ids(teams_raw, [name])
    text = teams_raw.filter(pl.col("team_id") == team_id).get_column(vector).item()
    return _decode(text)


def _decode(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else text
