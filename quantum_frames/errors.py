"""The error family of quantum_frames.

Every error raised on purpose derives from :class:`QuantumFramesError`, carries structured
attributes (table, column, path, team …) and a message that ends in what to do next.
Where a builtin fits, the error also derives from it (``UnknownTeamError`` is a ``KeyError``),
so ``except KeyError`` keeps working for callers that know nothing of quantum_frames.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "FlattenCollisionError",
    "FlattenError",
    "HistoryContractError",
    "HistoryError",
    "InvalidArgumentError",
    "InvalidArgumentTypeError",
    "ManifestError",
    "MissingColumnError",
    "MissingTableError",
    "QuantumFramesError",
    "SchemaError",
    "SeedError",
    "SnapshotError",
    "SourceError",
    "SqlError",
    "UnknownNameError",
    "UnknownTeamError",
]


class Advice:
    """One piece of advice inside a message: pass an argument (with a value).

    Rendered in Python words (``pass overwrite=True``) by ``str``; the command line renders
    the same advice in its own words (``use --overwrite``) from :attr:`argument` and
    :attr:`value`, so no message is ever string-replaced.

    Attributes:
        argument: the keyword argument of the Python API.
        value: the value to pass, as Python source text (``"True"``, ``"'__'"``), or None
            to name the argument only.
    """

    __slots__ = ("argument", "value")

    def __init__(self, argument: str, value: str | None = None) -> None:
        """Advise passing ``argument`` (with ``value``, Python source text)."""
        self.argument = argument
        self.value = value

    def __str__(self) -> str:
        """The advice in Python words."""
        return f"pass {self.argument}={self.value}" if self.value else f"pass {self.argument}=…"

    def __repr__(self) -> str:
        """The advice as a constructor call."""
        return f"Advice({self.argument!r}, {self.value!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (slots)."""
        return (Advice, (self.argument, self.value))


class Named(Advice):
    """An argument and the value the caller gave it, inside a message.

    ``home='h'`` in Python words, ``--home h`` (its flag and value) in the command line's.
    """

    __slots__ = ()

    def __str__(self) -> str:
        """The argument in Python words."""
        return f"{self.argument}={self.value}"

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (slots)."""
        return (Named, (self.argument, self.value))


class Message(str):
    """A message (a plain ``str`` in Python words) that remembers its parts.

    The command line uses them to render the :class:`Advice` among them in CLI words.
    """

    parts: tuple[str | Advice, ...]

    def __new__(cls, parts: Iterable[str | Advice]) -> Message:
        """Join ``parts``; :class:`Advice` rendered in Python words."""
        kept = tuple(parts)
        out = super().__new__(cls, "".join(map(str, kept)))
        out.parts = kept
        return out

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support: rebuilt from the parts."""
        return (Message, (self.parts,))

    def render(self, advise: Any) -> str:
        """The message with each :class:`Advice` rendered by ``advise(advice) -> str``."""
        return "".join(advise(p) if isinstance(p, Advice) else p for p in self.parts)


def said(*parts: str | Advice) -> Message:
    """A message made of text and :class:`Advice`.

    Examples:
        >>> str(said("it exists. Hint: ", Advice("overwrite", "True"), " to replace it."))
        'it exists. Hint: pass overwrite=True to replace it.'
    """
    return Message(parts)


class QuantumFramesError(Exception):
    """Root of every error quantum_frames raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support for every subclass, whatever its constructor takes."""
        return (_rebuild, (type(self), self.args, self.__dict__))


class _ArgumentError(QuantumFramesError):
    """An argument the call cannot use (the two public kinds below share this constructor).

    Attributes:
        argument: the argument's name, as the caller wrote it.
    """

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        """Build the error.

        Args:
            message: what was wrong and what to do, ending in a hint.
            argument: the argument's name, as the caller wrote it.
        """
        super().__init__(message)
        self.argument = argument


class InvalidArgumentError(_ArgumentError, ValueError):
    """An argument has a value the call cannot use.

    Attributes:
        argument: the argument's name, as the caller wrote it.
    """


class InvalidArgumentTypeError(_ArgumentError, TypeError):
    """An argument has a type the call cannot use.

    Attributes:
        argument: the argument's name, as the caller wrote it.
    """


