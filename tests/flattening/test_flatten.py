"""SPEC §3: the flattening rules, on small explicit frames, plus properties."""

from __future__ import annotations

import json
from typing import Any, Literal

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from tests._helpers.leaves import assert_leaves_match


def docs(*values: Any) -> pl.DataFrame:
    """A frame with an id and one JSON text column ``j`` (None → SQL NULL, str → as is)."""
    texts = [v if v is None or isinstance(v, str) else json.dumps(v) for v in values]
    return pl.DataFrame(
        {"id": list(range(len(values))), "j": texts}, schema={"id": pl.Int64, "j": pl.String}
    )


def flat(*values: Any, **kwargs: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    return qf.flatten_with_report(docs(*values), ["j"], **kwargs)


def conflicts(report: pl.DataFrame) -> dict[str, str]:
    return {r["column"]: r["conflict"] for r in report.iter_rows(named=True) if r["conflict"]}


def test_leaf_paths_become_columns_in_source_then_first_seen_order() -> None:
    df = pl.DataFrame(
        {
            "a": [1, 2],
            "j": [json.dumps({"x": {"y": 1}, "b": True}), json.dumps({"z": "s", "x": {"w": 2.5}})],
            "tail": ["t", "u"],
        }
    )
    out = qf.flatten(df, ["j"])
    assert out.columns == ["a", "j.x.y", "j.x.w", "j.b", "j.z", "tail"]
    assert out.schema["j.x.y"] == pl.Int64
    assert out.schema["j.x.w"] == pl.Float64
    assert out.schema["j.b"] == pl.Boolean
    assert out.schema["j.z"] == pl.String
    assert out.row(0, named=True) == {
        "a": 1,
        "j.x.y": 1,
        "j.x.w": None,
        "j.b": True,
        "j.z": None,
        "tail": "t",
    }


def test_separator_is_configurable_and_keys_are_kept_as_they_are() -> None:
    out, _ = flat({"Über Key": {"xG": 1}}, separator="__")
    assert out.columns == ["id", "j__Über Key__xG"]


def test_same_input_gives_same_columns() -> None:
    values = [{"b": 1, "a": {"c": [1, 2]}}, {"d": None, "a": {"e": "x"}}]
    first, second = flat(*values), flat(*values)
    assert first[0].columns == second[0].columns
    assert first[0].equals(second[0])
    assert first[1].equals(second[1])


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([True, False], pl.Boolean),
        ([1, -2], pl.Int64),
        ([1, 2.5], pl.Float64),
        (["a", "b"], pl.String),
        ([None, None], pl.Null),
    ],
)
def test_leaf_types(values: list[Any], dtype: pl.DataType) -> None:
    out, report = flat(*({"v": v} for v in values))
    assert out.schema["j.v"] == dtype
    assert report.filter(pl.col("column") == "j.v")["dtype"].item() == str(dtype)
    assert out["j.v"].to_list() == [float(v) if dtype == pl.Float64 else v for v in values]


def test_integers_beyond_int64_are_kept_exactly_as_text() -> None:
    big = 2**64 - 1
    out, report = flat({"v": big}, {"v": 1})
    assert out["j.v"].to_list() == [str(big), "1"]
    assert "Int64" in conflicts(report)["j.v"]


def test_mixed_sign_integers_beyond_int64_are_kept_as_text() -> None:
    out, report = flat({"v": -1}, {"v": 2**64 - 1})
    assert out["j.v"].to_list() == ["-1", str(2**64 - 1)]
    assert "j.v" in conflicts(report)


@pytest.mark.parametrize("text", ["12345678901234567890123", "-98765432109876543210", "1e400"])
def test_numbers_beyond_float_precision_are_not_rounded(text: str) -> None:
    out, report = flat(f'{{"v": {text}}}', '{"v": 0.5}')
    assert out["j.v"].to_list() == [text, "0.5"]
    assert "Float64" in conflicts(report)["j.v"]


