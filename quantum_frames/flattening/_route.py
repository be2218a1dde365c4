"""Routing between the two engines and the threads: which column each engine decodes.

A column of JSON objects is first offered to the Arrow fast path (:mod:`._arrow`), which
declines whatever it would not read exactly as the DuckDB engine (:mod:`._duckdb`) does;
every other column goes to DuckDB. Tests hold the two engines equal (``engine="duckdb"``).
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Final, Literal

import polars as pl

from quantum_frames.flattening import _duckdb
from quantum_frames.flattening._leaf import Leaf

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

__all__ = ["Engine", "decode_text_columns"]

#: Threads decoding columns at once: four at most (each DuckDB cursor runs on one thread).
_WORKERS: Final = max(1, min(4, os.cpu_count() or 1))
#: Below this many rows (or for one column) a single thread beats the pool's overhead.
_MIN_ROWS_FOR_THREADS: Final = 1_000

#: ``"auto"``: the Arrow fast path where it is exact, DuckDB elsewhere; ``"duckdb"``: DuckDB only.
Engine = Literal["auto", "duckdb"]


def decode_text_columns(
    df: pl.DataFrame,
    cols: Sequence[str],
    max_depth: int | None,
    *,
    valid_json: bool,
    max_columns: int | None = None,
    engine: Engine = "auto",
    window: int = _duckdb.WINDOW,
    unique_keys: Collection[str] = (),
) -> list[Leaf]:
    """Decode JSON text columns on up to ``_WORKERS`` threads.

    One thread for a single column or fewer than 1,000 rows: a small table's object columns are read
    by Arrow all at once.

    Each column of JSON objects first tries the Arrow fast path as its own task, largest
    first, so every thread stays busy to the end; the columns left are decoded by DuckDB in
    groups of about equal text size, one cursor and thread each (its structure aggregate
    runs on one thread).

    Args:
        df: the frame holding the columns.
        cols: the JSON text columns.
        max_depth: objects nested deeper than this many keys stay JSON text.
        valid_json: every value is known to be valid JSON (spares the validation pass).
        max_columns: leaf columns per JSON column; past it the widest objects stay JSON text.
        engine: ``"duckdb"`` sends every column to the DuckDB engine.
        window: rows per DuckDB structure query.
        unique_keys: columns known to hold no object with a repeated key (jsonb text).

    Returns:
        The leaves of every column, in column then first-seen key order.
    """
    if not cols:
        return []
    if not valid_json:  # what PostgreSQL's json input rejects is refused, by either engine
        _duckdb.check_valid(df, cols)
    fast_ok = set(cols) if engine == "auto" and max_depth is None else set()
    workers = 1 if len(cols) == 1 or df.height < _MIN_ROWS_FOR_THREADS else _WORKERS
    sizes = dict(zip(cols, _text_sizes(df, cols), strict=True)) if workers > 1 else {}
    by_size = sorted(cols, key=lambda c: -sizes.get(c, 0))

    from quantum_frames.flattening._arrow import (  # pyarrow: on first flatten
        decode_objects,
        decode_small_objects,
    )

    def try_fast(c: str) -> list[tuple[tuple[str, ...], pl.Series]] | None:
        if c not in fast_ok:
            return None
        return decode_objects(df.get_column(c), max_columns=max_columns)

    def exactly(group: list[str]) -> list[Leaf]:
        return _duckdb.decode(
            df, group, max_depth, max_columns=max_columns, window=window, unique_keys=unique_keys
        )

    with (
        ThreadPoolExecutor(workers, thread_name_prefix="qf-flatten")
        if workers > 1
        else contextlib.nullcontext()
    ) as pool:
        run = pool.map if pool is not None else map
        if pool is None and len(fast_ok) > 1:  # a small table: one Arrow read for all
            batched = decode_small_objects(
                df, [c for c in cols if c in fast_ok], max_columns=max_columns
            )
            fast = {c: batched.get(c) for c in cols}
        else:
            fast = dict(zip(by_size, run(try_fast, by_size), strict=True))
        rest = [c for c in cols if fast[c] is None]
        slow = list(run(exactly, _balanced_groups(rest, sizes, workers)))
    by_source: dict[str, list[Leaf]] = {}
    for c, leaves in fast.items():
        if leaves is not None:
            by_source[c] = [Leaf(c, path, "ARROW", values) for path, values in leaves]
    for leaf in (leaf for result in slow for leaf in result):
        by_source.setdefault(leaf.source, []).append(leaf)
    return [leaf for c in cols for leaf in by_source.get(c, [])]


def _text_sizes(df: pl.DataFrame, cols: Sequence[str]) -> tuple[int, ...]:
    return tuple(v or 0 for v in df.select(pl.col(c).str.len_bytes().sum() for c in cols).row(0))


def _balanced_groups(cols: Sequence[str], sizes: dict[str, int], n: int) -> list[list[str]]:
    """Split ``cols`` into at most ``n`` groups of about equal total text length."""
    groups: list[list[str]] = [[] for _ in range(max(1, min(n, len(cols))))]
    totals = [0] * len(groups)
    for col in sorted(cols, key=lambda c: -sizes.get(c, 0)):
        i = totals.index(min(totals))
        groups[i].append(col)
        totals[i] += sizes.get(col, 0)
    return [g for g in groups if g]
