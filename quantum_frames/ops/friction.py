"""Friction: directional team-vs-team lookups, matchups, the matrix, fixtures joined."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Literal

import polars as pl

from quantum_frames.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    MissingColumnError,
    UnknownNameError,
    UnknownTeamError,
)
from quantum_frames.ops._frames import as_polars, equal_to
from quantum_frames.ops.names import (
    as_names,
    closest,
    match_names,
    name_ids,
    resolve_team_ids,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from quantum_frames._typing import FrameT

__all__ = [
    "UnresolvedTeamsWarning",
    "check_scale",
    "friction",
    "friction_for",
    "friction_matrix",
    "high_friction_matchups",
    "one_season",
    "report_unknown_teams",
]

_KEYS = ("team_home_id", "team_away_id")
_NOT_JOINED = {
    "friction_id", "team_home_id", "team_away_id", "team_home_name", "team_away_name",
    "league", "season", "created_at", "updated_at",
}  # fmt: skip


class UnresolvedTeamsWarning(UserWarning):
    """Some fixture team names match no team; their rows got null friction."""


def check_scale(value: object, *, argument: str, low: float, high: float, what: str) -> float:
    """A number in ``[low, high]``, or an :class:`InvalidArgumentError` saying the scale.

    Args:
        value: the value passed.
        argument: the caller's argument name.
        low: the lowest value allowed.
        high: the highest value allowed.
        what: the column and its scale, e.g. "friction_score is 0–1".

    Returns:
        The value as a float.

    Raises:
        InvalidArgumentTypeError: not a number.
        InvalidArgumentError: outside the scale.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{argument} must be a number ({what}), got {type(value).__name__} {value!r}."
        raise InvalidArgumentTypeError(msg, argument=argument)
    if not low <= value <= high:
        msg = (
            f"{argument} must be in [{low:g}, {high:g}] ({what}), got {value!r}. "
            f"Hint: pass a value on that scale."
        )
        raise InvalidArgumentError(msg, argument=argument)
    return float(value)


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
    names = (
        friction_df.columns
        if isinstance(friction_df, pl.DataFrame)
        else friction_df.collect_schema().names()
    )
    if "season" not in names:
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
        raise UnknownNameError(kind, season, closest(season, names), hint=hint, argument="season")
    return pl.col("season") == season


def friction(
    friction_df: pl.DataFrame,
    teams: pl.DataFrame,
    /,
    home: str | int,
    away: str | int,
    *,
    season: str | None = None,
    aliases: pl.DataFrame | None = None,
) -> float | None:
    """The friction_score of (home, away) — directional; None if the pair has no row.

    Args:
        friction_df: the friction frame.
        teams: the teams frame (for the names).
        home: the home team: a name (case, accents, aliases tolerated) or a team_id.
        away: the away team, likewise.
        season: the season to look in; None: the pair's newest season.
        aliases: ``team_name, alias`` rows (None: the shipped table).

    Returns:
        The score, or None when the pair has no row (in that season; or a NULL score).

    Raises:
        UnknownTeamError: either name matches no team.
        UnknownNameError: ``season`` is no season of the friction frame.
    """
    home_id, away_id = resolve_team_ids(
        teams, [home, away], aliases=aliases, arguments=["home", "away"]
    )
    if season is None and isinstance(friction_df, pl.DataFrame):
        found = _eager_score(friction_df, home_id, away_id)
        if found is not None:
            return found[0]
    keep = _season_filter(friction_df, season)  # checked against the whole table
    pair = friction_df.lazy().filter(
        (pl.col("team_home_id") == home_id) & (pl.col("team_away_id") == away_id)
    )
    hit = (pair if keep is None else pair.filter(keep)).collect()  # one query, not two
    if hit.is_empty():
        return None
    value = hit.get_column("friction_score").item(0)
    return None if value is None else float(value)


def _eager_score(
    friction_df: pl.DataFrame, home_id: int, away_id: int
) -> tuple[float | None] | None:
    """The score of (home_id, away_id) in each pair's newest season, straight from the columns.

    What :func:`friction` computes with ``season=None`` through a query, without one (a query
    costs a millisecond of planning; this, a few Series operations): the pair's rows in
    order, of those the ones whose season has the highest :func:`_season_key`, the first of
    them. ``(score,)``; None when the frame is not one this path is sure to read the same
    (the query then says what it says, errors included).
    """
    schema = friction_df.schema
    if any(c not in schema for c in (*_KEYS, "friction_score")):
        return None
    home = equal_to(friction_df.get_column(_KEYS[0]), home_id)
    away = equal_to(friction_df.get_column(_KEYS[1]), away_id)
    if home is None or away is None:
        return None
    pair = home & away
    scores = friction_df.get_column("friction_score").filter(pair)
    if scores.is_empty():
        return (None,)
    first = 0
    if "season" in schema and scores.len() > 1:
        seasons = friction_df.get_column("season").filter(pair).to_frame()
        key = _season_key()
        newest = seasons.select((key == key.max()).arg_true().first()).item()
        first = int(newest)
    value = scores[first]
    return (None if value is None else float(value),)


