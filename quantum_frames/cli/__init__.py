"""The ``quantum-frames`` command line: parse, call the public API, print.

This is the one place that turns a :class:`QuantumFramesError` into a one-line message and a
non-zero exit code (no traceback unless ``--debug``).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import warnings
from typing import TYPE_CHECKING, Any

import polars as pl

from quantum_frames._version import __version__
from quantum_frames.cli import _history
from quantum_frames.cli._render import FORMATS, emit, plain, snapshot_info, summary
from quantum_frames.errors import (
    Advice,
    InvalidArgumentError,
    Message,
    MissingColumnError,
    Named,
    QuantumFramesError,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from quantum_frames.frames import QuantumFrames

__all__ = ["cli_message", "main", "snapshot_info", "summary"]

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUG = 70  # EX_SOFTWARE: an internal error
_SHOWN = (
    "team_name",
    "league",
    "tier",
    "tier_rank",
    "current_style",
    "roi",
    "narrative_fingerprint_tags",
)


#: Python keyword arguments → the CLI flag that sets them, for hints in CLI words.
_FLAGS: dict[str, str] = {
    "overwrite": "--overwrite",
    "replace": "--replace",
    "strict": "--strict",
    "dsn": "--dsn",
    "schema": "--schema",
    "separator": "--separator",
    "threshold": "--threshold",
    "min_conviction": "--min-conviction",
    "as_of": "--as-of",
    "partition_by": "--partition-by",
    "tiers": "--tier",
    "leagues": "--league",
    "tags": "--tag",
    "match": "--match",
    "columns": "--columns",
    "context": "--context",
    "query": "QUERY",
    "home": "HOME",
    "away": "AWAY",
    "team": "TEAM",
    "bets": "BETS",
    "allow_files": "--allow-files",
    "scale": "--scale",
    "season": "--season",
    "consistent": "--consistent",
}


def _flag(argument: str) -> str | None:
    return _FLAGS.get(argument)


def _advise(advice: Advice) -> str:
    """An :class:`Advice` in CLI words.

    ``overwrite=True`` → ``use --overwrite``; a :class:`Named` argument ``columns='x'`` →
    ``--columns x``.
    """
    flag = _flag(advice.argument)
    if flag is None:
        return str(advice)
    if isinstance(advice, Named):
        value = (advice.value or "").strip(chr(39))
        return f"{flag} {value}" if flag.startswith("--") else value
    if advice.value == "True":
        return f"use {flag}"
    if advice.value == "False":
        return f"use --no-{flag.removeprefix('--')}"
    if advice.value is None:
        return f"use {flag} …"
    return f"use {flag} {advice.value.strip(chr(39))}"


def cli_message(exc: QuantumFramesError) -> str:
    """The error's message in CLI words, advice rendered as flags.

    When the error names a Python argument the CLI sets by a flag, that flag goes in front.

    Args:
        exc: the error.

    Returns:
        One line.
    """
    text = exc.args[0] if exc.args else ""
    msg = text.render(_advise) if isinstance(text, Message) else str(exc)
    argument = getattr(exc, "argument", None)
    flag = _flag(argument) if isinstance(argument, str) else None
    if flag and flag.startswith("--") and not msg.startswith(flag):
        msg = f"{flag}: {msg}"
    return " ".join(msg.split())  # one line, always


def _parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``argv`` naming a command, only that command's parser.

    Building every subcommand's parser takes ~10 ms of a command's ~60 ms; the arguments of one
    command parse (and fail, and print ``--help``) the same with or without the others. Without
    a known command (``--help``, a typo) every command is built, so the choices are listed.
    """
    common = argparse.ArgumentParser(add_help=False)
    # --debug before or after the subcommand: the subcommand's default must not overwrite
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    parser = argparse.ArgumentParser(
        prog="quantum-frames",
        description="The V3 team-intelligence tables as flattened Polars frames.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {
        "load": _add_load, "snapshot": _add_snapshot, "info": _add_info, "teams": _add_teams,
        "friction": _add_friction, "matchups": _add_matchups, "strategy": _add_strategy,
        "sql": _add_sql, "backtest": _add_backtest, "seed-db": _add_seed_db,
        "history": _history.add_parser,
    }  # fmt: skip
    # the shortcut only for COMMAND or --debug COMMAND: -h, --version, "-", "--" or anything else
    # before the command are the top-level parser's to read, with every command built
    lead = list(itertools.takewhile(lambda a: a == "--debug", argv or ()))
    named = (argv or [])[len(lead)] if argv and len(lead) < len(argv) else None
    for add in [commands[named]] if named in commands else commands.values():
        add(sub, common)
    return parser


