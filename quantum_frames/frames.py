"""The :class:`QuantumFrames` container: the three flattened tables and where they came from."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal

import polars as pl

from quantum_frames.errors import InvalidArgumentError
from quantum_frames.flattening import flatten_with_report
from quantum_frames.flattening._api import MAX_COLUMNS

if TYPE_CHECKING:
    import os
    from datetime import date, datetime
    from pathlib import Path

    from quantum_frames._typing import FrameT
    from quantum_frames.history import Append
    from quantum_frames.history._drift import Contract
    from quantum_frames.ops.names import AliasesArg

__all__ = [
    "TABLES",
    "FrictionFrame",
    "LazyFrames",
    "LazySourceTables",
    "QuantumFrames",
    "SourceTables",
]


#: The logical tables, in the order they are always shown.
TABLES: Final = ("teams", "friction", "strategies")


class FrictionFrame:
    """``q.friction``: the flattened friction table, callable for one directional pair.

    ``q.friction("Liverpool", "Everton")`` gives the friction_score (None when the pair has
    no row). Everything else is the plain ``pl.DataFrame`` at :attr:`frame`: attributes and
    methods are delegated to it, so ``q.friction.head(5)``, ``.filter(...)``,
    ``.clone()`` and ``["friction_score"]`` return what they return on a DataFrame (plain
    frames, never a half-built subclass). Pass ``q.friction.frame`` where a function
    insists on a ``pl.DataFrame`` instance.

    Attributes:
        frame: the friction table as a plain ``pl.DataFrame``.
        teams: the teams frame, for the names.
        aliases: the team aliases (``team_name, alias``), for the names.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.friction("Liverpool", "Everton")
        0.5288
        >>> q.friction.height  # the frame's methods and attributes too
        1752
    """

    __slots__ = ("aliases", "frame", "teams")

    def __init__(
        self,
        frame: pl.DataFrame | FrictionFrame,
        teams: pl.DataFrame | None = None,
        aliases: pl.DataFrame | None = None,
    ) -> None:
        """Wrap ``frame``; ``teams`` and ``aliases`` resolve the names of a call.

        QuantumFrames binds its own: ``QuantumFrames(friction=FrictionFrame(df), …)``.
        """
        self.frame: pl.DataFrame = frame.frame if isinstance(frame, FrictionFrame) else frame
        self.teams = teams
        self.aliases = aliases

    def __call__(
        self, home: str | int, away: str | int, /, *, season: str | None = None
    ) -> float | None:
        """The friction_score of (home, away); None if the pair has no row.

        Args:
            home: the home team (name, alias or team_id; case and accents ignored).
            away: the away team, likewise.
            season: the season to look in; None: the pair's newest season.

        Returns:
            The friction_score, or None when the pair has no row.

        Raises:
            UnknownTeamError: either name matches no team (with the closest names).
        """
        from quantum_frames.ops.friction import friction

        if self.teams is None:
            msg = "this FrictionFrame knows no teams. Hint: use q.friction of a QuantumFrames."
            raise InvalidArgumentError(msg, argument="teams")
        return friction(self.frame, self.teams, home, away, season=season, aliases=self.aliases)

    def __getattr__(self, name: str) -> Any:
        """Everything a DataFrame has, from :attr:`frame`."""
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.frame, name)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state: the frames."""
        return {"frame": self.frame, "teams": self.teams, "aliases": self.aliases}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`."""
        self.frame = state["frame"]
        self.teams = state["teams"]
        self.aliases = state["aliases"]

    def __getitem__(self, key: Any) -> Any:
        """``q.friction["friction_score"]`` and every other DataFrame indexing."""
        return self.frame[key]

    def __len__(self) -> int:
        """The number of rows."""
        return self.frame.height

    def __iter__(self) -> Iterator[pl.Series]:
        """The columns, as a DataFrame iterates."""
        return iter(self.frame)

    def __contains__(self, key: str) -> bool:
        """Whether the frame has the column ``key``."""
        return key in self.frame

    def __eq__(self, other: object) -> Any:
        """Compared like the DataFrame (a frame of booleans against a frame)."""
        return self.frame == (other.frame if isinstance(other, FrictionFrame) else other)

    __hash__ = None  # type: ignore[assignment]  # as a DataFrame: not hashable

    def __repr__(self) -> str:
        """The DataFrame's repr."""
        return repr(self.frame)

    def _repr_html_(self) -> str:
        """The DataFrame's HTML repr (notebooks)."""
        return self.frame._repr_html_()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow C stream of the frame (pyarrow, DuckDB, pandas read it directly)."""
        return self.frame.__arrow_c_stream__(requested_schema)


@dataclass(frozen=True)
class SourceTables:
    """The lossless source tables: JSON kept as the text PostgreSQL holds, arrays as lists.

    Examples:
        >>> import quantum_frames as qf
        >>> tables = qf.sample().raw.tables()
        >>> isinstance(tables, qf.SourceTables), tables.teams.height
        (True, 96)
    """

    teams: pl.DataFrame
    friction: pl.DataFrame
    strategies: pl.DataFrame

    def items(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(name, frame)`` pairs in :data:`TABLES` order.

        Yields:
            ``(name, frame)``.

        Examples:
            >>> import quantum_frames as qf
            >>> [(name, frame.height) for name, frame in qf.sample().raw.tables().items()]
            [('teams', 96), ('friction', 1752), ('strategies', 468)]
        """
        for name in TABLES:
            yield name, getattr(self, name)


class LazySourceTables:
    """The lossless tables, read on first use by ``load``.

    ``load`` is a picklable callable giving ``{"teams": …, "friction": …, "strategies": …}``
    (e.g. from a verified snapshot). Thread-safe; a pickle carries the tables once read, the
    loader before.

    Examples:
        >>> import quantum_frames as qf
        >>> tables = qf.sample().raw.tables()
        >>> raw = qf.LazySourceTables(lambda: dict(tables.items()))
        >>> raw.loaded  # nothing read yet
        False
        >>> raw.teams.height, raw.loaded
        (96, True)
    """

    def __init__(self, load: Callable[[], Mapping[str, pl.DataFrame]]) -> None:
        """Hold ``load`` until a table is first asked for."""
        self._load = load
        self._tables: SourceTables | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the tables have been read.

        Examples:
            >>> import quantum_frames as qf
            >>> tables = qf.sample().raw.tables()
            >>> raw = qf.LazySourceTables(lambda: dict(tables.items()))
            >>> before = raw.loaded
            >>> _ = raw.tables()
            >>> before, raw.loaded
            (False, True)
        """
        return self._tables is not None

    def tables(self) -> SourceTables:
        """The tables, read now if they were not yet.

        Returns:
            The lossless tables.

        Examples:
            >>> import quantum_frames as qf
            >>> tables = qf.sample().raw.tables()
            >>> raw = qf.LazySourceTables(lambda: dict(tables.items()))
            >>> raw.tables().strategies.height
            468
        """
        with self._lock:
            if self._tables is None:
                self._tables = SourceTables(**self._load())
            return self._tables

    @property
    def teams(self) -> pl.DataFrame:
        """The lossless teams table.

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().raw.teams.height
            96
        """
        return self.tables().teams

    @property
    def friction(self) -> pl.DataFrame:
        """The lossless friction table.

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().raw.friction.height
            1752
        """
        return self.tables().friction

    @property
    def strategies(self) -> pl.DataFrame:
        """The lossless strategies table.

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().raw.strategies.height
            468
        """
        return self.tables().strategies

    def items(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(name, frame)`` pairs in :data:`TABLES` order.

        Yields:
            ``(name, frame)``.

        Examples:
            >>> import quantum_frames as qf
            >>> [name for name, _ in qf.sample().raw.items()]
            ['teams', 'friction', 'strategies']
        """
        return self.tables().items()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle state: the tables when read, else the loader."""
        return {"load": self._load, "tables": self._tables}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`."""
        self._load = state["load"]
        self._tables = state["tables"]
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Whether the tables are read yet."""
        return f"LazySourceTables({'read' if self.loaded else 'not read yet'})"


