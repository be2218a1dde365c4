"""History benchmark: Delta Lake appends and reads against the load (issue 19).

Cases (interleaved, ``--repeat`` times, medians shown):

  scale ``--scale`` (50):
    (a) load          ``qf.read_postgres`` of the seeded tables;
    (b) append        ``write_history`` of a moment in which every table changed (all six
                      Delta tables committed, the change sets computed, the log entry);
    (c) append, teams only changed (friction, strategies and their lossless tables keep
                      their Delta versions);
    (d) read          ``read_history(as_of=…)`` of a middle moment;
  scale ``--pit-scale`` (10), 20 moments:
    (e) point_in_time over the 20-moment history;
    (f) point_in_time over a folder of the same 20 snapshots;
    and the peak memory of one call of each (a fresh process);
  and how appends, reads and the disk grow with the number of moments (1 … 20).

Usage: python benchmarks/bench_history.py [--scale 50] [--pit-scale 10] [--repeat 3]
[--dsn DSN] [--no-write]. Without --dsn (or env QF_BENCH_DSN) a throwaway PostgreSQL is
started from the pgserver wheel. The results go to BENCHMARKS.md (section "history").
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

import quantum_frames as qf
from quantum_frames.frames import QuantumFrames, SourceTables
from quantum_frames.synthetic.build import JSON_COLUMNS
from quantum_frames.synthetic.generator import generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import ensure_seeded, machine, measure, publish, server

START = datetime(2025, 8, 1, tzinfo=UTC)


def nudged(q: QuantumFrames, i: int, *, tables: tuple[str, ...]) -> QuantumFrames:
    """``q`` with one row of each of ``tables`` changed (number ``i``).

    Flat and lossless alike (plain columns, so no flattening is needed).
    """
    column = {"teams": "roi", "friction": "friction_score", "strategies": "conviction"}
    key = {"teams": "team_id", "friction": "friction_id", "strategies": "strategy_id"}
    flat = dict(q.tables())
    raw = dict(q.raw.items())
    for name in tables:
        ids = flat[name][key[name]]
        target = ids[i % len(ids)]

        def change(frame: pl.DataFrame, name: str = name, target: object = target) -> pl.DataFrame:
            col = column[name]
            return frame.with_columns(
                pl.when(pl.col(key[name]) == target)
                .then(pl.col(col) + 0.001 * (i + 1))
                .otherwise(pl.col(col))
                .alias(col)
            )

        flat[name], raw[name] = change(flat[name]), change(raw[name])
    return replace(
        q,
        teams=flat["teams"],
        friction=flat["friction"],  # wrapped by QuantumFrames
        strategies=flat["strategies"],
        raw=SourceTables(**raw),
        as_of=None,
    )


def size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def scale_cases(dsn: str, scale: int, repeat: int) -> tuple[str, dict[str, float]]:
    schema = f"qf_bench_s{scale}"
    ensure_seeded(dsn, schema, scale)
    q = replace(qf.read_postgres(dsn, schema=schema), as_of=None)  # warm-up too
    # (b) alternates between two loads that differ in every table; (c) then changes only the
    # teams of the load (b) just appended
    variants = [nudged(q, i, tables=("teams", "friction", "strategies")) for i in range(2)]
    teams_only = [nudged(v, 7, tables=("teams",)) for v in variants]
    turn = {"next": 0, "last": 0}
    root = Path(tempfile.mkdtemp(prefix="qf-bench-history-"))
    history = root / "history"
    clock = {"n": 0}

    def next_moment() -> datetime:
        clock["n"] += 1
        return START + timedelta(days=clock["n"])

    q.write_history(history, as_of=next_moment())
    first = root / "first"

    def append_all() -> None:
        turn["last"] = turn["next"] % 2
        turn["next"] += 1
        done = variants[turn["last"]].write_history(history, as_of=next_moment())
        assert done.written
        assert all(c and c.updated for c in done.changes.values())

    def append_teams() -> None:
        done = teams_only[turn["last"]].write_history(history, as_of=next_moment())
        assert done.written
        assert [n for n, c in done.changes.items() if c and c.updated] == ["teams"]

    def read() -> None:
        qf.read_history(history, as_of=START + timedelta(days=max(1, clock["n"] // 2)))

    def new_history() -> None:
        shutil.rmtree(first, ignore_errors=True)
        q.write_history(first, as_of=START)

    cases = {
        "(a) qf.read_postgres": lambda: qf.read_postgres(dsn, schema=schema),
        "(b) write_history, every table changed": append_all,
        "(c) write_history, teams changed": append_teams,
        "(b0) write_history, first moment of a new history": new_history,
        "(d) read_history(as_of=…)": read,
    }
    print(f"scale {scale}: {len(cases)} cases × {repeat} …", flush=True)
    times = measure(cases, repeat)
    med = {k: statistics.median(v) for k, v in times.items()}
    load = med["(a) qf.read_postgres"]
    lines = [
        f"### History, scale {scale} ({96 * scale:,} teams), median of {repeat}",
        "",
        "| case | median s | × load |",
        "|---|---:|---:|",
    ]
    lines += [f"| {k} | {v:.3f} | {v / load:.2f} |" for k, v in med.items()]
    lines.append(
        "\n- all runs (s): "
        + "; ".join(f"{k}: {', '.join(f'{t:.2f}' for t in v)}" for k, v in times.items())
    )
    lines.append(
        f"- history after the run: {qf.list_history(history).height} moments, "
        f"{size_mib(history):.1f} MiB on disk (a snapshot of one moment: see the load tables)"
    )
    shutil.rmtree(root, ignore_errors=True)
    return "\n".join(lines), med


def fixtures_over(q: QuantumFrames, days: int, per_day: int) -> pl.DataFrame:
    """``per_day`` fixtures on each of ``days`` days, after the first moment."""
    names = q.teams["team_name"]
    rows = days * per_day
    return pl.DataFrame(
        {
            "date": [
                (START + timedelta(days=1 + i // per_day, hours=12)).date() for i in range(rows)
            ],
            "home": [names[(7 * i) % len(names)] for i in range(rows)],
            "away": [names[(7 * i + 1) % len(names)] for i in range(rows)],
        }
    )


# VmHWM (the peak RSS of this address space) and not ru_maxrss, which Linux keeps across
# execve: a child of this (large) process would inherit its peak
_PEAK = """
import sys
import polars as pl
import quantum_frames as qf
import deltalake  # imported before the baseline, as the snapshot path's pyarrow is

