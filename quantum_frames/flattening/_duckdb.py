"""The DuckDB engine of the flatten stage: exact, for every column the Arrow fast path declines.

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

The engine runs on its own in-memory DuckDB database, opened once per process.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames._sql import quote_ident, quote_literal
from quantum_frames.errors import FlattenError
from quantum_frames.flattening._leaf import Leaf, Structure, json_nulls
from quantum_frames.flattening._text import (
    Tag,
    exact_float_texts,
    has_marks,
    last_wins,
    lexically_invalid,
    mark_numbers,
    unmark,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

__all__ = ["WINDOW", "check_valid", "decode"]

# A number whose digits a Float64 may not hold: a long integer literal, or a huge exponent.
_RISKY_NUMBER: Final = r"(?:^|[^0-9.eE+\-])-?[0-9]{16,}(?:$|[^0-9.eE])|[eE][+]?[0-9]{3,}"
# The JSON kind of a value by its first character (a number otherwise), for conflict reports.
_JSON_KIND_BY_FIRST_CHAR: Final = {
    "{": "object",
    "[": "array",
    '"': "string",
    "t": "boolean",
    "f": "boolean",
    "n": "null",
}
#: Structures are cut at this depth (Python walks them recursively): deeper subtrees stay
#: JSON text, reported. Arrays are read as JSON text sooner (``_MAX_STRUCT_NESTING``).
_MAX_DEPTH: Final = 128
# The type a cut subtree gets in a structure (not a DuckDB type name).
_TOO_DEEP: Final = "QF_TOO_DEEP"
# A path into a structure: object keys and 0 for an array's element.
Path = tuple[str | int, ...]
# The type an object too wide for max_columns gets in a structure, followed by its key count.
_TOO_WIDE: Final = "QF_TOO_WIDE:"
# Tokens of a structure's text: strings, brackets, and the rest (colons, commas).
_STRUCTURE_TOKEN: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|[^"\[\]{}]+')
# The flattener's own in-memory DuckDB, opened on first use (a connection is costly, a cursor
# cheap: BENCHMARKS.md, "Figures behind the code").
_DB: Any = None
_DB_LOCK: Final = threading.Lock()
#: Rows per structure query: ``json_group_structure`` holds every parsed row of a query until
#: it ends, so large columns are inferred window by window and the structures merged.
WINDOW: Final = 16_384
#: Below this much JSON text, one query per stage beats one per column (fewer round trips).
_SMALL_BYTES: Final = 2 * 2**20
#: Deeper objects are decoded in pieces (one per key) so no Arrow struct nests further.
_MAX_STRUCT_NESTING: Final = 24
#: How DuckDB merges two number types met on one path (checked against duckdb 2.0).
_NUMERIC_MERGE: Final = {
    frozenset({"UBIGINT", "BIGINT"}): "HUGEINT",
    frozenset({"UBIGINT", "HUGEINT"}): "HUGEINT",
    frozenset({"BIGINT", "HUGEINT"}): "HUGEINT",
    frozenset({"UBIGINT", "DOUBLE"}): "DOUBLE",
    frozenset({"BIGINT", "DOUBLE"}): "DOUBLE",
    frozenset({"HUGEINT", "DOUBLE"}): "DOUBLE",
}
#: The Polars dtype of each DuckDB leaf type the flat columns hold.
_LEAF_DTYPES: Final[dict[str, pl.DataType]] = {
    "NULL": pl.Null(),
    "BOOLEAN": pl.Boolean(),
    "BIGINT": pl.Int64(),
    "UBIGINT": pl.Int64(),
    "HUGEINT": pl.Int64(),
    "DOUBLE": pl.Float64(),
    "VARCHAR": pl.String(),
}


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
        plan_text = quote_literal(json.dumps(plan))
        return f"json_transform({value}, {plan_text}) AS {quote_ident(self.alias)}"


def check_valid(df: pl.DataFrame, cols: Sequence[str]) -> None:
    """Refuse text PostgreSQL's ``json`` input would reject.

    DuckDB's ``json_valid`` checks the structure (one pass over all columns),
    :func:`lexically_invalid` what DuckDB accepts and PostgreSQL does not (``NaN``, ``Infinity``,
    trailing commas).

    Args:
        df: the frame holding the columns.
        cols: the JSON text columns.

    Raises:
        FlattenError: naming the first column with invalid text, its first bad row and how
            many rows are bad.
    """
    if not cols:
        return
    select = ", ".join(f"json_valid({quote_ident(c)}) AS {quote_ident(c)}" for c in cols)
    con = _duckdb_cursor()
    try:
        con.register("qf_json", df.select(cols).to_arrow(compat_level=pl.CompatLevel.newest()))
        valid = pl.from_arrow(con.sql(f"SELECT {select} FROM qf_json").to_arrow_table())
    finally:
        con.close()
    assert isinstance(valid, pl.DataFrame)
    for c in cols:
        text = df.get_column(c)
        lexical = text.to_frame().select(lexically_invalid(pl.col(c)).fill_null(value=False))
        rejected = ~valid.get_column(c).fill_null(value=True) | lexical.to_series()
        if rejected.any():
            raise _invalid_rows(c, text, rejected)


def _invalid_rows(column: str, text: pl.Series, rejected: pl.Series) -> FlattenError:
    rows = rejected.arg_true()
    sample = text[rows[0]]
    snippet = sample[:60] + ("…" if len(sample) > 60 else "")
    msg = (
        f"column {column!r} holds text that is not valid JSON in {len(rows)} row(s), "
        f"first at row {rows[0]}: {snippet!r}. Hint: leave the column out "
        "(columns=[…]) or clean those rows; nothing was flattened."
    )
    return FlattenError(msg, column=column)


def decode(
    df: pl.DataFrame,
    cols: Sequence[str],
    max_depth: int | None,
    *,
    max_columns: int | None = None,
    window: int = WINDOW,
    unique_keys: Collection[str] = (),
) -> list[Leaf]:
    """The leaves of JSON text columns ``cols`` of ``df``, decoded exactly.

    Column by column when one of them nests deeper than Python can walk its structure (about
    900 levels): that column is kept whole, as its JSON text, and reported, rather than the
    whole flatten failing.

    Args:
        df: the frame holding the columns.
        cols: the JSON text columns to decode.
        max_depth: objects nested deeper than this many keys stay JSON text.
        max_columns: leaf columns per JSON column; past it the widest objects stay JSON text.
        window: rows per structure query (tests make it tiny to exercise the merge).
        unique_keys: columns known to hold no object with a repeated key (jsonb text): no
            duplicate-key pass over them.

    Returns:
        The leaves of every column, in column then first-seen key order.

    Raises:
        FlattenError: a value is not valid JSON.
    """
    try:
        return _decode_with_duckdb(df, cols, max_depth, max_columns, window, unique_keys)
    except RecursionError:
        if len(cols) > 1:
            return [
                leaf
                for c in cols
                for leaf in decode(
                    df,
                    [c],
                    max_depth,
                    max_columns=max_columns,
                    window=window,
                    unique_keys=unique_keys,
                )
            ]
        why = "nested too deep to flatten (hundreds of levels); kept as JSON text"
        return [Leaf(cols[0], (), "JSON", json_nulls(df.get_column(cols[0])), conflict=why)]


def _decode_with_duckdb(
    df: pl.DataFrame,
    cols: Sequence[str],
    max_depth: int | None,
    max_columns: int | None,
    window: int,
    unique_keys: Collection[str],
) -> list[Leaf]:
    prepared, marked = _prepare(df, cols, unique_keys)
    table = prepared.to_arrow(compat_level=pl.CompatLevel.newest())  # string views: no copy
    con = _duckdb_cursor()
    try:
        con.register("qf_json", table)
        structures = _structures(con, df, cols, window)
        if max_columns is not None:
            structures = {c: _capped(s, max_columns) for c, s in structures.items()}
        pieces = [
            piece
            for i, c in enumerate(cols)
            for piece in _pieces(c, (), structures[c], f"p{i}", 0, max_depth)
        ]
        decoded = _transform(con, pieces, max_depth, at_once=_small(df, cols, window))
        fallbacks: list[Leaf] = []
        leaves: list[Leaf] = []
        for piece in pieces:
            values = decoded.get_column(piece.alias)
            tag = marked.get(piece.source)
            for leaf in _piece_leaves(piece, values, max_depth, tag=tag):
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
                leaf.values = json_nulls(texts.get_column(f"f{i}"))
                if leaf.source in marked:
                    leaf.values = unmark(leaf.values, marked[leaf.source])
        return leaves
    finally:
        con.close()


def _prepare(
    df: pl.DataFrame, cols: Sequence[str], unique_keys: Collection[str] = ()
) -> tuple[pl.DataFrame, dict[str, Tag]]:
    """The columns as DuckDB is to read them, and each marked column's tag.

    Duplicate keys are dropped but the last (not looked for in ``unique_keys``: jsonb keeps one
    member per key); numbers a Float64 may not hold are marked as tagged strings (see
    :mod:`._text`).
    """
    out: list[pl.Series] = []
    marked: dict[str, Tag] = {}
    for c in cols:
        text = df.get_column(c) if c in unique_keys else last_wins(df.get_column(c))
        tagged = mark_numbers(text)
        if tagged is not None:
            text, marked[c] = tagged
        out.append(text)
    return pl.DataFrame(out), marked


def _duckdb_cursor() -> Any:
    """A cursor on the flattener's own in-memory DuckDB, opened once.

    A connection costs tens of times what a cursor does. Each cursor is its own session (its
    registered tables are its own), so the groups decoded in parallel threads do not see each
    other's.
    """
    global _DB
    import duckdb

    with _DB_LOCK:
        if _DB is None:
            _DB = duckdb.connect(config={"threads": 1})
        return _DB.cursor()


def _structures(
    con: Any, df: pl.DataFrame, cols: Sequence[str], window: int
) -> dict[str, Structure]:
    """The merged structure of every row of each column.

    One column (and window) at a time: several aggregates in one query keep every row's parsed JSON
    alive together.
    """
    if _small(df, cols, window):  # one query for all columns: the memory peak is small anyway
        return _structure_query(con, df, cols, "qf_json")
    out: dict[str, Structure] = {}
    for c in cols:
        if df.height <= window:
            out.update(_structure_query(con, df, [c], "qf_json"))
            continue
        windows = [
            f"(SELECT * FROM qf_json LIMIT {window} OFFSET {start})"
            for start in range(0, df.height, window)
        ]
        try:
            parts = [_structure_query(con, df, [c], window)[c] for window in windows]
            out[c] = functools.reduce(_merge_structures, parts)
        except _MismatchError:  # a window's "JSON" may be {}: only a pass over all rows can tell
            out.update(_structure_query(con, df, [c], "qf_json"))
    return out


def _small(df: pl.DataFrame, cols: Sequence[str], window: int) -> bool:
    return df.height <= window and df.select(cols).estimated_size() <= _SMALL_BYTES


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
    return {
        c: json.loads(_truncated(t)) if t is not None else "NULL"
        for c, t in zip(cols, row, strict=True)
    }


def _capped(structure: Structure, max_columns: int) -> Structure:
    """The structure with its widest objects kept as JSON text.

    The widest objects (most keys first) become the type ``_TOO_WIDE`` with their key count, until
    the structure makes at most ``max_columns`` leaf columns.

    One walk collects every object with its key count and width; they are cut in order of key
    count (a cut inside one already cut is skipped; cutting an ancestor of cut ones takes
    back their share): work n log n in the size of the structure, not per cut.
    """
    objects: list[tuple[int, int, Path, int]] = []  # (-keys, order, path, width)
    total = _collect(structure, (), objects)
    if total <= max_columns:
        return structure
    objects.sort()
    cuts: dict[Path, tuple[int, int]] = {}  # path → (keys, width when cut)
    for minus_keys, _, path, width in objects:
        if total <= max_columns:
            break
        if any(path[: len(c)] == c for c in cuts):
            continue  # inside an object already kept as text
        inner = [c for c in cuts if c[: len(path)] == path]
        now = width - sum(cuts.pop(c)[1] - 1 for c in inner)
        cuts[path] = (-minus_keys, now)
        total -= now - 1
    return _replaced(structure, (), {p: f"{_TOO_WIDE}{keys}" for p, (keys, _) in cuts.items()})


def _collect(node: Structure, path: Path, out: list[tuple[int, int, Path, int]]) -> int:
    """The leaf columns ``node`` makes.

    A list of objects counts their keys: they take memory. Appends every non-empty object as (-keys,
    order, path, width).
    """
    if isinstance(node, dict):
        width = sum(_collect(v, (*path, k), out) for k, v in node.items()) or 1
        if node:
            out.append((-len(node), len(out), path, width))
        return width
    if isinstance(node, list):
        return _collect(node[0], (*path, 0), out) if node else 1
    return 1


def _replaced(node: Structure, path: Path, cuts: dict[Path, str]) -> Structure:
    if path in cuts:
        return cuts[path]
    if isinstance(node, dict):
        return {k: _replaced(v, (*path, k), cuts) for k, v in node.items()}
    if isinstance(node, list) and node:
        return [_replaced(node[0], (*path, 0), cuts)]
    return node


def _wide_keys(node: Structure) -> int | None:
    """The keys of the widest object a leaf's structure left as JSON text, if any."""
    if isinstance(node, str):
        return int(node.removeprefix(_TOO_WIDE)) if node.startswith(_TOO_WIDE) else None
    children = list(node.values()) if isinstance(node, dict) else node
    found = [k for k in map(_wide_keys, children) if k is not None]
    return max(found, default=None)


