"""A hot standby exports snapshots too (PostgreSQL ≥ 10): a load from one is one moment."""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

import psycopg
import pytest

import quantum_frames as qf
from quantum_frames.source._dsn import Dsn
from tests._helpers.pg import private_dir

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def standby_dsn(
    pg_dsn: str,
    sample_schema: str,  # noqa: ARG001 (requested so the sample is in the base backup)
) -> Iterator[str]:
    """A streaming hot standby of the test server (pg_basebackup -R), started from pgserver."""
    if os.environ.get("QF_TEST_DSN"):  # pragma: no cover - an external server: no base backup
        pytest.skip("a hot standby is built from the throwaway test server only")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    bin_dir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    socket_dir = unquote(Dsn.parse(pg_dsn).params["host"])
    with private_dir("qf-test-standby-") as home:
        data = home / "pgdata"
        subprocess.run(
            [str(bin_dir / "pg_basebackup"), "-h", socket_dir, "-U", "postgres", "-D", str(data),
             "-R", "-X", "stream", "-c", "fast", "--no-manifest"],
            check=True, capture_output=True,
        )  # fmt: skip
        for leftover in [*data.glob(".s.PGSQL*"), data / "log", data / "postmaster.pid"]:
            leftover.unlink(missing_ok=True)  # the primary's socket lock and log came along
        with (data / "postgresql.auto.conf").open("a") as conf:  # -R wrote primary_conninfo there
            # Under load, replaying the primary's vacuum would cancel the session exporting the
            # load's snapshot ("conflict with recovery", then "invalid snapshot identifier"):
            # the standby tells the primary what it still reads, and waits rather than cancels.
            conf.write("hot_standby_feedback = on\nmax_standby_streaming_delay = -1\n")
        if os.geteuid() == 0:  # pgserver runs the server as its own system user
            for path in [data, *data.rglob("*")]:
                shutil.chown(path, "pgserver", "pgserver")
        data.chmod(0o700)
        server = pgserver.get_server(data, cleanup_mode="stop")
        try:
            host = server.get_uri().split("host=")[-1]
            dsn = f"postgresql://postgres@{quote(host, safe='')}/postgres"
            with psycopg.connect(dsn) as conn:  # the settings took: the load cannot be cancelled
                for setting, value in (("hot_standby_feedback", "on"),
                                       ("max_standby_streaming_delay", "-1")):  # fmt: skip
                    shown = conn.execute(f"SHOW {setting}").fetchone()
                    assert shown == (value,), setting
            yield dsn
        finally:
            server.cleanup()


def test_a_load_from_a_hot_standby_is_one_moment(
    standby_dsn: str, pg_dsn: str, sample_schema: str
) -> None:
    q = qf.read_postgres(standby_dsn, schema=sample_schema, partition_rows=1, progress=False)
    moment = q.source["moment"]
    assert moment["standby"] is True
    assert moment["consistent"] is True
    assert "(hot standby)" in repr(q)
    primary = qf.read_postgres(pg_dsn, schema=sample_schema, progress=False)
    for name, frame in primary.tables():
        assert getattr(q, name).equals(frame), name
