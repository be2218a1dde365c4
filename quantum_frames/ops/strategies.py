"""Strategies: per team, by conviction, and the best one for a context."""

from __future__ import annotations

import json
import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames.errors import InvalidArgumentError, InvalidArgumentTypeError, MissingColumnError
from quantum_frames.ops._frames import as_polars, derived, equal_to
from quantum_frames.ops.friction import check_scale, report_unknown_teams
from quantum_frames.ops.names import closest, name_ids, resolve_team_ids

if TYPE_CHECKING:
    from quantum_frames._typing import FrameT

__all__ = [
    "ContextWarning",
    "ScaleWarning",
    "best_strategies",
    "best_strategy",
    "check_context",
    "strategies_by_conviction",
    "strategies_for",
]

FILTERS = "context_filters"
_ORDER = ("conviction", "roi", "strategy_id")


class ContextWarning(UserWarning):
    """A strategy context names a key no strategy filters on, or a value no filter uses."""


class ScaleWarning(UserWarning):
    """A threshold that looks like it is on another scale (0.6 where the column runs 0–100)."""


def strategies_for(
    strategies: FrameT,
    teams: pl.DataFrame,
    /,
    team: str | int,
    *,
    aliases: pl.DataFrame | None = None,
) -> FrameT:
    """The strategies of one team, highest conviction first.

    Args:
        strategies: the strategies frame (eager or lazy).
        teams: the teams frame (for the names).
        team: a team name (case, accents, aliases tolerated) or a team_id.
        aliases: ``team_name, alias`` rows (None: the shipped table).
        strict: raise :class:`~quantum_frames.errors.UnknownTeamError` for an unknown team
            instead of warning.

    Returns:
        The team's strategies.

    Raises:
        UnknownTeamError: the team matches no team.
    """
    (team_id,) = resolve_team_ids(teams, [team], aliases=aliases)
    return strategies.filter(pl.col("team_id") == team_id).sort(
        "conviction", descending=True, nulls_last=True
    )


def strategies_by_conviction(strategies: FrameT, /, min_conviction: float) -> FrameT:
    """Strategies with conviction ≥ ``min_conviction``, highest first.

    Conviction runs 0–100: a value outside is refused, and one strictly between 0 and 1
    (a fraction, as friction_score is) warns with what it keeps.

    Args:
        strategies: the strategies frame (eager or lazy).
        min_conviction: the lowest conviction kept, in [0, 100].

    Returns:
        The strategies, highest conviction first.

    Raises:
        InvalidArgumentTypeError: not a number.
        InvalidArgumentError: outside [0, 100].
    """
    limit = check_scale(
        min_conviction, argument="min_conviction", low=0, high=100, what="conviction is 0–100"
    )
    if 0 < limit < 1:
        msg = (
            f"min_conviction={min_conviction!r} looks like a fraction, but conviction runs "
            f"0–100, so it keeps nearly every strategy. Hint: pass {limit * 100:g} for "
            f"{limit:.0%}."
        )
        warnings.warn(msg, ScaleWarning, stacklevel=3)
    return strategies.filter(pl.col("conviction") >= limit).sort(
        "conviction", descending=True, nulls_last=True
    )


