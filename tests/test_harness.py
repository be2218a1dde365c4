"""The test harness itself: the throwaway PostgreSQL survives other pytest sessions."""

from __future__ import annotations

import getpass
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import psycopg


def test_the_throwaway_server_keeps_its_data_outside_pytests_temp_dirs(
    pg: psycopg.Connection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The test server's data directory must survive other pytest sessions.

    Other pytest sessions running at the same time prune the ``pytest-N`` directories: a data
    directory there vanished mid-run. The server's own ``mkdtemp`` directory is safe.
    """
    if os.environ.get("QF_TEST_DSN"):  # pragma: no cover - an external server
        pytest.skip("QF_TEST_DSN names an external server; its data directory is its own")
    row = pg.execute("SHOW data_directory").fetchone()
    assert row is not None
    data = Path(row[0]).resolve()
    pytests = [
        tmp_path_factory.getbasetemp().resolve(),
        (Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}").resolve(),
    ]
    assert not any(data.is_relative_to(p) for p in pytests), data
    assert data.name == "pgdata"
    assert data.parent.name.startswith("qf-test-pg-")
