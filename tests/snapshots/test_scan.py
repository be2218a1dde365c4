"""scan_snapshot checks the Parquet footers against the manifest before handing out frames."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest

import quantum_frames as qf
from quantum_frames.snapshots.manifest import manifest_digest, sha256_of

if TYPE_CHECKING:
    from collections.abc import Callable


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return qf.sample().write_snapshot(tmp_path_factory.mktemp("orig") / "snap")


def replace_teams(snap: Path, frame: pl.DataFrame) -> None:
    """Put another teams.parquet in place, size and hash updated in the manifest.

    A crafted or a hand-patched snapshot: everything but the content agrees.
    """
    path = snap / "teams.parquet"
    frame.write_parquet(path)
    data = json.loads((snap / "manifest.json").read_text())
    entry = data["tables"]["teams"]["flat"]["files"][0]
    entry |= {"bytes": path.stat().st_size, "sha256": sha256_of(path)}
    data["manifest_sha256"] = manifest_digest(data)
    (snap / "manifest.json").write_text(json.dumps(data))


CASES: dict[str, tuple[Callable[[pl.DataFrame], pl.DataFrame], str]] = {
    "fewer rows": (
        lambda t: t.head(10),
        r"teams table \(teams.parquet\) has 10 rows, the manifest says 96",
    ),
    "extra column": (
        lambda t: t.with_columns(extra=pl.lit(1)),
        r"teams.parquet .*column\(s\) extra not in the manifest",
    ),
    "missing column": (lambda t: t.drop("tier"), r"teams.parquet .*column\(s\) tier missing"),
    "other dtype": (
        lambda t: t.with_columns(pl.col("tier_rank").cast(pl.String)),
        r"column tier_rank is String, the manifest says Int32",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_scan_snapshot_refuses_files_that_disagree_with_the_manifest(
    tmp_path: Path, original: Path, case: str
) -> None:
    change, message = CASES[case]
    snap = Path(shutil.copytree(original, tmp_path / "snap"))
    replace_teams(snap, change(qf.read_snapshot(original).teams))
    with pytest.raises(qf.SnapshotError, match=message):
        qf.scan_snapshot(snap)
    with pytest.raises(qf.SnapshotError, match="teams"):  # the eager read says so too
        qf.read_snapshot(snap)


def test_scan_snapshot_of_a_damaged_footer_is_a_snapshot_error(
    tmp_path: Path, original: Path
) -> None:
    snap = Path(shutil.copytree(original, tmp_path / "snap"))
    data = bytearray((snap / "raw" / "friction.parquet").read_bytes())
    data[-12:-8] = b"\xff\xff\xff\x7f"  # the footer length
    (snap / "raw" / "friction.parquet").write_bytes(bytes(data))
    with pytest.raises(qf.SnapshotError, match=r"cannot read the footer of raw/friction\.parquet"):
        qf.scan_snapshot(snap)


def test_lazy_snapshot_has_a_short_repr(original: Path) -> None:
    text = repr(qf.scan_snapshot(original))
    assert text.startswith(f"LazySnapshot({original}, as of ")
    assert "teams 96 × " in text
    assert "friction 1,752 × " in text
    assert len(text) < 250
    assert "sha256" not in text
