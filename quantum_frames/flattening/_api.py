"""The public functions of the flatten stage and its report.

How it works, all in native code. A column of JSON objects is first offered to Arrow's JSON
reader (:mod:`quantum_frames.flattening._arrow`), which infers and decodes in one pass and
declines whatever it would not read exactly as the DuckDB engine
(:mod:`quantum_frames.flattening._duckdb`); every other column takes that engine. The routing
between the two (and the threads) is :mod:`quantum_frames.flattening._route`.

The flat column order is the source column order, then first-seen key order; the same input
always gives the same columns.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames.errors import FlattenCollisionError, FlattenError, InvalidArgumentError
from quantum_frames.flattening._duckdb import WINDOW
from quantum_frames.flattening._leaf import Leaf, struct_leaves
from quantum_frames.flattening._route import decode_text_columns

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from quantum_frames.flattening._route import Engine

__all__ = ["REPORT_SCHEMA", "flatten", "flatten_with_report", "json_columns", "report_frame"]

#: Leaf columns per JSON column by default: past it the widest objects stay JSON text.
MAX_COLUMNS: Final = 1_000

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


def json_columns(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    """The columns :func:`flatten` takes by default.

    Struct columns, and String columns whose every non-null value is a JSON object (starts with
    ``{``).

    Args:
        frame: the frame (a lazy frame reads only its String columns' first characters).

    Returns:
        The JSON column names, in the frame's order.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> df = pl.DataFrame({"id": [1], "dna": ['{"a": 1}'], "name": ["Liverpool"]})
        >>> qf.json_columns(df)
        ['dna']
    """
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
    max_columns: int | None = MAX_COLUMNS,
    valid_json: bool = False,
) -> pl.DataFrame:
    """Flatten JSON columns into one column per leaf path.

    Args:
        frame: the frame; it is not modified.
        columns: the JSON columns (JSON text or Struct); default :func:`json_columns`.
        separator: joins the column name and the keys of a path.
        max_depth: objects nested deeper than this many keys stay as JSON text.
        max_columns: leaf columns per JSON column (None: no limit). Past it the widest
            objects (a dict keyed by match id) stay JSON text, reported with their key count,
            so memory stays linear in the data.
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
        frame,
        columns,
        separator=separator,
        max_depth=max_depth,
        max_columns=max_columns,
        valid_json=valid_json,
    )[0]


def flatten_with_report(
    frame: pl.DataFrame | pl.LazyFrame,
    /,
    columns: Sequence[str] | None = None,
    *,
    separator: str = ".",
    max_depth: int | None = None,
    max_columns: int | None = MAX_COLUMNS,
    valid_json: bool = False,
    _engine: Engine = "auto",
    _window: int = WINDOW,
    _unique_keys: Collection[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Like :func:`flatten`, also returning the report (see :data:`REPORT_SCHEMA`).

    Per flat column the report gives its source column, JSON path, dtype, null fraction and any type
    conflict.

    ``valid_json=True`` says every value is known to be valid JSON (it was read from a
    PostgreSQL json/jsonb column, which checks it on the way in): it spares a validation pass.
    Invalid text then raises or is kept as the DuckDB path would — never silently misread —
    only if the promise holds, so leave it False for text of unknown origin.

    ``_engine`` and ``_window`` are for tests: ``_engine="duckdb"`` turns the Arrow fast path
    off, ``_window`` sets the rows per DuckDB structure query. ``_unique_keys`` names the
    columns known to hold no object with a repeated key (``jsonb`` text, as the loader reads it):
    the DuckDB path skips looking for one there.

    Args:
        frame: the frame; it is not modified.
        columns: the JSON columns (JSON text or Struct); default :func:`json_columns`.
        separator: joins the column name and the keys of a path.
        max_depth: objects nested deeper than this many keys stay as JSON text.
        max_columns: leaf columns per JSON column (None: no limit).
        valid_json: every value is known to be valid JSON.
        _engine: for tests (see above).
        _window: for tests (see above).
        _unique_keys: for the loader (see above).

    Returns:
        ``(flat frame, report)``: the report has one row per flat column.

    Raises:
        InvalidArgumentError: a bad ``separator``, ``max_depth`` or ``max_columns``.
        FlattenCollisionError: two paths would give the same column name.
        FlattenError: a value is not valid JSON, or a column is not in the frame.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> df = pl.DataFrame({"dna": ['{"a": 1}', '{"a": "x"}']})
        >>> flat, report = qf.flatten_with_report(df)
        >>> report.select("column", "conflict").row(0)[0]
        'dna.a'
    """
    if not isinstance(separator, str) or not separator:
        msg = f"separator must be a non-empty string, got {separator!r}. Hint: e.g. '.' or '__'."
        raise InvalidArgumentError(msg, argument="separator")
    if max_depth is not None and max_depth < 1:
        msg = f"max_depth must be at least 1 (or None for no limit), got {max_depth!r}."
        raise InvalidArgumentError(msg, argument="max_depth")
    if max_columns is not None and (isinstance(max_columns, bool) or max_columns < 1):
        msg = (
            f"max_columns must be at least 1, got {max_columns!r}. Hint: pass a positive "
            "number of leaf columns per JSON column (default 1000), or None for no limit."
        )
        raise InvalidArgumentError(msg, argument="max_columns")
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
        dtypes = [str(schema[c]) for c in other]
        msg = f"columns {other} hold neither JSON text nor structs (dtypes {dtypes})."
        raise FlattenError(msg, column=other[0])

    leaves: dict[str, list[Leaf]] = {c: [] for c in cols}
    for leaf in decode_text_columns(
        df,
        text_cols,
        max_depth,
        valid_json=valid_json,
        max_columns=max_columns,
        engine=_engine,
        window=_window,
        unique_keys=_unique_keys,
    ):
        leaves[leaf.source].append(leaf)
    for c in struct_cols:
        leaves[c].extend(struct_leaves(c, (), df.get_column(c), 0, max_depth))
    for c in null_cols:
        leaves[c].append(Leaf(c, (), "NULL", df.get_column(c)))

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
    """A flatten report (:data:`REPORT_SCHEMA`) from its columns.

    The paths (lists of strings) are joined by a character no key holds and split again by
    Polars: building them from nested Python lists is many times slower, and ``pyarrow.array``
    on Python lists imports pandas (a large share of a script's first load) when it is
    installed (figures: BENCHMARKS.md, "Figures behind the code"); this
    way reading a snapshot imports no pyarrow. Keys holding every candidate character take
    the Arrow route (offsets and flat values).

    Args:
        columns: per report column (:data:`REPORT_SCHEMA`), its values.

    Returns:
        The report frame.
    """
    paths = columns["path"]
    keys = {k for p in paths for k in p}
    sep = next((c for c in _PATH_SEPARATORS if not any(c in k for k in keys)), None)
    if sep is None:
        path = _arrow_paths(paths)
    else:  # an empty path is a null, split to no keys
        joined = pl.Series([sep.join(p) if p else None for p in paths], dtype=pl.String)
        path = joined.str.split(sep).fill_null(pl.Series([[]], dtype=pl.List(pl.String)))
    return pl.DataFrame(
        [
            path.alias("path") if name == "path" else pl.Series(name, columns[name], dtype)
            for name, dtype in REPORT_SCHEMA.items()
        ]
    ).cast(REPORT_SCHEMA)


#: Characters to join a path's keys by, the first that no key holds (control characters).
_PATH_SEPARATORS: Final = ("\x1f", "\x1e", "\x1d", "\x1c", "\x07")


def _arrow_paths(paths: list[list[str]]) -> pl.Series:
    """The paths as a list column built from offsets and flat values through Arrow."""
    import pyarrow as pa

    offsets = [0, *itertools.accumulate(len(p) for p in paths)]
    values = pl.Series([k for p in paths for k in p], dtype=pl.String)
    path = pa.LargeListArray.from_arrays(
        pl.Series(offsets, dtype=pl.Int64).to_arrow(),
        values.to_arrow(compat_level=pl.CompatLevel.oldest()),
    )
    return pl.Series("path", path)


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
