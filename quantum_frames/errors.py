"""The error family of quantum_frames.

Every error raised on purpose derives from :class:`QuantumFramesError`, carries structured
attributes (table, column, path, team …) and a message that ends in what to do next.
Where a builtin fits, the error also derives from it (``UnknownTeamError`` is a ``KeyError``),
so ``except KeyError`` keeps working for callers that know nothing of quantum_frames.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "FlattenCollisionError",
    "FlattenError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "ManifestError",
    "MissingColumnError",
    "MissingTableError",
    "QuantumFramesError",
    "SchemaError",
    "SnapshotError",
    "SourceError",
    "SqlError",
    "UnknownNameError",
    "UnknownTeamError",
]


class QuantumFramesError(Exception):
    """Root of every error quantum_frames raises on purpose."""


class InvalidArgumentError(QuantumFramesError, ValueError):
    """An argument has a value the call cannot use.

    Attributes:
        argument: the argument's name, as the caller wrote it.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class InvalidArgumentTypeError(QuantumFramesError, TypeError):
    """An argument has a type the call cannot use.

    Attributes:
        argument: the argument's name, as the caller wrote it.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class SourceError(QuantumFramesError, ConnectionError):
    """The source database could not be reached or read.

    Attributes:
        target: where the failure happened, ``host:port/database`` (never a password).
        retryable: True when trying again may succeed (refused, reset, timed out); a wrong
            password, a missing database or a bad query is not.
    """

    def __init__(self, message: str, *, target: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.target = target
        self.retryable = retryable


class SchemaError(QuantumFramesError, LookupError):
    """The source does not hold the tables or columns quantum_frames needs."""


class MissingTableError(SchemaError):
    """A required table is not in the schema.

    Attributes:
        schema: the schema that was searched.
        tables: the missing table names.
    """

    def __init__(self, schema: str, tables: Sequence[str], *, available: Sequence[str]) -> None:
        self.schema = schema
        self.tables = tuple(tables)
        listed = ", ".join(available) if available else "none"
        msg = (
            f"schema {schema!r} has no table {', '.join(map(repr, self.tables))}. "
            f"Tables found there: {listed}. "
            "Hint: pass schema=… (or --schema) naming the schema that holds the V3 tables, "
            "or create them with `quantum-frames seed-db`."
        )
        super().__init__(msg)


class MissingColumnError(SchemaError):
    """A required column is missing from a table.

    Attributes:
        table: the table (``schema.table``) that lacks columns.
        columns: the missing column names.
    """

    def __init__(self, table: str, columns: Sequence[str]) -> None:
        self.table = table
        self.columns = tuple(columns)
        msg = (
            f"table {table} lacks the required column(s) {', '.join(map(repr, self.columns))}. "
            "Hint: quantum_frames needs only these key columns (SPEC §2.4); check that the "
            "schema holds the V3 tables, or rename the columns in a view and load that."
        )
        super().__init__(msg)


class FlattenError(QuantumFramesError, ValueError):
    """JSON could not be flattened.

    Attributes:
        column: the source column.
    """

    def __init__(self, message: str, *, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


class FlattenCollisionError(FlattenError):
    """Two different JSON paths would produce the same flat column name.

    Attributes:
        column: the source column.
        paths: the two colliding JSON paths (each a tuple of keys).
        name: the flat column name both would produce.
    """

    def __init__(
        self, *, column: str, name: str, paths: tuple[tuple[str, ...], tuple[str, ...]]
    ) -> None:
        self.name = name
        self.paths = paths
        first, second = (_render_path(p) for p in paths)
        msg = (
            f"flattening column {column!r}: JSON paths {first} and {second} would both become "
            f"column {name!r}. Nothing was merged. Hint: pass another separator "
            "(e.g. separator='__' or '/') that does not occur in the keys."
        )
        super().__init__(msg, column=column)


class SnapshotError(QuantumFramesError, OSError):
    """A snapshot is missing, damaged, incomplete, or cannot be written as asked.

    Attributes:
        path: the file or directory that is wrong.
    """

    def __init__(self, message: str, *, path: object = None) -> None:
        super().__init__(message)
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class ManifestError(SnapshotError):
    """A snapshot's ``manifest.json`` is malformed: a field is missing, of the wrong type, or
    the content does not match its own digest.

    Attributes:
        path: the manifest file.
        field: the dotted name of the field that is wrong (``tables.teams.rows``; empty when
            the whole document is wrong, e.g. nested too deep).
    """

    def __init__(self, message: str, *, path: object = None, field: str = "") -> None:
        super().__init__(message, path=path)
        self.field = field


class SqlError(QuantumFramesError, ValueError):
    """DuckDB could not run a query over the frames.

    Attributes:
        query: the query text.
    """

    def __init__(self, message: str, *, query: str) -> None:
        super().__init__(message)
        self.query = query


class UnknownNameError(QuantumFramesError, KeyError):
    """A name (team, tag, league, tier) that the data does not hold.

    Attributes:
        kind: what was looked up ("team", "tag", "league", "tier").
        name: the name as given.
        suggestions: the closest names the data holds.
    """

    def __init__(self, kind: str, name: str, suggestions: Sequence[str], *, hint: str = "") -> None:
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            close = ", ".join(map(repr, self.suggestions))
            msg = f"unknown {kind} {name!r}. Hint: did you mean one of these: {close}?"
        else:
            msg = f"unknown {kind} {name!r} (nothing close to it)."
        if hint:
            msg += f" {hint}"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class UnknownTeamError(UnknownNameError):
    """A team name that matches no team, even ignoring case and accents."""

    def __init__(self, name: str, suggestions: Sequence[str]) -> None:
        super().__init__("team", name, suggestions)
        self.team = name


def _render_path(path: Sequence[str]) -> str:
    return "$" + "".join(f"[{key!r}]" for key in path)