def test_int64_extremes_stay_integers() -> None:
    out, report = flat({"v": 2**63 - 1}, {"v": -(2**63)})
    assert out.schema["j.v"] == pl.Int64
    assert out["j.v"].to_list() == [2**63 - 1, -(2**63)]
    assert not conflicts(report)


def test_arrays_stay_lists_when_elements_agree() -> None:
    out, _ = flat({"l": [1, 2]}, {"l": []}, {"l": None}, {"f": [1.5, 2]}, {"s": ["a"]})
    assert out.schema["j.l"] == pl.List(pl.Int64)
    assert out["j.l"].to_list() == [[1, 2], [], None, None, None]
    assert out.schema["j.f"] == pl.List(pl.Float64)
    assert out["j.f"].to_list()[3] == [1.5, 2.0]
    assert out.schema["j.s"] == pl.List(pl.String)


def test_arrays_with_disagreeing_elements_are_json_text() -> None:
    out, report = flat({"l": [1, "a"]}, {"l": [2]})
    assert out.schema["j.l"] == pl.String
    assert [json.loads(v) for v in out["j.l"]] == [[1, "a"], [2]]
    assert "j.l" in conflicts(report)


def test_lists_of_objects_are_lists_of_structs_never_exploded() -> None:
    out, _ = flat({"l": [{"k": 1}, {"k": 2, "m": "x"}]}, {"l": [{"k": 3}]})
    assert out.height == 2
    assert out.schema["j.l"] == pl.List(pl.Struct({"k": pl.Int64, "m": pl.String}))
    assert out["j.l"][1].to_list() == [{"k": 3, "m": None}]


def test_lists_of_conflicting_objects_are_json_text() -> None:
    out, report = flat({"l": [{"k": 1}]}, {"l": [{"k": "x"}]})
    assert out.schema["j.l"] == pl.String
    assert [json.loads(v) for v in out["j.l"]] == [[{"k": 1}], [{"k": "x"}]]
    assert "j.l" in conflicts(report)


def test_long_integers_inside_float_arrays_are_kept_as_text() -> None:
    out, report = flat({"l": [1.5, 12345678901234567890123]}, {"l": [-1, 2]})
    assert out.schema["j.l"] == pl.String
    assert "j.l" in conflicts(report)


def test_string_number_conflict_keeps_each_rows_json_text() -> None:
    out, report = flat({"p": 3}, {"p": "N/A"}, {"p": None}, {})
    assert out["j.p"].to_list() == ["3", '"N/A"', None, None]
    assert conflicts(report)["j.p"].startswith("type conflict (number, string)")


def test_object_scalar_conflict_keeps_the_object_as_text() -> None:
    out, report = flat({"o": {"a": 1}}, {"o": 5})
    assert out.columns == ["id", "j.o"]
    assert [json.loads(v) for v in out["j.o"]] == [{"a": 1}, 5]
    assert "object" in conflicts(report)["j.o"]


def test_sql_null_json_null_empty_object_and_missing_key_are_all_null() -> None:
    out, report = flat({"a": 1, "e": {}}, None, "null", {}, {"a": None, "e": None})
    assert out["j.a"].to_list() == [1, None, None, None, None]
    assert out.schema["j.e"] == pl.Null
    assert not conflicts(report)


def test_root_scalars_and_arrays_flatten_to_the_column_itself() -> None:
    out, _ = flat(5, 7)
    assert out.columns == ["id", "j"]
    assert out["j"].to_list() == [5, 7]
    out, report = flat([1, 2], {"a": 1})
    assert out.columns == ["id", "j"]
    assert "j" in conflicts(report)


def test_keys_differing_only_by_case_and_the_empty_key_are_kept_apart() -> None:
    out, _ = flat({"A": 1, "a": "x", "": True, "n": {"B": 1, "b": 2}})
    assert out.row(0, named=True) == {
        "id": 0,
        "j.A": 1,
        "j.a": "x",
        "j.": True,
        "j.n.B": 1,
        "j.n.b": 2,
    }


