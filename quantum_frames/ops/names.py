"""Name matching, the same everywhere.

Teams, leagues and tiers tolerate case and accents (teams also their aliases, and a ``team_id``
where a name is taken); tags are exact.

The alias table of the 96 teams ships as data (``quantum_frames/data/aliases.csv``:
``team_name,alias``); callers extend it with ``aliases=`` or ``q.with_aliases(...)``.
"""

from __future__ import annotations

import difflib
import functools
import threading
import unicodedata
import weakref
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from typing import Any, TypeAlias

import polars as pl

from quantum_frames.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    UnknownNameError,
    UnknownTeamError,
)

__all__ = [
    "AliasesArg",
    "as_aliases",
    "as_names",
    "check_alias_teams",
    "check_known",
    "closest",
    "default_aliases",
    "match_names",
    "name_ids",
    "name_key",
    "normalize",
    "resolve_team_ids",
    "team_keys",
]

#: Aliases as given by a caller: ``{"Liverpool": ["LFC", "The Reds"]}``, ``{"LFC":
#: "Liverpool"}`` is refused as ambiguous in direction — use the team name as the key; or a
#: frame with ``team_name`` and ``alias`` columns.
AliasesArg: TypeAlias = "Mapping[str, str | Sequence[str]] | pl.DataFrame | None"

_ALIAS_SCHEMA = pl.Schema({"team_name": pl.String(), "alias": pl.String()})


