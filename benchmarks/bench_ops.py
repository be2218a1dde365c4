"""Operations benchmark: quantum_frames operations vs the same written in DuckDB SQL.

At ``--scale`` (default 50: 4,800 teams, 87,600 friction pairs), on the same in-memory frames
(the synthetic generator, flattened; no database needed):

  friction_for    1,000,000 fixtures (names with other case) joined with their friction
  best_strategies 100,000 fixtures with a context → the best active strategy each
  tag filter      teams carrying GK_* and GEGENPRESS
  tier ranking    teams ranked by roi inside each tier, per league

Each pair runs side by side, ``--repeat`` times, medians and ratios printed (ratio = DuckDB /
quantum_frames: above 1 means quantum_frames is faster). Results go to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import duckdb
import polars as pl

import quantum_frames as qf
from quantum_frames.ops.friction import _NOT_JOINED
from quantum_frames.synthetic.build import JSON_COLUMNS
from quantum_frames.synthetic.generator import generate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from typing import TYPE_CHECKING

from bench_load import machine_basic, publish

if TYPE_CHECKING:
    from collections.abc import Callable


def fixtures(q: qf.QuantumFrames, n: int, seed: int = 7) -> pl.DataFrame:
    pairs = q.friction.select("team_home_name", "team_away_name").sample(
        n, with_replacement=True, seed=seed
    )
    return pairs.select(
        pl.col("team_home_name").str.to_uppercase().alias("home"),
        pl.col("team_away_name").alias("away"),
        pl.int_range(pl.len()).alias("match_id"),
    )


def contexts(q: qf.QuantumFrames, n: int, seed: int = 11) -> pl.DataFrame:
    teams = q.teams.select(pl.col("team_name").alias("team")).sample(
        n, with_replacement=True, seed=seed
    )
    i = pl.int_range(pl.len())
    return teams.with_columns(
        pl.when(i % 2 == 0).then(pl.lit("home")).otherwise(pl.lit("away")).alias("venue"),
        pl.lit(["ELITE", "TOP6", "MID", "BOTTOM"]).list.get(i % 4).alias("opponent_tier"),
    )


def duck(q: qf.QuantumFrames) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("teams", q.teams.to_arrow())
    con.register("friction", q.friction.to_arrow())
    con.register("strategies", q.strategies.to_arrow())
    return con


# The same frame friction_for returns: the fixtures, both team ids, every friction column
# but the keys, names and bookkeeping (checked equal below, not only friction_score).
FRICTION_SQL = f"""
WITH keys AS (
    SELECT lower(strip_accents(trim(team_name))) AS k, team_id FROM teams
)
SELECT fx.*, h.team_id AS home_team_id, a.team_id AS away_team_id,
       f.* EXCLUDE ({", ".join(sorted(_NOT_JOINED))})
FROM fx
LEFT JOIN keys h ON h.k = lower(strip_accents(trim(fx.home)))
LEFT JOIN keys a ON a.k = lower(strip_accents(trim(fx.away)))
LEFT JOIN friction f ON f.team_home_id = h.team_id AND f.team_away_id = a.team_id
ORDER BY fx.match_id
"""

BEST_SQL = """
WITH keys AS (SELECT lower(strip_accents(trim(team_name))) AS k, team_id FROM teams),
fx AS (SELECT row_number() OVER () AS rid, * FROM ctx),
cand AS (
    SELECT fx.rid, s.strategy_id, s.strategy_name, s.market_type, s.conviction, s.roi
    FROM fx JOIN keys ON keys.k = lower(strip_accents(trim(fx.team)))
    JOIN strategies s ON s.team_id = keys.team_id AND coalesce(s.is_active, false)
    WHERE (s."context_filters.venue" IS NULL OR s."context_filters.venue" = fx.venue)
      AND (s."context_filters.opponent_tier" IS NULL
           OR list_contains(s."context_filters.opponent_tier", fx.opponent_tier))
      AND s."context_filters.opponent_style" IS NULL
),
best AS (
    SELECT * FROM cand QUALIFY row_number() OVER (
        PARTITION BY rid ORDER BY conviction DESC NULLS LAST, roi DESC NULLS LAST, strategy_id) = 1
)
SELECT fx.team, fx.venue, fx.opponent_tier, best.strategy_id, best.strategy_name,
       best.market_type, best.conviction, best.roi
FROM fx LEFT JOIN best USING (rid) ORDER BY fx.rid
"""

TAGS_SQL = """
SELECT * FROM teams
WHERE len(list_filter(narrative_fingerprint_tags, lambda t: t LIKE 'GK\\_%' ESCAPE '\\')) > 0
  AND list_contains(narrative_fingerprint_tags, 'GEGENPRESS')