def best_strategy(
    strategies: pl.DataFrame,
    strategies_raw: pl.DataFrame,
    teams: pl.DataFrame,
    /,
    team: str | int,
    context: Mapping[str, Any] | None = None,
    *,
    separator: str = ".",
    json_columns: Collection[str] = (),
    strict: bool = False,
    aliases: pl.DataFrame | None = None,
) -> dict[str, Any] | None:
    """The best active strategy of ``team`` for ``context``, as a dict (JSON nested back), or None.

    A strategy applies when every key of its ``context_filters`` is in ``context`` with an
    equal value, or — for a list filter — a value the list contains; empty or NULL filters
    always apply. Among those: highest conviction, then higher roi, then lower strategy_id.
    A context key no strategy filters on, or a value that no filter uses but that looks
    like one that does (``"Home"`` or ``"hme"`` where the filters say ``"home"``), would
    silently pick a catch-all strategy: it warns (:class:`ContextWarning`, naming the known
    keys and values), or raises with ``strict``. A value unlike any filter's (``"MID"`` when
    the filters name ELITE and TOP6) is a context like any other: no warning.

    Args:
        strategies: the flattened strategies frame.
        strategies_raw: the lossless strategies frame (for the dict).
        teams: the teams frame.
        team: a team name (case, accents, aliases tolerated) or a team_id.
        context: the context, e.g. ``{"venue": "home", "opponent_tier": "ELITE"}``.
        separator: the flatten separator of the frames.
        json_columns: the JSON columns of ``strategies_raw`` (nested back in the dict).
        strict: raise instead of warning on an unknown context key or value.
        aliases: ``team_name, alias`` rows (None: the shipped table).
        strict: raise :class:`~quantum_frames.errors.UnknownTeamError` for an unknown team
            instead of warning.

    Returns:
        The strategy as a dict, or None when none applies.

    Raises:
        UnknownTeamError: the team matches no team.
        InvalidArgumentTypeError: a context that is not a mapping.
        InvalidArgumentError: with ``strict``, an unknown context key or value.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> best = q.best_strategy("Liverpool", {"venue": "home", "opponent_tier": "ELITE"})
        >>> sorted(k for k in best if k in ("strategy_name", "conviction"))
        ['conviction', 'strategy_name']
    """
    if context is not None and not isinstance(context, Mapping):
        msg = (
            f"context must be a mapping like {{'venue': 'home'}}, got {type(context).__name__}. "
            "Hint: pass a dict of filter keys and values."
        )
        raise InvalidArgumentTypeError(msg, argument="context")
    (team_id,) = resolve_team_ids(teams, [team], aliases=aliases)  # a clear UnknownTeamError
    flat_context = _flatten_context(context or {}, separator)
    check_context(strategies, flat_context, separator=separator, strict=strict)
    fixture = pl.DataFrame([{"team": team_id, **flat_context}])
    strategy_id = _best_of_one_team(strategies, teams, fixture, team_id, separator)
    if strategy_id is _UNSURE:
        chosen = best_strategies(strategies, teams, fixture, separator=separator, aliases=aliases)
        strategy_id = chosen.get_column("strategy_id").item()
    if strategy_id is None:
        return None
    row = _raw_row(strategies_raw, strategy_id)
    return {
        k: json.loads(v) if k in json_columns and isinstance(v, str) else v for k, v in row.items()
    }


def _raw_row(strategies_raw: pl.DataFrame, strategy_id: Any) -> dict[str, Any]:
    """The first row of ``strategies_raw`` whose strategy_id is ``strategy_id``, as a dict."""
    if isinstance(strategies_raw, pl.DataFrame) and "strategy_id" in strategies_raw.columns:
        mask = equal_to(strategies_raw.get_column("strategy_id"), strategy_id)
        if mask is not None:
            at = mask.arg_true()
            if at.len():
                return strategies_raw.row(int(at[0]), named=True)
    return strategies_raw.filter(pl.col("strategy_id") == strategy_id).row(0, named=True)


#: :func:`_best_of_one_team` cannot say: the general query decides.
_UNSURE: Final = object()


