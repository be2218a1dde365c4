"""Where a warm scale-1 load's wall time goes: a timeline of its stages (issue 18).

Each warm load prints when the catalog session ended and when each table's read and
flatten ran (ms from the call), against Polars' three ``read_database_uri`` in the same run:

  total 56.5 ms: read friction 7-27; read teams 7-25; read strategies 8-27; flatten 60 25-56; …

``flatten N``: the table of N source columns (teams 60, friction 32, strategies 29 at scale 1).

Usage: python benchmarks/profile_small.py [--loads 5] [--dsn DSN]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import ensure_seeded, server

import quantum_frames as qf
import quantum_frames.readers as readers
import quantum_frames.source._postgres as postgres
from quantum_frames.source import DEFAULT_TABLES
from quantum_frames.source._dsn import Dsn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--dsn", default=os.environ.get("QF_BENCH_DSN"))
    args = parser.parse_args()
    marks: list[tuple[float, float, str]] = []
    read_table, flatten = postgres._read_table, readers.flatten_with_report

    def timed_read(uri: Any, info: Any, *rest: Any) -> Any:
        t = time.perf_counter()
        out = read_table(uri, info, *rest)
        marks.append((t, time.perf_counter(), f"read {info.logical}"))
        return out

    def timed_flatten(frame: pl.DataFrame, *rest: Any, **options: Any) -> Any:
        t = time.perf_counter()
        out = flatten(frame, *rest, **options)
        marks.append((t, time.perf_counter(), f"flatten {frame.width}"))
        return out

    postgres._read_table = timed_read  # type: ignore[assignment]
    readers.flatten_with_report = timed_flatten  # type: ignore[assignment]
    with server(args.dsn) as (dsn, _psql):
        schema = "qf_bench_s1"
        ensure_seeded(dsn, schema, 1)
        uri = Dsn.parse(dsn).connectorx_uri()

        def polars_load() -> None:
            for t in DEFAULT_TABLES.values():
                pl.read_database_uri(f'SELECT * FROM "{schema}".{t}', uri)

        for _ in range(3):  # warm: imports, caches, the server's
            qf.read_postgres(dsn, schema=schema, progress=False)
            polars_load()
        polars_s = []
        for _ in range(args.loads):
            t0 = time.perf_counter()
            polars_load()
            polars_s.append(time.perf_counter() - t0)
            marks.clear()
            t0 = time.perf_counter()
            q = qf.read_postgres(dsn, schema=schema, progress=False)
            total = time.perf_counter() - t0
            stages = "; ".join(
                f"{name} {(a - t0) * 1e3:.0f}-{(b - t0) * 1e3:.0f}" for a, b, name in sorted(marks)
            )
            print(
                f"total {total * 1e3:.1f} ms: catalog 0-{q.timings['catalog'] * 1e3:.0f}; {stages}"
            )
        print(f"Polars' three reads: median {statistics.median(polars_s) * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