def _source_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dsn", help="PostgreSQL DSN (default: env QF_DSN; password: PGPASSWORD)")
    p.add_argument("--schema", default="quantum", help="schema of the V3 tables")


def _read_args(p: argparse.ArgumentParser, *, season_help: str | None = None) -> None:
    """--season and --no-consistent: how PostgreSQL is read (read_postgres's options)."""
    p.add_argument(
        "--season",
        help=season_help or "load only this season of the friction table (with PostgreSQL)",
    )
    p.add_argument(
        "--no-consistent",
        dest="consistent",
        action="store_false",
        help="read each table on its own instead of in one database snapshot (for servers "
        "that cannot export snapshots, e.g. behind a transaction pooler)",
    )


def _data_args(p: argparse.ArgumentParser, *, season_help: str | None = None) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dsn", help="read PostgreSQL (default: env QF_DSN)")
    where.add_argument(
        "--snapshot", help="read a snapshot directory (or a folder, or a history: the newest)"
    )
    p.add_argument("--as-of", help="with --snapshot: the newest at or before this date")
    p.add_argument("--schema", default="quantum", help="schema of the V3 tables (with --dsn)")
    _read_args(p, season_help=season_help)
    p.add_argument("--format", choices=FORMATS, default="table", help="output format")
    p.add_argument("--output", "-o", help="write to this file instead of standard output")


def _add_load(sub: Any, common: argparse.ArgumentParser) -> None:
    load = sub.add_parser(
        "load", parents=[common], help="load the tables from PostgreSQL and print a summary"
    )
    _source_args(load)
    _read_args(load)
    load.add_argument("--separator", default=".", help="flat column name separator")
    load.add_argument("--team", help="the team shown in the summary (name, alias or id)")
    load.set_defaults(run=_load_cmd)


def _add_snapshot(sub: Any, common: argparse.ArgumentParser) -> None:
    snap = sub.add_parser(
        "snapshot", parents=[common], help="load from PostgreSQL and write a snapshot directory"
    )
    _source_args(snap)
    _read_args(snap)
    snap.add_argument("--out", required=True, help="the snapshot directory to create")
    snap.add_argument("--as-of", help="the date the data describes (default: now)")
    snap.add_argument("--partition-by", help="Hive-partition the flat tables on this column")
    snap.add_argument("--overwrite", action="store_true", help="replace an existing snapshot")
    snap.set_defaults(run=_snapshot_cmd)


def _add_info(sub: Any, common: argparse.ArgumentParser) -> None:
    info = sub.add_parser(
        "info", parents=[common], help="describe a snapshot (or a folder of them)"
    )
    info.add_argument("path", help="a snapshot directory or a folder of snapshots")
    info.add_argument("--no-verify", action="store_true", help="skip the checksum verification")
    info.set_defaults(run=_info_cmd)


def _add_teams(sub: Any, common: argparse.ArgumentParser) -> None:
    teams = sub.add_parser(
        "teams", parents=[common], help="list teams, filtered by tier, league and tags"
    )
    _data_args(teams)
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
    teams.add_argument(
        "--no-strict",
        dest="strict",
        action="store_false",
        help="filter on a --tag no team carries (default: an error with close matches)",
    )
    teams.add_argument("--columns", help="comma-separated columns to show")
    teams.set_defaults(run=_teams_cmd)


