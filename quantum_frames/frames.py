"""The :class:`QuantumFrames` container: the three flattened tables and where they came from."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final, Literal, cast

import polars as pl

from quantum_frames._typing import FrameT
from quantum_frames.flattening import flatten_with_report

__all__ = ["TABLES", "QuantumFrames", "SourceTables"]


#: The logical tables, in the order they are always shown.
TABLES: Final = ("teams", "friction", "strategies")


class FrictionFrame(pl.DataFrame):
    """The flattened friction table — a plain ``pl.DataFrame`` — that can also be called to
    look up one directional pair: ``q.friction("Liverpool", "Everton")`` → friction_score.

    Every operation on it returns a plain DataFrame.
    """

    teams: pl.DataFrame

    @classmethod
    def wrap(cls, frame: pl.DataFrame, teams: pl.DataFrame) -> FrictionFrame:
        out = cast("FrictionFrame", cls._from_pydf(frame._df))
        out.teams = teams
        return out

    def __call__(self, home: str, away: str, /, *, season: str | None = None) -> float | None:
        """The friction_score of (home, away); None if the pair has no row.

        Args:
            home: the home team's name.
            away: the away team's name.
            season: the season to look in; None: the pair's newest season.

        Returns:
            The score, or None when the pair has no row.

        Raises:
            UnknownTeamError: either name matches no team (with the closest names).
        """
        from quantum_frames.ops.friction import friction

        return friction(self, self.teams, home, away, season=season)


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


def flatten_tables(
    raw: SourceTables,
    json_columns: Mapping[str, Sequence[str]] | None,
    *,
    separator: str,
    max_depth: int | None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Flatten each lossless table; the flat frames by name, and one report for all of them.

    ``json_columns`` names the JSON columns per table; None: :func:`~quantum_frames.flattening.json_columns`.
    """
    flat: dict[str, pl.DataFrame] = {}
    reports = []
    for name, frame in raw.items():
        cols = None if json_columns is None else list(json_columns.get(name, []))
        flat[name], report = flatten_with_report(
            frame, cols, separator=separator, max_depth=max_depth
        )
        reports.append(report)
    return flat, pl.concat(reports)


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
    friction: FrictionFrame
    strategies: pl.DataFrame
    raw: SourceTables
    report: pl.DataFrame
    source: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    loaded_at: datetime | None = None
    as_of: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.friction, FrictionFrame) or self.friction.teams is not self.teams:
            object.__setattr__(self, "friction", FrictionFrame.wrap(self.friction, self.teams))

    def tables(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(name, flattened frame)`` pairs in :data:`TABLES` order."""
        for name in TABLES:
            yield name, getattr(self, name)

    @property
    def conflicts(self) -> pl.DataFrame:
        """The flat columns whose JSON rows disagreed in type (kept as JSON text)."""
        return self.report.filter(pl.col("conflict").is_not_null())

    # --- operations (thin delegations to quantum_frames.ops) ---------------------------------

    @property
    def _json_sources(self) -> set[str]:
        return set(self.report["source"].to_list())

    def team(self, name: str) -> dict[str, Any]:
        """One team as a dict, JSON vectors nested back; case- and accent-tolerant."""
        from quantum_frames.ops.teams import team

        return team(self.raw.teams, name, json_columns=self._json_sources)

    def dna_vector(self, team: str, vector: str) -> Any:
        """One JSON vector of one team as a dict (None when NULL)."""
        from quantum_frames.ops.teams import dna_vector

        return dna_vector(self.raw.teams, team, vector, json_columns=self._json_sources)

    def teams_with_tags(
        self, *tags: str, match: Literal["all", "any", "none"] = "all", strict: bool = True
    ) -> pl.DataFrame:
        """Teams carrying all / any / none of ``tags`` (globs like ``GK_*`` allowed)."""
        from quantum_frames.ops.tags import teams_with_tags

        return teams_with_tags(self.teams, *tags, match=match, strict=strict)

    def teams_in_tier(self, *tiers: str) -> pl.DataFrame:
        """Teams in any of ``tiers`` (ELITE, TOP6, MID, BOTTOM)."""
        from quantum_frames.ops.tiers import teams_in_tier

        return teams_in_tier(self.teams, *tiers)

    def elite_teams(self) -> pl.DataFrame:
        """The ELITE teams."""
        from quantum_frames.ops.tiers import elite_teams

        return elite_teams(self.teams)

    def teams_in_league(self, *leagues: str) -> pl.DataFrame:
        """Teams of any of ``leagues``."""
        from quantum_frames.ops.tiers import teams_in_league

        return teams_in_league(self.teams, *leagues)

    def tier_ranking(self, by: str | None = None, *, within: str | None = "league") -> pl.DataFrame:
        """Teams ordered by tier then tier_rank (or ``by``, descending), with a ``rank`` column."""
        from quantum_frames.ops.tiers import tier_ranking

        return tier_ranking(self.teams, by, within=within)

    def tag_counts(self) -> pl.DataFrame:
        """How many teams carry each tag."""
        from quantum_frames.ops.tags import tag_counts

        return tag_counts(self.teams)

    def tag_cooccurrence(self) -> pl.DataFrame:
        """Tag × tag: how many teams carry both."""
        from quantum_frames.ops.tags import tag_cooccurrence

        return tag_cooccurrence(self.teams)

    def high_friction_matchups(
        self, threshold: float = 0.7, *, season: str | None = None
    ) -> pl.DataFrame:
        """Pairs with friction_score ≥ threshold, highest first (newest season per pair)."""
        from quantum_frames.ops.friction import high_friction_matchups

        return high_friction_matchups(self.friction, threshold, season=season)

    def friction_matrix(
        self, league: str | None = None, *, season: str | None = None
    ) -> pl.DataFrame:
        """Wide home × away frame of friction_score (newest season per pair)."""
        from quantum_frames.ops.friction import friction_matrix

        return friction_matrix(self.friction, league, season=season)

    def friction_for(
        self,
        fixtures: FrameT,
        /,
        home: str = "home",
        away: str = "away",
        *,
        on_unknown: Literal["warn", "raise", "ignore"] = "warn",
        season: str | None = None,
    ) -> FrameT:
        """Fixtures joined with the friction of their (home, away) pair (newest season)."""
        from quantum_frames.ops.friction import friction_for

        return friction_for(
            self.friction, self.teams, fixtures, home, away, on_unknown=on_unknown, season=season
        )

    def strategies_for(self, team: str) -> pl.DataFrame:
        """The strategies of one team, highest conviction first."""
        from quantum_frames.ops.strategies import strategies_for

        return strategies_for(self.strategies, self.teams, team)

    def strategies_by_conviction(self, min_conviction: float) -> pl.DataFrame:
        """Strategies with conviction ≥ ``min_conviction``, highest first."""
        from quantum_frames.ops.strategies import strategies_by_conviction

        return strategies_by_conviction(self.strategies, min_conviction)

    def best_strategy(
        self, team: str, context: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The best active strategy of ``team`` whose context_filters match ``context``."""
        from quantum_frames.ops.strategies import best_strategy

        return best_strategy(
            self.strategies, self.raw.strategies, self.teams, team, context,
            separator=self.options.get("separator", "."), json_columns=self._json_sources,
        )  # fmt: skip

    def best_strategies(self, fixtures: FrameT, /, *, team: str = "team") -> FrameT:
        """For each fixture row, the best strategy of its team for the row's context."""
        from quantum_frames.ops.strategies import best_strategies

        return best_strategies(
            self.strategies,
            self.teams,
            fixtures,
            team=team,
            separator=self.options.get("separator", "."),
        )

    # --- snapshots, SQL ------------------------------------------------------------------------

    def write_snapshot(
        self,
        path: str | os.PathLike[str],
        /,
        *,
        as_of: date | datetime | str | None = None,
        overwrite: bool = False,
        partition_by: str | Sequence[str] | None = None,
        progress: bool | None = None,
    ) -> Path:
        """Write a snapshot directory (SPEC §5); see :func:`quantum_frames.snapshots.write_snapshot`."""
        from quantum_frames.snapshots.writer import write_snapshot

        return write_snapshot(
            self,
            path,
            as_of=as_of,
            overwrite=overwrite,
            partition_by=partition_by,
            progress=progress,
        )

    def reflatten(self, *, separator: str = ".", max_depth: int | None = None) -> QuantumFrames:
        """Flatten the lossless source again with other options (works offline)."""
        sources = self._json_sources
        json_columns = {
            name: [c for c in raw.columns if c in sources] for name, raw in self.raw.items()
        }
        flat, report = flatten_tables(
            self.raw, json_columns, separator=separator, max_depth=max_depth
        )
        return replace(
            self,
            teams=flat["teams"],
            friction=FrictionFrame.wrap(flat["friction"], flat["teams"]),
            strategies=flat["strategies"],
            report=report,
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
        """One line: where the data came from (:meth:`.source.record.Source.describe`)."""
        from quantum_frames.source.record import Source

        return Source.from_mapping(self.source).describe()

    def __repr__(self) -> str:
        when = f", loaded {self.loaded_at:%Y-%m-%d %H:%M} UTC" if self.loaded_at else ""
        if self.as_of is not None:
            when += f", as of {self.as_of:%Y-%m-%d %H:%M} UTC"
        lines = [f"QuantumFrames from {self.describe_source()}{when}"]
        moment = _moment_line(self.source.get("moment"))
        if moment:
            lines.append(moment)
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


def _moment_line(moment: Any) -> str:
    """The database moment a load read (``source["moment"]``), as one repr line."""
    if not isinstance(moment, Mapping) or not moment:
        return ""
    when = f"server time {moment.get('server_time', '?')}"
    when += f", PostgreSQL {moment.get('server_version', '?')}"
    if moment.get("standby"):
        when += " (hot standby)"
    if moment.get("consistent"):
        return f"  one database moment: snapshot {moment.get('snapshot', '?')}, {when}"
    return f"  NOT one database moment (consistent=False): each table read at its own; {when}"
