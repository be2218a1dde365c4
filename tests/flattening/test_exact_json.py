"""SPEC §3, JSON as PostgreSQL reads it: the five defects of issue 14.

Checked on both engines and through ``read_postgres`` (a json and a jsonb column).

1. duplicate keys: the last value wins, on every path and in conflict columns;
2. and 3. text PostgreSQL's json input rejects (trailing commas, NaN, Infinity, …):
   a FlattenError naming the column and the first bad row, never a raw Polars/Arrow error;
4. any depth: never a crash; past the limit the subtree stays JSON text, reported;
5. numbers never rounded: kept as the source's text and reported when their shortest Float64
   text is another decimal value.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Literal

import polars as pl
import psycopg
import pytest

import quantum_frames as qf
from tests._helpers.pg import minimal_tables

ENGINES = pytest.mark.parametrize("engine", ["auto", "duckdb"])
Engine = Literal["auto", "duckdb"]


def flat(*texts: str | None, engine: Engine, **kwargs: Any) -> tuple[pl.DataFrame, pl.DataFrame]:
    return qf.flatten_with_report(pl.DataFrame({"j": list(texts)}), ["j"], _engine=engine, **kwargs)


def conflicts(report: pl.DataFrame) -> dict[str, str]:
    return {r["column"]: r["conflict"] for r in report.iter_rows(named=True) if r["conflict"]}


# --- 1. duplicate keys --------------------------------------------------------------------------


@ENGINES
@pytest.mark.parametrize("valid_json", [False, True])
def test_duplicate_keys_keep_the_last_value(engine: Engine, valid_json: bool) -> None:
    out, report = flat('{"a": "b", "a": "c"}', '{"a": "x"}', engine=engine, valid_json=valid_json)
    assert out["j.a"].to_list() == ["c", "x"]
    assert not conflicts(report)


@ENGINES
def test_duplicate_keys_of_another_type_leave_no_trace_of_the_first(engine: Engine) -> None:
    out, report = flat('{"a": "b", "a": 1}', '{"a": 2}', engine=engine)
    assert out.schema["j.a"] == pl.Int64
    assert out["j.a"].to_list() == [1, 2]
    assert not conflicts(report)


@ENGINES
def test_duplicate_objects_give_the_paths_of_the_last_only(engine: Engine) -> None:
    out, _ = flat('{"a": {"x": 1}, "a": {"y": 2}}', engine=engine)
    assert out.columns == ["j.a.y"]
    assert out["j.a.y"].to_list() == [2]


@ENGINES
def test_duplicates_nested_in_arrays_and_in_conflict_columns(engine: Engine) -> None:
    out, report = flat(
        '{"l": [{"k": 1, "k": 2}], "c": {"z": 0}, "c": "s", "e": "x\\":\\"y", "e": 3}',
        '{"l": [{"k": 3}], "c": 5, "e": 4}',
        engine=engine,
    )
    assert out["j.l"].to_list() == [[{"k": 2}], [{"k": 3}]]
    assert out["j.c"].to_list() == ['"s"', "5"]  # each row's JSON text, the last value's
    assert "j.c" in conflicts(report)
    assert out["j.e"].to_list() == [3, 4]


@ENGINES
def test_escaped_spellings_of_one_key_are_one_key(engine: Engine) -> None:
    out, _ = flat('{"\\u0061": 1, "a": 2}', engine=engine)
    assert out["j.a"].to_list() == [2]


# --- 2 and 3. what PostgreSQL's json input rejects ---------------------------------------------

REJECTED = [
    "[1,]",
    '{"a": 1,}',
    '{"v": [""],}',
    '{"v": NaN}',
    "[NaN]",
    '{"v": Infinity}',
    '{"v": -Infinity}',
    '{"v": nan}',
    "{'a': 1}",
    '{"a": 1} x',
    '{"a": 01}',
    '{"a": .5}',
    '{"a": 1.}',
    '{"a": +1}',
    '{"a" 1}',
    '{"a": undefined}',
    '{"a": "tab\there"}',
]


@ENGINES
@pytest.mark.parametrize("text", REJECTED)
def test_text_postgresql_rejects_is_a_flatten_error_naming_column_and_row(
    engine: Engine, text: str
) -> None:
    with pytest.raises(qf.FlattenError, match=r"column 'j'.*first at row 1") as info:
        flat('{"a": 2}', text, '{"a": 3}', engine=engine)
    assert info.value.column == "j"


@ENGINES
def test_a_conflict_column_never_takes_invalid_text(engine: Engine) -> None:
    """A conflict column held ``'[1]'`` for ``[1,]`` and ``'NaN'`` after a valid row."""
    with pytest.raises(qf.FlattenError, match="row 1"):
        flat('{"v": "s"}', '{"v": [1,]}', engine=engine)
    with pytest.raises(qf.FlattenError, match="row 1"):
        flat('{"v": "s"}', '{"v": NaN}', engine=engine)


# --- 4. any depth ------------------------------------------------------------------------------

DEEP = "[" * 63 + "1" + "]" * 63


@ENGINES
@pytest.mark.parametrize(
    "text",
    [DEEP, '{"v": ' + DEEP + "}", '{"v": [{"a": ' + DEEP + "}]}", "[{" + '"a": ' + DEEP + "}]"],
    ids=["alone", "in-an-object", "in-arrays-of-objects", "root-array-of-objects"],
)
def test_deep_arrays_stay_json_text_and_are_reported(engine: Engine, text: str) -> None:
    out, report = flat(text, engine=engine)
    [column] = out.columns
    subtree = json.loads(text) if column == "j" else json.loads(text)["v"]
    assert json.loads(out[column].item()) == subtree
    assert "nested deeper than" in conflicts(report)[column]


@ENGINES
@pytest.mark.parametrize("depth", [1, 24, 25, 62, 63, 64, 390, 1_000, 10_000, 100_000])
def test_any_depth_never_crashes(engine: Engine, depth: int) -> None:
    deep = "[" * depth + "1" + "]" * depth
    out, report = flat('{"v": ' + deep + "}", '{"v": null}', engine=engine)
    assert out.height == 2
    value = out.row(0)[0]
    if isinstance(value, str):  # kept as JSON text: reported
        assert value == deep
        assert report["conflict"].item() is not None
    else:
        assert depth <= 24


# --- 5. numbers never rounded ------------------------------------------------------------------

INEXACT = ["12345678901234.5678", "1e-400", "100000000000000000000000.5", "2e-324", "1.8e308"]


@ENGINES
@pytest.mark.parametrize("number", INEXACT)
def test_numbers_a_float64_cannot_hold_are_kept_as_text_and_reported(
    engine: Engine, number: str
) -> None:
    out, report = flat(f'{{"v": {number}}}', '{"v": 0.5}', '{"v": null}', engine=engine)
    assert out["j.v"].to_list() == [number, "0.5", None]
    assert "Float64" in conflicts(report)["j.v"]


@ENGINES
@pytest.mark.parametrize("number", INEXACT)
def test_inexact_numbers_alone_inside_lists_and_structs(engine: Engine, number: str) -> None:
    out, report = flat(
        f'{{"v": {number}, "l": [{number}], "o": [{{"x": {number}}}]}}', engine=engine
    )
    assert out["j.v"].to_list() == [number]
    assert [Decimal(n) for n in json.loads(out["j.l"].item(), parse_float=Decimal)] == [
        Decimal(number)
    ]
    assert json.loads(out["j.o"].item(), parse_float=Decimal) == [{"x": Decimal(number)}]
    assert set(conflicts(report)) == {"j.v", "j.l", "j.o"}


@ENGINES
@pytest.mark.parametrize(
    "number", ["0.30000000000000004", "1.7976931348623157e308", "5e-324", "1e23", "1.50"]
)
def test_numbers_whose_shortest_float64_text_is_the_same_value_are_float64(
    engine: Engine, number: str
) -> None:
    out, report = flat(f'{{"v": {number}}}', '{"v": 2.5}', engine=engine)
    assert out.schema["j.v"] == pl.Float64
    assert out["j.v"].to_list() == [float(number), 2.5]
    assert not conflicts(report)


@ENGINES
def test_conflict_columns_hold_the_sources_number_text(engine: Engine) -> None:
    out, report = flat('{"v": 12345678901234.5678}', '{"v": "s"}', '{"v": [1e-400]}', engine=engine)
    assert out["j.v"].to_list() == ["12345678901234.5678", '"s"', "[1e-400]"]
    assert "type conflict" in conflicts(report)["j.v"]


def test_strings_that_look_like_numbers_are_untouched() -> None:
    out, report = flat('{"s": "12345678901234.5678", "t": "\\u0001qf#1"}', engine="duckdb")
    assert out.row(0) == ("12345678901234.5678", "\x01qf#1")
    assert not conflicts(report)


# --- through read_postgres: a json and a jsonb column ----------------------------------------


def load(pg: psycopg.Connection, pg_dsn: str, schema: str, *texts: str) -> qf.QuantumFrames:
    minimal_tables(pg, schema, extra_team_columns=", dj json, db jsonb")
    with pg.cursor() as cur:
        cur.executemany(
            f'INSERT INTO "{schema}".team_quantum_dna_v3 VALUES (%s, %s, %s, %s, %s, %s)',
            [(i, f"t{i}", "L", "MID", t, t) for i, t in enumerate(texts)],
        )
    return qf.read_postgres(pg_dsn, schema=schema)


def test_read_postgres_duplicate_keys(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    q = load(pg, pg_dsn, schema, '{"a": "b", "a": "c", "o": {"x": 1}, "o": {"y": 2}}')
    for col in ("dj", "db"):
        assert q.teams[f"{col}.a"].to_list() == ["c"]
        assert q.teams[f"{col}.o.y"].to_list() == [2]
        assert f"{col}.o.x" not in q.teams.columns
    assert json.loads(q.raw.teams["dj"].item(), object_pairs_hook=list)[0] == ("a", "b")


def test_read_postgres_duplicate_keys_in_conflict_columns(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """A type conflict sends both columns to the DuckDB engine.

    There the jsonb column skips the duplicate-key pass (jsonb keeps one member per key);
    the json column must not: its last member wins, as PostgreSQL's ``->>`` says.
    """
    q = load(pg, pg_dsn, schema, '{"a": "b", "a": "c", "p": 1}', '{"a": "d", "p": "x"}')
    for col in ("dj", "db"):
        assert q.teams[f"{col}.a"].to_list() == ["c", "d"], col
        assert q.teams[f"{col}.p"].to_list() == ["1", '"x"'], col
    assert q.report.filter(pl.col("column") == "dj.p")["conflict"].item() is not None
    assert json.loads(q.raw.teams["dj"][0], object_pairs_hook=list)[0] == ("a", "b")


def test_json_and_jsonb_are_known_by_their_type_not_its_name(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """A domain named ``jsonb`` over json holds json text (its duplicate keys, last one wins).

    A domain named ``json`` over text holds any text (not flattened, kept exactly); a domain of
    another name over jsonb is jsonb (flattened).
    """
    pg.execute(
        f'CREATE DOMAIN "{schema}".jsonb AS json; CREATE DOMAIN "{schema}".json AS text; '
        f'CREATE DOMAIN "{schema}".dna AS pg_catalog.jsonb'
    )
    columns = f', fake_b "{schema}".jsonb, fake_j "{schema}".json, dna "{schema}".dna'
    minimal_tables(pg, schema, extra_team_columns=columns)
    rows = [
        (0, '{"k": 1, "k": 2, "p": 1}', "not json {", '{"a": 1}'),
        (1, '{"k": 3, "p": "x"}', '{"a": 2}', '{"a": 2}'),  # a conflict: the DuckDB engine
    ]
    with pg.cursor() as cur:
        cur.executemany(
            f"INSERT INTO \"{schema}\".team_quantum_dna_v3 VALUES (%s, %s, 'L', 'MID', %s, %s, %s)",
            [(i, f"t{i}", b, j, d) for i, b, j, d in rows],
        )
    q = qf.read_postgres(pg_dsn, schema=schema, progress=False)
    assert q.teams["fake_b.k"].to_list() == [2, 3]  # as PostgreSQL's ->> reads json
    assert q.teams["fake_j"].to_list() == ["not json {", '{"a": 2}']  # text, kept as it is
    assert q.teams["dna.a"].to_list() == [1, 2]


@pytest.mark.usefixtures("schema")
def test_read_postgres_never_receives_invalid_json(pg: psycopg.Connection) -> None:
    """PostgreSQL's own json input is the reference: it refuses what the flattener refuses."""
    for text in REJECTED:
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            pg.execute("SELECT %s::json", (text,))


