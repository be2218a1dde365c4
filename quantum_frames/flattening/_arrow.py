r"""Fast path of the flatten stage: a column of JSON objects decoded by Arrow's JSON reader.

Arrow's reader infers the schema over every row and decodes the values in the same pass, in
native code — about half the work of DuckDB's structure pass followed by its transform. It is
also strict where the flattener must be exact: a path whose rows disagree (a number here, a
string there; an object here, a scalar there), array elements of different types, duplicate
keys and invalid JSON all make it raise.

A column is decoded here only when Arrow's result is, leaf for leaf, what the exact DuckDB
path of :mod:`quantum_frames.flattening` would give; :func:`decode_objects` returns None
otherwise and the column takes that path. It declines when:

- a value is not a JSON object (a root scalar, array or ``null``), or ``max_depth`` is set;
- a value opens more than 4,096 arrays and objects (Arrow's parser recurses: nesting tens
  of thousands deep crashes the process);
- a value is not valid JSON (checked by the caller unless the values come from a PostgreSQL
  json/jsonb column), or the text holds a ``\u0000`` or surrogate escape;
- the text holds a number a Float64 may not hold exactly (16 digits or more, or a
  three-digit exponent: :data:`~quantum_frames.flattening._text.RISKY_NUMBER_SCREEN`; Arrow
  would round it silently), or a digit run that looks like one inside a string;
- a decoded double is NaN or infinite (Arrow accepts ``NaN`` and ``Infinity``, JSON does not)
  or of magnitude 1e15 or more: its literal may have had more digits than a Float64 holds
  (an integer beyond Int64 also comes out as a double), which the DuckDB path checks value by
  value;
- Arrow raises (any type conflict, duplicate key, invalid JSON), or its schema holds what the
  DuckDB path treats apart (``[{}]``, arrays of objects with keys differing only by case,
  very deep nesting).

Strings Arrow would read as timestamps are read again with those paths declared as strings,
so every string stays the exact text of the source.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Final, Literal

import polars as pl
import pyarrow as pa
import pyarrow.json as pa_json

from quantum_frames.flattening._text import RISKY_NUMBER_SCREEN

if TYPE_CHECKING:
    from polars.datatypes import DataTypeClass

__all__ = ["decode_objects", "decode_small_objects"]

# Escapes the DuckDB path treats apart from Arrow: NUL and (lone) surrogates.
_ESCAPES: Final = r"\\u(?:0000|[dD][89a-fA-F])"
#: From this magnitude on, a double may have come from an integer literal of 16 digits or more
#: (JSON has no leading zeros), whose digits a Float64 may not hold: the DuckDB path decides.
_LARGE: Final = 1e15
# Arrow refuses very deep struct schemas long before JSON does; the DuckDB path splits them.
_MAX_NESTING: Final = 20
#: Arrow's JSON parser recurses: a row opening more arrays and objects than this (an upper
#: bound on its nesting) goes to the DuckDB path; pyarrow 26 crashed (stack overflow) at
#: 20,000 levels on its own pool threads and below 100,000 on ours.
_MAX_BRACKETS: Final = 4_096
#: The schema is inferred from the first rows, at most this many and this many bytes (see
#: _read_bounded): Arrow's inference over all rows of a dict keyed by ids takes gigabytes.
_PREFIX_ROWS: Final = 500
_PREFIX_BYTES: Final = 64 * 1024
#: Arrow names the column a read failed on: ``Column(/3/...)``, 3 being its batch field.
_FAILED_FIELD: Final = re.compile(r"Column\(/(\d+)[/)]")
#: Text a double of magnitude ``_LARGE`` or more (or NaN, Infinity) needs: an exponent, or 16
#: digits and dots in a row. Text without it skips the exact check of its doubles.
_FLOAT_SCREEN: Final = r"(?-u)[0-9.][eE]|[0-9.]{16}|NaN|Inf"
#: Reads of one batch at most (each failure naming a column drops it and reads again).
_BATCH_READS: Final = 4
# Arrow reads the whole column as one block (one schema inference, first-seen key order).
_MAX_BLOCK: Final = 2**31 - 2


def decode_objects(
    values: pl.Series, *, max_columns: int | None = None
) -> list[tuple[tuple[str, ...], pl.Series]] | None:
    """The leaves of a column of JSON object text, as (path, values).

    The leaves come in first-seen key order; None when the column must take the exact DuckDB path.

    Every non-null value must be valid JSON (the caller knows it, or checked it): the values
    are handed to Arrow back to back, as they lie in the column's buffer, and only valid
    objects are sure to be read one row each.

    Args:
        values: a String column of JSON object text.
        max_columns: a column whose schema has more leaves than this is declined (the DuckDB
            engine keeps its widest subtrees as JSON text). Arrow never builds a wider schema
            than its first rows' (:func:`_read_bounded`), so memory stays bounded.

    Returns:
        The leaves, or None.
    """
    text = pl.col(values.name)
    nulls, objects, size, longest, escapes, risky = (
        values.to_frame()
        .select(  # one pass for all the checks on the rows
            text.null_count().alias("nulls"),
            text.str.starts_with("{").all().alias("objects"),
            text.str.len_bytes().sum().alias("size"),
            text.str.len_bytes().max().alias("longest"),
            text.str.contains("\\u", literal=True).any().alias("escapes"),
            text.str.contains(RISKY_NUMBER_SCREEN).any().alias("risky"),
        )
        .row(0)
    )
    # Objects only: besides, a root JSON null read back to back crashes pyarrow 26 (segfault),
    # and so does very deep nesting (its parser recurses): no row may open more than
    # _MAX_BRACKETS arrays and objects in all — counted only in rows long enough to.
    if nulls == len(values) or not objects or risky or _too_deep(values, longest or 0):
        return None
    if (size or 0) + 2 * nulls > _MAX_BLOCK:
        return None
    if escapes and values.str.contains(_ESCAPES).any():  # the regex only where \u occurs
        return None
    texts = (values.fill_null("{}") if nulls else values).to_arrow(
        compat_level=pl.CompatLevel.oldest()  # large_string: the values back to back
    )
    offsets = memoryview(texts.buffers()[1]).cast("q")  # int64 offsets of large_string
    first, last = offsets[texts.offset], offsets[texts.offset + len(texts)]
    buffer = texts.buffers()[2].slice(first, last - first)
    ends = offsets[texts.offset + 1 : texts.offset + len(texts) + 1]
    table = _read_bounded(buffer, ends, first, max_columns)
    if table is None:
        return None
    if table.num_rows != len(values) or not all(_supported(f.type, 0) for f in table.schema):
        return None
    if table.num_columns == 0:  # every row {} or SQL NULL: one null column
        return [((), pl.Series(values.name, [None] * len(values), dtype=pl.Null))]
    try:
        frame = pl.from_arrow(table)
    except pl.exceptions.PolarsError:  # e.g. list<null> arrays Polars 2.1 cannot import
        return None
    assert isinstance(frame, pl.DataFrame)
    checks = [e for c, dtype in frame.schema.items() for e in _unsafe_floats(pl.col(c), dtype)]
    if checks and any(frame.select(e.alias(str(i)) for i, e in enumerate(checks)).row(0)):
        return None
    leaves: list[tuple[tuple[str, ...], pl.Series]] = []
    for key, column in zip(table.column_names, frame.get_columns(), strict=True):
        _leaves((key,), column.alias(key), leaves)  # Polars names a "" column column_0
    return leaves


def decode_small_objects(
    df: pl.DataFrame, cols: list[str], *, max_columns: int | None = None
) -> dict[str, list[tuple[tuple[str, ...], pl.Series]] | None]:
    """:func:`decode_objects` of several small columns at once: one Arrow read for all.

    A small table (96 teams × 29 JSON columns) spends most of its flatten time in the fixed
    cost of one Arrow read, one Polars import and one check query per column. Here the
    columns of each row are joined into one object, ``{"0": <col 0>, "1": <col 1>, …}``,
    read once and split back. Only a column whose every step succeeds in the batch takes its
    result from it; a column a batch read raised on (Arrow names it: a type conflict, a
    duplicate key) takes the exact DuckDB path, as it would from :func:`decode_objects` (the
    same reader raises on it alone); any other (a check that declines, more than
    ``_PREFIX_BYTES`` of text, a schema Arrow's path would decline) is handed to
    :func:`decode_objects` on its own. Both engines give the same leaves (the tests hold them
    equal), so the result is column for column what decoding one column at a time gives.

    Args:
        df: the frame holding the columns.
        cols: String columns of JSON object text, every non-null value valid JSON.
        max_columns: as for :func:`decode_objects`.

    Returns:
        Per column, its leaves or None (it must take the exact DuckDB path).
    """
    text = pl.col(cols)  # one expression per check for all the columns
    stats = df.select(
        (text.null_count() < pl.len()).name.prefix("some:"),
        text.str.starts_with("{").all().name.prefix("objects:"),
        text.str.len_bytes().sum().name.prefix("size:"),
        text.str.len_bytes().max().name.prefix("longest:"),
    ).row(0, named=True)
    shaped = [  # the columns decode_objects would read in one block, by their shape
        c
        for c in cols
        if stats[f"some:{c}"]
        and stats[f"objects:{c}"]
        and (stats[f"longest:{c}"] or 0) <= _MAX_BRACKETS
        and (stats[f"size:{c}"] or 0) + 2 * df.height <= _PREFIX_BYTES  # nulls read as {}
    ]
    screens = _screens(df, shaped)
    # ... and with nothing in their text to decline
    batch = [c for c in shaped if not screens[c]["escapes"] and not screens[c]["risky"]]
    floats = {c for c in batch if screens[c]["floats"]}
    done: dict[str, list[tuple[tuple[str, ...], pl.Series]]] = {}
    declined: set[str] = set()  # a batch read failed on them: Arrow raises on them alone too
    for _ in range(_BATCH_READS):
        if len(batch) < 2:
            break
        failed = _read_batch(df, batch, max_columns, floats, done)
        if failed is None:
            break
        if len(failed) == 1:
            declined |= failed
        batch = [c for c in batch if c not in failed]

    def leaves(c: str) -> list[tuple[tuple[str, ...], pl.Series]] | None:
        if c in done:
            return done[c]
        if c in declined:
            return None  # the exact DuckDB path
        return decode_objects(df.get_column(c), max_columns=max_columns)

    return {c: leaves(c) for c in cols}


#: Either screen below: text without a match holds neither a risky number nor a double to check.
_NUMBER_SCREENS: Final = "(?-u)" + "|".join(
    p.removeprefix("(?-u)") for p in (RISKY_NUMBER_SCREEN, _FLOAT_SCREEN)
)


def _screens(df: pl.DataFrame, cols: list[str]) -> dict[str, dict[str, bool]]:
    r"""Per column, whether its text holds ``\u``, a risky number or a double to check.

    Risky: a number a Float64 may not hold exactly (:data:`RISKY_NUMBER_SCREEN`); a double to
    check: :data:`_FLOAT_SCREEN`. The two number screens run as one regex (their union) over
    every column; only the columns it matches (few, in the usual data) run each screen on its
    own: one scan of the text instead of two.
    """
    if not cols:
        return {}
    text = pl.col(cols)
    first = df.select(
        text.str.contains("\\u", literal=True).any().name.prefix("escapes:"),
        text.str.contains(_NUMBER_SCREENS).any().name.prefix("numbers:"),
    ).row(0, named=True)
    out = {
        c: {"escapes": bool(first[f"escapes:{c}"]), "risky": False, "floats": False} for c in cols
    }
    numeric = [c for c in cols if first[f"numbers:{c}"]]
    if numeric:
        text = pl.col(numeric)
        second = df.select(
            text.str.contains(RISKY_NUMBER_SCREEN).any().name.prefix("risky:"),
            text.str.contains(_FLOAT_SCREEN).any().name.prefix("floats:"),
        ).row(0, named=True)
        for c in numeric:
            out[c]["risky"] = bool(second[f"risky:{c}"])
            out[c]["floats"] = bool(second[f"floats:{c}"])
    return out


def _read_batch(
    df: pl.DataFrame,
    cols: list[str],
    max_columns: int | None,
    floats: set[str],
    done: dict[str, list[tuple[tuple[str, ...], pl.Series]]],
) -> set[str] | None:
    """Read ``cols`` in one Arrow read; the columns fully decoded go into ``done``.

    Only the columns in ``floats`` (their text may hold a number of magnitude ``_LARGE`` or
    more, or a NaN) have their doubles checked (:func:`_unsafe_floats`). The columns holding
    strings Arrow read as timestamps are read again (only they) with
    those paths declared strings, as :func:`_read_bounded` does for one column.

    Returns:
        None when the batch was read (the columns not in ``done`` go alone), or the columns
        to drop before reading again (an Arrow error naming one; all of them otherwise).
    """
    error: list[str] = []
    table = _read(_joined(df, cols), None, error=error)
    if table is None:
        found = _FAILED_FIELD.search(error[0]) if error else None
        return {cols[int(found.group(1))]} if found else set(cols)
    if table.num_rows != df.height or table.num_columns != len(cols):
        return set(cols)
    arrays = dict(zip(cols, table.columns, strict=True))
    stamped = [c for i, c in enumerate(cols) if _holds_timestamp(table.field(i).type, 0)]
    if stamped:
        schema = pa.schema(
            [
                _as_strings(table.field(cols.index(c))).with_name(str(j))
                for j, c in enumerate(stamped)
            ]
        )
        again = _read(_joined(df, stamped), schema)
        if again is None or again.num_rows != df.height:
            return set(cols)
        arrays.update(zip(stamped, again.columns, strict=True))
    ok: list[str] = []
    for c, array in arrays.items():
        dtype = array.type
        fields = (
            [dtype.field(k) for k in range(dtype.num_fields)] if pa.types.is_struct(dtype) else []
        )
        if not pa.types.is_struct(dtype) or not all(_supported(f.type, 0) for f in fields):
            continue  # declined by decode_objects too: it says so on its own
        if max_columns is not None and sum(_width(f.type) for f in fields) > max_columns:
            continue
        ok.append(c)
    try:
        frame = pl.from_arrow(pa.table([arrays[c] for c in ok], names=ok))
    except pl.exceptions.PolarsError:  # e.g. list<null> arrays Polars 2.1 cannot import
        return set(cols)
    assert isinstance(frame, pl.DataFrame)
    checks = [  # one query for the doubles of every column (see _unsafe_floats)
        (c, e)
        for c, dtype in frame.schema.items()
        if c in floats and isinstance(dtype, pl.Struct)
        for f in dtype.fields
        for e in _unsafe_floats(pl.col(c).struct.field(f.name), f.dtype)
    ]
    flags = (
        frame.select(e.alias(str(k)) for k, (_, e) in enumerate(checks)).row(0) if checks else ()
    )
    unsafe = {c for (c, _), flag in zip(checks, flags, strict=True) if flag}
    for c, column in zip(frame.columns, frame.get_columns(), strict=True):
        if c in unsafe:
            continue
        dtype = column.dtype
        if not isinstance(dtype, pl.Struct) or not dtype.fields:  # every row {} or SQL NULL
            done[c] = [((), pl.Series(c, [None] * df.height, dtype=pl.Null))]
            continue
        leaves: list[tuple[tuple[str, ...], pl.Series]] = []
        for field in column.struct.unnest().get_columns():
            _leaves((field.name,), field, leaves)
        done[c] = leaves
    return None


def _joined(df: pl.DataFrame, cols: list[str]) -> pa.Buffer:
    """The rows as ``{"0": <col 0>, "1": <col 1>, …}`` back to back (SQL NULL as ``{}``)."""
    parts: list[pl.Expr] = []
    for i, c in enumerate(cols):
        parts += [pl.lit(("{" if i == 0 else ",") + f'"{i}":'), pl.col(c).fill_null("{}")]
    joined = df.select(pl.concat_str([*parts, pl.lit("}")]).alias("j")).to_series()
    texts = joined.to_arrow(compat_level=pl.CompatLevel.oldest())  # large_string
    offsets = memoryview(texts.buffers()[1]).cast("q")
    first, last = offsets[texts.offset], offsets[texts.offset + len(texts)]
    buffer: pa.Buffer = texts.buffers()[2].slice(first, last - first)
    return buffer


def _read_bounded(
    buffer: pa.Buffer, ends: memoryview, first: int, max_columns: int | None
) -> pa.Table | None:
    """Read the rows with the schema Arrow infers from the first ones, or None.

    Arrow's own inference over many rows whose objects use many distinct keys (a dict keyed
    by match id) builds one column per key for every row: gigabytes for a few megabytes of
    text. So the schema is inferred from the first rows (at most ``_PREFIX_ROWS`` and
    ``_PREFIX_BYTES``, but at least one), declined past ``max_columns`` leaves, and the other
    rows read with it: a later row with a key or type the first rows lack makes Arrow raise
    (unexpected field, changed type) and the column goes to the DuckDB engine.
    """
    if buffer.size <= _PREFIX_BYTES:
        table = _read(buffer, None)
        if table is not None and _has_timestamps(table.schema):
            table = _read(buffer, pa.schema([_as_strings(f) for f in table.schema]))
        if table is None or _too_wide(table.schema, max_columns):
            return None
        return table
    rows = max(1, bisect.bisect_right(ends, first + _PREFIX_BYTES, hi=min(len(ends), _PREFIX_ROWS)))
    prefix = buffer.slice(0, ends[rows - 1] - first)
    head = _read(prefix, None)  # at most 500 rows × 16k keys (64 KiB): tens of MB at worst
    if head is None or _too_wide(head.schema, max_columns):
        return None
    schema = pa.schema([_as_strings(f) for f in head.schema])
    if _has_timestamps(head.schema):
        head = _read(prefix, schema)
    rest = _read(buffer.slice(prefix.size), schema, unexpected="error")
    if head is None or rest is None:
        return None
    return pa.concat_tables([head, rest])  # each row read once


def _too_wide(schema: pa.Schema, max_columns: int | None) -> bool:
    return max_columns is not None and sum(_width(f.type) for f in schema) > max_columns


def _width(dtype: pa.DataType, depth: int = 0) -> int:
    """The leaf columns a type makes.

    A list of structs counts its fields: they take memory. Past ``_MAX_NESTING`` levels 1 (such a
    schema is declined by :func:`_supported`).
    """
    if depth > _MAX_NESTING:
        return 1
    if pa.types.is_struct(dtype):
        fields = range(dtype.num_fields)
        return sum(_width(dtype.field(i).type, depth + 1) for i in fields) or 1
    if pa.types.is_list(dtype):
        return _width(dtype.value_type, depth + 1)
    return 1


def _too_deep(values: pl.Series, longest: int) -> bool:
    """Whether a row opens more than ``_MAX_BRACKETS`` arrays and objects.

    A regex count, run only on the rows with more bytes than that.
    """
    if longest <= _MAX_BRACKETS:
        return False
    long_rows = values.filter(values.str.len_bytes() > _MAX_BRACKETS)
    return bool((long_rows.str.count_matches(r"[\[{]").max() or 0) > _MAX_BRACKETS)  # type: ignore[operator]


def _unsafe_floats(expr: pl.Expr, dtype: pl.DataType | DataTypeClass) -> list[pl.Expr]:
    """Expressions telling whether a decoded column holds doubles the DuckDB path must look at.

    Such doubles are NaN or Infinity (Arrow accepts them, JSON does not) or values of ``_LARGE`` and
    beyond (the literal may have had more digits than a Float64 holds; integers beyond Int64 come
    out as doubles). One expression per double leaf, all run in one ``select``.
    """
    if dtype == pl.Float64:
        return [((expr.abs() >= _LARGE) | expr.is_nan()).any()]
    if isinstance(dtype, pl.Struct):
        return [e for f in dtype.fields for e in _unsafe_floats(expr.struct.field(f.name), f.dtype)]
    if isinstance(dtype, pl.List):
        return _unsafe_floats(expr.explode(), dtype.inner)
    return []


def _read(
    buffer: pa.Buffer,
    schema: pa.Schema | None,
    unexpected: Literal["infer", "error"] = "infer",
    *,
    error: list[str] | None = None,
) -> pa.Table | None:
    options = pa_json.ReadOptions(use_threads=False, block_size=max(buffer.size + 1, 1 << 16))
    parse = (
        pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected)
        if schema is not None
        else None
    )
    try:
        return pa_json.read_json(pa.BufferReader(buffer), read_options=options, parse_options=parse)
    except (pa.ArrowException, ValueError) as exc:
        if error is not None:
            error.append(str(exc))
        return None


def _leaves(
    path: tuple[str, ...], column: pl.Series, out: list[tuple[tuple[str, ...], pl.Series]]
) -> None:
    dtype = column.dtype
    if isinstance(dtype, pl.Struct):
        if not dtype.fields:  # only {} ever met here: nothing to keep (as the DuckDB path)
            out.append((path, pl.Series(column.name, [None] * len(column), dtype=pl.Null)))
            return
        for field in column.struct.unnest().get_columns():
            _leaves((*path, field.name), field, out)
        return
    out.append((path, column))


_LEAF_TYPES: Final = (pa.int64(), pa.float64(), pa.bool_(), pa.string(), pa.null())


def _supported(dtype: pa.DataType, depth: int) -> bool:
    """Whether the DuckDB path would give exactly this type (see the module doc)."""
    if depth > _MAX_NESTING:
        return False
    if pa.types.is_struct(dtype):
        return all(_supported(dtype.field(i).type, depth + 1) for i in range(dtype.num_fields))
    if pa.types.is_list(dtype):
        return _element_supported(dtype.value_type, depth + 1)
    return dtype in _LEAF_TYPES


def _element_supported(dtype: pa.DataType, depth: int) -> bool:
    """Array elements the DuckDB path keeps as JSON text.

    These are arrays of objects it cannot hold as one STRUCT (``{}``, an empty key, keys differing
    only by case).
    """
    if depth > _MAX_NESTING:
        return False
    if pa.types.is_struct(dtype):
        names = [dtype.field(i).name for i in range(dtype.num_fields)]
        if not names or "" in names or len({n.lower() for n in names}) != len(names):
            return False
        return all(_element_supported(dtype.field(i).type, depth + 1) for i in range(len(names)))
    if pa.types.is_list(dtype):
        return _element_supported(dtype.value_type, depth + 1)
    return dtype in _LEAF_TYPES


def _has_timestamps(schema: pa.Schema) -> bool:
    return any(_holds_timestamp(f.type, 0) for f in schema)


def _holds_timestamp(dtype: pa.DataType, depth: int) -> bool:
    if depth > _MAX_NESTING:  # declined by _supported anyway; no deep recursion here
        return False
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return True
    if pa.types.is_struct(dtype):
        fields = range(dtype.num_fields)
        return any(_holds_timestamp(dtype.field(i).type, depth + 1) for i in fields)
    if pa.types.is_list(dtype):
        return _holds_timestamp(dtype.value_type, depth + 1)
    return False


def _as_strings(field: pa.Field) -> pa.Field:
    """The field with every timestamp inside it declared a string."""
    return field.with_type(_type_as_strings(field.type))


def _type_as_strings(dtype: pa.DataType) -> pa.DataType:
    if pa.types.is_timestamp(dtype) or pa.types.is_date(dtype):
        return pa.string()
    if pa.types.is_struct(dtype):
        return pa.struct([_as_strings(dtype.field(i)) for i in range(dtype.num_fields)])
    if pa.types.is_list(dtype):
        return pa.list_(_as_strings(dtype.value_field))
    return dtype
