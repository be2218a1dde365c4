"""Friction: directional team-vs-team lookups, matchups, the matrix, fixtures joined."""

from __future__ import annotations

import warnings
from typing import Literal

import polars as pl

from quantum_frames._typing import FrameT
from quantum_frames.errors import InvalidArgumentError, UnknownNameError, UnknownTeamError
from quantum_frames.ops.names import closest, name_ids, resolve_team_ids

__all__ = [
    "UnresolvedTeamsWarning",
    "friction",
    "friction_for",
    "friction_matrix",
    "high_friction_matchups",
    "one_season",
]

_KEYS = ("team_home_id", "team_away_id")
_NOT_JOINED = {
    "friction_id", "team_home_id", "team_away_id", "team_home_name", "team_away_name",
    "league", "season", "created_at", "updated_at",
}  # fmt: skip


class UnresolvedTeamsWarning(UserWarning):
    """Some fixture team names match no team; their rows got null friction."""


def _check_threshold(threshold: float) -> float:
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 <= threshold <= 1
    ):
        msg = f"threshold must be a number in [0, 1] (friction_score is 0–1), got {threshold!r}."
        raise ValueError(msg)
    return float(threshold)


def _season_key() -> pl.Expr:
    """Orders seasons: by their first four-digit year, then as text (null first)."""
    season = pl.col("season").cast(pl.String)
    year = season.str.extract(r"(\d{4})", 1).fill_null("0000")
    return pl.concat_str(year, season.fill_null(""))


def one_season(friction_df: FrameT, /, season: str | None = None) -> FrameT:
    """One row per directional pair: the named season's, or else each pair's newest season.

    The friction table holds one row per (home, away, season); a lookup must never see two
    rows for one fixture, nor an older season without asking for it.

    Args:
        friction_df: the friction frame (eager or lazy).
        season: the season to keep, e.g. ``"2025-2026"``; None: each pair's newest (by the
            first year in the season's name, then by name).

    Returns:
        The rows kept, in their order; the frame as is when it has no ``season`` column.

    Raises:
        InvalidArgumentError: ``season`` is named but the frame has no season column.
        UnknownNameError: ``season`` is none of the frame's seasons.

    Examples:
        >>> import polars as pl
        >>> df = pl.DataFrame({"team_home_id": [1, 1], "team_away_id": [2, 2],
        ...                    "season": ["2024-2025", "2025-2026"], "friction_score": [.1, .9]})
        >>> one_season(df)["friction_score"].to_list()
        [0.9]
    """
    expr = _season_filter(friction_df, season)
    return friction_df if expr is None else friction_df.filter(expr)


def _season_filter(friction_df: pl.DataFrame | pl.LazyFrame, season: str | None) -> pl.Expr | None:
    """The filter keeping one season per pair, ``season`` checked against ``friction_df``."""
    if "season" not in friction_df.lazy().collect_schema().names():
        if season is not None:
            msg = (
                f"season={season!r} was given, but the friction frame has no 'season' column. "
                "Hint: leave season=None."
            )
            raise InvalidArgumentError(msg, argument="season")
        return None
    if season is None:
        key = _season_key()
        return key == key.max().over(_KEYS)
    if not isinstance(season, str):
        msg = f"season must be a string such as '2025-2026', got {season!r}."
        raise InvalidArgumentError(msg, argument="season")
    known = friction_df.lazy().select(pl.col("season").drop_nulls().unique()).collect()
    names = sorted(str(s) for s in known.get_column("season").to_list())
    if season not in names:
        kind = "season"
        hint = f"Seasons in the friction frame: {', '.join(names) or 'none'}."
        raise UnknownNameError(kind, season, closest(season, names), hint=hint)
    return pl.col("season") == season


def friction(
    friction_df: pl.DataFrame,
    teams: pl.DataFrame,
    /,
    home: str,
    away: str,
    *,
    season: str | None = None,
) -> float | None:
    """The friction_score of (home, away) — directional; None if the pair has no row.

    Args:
        friction_df: the friction frame.
        teams: the teams frame (to resolve the names).
        home: the home team's name.
        away: the away team's name.
        season: the season to look in; None: the pair's newest season.

    Returns:
        The score, or None when the pair has no row (in that season).

    Raises:
        UnknownTeamError: either name matches no team.
        UnknownNameError: ``season`` is no season of the friction frame.
    """
    home_id, away_id = resolve_team_ids(teams, [home, away])
    hit = friction_df.filter(
        (pl.col("team_home_id") == home_id) & (pl.col("team_away_id") == away_id)
    )
    keep = _season_filter(friction_df, season)  # checked against the whole table
    if keep is not None:
        hit = hit.filter(keep)
    if hit.is_empty():
        return None
    value = hit.get_column("friction_score").item(0)
    return None if value is None else float(value)


def high_friction_matchups(
    friction_df: FrameT, /, threshold: float = 0.7, *, season: str | None = None
) -> FrameT:
    """Pairs with friction_score ≥ threshold, highest first, with both team names.

    Args:
        friction_df: the friction frame (eager or lazy).
        threshold: the lowest friction_score kept, in [0, 1].
        season: the season to look in; None: each pair's newest season.

    Returns:
        One row per pair at or above the threshold.
    """
    limit = _check_threshold(threshold)
    return (
        one_season(friction_df, season)
        .filter(pl.col("friction_score") >= limit)
        .sort(
            ["friction_score", "team_home_name", "team_away_name"], descending=[True, False, False]
        )
    )