def _truncated(structure: str) -> str:
    """A structure's text with every subtree deeper than ``_MAX_DEPTH`` replaced.

    Such a subtree becomes the type ``_TOO_DEEP``: Python walks the structure recursively, and such
    subtrees stay JSON text. A loop over the structure's tokens (one text per column, not per row).
    """
    if structure.count("[") + structure.count("{") <= _MAX_DEPTH:
        return structure
    out: list[str] = []
    depth = 0
    cut = 0  # the depth of the container being left out, 0 when none is
    for token in _STRUCTURE_TOKEN.findall(structure):
        if token in ("[", "{"):
            depth += 1
            if not cut and depth > _MAX_DEPTH:
                cut = depth
                out.append(f'"{_TOO_DEEP}"')
        elif token in ("]", "}"):
            depth -= 1
            if cut and depth < cut:
                cut = 0
                continue
        if not cut:
            out.append(token)
    return "".join(out)


class _MismatchError(Exception):
    """Two window structures differ in a way only a pass over all rows can settle."""


def _merge_structures(a: Structure, b: Structure) -> Structure:
    """Merge two window structures by DuckDB's own rules (checked against duckdb 2.0).

    Keys keep first-seen order (a's keys, then b's new keys); NULL yields to any type;
    integers widen (HUGEINT) or become DOUBLE; any other disagreement is ``JSON``. The one
    case a structure cannot settle — ``JSON`` met with an object, where ``JSON`` may stand for
    ``{}`` (which DuckDB merges into the object) — raises :class:`_MismatchError`.
    """
    if a == b or b == "NULL":
        return a
    if _TOO_DEEP in (a, b):
        return _TOO_DEEP
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
    """One ``json_transform`` query per piece, or one for all pieces when the input is small.

    Per piece, like :func:`_structures`: a lower memory peak.
    """
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


