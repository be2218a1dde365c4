"""SPEC §3, any width with bounded memory.

Past ``max_columns`` leaf columns per JSON column the widest objects stay JSON text, reported
with their key count (time and memory of the 10,000-row case are measured by
benchmarks/bench_flatten.py, not here).
"""

from __future__ import annotations

import json
import random
from typing import Any, Literal

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.errors import InvalidArgumentError
from tests._helpers.leaves import assert_leaves_match

ENGINES = pytest.mark.parametrize("engine", ["auto", "duckdb"])
Engine = Literal["auto", "duckdb"]


def by_match(rows: int, keys: int, distinct: int, seed: int = 1) -> pl.DataFrame:
    """Rows of ``{"team": i, "by_match": {keys of distinct}}``: a dict keyed by match id."""
    rng = random.Random(seed)
    docs = [
        {"team": i, "by_match": {f"m{rng.randrange(distinct)}": i for _ in range(keys)}}
        for i in range(rows)
    ]
    return pl.DataFrame({"j": [json.dumps(d) for d in docs]})


def conflicts(report: pl.DataFrame) -> dict[str, str]:
    return {r["column"]: r["conflict"] for r in report.iter_rows(named=True) if r["conflict"]}


@ENGINES
def test_a_dict_keyed_by_ids_stays_json_text_past_max_columns(engine: Engine) -> None:
    df = by_match(3_000, 5, 50_000)
    out, report = qf.flatten_with_report(df, ["j"], _engine=engine)
    assert out.columns == ["j.team", "j.by_match"]
    assert [json.loads(t) for t in out["j.by_match"]] == [
        json.loads(t)["by_match"] for t in df["j"]
    ]
    keys = df["j"].str.extract_all(r'"m[0-9]+"').explode().n_unique()
    assert f"an object of {keys:,} keys" in conflicts(report)["j.by_match"]
    assert_leaves_match(df, out, report, ["j"])


@ENGINES
def test_the_widest_objects_are_cut_first_until_the_columns_fit(engine: Engine) -> None:
    doc = {"a": {"x": 1, "y": 2, "z": 3, "w": 4}, "b": {"p": 1, "q": 2}, "c": 1}
    df = pl.DataFrame({"j": [json.dumps(doc)]})
    out, report = qf.flatten_with_report(df, ["j"], max_columns=4, _engine=engine)
    assert out.columns == ["j.a", "j.b.p", "j.b.q", "j.c"]
    assert json.loads(out["j.a"].item()) == doc["a"]
    assert "4 keys" in conflicts(report)["j.a"]
    out, _ = qf.flatten_with_report(df, ["j"], max_columns=3, _engine=engine)
    assert out.columns == ["j"]  # a cut, still 4 columns: the root's 3 keys beat b's 2
    assert json.loads(out["j"].item()) == doc
    out, _ = qf.flatten_with_report(df, ["j"], max_columns=None, _engine=engine)
    assert out.width == 7


@ENGINES
def test_wide_objects_inside_arrays_keep_the_array_as_text(engine: Engine) -> None:
    doc = {"l": [{f"k{i}": i for i in range(20)}], "n": 1}
    df = pl.DataFrame({"j": [json.dumps(doc)]})
    out, report = qf.flatten_with_report(df, ["j"], max_columns=10, _engine=engine)
    assert out.columns == ["j.l", "j.n"]
    assert json.loads(out["j.l"].item()) == doc["l"]
    assert "20 keys" in conflicts(report)["j.l"]


@pytest.mark.parametrize(
    "late", [{"a": 1, "late": "x"}, {"a": 1.5}, {"a": "s"}], ids=["new-key", "double", "string"]
)
def test_a_key_or_type_first_seen_after_the_rows_arrow_infers_from_is_not_lost(
    late: dict[str, Any],
) -> None:
    """Arrow infers the schema from the first rows only (memory).

    A later new key, or a later type change, sends the column to DuckDB instead of being dropped
    or misread.
    """
    rows: list[Any] = [{"a": i, "pad": "p" * 60} for i in range(6_000)]  # > 64 KiB, 500 rows
    rows[5_999] = late
    df = pl.DataFrame({"j": [json.dumps(r) for r in rows]})
    fast = qf.flatten_with_report(df, ["j"])
    exact = qf.flatten_with_report(df, ["j"], _engine="duckdb")
    assert fast[0].equals(exact[0], null_equal=True)
    assert fast[1].equals(exact[1])
    assert_leaves_match(df, *fast, ["j"])


def test_wide_columns_round_trip_through_unflatten() -> None:
    df = by_match(200, 5, 5_000)
    out, report = qf.flatten_with_report(df, ["j"], max_columns=50)
    back = qf.unflatten(out, report)
    assert [json.loads(r["by_match"]) for r in back["j"].to_list()] == [
        json.loads(t)["by_match"] for t in df["j"]
    ]


@pytest.mark.parametrize("bad", [0, -1, True])
def test_bad_max_columns_is_refused(bad: int) -> None:
    with pytest.raises(InvalidArgumentError, match=r"max_columns.*Hint") as info:
        qf.flatten(pl.DataFrame({"j": ['{"a": 1}']}), ["j"], max_columns=bad)
    assert info.value.argument == "max_columns"