def normalize(name: str) -> str:
    """The matching key of one name: ``"  Atlético  Madrid"`` → ``"atletico madrid"``.

    Args:
        name: a team, league or tier name.

    Returns:
        The name without accents, in lower case, with single spaces.
    """
    folded = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def name_key(expr: pl.Expr) -> pl.Expr:
    """The same key as :func:`normalize`, vectorised.

    Args:
        expr: a String expression.

    Returns:
        The matching key of each value.
    """
    return (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


@functools.cache
def default_aliases() -> pl.DataFrame:
    """The shipped alias table of the 96 teams: ``team_name, alias`` (one row per alias).

    Returns:
        The table (a new frame is never needed: Polars frames are immutable).
    """
    text = resources.files("quantum_frames.data").joinpath("aliases.csv").read_bytes()
    return pl.read_csv(text, schema=_ALIAS_SCHEMA)


def as_aliases(aliases: AliasesArg, *, argument: str = "aliases") -> pl.DataFrame:
    """Aliases in any accepted form as a ``team_name, alias`` frame.

    Args:
        aliases: a mapping team name → alias(es), a frame with ``team_name`` and ``alias``
            columns, or None (no aliases).
        argument: the caller's argument name, for errors.

    Returns:
        One row per (team_name, alias).

    Raises:
        InvalidArgumentTypeError: aliases of another type.
        InvalidArgumentError: a frame without the two columns.
    """
    if aliases is None:
        return _ALIAS_SCHEMA.to_frame()
    if isinstance(aliases, pl.DataFrame):
        missing = [c for c in _ALIAS_SCHEMA if c not in aliases.columns]
        if missing:
            msg = (
                f"{argument}= as a frame needs the columns 'team_name' and 'alias'; it lacks "
                f"{missing}. Hint: pass a frame with those two columns, or a dict "
                "{'Liverpool': ['LFC']}."
            )
            raise InvalidArgumentError(msg, argument=argument)
        return aliases.select(pl.col(c).cast(pl.String) for c in _ALIAS_SCHEMA)
    if not isinstance(aliases, Mapping):
        msg = (
            f"{argument}= takes a dict {{team name: alias or list of aliases}} or a frame with "
            f"team_name and alias columns, got {type(aliases).__name__}. "
            "Hint: pass {'Liverpool': ['LFC', 'The Reds']}."
        )
        raise InvalidArgumentTypeError(msg, argument=argument)
    names: list[str] = []
    alias: list[str] = []
    for team, given in aliases.items():
        many = [given] if isinstance(given, str) else list(given)
        if not isinstance(team, str) or not all(isinstance(a, str) for a in many):
            msg = (
                f"{argument}= maps team names to aliases (strings), got {team!r}: {given!r}. "
                "Hint: pass {'Liverpool': ['LFC', 'The Reds']}."
            )
            raise InvalidArgumentTypeError(msg, argument=argument)
        names += [team] * len(many)
        alias += many
    return pl.DataFrame({"team_name": names, "alias": alias}, schema=_ALIAS_SCHEMA)


def check_alias_teams(teams: pl.DataFrame | pl.LazyFrame, aliases: pl.DataFrame) -> None:
    """Refuse aliases given for a team the data does not hold (a typo would be silent).

    Args:
        teams: the teams frame.
        aliases: ``team_name, alias`` rows given by the caller.

    Raises:
        UnknownTeamError: an alias's team_name is no team's name.
    """
    names = teams.lazy().select("team_name").collect().get_column("team_name")
    unknown = aliases.filter(~pl.col("team_name").is_in(names.implode()))
    if unknown.height:
        name = unknown.get_column("team_name").item(0)
        raise UnknownTeamError(name, closest(name, names.to_list()), argument="aliases")


#: key → team_id, the team ids, the team names, the ``(key, team_id, team_name)`` frame.
_Lookup: TypeAlias = "tuple[dict[str, int], set[int], list[str], pl.DataFrame]"

#: The columns a lookup is built from: the teams' (by identity of the frame), then the
#: aliases' (the shipped table's when None).
_KEY_COLUMNS = ("team_id", "team_name", "team_name_normalized")

#: Lookups of eager teams frames, by identity of (teams, aliases): a warm ``q.friction(a, b)``
#: must not rebuild the keys. Each entry holds the very columns it was built from and is used
#: only while the frames still hold equal ones (``Series.equals``: exact, a few µs), so a
#: frame changed in place (``df[0, "team_name"] = …``) is never looked up stale.
_LOOKUPS: dict[tuple[int, int], tuple[Any, Any, tuple[pl.Series, ...], _Lookup]] = {}
_LOOKUPS_LOCK = threading.Lock()


def _built_from(teams: pl.DataFrame, aliases: pl.DataFrame | None) -> tuple[pl.Series, ...]:
    """The columns a lookup of ``teams`` and ``aliases`` depends on (never copied)."""
    table = default_aliases() if aliases is None else aliases
    names = teams.columns
    mine = [teams.get_column(c) for c in _KEY_COLUMNS if c in names]
    return (*mine, *table.get_columns())


def _same_columns(held: tuple[pl.Series, ...], now: tuple[pl.Series, ...]) -> bool:
    return len(held) == len(now) and all(
        a.name == b.name and a.equals(b, check_dtypes=True, null_equal=True)
        for a, b in zip(held, now, strict=True)
    )


def _lookup(teams: pl.DataFrame | pl.LazyFrame, aliases: pl.DataFrame | None) -> _Lookup:
    """``(key → team_id, the team ids, the team names)``, cached for an eager frame."""
    if isinstance(teams, pl.LazyFrame):
        return _build_lookup(teams, aliases)
    slot = (id(teams), id(aliases))
    columns = _built_from(teams, aliases)
    with _LOOKUPS_LOCK:
        hit = _LOOKUPS.get(slot)
    same_aliases = hit is not None and (
        (hit[1] is None and aliases is None) or (hit[1] is not None and hit[1]() is aliases)
    )
    if hit is not None and same_aliases and hit[0]() is teams and _same_columns(hit[2], columns):
        return hit[3]
    built = _build_lookup(teams, aliases)
    with _LOOKUPS_LOCK:
        _LOOKUPS[slot] = (
            weakref.ref(teams),
            None if aliases is None else weakref.ref(aliases),
            columns,
            built,
        )
    weakref.finalize(teams, _LOOKUPS.pop, slot, None)
    return built


def _build_lookup(teams: pl.DataFrame | pl.LazyFrame, aliases: pl.DataFrame | None) -> _Lookup:
    keys = team_keys(teams, aliases)
    lookup = dict(zip(keys["key"].to_list(), keys["team_id"].to_list(), strict=True))
    known = set(teams.lazy().select("team_id").collect()["team_id"].to_list())
    names = teams.lazy().select("team_name").collect()["team_name"].drop_nulls().unique()
    return lookup, known, names.sort().to_list(), keys


def team_keys(
    teams: pl.DataFrame | pl.LazyFrame, aliases: pl.DataFrame | None = None
) -> pl.DataFrame:
    """``(key, team_id, team_name)``: every matching key of every team.

    A team's keys are its name, its ``team_name_normalized`` where present, and its aliases.
    A name always wins over an alias; a key two teams share at the same level is dropped as
    ambiguous.

    Args:
        teams: the teams frame (``team_id``, ``team_name``).
        aliases: ``team_name, alias`` rows (None: the shipped table).

    Returns:
        One row per usable key, sorted by key.
    """
    lf = teams.lazy()
    cols = lf.collect_schema().names()
    sources = ["team_name"] + (["team_name_normalized"] if "team_name_normalized" in cols else [])
    ids = lf.select("team_id", "team_name")
    table = default_aliases() if aliases is None else aliases
    parts = [
        lf.select(name_key(pl.col(c)).alias("key"), "team_id", "team_name", pl.lit(0).alias("lv"))
        for c in sources
    ]
    parts.append(
        table.lazy()
        .join(ids, on="team_name", how="inner")
        .select(
            name_key(pl.col("alias")).alias("key"), "team_id", "team_name", pl.lit(1).alias("lv")
        )
    )
    keys = (
        pl.concat(parts)
        .drop_nulls("key")
        .filter(pl.col("lv") == pl.col("lv").min().over("key"))
        .unique(["key", "team_id"])
    )
    return (
        keys.filter(pl.col("team_id").n_unique().over("key") == 1)
        .select("key", "team_id", "team_name")
        .collect()
        .sort("key")
    )


def name_ids(
    teams: pl.DataFrame | pl.LazyFrame,
    names: pl.LazyFrame,
    aliases: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """``(name, team_id)`` for each distinct value of the ``name`` column of ``names``.

    The tolerant key is computed once per distinct name, not once per row: a million
    fixtures name a few hundred teams. An integer ``name`` column is taken as team ids.

    Args:
        teams: the teams frame.
        names: a frame with a ``name`` column (String, or integer team ids).
        aliases: ``team_name, alias`` rows (None: the shipped table).

    Returns:
        A lazy frame ``(name, team_id)``; team_id null where nothing matches.
    """
    dtype = names.collect_schema()["name"]
    if dtype.is_integer():
        known = teams.lazy().select(pl.col("team_id"), pl.col("team_id").alias("__hit"))
        return (
            names.select("name")
            .unique()
            .drop_nulls()
            .join(
                known,
                left_on=pl.col("name").cast(pl.Int64),
                right_on=pl.col("team_id").cast(pl.Int64),
                how="left",
            )
            .select(pl.col("name").cast(pl.String), pl.col("__hit").alias("team_id"))
        )
    keys = _lookup(teams, aliases)[3].lazy().select("key", "team_id")
    distinct = names.select(pl.col("name").cast(pl.String)).unique().drop_nulls()
    return (
        distinct.with_columns(name_key(pl.col("name")).alias("key"))
        .join(keys, on="key", how="left")
        .select("name", "team_id")
    )


def closest(name: str, candidates: Iterable[str], n: int = 5) -> list[str]:
    """The candidates closest to ``name`` (compared on their matching keys).

    Args:
        name: the name that matched nothing.
        candidates: the names that exist.
        n: at most this many.

    Returns:
        The closest candidates, best first.
    """
    by_key: dict[str, str] = {}
    for c in candidates:
        by_key.setdefault(normalize(c), c)
    key = normalize(name)
    hits = difflib.get_close_matches(key, list(by_key), n=n, cutoff=0.5)
    hits += [k for k in by_key if key and key in k and k not in hits]
    return [by_key[k] for k in hits[:n]]


def as_names(values: Sequence[Any], *, argument: str, kind: str, ids: bool = False) -> list[Any]:
    """The names given as ``*args``, a list or a mix of both, checked to be strings.

    Args:
        values: the positional arguments as received (each a name or a list/tuple/set).
        argument: the caller's argument name, for errors.
        kind: what is named ("tier", "league", "tag", "team").
        ids: also accept integers (team ids).

    Returns:
        The names, flattened, in order.

    Raises:
        InvalidArgumentError: no name at all.
        InvalidArgumentTypeError: a value that is not a string (or an id when ``ids``).
    """
    out: list[Any] = []
    for value in values:
        many = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        for v in many:
            ok = isinstance(v, str) or (ids and isinstance(v, int) and not isinstance(v, bool))
            if not ok:
                what = "a string or a team_id" if ids else "a string"
                msg = (
                    f"{argument}: a {kind} is named by {what}, got "
                    f"{type(v).__name__} {v!r}. Hint: pass {kind} names, e.g. "
                    f"{_example(kind)} (several as separate arguments or one list)."
                )
                raise InvalidArgumentTypeError(msg, argument=argument)
            out.append(v)
    if not out:
        msg = f"{argument}: give at least one {kind}. Hint: e.g. {_example(kind)}."
        raise InvalidArgumentError(msg, argument=argument)
    return out


def _example(kind: str) -> str:
    return {
        "tier": "'ELITE' or ['ELITE', 'TOP6']",
        "league": "'Serie A' or ['Serie A', 'La Liga']",
        "tag": "'GEGENPRESS' or 'GK_*'",
        "team": "'Liverpool'",
    }.get(kind, repr(kind))


def resolve_team_ids(
    teams: pl.DataFrame | pl.LazyFrame,
    names: Sequence[str | int],
    *,
    aliases: pl.DataFrame | None = None,
    argument: str = "team",
    arguments: Sequence[str] | None = None,
) -> list[int]:
    """The team_id of each name (or team_id); an unknown one is an :class:`UnknownTeamError`.

    Args:
        teams: the teams frame.
        names: team names (case, accents and aliases tolerated) or team ids.
        aliases: ``team_name, alias`` rows (None: the shipped table).
        argument: the caller's argument name, for errors.
        arguments: one argument name per name instead (``["home", "away"]``).

    Returns:
        One team_id per name.

    Raises:
        InvalidArgumentTypeError: a name that is neither a string nor an integer.
        UnknownTeamError: a name (or id) that matches no team, with the closest names.
    """
    lookup, known_ids, candidates, _ = _lookup(teams, aliases)
    ids = []
    for i, name in enumerate(names):
        if arguments is not None:
            argument = arguments[i]
        if isinstance(name, int) and not isinstance(name, bool):
            if name not in known_ids:
                raise UnknownTeamError(str(name), [], argument=argument)
            ids.append(name)
            continue
        if not isinstance(name, str):
            msg = (
                f"{argument}: a team is named by a string or a team_id, got "
                f"{type(name).__name__}: {name!r}. Hint: pass e.g. 'Liverpool'."
            )
            raise InvalidArgumentTypeError(msg, argument=argument)
        found = lookup.get(normalize(name))
        if found is None:
            raise UnknownTeamError(name, closest(name, candidates), argument=argument)
        ids.append(int(found))
    return ids


def match_names(
    kind: str,
    wanted: Sequence[str],
    known: Sequence[str],
    *,
    argument: str,
    hint: str = "",
) -> list[str]:
    """Each wanted name as the known name it means, ignoring case and accents.

    Args:
        kind: what is named ("league", "tier").
        wanted: the names as given.
        known: the names the data holds.
        argument: the caller's argument name, for errors.
        hint: said after the suggestions when a name is unknown.

    Returns:
        The known names, in the order wanted.

    Raises:
        UnknownNameError: a name that matches none of ``known`` (with the closest).
    """
    by_key: dict[str, str] = {}
    for k in known:
        by_key.setdefault(normalize(k), k)
    out = []
    for name in wanted:
        hit = by_key.get(normalize(name))
        if hit is None:
            raise UnknownNameError(kind, name, closest(name, known), hint=hint, argument=argument)
        out.append(hit)
    return out


def check_known(
    kind: str,
    wanted: Sequence[str],
    known: Sequence[str],
    *,
    hint: Any = "",
    argument: str | None = None,
) -> None:
    """Raise :class:`UnknownNameError` for the first of ``wanted`` not in ``known`` (exact).

    Args:
        kind: what is named ("tag", "vector").
        wanted: the names as given.
        known: the names that exist.
        hint: said after the suggestions (a str or a ``said(...)`` message).
        argument: the caller's argument name, for errors.

    Raises:
        UnknownNameError: a name not in ``known``.
    """
    have = set(known)
    for name in wanted:
        if name not in have:
            raise UnknownNameError(kind, name, closest(name, known), hint=hint, argument=argument)