class SourceError(QuantumFramesError, ConnectionError):
    """The source database could not be reached or read.

    Attributes:
        target: where the failure happened, ``host:port/database`` (never a password).
        retryable: True when trying again may succeed (refused, reset, timed out); a wrong
            password, a missing database or a bad query is not.
    """

    def __init__(self, message: str, *, target: str | None = None, retryable: bool = False) -> None:
        """Build the error.

        Args:
            message: what failed and what to do, ending in a hint (never a password).
            target: ``host:port/database`` where it failed.
            retryable: True when trying again may succeed.
        """
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
        """Build the error and its message.

        Args:
            schema: the schema that was searched.
            tables: the missing table names.
            available: the tables the schema does hold (listed in the message).
        """
        self.schema = schema
        self.tables = tuple(tables)
        listed = ", ".join(available) if available else "none"
        msg = said(
            f"schema {schema!r} has no table {', '.join(map(repr, self.tables))}. "
            f"Tables found there: {listed}. Hint: ",
            Advice("schema"),
            " naming the schema that holds the V3 tables, "
            "or create them with `quantum-frames seed-db`.",
        )
        super().__init__(msg)


class MissingColumnError(SchemaError):
    """A required column is missing from a table.

    Attributes:
        table: the table (``schema.table``) or frame that lacks columns.
        columns: the missing column names.
        argument: the argument that named the column, when one did.
    """

    def __init__(
        self,
        table: str,
        columns: Sequence[str],
        *,
        message: str | None = None,
        argument: str | None = None,
    ) -> None:
        """A source table lacking key columns (or, with ``message``, any frame)."""
        self.table = table
        self.columns = tuple(columns)
        self.argument = argument
        msg = message or (
            f"table {table} lacks the required column(s) {', '.join(map(repr, self.columns))}. "
            "Hint: quantum_frames needs only the key columns (ids, names, tier, scores); "
            "check that the schema holds the V3 tables, or rename the columns in a view "
            "and load that."
        )
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError-like classes would quote the message
        """The message."""
        return str(self.args[0])

    @classmethod
    def in_frame(
        cls,
        frame: str,
        columns: str | Sequence[str],
        available: Sequence[str],
        *,
        argument: str | None = None,
    ) -> MissingColumnError:
        """A frame the caller passed (or one of ours) lacks columns an argument names.

        Args:
            frame: what the frame is, in the caller's words ("fixtures", "teams").
            columns: the missing column(s).
            available: the columns the frame has (a few are listed, closest first).
            argument: the argument that named the column(s), e.g. ``home``.

        Returns:
            The error, to be raised by the caller.
        """
        import difflib

        missing = [columns] if isinstance(columns, str) else list(columns)
        close = difflib.get_close_matches(missing[0], list(available), n=5, cutoff=0.5)
        shown = close or list(available)[:8]
        what = ", ".join(map(repr, missing))
        lead: str | Advice = Named(argument, what) if argument else what
        msg = said(
            lead,
            f" is not a column of the {frame} frame"
            f" ({len(available)} columns, e.g. {', '.join(map(repr, shown))}). "
            "Hint: name one of its columns.",
        )
        return cls(frame, missing, message=msg, argument=argument)


class FlattenError(QuantumFramesError, ValueError):
    """JSON could not be flattened.

    Attributes:
        column: the source column.
    """

    def __init__(self, message: str, *, column: str | None = None) -> None:
        """Build the error.

        Args:
            message: what was wrong and what to do, ending in a hint.
            column: the source column.
        """
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
        """Build the error and its message.

        Args:
            column: the source column.
            name: the flat column name both paths would produce.
            paths: the two colliding JSON paths (each a tuple of keys).
        """
        self.name = name
        self.paths = paths
        first, second = (_render_path(p) for p in paths)
        msg = said(
            f"flattening column {column!r}: JSON paths {first} and {second} would both become "
            f"column {name!r}. Nothing was merged. Hint: ",
            Advice("separator", "'__'"),
            " (or another separator that does not occur in the keys).",
        )
        super().__init__(msg, column=column)


class SnapshotError(QuantumFramesError, OSError):
    """A snapshot is missing, damaged, incomplete, or cannot be written as asked.

    Attributes:
        path: the file or directory that is wrong.
    """

    def __init__(self, message: str, *, path: object = None) -> None:
        """A snapshot error about ``path``."""
        super().__init__(message)
        self.path = path

    def __str__(self) -> str:
        """The message."""
        return str(self.args[0]) if self.args else ""

    @classmethod
    def damaged(cls, snapshot: object, file: str, problem: str) -> SnapshotError:
        """A file of a snapshot is missing or damaged: which, what is wrong, what to do.

        Args:
            snapshot: the snapshot directory.
            file: the file, relative to the snapshot.
            problem: what is wrong, e.g. "fails its SHA-256 check (its bytes changed)".

        Returns:
            The error (its ``path`` the file), to be raised by the caller.

        Examples:
            >>> err = SnapshotError.damaged("snap", "teams.parquet", "is missing")
            >>> str(err).split(". Hint")[0], str(err.path)
            ('snapshot snap: file teams.parquet is missing', 'snap/teams.parquet')
        """
        from pathlib import Path

        msg = (
            f"snapshot {snapshot}: file {file} {problem}. "
            "Hint: restore it or write the snapshot again."
        )
        return cls(msg, path=Path(str(snapshot)) / file)


