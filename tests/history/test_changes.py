"""Change sets: what counts as changed (nulls, NaN, -0.0, lists), whatever the row order."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quantum_frames.history import ChangeSetWarning
from quantum_frames.history._changes import aligned, change_set

OLD = pl.DataFrame(
    {
        "team_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "x": [None, 1.0, None, math.nan, 0.0, math.nan, 2.0, 3.0],
        "tags": [["a"], [None], None, [], ["b"], ["c"], ["d"], ["e"]],
    },
    schema={"team_id": pl.Int32, "x": pl.Float64, "tags": pl.List(pl.String)},
)
NEW = OLD.with_columns(
    pl.Series("x", [1.0, None, None, math.nan, -0.0, 1.0, 2.0, 3.0]),
    pl.Series("tags", [["a"], [None], None, [], ["b"], ["c"], [None], ["e"]]),
)


def rows(found: pl.DataFrame) -> list[tuple[Any, ...]]:
    return sorted(found.select("key", "change", "columns").rows())


def test_what_counts_as_changed() -> None:
    # null -> value and value -> null change; null -> null, NaN -> NaN and 0.0 -> -0.0 do not
    want = [
        ('{"team_id":1}', "updated", ["x"]),
        ('{"team_id":2}', "updated", ["x"]),
        ('{"team_id":6}', "updated", ["x"]),
        ('{"team_id":7}', "updated", ["tags"]),
    ]
    assert aligned(NEW, OLD, ("team_id",))
    in_order, key = change_set("teams", NEW, OLD)
    assert key == ("team_id",)
    assert rows(in_order) == want
    assert in_order["key"].to_list() == [r[0] for r in want]  # the new moment's row order
    shuffled = NEW.reverse()
    assert not aligned(shuffled, OLD, ("team_id",))
    assert rows(change_set("teams", shuffled, OLD)[0]) == want


def test_added_removed_and_retyped_columns_in_aligned_rows() -> None:
    new = NEW.drop("tags").with_columns(
        pl.col("x").cast(pl.Float32), pl.Series("y", [None, None, 1, None, None, None, None, None])
    )
    got = rows(change_set("teams", new, OLD)[0])
    # retyped x: changed where a value is on either side; removed tags: where it held one;
    # added y: where it holds one
    assert got == rows(change_set("teams", new.reverse(), OLD)[0])
    assert ('{"team_id":3}', "updated", ["y"]) in got
    assert ('{"team_id":4}', "updated", ["x", "tags"]) in got  # a NaN is a value
    assert ('{"team_id":1}', "updated", ["x", "tags"]) in got


def test_an_unchanged_table_has_no_change_rows_either_way() -> None:
    assert change_set("teams", OLD, OLD)[0].is_empty()
    assert change_set("teams", OLD.reverse(), OLD)[0].is_empty()
    keys_only = OLD.select("team_id")
    assert change_set("teams", keys_only, keys_only)[0].is_empty()


VALUES = st.one_of(
    st.none(), st.sampled_from([0.0, -0.0, 1.5, math.nan, math.inf]), st.floats(-3, 3, width=32)
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_aligned_path_equals_the_join(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 12))
    old = pl.DataFrame(
        {
            "team_id": list(range(n)),
            "a": data.draw(st.lists(VALUES, min_size=n, max_size=n)),
            "b": data.draw(st.lists(st.sampled_from(["p", "q", None]), min_size=n, max_size=n)),
        },
        schema={"team_id": pl.Int64, "a": pl.Float64, "b": pl.String},
    )
    new = old.with_columns(
        pl.Series("a", data.draw(st.lists(VALUES, min_size=n, max_size=n)), pl.Float64)
        if data.draw(st.booleans())
        else pl.col("a"),
        pl.Series(
            "b", data.draw(st.lists(st.sampled_from(["p", "q", None]), min_size=n, max_size=n))
        )
        if data.draw(st.booleans())
        else pl.col("b"),
    )
    fast = change_set("teams", new, old)[0]
    joined = change_set("teams", new.reverse(), old)[0].reverse()  # the join, back in order
    assert fast.equals(joined)
    # and row by row as ne_missing says
    changed = new.select(
        pl.col("a").ne_missing(old["a"]).alias("a"), pl.col("b").ne_missing(old["b"]).alias("b")
    )
    want = [[c for c in ("a", "b") if flags[c]] for flags in changed.iter_rows(named=True)]
    assert fast["columns"].to_list() == [w for w in want if w]


def test_rows_without_a_unique_key_get_no_change_set_and_a_warning_naming_the_table() -> None:

    doubled = pl.DataFrame({"team_id": [1, 1], "team_name": ["A", "A"], "x": [1.0, 2.0]})
    with pytest.warns(ChangeSetWarning, match="table 'teams': no unique key") as caught:
        found, key = change_set("teams", doubled, doubled.head(1))
    assert key is None
    assert found.is_empty()
    assert "keep the primary key column" in str(caught[0].message)
    # a unique key in this moment but not in the last: no change set either (never a guess)
    with pytest.warns(ChangeSetWarning):
        assert change_set("teams", doubled.head(1), doubled)[1] is None