"""

# by the metric inside each league, the tier only breaking ties
RANK_SQL = """
SELECT *, row_number() OVER (PARTITION BY league ORDER BY roi DESC NULLS LAST,
    CASE tier WHEN 'ELITE' THEN 0 WHEN 'TOP6' THEN 1 WHEN 'MID' THEN 2 WHEN 'BOTTOM' THEN 3 END,
    tier_rank, team_name) AS rank
FROM teams ORDER BY league, rank
"""


def measure(cases: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(repeat):
        for name, run in cases.items():
            t0 = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fixtures", type=int, default=1_000_000)
    parser.add_argument("--contexts", type=int, default=100_000)
    parser.add_argument(
        "--quick", action="store_true", help="scale 10, fewer fixtures, 3 repetitions"
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.scale, args.repeat, args.fixtures, args.contexts = 10, 3, 200_000, 20_000
    t0 = time.perf_counter()
    q = qf.build_frames(generate(args.scale), json_columns=JSON_COLUMNS)
    print(f"built scale {args.scale} in memory in {time.perf_counter() - t0:.1f}s")
    fx, ctx = fixtures(q, args.fixtures), contexts(q, args.contexts)
    con = duck(q)
    con.register("fx", fx.to_arrow())
    con.register("ctx", ctx.to_arrow())

    # Same answers first: a benchmark of wrong results is worthless.
    ours = q.friction_for(fx, on_unknown="ignore")
    theirs = con.sql(FRICTION_SQL).pl()
    assert ours.equals(theirs), "friction_for disagrees with DuckDB"
    mine = q.best_strategies(ctx)
    sql_best = con.sql(BEST_SQL).pl()
    assert mine["strategy_id"].equals(sql_best["strategy_id"].cast(mine["strategy_id"].dtype)), (
        "best_strategies disagrees"
    )
    assert q.teams_with_tags("GK_*", "GEGENPRESS").height == con.sql(TAGS_SQL).pl().height
    assert q.tier_ranking("roi")["team_id"].equals(con.sql(RANK_SQL).pl()["team_id"])

    pairs = {
        f"friction_for {args.fixtures:,} fixtures": (
            lambda: q.friction_for(fx, on_unknown="ignore"),
            lambda: con.sql(FRICTION_SQL).pl(),
        ),
        f"best_strategies {args.contexts:,} fixtures": (
            lambda: q.best_strategies(ctx),
            lambda: con.sql(BEST_SQL).pl(),
        ),
        "tag filter (GK_* and GEGENPRESS)": (
            lambda: q.teams_with_tags("GK_*", "GEGENPRESS"),
            lambda: con.sql(TAGS_SQL).pl(),
        ),
        "tier ranking by roi": (lambda: q.tier_ranking("roi"), lambda: con.sql(RANK_SQL).pl()),
    }
    cases: dict[str, Callable[[], object]] = {}
    for name, (ours_fn, duck_fn) in pairs.items():
        cases[f"{name} | qf"] = ours_fn
        cases[f"{name} | duckdb"] = duck_fn
    med = measure(cases, args.repeat)
    q.sql("select 1")  # registers the frames once; what follows is warm
    sql_runs = [0.0] * 200
    for i in range(len(sql_runs)):
        t = time.perf_counter()
        q.sql("select 1")
        sql_runs[i] = time.perf_counter() - t
    sql_warm = statistics.median(sql_runs)
    lines = [
        f"### Operations, scale {args.scale} ({q.teams.height:,} teams, "
        f"{q.friction.height:,} pairs), median of {args.repeat}",
        "",
        f"Machine: {machine_basic()}.",
        "",
        "| operation | quantum_frames s | DuckDB SQL s | DuckDB / qf |",
        "|---|---:|---:|---:|",
    ]
    for name in pairs:
        a, b = med[f"{name} | qf"], med[f"{name} | duckdb"]
        lines.append(f"| {name} | {a:.4f} | {b:.4f} | {b / a:.2f} |")
    lines += [
        "",
        "Results checked equal to the DuckDB query's before timing. Goal: DuckDB / qf ≥ 1.",
        "",
        f"`q.sql('select 1')` warm (frames registered once per QuantumFrames, locked-down "
        f"connection), median of {len(sql_runs)}: {sql_warm * 1000:.2f} ms — goal ≤ 5 ms: "
        f"{'met' if sql_warm <= 0.005 else 'NOT met'}.",
    ]
    print()
    publish("\n".join(lines), f"ops scale={args.scale}", write=not args.no_write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
