"""read_postgres against a real PostgreSQL: the sample, drift, odd schemas, bad input."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.source._dsn import Dsn
from quantum_frames.synthetic.generator import TEAM_JSON_COLUMNS, generate
from quantum_frames.synthetic.seed import seed_postgres
from tests._helpers.leaves import assert_leaves_match
from tests._helpers.pg import minimal_tables

if TYPE_CHECKING:
    import psycopg

FRICTION_JSON = ["friction_vector", "style_matchup", "market_edges"]
STRATEGY_JSON = ["context_filters", "parameters", "performance_by_context"]


# --- the sample, end to end -----------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(pg_dsn: str, sample_schema: str) -> qf.QuantumFrames:
    return qf.read_postgres(pg_dsn, schema=sample_schema)


def test_sample_loads_with_every_table_and_column(loaded: qf.QuantumFrames) -> None:
    source = generate(1)
    assert loaded.raw.teams.columns == source.teams.columns
    assert loaded.raw.friction.columns == source.friction.columns
    assert loaded.raw.strategies.columns == source.strategies.columns
    assert (loaded.teams.height, loaded.friction.height, loaded.strategies.height) == (
        96,
        1752,
        468,
    )
    assert loaded.teams.schema["market_dna.empirical_profile.avg_edge"] == pl.Float64
    assert loaded.teams.schema["narrative_fingerprint_tags"] == pl.List(pl.String)
    assert loaded.friction["team_home_name"].null_count() == 0


def test_lossless_source_equals_what_was_written(loaded: qf.QuantumFrames) -> None:
    source = generate(1)
    for name, written in source.items():
        got = getattr(loaded.raw, name)
        json_cols = [
            c for c in written.columns if c in (*TEAM_JSON_COLUMNS, *FRICTION_JSON, *STRATEGY_JSON)
        ]
        plain = [c for c in written.columns if c not in json_cols]
        assert got.select(plain).equals(written.select(plain)), name
        for col in json_cols:  # jsonb normalises spacing and key order: compare as JSON
            want = [None if v is None else json.loads(v) for v in written[col]]
            have = [None if v is None else json.loads(v) for v in got[col]]
            assert have == want, f"{name}.{col}"


@pytest.mark.parametrize(
    ("table", "columns"),
    [("teams", TEAM_JSON_COLUMNS), ("friction", FRICTION_JSON), ("strategies", STRATEGY_JSON)],
)
def test_every_json_leaf_equals_the_source_value(
    loaded: qf.QuantumFrames, table: str, columns: tuple[str, ...]
) -> None:
    compared = assert_leaves_match(
        getattr(loaded.raw, table), getattr(loaded, table), loaded.report, columns
    )
    assert compared > 0


def test_drift_in_the_sample_is_reported_not_fatal(loaded: qf.QuantumFrames) -> None:
    assert loaded.conflicts["column"].to_list() == ["status_2025_2026.position"]
    values = loaded.teams["status_2025_2026.position"].drop_nulls()
    assert set(values.filter(~values.str.contains(r"^\d+$")).to_list()) == {'"N/A"'}


def test_repr_and_source_hold_no_password(loaded: qf.QuantumFrames) -> None:
    text = repr(loaded)
    assert text.startswith("QuantumFrames from postgresql://")
    assert "teams" in text
    assert "96 rows" in text
    assert "password" not in json.dumps(dict(loaded.source), default=str)


# --- data these tests have never seen -------------------------------------------------------


def test_unseen_data_with_other_drift_and_extra_columns(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    seed_postgres(pg_dsn, generate(1, seed=2026), schema=schema)
    t = f'"{schema}".team_quantum_dna_v3'
    pg.execute(
        f"""
        ALTER TABLE {t} ADD COLUMN scouting jsonb, ADD COLUMN budget numeric(14,2),
            ADD COLUMN rating numeric, ADD COLUMN founded date, ADD COLUMN ground_capacity bigint,
            ADD COLUMN spell interval, ADD COLUMN notes json;
        UPDATE {t} SET scouting = jsonb_build_object('grade', team_id % 5, 'scout', 'Jürgen',
            'clubs', jsonb_build_array('Köln', team_id)),
            budget = team_id * 1000.25, rating = team_id / 7.0, founded = '1900-01-01',
            ground_capacity = 3000000000, spell = '3 days', notes = '{{"a": 1,   "b": [true]}}';
        UPDATE {t} SET scouting = '"unknown"' WHERE team_id = 3;
        UPDATE {t}
            SET market_dna = jsonb_set(market_dna, '{{empirical_profile,sample_size}}', '"24"')
            WHERE team_id IN (5, 6);
        UPDATE {t} SET luck_dna = '[1, {{"x": null}}]' WHERE team_id = 7;
        UPDATE {t}
            SET market_dna = market_dna || '{{"ключ": {{"ß": 1.5}}, "big": 123456789012345678901}}'
            WHERE team_id = 8;
        UPDATE {t} SET narrative_fingerprint_tags = NULL WHERE team_id = 9;
        UPDATE {t} SET team_name = 'Brighton & Hove "Albion"; --' WHERE team_id = 10;
        """
    )
    q = qf.read_postgres(pg_dsn, schema=schema)
    json_cols = [*TEAM_JSON_COLUMNS, "scouting", "notes"]
    assert assert_leaves_match(q.raw.teams, q.teams, q.report, json_cols) > 1000
    teams = q.teams
    assert teams.schema["budget"] == pl.Decimal(14, 2)
    assert teams.filter(pl.col("team_id") == 1)["budget"].item() == Decimal("1000.25")
    assert teams.schema["rating"] == pl.String  # unconstrained NUMERIC: exact text, one dtype
    assert str(teams.filter(pl.col("team_id") == 1)["rating"].item()).startswith("0.142857142857")
    assert teams.schema["founded"] == pl.Date
    assert teams["ground_capacity"].unique().to_list() == [3_000_000_000]
    assert teams["spell"].unique().to_list() == ["3 days"]
    assert teams.filter(pl.col("team_id") == 9)["narrative_fingerprint_tags"].item() is None
    assert (
        teams.filter(pl.col("team_id") == 10)["team_name"].item() == 'Brighton & Hove "Albion"; --'
    )
    conflicts = set(q.conflicts["column"])
    assert {
        "scouting",
        "market_dna.empirical_profile.sample_size",
        "luck_dna",
        "market_dna.big",
    } <= conflicts
    assert teams.filter(pl.col("team_id") == 8)["market_dna.ключ.ß"].item() == 1.5
    assert teams.schema["notes.b"] == pl.List(pl.Boolean)
    assert q.raw.teams["notes"][0] == '{"a": 1,   "b": [true]}'  # json text kept verbatim


def test_table_with_only_the_required_columns(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    minimal_tables(pg, schema)
    pg.execute(
        f"""INSERT INTO "{schema}".team_quantum_dna_v3 VALUES
            (1, '1. FC Köln', 'Bundesliga', 'MID'),
            (2, 'Brighton & Hove Albion', 'Premier League', 'TOP6');
            INSERT INTO "{schema}".quantum_friction_matrix_v3 VALUES (1, 2, 0.5);
            INSERT INTO "{schema}".quantum_strategies_v3 VALUES (2, 'MONTE_CARLO_PURE', 80);"""
    )
    q = qf.read_postgres(pg_dsn, schema=schema)
    assert q.teams.columns == ["team_id", "team_name", "league", "tier"]
    assert q.friction.row(0, named=True) == {
        "team_home_id": 1,
        "team_away_id": 2,
        "friction_score": 0.5,
        "team_home_name": "1. FC Köln",
        "team_away_name": "Brighton & Hove Albion",
    }
    assert q.strategies["team_name"].to_list() == ["Brighton & Hove Albion"]
    assert q.report.is_empty()


def test_null_json_null_empty_object_and_tag_arrays(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    minimal_tables(pg, schema, extra_team_columns=", dna jsonb, tags text[] DEFAULT '{}'")
    pg.execute(
        f"""INSERT INTO "{schema}".team_quantum_dna_v3 VALUES
            (1, 'A', 'L', 'MID', NULL, NULL), (2, 'B', 'L', 'MID', 'null', '{{}}'),
            (3, 'C', 'L', 'MID', '{{}}', '{{GK_*,"a b",NULL}}'),
            (4, 'D', 'L', 'MID', '{{"x": {{}}, "y": null}}', DEFAULT),
            (5, 'E', 'L', 'MID', '{{"x": {{"z": 1}}}}', '{{ÉLITE}}')"""
    )
    q = qf.read_postgres(pg_dsn, schema=schema)
    assert q.teams.columns == ["team_id", "team_name", "league", "tier", "dna.x.z", "dna.y", "tags"]
    assert q.teams["dna.x.z"].to_list() == [None, None, None, None, 1]
    assert q.teams.schema["dna.y"] == pl.Null
    assert q.teams["tags"].to_list() == [None, [], ["GK_*", "a b", None], [], ["ÉLITE"]]
    assert q.raw.teams["dna"].to_list()[:2] == [None, "null"]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.none()
        | st.dictionaries(
            st.text(alphabet="xyZé ", max_size=3),
            st.recursive(
                st.none()
                | st.booleans()
                | st.integers(-(2**70), 2**70)
                | st.floats(allow_nan=False, allow_infinity=False)
                | st.text(
                    st.characters(exclude_characters="\x00"), max_size=4
                ),  # jsonb refuses \u0000
                lambda c: (
                    st.lists(c, max_size=3)
                    | st.dictionaries(st.text(alphabet="xyZé ", max_size=3), c, max_size=3)
                ),
                max_leaves=8,
            ),
            max_size=4,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_arbitrary_jsonb_round_trips_through_postgres(
    pg: psycopg.Connection, pg_dsn: str, values: list[Any]
) -> None:
    schema = "qf_prop"
    pg.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    minimal_tables(pg, schema, extra_team_columns=", dna jsonb")
    with pg.cursor() as cur:
        cur.executemany(
            f'INSERT INTO "{schema}".team_quantum_dna_v3 VALUES (%s, %s, %s, %s, %s)',
            [
                (i, f"t{i}", "L", "MID", None if v is None else json.dumps(v))
                for i, v in enumerate(values)
            ],
        )
    q = qf.read_postgres(pg_dsn, schema=schema)
    assert_leaves_match(q.raw.teams, q.teams, q.report, ["dna"])


# --- bad input ---------------------------------------------------------------------------------


def test_missing_table_names_schema_and_table(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    minimal_tables(pg, schema)
    pg.execute(f'DROP TABLE "{schema}".quantum_strategies_v3')
    with pytest.raises(
        qf.MissingTableError, match=rf"schema '{schema}' has no table 'quantum_strategies_v3'"
    ) as info:
        qf.read_postgres(pg_dsn, schema=schema)
    assert info.value.tables == ("quantum_strategies_v3",)


def test_missing_required_column_names_table_and_columns(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    minimal_tables(pg, schema)
    pg.execute(f'ALTER TABLE "{schema}".team_quantum_dna_v3 DROP COLUMN tier, DROP COLUMN league')
    with pytest.raises(
        qf.MissingColumnError,
        match=r"team_quantum_dna_v3 lacks the required column\(s\) 'league', 'tier'",
    ):
        qf.read_postgres(pg_dsn, schema=schema)


def test_missing_schema_is_a_missing_table_error(pg_dsn: str) -> None:
    with pytest.raises(qf.SchemaError, match="schema 'no_such_schema'"):
        qf.read_postgres(pg_dsn, schema="no_such_schema")


@pytest.mark.parametrize("name", ['we"ird; DROP TABLE x; --', "spa ce", "Ünï'cödé"])
def test_hostile_schema_names_are_quoted_never_spliced(
    pg: psycopg.Connection, pg_dsn: str, name: str
) -> None:
    quoted = '"' + name.replace('"', '""') + '"'
    pg.execute(f"DROP SCHEMA IF EXISTS {quoted} CASCADE; CREATE SCHEMA {quoted}")
    try:
        minimal_tables(pg, name.replace('"', '""'))
        pg.execute(f"INSERT INTO {quoted}.team_quantum_dna_v3 VALUES (1, 'A', 'L', 'MID')")
        q = qf.read_postgres(pg_dsn, schema=name)
        assert q.teams["team_name"].to_list() == ["A"]
    finally:
        pg.execute(f"DROP SCHEMA {quoted} CASCADE")


def test_tables_option_maps_logical_names(pg: psycopg.Connection, pg_dsn: str, schema: str) -> None:
    minimal_tables(pg, schema)
    pg.execute(f'ALTER TABLE "{schema}".team_quantum_dna_v3 RENAME TO teams_v4')
    q = qf.read_postgres(pg_dsn, schema=schema, tables={"teams": "teams_v4"})
    assert q.source["tables"]["teams"] == "teams_v4"
    with pytest.raises(ValueError, match="unknown"):
        qf.read_postgres(pg_dsn, schema=schema, tables={"players": "x"})


def test_refused_connection_is_a_source_error_without_password(unused_port: int) -> None:
    dsn = f"postgresql://analyst:s3cr%40t-pw@127.0.0.1:{unused_port}/prod"
    with pytest.raises(qf.SourceError) as info:
        qf.read_postgres(dsn, connect_timeout=2)
    message = str(info.value)
    assert f"127.0.0.1:{unused_port}/prod" in message
    assert "s3cr" not in message
    assert "s3cr@t" not in message
    assert info.value.target == f"analyst@127.0.0.1:{unused_port}/prod"


def test_wrong_database_is_a_source_error(pg_dsn: str) -> None:
    params = Dsn.parse(pg_dsn).params
    bad = Dsn({**params, "dbname": "no_such_db"}).connectorx_uri()
    with pytest.raises(qf.SourceError, match="no_such_db"):
        qf.read_postgres(bad)


def test_missing_dsn_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QF_DSN", raising=False)
    with pytest.raises(qf.SourceError, match="QF_DSN"):
        qf.read_postgres()


def test_dsn_from_environment(
    monkeypatch: pytest.MonkeyPatch, pg_dsn: str, sample_schema: str
) -> None:
    monkeypatch.setenv("QF_DSN", pg_dsn)
    assert qf.read_postgres(schema=sample_schema).teams.height == 96


def test_the_load_session_is_read_only(pg_dsn: str) -> None:
    import connectorx as cx

    from quantum_frames.source._postgres import _session_params

    uri = Dsn.parse(pg_dsn).connectorx_uri(**_session_params(5, None))
    flag = cx.read_sql(
        uri, "SELECT current_setting('transaction_read_only') AS ro", return_type="polars"
    )
    assert flag["ro"].item() == "on"
    with pytest.raises(BaseException, match="read-only transaction"):
        cx.read_sql(
            uri,
            "SELECT nextval('qf_sample.quantum_strategies_v3_strategy_id_seq') AS n",
            return_type="polars",
        )


def test_large_tables_are_read_in_partitions_and_sorted(pg_dsn: str, sample_schema: str) -> None:
    whole = qf.read_postgres(pg_dsn, schema=sample_schema)
    parts = qf.read_postgres(pg_dsn, schema=sample_schema, partition_rows=1, partition_num=3)
    for name, frame in whole.tables():
        assert getattr(parts, name).equals(frame), name


def test_partitions_of_a_table_stored_out_of_key_order_come_back_sorted(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """Partitions arrive in any order and are put back in key order.

    No sort is needed when the table lies in key order; a table that does not (rows inserted
    backwards) is sorted.
    """
    minimal_tables(pg, schema)
    pg.execute(
        f'INSERT INTO "{schema}".team_quantum_dna_v3 '
        "SELECT i, 'team ' || i, 'L', 'ELITE' FROM generate_series(500, 1, -1) AS i"
    )
    q = qf.read_postgres(pg_dsn, schema=schema, partition_rows=1, partition_num=4)
    assert q.raw.teams["team_id"].to_list() == list(range(1, 501))
    assert q.raw.teams["team_name"].to_list() == [f"team {i}" for i in range(1, 501)]


def test_load_logs_tables_without_password(
    caplog: pytest.LogCaptureFixture, pg_dsn: str, sample_schema: str
) -> None:
    with caplog.at_level(logging.INFO, logger="quantum_frames"):
        qf.read_postgres(pg_dsn, schema=sample_schema)
    assert any("team_quantum_dna_v3: 96 rows" in r.getMessage() for r in caplog.records)


def test_a_load_and_a_snapshot_read_never_import_pandas(pg_dsn: str, sample_schema: str) -> None:
    """Pandas takes ~0.4 s to import: a backtest script's first load must not pay for it.

    ``pyarrow.array`` on Python lists imports it when it is installed.
    """
    import subprocess
    import sys

    pytest.importorskip("pandas")  # otherwise nothing could import it
    code = (
        "import sys, quantum_frames as qf\n"
        "q = qf.read_postgres(sys.argv[1], schema=sys.argv[2], progress=False)\n"
        "qf.read_snapshot(qf.sample_path()).report\n"
        "q.report, q.teams.height\n"
        "print('pandas' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, pg_dsn, sample_schema],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_max_columns_reaches_the_flattener_and_the_options(
    pg_dsn: str, sample_schema: str, loaded: qf.QuantumFrames
) -> None:
    capped = qf.read_postgres(pg_dsn, schema=sample_schema, max_columns=5)
    assert capped.options["max_columns"] == 5
    assert loaded.options["max_columns"] == 1_000
    assert capped.teams.width < loaded.teams.width  # the widest objects stayed JSON text
    again = loaded.reflatten(max_columns=5)
    assert again.teams.columns == capped.teams.columns
    assert again.options == capped.options
