"""Conformance: a corpus of valid and invalid JSON texts of every kind.

Both engines are held to an independent oracle (:func:`tests._helpers.leaves.pg_loads`:
Python's json with the last duplicate winning, NaN/Infinity refused, exact Decimal numbers),
and the oracle held to PostgreSQL.

Plus a property: arbitrary nested JSON text (duplicate keys, wide dicts, long numbers) →
flatten → unflatten gives back the values PostgreSQL's jsonb holds.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from tests._helpers.leaves import _exact, _normalise, assert_leaves_match, pg_loads

if TYPE_CHECKING:
    from collections.abc import Iterator

ENGINES = pytest.mark.parametrize("engine", ["auto", "duckdb"])
Engine = Literal["auto", "duckdb"]

NUMBERS = [
    "0", "-0", "1", "-1", "9007199254740993", "9223372036854775807", "-9223372036854775808",
    "9223372036854775808", "18446744073709551616", "1000000000000000000000000000000", "1.5",
    "0.1", "-2.5E-3", "1e23", "1E+23", "1e-7", "5e-324", "2e-324", "1e-400", "1e400",
    "1.7976931348623157e308", "1.8e308", "0.30000000000000004", "12345678901234.5678",
    "100000000000000000000000.5", "1.50", "0e999999999999999", "-0.0",
    "123456789012345678901234567890.5", "0.1000000000000000055511151231257827",
]  # fmt: skip
STRINGS = [
    '""', '"a"', r'"\""', r'"\\"', r'"\/"', r'"\b\f\n\r\t"', r'"\u00e9"', '"é"',
    r'"\ud83d\ude00"', '"😀"', r'"\u0041"', '"' + "x" * 5_000 + '"', '"12345678901234.5678"',
    '"NaN"', r'"a\":\"b"', '"\\u0001qf#1"', '"[1,]"',
]  # fmt: skip
STRUCTURES = [
    "true", "false", "null", "[]", "{}", '[1, "a"]', "[[]]", "[{}]", '{"a": {}}',
    '[{"k": 1}, {"k": "x"}]', '{"A": 1, "a": 2, "": 3}', '[[1, 2], [3]]', '[1.5, 2]',
    ' \t\n\r{ "a" : [ 1 , 2 ] } \n',
]  # fmt: skip
DUPLICATES = [
    '{"a": 1, "a": 2}', '{"a": {"x": 1}, "a": {"y": 2}}', '[{"a": 1, "a": [2]}]',
    '{"a": 1, "b": 2, "a": 3}', '{"\\u0061": 1, "a": 2}', '{"a": "b", "a": 1}',
    '{"a": {"b": 1, "b": {"c": 1, "c": 2}}, "a": {"b": 3, "b": 4}}',
]  # fmt: skip


def deep(depth: int) -> Iterator[str]:
    yield "[" * depth + "1" + "]" * depth
    yield '{"a":' * depth + "1" + "}" * depth
    yield '[{"a":' * depth + "1" + "}]" * depth


SHALLOW = NUMBERS + STRINGS + STRUCTURES + DUPLICATES
SHALLOW += [t for d in (1, 10, 24, 25, 63, 64, 128, 129) for t in deep(d)]
DEEP = [t for d in (1_000, 10_000) for t in deep(d)]  # compared as text: Python recursion
VALID = SHALLOW + DEEP
INVALID = [
    "[1,]", '{"a": 1,}', '{"v": [""],}', "NaN", "[NaN]", "Infinity", "-Infinity", "[-NaN]",
    "nan", "inf", "{'a': 1}", "'s'", "1 2", "{} {}", "[1]]", "[[1]", "", " ", '{"a":}',
    '{"a"}', "[,1]", "tru", "nul", '"unterminated', r'"\x"', r'"\u12"', "01", "1e", "-",
    "--1", "0x1", "1_000", "[1;2]", '{"a":1;"b":2}', "/*c*/{}", "{}//c", "\u00a0{}",
    "\ufeff{}", '"tab\there"', '"line\nbreak"', "[1 2]", '{"a" 1}', "+1", ".5", "1.",
    "undefined", "[True]",
]  # fmt: skip


def _valid_for_the_oracle(text: str) -> bool:
    try:
        pg_loads(text)
    except (ValueError, RecursionError):
        return False
    return True


@pytest.fixture
def deep_recursion() -> Iterator[None]:
    """The oracle (Python's json and the comparison) walks 10,000 levels recursively."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    yield
    sys.setrecursionlimit(limit)


@pytest.mark.usefixtures("deep_recursion")
def test_the_oracle_agrees_with_postgresql(pg: psycopg.Connection) -> None:
    """Each valid text is accepted by PostgreSQL's json input; each invalid text is refused by both.

    The jsonb of each valid text holds the values the oracle reads.
    """
    for text in VALID:
        try:
            assert pg.execute("SELECT %s::json IS NOT NULL", (text,)).fetchone() == (True,)
        except psycopg.errors.StatementTooComplex:  # PostgreSQL's own stack limit, not JSON's
            assert len(text) > 10_000
            continue
        try:
            row = pg.execute("SELECT (%s::json)::jsonb::text", (text,)).fetchone()
        except (psycopg.errors.NumericValueOutOfRange, psycopg.errors.StatementTooComplex):
            continue  # jsonb's numeric (0e999999999999999), PostgreSQL's stack (10,000 levels)
        assert row is not None, text
        assert _exact(pg_loads(row[0])) == _exact(pg_loads(text)), text[:80]
    for text in INVALID:
        assert not _valid_for_the_oracle(text), text
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            pg.execute("SELECT %s::json", (text,))


@ENGINES
def test_each_valid_text_flattens_to_the_oracles_values(engine: Engine) -> None:
    """Each text in its own column (one flatten for all).

    Alone at the root, and as a member beside a row where it is missing.
    """
    names = [f"t{i}" for i in range(len(SHALLOW))]
    alone = pl.DataFrame({n: [t] for n, t in zip(names, SHALLOW, strict=True)})
    member = pl.DataFrame(
        {n: ['{"v": ' + t + ', "n": 1}', '{"n": 2}'] for n, t in zip(names, SHALLOW, strict=True)}
    )
    for df in (alone, member):
        out, report = qf.flatten_with_report(df, names, _engine=engine)
        for name in names:  # one column at a time: the failure names its text
            assert_leaves_match(df, out, report, [name])


@ENGINES
@pytest.mark.parametrize("text", DEEP, ids=lambda t: f"{t[:3]}…{len(t)}")
def test_deep_texts_keep_their_deep_subtree_as_text(engine: Engine, text: str) -> None:
    for rows in ([text], ['{"v": ' + text + ', "n": 1}', '{"n": 2}']):
        out, report = qf.flatten_with_report(pl.DataFrame({"j": rows}), ["j"], _engine=engine)
        [column] = report.filter(pl.col("conflict").str.contains("nested deeper than"))["column"]
        kept = out[column][0]
        assert len(kept) > 100
        assert kept in text
        if len(rows) == 2:
            assert out["j.n"].to_list() == [1, 2]


@ENGINES
def test_the_whole_corpus_in_one_column(engine: Engine) -> None:
    """Every text in one column: conflict columns hold each row's JSON text, exactly."""
    df = pl.DataFrame({"j": ['{"v": ' + t + "}" for t in SHALLOW] + [None]})
    for valid_json in (False, True):
        out, report = qf.flatten_with_report(df, ["j"], _engine=engine, valid_json=valid_json)
        assert_leaves_match(df, out, report, ["j"])


@ENGINES
@pytest.mark.parametrize("text", INVALID, ids=repr)
def test_each_invalid_text_is_a_flatten_error_naming_column_and_row(
    engine: Engine, text: str
) -> None:
    for rows, row in (([text], 0), (['{"v": 1}', '{"v": ' + text + "}"], 1)):
        with pytest.raises(qf.FlattenError, match=rf"column 'j'.*first at row {row}\b"):
            qf.flatten_with_report(pl.DataFrame({"j": rows}), ["j"], _engine=engine)


# --- property: flatten → unflatten gives back what PostgreSQL holds ----------------------------

KEYS = st.sampled_from(["a", "b", "A", "é", "", "k k", "m1", "m2", "m3"])
NUMBER_TEXT = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.sampled_from([n for n in NUMBERS if "999999999" not in n]),  # jsonb's numeric overflows
)
SCALAR_TEXT = st.one_of(
    NUMBER_TEXT,
    st.sampled_from(["true", "false", "null"]),
    st.text(max_size=4).map(json.dumps),
)


