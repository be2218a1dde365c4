"""The ``quantum-frames`` command line: parse, call the public API, print.

This is the one place that turns a :class:`QuantumFramesError` into a one-line message and a
non-zero exit code (no traceback unless ``--debug``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import polars as pl

from quantum_frames._version import __version__
from quantum_frames.cli._render import FORMATS, emit, plain, snapshot_info, summary
from quantum_frames.errors import QuantumFramesError
from quantum_frames.frames import QuantumFrames

__all__ = ["main", "snapshot_info", "summary"]

EXIT_ERROR = 1
EXIT_USAGE = 2
_SHOWN = (
    "team_name",
    "league",
    "tier",
    "tier_rank",
    "current_style",
    "roi",
    "narrative_fingerprint_tags",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quantum-frames",
        description="The V3 team-intelligence tables as flattened Polars frames.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def source_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--dsn", help="PostgreSQL DSN (default: env QF_DSN; password: PGPASSWORD)")
        p.add_argument("--schema", default="quantum", help="schema of the V3 tables")

    load = sub.add_parser("load", help="load the tables from PostgreSQL and print a summary")
    source_args(load)
    load.add_argument("--separator", default=".", help="flat column name separator")
    load.add_argument("--team", help="the team shown in the summary")

    snap = sub.add_parser("snapshot", help="load from PostgreSQL and write a snapshot directory")
    source_args(snap)
    snap.add_argument("--out", required=True, help="the snapshot directory to create")
    snap.add_argument("--as-of", help="the date the data describes (default: now)")
    snap.add_argument("--partition-by", help="Hive-partition the flat tables on this column")
    snap.add_argument("--overwrite", action="store_true", help="replace an existing snapshot")

    info = sub.add_parser("info", help="describe a snapshot (or a folder of them)")
    info.add_argument("path", help="a snapshot directory or a folder of snapshots")
    info.add_argument("--no-verify", action="store_true", help="skip the checksum verification")

    def data_args(p: argparse.ArgumentParser) -> None:
        where = p.add_mutually_exclusive_group()
        where.add_argument("--dsn", help="read PostgreSQL (default: env QF_DSN)")
        where.add_argument("--snapshot", help="read a snapshot directory (or a folder: the newest)")
        p.add_argument("--schema", default="quantum", help="schema of the V3 tables (with --dsn)")
        p.add_argument("--format", choices=FORMATS, default="table", help="output format")
        p.add_argument("--output", "-o", help="write to this file instead of standard output")

    teams = sub.add_parser("teams", help="list teams, filtered by tier, league and tags")
    data_args(teams)
    teams.add_argument(
        "--tier", action="append", default=[], help="ELITE, TOP6, MID or BOTTOM (repeatable)"
    )
    teams.add_argument("--league", action="append", default=[], help="a league (repeatable)")
    teams.add_argument(
        "--tag", action="append", default=[], help="a tag or glob like GK_* (repeatable)"
    )
    teams.add_argument(
        "--match", choices=("all", "any", "none"), default="all", help="how --tag combine"
    )
    teams.add_argument("--columns", help="comma-separated columns to show")

    fr = sub.add_parser("friction", help="the friction score of one directional pair")
    data_args(fr)
    fr.add_argument("home")
    fr.add_argument("away")

    mu = sub.add_parser("matchups", help="pairs with friction_score at or above a threshold")
    data_args(mu)
    mu.add_argument("--threshold", type=float, default=0.7)

    st = sub.add_parser("strategy", help="the best strategy of a team for a context")
    data_args(st)
    st.add_argument("team")
    st.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context value (repeatable)",
    )

    sq = sub.add_parser("sql", help="DuckDB SQL over teams, friction, strategies (and raw_*)")
    data_args(sq)
    sq.add_argument("query")

    bt = sub.add_parser(
        "backtest", help="backtest a file of bets (or of fixtures, with --snapshots)"
    )
    bt.add_argument(
        "bets", help="a CSV or Parquet file of bets, or of fixtures with goals and odds"
    )
    bt.add_argument("--snapshots", help="a folder of snapshots: derive the bets point-in-time")
    bt.add_argument("--stake", choices=("flat", "kelly", "given"), default="flat")
    bt.add_argument("--bankroll", type=float, default=100.0)
    bt.add_argument("--unit", type=float, default=1.0)
    bt.add_argument("--min-conviction", type=float, default=0.0, help="with --snapshots")
    bt.add_argument("--by", action="append", default=[], help="group the summary (repeatable)")
    bt.add_argument(
        "--format", choices=FORMATS, default="table", help="output format of --by groups"
    )
    bt.add_argument("--output", "-o", help="write the per-bet results to this Parquet file")

    seed = sub.add_parser("seed-db", help="create the V3 tables and fill them with synthetic data")
    source_args(seed)
    seed.add_argument("--scale", type=int, default=1, help="copies of the 96 teams (default 1)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    seed.add_argument("--replace", action="store_true", help="drop existing V3 tables first")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (QuantumFramesError, ValueError) as exc:
        if args.debug:
            raise
        print(f"quantum-frames: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("quantum-frames: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "load":
        from quantum_frames.readers import read_postgres

        q = read_postgres(args.dsn, schema=args.schema, separator=args.separator)
        print(summary(q, team=args.team))
        return 0
    if args.command == "snapshot":
        from quantum_frames.readers import read_postgres
        from quantum_frames.snapshots.manifest import parse_when
        from quantum_frames.snapshots.writer import check_target

        def say(line: str) -> None:
            print(f"  {line}", file=sys.stderr)

        # what can be checked without the data is checked before the (long) load
        if args.as_of is not None:
            parse_when(args.as_of)
        check_target(args.out, overwrite=args.overwrite)
        q = read_postgres(args.dsn, schema=args.schema, progress=say)
        path = q.write_snapshot(
            args.out,
            as_of=args.as_of,
            overwrite=args.overwrite,
            partition_by=args.partition_by,
        )
        print(f"wrote snapshot {path}")
        return 0
    if args.command == "info":
        print(snapshot_info(args.path, verify=not args.no_verify))
        return 0
    if args.command in {"teams", "friction", "matchups", "strategy", "sql"}:
        return _query(args)
    if args.command == "backtest":
        return _backtest(args)
    if args.command == "seed-db":
        from quantum_frames.synthetic.generator import generate
        from quantum_frames.synthetic.seed import seed_postgres

        def progress(table: str, rows: int, seconds: float) -> None:
            print(f"  {table:<11}{rows:>9,} rows  {seconds:.2f}s", file=sys.stderr)

        print(f"generating synthetic data, scale {args.scale} …", file=sys.stderr)
        tables = generate(args.scale, seed=args.seed)
        print(f"writing to schema {args.schema!r} …", file=sys.stderr)
        seed_postgres(args.dsn, tables, schema=args.schema, replace=args.replace, progress=progress)
        print(f"seeded {args.schema} with synthetic data (scale {args.scale}).")
        return 0
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


def _load(args: argparse.Namespace) -> QuantumFrames:
    import os

    from quantum_frames.readers import read_postgres, sample
    from quantum_frames.snapshots.reader import read_snapshot

    if args.snapshot:
        return read_snapshot(args.snapshot)
    if args.dsn or os.environ.get("QF_DSN"):
        return read_postgres(args.dsn, schema=args.schema)
    print(
        "(using the bundled SYNTHETIC sample; pass --dsn or --snapshot for real data)",
        file=sys.stderr,
    )
    return sample()


def _query(args: argparse.Namespace) -> int:
    from quantum_frames.ops import tags, tiers

    q = _load(args)
    if args.command == "teams":
        df = q.teams
        if args.tier:
            df = tiers.teams_in_tier(df, *args.tier)
        if args.league:
            df = tiers.teams_in_league(df, *args.league)
        if args.tag:
            df = tags.teams_with_tags(df, *args.tag, match=args.match)
        cols = (
            [c.strip() for c in args.columns.split(",")]
            if args.columns
            else [c for c in _SHOWN if c in df.columns]
        )
        missing = [c for c in cols if c not in df.columns]
        if missing:
            msg = f"--columns: no column {missing}; the teams frame has {df.width} columns, e.g. {df.columns[:6]}."
            raise ValueError(msg)
        emit(df.select(cols), args.format, args.output)
    elif args.command == "friction":
        score = q.friction(args.home, args.away)
        emit(
            pl.DataFrame({"home": [args.home], "away": [args.away], "friction_score": [score]}),
            args.format,
            args.output,
        )
    elif args.command == "matchups":
        cols = ["team_home_name", "team_away_name", "league", "friction_score", "friction_level"]
        out = q.high_friction_matchups(args.threshold)
        emit(out.select([c for c in cols if c in out.columns]), args.format, args.output)
    elif args.command == "strategy":
        context = dict(_key_value(kv) for kv in args.context)
        chosen = q.best_strategy(args.team, context)
        if chosen is None:
            print(
                f"no active strategy of {args.team!r} matches {context or 'the empty context'}.",
                file=sys.stderr,
            )
            return EXIT_ERROR
        emit(pl.DataFrame([{k: plain(v) for k, v in chosen.items()}]), args.format, args.output)
    else:
        emit(q.sql(args.query), args.format, args.output)
    return 0


def _backtest(args: argparse.Namespace) -> int:
    import warnings
    from pathlib import Path

    from quantum_frames.backtesting import backtest, bets_from_strategies, point_in_time

    path = Path(args.bets)
    if not path.is_file():
        msg = f"{path} is not a file. Hint: pass a CSV or Parquet file of bets (or fixtures)."
        raise ValueError(msg)
    frame = (
        pl.read_parquet(path)
        if path.suffix == ".parquet"
        else pl.read_csv(path, try_parse_dates=True)
    )
    if path.suffix == ".parquet" and (
        label := pl.read_parquet_metadata(path).get("quantum_frames.label")
    ):
        print(f"({label})", file=sys.stderr)
    if args.snapshots:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            enriched = point_in_time(frame, args.snapshots)
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
        frame = bets_from_strategies(enriched, min_conviction=args.min_conviction)
        print(
            f"{frame.height:,} bets from the strategies chosen point-in-time ({path.name}, snapshots in {args.snapshots})",
            file=sys.stderr,
        )
    result = backtest(
        frame, stake=args.stake, bankroll=args.bankroll, unit=args.unit, by=args.by or None
    )
    if args.output:
        result.bets.write_parquet(args.output)
    if args.format == "table":
        print(result)
    else:
        emit(result.groups if args.by else result.summary, args.format, None)
    return 0


def _key_value(text: str) -> tuple[str, object]:
    import json

    key, sep, value = text.partition("=")
    if not sep or not key:
        msg = f"--context takes KEY=VALUE, got {text!r}."
        raise ValueError(msg)
    try:  # numbers and booleans as JSON; anything else as text
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key, parsed if isinstance(parsed, bool | int | float) else value
