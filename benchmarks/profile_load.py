"""Profile of read_postgres: the CPU budget of a load, and a py-spy profile by stage.

The CPU budget (getrusage for the client, /proc for the PostgreSQL processes when the server
runs on this machine) tells what two shared cores can do at best: the client's CPU plus the
server's, over the cores, is a lower bound on the wall time of a load.

For the profile, a child process loads the synthetic tables once (imports, caches), then
``--loads`` more times while ``py-spy record --native`` samples every Python thread (Python
and native frames; idle threads left out; native pools such as Polars' are seen only through
the Python line waiting for them). The samples are summed by stage — the first rule
matching a stack wins — and printed as a table, which also goes to BENCHMARKS.md.

Usage: python benchmarks/profile_load.py [--scale 50] [--loads 5] [--dsn DSN] [--raw FILE]
Without --dsn (or env QF_BENCH_DSN) a throwaway PostgreSQL is started from the pgserver wheel.
py-spy needs ptrace rights over its child (root, or kernel.yama.ptrace_scope = 0).
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_load import case_copy_floor, ensure_seeded, publish, server

BUDGET = """
import inspect, os, resource, statistics, sys, time
import quantum_frames as qf
from quantum_frames.source._dsn import Dsn
from quantum_frames.flattening import flatten_with_report
from quantum_frames.source import DEFAULT_TABLES, fetch_tables
dsn, schema, loads = sys.argv[1], sys.argv[2], int(sys.argv[3])

