"""Fixtures for fault tests: a scale-50 schema (misbehaving servers: tests._helpers.network)."""

from __future__ import annotations

import pytest

from quantum_frames.synthetic.generator import generate
from quantum_frames.synthetic.seed import seed_postgres


@pytest.fixture(scope="session")
def scale50(pg_dsn: str) -> str:
    """A schema holding the synthetic data at scale 50 (4,800 teams, 87,600 friction pairs)."""
    seed_postgres(pg_dsn, generate(50), schema="qf_scale50", replace=True)
    return "qf_scale50"
