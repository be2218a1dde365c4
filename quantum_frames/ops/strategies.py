"""Strategies: per team, by conviction, and the best one for a context (SPEC §4)."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import polars as pl

from quantum_frames._typing import FrameT
from quantum_frames.ops.friction import report_unknown_teams
from quantum_frames.ops.names import name_ids, resolve_team_ids

__all__ = ["best_strategies", "best_strategy", "strategies_by_conviction", "strategies_for"]

FILTERS = "context_filters"
_ORDER = ("conviction", "roi", "strategy_id")


def strategies_for(strategies: FrameT, teams: pl.DataFrame, /, team: str) -> FrameT:
    """The strategies of one team (matched ignoring case and accents), highest conviction first."""
    (team_id,) = resolve_team_ids(teams, [team])
    return strategies.filter(pl.col("team_id") == team_id).sort(
        "conviction", descending=True, nulls_last=True
    )


def strategies_by_conviction(strategies: FrameT, /, min_conviction: float) -> FrameT:
    """Strategies with conviction ≥ ``min_conviction``, highest first."""
    if isinstance(min_conviction, bool) or not isinstance(min_conviction, int | float):
        msg = f"min_conviction must be a number (conviction is 0–100), got {min_conviction!r}."
        raise ValueError(msg)
    return strategies.filter(pl.col("conviction") >= float(min_conviction)).sort(
        "conviction", descending=True, nulls_last=True
    )


def best_strategy(
    strategies: pl.DataFrame,
    strategies_raw: pl.DataFrame,
    teams: pl.DataFrame,
    /,
    team: str,
    context: Mapping[str, Any] | None = None,
    *,
    separator: str = ".",
    json_columns: Collection[str] = (),
) -> dict[str, Any] | None:
    """The best active strategy of ``team`` for ``context``, as a dict (JSON nested back), or None.

    A strategy applies when every key of its ``context_filters`` is in ``context`` with an
    equal value, or — for a list filter — a value the list contains; empty or NULL filters
    always apply. Among those: highest conviction, then higher roi, then lower strategy_id.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> best = q.best_strategy("Liverpool", {"venue": "home", "opponent_tier": "ELITE"})
        >>> sorted(k for k in best if k in ("strategy_name", "conviction"))
        ['conviction', 'strategy_name']
    """
    if context is not None and not isinstance(context, Mapping):
        msg = f"context must be a mapping like {{'venue': 'home'}}, got {type(context).__name__}."
        raise TypeError(msg)
    resolve_team_ids(teams, [team])  # a clear UnknownTeamError first
    flat_context = _flatten_context(context or {}, separator)
    fixture = pl.DataFrame([{"team": team, **flat_context}])
    chosen = best_strategies(strategies, teams, fixture, separator=separator)
    strategy_id = chosen.get_column("strategy_id").item()
    if strategy_id is None:
        return None
    row = strategies_raw.filter(pl.col("strategy_id") == strategy_id).row(0, named=True)
    return {
        k: json.loads(v) if k in json_columns and isinstance(v, str) else v for k, v in row.items()
    }


def best_strategies(
    strategies: pl.DataFrame | pl.LazyFrame,
    teams: pl.DataFrame | pl.LazyFrame,
    fixtures: FrameT,
    /,
    *,
    team: str = "team",
    separator: str = ".",
    columns: Sequence[str] = ("strategy_id", "strategy_name", "market_type", "conviction", "roi"),
    strict: bool = False,
) -> FrameT:
    """For each fixture row, the best active strategy of its ``team`` for the row's context.

    The context of a row is its other columns: a column named like a filter key
    (``venue``, ``opponent_tier``; nested keys joined by ``separator``) is that key's value.
    Matching and tie-breaks are those of :func:`best_strategy`. Every fixture row is kept, in
    order, with ``columns`` of the chosen strategy (nulls where none applies or the team is
    unknown). A team name that matches no team is reported in an
    :class:`~quantum_frames.ops.friction.UnresolvedTeamsWarning` naming it and its closest
    matches (``strict=True``: an :class:`~quantum_frames.errors.UnknownTeamError`), for eager
    and lazy fixtures alike (a lazy frame's distinct names are collected for the check).

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> q = qf.sample()
        >>> fixtures = pl.DataFrame({"team": ["Liverpool", "Arsenal"], "venue": ["home", "away"]})
        >>> q.best_strategies(fixtures).columns[:3]
        ['team', 'venue', 'strategy_id']
    """
    fx = fixtures.lazy()
    fx_schema = fx.collect_schema()
    if team not in fx_schema:
        msg = f"team={team!r} is not a column of the fixtures (columns: {fx_schema.names()})."
        raise ValueError(msg)
    st = strategies.lazy()
    st_schema = st.collect_schema()
    prefix = FILTERS + separator
    filter_cols: list[str] = [c for c in st_schema.names() if c.startswith(prefix)]
    conditions = [_applies(c, st_schema[c], c[len(prefix) :], fx_schema) for c in filter_cols]
    active = pl.col("is_active").fill_null(False) if "is_active" in st_schema else pl.lit(True)
    wanted: list[str] = [c for c in columns if c in st_schema]
    order: list[str] = [c for c in _ORDER if c in st_schema]
    # Each team's candidates best first, once (a few per team); the joins below keep that
    # order within each fixture row, so the first row that applies is the best — no sort of
    # the (fixtures × candidates) rows.
    candidates = (
        st.filter(active)
        .select(
            pl.col("team_id").alias("__team_id"),
            *[pl.col(c).alias(f"__s_{c}") for c in dict.fromkeys([*wanted, *order, *filter_cols])],
        )
        .sort(
            [f"__s_{c}" for c in order],
            descending=[c != "strategy_id" for c in order],
            nulls_last=True,
            maintain_order=True,
        )
    )
    ids = name_ids(teams, fx.select(pl.col(team).alias("name"))).select(
        pl.col("name").alias("__name"), pl.col("team_id").alias("__team_id")
    )
    _check_names(ids, teams, strict=strict)
    rows = fx.with_row_index("__row").with_columns(pl.col(team).cast(pl.String).alias("__name"))
    matched = (
        rows.select("__row", "__name", *[c for c in fx_schema.names() if c != team])
        .join(ids, on="__name", how="inner", maintain_order="left")
        .join(candidates, on="__team_id", how="inner", maintain_order="left_right")
        .filter(pl.all_horizontal(conditions) if conditions else pl.lit(True))
        .unique("__row", keep="first", maintain_order=True)
        .select("__row", *[pl.col(f"__s_{c}").alias(c) for c in wanted])
    )
    out = rows.join(matched, on="__row", how="left", maintain_order="left").drop("__row", "__name")
    return out.collect(engine="in-memory") if isinstance(fixtures, pl.DataFrame) else out


def _check_names(ids: pl.LazyFrame, teams: pl.DataFrame | pl.LazyFrame, *, strict: bool) -> None:
    unknown = ids.filter(pl.col("__team_id").is_null()).select("__name").collect()
    report_unknown_teams(
        sorted(unknown.get_column("__name").to_list()),
        teams,
        strict=strict,
        consequence="their rows have no strategy",
        stacklevel=4,
    )


def _applies(column: str, dtype: pl.DataType, key: str, fixture_schema: pl.Schema) -> pl.Expr:
    """The condition that the strategy's filter ``column`` admits the fixture's value."""
    mine = pl.col(f"__s_{column}")
    absent = mine.is_null()
    if isinstance(dtype, pl.List) and dtype.inner == pl.Null:
        absent = absent | (mine.list.len() == 0)
    if key not in fixture_schema:
        return absent
    value = pl.col(key)
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        hit = (
            mine.list.contains(value.cast(inner, strict=False))
            if inner != pl.Null
            else pl.lit(False)
        )
    elif dtype == pl.String and fixture_schema[key] != pl.String:
        hit = mine == value.cast(pl.String)
    elif dtype == pl.String:
        # a conflict column holds JSON text: compare the JSON form too
        as_json = pl.concat_str(pl.lit('"'), value, pl.lit('"'))
        hit = (
            (mine == value)
            | (mine == as_json)
            | (mine.str.starts_with("[") & mine.str.contains(as_json, literal=True))
        )
    else:
        hit = mine == value.cast(dtype, strict=False)
    return absent | hit.fill_null(False)


def _flatten_context(
    context: Mapping[str, Any], separator: str, prefix: str = ""
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in context.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten_context(value, separator, name + separator))
        else:
            out[name] = value
    return out
