"""The small-table path: all JSON object columns of a small frame read by Arrow in one batch.

Read that way (:func:`decode_small_objects`), they give, column for column, what
:func:`decode_objects` gives alone, and the flattened frame is the exact DuckDB engine's.
"""

from __future__ import annotations

import json
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.flattening import _arrow
from quantum_frames.flattening._arrow import decode_objects, decode_small_objects
from tests._helpers.leaves import assert_leaves_match
from tests.flattening.test_conformance import JSON_TEXT, KEYS, _object_text

Leaves = list[tuple[tuple[str, ...], pl.Series]] | None


def assert_same(got: Leaves, want: Leaves, column: str) -> None:
    assert (got is None) == (want is None), column
    if got is None or want is None:
        return
    assert [path for path, _ in got] == [path for path, _ in want], column
    for (path, a), (_, b) in zip(got, want, strict=True):
        assert a.name == b.name, (column, path)
        assert a.dtype == b.dtype, (column, path)
        assert a.equals(b), (column, path)


def assert_batch_is_each_alone(df: pl.DataFrame, max_columns: int | None = 1000) -> None:
    batched = decode_small_objects(df, df.columns, max_columns=max_columns)
    assert list(batched) == df.columns
    for c in df.columns:
        assert_same(batched[c], decode_objects(df.get_column(c), max_columns=max_columns), c)


OBJECT = st.lists(st.tuples(KEYS, JSON_TEXT), max_size=5).map(_object_text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.integers(1, 6).flatmap(
        lambda n: st.lists(
            st.lists(st.one_of(st.none(), OBJECT), min_size=n, max_size=n), min_size=2, max_size=5
        )
    ),
    max_columns=st.sampled_from([8, 1000]),
)
@example(data=[["{}"], ['{"": []}']], max_columns=1000)  # an empty key: Polars' "column_0"
def test_batch_equals_each_column_alone(data: list[list[str | None]], max_columns: int) -> None:
    df = pl.DataFrame(
        {f"c{i}": col for i, col in enumerate(data)},
        schema_overrides={f"c{i}": pl.String for i in range(len(data))},
    )
    assert_batch_is_each_alone(df, max_columns)
    out, report = qf.flatten_with_report(df, df.columns, max_columns=max_columns, valid_json=True)
    want, _ = qf.flatten_with_report(
        df, df.columns, max_columns=max_columns, valid_json=True, _engine="duckdb"
    )
    assert_leaves_match(df, out, report, df.columns)
    assert out.columns == want.columns
    assert out.equals(want)


KINDS = {
    "plain": ['{"a": 1, "b": {"c": "x"}}', '{"a": 2, "b": {"c": "y"}}', None],
    "conflict": ['{"p": 1}', '{"p": "one"}', '{"p": 3}'],
    "dates": ['{"d": "2025-08-16", "t": "2025-08-16T12:00:00"}', '{"d": "2026-01-02"}', None],
    "empty": ["{}", "{}", None],
    "null": [None, None, None],
    "nan_like": ['{"f": 1.5}', '{"f": 1e15}', '{"f": 2.0}'],
    "exponent": ['{"f": 1.5e20}', '{"f": 2.5}', '{"f": 3}'],
    "risky": ['{"n": 12345678901234567}', '{"n": 1}', '{"n": 2}'],
    "escape": ['{"s": "\\u0000"}', '{"s": "a"}', '{"s": "b"}'],
    "duplicate": ['{"k": 1, "k": 2}', '{"k": 3}', '{"k": 4}'],
    "lists": ['{"l": [1, 2]}', '{"l": []}', '{"l": [{"x": 1}]}'],
    "wide": [json.dumps({f"id{i}": i for i in range(20)}), "{}", None],
    "big": ['{"s": "' + "x" * 40_000 + '"}', '{"s": "y"}', None],  # past the batch's bytes
}


@pytest.mark.parametrize("max_columns", [4, 1000])
def test_batch_of_every_kind_equals_each_alone(max_columns: int) -> None:
    df = pl.DataFrame(KINDS, schema=dict.fromkeys(KINDS, pl.String))
    assert_batch_is_each_alone(df, max_columns)
    out, report = qf.flatten_with_report(df, df.columns, max_columns=max_columns, valid_json=True)
    assert_leaves_match(df, out, report, df.columns)


def test_nan_and_infinity_arrow_accepts_are_left_to_each_alone() -> None:
    """Text breaking the valid-JSON promise (Arrow reads NaN and Infinity): declined alike."""
    df = pl.DataFrame(
        {
            "nan": ['{"f": NaN}', '{"f": 1.5}'],
            "inf": ['{"f": 2.5}', '{"f": -Infinity}'],
            "ok": ['{"f": 2.5}', '{"f": 1}'],
        }
    )
    assert_batch_is_each_alone(df)
    batched = decode_small_objects(df, df.columns)
    assert (batched["nan"], batched["inf"]) == (None, None)
    assert batched["ok"] is not None


def test_a_small_table_is_read_in_one_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """29 object columns of 96 rows: one Arrow read for all of them, none alone."""
    df = pl.DataFrame(
        {f"c{i}": [json.dumps({"v": r, "k": {"x": str(i)}}) for r in range(96)] for i in range(29)}
    )
    alone: list[str] = []
    reads: list[int] = []
    real_read, real_decode = _arrow._read, _arrow.decode_objects

    def counted_read(*a: Any, **k: Any) -> Any:
        reads.append(1)
        return real_read(*a, **k)

    def counted_decode(v: Any, **k: Any) -> Any:
        alone.append(v.name)
        return real_decode(v, **k)

    monkeypatch.setattr(_arrow, "_read", counted_read)
    monkeypatch.setattr(_arrow, "decode_objects", counted_decode)
    out = qf.flatten(df, valid_json=True)
    assert (len(reads), alone) == (1, [])
    assert out["c3.k.x"].to_list() == ["3"] * 96


@pytest.mark.parametrize(
    "paths",
    [
        [[], [""], ["a", "b"], ["x\x1fy"], ["", ""], ["é"]],
        [["\x1f\x1e\x1d\x1c\x07"], [], ["a"]],  # every separator in a key: the Arrow route
    ],
)
def test_report_paths_are_kept_exactly(paths: list[list[str]]) -> None:
    from quantum_frames.flattening._api import REPORT_SCHEMA, report_frame

    n = len(paths)
    report = report_frame(
        {
            "column": ["c"] * n,
            "source": ["s"] * n,
            "path": paths,
            "dtype": ["Int64"] * n,
            "null_fraction": [0.0] * n,
            "conflict": [None] * n,
        }
    )
    assert report.schema == REPORT_SCHEMA
    assert report["path"].to_list() == paths
