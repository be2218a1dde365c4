"""What both engines and the Struct reader produce: one flat output column in the making."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Leaf", "Structure", "json_nulls", "struct_leaves"]

#: A JSON structure as DuckDB's ``json_group_structure`` writes it: a type name, an object of
#: structures, or a one-element array.
Structure = str | dict[str, Any] | list[Any]


@dataclass
class Leaf:
    """One flat output column in the making."""

    source: str
    path: tuple[str, ...]
    structure: Structure
    values: pl.Series
    conflict: str | None = None
    kept_as_text: bool = field(default=False)


def json_nulls(values: pl.Series) -> pl.Series:
    """JSON ``null`` text → a real null."""
    return pl.select(
        pl.when(values.str.strip_chars() != "null").then(values).alias(values.name)
    ).to_series()


def struct_leaves(
    source: str, path: tuple[str, ...], values: pl.Series, depth: int, max_depth: int | None
) -> Iterator[Leaf]:
    """The leaves of a Struct column (e.g. from unflatten): one per field, nested."""
    dtype = values.dtype
    if isinstance(dtype, pl.Struct) and (max_depth is None or depth < max_depth):
        for f in dtype.fields:
            yield from struct_leaves(
                source, (*path, f.name), values.struct.field(f.name), depth + 1, max_depth
            )
    else:
        if isinstance(dtype, pl.Struct):
            values = values.struct.json_encode()
        yield Leaf(source, path, "STRUCT", values)