def peak_kib():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))

fixtures = pl.read_parquet(sys.argv[2])
pl.DataFrame({"a": [1]}).lazy().collect()
before = peak_kib()
qf.point_in_time(fixtures, sys.argv[1])
print((peak_kib() - before) / 1024)
"""


def peak_rss_mib(source: Path, fixtures: Path) -> float:
    """The peak RSS growth (MiB) of one ``point_in_time(fixtures, source)`` in a new process."""
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, str(source), str(fixtures)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def point_in_time_cases(scale: int, repeat: int, moments: int) -> tuple[str, dict[str, float]]:
    q = replace(qf.build_frames(generate(scale), json_columns=JSON_COLUMNS), as_of=None)
    root = Path(tempfile.mkdtemp(prefix="qf-bench-pit-"))
    history, folder = root / "history", root / "snapshots"
    growth = []
    for i in range(moments):
        moment = nudged(q, i, tables=("teams", "friction", "strategies"))
        when = START + timedelta(days=i)
        t0 = time.perf_counter()
        moment.write_history(history, as_of=when)
        appended = time.perf_counter() - t0
        moment.write_snapshot(folder / f"{i:02d}", as_of=when)
        t0 = time.perf_counter()
        qf.read_history(history)
        read = time.perf_counter() - t0
        growth.append((i + 1, appended, read, size_mib(history), size_mib(folder)))
    fixtures = fixtures_over(q, moments, 50)
    assert qf.point_in_time(fixtures, history).equals(qf.point_in_time(fixtures, folder))
    fixtures.write_parquet(root / "fixtures.parquet")
    memory = {
        kind: peak_rss_mib(root / kind, root / "fixtures.parquet")
        for kind in ("history", "snapshots")
    }
    cases = {
        f"(e) point_in_time over a {moments}-moment history": lambda: qf.point_in_time(
            fixtures, history
        ),
        f"(f) point_in_time over a folder of {moments} snapshots": lambda: qf.point_in_time(
            fixtures, folder
        ),
    }
    print(f"point_in_time, scale {scale}: {len(cases)} cases × {repeat} …", flush=True)
    times = measure(cases, repeat)
    med = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        f"### point_in_time, scale {scale}, {moments} moments, {fixtures.height:,} fixtures, "
        f"median of {repeat}",
        "",
        "| case | median s |",
        "|---|---:|",
    ]
    lines += [f"| {k} | {v:.3f} |" for k, v in med.items()]
    lines += [
        "",
        f"Peak memory of one point_in_time call (a fresh process, RSS growth): over the history "
        f"{memory['history']:.0f} MiB, over the folder of snapshots {memory['snapshots']:.0f} MiB.",
        "",
        f"Growth with the number of moments (scale {scale}; each moment changes one row of "
        "each table, so all six Delta tables are committed):",
        "",
        "| moments | append s | read_history (newest) s | history MiB | snapshot folder MiB |",
        "|---:|---:|---:|---:|---:|",
    ]
    shown = {1, 2, 5, 10, 15, 20, moments}
    lines += [
        f"| {n} | {a:.3f} | {r:.3f} | {h:.1f} | {s:.1f} |" for n, a, r, h, s in growth if n in shown
    ]
    shutil.rmtree(root, ignore_errors=True)
    return "\n".join(lines), med


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--pit-scale", type=int, default=10)
    parser.add_argument("--moments", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="scale 10, 5 moments, 1 repetition")
    parser.add_argument("--dsn", default=os.environ.get("QF_BENCH_DSN"))
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args, _ = parser.parse_known_args()  # make bench passes bench_load's ARGS to every bench
    if args.quick:
        args.scale, args.pit_scale, args.moments, args.repeat = 10, 1, 5, 1
    with server(args.dsn) as (dsn, _):
        where = machine(dsn)
        load_section, med = scale_cases(dsn, args.scale, args.repeat)
    print(load_section, flush=True)
    pit_section, pit = point_in_time_cases(args.pit_scale, args.repeat, args.moments)
    print(pit_section, flush=True)
    load = med["(a) qf.read_postgres"]
    append = med["(b) write_history, every table changed"]
    read = med["(d) read_history(as_of=…)"]
    over_history, over_folder = pit.values()

    def mark(ok: bool) -> str:
        return "met" if ok else "**missed**"

    summary = "\n".join(
        [
            f"## History (Delta Lake), {datetime.now(UTC):%Y-%m-%d}",
            "",
            f"Machine: {where}. `python benchmarks/bench_history.py` (`make bench`); one run, "
            "its cases interleaved: read the ratios (the seconds move with the machine's load).",
            "",
            "| goal (issue 19) | figure | |",
            "|---|---:|---|",
            f"| append a moment at scale {args.scale} ≤ 0.5 × the load | {append / load:.2f} × | "
            f"{mark(append <= 0.5 * load)} |",
            f"| `read_history(as_of=…)` ≥ 10 × faster than the load | {load / read:.1f} × | "
            f"{mark(load >= 10 * read)} |",
            f"| `point_in_time` over {args.moments} moments at scale {args.pit_scale} ≤ 2 × a "
            f"folder of snapshots | {over_history / over_folder:.2f} × | "
            f"{mark(over_history <= 2 * over_folder)} |",
        ]
    )
    section = "\n\n".join([summary, load_section, pit_section])
    publish(section, "history", write=not args.no_write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
