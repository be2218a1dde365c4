"""Hostile and odd input: names, huge and deep JSON, NaN, and generated data round trips."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.frames import SourceTables
from tests._helpers.leaves import assert_leaves_match
from tests._helpers.pg import minimal_tables

if TYPE_CHECKING:
    from pathlib import Path

    import psycopg


@pytest.mark.parametrize("name", ['t"q', "t;DROP TABLE x;--", "t ü ñ", "t'x"])
def test_hostile_table_names_via_tables(
    pg: psycopg.Connection, pg_dsn: str, schema: str, name: str
) -> None:
    minimal_tables(pg, schema)
    quoted = '"' + name.replace('"', '""') + '"'
    pg.execute(f'ALTER TABLE "{schema}".team_quantum_dna_v3 RENAME TO {quoted}')
    pg.execute(f"INSERT INTO \"{schema}\".{quoted} VALUES (1, 'A', 'L', 'MID')")
    q = qf.read_postgres(pg_dsn, schema=schema, tables={"teams": name})
    assert q.teams["team_name"].to_list() == ["A"]
    assert pg.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'x'").fetchone() == (0,)


def insert_dna(pg: psycopg.Connection, schema: str, docs: list[Any]) -> None:
    minimal_tables(pg, schema, extra_team_columns=", dna jsonb")
    with pg.cursor() as cur:
        cur.executemany(
            f'INSERT INTO "{schema}".team_quantum_dna_v3 VALUES (%s, %s, %s, %s, %s)',
            [(i, f"t{i}", "L", "MID", json.dumps(d)) for i, d in enumerate(docs)],
        )


def test_a_10_mb_jsonb_value(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    big = {"blob": "x" * 10_000_000, "n": 1}
    insert_dna(pg, schema, [big, {"n": 2}])
    q = qf.read_postgres(pg_dsn, schema=schema)
    assert q.teams["dna.blob"].str.len_bytes().to_list() == [10_000_000, None]
    assert q.teams["dna.n"].to_list() == [1, 2]


def test_an_object_with_10000_keys(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    wide = {f"k{i}": i for i in range(10_000)}
    insert_dna(pg, schema, [wide, {"k5": 5}])
    q = qf.read_postgres(pg_dsn, schema=schema)
    # past max_columns (1,000 leaf columns per JSON column) the widest object stays JSON text
    assert q.teams.width == 4 + 1
    assert [json.loads(t) for t in q.teams["dna"]] == [wide, {"k5": 5}]
    assert "10,000 keys" in q.report.filter(pl.col("column") == "dna")["conflict"].item()
    assert_leaves_match(q.raw.teams, q.teams, q.report, ["dna"])
    flat, report = qf.flatten_with_report(q.raw.teams, ["dna"], max_columns=None)
    assert flat.width == 4 + 10_000
    assert_leaves_match(q.raw.teams, flat, report, ["dna"])


def test_nesting_64_levels_deep(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    doc: Any = {"leaf": 1}
    for i in range(63):
        doc = {f"l{i}": doc}
    insert_dna(pg, schema, [doc])
    q = qf.read_postgres(pg_dsn, schema=schema)
    [column] = [c for c in q.teams.columns if c.startswith("dna.")]
    assert column.count(".") == 64
    assert q.teams[column].to_list() == [1]
    capped = qf.read_postgres(pg_dsn, schema=schema, max_depth=3)
    assert (
        json.loads(capped.teams[next(c for c in capped.teams.columns if c.startswith("dna."))][0])
        == doc["l62"]["l61"]["l60"]
    )


def test_keys_holding_the_separator(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    insert_dna(pg, schema, [{"a.b": 1, "a": {"b": 2}}])
    with pytest.raises(qf.FlattenCollisionError, match="separator"):
        qf.read_postgres(pg_dsn, schema=schema)
    q = qf.read_postgres(pg_dsn, schema=schema, separator="/")
    assert q.teams.select("dna/a.b", "dna/a/b").row(0) == (1, 2)


def test_nan_and_infinity_in_a_json_text_column() -> None:
    """Not JSON: PostgreSQL's json input rejects them, so does the flattener.

    They were read as NaN / inf floats before.
    """
    for text in ['{"x": NaN, "y": 1.5}', '{"x": 1, "y": -Infinity}', "[NaN]"]:
        df = pl.DataFrame({"j": ['{"x": 2}', text]})
        with pytest.raises(qf.FlattenError, match=r"column 'j'.*first at row 1"):
            qf.flatten(df, ["j"])
    broken = pl.DataFrame({"j": ['{"x": 1}', "{'single': 'quotes'}"]})
    with pytest.raises(qf.FlattenError, match="row 1"):
        qf.flatten(broken, ["j"])


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=4),
    lambda c: (
        st.lists(c, max_size=3)
        | st.dictionaries(st.text(alphabet="abZé ", max_size=3), c, max_size=3)
    ),
    max_leaves=10,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.none() | st.dictionaries(st.text(alphabet="xyé", max_size=2), JSON, max_size=4),
        min_size=1,
        max_size=5,
    )
)
def test_snapshot_write_read_round_trips_generated_data(tmp_path: Path, values: list[Any]) -> None:
    n = len(values)
    teams = pl.DataFrame(
        {
            "team_id": list(range(n)),
            "team_name": [f"T{i}" for i in range(n)],
            "league": ["L"] * n,
            "tier": ["MID"] * n,
            "dna": [None if v is None else json.dumps(v) for v in values],
        }
    )
    friction = pl.DataFrame({"team_home_id": [0], "team_away_id": [0], "friction_score": [0.5]})
    strategies = pl.DataFrame({"team_id": [0], "strategy_name": ["S"], "conviction": [50.0]})
    q = qf.build_frames(SourceTables(teams, friction, strategies), json_columns={"teams": ["dna"]})
    target = tmp_path / f"s{abs(hash(json.dumps(values, sort_keys=True, default=str)))}"
    back = qf.read_snapshot(q.write_snapshot(target))
    for (name, a), (_, b) in zip(q.tables(), back.tables(), strict=True):
        assert a.schema == b.schema, name
        assert a.equals(b), name
    assert back.raw.teams.equals(teams)
    assert back.report.equals(q.report)
