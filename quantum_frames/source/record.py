"""Where a load came from, as a typed record: what a snapshot's manifest keeps and a repr shows.

A :class:`Source` is built from the mapping a reader puts in ``QuantumFrames.source`` (never a
password) and written to, or parsed back from, a snapshot manifest. Its
:meth:`Source.describe` is the one place that turns it into a line of text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeAlias

__all__ = ["Detail", "Moment", "Scalar", "Source", "SourceFieldError"]

Scalar: TypeAlias = str | int | float | bool | None
#: A source detail: a scalar, or a list of texts (``text_columns``), kept as a tuple.
Detail: TypeAlias = Scalar | tuple[str, ...]

#: Keys that are the record's own fields, not free-form details.
_OWN = frozenset({"kind", "tables", "moment"})


class SourceFieldError(ValueError):
    """A field of a source record has the wrong type (``field`` names it, dotted)."""

    def __init__(self, where: str, problem: str) -> None:
        """Build the error.

        Args:
            where: the field, dotted.
            problem: what is wrong with it.
        """
        super().__init__(f"{where}: {problem}")
        self.field = where
        self.problem = problem


@dataclass(frozen=True)
class Moment:
    """The database moment a load read (``read_postgres`` records it in ``source["moment"]``).

    Attributes:
        snapshot: the server's snapshot id (``pg_current_snapshot()``), as text.
        server_time: the server's clock at the read, ISO 8601.
        server_version: the server's version string.
        consistent: whether every table was read in that one moment.
        standby: whether the server was a hot standby.
    """

    snapshot: str
    server_time: str
    server_version: str
    consistent: bool
    standby: bool = False

    @classmethod
    def from_json(cls, data: object, *, where: str = "source.moment") -> Moment:
        """Parse the JSON object of a moment, strictly.

        Args:
            data: the decoded JSON value.
            where: the field's dotted name, for messages.

        Returns:
            The moment.

        Raises:
            SourceFieldError: a field is missing or has the wrong type.
        """
        obj = _object(data, where)
        known = {"snapshot", "server_time", "server_version", "consistent", "standby"}
        unknown = sorted(set(obj) - known)
        if unknown:
            _fail(f"{where}.{unknown[0]}", "is not a field of a moment")
        texts = {k: _text(obj.get(k), f"{where}.{k}") for k in ("snapshot", "server_time")}
        version = _text(obj.get("server_version"), f"{where}.server_version")
        flags = {}
        for key in ("consistent", "standby"):
            flag = obj.get(key, False if key == "standby" else None)
            if not isinstance(flag, bool):
                _fail(f"{where}.{key}", f"expected true or false, got {_kind(flag)}")
            flags[key] = flag
        return cls(texts["snapshot"], texts["server_time"], version, **flags)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this moment (what ``source["moment"]`` holds).

        Returns:
            A dict of its five fields.
        """
        return {
            "consistent": self.consistent,
            "snapshot": self.snapshot,
            "server_time": self.server_time,
            "server_version": self.server_version,
            "standby": self.standby,
        }