def _nesting(node: Structure) -> int:
    if isinstance(node, dict):
        return 1 + max((_nesting(v) for v in node.values()), default=0)
    if isinstance(node, list):
        return 1 + max((_nesting(v) for v in node), default=0)
    return 0


def _struct_safe(node: dict[str, Any]) -> bool:
    folded = {k.lower() for k in node}
    return bool(node) and "" not in node and len(folded) == len(node)


def _transform_structure(
    node: Structure, depth: int, max_depth: int | None, level: int = 0
) -> Structure:
    """The structure handed to ``json_transform``: what each path is read as.

    ``level`` is how deep in its piece; arrays nesting deeper than Arrow's types may are read as
    JSON text.
    """
    if isinstance(node, dict):
        if not node or (max_depth is not None and depth >= max_depth):
            return "JSON"
        return {
            k: _transform_structure(v, depth + 1, max_depth, level + 1) for k, v in node.items()
        }
    if isinstance(node, list):
        if level + _nesting(node) > _MAX_STRUCT_NESTING:
            return "JSON"
        element = node[0] if node else "NULL"
        if (
            _array_kept_as_text(element)
            or _contains(element, "DOUBLE")
            or _contains(element, "HUGEINT")
        ):
            return "JSON"  # decoded (or kept) by Polars, see _piece_leaves
        return [_transform_structure(element, depth + 1, None, level + 1)]
    if node.startswith(_TOO_WIDE):
        return "JSON"
    return {"DOUBLE": "VARCHAR", "HUGEINT": "VARCHAR", _TOO_DEEP: "JSON"}.get(node, node)


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


