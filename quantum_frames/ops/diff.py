"""What changed between two loads or snapshots, one row per change."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames

__all__ = ["DIFF_SCHEMA", "diff"]

#: One row per change. ``key`` names the row (team, "home → away", strategy); ``old``/``new``
#: hold the values as text (JSON for lists and structs).
DIFF_SCHEMA: Final = pl.Schema(
    [
        ("table", pl.String()),
        ("kind", pl.String()),
        ("key", pl.String()),
        ("column", pl.String()),
        ("old", pl.String()),
        ("new", pl.String()),
    ]
)

_TAGS: Final = "narrative_fingerprint_tags"
_pair: Final = ["team_home_id", "team_away_id"]
_strategy: Final = ["team_id", "strategy_name"]


def diff(old: QuantumFrames, new: QuantumFrames) -> pl.DataFrame:
    """Every change from ``old`` to ``new``.

    Kinds: ``team_added``, ``team_removed``, ``tier_changed``, ``tag_added``, ``tag_removed``,
    ``value_changed`` (any other flattened value, per table), ``column_added``,
    ``column_removed``, ``friction_moved`` (a pair's friction_score), ``row_added``,
    ``row_removed`` (friction pairs, strategies).

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.diff(q).is_empty()
        True
    """
    parts = [
        *_rows("teams", old.teams, new.teams, ["team_id"], _team_key, "team"),
        *_tier_and_tags(old.teams, new.teams),
        *_values("teams", old.teams, new.teams, ["team_id"], _team_key, skip={"tier", _TAGS}),
        *_rows("friction", old.friction.frame, new.friction.frame, _pair, _pair_key, "row"),
        *_values(
            "friction",
            old.friction.frame,
            new.friction.frame,
            _pair,
            _pair_key,
            moved="friction_score",
        ),
        *_rows("strategies", old.strategies, new.strategies, _strategy, _strategy_key, "row"),
        *_values("strategies", old.strategies, new.strategies, _strategy, _strategy_key),
    ]
    return (
        pl.concat([p.select(DIFF_SCHEMA.names()).cast(DIFF_SCHEMA) for p in parts])
        if parts
        else DIFF_SCHEMA.to_frame()
    )


def _team_key(frame: pl.DataFrame) -> pl.Expr:
    return (
        pl.col("team_name") if "team_name" in frame.columns else pl.col("team_id").cast(pl.String)
    )


def _pair_key(frame: pl.DataFrame) -> pl.Expr:
    if {"team_home_name", "team_away_name"} <= set(frame.columns):
        return pl.concat_str("team_home_name", pl.lit(" → "), "team_away_name")
    return pl.concat_str(
        pl.col("team_home_id").cast(pl.String),
        pl.lit(" → "),
        pl.col("team_away_id").cast(pl.String),
    )


def _strategy_key(frame: pl.DataFrame) -> pl.Expr:
    who = pl.col("team_name") if "team_name" in frame.columns else pl.col("team_id").cast(pl.String)
    return pl.concat_str(who, pl.lit(" / "), pl.col("strategy_name"))


KeyOf = Callable[[pl.DataFrame], pl.Expr]


def _rows(
    table: str, old: pl.DataFrame, new: pl.DataFrame, keys: Sequence[str], key_of: KeyOf, noun: str
) -> list[pl.DataFrame]:
    if not set(keys) <= set(old.columns) & set(new.columns):
        return []
    added = new.join(old.select(keys), on=keys, how="anti")
    removed = old.join(new.select(keys), on=keys, how="anti")
    return [
        frame.select(
            pl.lit(table).alias("table"),
            pl.lit(f"{noun}_{kind}").alias("kind"),
            key_of(frame).alias("key"),
            pl.lit(None, pl.String).alias("column"),
            pl.lit(None, pl.String).alias("old"),
            pl.lit(None, pl.String).alias("new"),
        )
        for kind, frame in (("added", added), ("removed", removed))
        if frame.height
    ]


def _tier_and_tags(old: pl.DataFrame, new: pl.DataFrame) -> list[pl.DataFrame]:
    both = old.join(new, on="team_id", how="inner", suffix="__new")
    out = []
    if "tier" in old.columns and "tier" in new.columns:
        out.append(
            both.filter(pl.col("tier").ne_missing(pl.col("tier__new"))).select(
                pl.lit("teams").alias("table"),
                pl.lit("tier_changed").alias("kind"),
                pl.col("team_name__new" if "team_name__new" in both.columns else "team_name").alias(
                    "key"
                ),
                pl.lit("tier").alias("column"),
                pl.col("tier").alias("old"),
                pl.col("tier__new").alias("new"),
            )
        )
    if _TAGS in old.columns and _TAGS in new.columns:
        name = pl.col("team_name__new" if "team_name__new" in both.columns else "team_name")
        for kind, mine, theirs in (
            ("tag_added", f"{_TAGS}__new", _TAGS),
            ("tag_removed", _TAGS, f"{_TAGS}__new"),
        ):
            out.append(
                both.select(
                    name.alias("key"),
                    pl.col(mine).list.set_difference(pl.col(theirs).fill_null([])).alias("tag"),
                )
                .explode("tag")
                .drop_nulls("tag")
                .select(
                    pl.lit("teams").alias("table"),
                    pl.lit(kind).alias("kind"),
                    "key",
                    pl.lit(_TAGS).alias("column"),
                    (pl.col("tag") if kind == "tag_removed" else pl.lit(None, pl.String)).alias(
                        "old"
                    ),
                    (pl.col("tag") if kind == "tag_added" else pl.lit(None, pl.String)).alias(
                        "new"
                    ),
                )
            )
    return out


def _values(
    table: str,
    old: pl.DataFrame,
    new: pl.DataFrame,
    keys: Sequence[str],
    key_of: KeyOf,
    *,
    skip: set[str] | None = None,
    moved: str | None = None,
) -> list[pl.DataFrame]:
    if not set(keys) <= set(old.columns) & set(new.columns):
        return []
    skip = set(skip or ()) | set(keys)
    common = [c for c in old.columns if c in new.columns and c not in skip]
    out = [
        _column_change(table, kind, cols)
        for kind, cols in (
            ("column_added", [c for c in new.columns if c not in old.columns]),
            ("column_removed", [c for c in old.columns if c not in new.columns]),
        )
        if cols
    ]
    if not common:
        return out
    long_old = _long(old, keys, key_of, common)
    long_new = _long(new, keys, key_of, common)
    changed = long_old.join(long_new, on=[*keys, "column"], how="inner", suffix="__new").filter(
        pl.col("value").ne_missing(pl.col("value__new"))
    )
    kind = (
        pl.when(pl.col("column") == moved)
        .then(pl.lit("friction_moved"))
        .otherwise(pl.lit("value_changed"))
        if moved
        else pl.lit("value_changed")
    )
    out.append(
        changed.select(
            pl.lit(table).alias("table"),
            kind.alias("kind"),
            pl.col("key__new").alias("key"),
            "column",
            pl.col("value").alias("old"),
            pl.col("value__new").alias("new"),
        )
    )
    return out


def _column_change(table: str, kind: str, columns: Sequence[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table": table,
            "kind": kind,
            "key": None,
            "column": list(columns),
            "old": None,
            "new": None,
        },
        schema=DIFF_SCHEMA,
    )


def _long(
    frame: pl.DataFrame, keys: Sequence[str], key_of: KeyOf, columns: Sequence[str]
) -> pl.DataFrame:
    schema = frame.schema  # built on each access: once
    text = [_as_text(c, schema[c]) for c in columns]
    return frame.select(*keys, key_of(frame).alias("key"), *text).unpivot(
        index=[*keys, "key"], on=list(columns), variable_name="column", value_name="value"
    )


def _as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """A column as comparable text: scalars cast, nested values as JSON."""
    if isinstance(dtype, pl.List | pl.Array | pl.Struct):
        prefix = "{" + json.dumps(column, ensure_ascii=False) + ":"
        encoded = pl.struct(pl.col(column)).struct.json_encode()
        return encoded.str.strip_prefix(prefix).str.strip_suffix("}").alias(column)
    if dtype == pl.Null:
        return pl.lit(None, pl.String).alias(column)
    return pl.col(column).cast(pl.String).alias(column)
