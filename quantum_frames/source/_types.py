"""PostgreSQL types → lossless Polars types: how each column is selected and typed back.

connectorx fetches most types natively; some it cannot carry (JSON, NUMERIC, ranges …) travel
as text and are typed back here. Some values of the native types break connectorx or come out
wrong: ``'infinity'`` in dates and timestamps (chrono's years ±262143 instead), dates and
timestamps past chrono's range (the whole read fails), arrays of two or more dimensions (the
read fails) and arrays whose lower bound is not 1 (the bounds are dropped). Such values are
*guarded* in the query: the native column gets NULL there and a flag column says so, and a
table with a flagged column is read again with that column as PostgreSQL's own text — the
column is kept exactly, as text, and reported (:class:`ColumnKeptAsTextWarning`).

NUMERIC gets one dtype per column chosen from the catalog: ``numeric(p, s)`` with at most 38
digits → ``Decimal`` (scale above precision, or negative, widened to the smallest Decimal that
holds every value the column allows); unconstrained ``numeric`` and ``numeric(p, s)`` beyond 38
digits → String (PostgreSQL's exact text; Polars has no type for arbitrary precision). A
``numeric(p, s)`` column holding ``NaN`` stays text too, reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import polars as pl

from quantum_frames._sql import quote_ident

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ColumnKeptAsTextWarning",
    "TextNote",
    "decimal_dtype",
    "guard_sql",
    "numeric_back",
]

# PostgreSQL types connectorx fetches into Arrow faithfully (checked against 0.4.6), given the
# guards below for the date/time and array types.
NATIVE_TYPES: Final = frozenset(
    {
        "bool", "int2", "int4", "int8", "float4", "float8", "text", "varchar", "bpchar",
        "name", "date", "timestamp", "timestamptz", "uuid", "bytea",
        "_bool", "_int2", "_int4", "_int8", "_float4", "_float8", "_text", "_varchar",
    }
)  # fmt: skip
_TIME_TYPES: Final = frozenset({"date", "timestamp", "timestamptz"})
_NUMERIC_TYPMOD = re.compile(r"numeric\((\d+),(-?\d+)\)")
DECIMAL_MAX_PRECISION: Final = 38
#: The latest date/timestamp read natively: chrono (inside connectorx) stops at year 262143.
_TIME_LIMIT: Final = "262000-01-01"


class ColumnKeptAsTextWarning(UserWarning):
    """A column held values no Polars type carries exactly; it was kept as PostgreSQL's text."""


@dataclass(frozen=True)
class TextNote:
    """One column kept as text: which, why, and how many values made it so."""

    table: str
    column: str
    type_sql: str
    reason: str
    rows: int

    def describe(self) -> str:
        """One line naming the table, the column, its type and why it is text.

        Returns:
            e.g. ``quantum.team_quantum_dna_v3.founded (date): 2 row(s) hold 'infinity' …``.
        """
        return f"{self.table}.{self.column} ({self.type_sql}): {self.rows} row(s) {self.reason}"


def guard_sql(name: str, type_name: str) -> str | None:
    """The condition under which connectorx reads ``name`` of ``type_name`` exactly.

    Args:
        name: the column name (quoted here).
        type_name: ``pg_type.typname`` of the column.

    Returns:
        An SQL boolean expression true (or NULL, for a NULL value) where the native read is
        exact; None when every value of the type is read exactly.
    """
    ident = quote_ident(name)
    if type_name in _TIME_TYPES:
        return f"(isfinite({ident}) AND {ident} < '{_TIME_LIMIT}')"
    if type_name.startswith("_"):
        return (
            f"({ident} IS NULL OR cardinality({ident}) = 0 OR "
            f"(array_ndims({ident}) = 1 AND array_lower({ident}, 1) = 1))"
        )
    return None


def guard_reason(type_name: str) -> str:
    """Why a guarded value of ``type_name`` is kept as text (for :class:`TextNote`).

    Args:
        type_name: ``pg_type.typname`` of the column.

    Returns:
        A phrase completing "N row(s) …".
    """
    if type_name in _TIME_TYPES:
        return "hold 'infinity', '-infinity' or a year past 262000, which no Polars type holds"
    return "hold arrays of several dimensions or with a lower bound other than 1"


def decimal_dtype(type_sql: str) -> pl.Decimal | None:
    """The Decimal dtype for a declared ``numeric(p, s)``; None when it must stay text.

    Args:
        type_sql: ``format_type()`` of the column, e.g. ``numeric(10,2)``.

    Returns:
        ``pl.Decimal`` holding every value the column allows (``numeric(3,5)`` →
        ``Decimal(5, 5)``, ``numeric(3,-2)`` → ``Decimal(5, 0)``), or None for unconstrained
        NUMERIC and declarations beyond 38 digits.

    Examples:
        >>> decimal_dtype("numeric(3,5)")
        Decimal(precision=5, scale=5)
        >>> decimal_dtype("numeric") is None
        True
    """
    declared = _NUMERIC_TYPMOD.fullmatch(type_sql.replace(" ", ""))
    if not declared:
        return None
    precision, scale = int(declared[1]), int(declared[2])
    if scale < 0:  # numeric(3,-2) holds 12300: five digits, none after the point
        precision, scale = precision - scale, 0
    precision = max(precision, scale)  # numeric(3,5) holds 0.00123: five digits after the point
    if precision > DECIMAL_MAX_PRECISION:
        return None
    return pl.Decimal(precision, scale)


def numeric_back(text: pl.Series, type_sql: str) -> tuple[pl.Series, int]:
    """NUMERIC text → the column's catalog dtype.

    Args:
        text: the column as PostgreSQL's text.
        type_sql: ``format_type()`` of the column.

    Returns:
        The typed column, and how many values kept it text although the catalog chose Decimal
        (``NaN``; 0 when it is typed).
    """
    dtype = decimal_dtype(type_sql)
    if dtype is None:
        return text, 0
    odd = int(text.str.contains(r"[^0-9.\-]").sum())
    if odd:
        return text, odd
    return text.cast(dtype), 0


def flag_names(taken: Sequence[str], count: int) -> list[str]:
    """``count`` names for flag columns that clash with no column in ``taken``.

    Args:
        taken: the table's column names.
        count: how many flag columns are needed.

    Returns:
        The names, in order.
    """
    prefix = "__qf_guard_"
    while any(name.startswith(prefix) for name in taken):
        prefix = "_" + prefix
    return [f"{prefix}{i}" for i in range(count)]
