"""``quantum-frames history append|list|changes``: Delta Lake histories from the command line."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from quantum_frames.cli._render import FORMATS, emit

if TYPE_CHECKING:
    import argparse

    from quantum_frames.frames import QuantumFrames
    from quantum_frames.history._drift import Contract

__all__ = ["add_parser", "is_history", "read", "run"]


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the ``history`` command and its subcommands to ``sub``.

    Args:
        sub: the subparsers of the ``quantum-frames`` parser.
        common: the options every command takes (``--debug``).
    """
    history = sub.add_parser(
        "history", parents=[common], help="Delta Lake histories: append, list, changes"
    )
    history.set_defaults(run=run)
    verbs = history.add_subparsers(dest="history_command", required=True, metavar="VERB")

    append = verbs.add_parser(
        "append", parents=[common], help="load from PostgreSQL and append one moment"
    )
    append.add_argument("--dsn", help="PostgreSQL DSN (default: env QF_DSN; password: PGPASSWORD)")
    append.add_argument("--schema", default="quantum", help="schema of the V3 tables")
    append.add_argument("--to", required=True, metavar="PATH", help="the history folder")
    append.add_argument("--as-of", help="the moment the data describes (default: now)")
    append.add_argument(
        "--contract",
        action="append",
        default=[],
        metavar="freeze|evolve|TABLE=freeze",
        help="refuse a moment whose shape changed (all tables, or one; repeatable)",
    )

    listing = verbs.add_parser("list", parents=[common], help="the moments of a history")
    listing.add_argument("path", help="the history folder")
    listing.add_argument("--format", choices=FORMATS, default="table", help="output format")
    listing.add_argument("--output", "-o", help="write to this file instead of standard output")

    changes = verbs.add_parser(
        "changes", parents=[common], help="the keys inserted, updated, deleted"
    )
    changes.add_argument("path", help="the history folder")
    changes.add_argument("--since", help="only moments after this date or date-time")
    changes.add_argument("--until", help="only moments at or before this date or date-time")
    changes.add_argument("--format", choices=FORMATS, default="table", help="output format")
    changes.add_argument("--output", "-o", help="write to this file instead of standard output")


def is_history(path: str) -> bool:
    """Whether ``--snapshot PATH`` names a history rather than snapshots.

    Args:
        path: the path given.

    Returns:
        True for a history folder.
    """
    from quantum_frames.history import is_history as check

    return check(path)


def read(path: str, *, as_of: str | None) -> QuantumFrames:
    """The moment of the history at ``path`` that ``--as-of`` picks (default: the newest).

    Args:
        path: the history folder.
        as_of: the date given, or None.

    Returns:
        The frames of that moment.
    """
    from quantum_frames.history import read_history

    return read_history(path, as_of=as_of)


def run(args: argparse.Namespace) -> int:
    """Run a ``history`` subcommand; returns the exit code.

    Args:
        args: the parsed command line.

    Returns:
        0 on success.

    Raises:
        QuantumFramesError: whatever the history functions raise (the CLI shows one line).
    """
    from quantum_frames.history import changes, list_history, write_history

    if args.history_command == "append":
        from quantum_frames.readers import read_postgres

        def say(line: str) -> None:
            print(f"  {line}", file=sys.stderr)

        contract = _contract(args.contract)  # checked before the load
        q = read_postgres(args.dsn, schema=args.schema, progress=say)
        print(write_history(q, args.to, as_of=args.as_of, contract=contract))
        return 0
    if args.history_command == "list":
        emit(list_history(args.path), args.format, args.output)
        return 0
    emit(changes(args.path, since=args.since, until=args.until), args.format, args.output)
    return 0


def _contract(values: list[str]) -> Contract:
    """``--contract`` values as a contract: ``freeze``/``evolve``, or ``TABLE=MODE`` pairs."""
    from quantum_frames.errors import InvalidArgumentError
    from quantum_frames.history._drift import frozen_tables

    if not values:
        return "evolve"
    if len(values) == 1 and "=" not in values[0]:
        mode = values[0]
        frozen_tables(mode)  # type: ignore[arg-type]  # refuses an unknown mode
        return mode  # type: ignore[return-value]
    pairs = {}
    for value in values:
        table, sep, mode = value.partition("=")
        if not sep:
            msg = (
                f"--contract {value!r}: give one mode (freeze, evolve) or TABLE=MODE pairs, e.g. "
                "--contract teams=freeze."
            )
            raise InvalidArgumentError(msg, argument="--contract")
        pairs[table] = mode
    frozen_tables(pairs)  # type: ignore[arg-type]  # refuses unknown tables and modes
    return pairs  # type: ignore[return-value]