def test_collision_is_an_error_naming_both_paths_and_suggesting_a_separator() -> None:
    with pytest.raises(
        qf.FlattenCollisionError, match=r"\$\['a.b'\].*\$\['a'\]\['b'\].*separator"
    ) as info:
        flat({"a.b": 1, "a": {"b": 2}})
    assert info.value.name == "j.a.b"
    assert info.value.paths == (("a.b",), ("a", "b"))
    out, _ = flat({"a.b": 1, "a": {"b": 2}}, separator="/")
    assert out.row(0) == (0, 1, 2)


def test_collision_with_a_plain_column_is_an_error() -> None:
    df = pl.DataFrame({"j.a": [1], "j": ['{"a": 2}']})
    with pytest.raises(qf.FlattenCollisionError, match=r"'j\.a'"):
        qf.flatten(df, ["j"])


def test_invalid_json_names_the_column_and_row() -> None:
    with pytest.raises(qf.FlattenError, match=r"column 'j'.*first at row 1: '\{nope'") as info:
        flat({"a": 1}, "{nope")
    assert info.value.column == "j"


def test_report_lists_source_path_dtype_and_null_fraction() -> None:
    _, report = flat({"a": {"b": 1}}, {"a": {"b": None}}, None, {"a": {"b": 4}})
    row = report.row(0, named=True)
    assert row == {
        "column": "j.a.b",
        "source": "j",
        "path": ["a", "b"],
        "dtype": "Int64",
        "null_fraction": 0.5,
        "conflict": None,
    }
    assert report.schema == qf.flatten_with_report(docs({"x": 1}), ["j"])[1].schema


def test_max_depth_keeps_deeper_objects_as_json_text() -> None:
    out, report = flat({"a": {"b": {"c": 1}}, "d": 2}, max_depth=1)
    assert out.columns == ["id", "j.a", "j.d"]
    assert json.loads(out["j.a"].item()) == {"b": {"c": 1}}
    assert not conflicts(report)


def test_the_callers_frame_is_not_modified() -> None:
    df = docs({"a": 1})
    before = df.clone()
    qf.flatten(df, ["j"])
    assert df.equals(before)


def test_lazy_frames_and_default_column_detection() -> None:
    df = pl.DataFrame({"id": [1], "j": ['{"a": 1}'], "s": ["plain text"]})
    assert qf.json_columns(df.lazy()) == ["j"]
    assert qf.flatten(df.lazy()).columns == ["id", "j.a", "s"]


def test_unflatten_rebuilds_nested_structs() -> None:
    out, report = flat({"a": {"b": 1, "c": [1]}, "d": "x"}, None)
    back = qf.unflatten(out, report)
    assert back.columns == ["id", "j"]
    assert back["j"].to_list() == [{"a": {"b": 1, "c": [1]}, "d": "x"}, None]
    assert qf.flatten(back, ["j"]).equals(out)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="separator"):
        flat({"a": 1}, separator="")
    with pytest.raises(qf.FlattenError, match="not in the frame"):
        qf.flatten(docs({"a": 1}), ["nope"])
    with pytest.raises(qf.FlattenError, match="neither JSON text nor structs"):
        qf.flatten(docs({"a": 1}), ["id"])


# --- properties ---------------------------------------------------------------------------------

KEYS = st.text(alphabet="abAé _-", max_size=3)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
)


def json_values(scalars: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """JSON documents: ``scalars``, and lists and objects of them, nested."""
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4)
        ),
        max_leaves=12,
    )


JSON_VALUES = json_values(SCALARS)
OBJECTS = st.lists(
    st.none() | st.dictionaries(KEYS, JSON_VALUES, max_size=5), min_size=1, max_size=5
)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(OBJECTS)
def test_every_leaf_equals_its_source_value(values: list[Any]) -> None:
    df = docs(*values)
    out, report = qf.flatten_with_report(df, ["j"])
    assert_leaves_match(df, out, report, ["j"])