def _object_text(members: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in members) + "}"


JSON_TEXT = st.recursive(
    SCALAR_TEXT,
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(KEYS, children), max_size=5).map(_object_text),  # duplicates too
        st.lists(  # a wide dict keyed by ids
            st.tuples(st.integers(0, 60).map(lambda i: f"id{i}"), NUMBER_TEXT), max_size=25
        ).map(_object_text),
    ),
    max_leaves=20,
)
ROWS = st.lists(
    st.one_of(st.none(), st.lists(st.tuples(KEYS, JSON_TEXT), max_size=5).map(_object_text)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    rows=ROWS, engine=st.sampled_from(["auto", "duckdb"]), max_columns=st.sampled_from([8, 1000])
)
def test_flatten_unflatten_gives_back_what_postgresql_holds(
    pg: psycopg.Connection, rows: list[str | None], engine: Engine, max_columns: int
) -> None:
    df = pl.DataFrame({"j": rows}, schema={"j": pl.String})
    out, report = qf.flatten_with_report(df, ["j"], _engine=engine, max_columns=max_columns)
    assert_leaves_match(df, out, report, ["j"])
    back = qf.unflatten(out, report)
    text_paths = report.filter(pl.col("conflict").is_not_null())
    for text, got in zip(rows, back["j"].to_list(), strict=True):
        if text is None:
            assert got is None
            continue
        row = pg.execute("SELECT %s::jsonb::text", (text,)).fetchone()
        assert row is not None
        want = pg_loads(row[0])  # what PostgreSQL holds
        assert _exact(want) == _exact(pg_loads(text))  # and what the oracle reads
        if text_paths.is_empty():
            assert _exact(_normalise(got)) == _exact(_normalise(want))
        elif isinstance(got, str):  # the whole column kept as text
            assert _exact(pg_loads(got)) == _exact(want)
        else:
            assert _exact(_normalise(_merge_texts(got, want))) == _exact(_normalise(want))


def _merge_texts(got: Any, want: Any) -> Any:
    """``got`` with each string that stands for a JSON subtree of ``want`` read back.

    Such a string is a conflict or a cut object kept as text; plain strings of ``want`` are left
    as they are.
    """
    if isinstance(got, dict) and isinstance(want, dict):
        return {k: _merge_texts(v, want.get(k)) for k, v in got.items()}
    if isinstance(got, str) and not isinstance(want, str):
        return pg_loads(got)
    if isinstance(got, str) and isinstance(want, str) and got != want:
        return pg_loads(got)  # a string in a conflict column: its JSON text
    if isinstance(got, list) and isinstance(want, list):
        return [_merge_texts(g, w) for g, w in zip(got, want, strict=False)]
    return got


def test_decimal_oracle_reads_exact_numbers() -> None:
    assert pg_loads('{"a": 1, "a": 12345678901234.5678}') == {"a": Decimal("12345678901234.5678")}
    with pytest.raises(ValueError, match="NaN"):
        pg_loads("[NaN]")
