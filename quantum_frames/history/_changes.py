"""Change sets: the keys inserted, updated and deleted between two moments of a table.

A row is identified by its table's primary key (``team_id``, ``friction_id``,
``strategy_id``; for drifted tables without them, the natural key the SPEC names). An updated
row lists the flat columns whose value changed; a column added, removed or retyped between the
moments counts as changed in the rows where it holds a value (on either side). Everything is
one join and column expressions — no row loop.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Final

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["CHANGE_SCHEMA", "ChangeSetWarning", "change_set", "table_key"]

#: Key candidates per flat table, tried in order: the first whose columns exist and hold
#: unique, non-null values identifies the rows.
KEY_CANDIDATES: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "teams": (("team_id",), ("team_name",)),
    "friction": (
        ("friction_id",),
        ("team_home_id", "team_away_id", "season"),
        ("team_home_id", "team_away_id"),
    ),
    "strategies": (
        ("strategy_id",),
        ("team_id", "strategy_name", "season"),
        ("team_id", "strategy_name"),
    ),
}

#: The change-set frame: one row per inserted, updated or deleted key.
CHANGE_SCHEMA: Final = pl.Schema(
    {
        "table": pl.String(),
        "key": pl.String(),
        "change": pl.String(),
        "columns": pl.List(pl.String()),
    }
)

_OLD: Final = "\x00qf_old\x00"


class ChangeSetWarning(UserWarning):
    """A table's rows could not be identified (no unique key): no change set for it."""


def table_key(name: str, frame: pl.DataFrame) -> tuple[str, ...] | None:
    """The key columns of ``frame`` (table ``name``), or None when no candidate is unique."""
    for key in KEY_CANDIDATES.get(name, ()):
        if not all(c in frame.columns for c in key):
            continue
        keys = frame.select(key)
        if keys.null_count().sum_horizontal().item() == 0 and not keys.is_duplicated().any():
            return key
    return None