def client():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def server():  # every postgres process on this machine (the benchmark's own server)
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            comm = open(f"/proc/{pid}/comm").read().strip()
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if comm.startswith("postgres"):
            total += sum(int(x) for x in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")

def measure(run):
    rows = []
    for _ in range(loads):
        c, s, t = client(), server(), time.perf_counter()
        run()
        rows.append((time.perf_counter() - t, client() - c, server() - s))
    return [statistics.median(col) for col in zip(*rows)]

defaults = {k: v.default for k, v in inspect.signature(qf.read_postgres).parameters.items()}
options = dict(
    schema=schema,
    tables=dict(DEFAULT_TABLES),
    connect_timeout=defaults["connect_timeout"],
    statement_timeout=defaults["statement_timeout"],
    partition_rows=defaults["partition_rows"],
    partition_num=defaults["partition_num"] or os.cpu_count() or 2,  # as read_postgres does
)
qf.read_postgres(dsn, schema=schema, progress=False)  # warm-up
fetched = fetch_tables(Dsn.parse(dsn), **options)
out = {
    "fetch only": measure(lambda: fetch_tables(Dsn.parse(dsn), **options)),
    "flatten only": measure(
        lambda: [
            flatten_with_report(f, fetched.tables[n].json_columns, valid_json=True)
            for n, f in fetched.frames.items()
        ]
    ),
    "read_postgres": measure(lambda: qf.read_postgres(dsn, schema=schema, progress=False)),
}
for name, (wall, c, s) in out.items():
    print(name, wall, c, s)
"""

CHILD = """
import os, sys, time
import quantum_frames as qf
dsn, schema, loads = sys.argv[1], sys.argv[2], int(sys.argv[3])
qf.read_postgres(dsn, schema=schema, progress=False)  # warm-up: imports, first connections
print("ready", flush=True)
time.sleep(1.0)  # let py-spy attach
t = time.perf_counter()
for _ in range(loads):
    qf.read_postgres(dsn, schema=schema, progress=False)
print(f"{(time.perf_counter() - t) / loads:.3f}", flush=True)
os._exit(0)  # no interpreter teardown in the profile
"""

#: (stage, substrings of a stack); the first stage with a matching substring takes the sample.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("fetch: connectorx (binary COPY → Arrow → Polars)", ("read_sql (connectorx",)),
    ("fetch: catalog (psycopg)", ("_catalog (quantum_frames/source/_postgres.py",)),
    ("fetch: typing back, partition order", ("fetch_tables (quantum_frames/source/_postgres.py",)),
    ("flatten: Arrow JSON reader (parse + infer)", ("_read (quantum_frames/flattening/_arrow.py",)),
    (
        "flatten: fast-path checks, buffers, to Polars",
        ("decode_objects (quantum_frames/flattening/_arrow",),
    ),
    ("flatten: DuckDB path (columns with conflicts)", ("_decode_with_duckdb",)),
    ("flatten: sizes, leaves, report", ("flatten_with_report",)),
    ("assembly: team names, frames", ("read_postgres (quantum_frames/readers.py",)),
]


def py_spy() -> str:
    here = Path(sys.executable).parent / "py-spy"
    return str(here) if here.exists() else shutil.which("py-spy") or "py-spy"


def profile(dsn: str, schema: str, loads: int, raw: Path) -> tuple[dict[str, int], int, float]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, dsn, schema, str(loads)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        msg = "the profiled load failed before it started"
        raise SystemExit(msg)
    spy = subprocess.run(
        [
            py_spy(),
            "record",
            "--native",
            "--rate",
            "250",
            "--format",
            "raw",
            "--output",
            str(raw),
            "--pid",
            str(child.pid),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    per_load = float(child.stdout.readline() or "nan")
    child.wait()
    if not raw.exists():
        msg = f"py-spy wrote no profile: {spy.stderr.strip()[-300:]}"
        raise SystemExit(msg)
    counts: dict[str, int] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        samples = int(n)
        total += samples
        stage = next(
            (name for name, keys in STAGES if any(k in stack for k in keys)),
            "other: pool threads, interpreter",
        )
        counts[stage] += samples
    return counts, total, per_load


def budget(dsn: str, psql: str, schema: str, loads: int) -> list[str]:
    """The CPU budget table (medians of ``loads`` runs): wall, client and server CPU."""
    out = subprocess.run(
        [sys.executable, "-c", BUDGET, dsn, schema, str(loads)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = {}
    for line in out.splitlines():
        *name, wall, client, srv = line.split()
        rows[" ".join(name)] = (float(wall), float(client), float(srv))
    floor = case_copy_floor(dsn, psql, schema)
    walls = []
    for _ in range(loads):
        t = time.perf_counter()
        floor()
        walls.append(time.perf_counter() - t)
    floor_s = statistics.median(walls)
    cores = os.cpu_count() or 1
    lines = [
        "| run | wall s | client CPU s | server CPU s | (client + server) / cores |",
        "|---|---:|---:|---:|---:|",
        f"| COPY floor (psql) | {floor_s:.2f} | – | – | – |",
    ]
    for name, (wall, client, srv) in rows.items():
        lines.append(
            f"| {name} | {wall:.2f} | {client:.2f} | {srv:.2f} | {(client + srv) / cores:.2f} |"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--dsn", default=os.environ.get("QF_BENCH_DSN"))
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks here")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args()
    with server(args.dsn) as (dsn, psql):
        schema = f"qf_bench_s{args.scale}"
        ensure_seeded(dsn, schema, args.scale)
        cpu = budget(dsn, psql, schema, args.loads)
        with tempfile.TemporaryDirectory() as tmp:
            raw = args.raw or Path(tmp) / "stacks.txt"
            counts, total, per_load = profile(dsn, schema, args.loads, raw)
    version = subprocess.run([py_spy(), "--version"], capture_output=True, text=True).stdout
    lines = [
        f"### CPU budget and profile of `read_postgres`, scale {args.scale}",
        "",
        f"`python benchmarks/profile_load.py --scale {args.scale}`; medians of {args.loads} "
        "runs; server CPU read from /proc for every `postgres` process.",
        "",
        *cpu,
        "",
        f"`python benchmarks/profile_load.py --scale {args.scale}`: {version.strip()} "
        "`record --native` at 250 Hz over every Python thread, idle time left out; "
        f"{total:,} samples; a load took "
        f"{per_load:.2f} s under the profiler. The client only: the server's work is the "
        "COPY floor's.",
        "",
        "| stage | samples | share of samples |",
        "|---|---:|---:|",
    ]
    for stage, _ in [*STAGES, ("other: pool threads, interpreter", ())]:
        n = counts.get(stage, 0)
        lines.append(f"| {stage} | {n:,} | {100 * n / max(total, 1):.1f}% |")
    publish("\n".join(lines), f"profile scale={args.scale}", write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
