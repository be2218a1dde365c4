"""Fixtures for the operations: the bundled sample and the same data through PostgreSQL.

Small hand-made frames for edge cases are in ``tests._helpers.frames.tiny``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import quantum_frames as qf

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames


@pytest.fixture(scope="session")
def sample() -> QuantumFrames:
    return qf.sample()


@pytest.fixture(scope="session")
def from_postgres(pg_dsn: str, sample_schema: str) -> QuantumFrames:
    return qf.read_postgres(pg_dsn, schema=sample_schema)


@pytest.fixture(params=["sample", "postgres"])
def q(request: pytest.FixtureRequest) -> QuantumFrames:
    """Every operation runs on the bundled sample and on the same data loaded from PostgreSQL."""
    name = "sample" if request.param == "sample" else "from_postgres"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]
