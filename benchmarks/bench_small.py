"""Small-scale benchmark: the size users actually have (scale 1: 96 teams, 1,752 friction rows).

Fixed costs dominate at this size, so each goal is a ratio against the plainest way to get
the same data, measured side by side (interleaved) in one run, medians of ``--repeat``:

  warm   ``qf.read_postgres`` vs Polars ``read_database_uri`` of the three tables, both in this
         process after a warm-up (a Jupyter re-run);
  cold   the same two in a fresh process each (``python -c "import …; …"``), and
         ``import quantum_frames`` vs ``import polars``;
  ops    ``q.sql("select 1")``, ``q.friction(a, b)``, ``q.best_strategy(team, ctx)``,
         ``qf.read_snapshot`` of the bundled sample, all warm;
  CLI    ``quantum-frames friction Liverpool Everton`` on the bundled sample vs
         ``python -c "import polars"`` + reading the sample's Parquet with Polars.

The fresh processes run with quantum_frames' modules compiled to bytecode first, as an
installed wheel has them (pip compiles at install; polars' are), not recompiled per process.

Usage: python benchmarks/bench_small.py [--repeat 7] [--quick] [--no-write] [--dsn DSN]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from typing import TYPE_CHECKING

from bench_load import ensure_seeded, machine, publish, server

import quantum_frames as qf
from quantum_frames.source import DEFAULT_TABLES
from quantum_frames.source._dsn import Dsn

if TYPE_CHECKING:
    from collections.abc import Callable

TABLES = list(DEFAULT_TABLES.values())


def timed(run: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    run()
    return time.perf_counter() - t0


def interleave(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds per case, the cases run in turn ``repeat`` times."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            times[name].append(timed(run))
    return {name: statistics.median(v) for name, v in times.items()}


def fresh(code: str, *args: str) -> Callable[[], object]:
    """A case running ``code`` in a fresh interpreter."""
    cmd = [sys.executable, "-c", code, *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return lambda: subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)


POLARS_LOAD = (
    "import sys, polars as pl\n"
    "for t in sys.argv[3:]:\n"
    "    pl.read_database_uri(f'SELECT * FROM \"{sys.argv[2]}\".{t}', sys.argv[1])\n"
)
QF_LOAD = (
    "import sys, quantum_frames as qf\n"
    "qf.read_postgres(sys.argv[1], schema=sys.argv[2], progress=False)\n"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 repetitions")
    parser.add_argument("--dsn", default=os.environ.get("QF_BENCH_DSN"))
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args, _ = parser.parse_known_args()  # make bench passes bench_load's ARGS too
    repeat = 3 if args.quick else args.repeat
    # As installed: pip compiles a wheel's modules at install time (polars' are), but an
    # editable install under PYTHONDONTWRITEBYTECODE=1 (set on these machines) would recompile
    # every quantum_frames module in every fresh process (~40 ms of an import, not of the code).
    compileall.compile_dir(Path(qf.__file__).parent, quiet=1)
    with server(args.dsn) as (dsn, _psql):
        where = machine(dsn)
        schema = "qf_bench_s1"
        ensure_seeded(dsn, schema, 1)
        uri = Dsn.parse(dsn).connectorx_uri()

        def polars_load() -> None:
            for t in TABLES:
                pl.read_database_uri(f'SELECT * FROM "{schema}".{t}', uri)

        def qf_load() -> None:
            qf.read_postgres(dsn, schema=schema, progress=False)

        polars_load(), qf_load()  # warm-up: imports, caches, connections
        warm = interleave({"polars": polars_load, "qf": qf_load}, repeat)
        cold = interleave(
            {
                "polars": fresh(POLARS_LOAD, uri, schema, *TABLES),
                "qf": fresh(QF_LOAD, dsn, schema),
                "import polars": fresh("import polars"),
                "import quantum_frames": fresh("import quantum_frames"),
            },
            repeat,
        )
        q = qf.read_postgres(dsn, schema=schema, progress=False)
        sample = qf.sample_path()
        context = {"venue": "home", "opponent_tier": "ELITE"}
        q.sql("select 1"), q.friction("Liverpool", "Everton"), qf.read_snapshot(sample)
        n = 50  # the operations take about a millisecond: time 50 calls, report one
        ops = interleave(
            {
                "q.sql('select 1')": lambda: [q.sql("select 1") for _ in range(n)],
                "q.friction(a, b)": lambda: [q.friction("Liverpool", "Everton") for _ in range(n)],
                "q.best_strategy(team, ctx)": lambda: [
                    q.best_strategy("Liverpool", context) for _ in range(n)
                ],
                "qf.read_snapshot(sample)": lambda: [qf.read_snapshot(sample) for _ in range(n)],
            },
            repeat,
        )
        ops = {k: v / n for k, v in ops.items()}
        parquet = sorted(str(p) for p in sample.glob("*.parquet"))
        cli = interleave(
            {
                "quantum-frames friction": fresh(
                    "import sys; from quantum_frames.cli import main; "
                    "sys.exit(main(['friction', 'Liverpool', 'Everton']))"
                ),
                "python -c 'import polars' + read the sample": fresh(
                    "import sys, polars as pl\nfor p in sys.argv[1:]: pl.read_parquet(p)\n",
                    *parquet,
                ),
            },
            repeat,
        )

    def row(goal: str, ours: float, base: float, limit: float) -> str:
        ratio = ours / base
        verdict = "met" if ratio <= limit else "**missed**"
        cells = (
            goal,
            f"{ours * 1e3:.1f}",
            f"{base * 1e3:.1f}",
            f"{ratio:.2f} × (≤ {limit})",
            verdict,
        )
        return "| " + " | ".join(cells) + " |"

    def absolute(goal: str, ours: float, limit_ms: float) -> str:
        verdict = "met" if ours * 1e3 <= limit_ms else "**missed**"
        return f"| {goal} | {ours * 1e3:.2f} | – | ≤ {limit_ms} ms | {verdict} |"

    lines = [
        f"### Scale 1 (96 teams): fixed costs, median of {repeat} interleaved runs",
        "",
        f"Machine: {where}.",
        "",
        "| goal | ours ms | baseline ms | ratio (goal) | |",
        "|---|---:|---:|---:|---|",
        row(
            "warm load: read_postgres vs Polars read_database_uri", warm["qf"], warm["polars"], 1.3
        ),
        row("cold load (fresh process)", cold["qf"], cold["polars"], 1.3),
        row(
            "import quantum_frames vs import polars",
            cold["import quantum_frames"],
            cold["import polars"],
            1.2,
        ),
        absolute("q.sql('select 1') warm", ops["q.sql('select 1')"], 5),
        absolute("q.friction(a, b) warm", ops["q.friction(a, b)"], 1),
        absolute("q.best_strategy(team, ctx) warm", ops["q.best_strategy(team, ctx)"], 1),
        absolute("qf.read_snapshot(sample) warm", ops["qf.read_snapshot(sample)"], 10),
        row(
            "CLI friction on the sample vs import polars + read its Parquet",
            cli["quantum-frames friction"],
            cli["python -c 'import polars' + read the sample"],
            1.2,
        ),
    ]
    publish("\n".join(lines), "bench-small", write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
