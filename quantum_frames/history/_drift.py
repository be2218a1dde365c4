"""Drift between the shapes of two moments, and the contracts that refuse it.

A shape is, per flat table, each column's dtype and type conflict (the flatten report's
``conflict``). It is read from frames, a history's log or a snapshot's manifest — never from
the data itself, so a drift report against a large reference reads no rows.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import polars as pl

from quantum_frames.errors import HistoryContractError, InvalidArgumentError
from quantum_frames.history._log import FLAT_TABLES, Moment, is_history, load_moments

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames

__all__ = [
    "DRIFT_SCHEMA",
    "Contract",
    "check_contract",
    "drift",
    "drift_report",
    "frozen_tables",
    "shape_of",
]

#: ``{table: {column: (dtype, conflict)}}``, columns in frame order.
Shape = dict[str, dict[str, tuple[str, str | None]]]
Contract = Literal["evolve", "freeze"] | Mapping[str, Literal["evolve", "freeze"]]

#: The drift report: one row per new, removed or retyped column, or new type conflict.
DRIFT_SCHEMA: Final = pl.Schema(
    {
        "table": pl.String(),
        "column": pl.String(),
        "change": pl.String(),
        "before": pl.String(),
        "after": pl.String(),
    }
)


def shape_of(thing: QuantumFrames | Moment | str | os.PathLike[str]) -> Shape:
    """The shape of frames, of a history moment, or of the history / snapshot at a path.

    For a history: its newest moment; for a folder of snapshots: the newest snapshot.
    """
    from quantum_frames.frames import QuantumFrames

    if isinstance(thing, QuantumFrames):
        shape: Shape = {}
        for name, frame in thing.tables():
            raw = getattr(thing.raw, name)
            report = thing.report.filter(pl.col("source").is_in(raw.columns))
            conflicts = dict(zip(report["column"], report["conflict"], strict=True))
            shape[name] = {c: (str(d), conflicts.get(c)) for c, d in frame.schema.items()}
        return shape
    if isinstance(thing, Moment):
        return {
            name: {c.name: (c.dtype, c.conflict) for c in thing.tables[name].columns}
            for name in FLAT_TABLES
        }
    if isinstance(thing, str | os.PathLike):
        path = Path(thing)
        if is_history(path):
            return shape_of(load_moments(path)[-1])
        from quantum_frames.snapshots.reader import resolve_snapshot

        tables = resolve_snapshot(path).tables
        return {
            name: {c.name: (c.dtype, c.conflict) for c in tables[name].flat.columns}
            for name in FLAT_TABLES
        }
    msg = (
        "drift needs a reference: a history or snapshot path, or QuantumFrames — got "
        f"{type(thing).__name__}. Hint: pass q.drift('path/to/history')."
    )
    raise InvalidArgumentError(msg, argument="reference")


def drift(current: Shape, reference: Shape) -> pl.DataFrame:
    """What changed from ``reference`` to ``current``, per table (:data:`DRIFT_SCHEMA`).

    Columns added, removed and retyped, and new type conflicts.
    """
    rows: list[tuple[str, str, str, str | None, str | None]] = []
    for table in FLAT_TABLES:
        now = current.get(table, {})
        before = reference.get(table, {})
        for column, (dtype, conflict) in now.items():
            if column not in before:
                rows.append((table, column, "added", None, dtype))
            else:
                old_dtype, old_conflict = before[column]
                if old_dtype != dtype:
                    rows.append((table, column, "retyped", old_dtype, dtype))
                if conflict is not None and old_conflict is None:
                    rows.append((table, column, "conflict", None, conflict))
            if column not in before and conflict is not None:
                rows.append((table, column, "conflict", None, conflict))
        rows += [(table, c, "removed", d, None) for c, (d, _) in before.items() if c not in now]
    return pl.DataFrame(rows, schema=DRIFT_SCHEMA, orient="row")


def frozen_tables(contract: Contract) -> set[str]:
    """The tables ``contract`` freezes.

    Raises:
        InvalidArgumentError: the contract is neither mode nor a mapping of tables to modes.
    """
    modes = ("evolve", "freeze")
    if isinstance(contract, str):
        if contract not in modes:
            msg = (
                f"contract={contract!r} is not a contract. Hint: pass 'evolve', 'freeze', or a "
                f"mapping such as {{'teams': 'freeze'}}."
            )
            raise InvalidArgumentError(msg, argument="contract")
        return set(FLAT_TABLES) if contract == "freeze" else set()
    if not isinstance(contract, Mapping):
        msg = (
            "contract must be 'evolve', 'freeze' or a mapping of tables to them, not "
            f"{type(contract).__name__}. Hint: contract={{'teams': 'freeze'}}."
        )
        raise InvalidArgumentError(msg, argument="contract")
    unknown = sorted(str(t) for t in contract if t not in FLAT_TABLES)
    bad = sorted(f"{t}={m!r}" for t, m in contract.items() if m not in modes)
    if unknown or bad:
        problem = f"unknown table(s) {unknown}" if unknown else f"unknown mode(s) {bad}"
        msg = (
            f"contract: {problem}. Hint: the tables are {list(FLAT_TABLES)}, the modes 'evolve' "
            "and 'freeze'."
        )
        raise InvalidArgumentError(msg, argument="contract")
    return {t for t, m in contract.items() if m == "freeze"}


def check_contract(report: pl.DataFrame, frozen: set[str], *, path: Path, against: str) -> None:
    """Refuse the moment when the drift ``report`` touches a frozen table.

    Raises:
        HistoryContractError: listing each change to a frozen table.
    """
    breaking = report.filter(pl.col("table").is_in(sorted(frozen)))
    if breaking.is_empty():
        return
    rows = [tuple(str(v) for v in r) for r in breaking.iter_rows()]
    described = [_describe(*r) for r in breaking.iter_rows()]
    shown = "; ".join(described[:40]) + (
        f"; … {len(described) - 40} more" if len(described) > 40 else ""
    )
    tables = sorted(set(breaking["table"]))
    msg = (
        f"the moment breaks the frozen shape of {', '.join(tables)} ({against}): {shown}. Nothing "
        f"was written. Hint: fix the source, or pass contract='evolve' (or {{'{tables[0]}': "
        f"'evolve'}}) to accept the new shape."
    )
    raise HistoryContractError(msg, path=path, changes=rows)


def _describe(table: str, column: str, change: str, before: str | None, after: str | None) -> str:
    if change == "added":
        return f"{table}.{column!r} added ({after})"
    if change == "removed":
        return f"{table}.{column!r} removed (was {before})"
    if change == "retyped":
        return f"{table}.{column!r} retyped {before} → {after}"
    return f"{table}.{column!r} has a new type conflict ({after})"


def drift_report(
    q: QuantumFrames, reference: QuantumFrames | str | os.PathLike[str], /
) -> pl.DataFrame:
    """What changed in the shape of ``q``'s flat tables since ``reference``.

    Args:
        q: the frames to check.
        reference: a history (its newest moment), a snapshot or a folder of them (the
            newest), or other QuantumFrames.

    Returns:
        One row per change (:data:`DRIFT_SCHEMA`): ``table``, ``column``, ``change`` (added,
        removed, retyped, conflict — a new type conflict), ``before`` and ``after`` (dtypes,
        or the conflict).

    Raises:
        InvalidArgumentError: ``reference`` is none of these.
        HistoryError, SnapshotError: the path is not a readable history or snapshot.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.drift(q).is_empty()
        True
    """
    return drift(shape_of(q), shape_of(reference))