class ManifestError(SnapshotError):
    """A snapshot's ``manifest.json`` is malformed.

    A field is missing, of the wrong type, or the content does not match its own digest.

    Attributes:
        path: the manifest file.
        field: the dotted name of the field that is wrong (``tables.teams.rows``; empty when
            the whole document is wrong, e.g. nested too deep).
    """

    def __init__(self, message: str, *, path: object = None, field: str = "") -> None:
        """Build the error.

        Args:
            message: what is wrong with the manifest and what to do, ending in a hint.
            path: the manifest.
            field: the field that is wrong, dotted (``tables.teams.rows``).
        """
        super().__init__(message, path=path)
        self.field = field


class HistoryError(QuantumFramesError, OSError):
    """A history is missing, damaged, or cannot be appended to as asked.

    A history is its Delta Lake tables and their commit log.

    Attributes:
        path: the history, table or file that is wrong.
        table: the table concerned ("teams", "raw/friction" …), when there is one.
    """

    def __init__(self, message: str, *, path: object = None, table: str | None = None) -> None:
        """Build the error.

        Args:
            message: what is wrong and what to do, ending in a hint.
            path: the history, table or file that is wrong.
            table: the table concerned, when there is one.
        """
        super().__init__(message)
        self.path = path
        self.table = table

    def __str__(self) -> str:
        """The message alone (not OSError's ``[Errno …]`` form)."""
        return str(self.args[0]) if self.args else ""


class HistoryContractError(HistoryError):
    """A moment breaks the shape contract of a frozen table; nothing was written.

    Attributes:
        changes: one ``(table, column, change, before, after)`` tuple per breaking change.
    """

    def __init__(self, message: str, *, path: object, changes: Sequence[tuple[str, ...]]) -> None:
        """Build the error.

        Args:
            message: the breaking changes and what to do, ending in a hint.
            path: the history.
            changes: one ``(table, column, change, before, after)`` tuple per breaking change.
        """
        super().__init__(message, path=path)
        self.changes = tuple(tuple(c) for c in changes)


class SqlError(QuantumFramesError, ValueError):
    """DuckDB could not run a query over the frames.

    Attributes:
        query: the query text.
    """

    def __init__(self, message: str, *, query: str) -> None:
        """Build the error.

        Args:
            message: what DuckDB refused and what to do, ending in a hint.
            query: the query text.
        """
        super().__init__(message)
        self.query = query


class SeedError(QuantumFramesError, RuntimeError):
    """The target schema cannot be seeded as asked."""


class UnknownNameError(QuantumFramesError, KeyError):
    """A name (team, tag, league, tier) that the data does not hold.

    Attributes:
        kind: what was looked up ("team", "tag", "league", "tier").
        name: the name as given.
        suggestions: the closest names the data holds.
    """

    def __init__(
        self,
        kind: str,
        name: str,
        suggestions: Sequence[str],
        *,
        hint: str | Message = "",
        argument: str | None = None,
    ) -> None:
        """An unknown ``kind`` named ``name``; ``hint`` is said after the suggestions."""
        self.kind = kind
        self.name = name
        self.suggestions = tuple(suggestions)
        self.argument = argument
        self.hint = hint
        if self.suggestions:
            close = ", ".join(map(repr, self.suggestions))
            head = f"unknown {kind} {name!r}. Hint: did you mean one of these: {close}?"
        else:
            head = f"unknown {kind} {name!r} (nothing close to it)."
        parts = hint.parts if isinstance(hint, Message) else (hint,)
        msg = said(head, *((" ", *parts) if hint else ()))
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would quote the whole message
        """The message."""
        return str(self.args[0])


class UnknownTeamError(UnknownNameError):
    """A team name that matches no team, even ignoring case, accents and aliases."""

    def __init__(
        self, name: str, suggestions: Sequence[str], *, argument: str | None = None
    ) -> None:
        """An unknown team ``name`` with the closest team names."""
        super().__init__("team", name, suggestions, argument=argument)
        self.team = name


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Unpickle an error whose constructor does not take its message."""
    err = cls.__new__(cls)
    BaseException.__init__(err, *args)
    err.__dict__.update(state)
    return err


def _render_path(path: Sequence[str]) -> str:
    return "$" + "".join(f"[{key!r}]" for key in path)
