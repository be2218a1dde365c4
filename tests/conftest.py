"""Shared fixtures: a real PostgreSQL for every test that needs one.

The server is the one named by ``QF_TEST_DSN`` when set, otherwise a throwaway server started
from the ``pgserver`` wheel for this test session. When neither can be had the run fails with a
message saying how to provide one; it never skips silently.
"""

from __future__ import annotations

import os
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import psycopg
import pytest

from quantum_frames.synthetic.generator import generate
from quantum_frames.synthetic.seed import seed_postgres
from tests._helpers.pg import private_dir

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A DSN of a PostgreSQL the tests may create schemas in."""
    dsn = os.environ.get("QF_TEST_DSN")
    if dsn:
        yield dsn
        return
    with private_dir("qf-test-pg-") as home:
        try:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                import pgserver

                server = pgserver.get_server(home / "pgdata", cleanup_mode="stop")
        except Exception as exc:  # pragma: no cover - only when no server can be had
            pytest.fail(
                "the tests need a real PostgreSQL and none could be started "
                f"({type(exc).__name__}: {exc}). Set QF_TEST_DSN=postgresql://user@host:port/db "
                "to a database the tests may create schemas in, or `pip install pgserver`.",
                pytrace=False,
            )
        try:
            socket_dir = server.get_uri().split("host=")[-1]
            yield f"postgresql://postgres@{quote(socket_dir, safe='')}/postgres"
        finally:
            server.cleanup()


@pytest.fixture
def pg(pg_dsn: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test server, for setting up and inspecting."""
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture
def schema(pg: psycopg.Connection) -> Iterator[str]:
    """A fresh, empty schema, dropped afterwards."""
    name = f"qf_test_{uuid.uuid4().hex[:10]}"
    pg.execute(f'CREATE SCHEMA "{name}"')
    yield name
    pg.execute(f'DROP SCHEMA "{name}" CASCADE')


@pytest.fixture(scope="session")
def sample_schema(pg_dsn: str) -> str:
    """A schema holding the synthetic sample (scale 1), seeded once per session."""
    name = "qf_sample"
    seed_postgres(pg_dsn, generate(1), schema=name, replace=True)
    return name


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def unused_port() -> int:
    """A loopback TCP port nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def disk_full_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """``disk_full_at(n)``: the n-th Parquet file written from now on fails with ENOSPC.

    That file may be written by Polars' writer or Arrow's.
    """
    import threading

    import polars as pl
    import pyarrow.parquet as pq

    def arm(n: int) -> None:
        calls = {"n": 0}
        lock = threading.Lock()  # the snapshot writer writes two files at once

        def failing(real: Callable[..., None]) -> Callable[..., None]:
            def write(*args: Any, **kwargs: Any) -> None:
                with lock:
                    calls["n"] += 1
                    hit = calls["n"] == n
                if hit:
                    raise OSError(28, "No space left on device")
                real(*args, **kwargs)

            return write

        monkeypatch.setattr(pl.DataFrame, "write_parquet", failing(pl.DataFrame.write_parquet))
        monkeypatch.setattr(pq, "write_table", failing(pq.write_table))

    return arm
