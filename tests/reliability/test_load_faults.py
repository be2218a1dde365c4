"""Faults during a load: each ends in bounded time with a SourceError and no QuantumFrames."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

import quantum_frames as qf
from tests._helpers.network import delayed_proxy, silent_listener


def _load_while_killing(pg_dsn: str, schema: str) -> tuple[int, dict[str, object], float]:
    """Load ``schema`` on a thread while a second connection terminates its active backends.

    Return (backends killed, the load's result or error, seconds taken).
    """
    result: dict[str, object] = {}

    def load() -> None:
        try:
            result["q"] = qf.read_postgres(pg_dsn, schema=schema, progress=False)
        except BaseException as exc:
            result["error"] = exc

    killed = 0
    with psycopg.connect(pg_dsn, autocommit=True) as killer:  # connected before the load starts
        thread = threading.Thread(target=load)
        started = time.monotonic()
        thread.start()
        while thread.is_alive() and not killed and time.monotonic() - started < 30:
            row = killer.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'quantum_frames' AND state = 'active' "
                "AND pid <> pg_backend_pid()"
            ).fetchone()
            killed = row[0] if row else 0
            time.sleep(0.002)
    thread.join(60)
    assert not thread.is_alive(), "the load hung after its backend was killed"
    return killed, result, time.monotonic() - started


def test_backend_killed_mid_load(pg_dsn: str, scale50: str) -> None:
    """pg_terminate_backend from a second connection while a scale-50 load reads.

    On a fast machine a load can end between two polls: the scenario is run again (at most 5
    times).
    """
    for _ in range(5):
        killed, result, elapsed = _load_while_killing(pg_dsn, scale50)
        if killed:
            break
        assert "q" in result, f"a load nobody killed failed: {result.get('error')!r}"
    assert killed, "every load finished before a backend could be killed (make the data bigger)"
    assert "q" not in result, "a load whose backend was killed must not return frames"
    error = result["error"]
    assert isinstance(error, qf.SourceError), repr(error)
    assert "terminat" in str(error).lower() or "connection" in str(error).lower()
    assert elapsed < 60


def test_refused_connection_fails_fast(unused_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(qf.SourceError, match=f"127.0.0.1:{unused_port}"):
        qf.read_postgres(f"postgresql://analyst@127.0.0.1:{unused_port}/prod", connect_timeout=2)
    assert time.monotonic() - started < 10


def test_silent_server_times_out() -> None:
    with silent_listener() as port:
        started = time.monotonic()
        with pytest.raises(qf.SourceError, match=r"127\.0\.0\.1") as info:
            qf.read_postgres(f"postgresql://analyst@127.0.0.1:{port}/prod", connect_timeout=2)
        elapsed = time.monotonic() - started
    assert elapsed < 15, f"took {elapsed:.1f}s"
    assert "timeout" in str(info.value).lower() or "timed out" in str(info.value).lower()


def test_retries_succeed_once_the_server_is_back(pg_dsn: str, sample_schema: str) -> None:
    with delayed_proxy(pg_dsn, delay=1.5) as port:
        dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        with pytest.raises(qf.SourceError):
            qf.read_postgres(dsn, schema=sample_schema, connect_timeout=2)  # refused: no retry
        q = qf.read_postgres(dsn, schema=sample_schema, connect_timeout=2, retries=4)
    assert q.teams.height == 96


def test_statement_timeout_bounds_a_slow_read(pg_dsn: str, scale50: str) -> None:
    started = time.monotonic()
    with pytest.raises(qf.SourceError, match="statement timeout") as info:
        qf.read_postgres(pg_dsn, schema=scale50, statement_timeout=0.001, partition_num=1)
    assert time.monotonic() - started < 60
    assert "Raise statement_timeout" in str(info.value)


def test_a_timeout_in_one_partition_names_the_timeout_in_its_hint(
    pg_dsn: str, scale50: str
) -> None:
    """With partitions, whichever error connectorx reports, the hint names statement_timeout.

    The error may be the timed-out partition's, or a sibling's cancelled 'due to user request'.
    """
    with pytest.raises(qf.SourceError, match="canceling statement") as info:
        qf.read_postgres(pg_dsn, schema=scale50, statement_timeout=0.001, partition_rows=1)
    assert "statement_timeout" in str(info.value).split("Hint:")[1]