@SETTINGS
@given(OBJECTS)
def test_flatten_unflatten_round_trip(values: list[Any]) -> None:
    df = docs(*values)
    out, report = qf.flatten_with_report(df, ["j"])
    assume(report["conflict"].is_null().all())
    back = qf.unflatten(out, report)
    from tests._helpers.leaves import _normalise

    for got, want in zip(back["j"].to_list(), values, strict=True):
        assert _normalise(got) == _normalise(want)
    assert qf.flatten(back, ["j"]).equals(out)


def test_arrays_of_signed_integers_stay_int_lists() -> None:
    out, report = flat({"l": [1, -2]}, {"l": [2**63 - 1]})
    assert out.schema["j.l"] == pl.List(pl.Int64)
    assert out["j.l"].to_list() == [[1, -2], [2**63 - 1]]
    assert not conflicts(report)


def test_windowed_inference_equals_one_pass() -> None:
    values: list[dict[str, Any] | None] = [
        {"a": 1, "e": {}, "l": [1], "o": {"x": 1}, "s": "t"},
        {"a": -2, "e": {"k": 1}, "l": [], "o": None, "n": None},
        {"a": 2.5, "l": [{}], "o": {"y": [1.5]}, "s": 3},
        {"a": 2**64, "e": {}, "l": [{"z": 1}], "o": 5, "n": True},
        None,
        {"new": "late key"},
    ]
    whole, whole_report = flat(*values)
    windowed, windowed_report = flat(*values, _window=2)  # structures merged window by window
    assert windowed.columns == whole.columns
    assert windowed.schema == whole.schema
    assert windowed.equals(whole)
    assert windowed_report.equals(whole_report)


@SETTINGS
@given(OBJECTS)
def test_every_leaf_equals_its_source_value_with_windows(values: list[Any]) -> None:
    df = docs(*values)
    out, report = qf.flatten_with_report(df, ["j"], _window=2)
    assert_leaves_match(df, out, report, ["j"])


