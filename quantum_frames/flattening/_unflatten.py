"""unflatten: flat columns back into nested Struct columns, the inverse of flatten."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames.errors import FlattenError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = ["unflatten"]


def unflatten(
    frame: pl.DataFrame | pl.LazyFrame,
    /,
    report: pl.DataFrame | None = None,
    *,
    separator: str = ".",
    sources: Iterable[str] | None = None,
) -> pl.DataFrame:
    """Rebuild nested Struct columns from flat columns; the inverse of :func:`flatten`.

    Args:
        frame: a flattened frame; it is not modified.
        report: the flatten report, which knows each column's exact path; without it,
            flat names are split on ``separator``.
        separator: the separator used to flatten, when no report is given.
        sources: the source columns to rebuild (default: all found).

    Returns:
        The frame with each group of flat columns replaced, at the place of its first
        column, by one Struct column named after the source. Rows whose leaves are all null
        get a null struct. Conflict columns stay JSON text inside the struct.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> flat = pl.DataFrame({"id": [1], "dna.a.b": [1], "dna.c": ["x"]})
        >>> qf.unflatten(flat).to_dicts()
        [{'id': 1, 'dna': {'a': {'b': 1}, 'c': 'x'}}]
    """
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    paths = _paths_for(df, report, separator)
    if sources is not None:
        wanted = set(sources)
        paths = {c: p for c, p in paths.items() if p[0] in wanted}
    groups: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for col, (source, path) in paths.items():
        groups.setdefault(source, []).append((col, path))
    exprs: list[pl.Expr] = []
    done: set[str] = set()
    for col in df.columns:
        if col not in paths:
            exprs.append(pl.col(col))
            continue
        source = paths[col][0]
        if source in done:
            continue
        done.add(source)
        members = groups[source]
        if len(members) == 1 and members[0][1] == ():
            exprs.append(pl.col(col).alias(source))
            continue
        tree = _tree(members)
        any_value = pl.any_horizontal(pl.col(c).is_not_null() for c, _ in members)
        exprs.append(pl.when(any_value).then(_struct_expr(tree)).alias(source))
    return df.select(exprs)


def _paths_for(
    df: pl.DataFrame, report: pl.DataFrame | None, separator: str
) -> dict[str, tuple[str, tuple[str, ...]]]:
    if report is not None:
        return {
            row["column"]: (row["source"], tuple(row["path"]))
            for row in report.select("column", "source", "path").iter_rows(named=True)
            if row["column"] in df.columns
        }
    return {
        col: (parts[0], tuple(parts[1:]))
        for col in df.columns
        if len(parts := col.split(separator)) > 1
    }


def _tree(members: Sequence[tuple[str, tuple[str, ...]]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for col, path in members:
        node = tree
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                msg = f"column {col!r} nests under {key!r}, which is also a leaf column."
                raise FlattenError(msg, column=col)
            node = child
        node[path[-1]] = col
    return tree


def _struct_expr(tree: dict[str, Any]) -> pl.Expr:
    fields = [
        _struct_expr(v).alias(k) if isinstance(v, dict) else pl.col(v).alias(k)
        for k, v in tree.items()
    ]
    return pl.struct(fields)
