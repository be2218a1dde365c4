"""Backtest benchmark: bootstrap intervals of 100,000 bets × 10,000 resamples (goal < 2 s).

Synthetic bets (three seasons of 1,000 matchdays, 100 bets each, odds 1.5–4, a small edge,
closing odds and the model's prob) are backtested with flat stakes:

  plain        ``qf.backtest(bets)`` — the point metrics only;
  bootstrap    ``qf.backtest(bets, bootstrap=10_000)`` — whole dates resampled (the default);
  by strategy  the same with ``by="strategy"`` (8 groups resampled with the same draws);
  bets         ``block="bet"``, 1,000 resamples — single bets drawn: 100,000 blocks, so its
               cost grows with bets × resamples (10,000 would take about 10 × as long).

Each is timed ``--repeat`` times, interleaved, and the median reported. The machine is
shared: read the figures as of the moment they were taken.

Usage: python benchmarks/bench_backtest.py [--bets 100000] [--resamples 10000] [--repeat 5]
       [--quick] [--no-write]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from typing import TYPE_CHECKING

from bench_load import machine_basic, publish

import quantum_frames as qf

if TYPE_CHECKING:
    from collections.abc import Callable

GOAL_SECONDS = 2.0


def synthetic_bets(n: int, dates: int, seed: int = 0) -> pl.DataFrame:
    """``n`` bets over ``dates`` matchdays with a known small edge (+2 % yield expected)."""
    rng = np.random.default_rng(seed)
    odds = rng.uniform(1.5, 4.0, n)
    prob = np.clip(1.02 / odds, 0.01, 0.99)
    day = np.sort(rng.integers(0, dates, n))
    first = date(2023, 8, 1)
    return pl.DataFrame(
        {
            "date": pl.Series([first + timedelta(days=int(d)) for d in range(dates)]).gather(day),
            "home": [f"H{i % 500}" for i in range(n)],
            "away": [f"A{i % 500}" for i in range(n)],
            "market": "over_2.5",
            "odds": odds,
            "result": np.where(rng.random(n) < prob, "win", "loss"),
            "closing_odds": odds * rng.uniform(0.95, 1.05, n),
            "prob": prob,
            "strategy": rng.choice([f"S{k}" for k in range(8)], n),
        }
    )


def timed(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeat):
        for name, run in runs.items():  # interleaved: load changes hit all runs alike
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bets", type=int, default=100_000)
    parser.add_argument("--dates", type=int, default=1_000)
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="10,000 bets, 1,000 resamples, 2 runs")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    args, _ = parser.parse_known_args()  # make bench passes bench_load's ARGS to every script
    if args.quick:
        args.bets, args.resamples, args.repeat = 10_000, 1_000, 2
    bets = synthetic_bets(args.bets, args.dates)
    r = args.resamples
    runs: dict[str, Callable[[], object]] = {
        "plain": lambda: qf.backtest(bets),
        "bootstrap": lambda: qf.backtest(bets, bootstrap=r),
        "by strategy": lambda: qf.backtest(bets, bootstrap=r, by="strategy"),
        "bets": lambda: qf.backtest(bets, bootstrap=max(r // 10, 1), block="bet"),
    }
    med = timed(runs, args.repeat)
    goal = med["bootstrap"]
    verdict = "meets" if goal < GOAL_SECONDS else "misses"
    section = "\n".join(
        [
            f"### Backtest bootstrap, {args.bets:,} bets on {args.dates:,} dates, median of "
            f"{args.repeat}",
            "",
            f"Machine: {machine_basic()} (shared with other sessions while measured).",
            "",
            "| run | seconds |",
            "|---|---:|",
            f"| `qf.backtest(bets)` (point metrics) | {med['plain']:.3f} |",
            f"| `bootstrap={r:,}` (whole dates) | {med['bootstrap']:.3f} |",
            f'| `bootstrap={r:,}, by="strategy"` (8 groups) | {med["by strategy"]:.3f} |',
            f'| `bootstrap={max(r // 10, 1):,}, block="bet"` ({args.bets:,} blocks) | '
            f"{med['bets']:.3f} |",
            "",
            f"Goal: {args.bets:,} bets × {r:,} resamples under {GOAL_SECONDS:.0f} s: "
            f"{verdict} it ({goal:.2f} s; the resampling alone ≈ "
            f"{goal - med['plain']:.2f} s).",
        ]
    )
    publish(section, f"backtest-{args.bets}", write=not args.no_write and not args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
