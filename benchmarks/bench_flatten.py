"""Flatten benchmark: wide JSON (dicts keyed by match id), time and peak memory.

A JSON column whose rows each hold 5 keys drawn from 50,000 distinct ones (a dict keyed by
match id, as real DNA vectors have) — at the root of the object, or under one key beside a
plain one. Before ``max_columns`` such a column became one column per distinct key for every
row (10,000 rows: 8.1 GB and 48 s); now the widest object stays JSON text past
``max_columns`` (1,000) leaf columns.

Each case runs in a fresh process (its peak RSS is its own), ``--repeat`` times; the median
time and the largest peak are printed, with the growth from 10,000 to 20,000 rows
(goal: ≤ 1.5 GB, < 5 s at 10,000 rows; rows × 2 → time × ≤ 2.2). Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import machine_basic, publish

KEYS_PER_ROW = 5
DISTINCT_KEYS = 50_000


def child(rows: int, shape: str) -> None:
    """One case in this process: print seconds, peak RSS and the columns made, as JSON."""
    import random
    import resource
    import time

    import polars as pl

    import quantum_frames as qf

    rng = random.Random(rows)
    docs = []
    for i in range(rows):
        by_match = {
            f"m{rng.randrange(DISTINCT_KEYS)}": round(rng.random(), 3) for _ in range(KEYS_PER_ROW)
        }
        docs.append(json.dumps(by_match if shape == "root" else {"team": i, "by_match": by_match}))
    frame = pl.DataFrame({"j": docs})
    del docs
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    out, report = qf.flatten_with_report(frame, ["j"])
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "seconds": seconds,
        "peak_mb": peak / 1024,
        "before_mb": before / 1024,
        "columns": out.width,
        "text_mb": frame.estimated_size() / 2**20,
        "conflict": [c for c in report["conflict"].to_list() if c],
    }
    print(json.dumps(result))


def run(rows: int, shape: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(rows), shape],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one run per case")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("ROWS", "SHAPE"), help=argparse.SUPPRESS)
    args, _ = parser.parse_known_args()  # make bench passes bench_load's ARGS to every script
    if args.child:
        child(int(args.child[0]), args.child[1])
        return 0
    repeat = 1 if args.quick else args.repeat
    lines = [
        f"### Wide JSON: {KEYS_PER_ROW} keys per row out of {DISTINCT_KEYS:,} distinct, "
        f"median of {repeat}",
        "",
        f"Machine: {machine_basic()}. Each run in a fresh process; peak = its peak RSS (the",
        "generated texts included). Goal at 10,000 rows: ≤ 1.5 GB and < 5 s; rows × 2 → time × "
        "≤ 2.2.",
        "",
        "| shape | rows | text | time | peak RSS | columns | growth (time, rows × 2) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for shape in ("root", "nested"):
        medians: dict[int, float] = {}
        for rows in (10_000, 20_000):
            results = [run(rows, shape) for _ in range(repeat)]
            seconds = statistics.median(float(str(r["seconds"])) for r in results)
            peak = max(float(str(r["peak_mb"])) for r in results)
            medians[rows] = seconds
            growth = f"× {seconds / medians[10_000]:.2f}" if rows == 20_000 else ""
            lines.append(
                f"| {shape} | {rows:,} | {float(str(results[0]['text_mb'])):.1f} MB | "
                f"{seconds:.2f} s | {peak:,.0f} MB | {results[0]['columns']} | {growth} |"
            )
    lines += [
        "",
        '`root`: `{"m123": 0.5, …}`; `nested`: `{"team": 1, "by_match": {…}}`. The wide',
        'object stays JSON text, reported with its key count ("an object of N keys, more than',
        'max_columns leaf columns allow").',
    ]
    publish("\n".join(lines), "bench-flatten-wide", write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
