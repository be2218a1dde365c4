"""SQL quoting, in one place, for PostgreSQL and DuckDB alike (both follow the standard)."""

from __future__ import annotations

from quantum_frames.errors import InvalidArgumentError


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (``"`` doubled); refuse what no identifier may hold.

    Examples:
        >>> quote_ident('we"ird')
        '"we""ird"'
    """
    if not name or "\x00" in name:
        msg = f"{name!r} is not a valid SQL identifier (empty or holding a NUL byte)."
        raise InvalidArgumentError(msg, argument="name")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote an SQL string literal (``'`` doubled).

    Examples:
        >>> quote_literal("it's")
        "'it''s'"
    """
    if "\x00" in text:
        msg = f"{text!r} holds a NUL byte, which no SQL string may hold."
        raise InvalidArgumentError(msg, argument="text")
    return "'" + text.replace("'", "''") + "'"