def flatten_tables(
    raw: SourceTables | LazySourceTables,
    json_columns: Mapping[str, Sequence[str]] | None,
    *,
    separator: str,
    max_depth: int | None,
    max_columns: int | None = MAX_COLUMNS,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Flatten each lossless table; the flat frames by name, and one report for all of them.

    ``json_columns`` names the JSON columns per table; None:
    :func:`~quantum_frames.flattening.json_columns`.
    """
    flat: dict[str, pl.DataFrame] = {}
    reports = []
    for name, frame in raw.items():
        cols = None if json_columns is None else list(json_columns.get(name, []))
        flat[name], report = flatten_with_report(
            frame, cols, separator=separator, max_depth=max_depth, max_columns=max_columns
        )
        reports.append(report)
    return flat, pl.concat(reports)


class _SqlCache:
    """The DuckDB connection of one QuantumFrames, with its frames registered once.

    Never pickled (a fresh one is opened on first use after unpickling).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.connections: dict[bool, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.lock = threading.Lock()
        self.connections = {}


@dataclass(frozen=True, repr=False, eq=False)
class QuantumFrames:
    """The three V3 tables as flattened Polars frames.

    Built by ``qf.read_postgres``, ``qf.read_snapshot``, ``qf.sample`` and
    :meth:`reflatten` — all through this one constructor, which wraps ``friction`` as a
    :class:`FrictionFrame` (pass a plain DataFrame). Any instance pickles.

    Attributes:
        teams: one row per team, every JSON vector flattened (``market_dna.best_strategy`` …).
        friction: one row per directional (home, away) pair, with both team names; callable:
            ``q.friction("Liverpool", "Everton")``.
        strategies: one row per (team, strategy), with the team name.
        raw: the lossless source tables (JSON as text), for snapshots and re-flattening.
        report: the flatten report, one row per flat column (see ``qf.flatten_with_report``).
        source: where the data came from (never a password).
        options: the flatten options used (``separator``, ``max_depth``).
        timings: seconds spent per stage of the load (``total``: the whole call).
        loaded_at: when the data was loaded (UTC).
        as_of: the date the data describes, for snapshots (None: as loaded).
        aliases: the team aliases used by every name lookup (``team_name, alias``);
            None: the shipped table of the 96 teams. Extend with :meth:`with_aliases`.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> q.teams.height, q.friction.height, q.strategies.height
        (96, 1752, 468)
        >>> q.team("PSG")["team_name"]
        'Paris Saint-Germain'
    """

    teams: pl.DataFrame
    friction: FrictionFrame
    strategies: pl.DataFrame
    raw: SourceTables | LazySourceTables
    report: pl.DataFrame
    source: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    loaded_at: datetime | None = None
    as_of: datetime | None = None
    aliases: pl.DataFrame | None = None
    _sql: _SqlCache = field(default_factory=_SqlCache, compare=False)

    def __post_init__(self) -> None:
        """Wrap ``friction`` (a plain DataFrame or a FrictionFrame) for these teams."""
        plain = self.friction.frame if isinstance(self.friction, FrictionFrame) else self.friction
        object.__setattr__(self, "friction", FrictionFrame(plain, self.teams, self.aliases))
        object.__setattr__(self, "_sql", _SqlCache())  # each instance its own connection

    def tables(self) -> Iterator[tuple[str, pl.DataFrame]]:
        """``(name, flattened frame)`` pairs in :data:`TABLES` order (plain DataFrames).

        Yields:
            ``(name, frame)``.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> [name for name, _ in q.tables()]
            ['teams', 'friction', 'strategies']
        """
        yield "teams", self.teams
        yield "friction", self.friction.frame
        yield "strategies", self.strategies

    @property
    def conflicts(self) -> pl.DataFrame:
        """The flat columns whose JSON rows disagreed in type (kept as JSON text).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().conflicts.select("column", "conflict").height
            1
        """
        return self.report.filter(pl.col("conflict").is_not_null())

    # --- names ---------------------------------------------------------------------------------

    def with_aliases(self, aliases: AliasesArg, /) -> QuantumFrames:
        """A copy whose name lookups also know ``aliases`` (added to the current ones).

        Args:
            aliases: ``{"Liverpool": ["LFC", "The Reds"]}`` or a frame with ``team_name`` and
                ``alias`` columns.

        Returns:
            A new QuantumFrames sharing the frames.

        Raises:
            UnknownTeamError: an alias for a team the data does not hold.
            InvalidArgumentTypeError: aliases of another form.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample().with_aliases({"Liverpool": "The Reds"})
            >>> q.team("the reds")["team_name"]
            'Liverpool'
        """
        from quantum_frames.ops.names import as_aliases, check_alias_teams, default_aliases

        added = as_aliases(aliases, argument="aliases")
        check_alias_teams(self.teams, added)
        current = default_aliases() if self.aliases is None else self.aliases
        return replace(self, aliases=pl.concat([current, added]).unique(maintain_order=True))

    def lazy(self) -> LazyFrames:
        """A lazy view: the same operations on LazyFrames, names checked against this data.

        Returns:
            The view (``.teams``, ``.friction``, ``.strategies`` as LazyFrames).

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().lazy().teams_in_league("serie a").collect().height
            20
        """
        return LazyFrames(self)

    # --- operations (thin delegations to quantum_frames.ops) ---------------------------------

    @property
    def _json_sources(self) -> set[str]:
        return set(self.report["source"].to_list())

    @property
    def _separator(self) -> str:
        return str(self.options.get("separator", "."))

    def team(self, name: str | int) -> dict[str, Any]:
        """One team as a dict, JSON vectors nested back; see :func:`quantum_frames.ops.teams.team`.

        Args:
            name: a team name or alias (case and accents ignored), or a team_id.

        Returns:
            The team as a dict.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.team("psg")["team_name"]  # case, accents and aliases tolerated
            'Paris Saint-Germain'
        """
        from quantum_frames.ops.teams import team

        return team(self.raw.teams, name, json_columns=self._json_sources, aliases=self.aliases)

    def dna_vector(self, team: str | int, vector: str) -> Any:
        """One JSON vector of one team as a dict (None when NULL).

        Args:
            team: a team name or alias, or a team_id.
            vector: the JSON column, e.g. ``market_dna``.

        Returns:
            The vector.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> sorted(q.dna_vector("Liverpool", "market_dna"))[:2]
            ['best_strategy', 'empirical_profile']
        """
        from quantum_frames.ops.teams import dna_vector

        return dna_vector(
            self.raw.teams, team, vector, json_columns=self._json_sources, aliases=self.aliases
        )

    def teams_with_tags(
        self,
        *tags: str | Sequence[str],
        match: Literal["all", "any", "none"] = "all",
        strict: bool = True,
    ) -> pl.DataFrame:
        """Teams carrying all / any / none of ``tags``; see ``ops.tags.teams_with_tags``.

        Args:
            tags: tags or globs (``GK_*``), as arguments or lists.
            match: "all", "any" or "none".
            strict: an unknown plain tag is an error (False: filter on it anyway).

        Returns:
            The matching teams.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.teams_with_tags("GK_*", match="none").height < q.teams.height
            True
        """
        from quantum_frames.ops.tags import teams_with_tags

        return teams_with_tags(self.teams, *tags, match=match, strict=strict)

    def teams_in_tier(self, *tiers: str | Sequence[str]) -> pl.DataFrame:
        """Teams in any of ``tiers`` (ELITE, TOP6, MID, BOTTOM; case ignored).

        Args:
            tiers: tiers, as arguments or lists.

        Returns:
            The teams.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.teams_in_tier("ELITE", "TOP6")["tier"].unique().sort().to_list()
            ['ELITE', 'TOP6']
        """
        from quantum_frames.ops.tiers import teams_in_tier

        return teams_in_tier(self.teams, *tiers)

    def elite_teams(self) -> pl.DataFrame:
        """The ELITE teams.

        Returns:
            The teams.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.elite_teams()["tier"].unique().to_list()
            ['ELITE']
        """
        from quantum_frames.ops.tiers import elite_teams

        return elite_teams(self.teams)

    def teams_in_league(self, *leagues: str | Sequence[str]) -> pl.DataFrame:
        """Teams of any of ``leagues`` (case and accents ignored).

        Args:
            leagues: leagues, as arguments or lists.

        Returns:
            The teams.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.teams_in_league("serie a").height
            20
        """
        from quantum_frames.ops.tiers import teams_in_league

        return teams_in_league(self.teams, *leagues)

    def tier_ranking(
        self,
        by: str | None = None,
        *,
        within: str | Sequence[str] | None = "league",
        ascending: bool = False,
    ) -> pl.DataFrame:
        """Teams ranked inside each ``within`` group; see ``ops.tiers.tier_ranking``.

        Args:
            by: a metric to rank by (None: by tier, then tier_rank).
            within: the group column(s) (None: one overall ranking).
            ascending: with ``by``: lowest first.

        Returns:
            The teams with ``rank``.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.tier_ranking()["tier"][0]
            'ELITE'
            >>> q.tier_ranking(by="roi").columns[-1]
            'rank'
        """
        from quantum_frames.ops.tiers import tier_ranking

        return tier_ranking(self.teams, by, within=within, ascending=ascending)

    def tag_counts(self) -> pl.DataFrame:
        """How many teams carry each tag.

        Returns:
            ``tag, teams, share``.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.tag_counts().columns
            ['tag', 'teams', 'share']
        """
        from quantum_frames.ops.tags import tag_counts

        return tag_counts(self.teams)

    def tag_cooccurrence(self) -> pl.DataFrame:
        """Tag × tag: how many teams carry both.

        Returns:
            The square frame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> m = q.tag_cooccurrence()
            >>> m.height == m.width - 1  # tag × tag, and the tag column
            True
        """
        from quantum_frames.ops.tags import tag_cooccurrence

        return tag_cooccurrence(self.teams)

    def high_friction_matchups(
        self, threshold: float = 0.7, *, season: str | None = None
    ) -> pl.DataFrame:
        """Pairs with friction_score ≥ threshold (0–1), highest first (newest season per pair).

        Args:
            threshold: the lowest friction_score kept.
            season: the season to look in; None: each pair's newest season.

        Returns:
            The pairs.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> (q.high_friction_matchups(0.7)["friction_score"] >= 0.7).all()
            True
        """
        from quantum_frames.ops.friction import high_friction_matchups

        return high_friction_matchups(self.friction.frame, threshold, season=season)

    def friction_matrix(
        self, league: str | Sequence[str] | None = None, *, season: str | None = None
    ) -> pl.DataFrame:
        """Wide home × away frame of friction_score (newest season per pair).

        Args:
            league: a league or a list of leagues (None: all).
            season: the season to show; None: each pair's newest season.

        Returns:
            The matrix.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.friction_matrix("Serie A").shape  # home rows × (home + 20 away columns)
            (20, 21)
        """
        from quantum_frames.ops.friction import friction_matrix

        return friction_matrix(self.friction.frame, league, season=season)

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
        """Fixtures joined with the friction of their (home, away) pair, vectorised.

        Args:
            fixtures: Polars (eager or lazy), pandas or pyarrow fixtures.
            home: the home team column.
            away: the away team column.
            on_unknown: "warn", "raise" or "ignore" names that match no team.
            season: the season of the friction joined; None: each pair's newest.

        Returns:
            The fixtures with the friction columns.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> import polars as pl
            >>> fixtures = pl.DataFrame({"home": ["Liverpool"], "away": ["Everton"]})
            >>> q.friction_for(fixtures)["friction_score"].to_list()
            [0.5288]
        """
        from quantum_frames.ops.friction import friction_for

        return friction_for(
            self.friction.frame, self.teams, fixtures, home, away,
            on_unknown=on_unknown, season=season, aliases=self.aliases,
        )  # fmt: skip

    def strategies_for(self, team: str | int) -> pl.DataFrame:
        """The strategies of one team, highest conviction first.

        Args:
            team: a team name or alias, or a team_id.

        Returns:
            The strategies.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.strategies_for("Liverpool")["team_name"].unique().to_list()
            ['Liverpool']
        """
        from quantum_frames.ops.strategies import strategies_for

        return strategies_for(self.strategies, self.teams, team, aliases=self.aliases)

    def strategies_by_conviction(self, min_conviction: float) -> pl.DataFrame:
        """Strategies with conviction ≥ ``min_conviction`` (0–100), highest first.

        Args:
            min_conviction: the lowest conviction kept.

        Returns:
            The strategies.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> (q.strategies_by_conviction(70)["conviction"] >= 70).all()
            True
        """
        from quantum_frames.ops.strategies import strategies_by_conviction

        return strategies_by_conviction(self.strategies, min_conviction)

    def best_strategy(
        self, team: str | int, context: Mapping[str, Any] | None = None, *, strict: bool = False
    ) -> dict[str, Any] | None:
        """The best active strategy of ``team`` whose context_filters match ``context``.

        Args:
            team: a team name or alias, or a team_id.
            context: e.g. ``{"venue": "home"}``.
            strict: raise (instead of warning) on a context key or value no filter uses.

        Returns:
            The strategy as a dict, or None.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> context = {"venue": "home", "opponent_tier": "ELITE"}
            >>> q.best_strategy("Liverpool", context)["strategy_name"]
            'CONVERGENCE_OVER_MC'
        """
        from quantum_frames.ops.strategies import best_strategy

        return best_strategy(
            self.strategies, self.raw.strategies, self.teams, team, context,
            separator=self._separator, json_columns=self._json_sources, strict=strict,
            aliases=self.aliases,
        )  # fmt: skip

    def best_strategies(
        self, fixtures: FrameT, /, *, team: str = "team", strict: bool = False
    ) -> FrameT:
        """For each fixture row, the best strategy of its team for the row's context.

        A team name that matches no team is named in an ``UnresolvedTeamsWarning`` pointing
        at the caller's line (``strict=True``: an
        :class:`~quantum_frames.errors.UnknownTeamError`).

        Args:
            fixtures: Polars (eager or lazy), pandas or pyarrow fixtures.
            team: the team column.
            strict: raise for a team name that matches no team instead of warning.

        Returns:
            The fixtures with the chosen strategy's columns.

        Raises:
            UnknownTeamError: ``strict`` and a team name matches no team.

        Examples:
            >>> import polars as pl, quantum_frames as qf
            >>> fixtures = pl.DataFrame({"team": ["Liverpool"], "venue": ["home"]})
            >>> qf.sample().best_strategies(fixtures).height
            1
        """
        from quantum_frames.ops.strategies import best_strategies

        return best_strategies(
            self.strategies, self.teams, fixtures,
            team=team, separator=self._separator, aliases=self.aliases, strict=strict,
        )  # fmt: skip

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
        """Write a snapshot directory; see :func:`quantum_frames.snapshots.write_snapshot`.

        Args:
            path: the snapshot directory to create.
            as_of: the date the data describes (default: now).
            overwrite: replace an existing snapshot there.
            partition_by: Hive-partition the flat tables on these columns.
            progress: show a progress bar (None: in terminals and notebooks).

        Returns:
            The path written.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> import tempfile, pathlib
            >>> path = q.write_snapshot(pathlib.Path(tempfile.mkdtemp()) / "s", as_of="2025-11-15")
            >>> qf.read_snapshot(path).as_of.date().isoformat()
            '2025-11-15'
        """
        from quantum_frames.snapshots.writer import write_snapshot

        return write_snapshot(
            self,
            path,
            as_of=as_of,
            overwrite=overwrite,
            partition_by=partition_by,
            progress=progress,
        )

    def write_history(
        self,
        path: str | os.PathLike[str],
        /,
        *,
        as_of: date | datetime | str | None = None,
        contract: Contract = "evolve",
    ) -> Append:
        """Append to a Delta Lake history; see :func:`quantum_frames.history.write_history`.

        Args:
            path: the history folder (created on the first append).
            as_of: the moment the data describes (default: ``q.as_of``, else now); it must be
                after the newest moment's.
            contract: "evolve" (any shape), "freeze" (refuse a moment whose shape differs from
                the newest moment's), or per table, e.g. ``{"teams": "freeze"}``.

        Returns:
            What the append did: its moment, and whether a new version was written.

        Examples:
            >>> import pathlib, tempfile
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> history = pathlib.Path(tempfile.mkdtemp()) / "history"
            >>> first = q.write_history(history, as_of="2025-11-15")
            >>> first.moment.version, first.written
            (0, True)
            >>> q.write_history(history, as_of="2025-11-16").written  # same data: no new moment
            False
        """
        from quantum_frames.history import write_history

        return write_history(self, path, as_of=as_of, contract=contract)

    def drift(self, reference: QuantumFrames | str | os.PathLike[str], /) -> pl.DataFrame:
        """Shape changes since ``reference``; see :func:`quantum_frames.history.drift_report`.

        Args:
            reference: the frames, snapshot or history to compare with.

        Returns:
            One row per change: table, column, change, before, after (empty: same shape).

        Examples:
            >>> import pathlib, tempfile
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> snapshot = q.write_snapshot(pathlib.Path(tempfile.mkdtemp()) / "s")
            >>> report = q.drift(snapshot)
            >>> report.columns, report.is_empty()
            (['table', 'column', 'change', 'before', 'after'], True)
        """
        from quantum_frames.history import drift_report

        return drift_report(self, reference)

    def reflatten(
        self,
        *,
        separator: str = ".",
        max_depth: int | None = None,
        max_columns: int | None = MAX_COLUMNS,
    ) -> QuantumFrames:
        """Flatten the lossless source again with other options (works offline).

        Args:
            separator: joins a column name and its JSON keys in flat column names.
            max_depth: objects nested deeper than this many keys stay JSON text.
            max_columns: leaf columns per JSON column (None: no limit); past it the widest
                objects stay JSON text, named in the report.

        Returns:
            A new QuantumFrames.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample().reflatten(separator="__")
            >>> q.options["separator"], any("__" in c for c in q.teams.columns)
            ('__', True)
        """
        sources = self._json_sources
        json_columns = {
            name: [c for c in raw.columns if c in sources] for name, raw in self.raw.items()
        }
        flat, report = flatten_tables(
            self.raw,
            json_columns,
            separator=separator,
            max_depth=max_depth,
            max_columns=max_columns,
        )
        return replace(
            self,
            teams=flat["teams"],
            friction=FrictionFrame(flat["friction"]),
            strategies=flat["strategies"],
            report=report,
            options={"separator": separator, "max_depth": max_depth, "max_columns": max_columns},
        )

    def sql(
        self,
        query: str,
        /,
        *,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
        lazy: bool = False,
        allow_files: bool = False,
    ) -> Any:
        """DuckDB SQL over ``teams``, ``friction``, ``strategies`` (and ``raw_*``); see ``qf.sql``.

        Args:
            query: one SQL statement.
            params: query parameters (``?``/``$1`` positional, or ``$name`` by name).
            lazy: return a ``pl.LazyFrame`` over the result.
            allow_files: let the query read and write files (off: locked down).

        Returns:
            A ``pl.DataFrame`` (a ``pl.LazyFrame`` with ``lazy=True``).

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.sql("SELECT count(*) AS n FROM teams WHERE tier = ?", params=["ELITE"]).item()
            15
        """
        from quantum_frames.sql import sql

        return sql(self, query, params=params, lazy=lazy, allow_files=allow_files)

    def diff(self, other: QuantumFrames, /) -> pl.DataFrame:
        """What changed from ``self`` to ``other``, one row per change (see ``ops.diff``).

        Args:
            other: the newer data.

        Returns:
            One row per change.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.diff(q).is_empty()  # nothing changed
            True
        """
        from quantum_frames.ops.diff import diff

        return diff(self, other)

    def to_duckdb(self, path: str | os.PathLike[str], /, *, overwrite: bool = False) -> Path:
        """Write a DuckDB database file with the flattened tables and the lossless ones.

        Args:
            path: the database file to create.
            overwrite: replace an existing file.

        Returns:
            The path written.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> import tempfile, pathlib
            >>> q.to_duckdb(pathlib.Path(tempfile.mkdtemp()) / "q.duckdb").name
            'q.duckdb'
        """
        from quantum_frames.sql import to_duckdb

        return to_duckdb(self, path, overwrite=overwrite)

    def describe_source(self) -> str:
        """One line: where the data came from (:meth:`.source.record.Source.describe`).

        Returns:
            ``postgresql://user@host:port/db (schema …)``, ``snapshot PATH`` or the kind.

        Examples:
            >>> import quantum_frames as qf
            >>> qf.sample().describe_source().endswith("(synthetic)")
            True
        """
        from quantum_frames.source.record import Source

        return Source.from_mapping(self.source).describe()

    def __repr__(self) -> str:
        """Where the frames came from and when, then a line per table: rows, columns, JSON."""
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


class LazyFrames:
    """``q.lazy()``: the operations on LazyFrames, with names checked against ``q``'s data.

    Its teams, leagues and tags are known up front: nothing is collected to check them.

    Attributes:
        teams: the teams as a LazyFrame.
        friction: the friction table as a LazyFrame.
        strategies: the strategies as a LazyFrame.

    Examples:
        >>> import quantum_frames as qf
        >>> q = qf.sample()
        >>> lf = q.lazy().elite_teams()  # a LazyFrame: nothing computed yet
        >>> lf.collect()["tier"].unique().to_list()
        ['ELITE']
    """

    def __init__(self, q: QuantumFrames) -> None:
        """A lazy view of ``q``."""
        self._q = q
        self.teams = q.teams.lazy()
        self.friction = q.friction.frame.lazy()
        self.strategies = q.strategies.lazy()

    def __repr__(self) -> str:
        """What the view is of."""
        return f"LazyFrames of {self._q.describe_source()}"

    def teams_with_tags(
        self,
        *tags: str | Sequence[str],
        match: Literal["all", "any", "none"] = "all",
        strict: bool = True,
    ) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.teams_with_tags`.

        Args:
            tags: tags or globs.
            match: "all", "any" or "none".
            strict: an unknown plain tag is an error.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> lf = q.lazy().teams_with_tags("GK_*")
            >>> lf.collect().height == q.teams_with_tags("GK_*").height
            True
        """
        from quantum_frames.ops.tags import known_tags, teams_with_tags

        known = known_tags(self._q.teams) if strict else None
        return teams_with_tags(self.teams, *tags, match=match, strict=strict, known=known)

    def teams_in_tier(self, *tiers: str | Sequence[str]) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.teams_in_tier`.

        Args:
            tiers: tiers.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.lazy().teams_in_tier("TOP6").collect()["tier"].unique().to_list()
            ['TOP6']
        """
        from quantum_frames.ops.tiers import teams_in_tier

        return teams_in_tier(self.teams, *tiers)

    def elite_teams(self) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.elite_teams`.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.lazy().elite_teams().collect().height == q.elite_teams().height
            True
        """
        from quantum_frames.ops.tiers import elite_teams

        return elite_teams(self.teams)

    def teams_in_league(self, *leagues: str | Sequence[str]) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.teams_in_league`.

        Args:
            leagues: leagues.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.lazy().teams_in_league("Serie A").collect().height
            20
        """
        from quantum_frames.ops.tiers import teams_in_league

        known = self._q.teams.get_column("league").drop_nulls().unique().to_list()
        return teams_in_league(self.teams, *leagues, known=known)

    def tier_ranking(
        self,
        by: str | None = None,
        *,
        within: str | Sequence[str] | None = "league",
        ascending: bool = False,
    ) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.tier_ranking`.

        Args:
            by: a metric to rank by.
            within: the group column(s).
            ascending: with ``by``: lowest first.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.lazy().tier_ranking().collect()["tier"][0]
            'ELITE'
        """
        from quantum_frames.ops.tiers import tier_ranking

        return tier_ranking(self.teams, by, within=within, ascending=ascending)

    def high_friction_matchups(
        self, threshold: float = 0.7, *, season: str | None = None
    ) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.high_friction_matchups`.

        Args:
            threshold: the lowest friction_score kept.
            season: the season to look in; None: each pair's newest season.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> lf = q.lazy().high_friction_matchups(0.7)
            >>> lf.collect().height == q.high_friction_matchups(0.7).height
            True
        """
        from quantum_frames.ops.friction import high_friction_matchups

        return high_friction_matchups(self.friction, threshold, season=season)

    def strategies_for(self, team: str | int) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.strategies_for`.

        Args:
            team: a team name or alias, or a team_id.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> q.lazy().strategies_for("Liverpool").collect()["team_name"].unique().to_list()
            ['Liverpool']
        """
        from quantum_frames.ops.strategies import strategies_for

        return strategies_for(self.strategies, self._q.teams, team, aliases=self._q.aliases)

    def strategies_by_conviction(self, min_conviction: float) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.strategies_by_conviction`.

        Args:
            min_conviction: the lowest conviction kept.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> (q.lazy().strategies_by_conviction(70).collect()["conviction"] >= 70).all()
            True
        """
        from quantum_frames.ops.strategies import strategies_by_conviction

        return strategies_by_conviction(self.strategies, min_conviction)

    def friction_for(
        self,
        fixtures: pl.LazyFrame,
        /,
        home: str = "home",
        away: str = "away",
        *,
        on_unknown: Literal["warn", "raise", "ignore"] = "warn",
        season: str | None = None,
    ) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.friction_for`.

        Args:
            fixtures: the fixtures (made lazy).
            home: the home team column.
            away: the away team column.
            on_unknown: "warn", "raise" or "ignore" names that match no team.
            season: the season of the friction joined; None: each pair's newest.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> import polars as pl
            >>> fixtures = pl.LazyFrame({"home": ["Liverpool"], "away": ["Everton"]})
            >>> q.lazy().friction_for(fixtures).collect()["friction_score"].to_list()
            [0.5288]
        """
        return self._q.friction_for(
            fixtures.lazy(), home, away, on_unknown=on_unknown, season=season
        )

    def best_strategies(
        self, fixtures: pl.LazyFrame, /, *, team: str = "team", strict: bool = False
    ) -> pl.LazyFrame:
        """See :meth:`QuantumFrames.best_strategies`.

        Args:
            fixtures: the fixtures (made lazy).
            team: the team column.
            strict: raise for a team name that matches no team instead of warning.

        Returns:
            A LazyFrame.

        Examples:
            >>> import quantum_frames as qf
            >>> q = qf.sample()
            >>> import polars as pl
            >>> fixtures = pl.LazyFrame({"team": ["Liverpool"], "venue": ["home"]})
            >>> q.lazy().best_strategies(fixtures).collect().height
            1
        """
        return self._q.best_strategies(fixtures.lazy(), team=team, strict=strict)