def _best_of_one_team(
    strategies: pl.DataFrame | pl.LazyFrame,
    teams: pl.DataFrame | pl.LazyFrame,
    fixture: pl.DataFrame,
    team_id: int,
    separator: str,
) -> Any:
    """The strategy_id :func:`best_strategies` picks for ``fixture`` (one row), in one query.

    ``fixture`` is the one row of a known ``team_id``: no names to match, so the team's own
    few strategies stand in for the join of every fixture row with every team's candidates
    (same filters, same conditions, same order, the first that applies). :data:`_UNSURE`
    where the general query could differ: lazy frames, team ids of different dtypes (its
    join would refuse them), a column name of its own (``__…``) or a ``team`` filter.
    """
    if not isinstance(strategies, pl.DataFrame) or not isinstance(teams, pl.DataFrame):
        return _UNSURE
    st_schema = strategies.schema
    fx_schema = fixture.schema
    if (
        "team_id" not in st_schema
        or "team_id" not in teams.columns
        or st_schema["team_id"] != teams.get_column("team_id").dtype
        or "strategy_id" not in st_schema
        or any(c.startswith("__") for c in fx_schema)
    ):
        return _UNSURE
    prefix = FILTERS + separator
    filter_cols: list[str] = [c for c in st_schema if c.startswith(prefix)]
    if any(c[len(prefix) :] == "team" for c in filter_cols):
        return _UNSURE
    mine = equal_to(strategies.get_column("team_id"), team_id)
    if mine is None:
        return _UNSURE
    if "is_active" in st_schema:
        if st_schema["is_active"] != pl.Boolean:
            return _UNSURE
        mine = mine & strategies.get_column("is_active")  # a null drops the row, as False
    conditions = [_applies(c, st_schema[c], c[len(prefix) :], fx_schema) for c in filter_cols]
    order: list[str] = [c for c in _ORDER if c in st_schema]
    # the team's few candidates, each beside the fixture's row (what the join gives)
    mine_cols = [
        strategies.get_column(c).filter(mine).alias(f"__s_{c}")
        for c in dict.fromkeys(["strategy_id", *order, *filter_cols])
    ]
    height = mine_cols[0].len()
    if not height:
        return None
    if conditions:
        beside = pl.DataFrame(
            [*mine_cols, *(fixture.get_column(c).new_from_index(0, height) for c in fx_schema)]
        )
        applies = beside.select(pl.all_horizontal(conditions)).to_series()
        mine_cols = [s.filter(applies) for s in mine_cols]
        if not mine_cols[0].len():
            return None
    # the best of those that apply: a stable sort (sorting all, then keeping those that
    # apply, as the general query does, leaves them in this order)
    ranked = pl.DataFrame(mine_cols).sort(
        [f"__s_{c}" for c in order],
        descending=[c != "strategy_id" for c in order],
        nulls_last=True,
        maintain_order=True,
    )
    return ranked.get_column("__s_strategy_id").item(0)


def check_context(
    strategies: pl.DataFrame | pl.LazyFrame,
    context: Mapping[str, Any],
    *,
    separator: str = ".",
    strict: bool = False,
) -> None:
    """Warn (or raise) for context keys no strategy filters on and values no filter uses.

    Args:
        strategies: the flattened strategies frame.
        context: the flat context (nested keys joined by ``separator``).
        separator: the flatten separator.
        strict: raise :class:`InvalidArgumentError` instead of warning.

    Raises:
        InvalidArgumentError: with ``strict``, an unknown key or value.
    """
    if not context:
        return
    lf = strategies.lazy()
    prefix = FILTERS + separator
    schema = lf.collect_schema()
    keys = {c[len(prefix) :]: c for c in schema.names() if c.startswith(prefix)}
    problems: list[str] = []
    unknown = [k for k in context if k not in keys]
    if unknown:
        problems.append(
            f"no strategy filters on {', '.join(map(repr, unknown))} "
            f"(the filter keys are {', '.join(map(repr, sorted(keys))) or 'none'})"
        )
    asked = {k: v for k, v in context.items() if k in keys and v is not None}
    if asked:
        used = _used_values(strategies, [keys[k] for k in asked], schema)
        for key, value in asked.items():
            values = list(used[keys[key]])
            if value in values or str(value) in map(str, values):
                continue
            # a value no filter names is a legitimate context ("MID" when the filters name
            # ELITE and TOP6); one that looks like a used value is a typo ("Home", "hme")
            if closest(str(value), [str(v) for v in values], 1):
                shown = ", ".join(map(repr, sorted(values, key=str)[:12]))
                problems.append(f"no filter on {key!r} uses {value!r} (its values: {shown})")
    if not problems:
        return
    head = "the context would pick a strategy that ignores it: " + "; ".join(problems) + "."
    if strict:
        msg = head + " Hint: use the filter keys and values listed (values are exact)."
        raise InvalidArgumentError(msg, argument="context")
    msg = head + " Hint: use the keys and values listed, or pass strict=True to refuse."
    warnings.warn(msg, ContextWarning, stacklevel=4)


