"""The :class:`QuantumFrames` container: the three flattened tables and where they came from."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

__all__ = ["TABLES", "QuantumFrames", "SourceTables"]

#: The logical tables, in the order they are always shown.
TABLES: Final = ("teams", "friction", "strategies")


@dataclass(frozen=True)
class SourceTables:
    """The lossless source tables: JSON kept as the text PostgreSQL holds, arrays as lists."""

    teams: pl.DataFrame
    friction: pl.DataFrame
    strategies: pl.DataFrame

    def items(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(name, frame)`` pairs in :data:`TABLES` order."""
        for name in TABLES:
            yield name, getattr(self, name)


@dataclass(frozen=True, repr=False)
class QuantumFrames:
    """The three V3 tables as flattened Polars frames.

    Attributes:
        teams: one row per team, every JSON vector flattened (``market_dna.best_strategy`` …).
        friction: one row per directional (home, away) pair, with both team names.
        strategies: one row per (team, strategy), with the team name.
        raw: the lossless source tables (JSON as text), for snapshots and re-flattening.
        report: the flatten report, one row per flat column (see ``qf.flatten_with_report``).
        source: where the data came from (never a password).
        options: the flatten options used (``separator``, ``max_depth``).
        timings: seconds spent per stage of the load.
        loaded_at: when the data was loaded (UTC).
        as_of: the date the data describes, for snapshots (None: as loaded).
    """

    teams: pl.DataFrame
    friction: pl.DataFrame
    strategies: pl.DataFrame
    raw: SourceTables
    report: pl.DataFrame
    source: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    loaded_at: datetime | None = None
    as_of: datetime | None = None

    def tables(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(name, flattened frame)`` pairs in :data:`TABLES` order."""
        for name in TABLES:
            yield name, getattr(self, name)

    @property
    def conflicts(self) -> pl.DataFrame:
        """The flat columns whose JSON rows disagreed in type (kept as JSON text)."""
        return self.report.filter(pl.col("conflict").is_not_null())

    def write_snapshot(
        self,
        path: str | os.PathLike[str],
        /,
        *,
        as_of: date | datetime | str | None = None,
        overwrite: bool = False,
        partition_by: str | Sequence[str] | None = None,
    ) -> Path:
        """Write a snapshot directory (SPEC §5); see :func:`quantum_frames.snapshots.write_snapshot`."""
        from quantum_frames.snapshots.writer import write_snapshot

        return write_snapshot(
            self, path, as_of=as_of, overwrite=overwrite, partition_by=partition_by
        )

    def reflatten(self, *, separator: str = ".", max_depth: int | None = None) -> QuantumFrames:
        """Flatten the lossless source again with other options (works offline)."""
        from quantum_frames.flatten import flatten_with_report

        sources = set(self.report["source"].to_list())
        flat: dict[str, pl.DataFrame] = {}
        reports = []
        for name, raw in self.raw.items():
            cols = [c for c in raw.columns if c in sources]
            flat[name], report = flatten_with_report(
                raw, cols, separator=separator, max_depth=max_depth
            )
            reports.append(report)
        return replace(
            self,
            teams=flat["teams"],
            friction=flat["friction"],
            strategies=flat["strategies"],
            report=pl.concat(reports),
            options={"separator": separator, "max_depth": max_depth},
        )

    def sql(self, query: str, /) -> pl.DataFrame:
        """DuckDB SQL over ``teams``, ``friction``, ``strategies`` (and ``raw_*``); see ``qf.sql``."""
        from quantum_frames.sql import sql

        return sql(self, query)

    def diff(self, other: QuantumFrames, /) -> pl.DataFrame:
        """What changed from ``self`` to ``other``, one row per change (see ``ops.diff``)."""
        from quantum_frames.ops.diff import diff

        return diff(self, other)

    def to_duckdb(self, path: str | os.PathLike[str], /, *, overwrite: bool = False) -> Path:
        """Write a DuckDB database file with the flattened tables and the lossless ones."""
        from quantum_frames.sql import to_duckdb

        return to_duckdb(self, path, overwrite=overwrite)

    def describe_source(self) -> str:
        """One line: where the data came from."""
        src = self.source
        kind = src.get("kind", "unknown")
        if kind == "postgresql":
            port = f":{src['port']}" if src.get("port") else ""
            where = f"{src.get('user', '')}@{src.get('host', '')}{port}"
            return f"postgresql://{where}/{src.get('dbname', '')} (schema {src.get('schema')})"
        if "snapshot" in src:
            return f"snapshot {src['snapshot']} ({kind})"
        return str(src.get("label") or kind)

    def __repr__(self) -> str:
        when = f", loaded {self.loaded_at:%Y-%m-%d %H:%M} UTC" if self.loaded_at else ""
        if self.as_of is not None:
            when += f", as of {self.as_of:%Y-%m-%d %H:%M} UTC"
        lines = [f"QuantumFrames from {self.describe_source()}{when}"]
        json_sources = self.report.group_by("source").agg(
            pl.len().alias("flat"), pl.col("conflict").is_not_null().sum().alias("conflicts")
        )
        for name, frame in self.tables():
            raw = getattr(self.raw, name)
            mine = json_sources.filter(pl.col("source").is_in(raw.columns))
            detail = ""
            if mine.height:
                detail = f"  ({mine.height} JSON columns → {mine['flat'].sum()} flat"
                conflicts = int(mine["conflicts"].sum())
                detail += f", {conflicts} with type conflicts)" if conflicts else ")"
            lines.append(f"  {name:<11}{frame.height:>9,} rows × {frame.width:>4} columns{detail}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        return "<pre>" + escape(repr(self)) + "</pre>"