def _add_friction(sub: Any, common: argparse.ArgumentParser) -> None:
    fr = sub.add_parser(
        "friction",
        parents=[common],
        help="the friction score of one directional pair (exit 1 when the pair has no row)",
    )
    _data_args(
        fr,
        season_help="the friction season to look in (default: the pair's newest); with "
        "PostgreSQL only that season is loaded",
    )
    fr.add_argument("home", help="home team: name, alias or team_id")
    fr.add_argument("away", help="away team: name, alias or team_id")
    fr.set_defaults(run=_friction_cmd)


def _add_matchups(sub: Any, common: argparse.ArgumentParser) -> None:
    mu = sub.add_parser(
        "matchups", parents=[common], help="pairs with friction_score at or above a threshold"
    )
    _data_args(mu)
    mu.add_argument("--threshold", type=float, default=0.7, help="0–1 (default 0.7)")
    mu.set_defaults(run=_matchups_cmd)


def _add_strategy(sub: Any, common: argparse.ArgumentParser) -> None:
    st = sub.add_parser(
        "strategy", parents=[common], help="the best strategy of a team for a context"
    )
    _data_args(st)
    st.add_argument("team", help="name, alias or team_id")
    st.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a context value (repeatable)",
    )
    st.add_argument(
        "--strict",
        action="store_true",
        help="refuse a context key or value no strategy filter uses (default: a warning)",
    )
    st.set_defaults(run=_strategy_cmd)


def _add_sql(sub: Any, common: argparse.ArgumentParser) -> None:
    sq = sub.add_parser(
        "sql",
        parents=[common],
        help="DuckDB SQL over teams, friction, strategies (and raw_*); no file access",
    )
    _data_args(sq)
    sq.add_argument("query")
    sq.add_argument(
        "--allow-files",
        action="store_true",
        help="let the query read and write files (read_csv, COPY … TO, ATTACH)",
    )
    sq.set_defaults(run=_sql_cmd)


