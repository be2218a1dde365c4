"""Build the bundled sample snapshot (``make sample``): SYNTHETIC data, deterministic.

The snapshot is made from :func:`quantum_frames.synthetic.generator.generate` (scale 1, seed 42)
with no database: fixed id and dates, so that building it again gives the same frames.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from quantum_frames.readers import build_frames
from quantum_frames.snapshots.writer import write_snapshot
from quantum_frames.synthetic.generator import (
    SEED,
    SYNTHETIC_LABEL,
    TEAM_JSON_COLUMNS,
    generate,
)

__all__ = ["SAMPLE_AS_OF", "build_sample"]

SAMPLE_DIR = Path(__file__).resolve().parent / "snapshot"
SAMPLE_AS_OF = datetime(2025, 11, 15, 6, 0, tzinfo=UTC)
JSON_COLUMNS = {
    "teams": list(TEAM_JSON_COLUMNS),
    "friction": ["friction_vector", "style_matchup", "market_edges"],
    "strategies": ["context_filters", "parameters", "performance_by_context"],
}


def build_sample(path: Path = SAMPLE_DIR) -> Path:
    """Write the sample snapshot to ``path`` (replacing it)."""
    source = {
        "kind": "synthetic",
        "label": SYNTHETIC_LABEL,
        "generator": "quantum_frames.synthetic.generator",
        "scale": 1,
        "seed": SEED,
    }
    q = build_frames(
        generate(1, seed=SEED), json_columns=JSON_COLUMNS, source=source, loaded_at=SAMPLE_AS_OF
    )
    return write_snapshot(
        q,
        path,
        as_of=SAMPLE_AS_OF,
        overwrite=True,
        snapshot_id="sample-scale1-seed42",
        created_at=SAMPLE_AS_OF,
    )


if __name__ == "__main__":
    print(build_sample(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE_DIR))
