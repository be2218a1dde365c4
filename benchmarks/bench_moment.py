"""What one database moment per load costs (issue 13), measured side by side in one run.

Each round, interleaved: (a) the COPY floor of the three tables through psql; (b) a load by
a reference version of the package (``--reference DIR``, a directory holding an older
``quantum_frames`` package, e.g. ``git archive a430efc quantum_frames | tar -x -C DIR``); (c) a
load by this checkout; (d) this checkout with ``consistent=False``. Each loader runs warm in a
process of its own (so two versions of the package never meet). Medians of ``--repeat``
rounds and the per-round ratio (c) / (b) are printed: on a shared machine only ratios from one
run compare.

Usage: python benchmarks/bench_moment.py --reference DIR [--scale 50] [--repeat 9] [--dsn DSN]
Without --dsn a throwaway PostgreSQL is started from the pgserver wheel and seeded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_load import TABLES, ensure_seeded, psql_env, server  # noqa: E402

_WORKER = r"""
import sys, time, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
import quantum_frames as qf
assert qf.__file__.startswith(sys.argv[1]), qf.__file__
dsn, schema = sys.argv[2], sys.argv[3]
print("ready", flush=True)
for line in sys.stdin:
    options = {} if line.strip() == "default" else {"consistent": False}
    started = time.perf_counter()
    qf.read_postgres(dsn, schema=schema, progress=False, **options)
    print(time.perf_counter() - started, flush=True)
"""


class Loader:
    """A warm process loading with the package found under ``root``."""

    def __init__(self, root: Path, dsn: str, schema: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(root), dsn, schema],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        assert self.proc.stdout.readline().strip() == "ready"

    def load(self, mode: str = "default") -> float:
        """Seconds one ``read_postgres`` took (``mode``: ``default`` or ``inconsistent``)."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(mode + "\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        """End the process (its stdin closed, it exits)."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.close()
        self.proc.wait(30)
        self.proc.stdout.close()


def copy_floor(dsn: str, psql: str, schema: str) -> float:
    """Seconds psql takes to COPY the three tables out in binary, to /dev/null."""
    env = psql_env(dsn)
    started = time.perf_counter()
    for table in TABLES:
        sql = f'COPY "{schema}".{table} TO STDOUT (FORMAT binary)'
        subprocess.run(
            [psql, "-X", "-q", "-c", sql], env=env, stdout=subprocess.DEVNULL, check=True
        )
    return time.perf_counter() - started


def main() -> int:
    """Run the rounds and print the medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--dsn", default=os.environ.get("QF_BENCH_DSN"))
    args = parser.parse_args()
    with server(args.dsn) as (dsn, psql):
        schema = f"qf_bench_s{args.scale}"
        ensure_seeded(dsn, schema, args.scale)
        old, new = Loader(args.reference, dsn, schema), Loader(ROOT, dsn, schema)
        old.load(), new.load(), new.load("inconsistent")  # warm-up
        kinds = ("floor", "reference", "this", "this, consistent=False")
        times: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.repeat):
            times["floor"].append(copy_floor(dsn, psql, schema))
            times["reference"].append(old.load())
            times["this"].append(new.load())
            times["this, consistent=False"].append(new.load("inconsistent"))
        old.close()
        new.close()
    floor = statistics.median(times["floor"])
    print(f"scale {args.scale}, {args.repeat} interleaved rounds")
    for name, runs in times.items():
        shown = " ".join(f"{t:.2f}" for t in runs)
        med = statistics.median(runs)
        print(f"{name:24s} median {med:.3f} s  × floor {med / floor:.2f}   runs {shown}")
    ratios = [a / b for a, b in zip(times["this"], times["reference"], strict=True)]
    shown = " ".join(f"{r:.2f}" for r in ratios)
    print(f"this / reference per round: median {statistics.median(ratios):.3f}  ({shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
