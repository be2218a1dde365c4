"""The notebooks run top to bottom against the bundled sample, and every chart renders."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
PNG = b"\x89PNG\r\n\x1a\n"


def test_there_are_three_notebooks() -> None:
    assert [p.name for p in NOTEBOOKS] == [
        "01_team_dna.ipynb",
        "02_friction_and_strategies.ipynb",
        "03_snapshots_and_backtest.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_charts_render(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QF_FIGURES", str(tmp_path))
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors
    saved = sorted(tmp_path.glob("*.png"))
    expected = sum(
        cell.source.count("show(")
        for cell in nb.cells
        if cell.cell_type == "code" and "def show" not in cell.source
    )
    assert len(saved) == expected > 0
    for png in saved:
        data = png.read_bytes()
        assert data.startswith(PNG), png.name
        assert len(data) > 10_000, png.name  # a real picture, not an empty canvas


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_stay_small(path: Path) -> None:
    assert path.stat().st_size < 200_000, (
        "a chart embeds too much data: select only the columns it draws"
    )
