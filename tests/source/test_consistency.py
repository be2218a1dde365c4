"""One database moment per load: a second process writes while loads run.

The writer runs the three kinds of transactions an application runs: insert a team with its
friction and strategy rows; move matches between two friction rows (the sum stays constant);
bump a team's version together with its strategies'. Every load must see a state some commit
left: friction names only teams the teams frame has, every team has its children, the sum is
the constant, strategies carry their team's version — across tables and across partitions.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import polars as pl
import psycopg
import pytest

import quantum_frames as qf
from quantum_frames.source import DEFAULT_TABLES, fetch_tables
from quantum_frames.source._dsn import Dsn

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

TEAMS, OPPONENTS, STRATEGIES, MATCHES = 600, 20, 4, 10
TOTAL = TEAMS * OPPONENTS * MATCHES

_WRITER = r"""
import random, sys, psycopg
dsn, schema = sys.argv[1], sys.argv[2]
rng = random.Random(13)
with psycopg.connect(dsn, autocommit=True) as conn:
    conn.execute(f'SET search_path TO "{schema}"')
    (top,) = conn.execute("SELECT max(friction_id) FROM quantum_friction_matrix_v3").fetchone()
    teams = [r[0] for r in conn.execute("SELECT team_id FROM team_quantum_dna_v3")]
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        kind = n % 3
        with conn.transaction():
            if kind == 0:  # a new team with its friction and strategy rows
                (tid,) = conn.execute(
                    "INSERT INTO team_quantum_dna_v3 (team_name, league, tier) "
                    "VALUES (%s, 'L', 'MID') RETURNING team_id", (f"writer {n}",)
                ).fetchone()
                for other in rng.sample(teams, 3):
                    conn.execute(
                        "INSERT INTO quantum_friction_matrix_v3 (team_home_id, team_away_id, "
                        "friction_score, h2h_matches, season) VALUES (%s, %s, 0.5, 0, '2025-2026')",
                        (tid, other),
                    )
                conn.execute(
                    "INSERT INTO quantum_strategies_v3 (team_id, strategy_name, conviction, "
                    "team_version) SELECT %s, 'S' || i, 50, 0 FROM generate_series(1, 3) i",
                    (tid,),
                )
                teams.append(tid)
            elif kind == 1:  # move matches between rows far apart (other partitions)
                a, b = rng.randint(1, top // 4), rng.randint(3 * top // 4, top)
                d = rng.randint(1, 5)
                conn.execute("UPDATE quantum_friction_matrix_v3 SET h2h_matches = h2h_matches - %s "
                             "WHERE friction_id = %s", (d, a))
                conn.execute("UPDATE quantum_friction_matrix_v3 SET h2h_matches = h2h_matches + %s "
                             "WHERE friction_id = %s", (d, b))
            else:  # a team and its strategies move to the next version together
                t = rng.choice(teams)
                conn.execute("UPDATE team_quantum_dna_v3 SET version = version + 1 "
                             "WHERE team_id = %s", (t,))
                conn.execute("UPDATE quantum_strategies_v3 SET team_version = team_version + 1 "
                             "WHERE team_id = %s", (t,))
"""


def seed(pg: psycopg.Connection, schema: str) -> None:
    pg.execute(
        f"""
        SET search_path TO "{schema}";
        CREATE TABLE team_quantum_dna_v3 (team_id serial PRIMARY KEY, team_name text UNIQUE,
            league text, tier text, version int NOT NULL DEFAULT 0);
        CREATE TABLE quantum_friction_matrix_v3 (friction_id serial PRIMARY KEY,
            team_home_id int, team_away_id int, friction_score float8, h2h_matches int,
            season text);
        CREATE TABLE quantum_strategies_v3 (strategy_id serial PRIMARY KEY, team_id int,
            strategy_name text, conviction float8, team_version int NOT NULL DEFAULT 0);
        INSERT INTO team_quantum_dna_v3 (team_name, league, tier)
            SELECT 'team ' || i, 'L', 'MID' FROM generate_series(1, {TEAMS}) i;
        INSERT INTO quantum_friction_matrix_v3 (team_home_id, team_away_id, friction_score,
                h2h_matches, season)
            SELECT h, (h + o - 1) % {TEAMS} + 1, 0.5, {MATCHES}, '2025-2026'
            FROM generate_series(1, {TEAMS}) h, generate_series(1, {OPPONENTS}) o;
        INSERT INTO quantum_strategies_v3 (team_id, strategy_name, conviction)
            SELECT t, 'S' || s, 50 FROM generate_series(1, {TEAMS}) t,
                generate_series(1, {STRATEGIES}) s;
        ANALYZE team_quantum_dna_v3, quantum_friction_matrix_v3, quantum_strategies_v3;
        RESET search_path;
        """
    )


def violations(q: qf.QuantumFrames) -> list[str]:
    """The invariants the writer keeps, each broken one named."""
    teams, friction, strategies = q.raw.teams, q.raw.friction, q.raw.strategies
    ids = teams.get_column("team_id")
    found = []
    orphans = friction.filter(
        ~pl.col("team_home_id").is_in(ids.implode()) | ~pl.col("team_away_id").is_in(ids.implode())
    )
    if orphans.height:
        found.append(f"{orphans.height} friction rows name teams the teams frame lacks")
    childless = ids.filter(
        ~ids.is_in(strategies.get_column("team_id").implode())
        | ~ids.is_in(friction.get_column("team_home_id").implode())
    )
    if childless.len():
        found.append(f"{childless.len()} teams lack their friction or strategy rows")
    total = friction.get_column("h2h_matches").sum()
    if total != TOTAL:
        found.append(f"the constant sum is {total}, not {TOTAL}")
    versions = strategies.join(teams.select("team_id", "version"), on="team_id", how="inner")
    skewed = versions.filter(pl.col("team_version") != pl.col("version")).height
    if skewed:
        found.append(f"{skewed} strategies carry another version than their team")
    return found


@pytest.fixture
def writer(pg: psycopg.Connection, pg_dsn: str, schema: str) -> Iterator[str]:
    """The schema, seeded, with a second process writing to it until the test ends."""
    seed(pg, schema)
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, pg_dsn, schema], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        yield schema
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


def _loads(pg_dsn: str, schema: str, count: int, **options: Any) -> list[list[str]]:
    results = []
    options = {"partition_rows": 1, "partition_num": 4, "progress": False, **options}
    for _ in range(count):
        q = qf.read_postgres(pg_dsn, schema=schema, **options)
        results.append(violations(q))
    return results


def _teams_now(pg: psycopg.Connection, schema: str) -> int:
    row = pg.execute(f'SELECT count(*) FROM "{schema}".team_quantum_dna_v3').fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize(
    "partition_rows",
    [1, 10**9],
    ids=["partitions, one table after the other", "small tables, read at once"],
)
def test_every_load_is_one_moment_under_a_concurrent_writer(
    pg: psycopg.Connection, pg_dsn: str, writer: str, partition_rows: int
) -> None:
    before = _teams_now(pg, writer)
    results = _loads(pg_dsn, writer, 6, partition_rows=partition_rows)
    assert _teams_now(pg, writer) > before + 6, "the writer did not write during the loads"
    assert results == [[]] * len(results)


@pytest.mark.parametrize(
    ("partition_rows", "loads"),
    [(1, 6), (10**9, 12)],  # read at once, the tables' moments lie closer: more loads to tell
    ids=["partitions, one table after the other", "small tables, read at once"],
)
def test_without_one_moment_the_same_loads_break_the_invariants(
    pg_dsn: str, writer: str, partition_rows: int, loads: int
) -> None:
    """consistent=False reads each table and partition at its own moment: the invariants break.

    This shows the check above can fail. The repr says it was not one moment.
    """
    results = _loads(pg_dsn, writer, loads, consistent=False, partition_rows=partition_rows)
    broken = [r for r in results if r]
    assert broken, "no load broke an invariant: the writer or the data is too small to tell"
    q = qf.read_postgres(pg_dsn, schema=writer, consistent=False, progress=False)
    assert q.source["moment"]["consistent"] is False
    assert "NOT one database moment" in repr(q)


@pytest.mark.slow
@pytest.mark.usefixtures("pg")
def test_many_loads_under_a_concurrent_writer(pg_dsn: str, writer: str) -> None:
    for partition_num in (2, 3, 8):
        results = _loads(pg_dsn, writer, 15, partition_num=partition_num)
        assert results == [[]] * len(results), partition_num


def test_partitions_are_ranged_in_the_snapshot_rows_deleted_after_the_export_still_load(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """The later tables come back as they were at the export, despite a concurrent change.

    As soon as the first table has arrived, a second session deletes the rows with the highest
    keys of the others and adds rows above them: the later tables still come back as they were
    at the export (a range computed outside the snapshot would lose the rows).
    """
    seed(pg, schema)
    expected = {
        "friction": TEAMS * OPPONENTS, "teams": TEAMS, "strategies": TEAMS * STRATEGIES,
    }  # fmt: skip
    keys = {
        "teams": ("team_quantum_dna_v3", "team_id"),
        "friction": ("quantum_friction_matrix_v3", "friction_id"),
        "strategies": ("quantum_strategies_v3", "strategy_id"),
    }
    acted: list[str] = []

    def meddle(info: Any, frame: pl.DataFrame, seconds: float) -> None:
        del frame, seconds
        if acted:
            return
        acted.append(info.logical)
        for logical, (table, key) in keys.items():
            if logical != info.logical:
                pg.execute(
                    f'DELETE FROM "{schema}".{table} WHERE {key} > '
                    f'(SELECT max({key}) / 2 FROM "{schema}".{table})'
                )
                pg.execute(
                    f'INSERT INTO "{schema}".{table} ({key}) SELECT max({key}) + 1000 '
                    f'FROM "{schema}".{table}'
                )

    result = fetch_tables(
        Dsn.parse(pg_dsn),
        schema=schema,
        tables={k: v[0] for k, v in keys.items()},
        connect_timeout=5,
        statement_timeout=None,
        partition_rows=1,
        partition_num=4,
        on_table=meddle,
    )
    assert acted
    for logical, frame in result.frames.items():
        key = keys[logical][1]
        assert frame.height == expected[logical], logical
        assert frame.get_column(key).to_list() == list(range(1, expected[logical] + 1)), logical
    assert result.moment is not None
    assert result.moment.consistent
    assert result.moment.snapshot.count(":") == 2


def test_the_moment_is_recorded_in_the_source_the_repr_and_the_manifest(
    pg_dsn: str, sample_schema: str, tmp_path: Path
) -> None:
    q = qf.read_postgres(pg_dsn, schema=sample_schema, progress=False)
    moment = q.source["moment"]
    assert moment["consistent"] is True
    assert moment["standby"] is False
    xmin, xmax, _ = moment["snapshot"].split(":")
    assert int(xmin) <= int(xmax)
    assert (
        abs(
            time.time()
            - __import__("datetime").datetime.fromisoformat(moment["server_time"]).timestamp()
        )
        < 120
    )
    assert moment["server_version"] == q.source["server_version"]
    assert f"one database moment: snapshot {moment['snapshot']}" in repr(q)
    back = qf.read_snapshot(q.write_snapshot(tmp_path / "snap"))
    assert back.source["moment"] == moment
    assert "one database moment" in repr(back)


def test_a_snapshot_that_cannot_be_exported_is_a_source_error_with_a_hint(
    pg_dsn: str, sample_schema: str
) -> None:
    """PostgreSQL refuses to export from a subtransaction: the error says why and names the way out.

    A pooler or an old standby refuses the same way, for its own reasons.
    """
    from quantum_frames.source._postgres import _plan

    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        conn.execute("SAVEPOINT inside")
        with pytest.raises(qf.SourceError, match="cannot export a snapshot") as info:
            _plan(conn, Dsn.parse(pg_dsn), sample_schema, DEFAULT_TABLES, True, None, 1, 2)
    assert "consistent=False" in str(info.value).split("Hint:")[1]
    assert info.value.__context__ is None
    assert not info.value.retryable


def test_the_snapshot_session_ended_mid_load_is_a_retryable_source_error(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """An administrator ends the session holding the snapshot after the first table.

    The next table cannot import it, and the load fails (never a load mixing two moments).
    """
    seed(pg, schema)
    killed: list[int] = []
    idle = (
        "SELECT pid FROM pg_stat_activity "
        "WHERE application_name = 'quantum_frames' AND state = 'idle in transaction'"
    )
    # sessions of earlier tests may still be closing on a loaded server: only this load's count
    before = [row[0] for row in pg.execute(idle).fetchall()]

    def end_the_exporter(info: Any, frame: pl.DataFrame, seconds: float) -> None:
        del info, frame, seconds
        if not killed:
            row = pg.execute(
                f"SELECT count(pg_terminate_backend(pid)) FROM ({idle}) AS s "
                "WHERE NOT (pid = ANY(%s))",
                (before,),
            ).fetchone()
            killed.append(row[0] if row else 0)

    with pytest.raises(qf.SourceError, match="invalid snapshot identifier") as info:
        fetch_tables(
            Dsn.parse(pg_dsn),
            schema=schema,
            tables=DEFAULT_TABLES,
            connect_timeout=5,
            statement_timeout=None,
            partition_rows=1,
            partition_num=2,
            on_table=end_the_exporter,
        )
    assert killed == [1]
    assert info.value.retryable
    assert "session holding the load's snapshot" in str(info.value)
    hint = str(info.value).split("Hint:")[1]
    assert "hot standby" in hint
    assert "hot_standby_feedback" in hint


def test_a_server_idle_timeout_does_not_end_the_snapshot_session(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """A role whose sessions die after 20 ms idle in a transaction: the load still completes.

    The snapshot session (idle while connectorx reads) turns the timeout off for itself, so the
    load completes.
    """
    seed(pg, schema)
    role = f"{schema}_idle"
    pg.execute(
        f'CREATE ROLE "{role}" LOGIN; '
        f"ALTER ROLE \"{role}\" SET idle_in_transaction_session_timeout = '20ms'; "
        f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"; '
        f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'
    )
    try:
        params = Dsn.parse(pg_dsn).params
        dsn = f"host='{unquote(params['host'])}' user={role} dbname={params['dbname']}"
        slow = {"calls": 0}

        def linger(info: Any, frame: pl.DataFrame, seconds: float) -> None:
            del info, frame, seconds
            slow["calls"] += 1
            time.sleep(0.2)  # the caller works on a table: the snapshot session sits idle

        result = fetch_tables(
            Dsn.parse(dsn),
            schema=schema,
            tables=DEFAULT_TABLES,
            connect_timeout=5,
            statement_timeout=None,
            partition_rows=1,
            partition_num=2,
            on_table=linger,
        )
        assert slow["calls"] == 3
        assert result.frames["strategies"].height == TEAMS * STRATEGIES
    finally:
        pg.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')


def test_a_failing_read_among_tables_read_at_once_fails_the_load_and_leaves_no_session(
    pg: psycopg.Connection, pg_dsn: str, schema: str
) -> None:
    """Small tables are read at once; one failing read is the load's error, naming its table.

    The other reads end before the snapshot session closes, and no session of the load is left.
    """
    seed(pg, schema)
    pg.execute(
        f'CREATE VIEW "{schema}".strategies_boom AS SELECT s.*, '
        "CASE WHEN s.strategy_id = 7 THEN 1 / 0 ELSE 0 END AS boom "
        f'FROM "{schema}".quantum_strategies_v3 s'
    )
    with pytest.raises(qf.SourceError, match="strategies_boom") as info:
        qf.read_postgres(
            pg_dsn,
            schema=schema,
            tables={"strategies": "strategies_boom"},
            partition_rows=10**9,
            progress=False,
        )
    assert "division by zero" in str(info.value)
    left = pg.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'quantum_frames' "
        "AND datname = current_database() AND state <> 'idle'"
    ).fetchone()
    deadline = time.monotonic() + 10
    while left and left[0] and time.monotonic() < deadline:  # a backend may still be exiting
        time.sleep(0.1)
        left = pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'quantum_frames' "
            "AND datname = current_database() AND state <> 'idle'"
        ).fetchone()
    assert left == (0,)
    q = qf.read_postgres(pg_dsn, schema=schema, partition_rows=10**9, progress=False)
    assert q.raw.strategies.height == TEAMS * STRATEGIES  # the same load without the view


def _slow_views(pg: psycopg.Connection, schema: str, slow: str, *, fail: bool = False) -> None:
    """Views over teams and strategies, each with a column kept as text, one of them slow."""
    for name, table in (("teams", "team_quantum_dna_v3"), ("strategies", "quantum_strategies_v3")):
        delay = 0.6 if name == slow else 0.0
        broken = "1 / 0" if fail else "0"
        pg.execute(
            f'CREATE OR REPLACE VIEW "{schema}".{name}_v AS SELECT t.*, '
            # an InitPlan: the delay once per read, not once per row
            f"timestamp 'infinity' + ((SELECT pg_sleep({delay})) IS NULL)::int * interval '0' "
            "AS ts, "
            f'{broken} AS boom FROM "{schema}".{table} t'
        )


def _load_views(pg_dsn: str, schema: str) -> qf.QuantumFrames:
    """A load of the views over teams and strategies, the three tables read at once."""
    views = {"teams": "teams_v", "strategies": "strategies_v"}
    return qf.read_postgres(
        pg_dsn, schema=schema, tables=views, partition_rows=10**9, progress=False
    )


@pytest.mark.parametrize("slow", ["teams", "strategies"])
def test_tables_read_at_once_give_their_notes_in_one_order(
    pg: psycopg.Connection, pg_dsn: str, schema: str, slow: str
) -> None:
    """Whichever read finishes first, the columns kept as text come in one order.

    ``q.source["text_columns"]`` goes into every manifest: one moment, one manifest.
    """
    seed(pg, schema)
    _slow_views(pg, schema, slow)
    with pytest.warns(qf.ColumnKeptAsTextWarning) as caught:
        q = _load_views(pg_dsn, schema)
    notes = q.source["text_columns"]
    assert [n.split(".")[1] for n in notes] == ["teams_v", "strategies_v"], notes
    shown = [str(w.message) for w in caught if issubclass(w.category, qf.ColumnKeptAsTextWarning)]
    assert [m.split(".")[1].split(" ")[0] for m in shown] == ["teams_v", "strategies_v"]


@pytest.mark.parametrize("slow", ["teams", "strategies"])
def test_tables_read_at_once_fail_with_the_first_tables_error(
    pg: psycopg.Connection, pg_dsn: str, schema: str, slow: str
) -> None:
    """Two reads fail: the error names the first table, the other's is a note.

    Whichever read ended first.
    """
    seed(pg, schema)
    _slow_views(pg, schema, slow, fail=True)
    with pytest.raises(qf.SourceError) as info:
        _load_views(pg_dsn, schema)
    assert "teams_v" in str(info.value)
    assert any("strategies_v" in note for note in getattr(info.value, "__notes__", []))