def _target_dtype(node: Structure, numbers_as: pl.DataType | None = None) -> pl.DataType:
    if isinstance(node, dict):
        return pl.Struct({k: _target_dtype(v, numbers_as) for k, v in node.items()})
    if isinstance(node, list):
        return pl.List(_target_dtype(node[0] if node else "NULL", numbers_as))
    if numbers_as is not None and node in {"BIGINT", "UBIGINT", "HUGEINT", "DOUBLE"}:
        return numbers_as
    return _LEAF_DTYPES.get(node, pl.String())


def _piece_leaves(
    piece: _Piece, values: pl.Series, max_depth: int | None, *, tag: Tag | None
) -> Iterator[Leaf]:
    yield from _leaves(
        piece.source, piece.path, piece.structure, values, max_depth, level=0, tag=tag
    )


def _leaves(
    source: str,
    path: tuple[str, ...],
    node: Structure,
    values: pl.Series,
    max_depth: int | None,
    *,
    level: int,
    tag: Tag | None,
) -> Iterator[Leaf]:
    if isinstance(node, dict) and isinstance(values.dtype, pl.Struct):
        fields = dict(zip(node, values.struct.unnest().get_columns(), strict=True))  # one pass
        for key, child in node.items():
            yield from _leaves(
                source, (*path, key), child, fields[key], max_depth, level=level + 1, tag=tag
            )
        return
    leaf = Leaf(source, path, node, values)
    capped = max_depth is not None and len(path) >= max_depth
    _finish_leaf(leaf, capped, too_deep=level + _nesting(node) > _MAX_STRUCT_NESTING, tag=tag)
    yield leaf