@pytest.mark.parametrize("inner", [DEEP, '[{"a": ' + DEEP + "}]"])
def test_read_postgres_deep_values(
    pg: psycopg.Connection, pg_dsn: str, schema: str, inner: str
) -> None:
    q = load(pg, pg_dsn, schema, '{"v": ' + inner + ', "n": 1}', '{"n": 2}')
    report = conflicts(q.report)
    for col in ("dj", "db"):
        assert json.loads(q.teams[f"{col}.v"][0]) == json.loads(inner)
        assert "nested deeper than" in report[f"{col}.v"]
        assert q.teams[f"{col}.n"].to_list() == [1, 2]


def test_read_postgres_numbers(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    numbers = ["12345678901234.5678", "100000000000000000000000.5", "1e-400", "0.5"]
    q = load(pg, pg_dsn, schema, *(f'{{"v": {n}, "c": {n}}}' for n in numbers), '{"c": "s"}')
    report = conflicts(q.report)
    for col in ("dj", "db"):
        values = q.teams[f"{col}.v"].to_list()
        assert [Decimal(v) for v in values[:4]] == [Decimal(n) for n in numbers]
        assert "Float64" in report[f"{col}.v"]
        texts = q.teams[f"{col}.c"].to_list()  # a conflict column: the source's own JSON text
        assert [Decimal(v) for v in texts[:4]] == [Decimal(n) for n in numbers]
        assert texts[4] == '"s"'
    assert q.teams["dj.v"][0] == "12345678901234.5678"  # json keeps the text as written


@ENGINES
def test_a_source_string_holding_the_number_tag_is_never_read_as_a_number(engine: Engine) -> None:
    out, report = flat('{"s": "\\u0001qf#0#5", "v": 1e-400}', '{"s": 1, "v": 1.5}', engine=engine)
    assert out["j.s"].to_list() == ['"\\u0001qf#0#5"', "1"]  # each row's JSON text
    assert out["j.v"].to_list() == ["1e-400", "1.5"]
    assert "type conflict" in conflicts(report)["j.s"]
