"""Column types met in the wild: each loads, kept exactly, and reported.

Kept as text where Polars has no type — never the connection hint, never a raw Polars error,
never a wrong value.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.source import ColumnKeptAsTextWarning
from quantum_frames.source._types import decimal_dtype
from tests._helpers.pg import minimal_tables

if TYPE_CHECKING:
    import psycopg


def _teams(pg: psycopg.Connection, schema: str, columns: str, rows: str) -> None:
    minimal_tables(pg, schema, extra_team_columns=f", {columns}")
    pg.execute(f'INSERT INTO "{schema}".team_quantum_dna_v3 VALUES {rows}')


def _load(pg_dsn: str, schema: str, **options: object) -> qf.QuantumFrames:
    options.setdefault("progress", False)
    return qf.read_postgres(pg_dsn, schema=schema, **options)  # type: ignore[arg-type]


def _load_warned(
    pg_dsn: str, schema: str, match: str, **options: object
) -> tuple[qf.QuantumFrames, list[str]]:
    """The load, and its ColumnKeptAsTextWarning messages (one of which matches ``match``)."""
    with pytest.warns(ColumnKeptAsTextWarning) as record:
        q = _load(pg_dsn, schema, **options)
    messages = [str(w.message) for w in record]
    assert any(re.search(match, m) for m in messages), messages
    return q, messages


def test_infinity_in_dates_and_timestamps_is_kept_as_text_and_reported(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    _teams(
        pg,
        schema,
        "tz timestamptz, ts timestamp, d date, fine timestamptz",
        "(1, 'a', 'L', 'ELITE', 'infinity', '-infinity', 'infinity', '2025-01-01 10:00+00'),"
        "(2, 'b', 'L', 'ELITE', '2025-01-01 10:00+00', '2025-01-01 10:00', '2025-01-01', NULL),"
        "(3, 'c', 'L', 'ELITE', NULL, NULL, NULL, NULL)",
    )
    q, _ = _load_warned(
        pg_dsn, schema, r"team_quantum_dna_v3\.tz \(timestamp", partition_rows=1, partition_num=2
    )
    teams = q.raw.teams
    assert teams.schema["tz"] == teams.schema["ts"] == teams.schema["d"] == pl.String
    assert teams["tz"][0] == "infinity"
    assert teams["ts"][0] == "-infinity"
    assert teams["d"].to_list() == ["infinity", "2025-01-01", None]
    assert teams["ts"][1] == "2025-01-01 10:00:00"  # PostgreSQL's own text of the finite value
    assert teams.schema["fine"] == pl.Datetime(
        "us", "UTC"
    )  # an unguarded-by-data column stays typed
    assert teams["fine"][0] == datetime.fromisoformat("2025-01-01T10:00:00+00:00")
    assert {n.split(" (")[0] for n in q.source["text_columns"]} == {
        f"{schema}.team_quantum_dna_v3.{c}" for c in ("tz", "ts", "d")
    }
    assert q.team("a")["d"] == "infinity"  # no OverflowError


def test_the_latest_dates_and_timestamps_postgresql_holds(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    _teams(
        pg,
        schema,
        "ts timestamp, d date, near date",
        "(1, 'a', 'L', 'ELITE', '294276-12-31 23:59:59', '5874897-12-31', '2999-01-01'),"
        "(2, 'b', 'L', 'ELITE', '2025-01-01', '2025-01-01', '2025-01-02')",
    )
    q, _ = _load_warned(pg_dsn, schema, "year past 262000")
    teams = q.raw.teams
    assert teams["ts"].to_list() == ["294276-12-31 23:59:59", "2025-01-01 00:00:00"]
    assert teams["d"].to_list() == ["5874897-12-31", "2025-01-01"]
    assert teams["near"].to_list() == [date(2999, 1, 1), date(2025, 1, 2)]


def test_arrays_of_two_dimensions_or_odd_bounds_are_kept_as_text(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    _teams(
        pg,
        schema,
        "grid int[], shifted text[], plain int[]",
        "(1, 'a', 'L', 'ELITE', '{{1,2},{3,4}}', '[0:1]={x,y}', '{1,2}'),"
        "(2, 'b', 'L', 'ELITE', '{5}', '{}', '{}'),"
        "(3, 'c', 'L', 'ELITE', NULL, NULL, NULL)",
    )
    q, _ = _load_warned(pg_dsn, schema, "several dimensions")
    teams = q.raw.teams
    assert teams["grid"].to_list() == ["{{1,2},{3,4}}", "{5}", None]
    assert teams["shifted"].to_list() == ["[0:1]={x,y}", "{}", None]
    assert teams.schema["plain"] == pl.List(pl.Int32)
    assert teams["plain"].to_list() == [[1, 2], [], None]


def test_numeric_scale_above_precision_and_negative_scale(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    version = pg.execute("SHOW server_version_num").fetchone()
    assert version is not None
    if int(version[0]) < 150000:  # pragma: no cover - pgserver ships 16
        pytest.skip("numeric(3,5) needs PostgreSQL 15")
    _teams(
        pg,
        schema,
        "small numeric(3,5), big numeric(3,-2), money numeric(10,2), wide numeric(60,2)",
        "(1, 'a', 'L', 'ELITE', 0.00123, 12300, 12.5, 1e40),"
        "(2, 'b', 'L', 'ELITE', -0.00999, -99900, NULL, NULL)",
    )
    teams = _load(pg_dsn, schema).raw.teams
    assert teams.schema["small"] == pl.Decimal(5, 5)
    assert teams["small"].to_list() == [Decimal("0.00123"), Decimal("-0.00999")]
    assert teams.schema["big"] == pl.Decimal(5, 0)
    assert teams["big"].to_list() == [Decimal(12300), Decimal(-99900)]
    assert teams.schema["money"] == pl.Decimal(10, 2)
    assert teams.schema["wide"] == pl.String  # beyond 38 digits: exact text
    assert teams["wide"][0] == "1" + "0" * 40 + ".00"


def test_unconstrained_numeric_has_one_dtype_whatever_the_data(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    minimal_tables(pg, schema, extra_team_columns=", rating numeric")
    dtypes = set()
    for values in (["1.5", "2"], ["1.125", "3"], ["NaN", "1"], ["1e30", "-0.000001"], [None]):
        pg.execute(f'TRUNCATE "{schema}".team_quantum_dna_v3')
        for i, v in enumerate(values):
            pg.execute(
                f"INSERT INTO \"{schema}\".team_quantum_dna_v3 VALUES (%s, %s, 'L', 'ELITE', %s)",
                (i, f"t{i}", v),
            )
        teams = _load(pg_dsn, schema).raw.teams
        dtypes.add(teams.schema["rating"])
        assert (
            teams["rating"].to_list()
            == [None if v is None else str(Decimal(v)) if v != "NaN" else "NaN" for v in values]
            or values[0] == "1e30"
        )
    assert dtypes == {pl.String}


def test_nan_in_a_declared_numeric_is_kept_as_text_and_reported(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    _teams(
        pg,
        schema,
        "money numeric(6,2)",
        "(1, 'a', 'L', 'ELITE', 'NaN'), (2, 'b', 'L', 'ELITE', 1.5)",
    )
    q, _ = _load_warned(pg_dsn, schema, r"money \(numeric\(6,2\)\): 1 row\(s\) hold NaN")
    assert q.raw.teams["money"].to_list() == ["NaN", "1.50"]


def test_decimal_dtype_from_the_catalog() -> None:
    assert decimal_dtype("numeric(10,2)") == pl.Decimal(10, 2)
    assert decimal_dtype("numeric(3,5)") == pl.Decimal(5, 5)
    assert decimal_dtype("numeric(3,-2)") == pl.Decimal(5, 0)
    assert decimal_dtype("numeric(39,0)") is None
    assert decimal_dtype("numeric") is None


def test_names_differing_only_by_unicode_normalisation_stay_distinct(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    nfc, nfd = "caf\u00e9", "cafe\u0301"
    assert unicodedata.normalize("NFC", nfd) == nfc
    assert nfc != nfd
    minimal_tables(pg, schema, extra_team_columns=f', "{nfc}" int, "{nfd}" int, j jsonb')
    pg.execute(
        f"INSERT INTO \"{schema}\".team_quantum_dna_v3 VALUES (1, 'a', 'L', 'ELITE', 1, 2, %s)",
        (f'{{"{nfc}": 10, "{nfd}": 20}}',),
    )
    q = _load(pg_dsn, schema)
    assert q.teams[nfc].to_list() == [1]
    assert q.teams[nfd].to_list() == [2]
    assert q.teams[f"j.{nfc}"].to_list() == [10]
    assert q.teams[f"j.{nfd}"].to_list() == [20]
    team = q.team("a")
    assert (team[nfc], team[nfd]) == (1, 2)
    assert team["j"] == {nfc: 10, nfd: 20}


def test_a_type_connectorx_cannot_read_never_gets_the_connection_hint(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """Odd values everywhere at once: the load works (no SourceError at all)."""
    _teams(
        pg,
        schema,
        "a int[], t timestamptz, n numeric(3,5), r int4range, i interval",
        "(1, 'a', 'L', 'ELITE', '{{1}}', 'infinity', 0.00001, '[1,5)', '1 day')",
    )
    q, messages = _load_warned(pg_dsn, schema, "several dimensions")
    assert len(messages) == 2, messages  # the array and the timestamp; numeric(3,5) is typed
    row = q.raw.teams.row(0, named=True)
    assert (row["a"], row["t"], row["r"], row["i"]) == ("{{1}}", "infinity", "[1,5)", "1 day")
    assert row["n"] == Decimal("0.00001")