def change_set(
    name: str, new: pl.DataFrame, old: pl.DataFrame | None
) -> tuple[pl.DataFrame, tuple[str, ...] | None]:
    """The changes of table ``name`` from ``old`` (None: no earlier moment) to ``new``.

    Args:
        name: the table ("teams", "friction", "strategies").
        new: the table at this moment.
        old: the table at the previous moment, or None for the first moment.

    Returns:
        The change frame (:data:`CHANGE_SCHEMA`; ``key`` is the key as a JSON object) and the
        key columns used — or an empty frame and None, with a :class:`ChangeSetWarning`, when
        the rows cannot be identified.
    """
    key = table_key(name, new)
    if key is not None and old is not None and table_key(name, old) != key:
        key = None
    if key is None:
        msg = (
            f"table {name!r}: no unique key among "
            f"{[list(k) for k in KEY_CANDIDATES.get(name, ())]} in this moment and the last, so "
            "its change set is not recorded (its data is). Hint: keep the primary key column in "
            "the source table."
        )
        warnings.warn(msg, ChangeSetWarning, stacklevel=3)
        return pl.DataFrame(schema=CHANGE_SCHEMA), None
    key_json = pl.struct(list(key)).struct.json_encode().alias("key")
    if old is None:
        out = new.select(
            pl.lit(name).alias("table"),
            key_json,
            pl.lit("inserted").alias("change"),
            pl.lit(None, pl.List(pl.String)).alias("columns"),
        )
        return out, key
    new_schema, old_schema = new.schema, old.schema
    new_cols = [c for c in new.columns if c not in key]
    old_cols = [c for c in old.columns if c not in key]
    names = list(dict.fromkeys([*new_cols, *old_cols]))
    if aligned(new, old, key):
        # row i is the same key in both moments (what the join would pair, in the same order):
        # a column equal throughout (the same test as ne_missing, row by row) flags no row
        schemas = (new_schema, old_schema)
        names = [c for c in names if not _same_column(new, old, c, schemas)]
        new_cols = [c for c in new_cols if c in names]
        old_cols = [c for c in old_cols if c in names]
        joined = pl.concat(
            [
                new.select(*key, *new_cols, pl.lit(True).alias(f"{_OLD}new")),
                old.select(
                    *(pl.col(c).alias(_OLD + c) for c in old_cols),
                    pl.repeat(True, pl.len()).alias(f"{_OLD}old"),  # no column: still its height
                ),
            ],
            how="horizontal",
        )
    else:
        left = new.select(*key, *new_cols).with_columns(pl.lit(True).alias(f"{_OLD}new"))
        right = old.select(
            *key,
            *(pl.col(c).alias(_OLD + c) for c in old_cols),
            pl.lit(True).alias(f"{_OLD}old"),
        )
        joined = left.join(
            right, on=list(key), how="full", coalesce=True, maintain_order="left_right"
        )
    flags = []
    for i, c in enumerate(names):
        if c in new_schema and c in old_schema and new_schema[c] == old_schema[c]:
            changed = pl.col(c).ne_missing(pl.col(_OLD + c))
        elif c in new_schema and c in old_schema:  # retyped
            changed = pl.col(c).is_not_null() | pl.col(_OLD + c).is_not_null()
        elif c in new_schema:  # added
            changed = pl.col(c).is_not_null()
        else:  # removed
            changed = pl.col(_OLD + c).is_not_null()
        flags.append(changed.alias(f"{_OLD}{i}"))
    was, now = pl.col(f"{_OLD}old").is_null(), pl.col(f"{_OLD}new").is_null()
    touched = joined.select(*key, f"{_OLD}old", f"{_OLD}new", *flags).filter(
        was
        | now
        | (pl.any_horizontal(pl.col(f"{_OLD}{i}") for i in range(len(names))) if names else False)
    )  # only the rows that changed get their list of columns built
    columns = (
        pl.concat_list(
            [pl.when(pl.col(f"{_OLD}{i}")).then(pl.lit(c)) for i, c in enumerate(names)]
        ).list.drop_nulls()
        if names
        else pl.lit([], pl.List(pl.String))
    )
    change = (
        pl.when(was)
        .then(pl.lit("inserted"))
        .when(now)
        .then(pl.lit("deleted"))
        .otherwise(pl.lit("updated"))
    )
    out = touched.select(
        pl.lit(name).alias("table"),
        key_json,
        change.alias("change"),
        pl.when(~was & ~now).then(columns).alias("columns"),
    )
    return out, key


def aligned(new: pl.DataFrame, old: pl.DataFrame, key: tuple[str, ...]) -> bool:
    """Whether ``new`` and ``old`` hold the same keys in the same row order (same key dtypes)."""
    return (
        new.height == old.height
        and all(new.schema[k] == old.schema[k] for k in key)
        and new.select(key).equals(old.select(key))
    )


def _same_column(
    new: pl.DataFrame, old: pl.DataFrame, name: str, schemas: tuple[pl.Schema, pl.Schema]
) -> bool:
    """Whether column ``name`` has one dtype in both frames and equal values row by row.

    ``Series.equals`` (null equal to null) is ``equal_missing(...).all()``: the complement of
    ``ne_missing(...).any()``, so NaN, -0.0 and nulls count alike here and row by row.
    """
    new_schema, old_schema = schemas
    if name not in new_schema or name not in old_schema or new_schema[name] != old_schema[name]:
        return False
    return new.get_column(name).equals(old.get_column(name), null_equal=True)


def counts(frame: pl.DataFrame) -> dict[str, int]:
    """Inserted, updated and deleted counts of one table's change frame."""
    got = dict(frame.group_by("change").len().iter_rows())
    return {kind: int(got.get(kind, 0)) for kind in ("inserted", "updated", "deleted")}


def tables_equal(a: Sequence[pl.DataFrame], b: Sequence[pl.DataFrame]) -> bool:
    """Whether each frame of ``a`` equals its partner in ``b`` — schema and values."""
    return all(
        x.schema == y.schema and x.equals(y, null_equal=True) for x, y in zip(a, b, strict=True)
    )
