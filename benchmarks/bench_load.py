"""Load benchmark: read_postgres against the server's floor and what analysts do by hand.

Cases, each run side by side in one process, ``--repeat`` times, medians reported:

  (a) floor       ``COPY … TO STDOUT (FORMAT binary)`` of the three tables through psql to
                  /dev/null: what the server itself needs to hand the data out;
  (b) connectorx  raw ``SELECT *`` of the three tables into Polars (no flattening);
  (c) quantum     ``qf.read_postgres`` — fetch, type, flatten every JSONB column;
  (d) pandas      ``pandas.read_sql`` + ``pandas.json_normalize`` of every JSONB column;
  (e) write       ``q.write_snapshot`` of the loaded frames (flat + lossless, zstd, SHA-256);
  (f) read        ``qf.read_snapshot`` of that snapshot, every checksum verified.

Targets: (c) ≤ 1.5 × (a) and (d) / (c) ≥ 6 (issue 2); (c) / (f) ≥ 20 and (e) ≤ 0.5 × (c)
(issue 3). The results, with the machine they ran on,
go to BENCHMARKS.md (the section for this scale is replaced).

Usage: python benchmarks/bench_load.py [--scale 50] [--repeat 3] [--quick] [--dsn DSN]
Without --dsn (or env QF_BENCH_DSN) a throwaway PostgreSQL is started from the pgserver wheel.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import connectorx as cx
import polars as pl
import psycopg

import quantum_frames as qf
from quantum_frames._dsn import Dsn
from quantum_frames.source import DEFAULT_TABLES
from quantum_frames.synthetic.generator import generate
from quantum_frames.synthetic.seed import seed_postgres

ROOT = Path(__file__).resolve().parent.parent
TABLES = list(DEFAULT_TABLES.values())


@contextmanager
def server(dsn: str | None) -> Iterator[tuple[str, str]]:
    """Yield (dsn, psql path): the given server, or a throwaway pgserver."""
    if dsn:
        yield dsn, shutil.which("psql") or ""
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    with tempfile.TemporaryDirectory(prefix="qf-bench-") as pgdata:
        srv = pgserver.get_server(pgdata, cleanup_mode="stop")
        socket_dir = srv.get_uri().split("host=")[-1]
        psql = Path(pgserver.__file__).parent / "pginstall" / "bin" / "psql"
        try:
            yield f"postgresql://postgres@{quote(socket_dir, safe='')}/postgres", str(psql)
        finally:
            srv.cleanup()


def ensure_seeded(dsn: str, schema: str, scale: int) -> None:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s AND tablename = %s",
            (schema, TABLES[0]),
        ).fetchone()
        if row and row[0]:
            count = conn.execute(f'SELECT count(*) FROM "{schema}".{TABLES[0]}').fetchone()
            if count and count[0] == 96 * scale:
                print(f"reusing schema {schema} ({count[0]:,} teams)")
                return
    t0 = time.perf_counter()
    seed_postgres(dsn, generate(scale), schema=schema, replace=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'VACUUM ANALYZE "{schema}".{TABLES[0]}')
    print(f"seeded scale {scale} into {schema} in {time.perf_counter() - t0:.1f}s")


def case_copy_floor(dsn: str, psql: str, schema: str) -> Callable[[], None]:
    params = Dsn.parse(dsn).params
    env = {**os.environ, "PGHOST": params.get("host", ""), "PGUSER": params.get("user", ""),
           "PGDATABASE": params.get("dbname", ""), "PGPORT": params.get("port", "5432")}  # fmt: skip

    def run() -> None:
        for table in TABLES:
            sql = f'COPY "{schema}".{table} TO STDOUT (FORMAT binary)'
            subprocess.run(
                [psql, "-X", "-q", "-c", sql], env=env, stdout=subprocess.DEVNULL, check=True
            )

    return run


def case_connectorx(dsn: str, schema: str) -> Callable[[], None]:
    uri = Dsn.parse(dsn).connectorx_uri()

    def run() -> None:
        for table in TABLES:
            cx.read_sql(uri, f'SELECT * FROM "{schema}".{table}', return_type="polars")

    return run


def case_quantum(dsn: str, schema: str) -> Callable[[], None]:
    def run() -> None:
        qf.read_postgres(dsn, schema=schema)

    return run


def case_pandas(dsn: str, schema: str) -> Callable[[], None]:
    import pandas as pd

    def run() -> None:
        with psycopg.connect(dsn) as conn, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas wants SQLAlchemy; a DBAPI connection works
            for table in TABLES:
                df = pd.read_sql(f'SELECT * FROM "{schema}".{table}', conn)
                json_cols = [
                    c for c in df.columns if df[c].map(lambda v: isinstance(v, dict)).any()
                ]
                parts = [df.drop(columns=json_cols)]
                for col in json_cols:
                    records = [v if isinstance(v, dict) else {} for v in df[col]]
                    parts.append(pd.json_normalize(records).add_prefix(f"{col}."))
                pd.concat(parts, axis=1)

    return run


def case_snapshots(
    dsn: str, schema: str, folder: Path
) -> tuple[Callable[[], None], Callable[[], None]]:
    q = qf.read_postgres(dsn, schema=schema)
    target = folder / "snap"

    def write() -> None:
        q.write_snapshot(target, overwrite=True)

    def read() -> None:
        qf.read_snapshot(target)

    write()
    return write, read


def measure(cases: dict[str, Callable[[], None]], repeat: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, run in cases.items():  # interleaved, so drift hits every case alike
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    return times


def machine_basic() -> str:
    """Cores, memory, Python and library versions."""
    import connectorx
    import duckdb

    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {mem_gib:.0f} GiB, Python "
        f"{platform.python_version()}, polars {pl.__version__}, connectorx "
        f"{connectorx.__version__}, duckdb {duckdb.__version__}"
    )


def machine(dsn: str) -> str:
    with psycopg.connect(dsn) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    return f"{machine_basic()}, PostgreSQL {version[0] if version else '?'}"


def report(scale: int, repeat: int, times: dict[str, list[float]], where: str) -> str:
    med = {k: statistics.median(v) for k, v in times.items()}
    floor = med["(a) COPY floor"]
    lines = [
        f"### Load, scale {scale} ({96 * scale:,} teams), median of {repeat}",
        "",
        f"Machine: {where}.",
        "",
        "| case | median s | × floor |",
        "|---|---:|---:|",
    ]
    lines += [f"| {k} | {v:.2f} | {v / floor:.2f} |" for k, v in med.items()]
    quantum = med["(c) qf.read_postgres"]
    lines += ["", f"- (c) / (a) = **{quantum / floor:.2f}** (target ≤ 1.5)"]
    if "(d) pandas read_sql + json_normalize" in med:
        ratio = med["(d) pandas read_sql + json_normalize"] / quantum
        lines.append(f"- (d) / (c) = **{ratio:.1f}** (target ≥ 6)")
    if "(f) read_snapshot (verified)" in med:
        read, write = med["(f) read_snapshot (verified)"], med["(e) write_snapshot"]
        lines.append(f"- (c) / (f) = **{quantum / read:.1f}** (target ≥ 20)")
        lines.append(f"- (e) / (c) = **{write / quantum:.2f}** (target ≤ 0.5)")
    lines.append(
        "- all runs (s): "
        + "; ".join(f"{k}: {', '.join(f'{t:.2f}' for t in v)}" for k, v in times.items())
    )
    return "\n".join(lines)


def write_markdown(section: str, key: str) -> None:
    """Put ``section`` into BENCHMARKS.md between markers named ``key`` (replacing it)."""
    path = ROOT / "BENCHMARKS.md"
    text = (
        path.read_text()
        if path.exists()
        else "# Benchmarks\n\nWritten by `make bench` (benchmarks/).\n"
    )
    start, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    block = f"{start}\n{section}\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="scale 10, one repetition")
    parser.add_argument("--dsn", default=os.environ.get("QF_BENCH_DSN"))
    parser.add_argument("--no-pandas", action="store_true", help="skip the slow pandas case")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args = parser.parse_args()
    if args.quick:
        args.scale, args.repeat = 10, 1
    with server(args.dsn) as (dsn, psql):
        if not psql:
            print(
                "psql not found: install the PostgreSQL client or run without --dsn",
                file=sys.stderr,
            )
            return 2
        schema = f"qf_bench_s{args.scale}"
        ensure_seeded(dsn, schema, args.scale)
        cases = {
            "(a) COPY floor": case_copy_floor(dsn, psql, schema),
            "(b) connectorx SELECT *": case_connectorx(dsn, schema),
            "(c) qf.read_postgres": case_quantum(dsn, schema),
        }
        if not args.no_pandas:
            cases["(d) pandas read_sql + json_normalize"] = case_pandas(dsn, schema)
        snapdir = Path(tempfile.mkdtemp(prefix="qf-bench-snap-"))
        cases["(e) write_snapshot"], cases["(f) read_snapshot (verified)"] = case_snapshots(
            dsn, schema, snapdir
        )
        case_quantum(dsn, schema)()  # warm-up: imports, caches
        times = measure(cases, args.repeat)
        section = report(args.scale, args.repeat, times, machine(dsn))
        shutil.rmtree(snapdir, ignore_errors=True)
    print()
    print(section)
    if not args.no_write:
        write_markdown(section, f"load scale={args.scale}")
        print(f"\nwritten to {ROOT / 'BENCHMARKS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