def duckdb_path(df: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``flatten_with_report(df, ["j"])`` with the Arrow fast path switched off."""
    return qf.flatten_with_report(df, ["j"], _engine="duckdb")


# Values the Arrow fast path takes (bounded numbers, no huge exponents), and any values.
PLAIN_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(-1e9, 1e9, allow_nan=False)
    | st.text(max_size=5)
)
PLAIN_VALUES = json_values(PLAIN_SCALARS)
WIDE_OBJECTS = st.lists(
    st.none() | st.dictionaries(KEYS, JSON_VALUES, max_size=5), min_size=1, max_size=12
) | st.lists(st.none() | st.dictionaries(KEYS, PLAIN_VALUES, max_size=5), min_size=1, max_size=12)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(WIDE_OBJECTS)
def test_arrow_fast_path_equals_the_duckdb_path(
    values: list[Any],
) -> None:
    df = docs(*values)
    fast, fast_report = qf.flatten_with_report(df, ["j"], valid_json=True)
    checked = qf.flatten_with_report(df, ["j"])
    assert checked[0].equals(fast, null_equal=True)
    assert checked[1].equals(fast_report)
    exact, exact_report = duckdb_path(df)
    assert fast.schema == exact.schema
    assert fast.equals(exact, null_equal=True)
    assert fast_report.equals(exact_report)
    assert_leaves_match(df, fast, fast_report, ["j"])


@pytest.mark.parametrize(
    "values",
    [
        [{"d": "2025-08-01", "t": "2025-08-01T12:00:00Z", "n": {"when": "2025-08-01 12:00"}}],
        [{"a": 1, "b": 2.5, "c": True, "s": "x", "z": None}, {"a": -3, "b": 1, "new": [1, 2]}],
        [{"o": {}}, {"o": {"k": 1}}, {}],
        [{"l": [{"x": 1.5}, {"y": "z"}]}, {"l": []}],
        [{"A": 1, "a": 2, "": 3}],
        [{"deep": {"a": {"b": {"c": {"d": [1, 2]}}}}}],
        [{"x": 0.5, "l": [1.5]}, {"x": 12345678901234567, "l": [2**53 + 1]}],
        [{"x": 2**63 - 1, "y": 10**15}, {"x": -(2**63), "y": 1e15}],
        [{"big": 2**64, "small": 5e-324, "neg": -1.5e300}],
        [{"s": "12345678901234567890", "t": "NaN Infinity"}],
    ],
    ids=[
        "timestamps-stay-text",
        "scalars",
        "empty-objects",
        "lists",
        "case-keys",
        "nested",
        "long-ints-among-doubles",
        "int64-extremes",
        "huge-and-tiny",
        "number-like-strings",
    ],
)
def test_fast_path_examples_equal_the_duckdb_path(
    values: list[Any],
) -> None:
    df = docs(*values)
    fast = qf.flatten_with_report(df, ["j"])
    exact = duckdb_path(df)
    assert fast[0].schema == exact[0].schema
    assert fast[0].equals(exact[0], null_equal=True)
    assert fast[1].equals(exact[1])
    assert_leaves_match(df, *fast, ["j"])


@pytest.mark.parametrize("engine", ["auto", "duckdb"])
@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '{"a": [1, -Infinity]}'])
def test_nan_and_infinity_literals_are_invalid_json_on_either_engine(
    text: str, engine: Literal["auto", "duckdb"]
) -> None:
    """Not JSON (PostgreSQL rejects them), although DuckDB and Arrow both read them."""
    df = pl.DataFrame({"j": ['{"a": 1}', text]})
    with pytest.raises(qf.FlattenError, match=r"column 'j'.*first at row 1"):
        qf.flatten_with_report(df, ["j"], _engine=engine)


def test_invalid_values_are_never_read_back_to_back_into_other_rows() -> None:
    """Two invalid values that would parse as two valid objects once concatenated."""
    # back to back: {"a": ["{", "x"]} {} {"b": 1} — three objects for three values
    df = pl.DataFrame({"j": ['{"a": ["', '{", "x"]}{}', '{"b": 1}'] * 400})
    with pytest.raises(qf.FlattenError, match="not valid JSON"):
        qf.flatten(df, ["j"])


@pytest.mark.parametrize("valid_json", [False, True])
def test_root_json_null_and_scalars_never_reach_the_arrow_reader(valid_json: bool) -> None:
    """A root ``null`` first in a column read back to back crashes pyarrow 26 outright."""
    df = pl.DataFrame({"j": ["null", '{"a": 1}', "5", None] * 300})
    out, report = qf.flatten_with_report(df, ["j"], valid_json=valid_json)
    assert_leaves_match(df, out, report, ["j"])


def test_nesting_deep_enough_to_crash_arrow_takes_the_duckdb_path() -> None:
    """Pyarrow 26 overflows its stack somewhere below 100,000 levels: such rows never reach it.

    When it overflows, the process dies.
    """
    deep = "[" * 100_000 + "]" * 100_000
    out, report = qf.flatten_with_report(
        pl.DataFrame({"j": ['{"a": ' + deep + "}"]}), ["j"], valid_json=True
    )
    assert out["j.a"].to_list() == [deep]
    assert "nested deeper than" in report["conflict"].item()


@pytest.mark.parametrize("depth", [900, 3_000])
def test_absurd_nesting_keeps_the_subtree_as_json_text(depth: int) -> None:
    """Deeper than Python can walk the structure: the deep subtree stays JSON text.

    It is reported; its siblings and the other columns are flattened.
    """
    deep = "[" * depth + "]" * depth
    df = pl.DataFrame({"j": ['{"a": ' + deep + ', "b": 1}', None], "k": ['{"x": 1}', '{"x": 2}']})
    out, report = qf.flatten_with_report(df, ["j", "k"])
    assert out.columns == ["j.a", "j.b", "k.x"]
    assert out["j.a"].to_list() == [deep, None]
    assert out["k.x"].to_list() == [1, 2]
    assert out["j.b"].to_list() == [1, None]
    assert "nested deeper than" in conflicts(report)["j.a"]