def friction_matrix(
    friction_df: pl.DataFrame, /, league: str | None = None, *, season: str | None = None
) -> pl.DataFrame:
    """A wide home × away frame of friction_score (first column ``home``), names sorted.

    Args:
        friction_df: the friction frame.
        league: only the pairs of this league.
        season: the season to show; None: each pair's newest season.

    Returns:
        One row per home team, one column per away team.
    """
    friction_df = one_season(friction_df, season)
    df = friction_df if league is None else friction_df.filter(pl.col("league") == league)
    if league is not None and df.is_empty():
        known = friction_df.get_column("league").drop_nulls().unique().sort().to_list()
        from quantum_frames.ops.names import check_known

        check_known("league", [league], known)
    names = sorted(set(df["team_home_name"].to_list()) | set(df["team_away_name"].to_list()))
    wide = df.pivot(
        on="team_away_name",
        index="team_home_name",
        values="friction_score",
        aggregate_function="first",
    )
    grid = pl.DataFrame({"team_home_name": names}).join(wide, on="team_home_name", how="left")
    columns = [pl.col(n) if n in grid.columns else pl.lit(None, pl.Float64).alias(n) for n in names]
    return grid.select(pl.col("team_home_name").alias("home"), *columns)


def friction_for(
    friction_df: pl.DataFrame | pl.LazyFrame,
    teams: pl.DataFrame | pl.LazyFrame,
    fixtures: FrameT,
    /,
    home: str = "home",
    away: str = "away",
    *,
    on_unknown: Literal["warn", "raise", "ignore"] = "warn",
    season: str | None = None,
) -> FrameT:
    """Each fixture joined with the friction of its (home, away) pair, vectorised.

    One row of friction per fixture: the named ``season``'s, or else the pair's newest.

    Names are matched like :func:`quantum_frames.ops.teams.team` (case and accents ignored).
    Every fixture row is kept, in order; ``home_team_id``/``away_team_id`` are null for a
    name that matches no team, and such names are reported (``on_unknown``: a warning, an
    :class:`UnknownTeamError`, or nothing). Friction columns whose names clash with fixture
    columns get a ``_friction`` suffix.
    """
    if on_unknown not in ("warn", "raise", "ignore"):
        msg = f"on_unknown must be 'warn', 'raise' or 'ignore', got {on_unknown!r}."
        raise ValueError(msg)
    fx_cols = fixtures.lazy().collect_schema().names()
    for arg, col in (("home", home), ("away", away)):
        if col not in fx_cols:
            msg = f"{arg}={col!r} is not a column of the fixtures (columns: {fx_cols})."
            raise ValueError(msg)
    fx = fixtures.lazy()
    names = pl.concat([fx.select(pl.col(c).alias("name")) for c in (home, away)])
    ids = name_ids(teams, names)  # the tolerant key once per distinct name, not per row
    fr = one_season(friction_df.lazy(), season)
    fr_cols = [c for c in fr.collect_schema().names() if c not in _NOT_JOINED]
    clash = {c: f"{c}_friction" for c in fr_cols if c in fx_cols}
    joined = (
        fx.with_columns(
            pl.col(home).cast(pl.String).alias("__home"),
            pl.col(away).cast(pl.String).alias("__away"),
        )
        .join(
            ids.rename({"name": "__home", "team_id": "home_team_id"}),
            on="__home",
            how="left",
            maintain_order="left",
        )
        .join(
            ids.rename({"name": "__away", "team_id": "away_team_id"}),
            on="__away",
            how="left",
            maintain_order="left",
        )
        .join(
            fr.select(*_KEYS, *fr_cols).rename(
                {"team_home_id": "home_team_id", "team_away_id": "away_team_id", **clash}
            ),
            on=["home_team_id", "away_team_id"],
            how="left",
            maintain_order="left",
        )
        .drop("__home", "__away")
    )
    if isinstance(fixtures, pl.LazyFrame):
        return joined
    out = joined.collect(engine="in-memory")  # the streaming engine is 3x slower on these joins
    if on_unknown != "ignore":
        _report_unresolved(out, fixtures, home, away, teams, on_unknown)
    return out


def _report_unresolved(
    out: pl.DataFrame,
    fixtures: pl.DataFrame,
    home: str,
    away: str,
    teams: pl.DataFrame | pl.LazyFrame,
    on_unknown: str,
) -> None:
    bad = pl.concat(
        [
            fixtures.get_column(home).filter(out["home_team_id"].is_null()),
            fixtures.get_column(away).filter(out["away_team_id"].is_null()),
        ]
    ).unique(maintain_order=True)
    if bad.is_empty():
        return
    names = teams.lazy().select("team_name").collect().get_column("team_name").to_list()
    shown = list(bad.to_list()[:10])
    if on_unknown == "raise":
        first = next((n for n in shown if n is not None), None)
        raise UnknownTeamError(str(first), closest(str(first), names))
    detail = "; ".join(
        f"{n!r} (closest: {', '.join(closest(str(n), names, 3)) or 'none'})" for n in shown
    )
    more = f" and {bad.len() - 10} more" if bad.len() > 10 else ""
    msg = f"{bad.len()} fixture team name(s) match no team, their rows have null friction: {detail}{more}."
    warnings.warn(msg, UnresolvedTeamsWarning, stacklevel=4)