def _finish_leaf(leaf: Leaf, depth_capped: bool, *, too_deep: bool, tag: Tag | None) -> None:
    """Cast a decoded leaf to its final dtype, or mark it to be kept as JSON text.

    ``too_deep``: an array nested deeper than Arrow's types may (read as JSON text);
    ``tag``: the tag of the numbers :func:`mark_numbers` marked in the column, if any.
    """
    node, values = leaf.structure, leaf.values
    if isinstance(node, dict):  # always {} or capped by max_depth: JSON text
        if not depth_capped and _only_empty_objects(values):
            leaf.values = pl.Series(values.name, [None] * len(values), dtype=pl.Null)
        else:
            leaf.values = json_nulls(values)
        return
    wide = _wide_keys(node)
    if wide is not None:
        leaf.values = _unmarked(json_nulls(values), tag)
        leaf.conflict = (
            f"an object of {wide:,} keys, more than max_columns leaf columns allow; "
            "kept as JSON text"
        )
        return
    if node == _TOO_DEEP or (isinstance(node, list) and _contains(node, _TOO_DEEP)):
        leaf.values = _unmarked(json_nulls(values), tag)
        leaf.conflict = f"nested deeper than {_MAX_DEPTH} levels; kept as JSON text"
        return
    if isinstance(node, list):
        element = node[0] if node else "NULL"
        if too_deep:
            leaf.values = _unmarked(json_nulls(values), tag)
            leaf.conflict = f"nested deeper than {_MAX_STRUCT_NESTING} levels; kept as JSON text"
        elif _array_kept_as_text(element):
            leaf.values = json_nulls(values)
            leaf.conflict = "array elements of different types; kept as JSON text"
            if tag is not None and has_marks(leaf.values, tag):
                leaf.values = unmark(leaf.values, tag)
                leaf.conflict = "array numbers beyond Float64 precision; kept as JSON text"
        elif tag is not None and _contains(node, "VARCHAR") and _nested_marks(values, tag):
            leaf.kept_as_text = True
            leaf.conflict = "array numbers beyond Float64 precision; kept as JSON text"
        elif values.dtype == pl.String:  # arrays of doubles / wide ints, read as text
            if values.str.contains(_RISKY_NUMBER).any():
                _decode_wide_ints(leaf, node)
            else:
                leaf.values = json_nulls(values).str.json_decode(dtype=_target_dtype(node))
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
        _finish_json(leaf, tag)
    elif node == "VARCHAR" and tag is not None:
        _finish_marked_strings(leaf, tag)
    elif node not in _LEAF_DTYPES:
        leaf.values = json_nulls(values.cast(pl.String))
        leaf.conflict = f"unexpected JSON type {node}; kept as JSON text"