def high_friction_matchups(
    friction_df: FrameT, /, threshold: float = 0.7, *, season: str | None = None
) -> FrameT:
    """Pairs with friction_score ≥ threshold, highest first, with both team names.

    Args:
        friction_df: the friction frame (eager or lazy).
        threshold: the lowest friction_score kept, in [0, 1].
        season: the season to look in; None: each pair's newest season.

    Returns:
        The pairs, highest friction first.

    Raises:
        InvalidArgumentError: a threshold outside [0, 1] (friction_score is 0–1).
    """
    limit = check_scale(
        threshold, argument="threshold", low=0, high=1, what="friction_score is 0–1"
    )
    return (
        one_season(friction_df, season)
        .filter(pl.col("friction_score") >= limit)
        .sort(
            ["friction_score", "team_home_name", "team_away_name"], descending=[True, False, False]
        )
    )


def friction_matrix(
    friction_df: pl.DataFrame | pl.LazyFrame,
    /,
    league: str | Sequence[str] | None = None,
    *,
    season: str | None = None,
) -> pl.DataFrame:
    """A wide home × away frame of friction_score (first column ``home``), names sorted.

    Args:
        friction_df: the friction frame (eager or lazy).
        league: a league or a list of leagues (case and accents ignored); None: all.
        season: the season to show; None: each pair's newest season.

    Returns:
        One row per home team, one column per away team.

    Raises:
        UnknownNameError: a league the data does not hold (with suggestions).
        InvalidArgumentTypeError: a league that is not a string.
    """
    lf = one_season(friction_df.lazy(), season)
    if league is not None:
        given = as_names([league], argument="league", kind="league")
        known = lf.select(pl.col("league").drop_nulls().unique()).collect()["league"].to_list()
        wanted = match_names("league", given, sorted(known), argument="league")
        lf = lf.filter(pl.col("league").is_in(wanted))
    df = lf.select("team_home_name", "team_away_name", "friction_score").collect()
    names = sorted(set(df["team_home_name"].to_list()) | set(df["team_away_name"].to_list()))
    wide = df.pivot(
        on="team_away_name",
        index="team_home_name",
        values="friction_score",
        aggregate_function="first",
    )
    grid = pl.DataFrame({"team_home_name": names}, schema={"team_home_name": pl.String}).join(
        wide, on="team_home_name", how="left"
    )
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
    aliases: pl.DataFrame | None = None,
) -> FrameT:
    """Each fixture joined with the friction of its (home, away) pair, vectorised.

    One row of friction per fixture: the named ``season``'s, or else the pair's newest.

    Names are matched like :func:`quantum_frames.ops.teams.team` (case, accents and aliases
    ignored; an integer column holds team ids). Every fixture row is kept, in order;
    ``home_team_id``/``away_team_id`` are null for a name that matches no team, and such
    names are reported (``on_unknown``: a warning, an :class:`UnknownTeamError`, or
    nothing) — for lazy fixtures too, at the call (only the distinct names of the two
    columns are read for it). Friction columns whose names clash with fixture columns get a
    ``_friction`` suffix.

    Args:
        friction_df: the friction frame.
        teams: the teams frame.
        fixtures: the fixtures (Polars eager or lazy; a pandas or pyarrow frame is
            converted and gives a Polars DataFrame).
        home: the column of home team names.
        away: the column of away team names.
        on_unknown: "warn", "raise" or "ignore" names that match no team.
        season: the season of the friction joined; None: each pair's newest.
        aliases: ``team_name, alias`` rows (None: the shipped table).

    Returns:
        The fixtures with the friction columns, eager or lazy as given.

    Raises:
        MissingColumnError: ``home`` or ``away`` is not a column of the fixtures.
        UnknownTeamError: with ``on_unknown="raise"``, a name that matches no team.
        InvalidArgumentError: an unknown ``on_unknown``.
        InvalidArgumentTypeError: fixtures that are not a frame.
    """
    if on_unknown not in ("warn", "raise", "ignore"):
        msg = f"on_unknown must be 'warn', 'raise' or 'ignore', got {on_unknown!r}."
        raise InvalidArgumentError(msg, argument="on_unknown")
    given = as_polars(fixtures, argument="fixtures")
    fx = given.lazy()
    fx_cols = fx.collect_schema().names()
    for arg, col in (("home", home), ("away", away)):
        if col not in fx_cols:
            err = MissingColumnError.in_frame("fixtures", col, fx_cols, argument=arg)
            raise err
    names = pl.concat(
        [fx.select(pl.col(c).alias("name")) for c in (home, away)], how="vertical_relaxed"
    )
    # the tolerant key once per distinct name, not per row; collected (a few hundred rows)
    # so that unknown names are reported for lazy fixtures too
    ids = name_ids(teams, names, aliases).collect()
    if on_unknown != "ignore":
        _report_unresolved(ids, teams, on_unknown)
    fr = one_season(friction_df.lazy(), season)
    fr_cols = [c for c in fr.collect_schema().names() if c not in _NOT_JOINED]
    clash = {c: f"{c}_friction" for c in fr_cols if c in fx_cols}
    lookup = ids.lazy()
    joined = (
        fx.with_columns(
            pl.col(home).cast(pl.String).alias("__home"),
            pl.col(away).cast(pl.String).alias("__away"),
        )
        .join(
            lookup.rename({"name": "__home", "team_id": "home_team_id"}),
            on="__home",
            how="left",
            maintain_order="left",
        )
        .join(
            lookup.rename({"name": "__away", "team_id": "away_team_id"}),
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
    if isinstance(given, pl.LazyFrame):
        return joined  # type: ignore[return-value]  # lazy in, lazy out
    # eager in (or converted), eager out; the streaming engine is 3x slower on these joins
    return joined.collect(engine="in-memory")  # type: ignore[return-value]


def _report_unresolved(
    ids: pl.DataFrame, teams: pl.DataFrame | pl.LazyFrame, on_unknown: str
) -> None:
    bad = ids.filter(pl.col("team_id").is_null()).get_column("name").sort()
    if bad.is_empty():
        return
    names = teams.lazy().select("team_name").collect().get_column("team_name").to_list()
    shown = list(bad.to_list()[:10])
    if on_unknown == "raise":
        first = str(shown[0])
        raise UnknownTeamError(first, closest(first, names), argument="fixtures")
    detail = "; ".join(
        f"{n!r} (closest: {', '.join(closest(str(n), names, 3)) or 'none'})" for n in shown
    )
    more = f" and {bad.len() - 10} more" if bad.len() > 10 else ""
    msg = (
        f"{bad.len()} fixture team name(s) match no team, their rows have null friction: "
        f"{detail}{more}. Hint: fix the names, or add them as aliases (q.with_aliases)."
    )
    warnings.warn(msg, UnresolvedTeamsWarning, stacklevel=4)


def report_unknown_teams(
    unknown: list[str],
    teams: pl.DataFrame | pl.LazyFrame,
    *,
    strict: bool,
    consequence: str,
    stacklevel: int | None = None,
) -> None:
    """Warn (or, ``strict``, raise) about fixture team names that match no team.

    Args:
        unknown: the names, each once, in the order met.
        teams: the teams frame the names were looked up in (for the close matches).
        strict: raise :class:`UnknownTeamError` for the first name instead of warning.
        consequence: what happened to their rows, e.g. "their rows have no strategy".
        stacklevel: passed to :func:`warnings.warn`; None (the default): the first frame
            outside quantum_frames, so the warning points at the caller's line whatever the
            call path (``q.best_strategies``, ``walk_forward`` …).

    Raises:
        UnknownTeamError: ``strict`` and some name matches no team.
    """
    if not unknown:
        return
    names = teams.lazy().select("team_name").collect().get_column("team_name").to_list()
    if strict:
        raise UnknownTeamError(unknown[0], closest(unknown[0], names))
    shown = unknown[:10]
    detail = "; ".join(
        f"{n!r} (closest: {', '.join(closest(n, names, 3)) or 'none'})" for n in shown
    )
    more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
    msg = (
        f"{len(unknown)} fixture team name(s) match no team, {consequence}: {detail}{more}. "
        "Hint: correct the names (case and accents do not matter), or pass strict=True to "
        "make this an error."
    )
    if stacklevel is None:
        from quantum_frames._warn import caller_stacklevel

        stacklevel = caller_stacklevel()
    warnings.warn(msg, UnresolvedTeamsWarning, stacklevel=stacklevel)