def _used_values(
    strategies: pl.DataFrame | pl.LazyFrame, columns: list[str], schema: pl.Schema
) -> dict[str, tuple[Any, ...]]:
    """The distinct non-null values of each filter column (a list column's items).

    For an eager frame, derived once per content of each column (:func:`derived`).
    """

    def expr(c: str) -> pl.Expr:
        col = pl.col(c).explode() if isinstance(schema[c], pl.List) else pl.col(c)
        return col.drop_nulls().unique().implode()

    if isinstance(strategies, pl.DataFrame):
        frame = strategies
        return {
            c: derived(
                frame,
                "filter values",
                [c],
                lambda c=c: tuple(frame.select(expr(c)).item().to_list()),  # type: ignore[misc]
            )
            for c in columns
        }
    used = strategies.select(expr(c) for c in columns).collect()
    return {c: tuple(used.get_column(c).item().to_list()) for c in columns}


def best_strategies(
    strategies: pl.DataFrame | pl.LazyFrame,
    teams: pl.DataFrame | pl.LazyFrame,
    fixtures: FrameT,
    /,
    *,
    team: str = "team",
    separator: str = ".",
    columns: Sequence[str] = ("strategy_id", "strategy_name", "market_type", "conviction", "roi"),
    aliases: pl.DataFrame | None = None,
    strict: bool = False,
) -> FrameT:
    """For each fixture row, the best active strategy of its ``team`` for the row's context.

    The context of a row is its other columns: a column named like a filter key
    (``venue``, ``opponent_tier``; nested keys joined by ``separator``) is that key's value.
    Matching and tie-breaks are those of :func:`best_strategy`. Every fixture row is kept, in
    order, with ``columns`` of the chosen strategy (nulls where none applies or the team is
    unknown). The team column may hold names (case, accents, aliases tolerated) or team ids.
    A team name that matches no team is reported in an
    :class:`~quantum_frames.ops.friction.UnresolvedTeamsWarning` naming it and its closest
    matches (``strict=True``: an :class:`~quantum_frames.errors.UnknownTeamError`), for eager
    and lazy fixtures alike (a lazy frame's distinct names are collected for the check).

    Args:
        strategies: the flattened strategies frame.
        teams: the teams frame.
        fixtures: one row per (team, context): Polars eager or lazy, pandas or pyarrow.
        team: the column of team names (or ids).
        separator: the flatten separator of the frames.
        columns: the strategy columns to add.
        aliases: ``team_name, alias`` rows (None: the shipped table).
        strict: raise :class:`~quantum_frames.errors.UnknownTeamError` for an unknown team
            instead of warning.

    Returns:
        The fixtures with the chosen strategy's columns, eager or lazy as given.

    Raises:
        MissingColumnError: ``team`` is not a column of the fixtures.
        UnknownTeamError: with ``strict=True``, a team the data does not hold.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> q = qf.sample()
        >>> fixtures = pl.DataFrame({"team": ["Liverpool", "Arsenal"], "venue": ["home", "away"]})
        >>> q.best_strategies(fixtures).columns[:3]
        ['team', 'venue', 'strategy_id']
    """
    given = as_polars(fixtures, argument="fixtures")
    fx = given.lazy()
    fx_schema = fx.collect_schema()
    if team not in fx_schema:
        err = MissingColumnError.in_frame("fixtures", team, fx_schema.names(), argument="team")
        raise err
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
    ids = name_ids(teams, fx.select(pl.col(team).alias("name")), aliases).select(
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
    if isinstance(given, pl.LazyFrame):
        return out  # type: ignore[return-value]  # lazy in, lazy out
    return out.collect(engine="in-memory")  # type: ignore[return-value]


def _check_names(ids: pl.LazyFrame, teams: pl.DataFrame | pl.LazyFrame, *, strict: bool) -> None:
    unknown = ids.filter(pl.col("__team_id").is_null()).select("__name").collect()
    report_unknown_teams(
        sorted(unknown.get_column("__name").to_list()),
        teams,
        strict=strict,
        consequence="their rows have no strategy",
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
