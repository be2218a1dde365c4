"""Flatten stage: JSON columns → one plain column per leaf path, and back.

How it works, all in native code. A column of JSON objects is first offered to Arrow's JSON
reader (:mod:`quantum_frames.flattening._arrow`), which infers and decodes in one pass and declines
whatever it would not read exactly as the steps below; every other column takes them:

1. DuckDB's ``json_group_structure`` merges the structure of **every** row of every JSON
   column in one pass. A path whose rows disagree (a string here, a number there; an object
   here, a scalar there) comes out as ``JSON``.
2. The structure is turned into a *transform plan*: numbers that could lose digits are read as
   their raw text first (doubles, integers beyond Int64), arrays whose elements disagree are
   kept as JSON text, objects DuckDB cannot hold as a STRUCT (an empty key, keys differing only
   by case) are split into one piece per key.
3. ``json_transform`` decodes every piece in one second pass; Polars unnests the structs
   (zero-copy) and checks/casts the leaves: a value that would be corrupted is kept as its
   JSON text and reported, never rounded, never dropped.

The flat column order is the source column order, then first-seen key order; the same input
always gives the same columns.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from quantum_frames._sql import quote_ident, quote_literal
from quantum_frames.errors import FlattenCollisionError, FlattenError, InvalidArgumentError
from quantum_frames.flattening._arrow import decode_objects

__all__ = ["REPORT_SCHEMA", "flatten", "flatten_with_report", "json_columns", "unflatten"]

#: The columns of a flatten report, one row per flat column.
REPORT_SCHEMA: Final = pl.Schema(
    [
        ("column", pl.String()),
        ("source", pl.String()),
        ("path", pl.List(pl.String())),
        ("dtype", pl.String()),
        ("null_fraction", pl.Float64()),
        ("conflict", pl.String()),
    ]
)

_INT64_MAX: Final = 2**63 - 1
# A number whose digits a Float64 may not hold: a long integer literal, or a huge exponent.
_RISKY_NUMBER: Final = r"(?:^|[^0-9.eE+\-])-?[0-9]{16,}(?:$|[^0-9.eE])|[eE][+]?[0-9]{3,}"
_JSON_KIND_BY_FIRST_CHAR: Final = {
    "{": "object",
    "[": "array",
    '"': "string",
    "t": "boolean",
    "f": "boolean",
    "n": "null",
}

Structure = str | dict[str, Any] | list[Any]


@dataclass(frozen=True)
class _Piece:
    """One DuckDB select expression: the subtree of ``source`` at ``path``."""

    source: str
    path: tuple[str, ...]
    structure: Structure  # as DuckDB inferred it
    alias: str

    def sql(self, max_depth: int | None) -> str:
        value = f"{quote_ident(self.source)}::JSON"
        if self.path:
            value = f"json_extract({value}, {quote_literal(_json_pointer(self.path))})"
        plan = _transform_structure(self.structure, len(self.path), max_depth)
        return f"json_transform({value}, {quote_literal(json.dumps(plan))}) AS {quote_ident(self.alias)}"


@dataclass
class _Leaf:
    """One flat output column in the making."""

    source: str
    path: tuple[str, ...]
    structure: Structure
    values: pl.Series
    conflict: str | None = None
    kept_as_text: bool = field(default=False)


def json_columns(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """The columns :func:`flatten` takes by default: Struct columns, and String columns whose
    every non-null value is a JSON object (starts with ``{``)."""
    lf = frame.lazy()
    schema = lf.collect_schema()
    structs = [name for name, dtype in schema.items() if isinstance(dtype, pl.Struct)]
    strings = [name for name, dtype in schema.items() if dtype == pl.String]
    if not strings:
        return structs
    looks = lf.select(
        (
            pl.col(c).str.strip_chars_start().str.starts_with("{").all()
            & pl.col(c).is_not_null().any()
        ).alias(c)
        for c in strings
    ).collect()
    objects = {c for c in strings if looks.get_column(c).item()}
    return [name for name in schema if name in objects or name in structs]


def flatten(
    frame: pl.DataFrame | pl.LazyFrame,
    /,
    columns: Sequence[str] | None = None,
    *,
    separator: str = ".",
    max_depth: int | None = None,
    valid_json: bool = False,
) -> pl.DataFrame:
    """Flatten JSON columns into one column per leaf path.

    Args:
        frame: the frame; it is not modified.
        columns: the JSON columns (JSON text or Struct); default :func:`json_columns`.
        separator: joins the column name and the keys of a path.
        max_depth: objects nested deeper than this many keys stay as JSON text.
        valid_json: every value is known to be valid JSON (read from a json/jsonb column):
            spares a validation pass. Leave it False for text of unknown origin.

    Returns:
        The frame with each JSON column replaced, in place, by its flat columns.

    Raises:
        FlattenCollisionError: two paths would give the same column name.
        FlattenError: a value is not valid JSON.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> df = pl.DataFrame({"id": [1, 2], "dna": ['{"a": {"b": 1}}', '{"a": {"b": "x"}}']})
        >>> qf.flatten(df).columns
        ['id', 'dna.a.b']
        >>> qf.flatten(df)["dna.a.b"].to_list()  # a type conflict keeps each row's JSON text
        ['1', '"x"']
    """
    return flatten_with_report(
        frame, columns, separator=separator, max_depth=max_depth, valid_json=valid_json
    )[0]


def flatten_with_report(
    frame: pl.DataFrame | pl.LazyFrame,
    /,
    columns: Sequence[str] | None = None,
    *,
    separator: str = ".",
    max_depth: int | None = None,
    valid_json: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Like :func:`flatten`, also returning the report (see :data:`REPORT_SCHEMA`): per flat
    column its source column, JSON path, dtype, null fraction and any type conflict.

    ``valid_json=True`` says every value is known to be valid JSON (it was read from a
    PostgreSQL json/jsonb column, which checks it on the way in): it spares a validation pass.
    Invalid text then raises or is kept as the DuckDB path would — never silently misread —
    only if the promise holds, so leave it False for text of unknown origin."""
    if not isinstance(separator, str) or not separator:
        msg = f"separator must be a non-empty string, got {separator!r}. Hint: e.g. '.' or '__'."
        raise InvalidArgumentError(msg, argument="separator")
    if max_depth is not None and max_depth < 1:
        msg = f"max_depth must be at least 1 (or None for no limit), got {max_depth!r}."
        raise InvalidArgumentError(msg, argument="max_depth")
    df = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    cols = json_columns(df) if columns is None else list(columns)
    unknown = [c for c in cols if c not in df.columns]
    if unknown:
        msg = f"columns {unknown} are not in the frame; it has {df.columns}."
        raise FlattenError(msg, column=unknown[0])
    schema = df.schema  # built on each access: once
    text_cols = [c for c in cols if schema[c] == pl.String]
    struct_cols = [c for c in cols if isinstance(schema[c], pl.Struct)]
    null_cols = [c for c in cols if schema[c] == pl.Null]  # all SQL NULL: one null column
    other = [c for c in cols if c not in text_cols and c not in struct_cols and c not in null_cols]
    if other:
        msg = f"columns {other} hold neither JSON text nor structs (dtypes {[str(schema[c]) for c in other]})."
        raise FlattenError(msg, column=other[0])

    leaves: dict[str, list[_Leaf]] = {c: [] for c in cols}
    for leaf in _decode_text_columns(df, text_cols, max_depth, valid_json=valid_json):
        leaves[leaf.source].append(leaf)
    for c in struct_cols:
        leaves[c].extend(_struct_leaves(c, (), df.get_column(c), 0, max_depth))
    for c in null_cols:
        leaves[c].append(_Leaf(c, (), "NULL", df.get_column(c)))

    out: list[pl.Series] = []
    report: dict[str, list[Any]] = {name: [] for name in REPORT_SCHEMA}
    seen: dict[str, tuple[str, tuple[str, ...]]] = {}
    for name in df.columns:
        if name not in leaves:
            _claim(seen, name, name, (), name)
            out.append(df.get_column(name))
            continue
        for leaf in leaves[name]:
            flat = separator.join((name, *leaf.path))
            _claim(seen, flat, name, leaf.path, name)
            out.append(leaf.values.alias(flat))
            report["column"].append(flat)
            report["source"].append(name)
            report["path"].append(list(leaf.path))
            report["dtype"].append(str(leaf.values.dtype))
            nulls = leaf.values.null_count() / df.height if df.height else 0.0
            report["null_fraction"].append(nulls)
            report["conflict"].append(leaf.conflict)
    flat_df = pl.DataFrame(out, height=df.height) if out else df.clear()
    return flat_df, report_frame(report)


def report_frame(columns: dict[str, list[Any]]) -> pl.DataFrame:
    """A flatten report (:data:`REPORT_SCHEMA`) from its columns. The paths (lists of
    strings) are built from their flat values and offsets through Arrow: Polars builds them
    from nested Python lists 30 × slower, and ``pyarrow.array`` on Python lists imports pandas
    (0.4 s of a script's first load) when it is installed."""
    import pyarrow as pa

    paths = columns["path"]
    offsets = [0, *itertools.accumulate(len(p) for p in paths)]
    values = pl.Series([k for p in paths for k in p], dtype=pl.String)
    path = pa.LargeListArray.from_arrays(
        pl.Series(offsets, dtype=pl.Int64).to_arrow(),
        values.to_arrow(compat_level=pl.CompatLevel.oldest()),
    )
    return pl.DataFrame(
        [
            pl.Series(name, path) if name == "path" else pl.Series(name, columns[name], dtype)
            for name, dtype in REPORT_SCHEMA.items()
        ]
    ).cast(REPORT_SCHEMA)


def _claim(
    seen: dict[str, tuple[str, tuple[str, ...]]],
    flat: str,
    source: str,
    path: tuple[str, ...],
    column: str,
) -> None:
    if flat in seen:
        first_source, first_path = seen[flat]
        first = first_path if first_source == source else (first_source, *first_path)
        raise FlattenCollisionError(column=column, name=flat, paths=(first, path))
    seen[flat] = (source, path)


# --- decoding JSON text through DuckDB -------------------------------------------------------


def _decode_text_columns(
    df: pl.DataFrame, cols: Sequence[str], max_depth: int | None, *, valid_json: bool
) -> list[_Leaf]:
    """Decode JSON text columns on up to ``_WORKERS`` threads (one for a single column or
    fewer than 1,000 rows).

    Each column of JSON objects first tries the Arrow fast path as its own task, largest
    first, so every thread stays busy to the end; the columns left are decoded by DuckDB in
    groups of about equal text size, one cursor and thread each (its structure aggregate
    runs on one thread).
    """
    if not cols:
        return []
    fast_ok = set()
    if _ARROW_FAST_PATH and max_depth is None:
        fast_ok = set(cols) if valid_json else _all_valid_json(df, cols)
    workers = 1 if len(cols) == 1 or df.height < 1_000 else _WORKERS
    sizes = dict(zip(cols, _text_sizes(df, cols), strict=True)) if workers > 1 else {}
    by_size = sorted(cols, key=lambda c: -sizes.get(c, 0))

    def try_fast(c: str) -> list[tuple[tuple[str, ...], pl.Series]] | None:
        return decode_objects(df.get_column(c)) if c in fast_ok else None

    def exactly(group: list[str]) -> list[_Leaf]:
        return _decode_exactly(df, group, max_depth)

    with (
        ThreadPoolExecutor(workers, thread_name_prefix="qf-flatten")
        if workers > 1
        else contextlib.nullcontext()
    ) as pool:
        run = pool.map if pool is not None else map
        fast = dict(zip(by_size, run(try_fast, by_size), strict=True))
        rest = [c for c in cols if fast[c] is None]
        slow = list(run(exactly, _balanced_groups(rest, sizes, workers)))
    by_source: dict[str, list[_Leaf]] = {}
    for c, leaves in fast.items():
        if leaves is not None:
            by_source[c] = [_Leaf(c, path, "ARROW", values) for path, values in leaves]
    for leaf in (leaf for result in slow for leaf in result):
        by_source.setdefault(leaf.source, []).append(leaf)
    return [leaf for c in cols for leaf in by_source.get(c, [])]


def _text_sizes(df: pl.DataFrame, cols: Sequence[str]) -> tuple[int, ...]:
    return tuple(v or 0 for v in df.select(pl.col(c).str.len_bytes().sum() for c in cols).row(0))


_WORKERS: Final = max(1, min(4, os.cpu_count() or 1))


def _balanced_groups(cols: Sequence[str], sizes: dict[str, int], n: int) -> list[list[str]]:
    """Split ``cols`` into at most ``n`` groups of about equal total text length."""
    groups: list[list[str]] = [[] for _ in range(max(1, min(n, len(cols))))]
    totals = [0] * len(groups)
    for col in sorted(cols, key=lambda c: -sizes.get(c, 0)):
        i = totals.index(min(totals))
        groups[i].append(col)
        totals[i] += sizes.get(col, 0)
    return [g for g in groups if g]


#: Whether columns of JSON objects may take the Arrow fast path (tests compare both paths).
_ARROW_FAST_PATH = True


def _all_valid_json(df: pl.DataFrame, cols: Sequence[str]) -> set[str]:
    """The columns whose every value is valid JSON (one DuckDB pass over all of them): the
    others take the DuckDB path, which says which row is wrong."""
    select = ", ".join(f"bool_and(json_valid({quote_ident(c)}))" for c in cols)
    con = _duckdb_cursor()
    try:
        con.register("qf_json", df.select(cols).to_arrow(compat_level=pl.CompatLevel.newest()))
        row = con.sql(f"SELECT {select} FROM qf_json").fetchall()[0]
    finally:
        con.close()
    return {c for c, ok in zip(cols, row, strict=True) if ok is not False}


def _decode_exactly(df: pl.DataFrame, cols: Sequence[str], max_depth: int | None) -> list[_Leaf]:
    """The DuckDB path, column by column when one of them nests deeper than Python can walk
    its structure (about 900 levels): that column is kept whole, as its JSON text, and
    reported, rather than the whole flatten failing."""
    try:
        return _decode_with_duckdb(df, cols, max_depth)
    except RecursionError:
        if len(cols) > 1:
            return [leaf for c in cols for leaf in _decode_exactly(df, [c], max_depth)]
        why = "nested too deep to flatten (hundreds of levels); kept as JSON text"
        return [_Leaf(cols[0], (), "JSON", _json_nulls(df.get_column(cols[0])), conflict=why)]


def _decode_with_duckdb(
    df: pl.DataFrame, cols: Sequence[str], max_depth: int | None
) -> list[_Leaf]:
    table = df.select(cols).to_arrow(compat_level=pl.CompatLevel.newest())  # string views: no copy
    con = _duckdb_cursor()
    try:
        con.register("qf_json", table)
        structures = _structures(con, df, cols)
        pieces = [
            piece
            for i, c in enumerate(cols)
            for piece in _pieces(c, (), structures[c], f"p{i}", 0, max_depth)
        ]
        decoded = _transform(con, pieces, max_depth, at_once=_small(df, cols))
        fallbacks: list[_Leaf] = []
        leaves: list[_Leaf] = []
        for piece in pieces:
            for leaf in _piece_leaves(piece, decoded.get_column(piece.alias), max_depth):
                leaves.append(leaf)
                if leaf.kept_as_text:
                    fallbacks.append(leaf)
        if fallbacks:  # values that would be corrupted: read their JSON text instead
            texts = _transform(
                con,
                [_Piece(f.source, f.path, "JSON", f"f{i}") for i, f in enumerate(fallbacks)],
                max_depth,
            )
            for i, leaf in enumerate(fallbacks):
                leaf.values = _json_nulls(texts.get_column(f"f{i}"))
        return leaves
    finally:
        con.close()


_DB: Any = None
_DB_LOCK: Final = threading.Lock()


def _duckdb_cursor() -> Any:
    """A cursor on the flattener's own in-memory DuckDB, opened once: a connection costs
    ~40 ms, a cursor ~1 ms. Each cursor is its own session (its registered tables are its
    own), so the groups decoded in parallel threads do not see each other's."""
    global _DB
    import duckdb

    with _DB_LOCK:
        if _DB is None:
            _DB = duckdb.connect(config={"threads": 1})
        return _DB.cursor()


#: Rows per structure query: ``json_group_structure`` holds every parsed row of a query until
#: it ends, so large columns are inferred window by window and the structures merged.
_WINDOW: Final = 16_384


def _structures(con: Any, df: pl.DataFrame, cols: Sequence[str]) -> dict[str, Structure]:
    """The merged structure of every row of each column, one column (and window) at a time:
    several aggregates in one query keep every row's parsed JSON alive together."""
    if _small(df, cols):  # one query for all columns: the memory peak is small anyway
        return _structure_query(con, df, cols, "qf_json")
    out: dict[str, Structure] = {}
    for c in cols:
        if df.height <= _WINDOW:
            out.update(_structure_query(con, df, [c], "qf_json"))
            continue
        windows = [
            f"(SELECT * FROM qf_json LIMIT {_WINDOW} OFFSET {start})"
            for start in range(0, df.height, _WINDOW)
        ]
        try:
            parts = [_structure_query(con, df, [c], window)[c] for window in windows]
            out[c] = functools.reduce(_merge_structures, parts)
        except _MismatchError:  # a window's "JSON" may be {}: only a pass over all rows can tell
            out.update(_structure_query(con, df, [c], "qf_json"))
    return out


#: Below this much JSON text, one query per stage beats one per column (fewer round trips).
_SMALL_BYTES: Final = 2 * 2**20


def _small(df: pl.DataFrame, cols: Sequence[str]) -> bool:
    return df.height <= _WINDOW and df.select(cols).estimated_size() <= _SMALL_BYTES


def _structure_query(
    con: Any, df: pl.DataFrame, cols: Sequence[str], source: str
) -> dict[str, Structure]:
    """``json_group_structure`` of ``cols`` over ``source`` (the table or a window of it)."""
    import duckdb

    select = ", ".join(f"json_group_structure({quote_ident(c)}::JSON)" for c in cols)
    try:
        row = con.sql(f"SELECT {select} FROM {source}").fetchall()[0]
    except duckdb.Error as exc:
        raise _invalid_json(con, df, cols, exc) from None
    return {c: json.loads(t) if t is not None else "NULL" for c, t in zip(cols, row, strict=True)}


class _MismatchError(Exception):
    """Two window structures differ in a way only a pass over all rows can settle."""


_NUMERIC_MERGE: Final = {
    frozenset({"UBIGINT", "BIGINT"}): "HUGEINT",
    frozenset({"UBIGINT", "HUGEINT"}): "HUGEINT",
    frozenset({"BIGINT", "HUGEINT"}): "HUGEINT",
    frozenset({"UBIGINT", "DOUBLE"}): "DOUBLE",
    frozenset({"BIGINT", "DOUBLE"}): "DOUBLE",
    frozenset({"HUGEINT", "DOUBLE"}): "DOUBLE",
}


def _merge_structures(a: Structure, b: Structure) -> Structure:
    """Merge two window structures by DuckDB's own rules (checked against duckdb 2.0).

    Keys keep first-seen order (a's keys, then b's new keys); NULL yields to any type;
    integers widen (HUGEINT) or become DOUBLE; any other disagreement is ``JSON``. The one
    case a structure cannot settle — ``JSON`` met with an object, where ``JSON`` may stand for
    ``{}`` (which DuckDB merges into the object) — raises :class:`_MismatchError`.
    """
    if a == b or b == "NULL":
        return a
    if a == "NULL":
        return b
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for key, value in b.items():
            merged[key] = _merge_structures(a[key], value) if key in a else value
        return merged
    if isinstance(a, list) and isinstance(b, list) and a and b:
        return [_merge_structures(a[0], b[0])]
    if (a == "JSON" and isinstance(b, dict)) or (b == "JSON" and isinstance(a, dict)):
        raise _MismatchError
    if (a == "JSON" and isinstance(b, list)) or (b == "JSON" and isinstance(a, list)):
        raise _MismatchError  # [{}] is ["JSON"]; be as careful with arrays
    if isinstance(a, str) and isinstance(b, str):
        return _NUMERIC_MERGE.get(frozenset({a, b}), "JSON")
    return "JSON"


def _invalid_json(con: Any, df: pl.DataFrame, cols: Sequence[str], exc: Exception) -> FlattenError:
    for c in cols:
        bad = con.sql(
            f"SELECT list(i) FILTER (NOT json_valid(v)) FROM "
            f"(SELECT row_number() OVER () - 1 AS i, {quote_ident(c)} AS v FROM qf_json)"
        ).fetchall()[0][0]
        if bad:
            rows = sorted(bad)
            sample = df.get_column(c)[rows[0]]
            snippet = sample[:60] + ("…" if len(sample) > 60 else "")
            msg = (
                f"column {c!r} holds text that is not valid JSON in {len(rows)} row(s), "
                f"first at row {rows[0]}: {snippet!r}. Hint: leave the column out "
                "(columns=[…]) or clean those rows; nothing was flattened."
            )
            return FlattenError(msg, column=c)
    msg = f"cannot decode JSON: {exc}"
    return FlattenError(msg)


def _transform(
    con: Any, pieces: Sequence[_Piece], max_depth: int | None, *, at_once: bool = False
) -> pl.DataFrame:
    """One ``json_transform`` query per piece (like :func:`_structures`: lower memory peak),
    or one for all pieces when the input is small."""
    import duckdb

    frames = []
    for batch in [list(pieces)] if at_once and pieces else [[p] for p in pieces]:
        piece = batch[0]
        select = ", ".join(p.sql(max_depth) for p in batch)
        try:
            result = con.sql(f"SELECT {select} FROM qf_json").to_arrow_table()
        except duckdb.Error as exc:
            msg = f"cannot decode JSON column {piece.source!r}: {exc}"
            raise FlattenError(msg, column=piece.source) from None
        decoded = pl.from_arrow(result)
        assert isinstance(decoded, pl.DataFrame)
        frames.append(decoded)
    return pl.concat(frames, how="horizontal") if frames else pl.DataFrame()


def _pieces(
    source: str,
    path: tuple[str, ...],
    node: Structure,
    alias: str,
    depth: int,
    max_depth: int | None,
) -> Iterator[_Piece]:
    """Split a column's structure where DuckDB cannot hold an object as one STRUCT."""
    if isinstance(node, dict) and _needs_split(node, depth, max_depth):
        for i, (key, child) in enumerate(node.items()):
            yield from _pieces(source, (*path, key), child, f"{alias}_{i}", depth + 1, max_depth)
    else:
        yield _Piece(source, path, node, alias)


def _needs_split(node: Structure, depth: int, max_depth: int | None) -> bool:
    if not isinstance(node, dict) or (max_depth is not None and depth >= max_depth):
        return False
    if _nesting(node) > _MAX_STRUCT_NESTING:  # Arrow refuses very deep struct schemas
        return True
    return not _struct_safe(node) or any(
        _needs_split(child, depth + 1, max_depth) for child in node.values()
    )


#: Deeper objects are decoded in pieces (one per key) so no Arrow struct nests further.
_MAX_STRUCT_NESTING: Final = 24


def _nesting(node: Structure) -> int:
    if isinstance(node, dict):
        return 1 + max((_nesting(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((_nesting(v) for v in node), default=0)
    return 0


def _struct_safe(node: dict[str, Any]) -> bool:
    folded = {k.lower() for k in node}
    return bool(node) and "" not in node and len(folded) == len(node)


def _transform_structure(node: Structure, depth: int, max_depth: int | None) -> Structure:
    """The structure handed to ``json_transform``: what each path is read as."""
    if isinstance(node, dict):
        if not node or (max_depth is not None and depth >= max_depth):
            return "JSON"
        return {k: _transform_structure(v, depth + 1, max_depth) for k, v in node.items()}
    if isinstance(node, list):
        element = node[0] if node else "NULL"
        if (
            _array_kept_as_text(element)
            or _contains(element, "DOUBLE")
            or _contains(element, "HUGEINT")
        ):
            return "JSON"  # decoded (or kept) by Polars, see _piece_leaves
        return [_transform_structure(element, depth + 1, None)]
    return {"DOUBLE": "VARCHAR", "HUGEINT": "VARCHAR"}.get(node, node)


def _contains(node: Structure, kind: str) -> bool:
    if isinstance(node, dict):
        return any(_contains(v, kind) for v in node.values())
    if isinstance(node, list):
        return any(_contains(v, kind) for v in node)
    return node == kind


def _array_kept_as_text(element: Structure) -> bool:
    """Arrays stay JSON text when elements disagree or hold what a List cannot."""
    if isinstance(element, dict):
        return not _struct_safe(element) or any(_array_kept_as_text(v) for v in element.values())
    if isinstance(element, list):
        return _array_kept_as_text(element[0] if element else "NULL")
    return element == "JSON" or element not in _LEAF_DTYPES


_LEAF_DTYPES: Final[dict[str, pl.DataType]] = {
    "NULL": pl.Null(),
    "BOOLEAN": pl.Boolean(),
    "BIGINT": pl.Int64(),
    "UBIGINT": pl.Int64(),
    "HUGEINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "VARCHAR": pl.String(),
}


def _target_dtype(node: Structure, numbers_as: pl.DataType | None = None) -> pl.DataType:
    if isinstance(node, dict):
        return pl.Struct({k: _target_dtype(v, numbers_as) for k, v in node.items()})
    if isinstance(node, list):
        return pl.List(_target_dtype(node[0] if node else "NULL", numbers_as))
    if numbers_as is not None and node in {"BIGINT", "UBIGINT", "HUGEINT", "DOUBLE"}:
        return numbers_as
    return _LEAF_DTYPES.get(node, pl.String())


def _piece_leaves(piece: _Piece, values: pl.Series, max_depth: int | None) -> Iterator[_Leaf]:
    yield from _leaves(piece.source, piece.path, piece.structure, values, max_depth)


def _leaves(
    source: str,
    path: tuple[str, ...],
    node: Structure,
    values: pl.Series,
    max_depth: int | None,
) -> Iterator[_Leaf]:
    if isinstance(node, dict) and isinstance(values.dtype, pl.Struct):
        fields = dict(zip(node, values.struct.unnest().get_columns(), strict=True))  # one pass
        for key, child in node.items():
            yield from _leaves(source, (*path, key), child, fields[key], max_depth)
        return
    leaf = _Leaf(source, path, node, values)
    _finish_leaf(leaf, max_depth is not None and len(path) >= max_depth)
    yield leaf


def _finish_leaf(leaf: _Leaf, depth_capped: bool) -> None:
    """Cast a decoded leaf to its final dtype, or mark it to be kept as JSON text."""
    node, values = leaf.structure, leaf.values
    if isinstance(node, dict):  # always {} or capped by max_depth: JSON text
        if not depth_capped and _only_empty_objects(values):
            leaf.values = pl.Series(values.name, [None] * len(values), dtype=pl.Null)
        else:
            leaf.values = _json_nulls(values)
        return
    if isinstance(node, list):
        element = node[0] if node else "NULL"
        if _array_kept_as_text(element):
            leaf.values = _json_nulls(values)
            leaf.conflict = "array elements of different types; kept as JSON text"
        elif values.dtype == pl.String:  # arrays of doubles / wide ints, read as text
            if values.str.contains(_RISKY_NUMBER).any():
                _decode_wide_ints(leaf, node)
            else:
                leaf.values = _json_nulls(values).str.json_decode(dtype=_target_dtype(node))
        else:
            _cast_or_keep(leaf, _target_dtype(node), "integers beyond Int64")
        return
    if node == "DOUBLE":
        _finish_double(leaf)
    elif node == "HUGEINT":  # signed and unsigned integers met: Int64 if they all fit
        ints = values.cast(pl.Int64, strict=False)
        if ints.null_count() == values.null_count():
            leaf.values = ints
        else:  # the raw number text is the JSON text
            leaf.conflict = "integers beyond Int64; kept as JSON text"
    elif node == "UBIGINT":
        _cast_or_keep(leaf, pl.Int64(), "integers beyond Int64")
    elif node == "JSON":
        _finish_json(leaf)
    elif node not in _LEAF_DTYPES:
        leaf.values = _json_nulls(values.cast(pl.String))
        leaf.conflict = f"unexpected JSON type {node}; kept as JSON text"


def _finish_double(leaf: _Leaf) -> None:
    text = leaf.values
    floats = text.cast(pl.Float64, strict=False)
    bad_parse = floats.is_null() & text.is_not_null()
    suspicious = text.str.contains(_RISKY_NUMBER)
    lossy = bad_parse.any()
    if not lossy and suspicious.any():
        ints = text.filter(suspicious & ~text.str.contains(r"[.eE]"))
        exact = ints.cast(pl.Int64, strict=False)
        lossy = (
            exact.is_null().any()
            or (exact.cast(pl.Float64).cast(pl.Int64) != exact).any()
            or floats.filter(suspicious).is_infinite().any()
        )
    if lossy:
        leaf.conflict = "numbers beyond Float64 precision; kept as JSON text"
    else:
        leaf.values = floats


def _decode_wide_ints(leaf: _Leaf, node: Structure) -> None:
    """Arrays holding long numbers: integers decoded via their text, checked on the cast."""
    text = _json_nulls(leaf.values)
    leaf.values = text
    if not _contains(node, "DOUBLE"):
        as_text = _target_dtype(node, numbers_as=pl.String())
        try:
            leaf.values = text.str.json_decode(dtype=as_text).cast(_target_dtype(node), strict=True)
        except pl.exceptions.InvalidOperationError:
            pass
        else:
            return
    leaf.conflict = "array numbers too long to decode exactly; kept as JSON text"


def _cast_or_keep(leaf: _Leaf, dtype: pl.DataType, why: str) -> None:
    try:
        leaf.values = leaf.values.cast(dtype, strict=True)
    except pl.exceptions.InvalidOperationError:
        leaf.kept_as_text = True
        leaf.conflict = f"{why}; kept as JSON text"


def _finish_json(leaf: _Leaf) -> None:
    text = _json_nulls(leaf.values)
    first = text.drop_nulls().str.strip_chars_start().str.slice(0, 1)
    kinds = first.replace_strict(_JSON_KIND_BY_FIRST_CHAR, default="number").unique()
    kind_list = sorted(kinds.to_list())
    if kind_list == ["object"] and _only_empty_objects(text):
        leaf.values = pl.Series(text.name, [None] * len(text), dtype=pl.Null)
        return
    leaf.values = text
    leaf.conflict = "type conflict (" + ", ".join(kind_list) + "); kept as JSON text"


def _only_empty_objects(values: pl.Series) -> bool:
    non_null = values.drop_nulls()
    return bool((non_null.str.replace_all(r"\s", "") == "{}").all())


def _json_nulls(values: pl.Series) -> pl.Series:
    """JSON ``null`` text → a real null."""
    return pl.select(
        pl.when(values.str.strip_chars() != "null").then(values).alias(values.name)
    ).to_series()


# --- Struct columns (e.g. from unflatten) ----------------------------------------------------


def _struct_leaves(
    source: str, path: tuple[str, ...], values: pl.Series, depth: int, max_depth: int | None
) -> Iterator[_Leaf]:
    dtype = values.dtype
    if isinstance(dtype, pl.Struct) and (max_depth is None or depth < max_depth):
        for f in dtype.fields:
            yield from _struct_leaves(
                source, (*path, f.name), values.struct.field(f.name), depth + 1, max_depth
            )
    else:
        if isinstance(dtype, pl.Struct):
            values = values.struct.json_encode()
        yield _Leaf(source, path, "STRUCT", values)


# --- unflatten --------------------------------------------------------------------------------


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


# --- SQL text helpers ------------------------------------------------------------------------


def _json_pointer(path: Sequence[str]) -> str:
    return "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in path)