def _finish_double(leaf: Leaf) -> None:
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


def _decode_wide_ints(leaf: Leaf, node: Structure) -> None:
    """Arrays holding long numbers: integers decoded via their text, checked on the cast."""
    text = json_nulls(leaf.values)
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


def _cast_or_keep(leaf: Leaf, dtype: pl.DataType, why: str) -> None:
    try:
        leaf.values = leaf.values.cast(dtype, strict=True)
    except pl.exceptions.InvalidOperationError:
        leaf.kept_as_text = True
        leaf.conflict = f"{why}; kept as JSON text"


def _finish_json(leaf: Leaf, tag: Tag | None) -> None:
    text = _unmarked(json_nulls(leaf.values), tag)
    first = text.drop_nulls().str.strip_chars_start().str.slice(0, 1)
    kinds = first.replace_strict(_JSON_KIND_BY_FIRST_CHAR, default="number").unique()
    kind_list = sorted(kinds.to_list())
    if kind_list == ["object"] and _only_empty_objects(text):
        leaf.values = pl.Series(text.name, [None] * len(text), dtype=pl.Null)
        return
    leaf.values = text
    if kind_list == ["number"]:  # doubles met numbers marked as beyond Float64
        _finish_numbers(leaf)
        return
    leaf.conflict = "type conflict (" + ", ".join(kind_list) + "); kept as JSON text"


def _finish_marked_strings(leaf: Leaf, tag: Tag) -> None:
    """A String leaf of a marked column.

    Numbers only (Float64 where every one is exact, or their text), strings only (as they are), or
    both (each row's JSON text, read again).
    """
    values = leaf.values
    is_mark = values.str.starts_with(tag.decoded)
    if not is_mark.any():
        return
    if (is_mark | values.is_null()).all():
        leaf.values = unmark(values, tag)
        _finish_numbers(leaf)
    else:
        leaf.kept_as_text = True
        leaf.conflict = "type conflict (number, string); kept as JSON text"


def _finish_numbers(leaf: Leaf) -> None:
    """Number texts as Float64 where exact, else as the source's text.

    Float64 when each is the same decimal value as its Float64's shortest text, else kept as the
    source's text and reported.
    """
    text = leaf.values
    if exact_float_texts(text.drop_nulls()).all():
        leaf.values = text.cast(pl.Float64)
    else:
        leaf.conflict = "numbers beyond Float64 precision; kept as JSON text"


def _unmarked(text: pl.Series, tag: Tag | None) -> pl.Series:
    return unmark(text, tag) if tag is not None and has_marks(text, tag) else text


def _nested_marks(values: pl.Series, tag: Tag) -> bool:
    """Whether a decoded List/Struct column holds a marked number string anywhere."""
    encoded = values.to_frame("v").select(pl.struct("v").struct.json_encode()).to_series()
    return has_marks(encoded, tag)


def _only_empty_objects(values: pl.Series) -> bool:
    non_null = values.drop_nulls()
    return bool((non_null.str.replace_all(r"\s", "") == "{}").all())


def _json_pointer(path: Sequence[str]) -> str:
    return "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in path)
