"""Checks that a flattened frame holds exactly the JSON leaves of its source (test helper).

The leaves are as PostgreSQL reads them (:func:`pg_loads`: last duplicate wins, numbers
exact).

Walking the JSON in Python row by row is fine here: this is the independent oracle the
vectorised flattener is checked against.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Iterable


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def pg_loads(text: str) -> Any:
    """JSON as PostgreSQL reads it (``->>``, jsonb), the independent oracle.

    The last of duplicate keys wins, NaN/Infinity are refused, numbers are exact (Decimal).
    """
    return json.loads(
        text, object_pairs_hook=dict, parse_constant=_refuse_constant, parse_float=Decimal
    )


def _normalise(value: Any) -> Any:
    """Drop null members and empty objects, as the flat form cannot tell them from absent."""
    if isinstance(value, dict):
        out = {k: _normalise(v) for k, v in value.items()}
        out = {k: v for k, v in out.items() if v is not None}
        return out or None
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


def _exact(value: Any) -> Any:
    """Numbers as exact Decimals (a float as its shortest text: what a Float64 column says)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else value
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def _equal(flat: Any, source: Any) -> bool:
    """Equal as decimal values.

    A float equals its source only if its shortest text is the source's decimal value (no
    rounding), an integer only exactly.
    """
    return bool(_exact(_normalise(flat)) == _exact(_normalise(source)))


def assert_leaves_match(
    raw: pl.DataFrame,
    flat: pl.DataFrame,
    report: pl.DataFrame,
    columns: Iterable[str],
    *,
    separator: str = ".",
) -> int:
    """Assert every JSON leaf of ``raw[columns]`` equals its flat column.

    Nothing else is in the flat columns. Returns how many non-null leaves were compared.
    """
    cols = list(columns)
    mine = report.filter(pl.col("source").is_in(cols))
    conflict = {r["column"] for r in mine.iter_rows(named=True) if r["conflict"] is not None}
    flat_cols = mine["column"].to_list()
    assert raw.height == flat.height
    compared = 0
    flat_rows = flat.select(flat_cols).to_dicts()
    for i, row in enumerate(raw.select(cols).to_dicts()):
        expected: dict[str, Any] = {}
        for col in cols:
            text = row[col]
            doc = pg_loads(text) if text is not None else None
            _walk(col, doc, set(flat_cols), separator, expected, where=f"row {i}")
        got = flat_rows[i]
        for name, value in got.items():
            want = expected.pop(name, None)
            if name in conflict and value is not None:
                value = pg_loads(value)
            assert _equal(value, want), f"row {i}, column {name}: flat {value!r} != source {want!r}"
            compared += value is not None
        leftover = {k: v for k, v in expected.items() if _normalise(v) is not None}
        assert not leftover, f"row {i}: source leaves with no flat column: {leftover}"
    return compared


def _walk(
    name: str, value: Any, flat_cols: set[str], sep: str, out: dict[str, Any], *, where: str
) -> None:
    if name in flat_cols or not isinstance(value, dict):
        if name in out:
            raise AssertionError(f"{where}: two source paths give column {name!r}")
        out[name] = value
        return
    for key, child in value.items():
        _walk(f"{name}{sep}{key}", child, flat_cols, sep, out, where=where)
