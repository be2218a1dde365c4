"""The wheel carries what the API promises without a checkout.

That is the sample season and the team aliases (``qf.sample()`` itself is tested in
tests/snapshots).
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def unpacked_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(__file__).resolve().parent.parent
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(root)],
        check=True,
        timeout=300,
    )  # fmt: skip
    wheel = next(out.glob("quantum_frames-*.whl"))
    site = out / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        assert "quantum_frames/data/aliases.csv" in names
        assert "quantum_frames/synthetic/season/fixtures.parquet" in names
        zf.extractall(site)
    return site


def test_sample_season_and_aliases_work_from_an_unpacked_wheel(unpacked_wheel: Path) -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import quantum_frames as qf; "
        "assert qf.__file__.startswith(sys.argv[1]), qf.__file__; "
        "folder, fixtures = qf.sample_season(); "
        "assert str(folder).startswith(sys.argv[1]), folder; "
        "enriched = qf.point_in_time(fixtures.head(50), folder); "
        "print(enriched.height, qf.sample().team('Spurs')['team_name'])"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code, str(unpacked_wheel)],
        capture_output=True,
        text=True,
        cwd=unpacked_wheel.parent,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "50 Tottenham Hotspur"