def _add_backtest(sub: Any, common: argparse.ArgumentParser) -> None:
    bt = sub.add_parser(
        "backtest",
        parents=[common],
        help="backtest a file of bets (or of fixtures, with --snapshots)",
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
    bt.add_argument(
        "--bootstrap", type=int, default=0, metavar="N",
        help="add confidence intervals from N bootstrap resamples of whole dates (e.g. 10000)",
    )  # fmt: skip
    bt.add_argument("--seed", type=int, default=0, help="random seed of --bootstrap")
    bt.add_argument(
        "--margin", choices=("multiplicative", "power", "shin", "none"), default="multiplicative",
        help="remove the margin from closing odds of every outcome for CLV (none: raw CLV)",
    )  # fmt: skip
    bt.add_argument(
        "--by-period", choices=("month", "week", "season"),
        help="also print the metrics per period and the share of profitable periods",
    )  # fmt: skip
    bt.set_defaults(run=_backtest)


def _add_seed_db(sub: Any, common: argparse.ArgumentParser) -> None:
    seed = sub.add_parser(
        "seed-db",
        parents=[common],
        help="create the V3 tables and fill them with synthetic data",
    )
    _source_args(seed)
    seed.add_argument("--scale", type=int, default=1, help="copies of the 96 teams (default 1)")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    seed.add_argument("--replace", action="store_true", help="drop existing V3 tables first")
    seed.set_defaults(run=_seed_db_cmd)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    An error of quantum_frames is one line on standard error and exit code 1; anything
    else is a bug: one line saying so and exit code 70. A traceback only with ``--debug``.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(argv).parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                return int(args.run(args))
            finally:
                for w in caught:  # a warning is one line too
                    print(
                        f"quantum-frames: warning: {' '.join(str(w.message).split())}",
                        file=sys.stderr,
                    )
    except QuantumFramesError as exc:
        if args.debug:
            raise
        print(f"quantum-frames: error: {cli_message(exc)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("quantum-frames: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user error: still no traceback without --debug
        if args.debug:
            raise
        detail = " ".join(str(exc).split())[:300]
        print(
            f"quantum-frames: internal error ({type(exc).__name__}: {detail}). "
            "Hint: rerun with --debug for the traceback, and report it.",
            file=sys.stderr,
        )
        return EXIT_BUG


def _load_cmd(args: argparse.Namespace) -> int:
    from quantum_frames.readers import read_postgres

    q = read_postgres(
        args.dsn,
        schema=args.schema,
        separator=args.separator,
        season=args.season,
        consistent=args.consistent,
    )
    team: str | int | None = args.team
    if isinstance(team, str) and team.isdigit():
        team = int(team)
    print(summary(q, team=team))
    return 0


def _snapshot_cmd(args: argparse.Namespace) -> int:
    from quantum_frames.readers import read_postgres
    from quantum_frames.snapshots.manifest import parse_when
    from quantum_frames.snapshots.writer import check_target

    def say(line: str) -> None:
        print(f"  {line}", file=sys.stderr)

    # what can be checked without the data is checked before the (long) load
    if args.as_of is not None:
        parse_when(args.as_of)
    check_target(args.out, overwrite=args.overwrite)
    q = read_postgres(
        args.dsn,
        schema=args.schema,
        season=args.season,
        consistent=args.consistent,
        progress=say,
    )
    path = q.write_snapshot(
        args.out,
        as_of=args.as_of,
        overwrite=args.overwrite,
        partition_by=args.partition_by,
    )
    print(f"wrote snapshot {path}")
    return 0


def _info_cmd(args: argparse.Namespace) -> int:
    print(snapshot_info(args.path, verify=not args.no_verify))
    return 0


def _seed_db_cmd(args: argparse.Namespace) -> int:
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


def _load(args: argparse.Namespace) -> QuantumFrames:
    import os

    from quantum_frames.readers import read_postgres, sample
    from quantum_frames.snapshots.reader import read_snapshot

    postgres = not args.snapshot and bool(args.dsn or os.environ.get("QF_DSN"))
    if not postgres:
        _refuse_read_options(args, "a snapshot" if args.snapshot else "the bundled sample")
    if args.snapshot:
        if _history.is_history(args.snapshot):
            return _history.read(args.snapshot, as_of=args.as_of)
        return read_snapshot(args.snapshot, as_of=args.as_of)
    if postgres:
        return read_postgres(
            args.dsn, schema=args.schema, season=args.season, consistent=args.consistent
        )
    print(
        "(using the bundled SYNTHETIC sample; pass --dsn or --snapshot for real data)",
        file=sys.stderr,
    )
    return sample()


def _refuse_read_options(args: argparse.Namespace, source: str) -> None:
    """--season and --no-consistent say how PostgreSQL is read: never ignored silently."""
    if args.season is not None and args.command != "friction":  # friction: the lookup season
        msg = (
            f"--season {args.season} selects the friction season read from PostgreSQL, but "
            f"this command reads {source}. Hint: pass --dsn (or set QF_DSN), or drop --season."
        )
        raise InvalidArgumentError(msg)
    if not args.consistent:
        msg = (
            f"--no-consistent says how PostgreSQL is read, but this command reads {source}. "
            "Hint: pass --dsn (or set QF_DSN), or drop --no-consistent."
        )
        raise InvalidArgumentError(msg)


def _team_arg(text: str) -> str | int:
    """A team on the command line: digits are a team_id, anything else a name."""
    return int(text) if text.isdigit() else text


def _teams_cmd(args: argparse.Namespace) -> int:
    from quantum_frames.ops import tags, tiers

    q = _load(args)
    df = q.teams
    if args.tier:
        df = tiers.teams_in_tier(df, args.tier)
    if args.league:
        df = tiers.teams_in_league(df, args.league)
    if args.tag:
        df = tags.teams_with_tags(df, args.tag, match=args.match, strict=args.strict)
    cols = (
        [c.strip() for c in args.columns.split(",")]
        if args.columns
        else [c for c in _SHOWN if c in df.columns]
    )
    missing = [c for c in cols if c not in df.columns]
    if missing:
        err = MissingColumnError.in_frame("teams", missing, df.columns, argument="columns")
        raise err
    emit(df.select(cols), args.format, args.output)
    return 0


def _friction_cmd(args: argparse.Namespace) -> int:
    q = _load(args)
    home, away = _team_arg(args.home), _team_arg(args.away)
    score = q.friction(home, away, season=args.season)
    if score is None:
        where = f" in season {args.season}" if args.season else ""
        print(
            f"quantum-frames: no friction for {args.home} → {args.away}{where}: the friction "
            "table has no row (or a NULL score) for that directional pair. Hint: pairs are "
            "directional; try the other order, or `quantum-frames matchups`.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    emit(
        pl.DataFrame(
            {"home": [args.home], "away": [args.away], "friction_score": [score]}
            | ({"season": [args.season]} if args.season else {})
        ),
        args.format,
        args.output,
    )
    return 0


def _matchups_cmd(args: argparse.Namespace) -> int:
    q = _load(args)
    cols = ["team_home_name", "team_away_name", "league", "friction_score", "friction_level"]
    out = q.high_friction_matchups(args.threshold)
    emit(out.select([c for c in cols if c in out.columns]), args.format, args.output)
    return 0


def _strategy_cmd(args: argparse.Namespace) -> int:
    q = _load(args)
    context = dict(_key_value(kv) for kv in args.context)
    chosen = q.best_strategy(_team_arg(args.team), context, strict=args.strict)
    if chosen is None:
        print(
            f"quantum-frames: no active strategy of {args.team!r} matches "
            f"{context or 'the empty context'}.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    emit(pl.DataFrame([{k: plain(v) for k, v in chosen.items()}]), args.format, args.output)
    return 0


def _sql_cmd(args: argparse.Namespace) -> int:
    q = _load(args)
    emit(q.sql(args.query, allow_files=args.allow_files), args.format, args.output)
    return 0


def _backtest(args: argparse.Namespace) -> int:
    import warnings
    from pathlib import Path

    from quantum_frames.backtesting import backtest, bets_from_strategies
    from quantum_frames.backtesting.point_in_time import point_in_time

    path = Path(args.bets)
    if not path.is_file():
        msg = f"{path} is not a file. Hint: pass a CSV or Parquet file of bets (or fixtures)."
        raise InvalidArgumentError(msg, argument="bets")
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
            f"{frame.height:,} bets from the strategies chosen point-in-time ({path.name}, "
            f"snapshots in {args.snapshots})",
            file=sys.stderr,
        )
    if frame.is_empty():
        why = " (no strategy reached --min-conviction)" if args.snapshots else ""
        print(f"note: no bets to backtest{why}; the summary is empty.", file=sys.stderr)
    result = backtest(
        frame,
        stake=args.stake,
        bankroll=args.bankroll,
        unit=args.unit,
        by=args.by or None,
        bootstrap=args.bootstrap,
        seed=args.seed,
        margin=None if args.margin == "none" else args.margin,
    )
    if args.output:
        result.bets.write_parquet(args.output)
    periods = result.by_period(args.by_period) if args.by_period else None
    if args.format == "table":
        print(result)
        if periods is not None:
            print(f"\n{periods!r}")
    elif periods is not None:
        emit(periods.table, args.format, None)
    else:
        emit(result.groups if args.by else result.summary, args.format, None)
    return 0


def _key_value(text: str) -> tuple[str, object]:
    import json

    key, sep, value = text.partition("=")
    if not sep or not key:
        msg = f"--context takes KEY=VALUE, got {text!r}. Hint: e.g. --context venue=home."
        raise InvalidArgumentError(msg)
    try:  # numbers and booleans as JSON; anything else as text
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key, parsed if isinstance(parsed, bool | int | float) else value