@dataclass(frozen=True)
class Source:
    """Where the data came from (never a password).

    Attributes:
        kind: ``"postgresql"``, ``"synthetic"``, …
        details: flat facts (host, port, dbname, user, schema, label, seed, …): scalars, or
            lists of texts (``text_columns``) kept as tuples.
        tables: the source table of each frame (``{"teams": "team_quantum_dna_v3", …}``).
        moment: the database moment the load read, when the reader recorded one.

    Examples:
        >>> Source.from_mapping({"kind": "postgresql", "host": "db", "dbname": "x"}).describe()
        'postgresql://db/x'
    """

    kind: str
    details: Mapping[str, Detail] = field(default_factory=dict)
    tables: Mapping[str, str] = field(default_factory=dict)
    moment: Moment | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Source:
        """A record from a reader's ``source`` mapping, leniently.

        Password keys are dropped, values that are not scalars are kept as their text.

        Args:
            data: a ``QuantumFrames.source`` mapping (``moment``: a :class:`Moment` or its
                JSON object).

        Returns:
            The record.

        Raises:
            SourceFieldError: ``moment`` is an object that is not a moment.
        """
        details: dict[str, Detail] = {}
        for key, value in data.items():
            name = str(key)
            if name in _OWN or "pass" in name.lower():
                continue
            details[name] = _scalar(value)
        raw_tables = data.get("tables")
        tables = (
            {str(k): str(v) for k, v in raw_tables.items()}
            if isinstance(raw_tables, Mapping)
            else {}
        )
        moment = data.get("moment")
        if isinstance(moment, Mapping):  # an empty one: no moment recorded
            moment = Moment.from_json(dict(moment)) if moment else None
        return cls(
            kind=str(data.get("kind") or "unknown"),
            details=dict(details),
            tables=dict(tables),
            moment=moment if isinstance(moment, Moment) else None,
        )

    @classmethod
    def from_json(cls, data: object, *, where: str = "source", lenient: bool = False) -> Source:
        """Parse the JSON object of a source, strictly.

        Args:
            data: the decoded JSON value.
            where: the field's dotted name, for messages.
            lenient: keep a detail that is an object or an array as its JSON text (format 1
                manifests recorded any JSON there) instead of refusing it.

        Returns:
            The record.

        Raises:
            SourceFieldError: a field is missing or has the wrong type.
        """
        obj = _object(data, where)
        kind = _text(obj.get("kind"), f"{where}.kind")
        details: dict[str, Detail] = {}
        for key, value in obj.items():
            if key in _OWN:
                continue
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                details[key] = tuple(value)
                continue
            if not isinstance(value, Scalar):
                if not lenient:
                    _fail(
                        f"{where}.{key}",
                        f"expected a scalar or an array of texts, got {_kind(value)}",
                    )
                value = _scalar(value)
            details[key] = value
        tables: dict[str, str] = {}
        if "tables" in obj:
            for key, value in _object(obj["tables"], f"{where}.tables").items():
                tables[key] = _text(value, f"{where}.tables.{key}")
        moment = None
        if obj.get("moment") not in (None, {}):  # {}: the load recorded none
            moment = Moment.from_json(obj["moment"], where=f"{where}.moment")
        return cls(kind, dict(details), dict(tables), moment)

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this source (the shape :meth:`from_json` reads).

        Returns:
            ``{"kind": …, **details, "tables": …, "moment": …}`` (empty parts left out).
        """
        out: dict[str, Any] = {"kind": self.kind}
        out |= {k: list(v) if isinstance(v, tuple) else v for k, v in self.details.items()}
        if self.tables:
            out["tables"] = dict(self.tables)
        if self.moment is not None:
            out["moment"] = self.moment.to_json()
        return out

    def to_mapping(self) -> dict[str, Any]:
        """The mapping ``QuantumFrames.source`` holds.

        As ``read_postgres`` makes it: the moment as its JSON object, lists as lists.

        Returns:
            A new dict.
        """
        return self.to_json()

    def describe(self) -> str:
        """One line: where the data came from, safe to show.

        Returns:
            ``postgresql://user@host:port/dbname (schema s)`` for PostgreSQL,
            ``snapshot <path> (<kind>)`` for a snapshot read back, else its label or kind.
        """
        d = self.details
        if self.kind == "postgresql":
            port = f":{d['port']}" if d.get("port") else ""
            user = f"{d['user']}@" if d.get("user") else ""
            where = f"{user}{d.get('host') or 'localhost'}{port}/{d.get('dbname') or ''}"
            schema = f" (schema {d['schema']})" if d.get("schema") else ""
            return f"postgresql://{where}{schema}"
        if d.get("snapshot"):
            return f"snapshot {d['snapshot']} ({self.kind})"
        return str(d.get("label") or self.kind)


def _scalar(value: object) -> Detail:
    """A value as a detail.

    Scalars as they are (a NaN or an infinity as text: JSON has none), lists of texts as tuples,
    other objects and arrays as their JSON text, anything else as its text.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Scalar):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, default=str, ensure_ascii=False, allow_nan=False)
    return str(value)


def _fail(where: str, problem: str) -> NoReturn:
    raise SourceFieldError(where, problem)


def _kind(value: object) -> str:
    names: dict[type, str] = {dict: "an object", list: "an array", str: "text", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), f"a {type(value).__name__}")


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        _fail(where, f"expected an object, got {_kind(value)}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        _fail(where, f"expected text, got {_kind(value)}")
    return value
