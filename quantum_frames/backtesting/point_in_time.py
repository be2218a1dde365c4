"""Point-in-time joins: each fixture sees only the data of a snapshot taken strictly before it."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames._typing import FrameT
from quantum_frames.errors import InvalidArgumentError, InvalidArgumentTypeError
from quantum_frames.frames import QuantumFrames
from quantum_frames.ops.friction import one_season, report_unknown_teams
from quantum_frames.ops.names import name_ids
from quantum_frames.ops.strategies import best_strategies

if TYPE_CHECKING:
    from collections.abc import Sequence

    from quantum_frames._typing import FrameT
    from quantum_frames.frames import QuantumFrames
    from quantum_frames.history._log import Moment

__all__ = ["NoSnapshotWarning", "point_in_time"]

TEAM_COLUMNS: Final = (
    "team_id", "league", "tier", "tier_rank", "current_style", "win_rate", "roi", "avg_clv",
    "narrative_fingerprint_tags",
)  # fmt: skip
FRICTION_COLUMNS: Final = (
    "friction_score", "friction_level", "predicted_goals", "predicted_btts_prob",
    "predicted_over25_prob", "chaos_potential",
)  # fmt: skip
STRATEGY_COLUMNS: Final = ("strategy_id", "strategy_name", "market_type", "conviction")


class NoSnapshotWarning(UserWarning):
    """Some fixtures are older than every snapshot: they got nulls, never later data."""


def point_in_time(
    fixtures: FrameT,
    snapshots: str | os.PathLike[str] | Sequence[QuantumFrames],
    /,
    *,
    on: str = "date",
    home: str = "home",
    away: str = "away",
    team_columns: Sequence[str] = TEAM_COLUMNS,
    season: str | None = None,
    strict: bool = False,
) -> FrameT:
    """Join each fixture with the data of the newest snapshot strictly before its date-time.

    The snapshot's ``as_of`` must be **strictly before** the fixture's date-time (a snapshot taken
    on match day may hold the result). Unlike ``read_snapshot(folder, as_of=day)`` ("at or before",
    the day included), a snapshot as of the fixture's own day is never used; a folder whose moments
    are ambiguous raises.

    Adds ``snapshot_as_of`` (audit every decision), the home and away team's columns
    (``home_tier``, ``away_roi`` …), the pair's friction (``friction_score`` …) and each
    side's best strategy for the fixture's context (``home_strategy_name`` for venue home
    against the away team's tier, and the same for the away side). A bare date means the
    start of that day (UTC). Fixtures older than every snapshot keep their row with nulls,
    counted in a :class:`NoSnapshotWarning`. Rows keep their order; the input is not modified.

    A team name that matches no team of the snapshot a fixture sees (a typo such as
    "Liverpol") would leave that fixture's team data, friction and strategy null: it is
    reported in an :class:`~quantum_frames.ops.friction.UnresolvedTeamsWarning` naming it and
    its closest matches, or raised as :class:`~quantum_frames.errors.UnknownTeamError` with
    ``strict=True``. A lazy frame is collected (point-in-time needs every fixture's moment)
    and handed back lazy.

    Args:
        fixtures: one row per match with ``on``, ``home`` and ``away`` columns.
        snapshots: a folder of snapshots, a history (``write_history``), or QuantumFrames
            that each have ``as_of``.
        on: the fixtures' date (or date-time) column.
        home: the fixtures' home team column.
        away: the fixtures' away team column.
        team_columns: the team columns joined for each side.
        season: the friction season to join; None: each pair's newest season in the
            snapshot (never two rows for one fixture).
        strict: raise on a team name that matches no team instead of warning.

    Returns:
        The fixtures with ``snapshot_as_of`` and the joined columns, eager or lazy like the
        input.

    Raises:
        UnknownTeamError: ``strict`` and a team name matches no team.
        InvalidArgumentError: a column is missing, a date is not a date, no snapshot has an
            as_of, or the fixtures already hold a column this adds (``friction_score``,
            ``home_tier`` …: an enriched frame enriched again) (also a ``ValueError``).
        InvalidArgumentTypeError: ``fixtures`` is not a polars frame (also a ``TypeError``).

    Examples:
        >>> import quantum_frames as qf
        >>> folder, fixtures = qf.sample_season()
        >>> enriched = qf.point_in_time(fixtures.head(20), folder)
        >>> (enriched["snapshot_as_of"].dt.date() < enriched["date"]).all()  # strictly before
        True
        >>> enriched.height, "home_strategy_name" in enriched.columns
        (20, True)
    """
    if not isinstance(fixtures, pl.DataFrame | pl.LazyFrame):
        msg = (
            f"fixtures must be a polars DataFrame or LazyFrame, not {type(fixtures).__name__}. "
            "Hint: convert it first, e.g. pl.from_pandas(df)."
        )
        raise InvalidArgumentTypeError(msg, argument="fixtures")
    lazy = isinstance(fixtures, pl.LazyFrame)
    df: pl.DataFrame = fixtures.collect() if isinstance(fixtures, pl.LazyFrame) else fixtures
    for argument, col in (("on", on), ("home", home), ("away", away)):
        if col not in df.columns:
            msg = (
                f"the fixtures lack column {col!r}; they have {df.columns}. "
                f"Hint: pass {argument}= naming the fixtures' {argument} column."
            )
            raise InvalidArgumentError(msg, argument=argument)
    _check_reserved(df.columns, team_columns)
    delta = _delta_history(snapshots)
    history = [] if delta is not None else _history(snapshots)
    when = [m.as_of for m in delta[1]] if delta is not None else [q.as_of for q in history]
    moments = df.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"), _moment(df, on))
    stamps = pl.DataFrame(
        {"snapshot_as_of": when}, schema={"snapshot_as_of": pl.Datetime("us", "UTC")}
    )
    assigned = (
        moments.sort("__moment")
        .join_asof(
            stamps.sort("snapshot_as_of"),
            left_on="__moment",
            right_on="snapshot_as_of",
            strategy="backward",
            allow_exact_matches=False,
            coalesce=False,
        )
        .sort("__row")
    )
    base = df.with_columns(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("__row"),
        assigned.get_column("snapshot_as_of"),
    )
    orphans = base.get_column("snapshot_as_of").null_count()
    if orphans:
        first = delta[1][0].as_of if delta is not None else history[0].as_of
        msg = (
            f"{orphans} fixture(s) are not after any snapshot (the first is as of "
            f"{first:%Y-%m-%d %H:%M} UTC); they got nulls, never later data."
        )
        warnings.warn(msg, NoSnapshotWarning, stacklevel=2)
    if delta is not None:
        done = _over_history(base, *delta, home, away, team_columns, season, strict)
        return done.lazy() if lazy else done  # type: ignore[return-value]
    parts = [base.filter(pl.col("snapshot_as_of").is_null())]
    unknown: dict[str, None] = {}
    for q in history:
        rows = base.filter(pl.col("snapshot_as_of") == q.as_of)
        if rows.height:
            enriched = _enrich(rows, q, home, away, team_columns, season)
            for side, col in (("home", home), ("away", away)):
                missed = enriched.filter(
                    pl.col(col).is_not_null() & pl.col(f"{side}_team_id").is_null()
                )
                unknown.update(dict.fromkeys(missed.get_column(col).cast(pl.String).to_list()))
            parts.append(enriched)
    if len(parts) == 1:  # no fixture sees a snapshot: the columns still come, all null
        parts.append(_enrich(base.head(0), history[-1], home, away, team_columns, season))
    if unknown:
        report_unknown_teams(
            sorted(unknown),
            history[-1].teams,
            strict=strict,
            consequence="their fixtures have null team data, friction and strategies",
        )
    out = pl.concat(parts, how="diagonal_relaxed").sort("__row").drop("__row")
    return out.lazy() if lazy else out  # type: ignore[return-value]


def _delta_history(
    snapshots: str | os.PathLike[str] | Sequence[QuantumFrames],
) -> tuple[Path, list[Moment]] | None:
    """The root and moments of a Delta history (None: ``snapshots`` is not one)."""
    if not isinstance(snapshots, str | os.PathLike):
        return None
    from quantum_frames.history import is_history

    if not is_history(snapshots):
        return None
    from quantum_frames.history._log import load_moments
    from quantum_frames.history._reader import require_deltalake

    require_deltalake()
    root = Path(snapshots)
    moments = load_moments(root)
    if not moments:
        msg = (
            f"history {root} holds no moment yet: point-in-time data needs at least one. Hint: "
            "append one with q.write_history(path)."
        )
        raise InvalidArgumentError(msg, argument="snapshots")
    return root, moments


def _history(snapshots: str | os.PathLike[str] | Sequence[QuantumFrames]) -> list[QuantumFrames]:
    if isinstance(snapshots, str | os.PathLike):
        from quantum_frames.snapshots.reader import read_snapshot_history

        history = read_snapshot_history(Path(snapshots))  # one per moment; ambiguous ones raise
    else:
        history = list(snapshots)
    if not history:
        msg = (
            "no snapshots given: point-in-time data needs at least one snapshot with an as_of "
            "date. Hint: pass a folder of snapshots written with write_snapshot(as_of=…)."
        )
        raise InvalidArgumentError(msg, argument="snapshots")
    undated = [i for i, q in enumerate(history) if q.as_of is None]
    if undated:
        msg = (
            f"snapshot(s) at position {undated} have no as_of date. Hint: write them with "
            "write_snapshot(as_of=…) and read them back."
        )
        raise InvalidArgumentError(msg, argument="snapshots")
    return sorted(history, key=lambda q: q.as_of)  # type: ignore[arg-type, return-value]


def _moment(fixtures: pl.DataFrame, on: str) -> pl.Expr:
    dtype = fixtures.schema[on]
    col = pl.col(on)
    if dtype == pl.Date:
        moment = col.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    elif isinstance(dtype, pl.Datetime):
        moment = (
            col.dt.replace_time_zone("UTC")
            if dtype.time_zone is None
            else col.dt.convert_time_zone("UTC")
        )
        moment = moment.dt.cast_time_unit("us")
    elif dtype == pl.String:
        parsed = fixtures.get_column(on).str.to_datetime(strict=False, time_zone="UTC")
        if parsed.null_count() > fixtures.get_column(on).null_count():
            bad = fixtures.get_column(on).filter(parsed.is_null()).head(3).to_list()
            msg = (
                f"column {on!r} holds values that are not dates: {bad}. "
                "Hint: use ISO 8601 (2025-09-01)."
            )
            raise InvalidArgumentError(msg, argument="on")
        moment = pl.lit(parsed.dt.cast_time_unit("us"))
    else:
        msg = (
            f"column {on!r} must hold dates or date-times, not {dtype}. "
            "Hint: cast it with pl.col(...).str.to_date(), or pass on= naming the date column."
        )
        raise InvalidArgumentError(msg, argument="on")
    if fixtures.get_column(on).null_count():
        msg = (
            f"column {on!r} has missing dates; every fixture needs one to be placed in time. "
            "Hint: drop or fill the fixtures without a date first."
        )
        raise InvalidArgumentError(msg, argument="on")
    return moment.alias("__moment")


def _check_reserved(columns: Sequence[str], team_columns: Sequence[str]) -> None:
    """Refuse fixtures that already hold a column the enrichment adds or works with.

    A joined value would otherwise sit beside the caller's under another name, or the caller's
    would be read (a strategy context reading the fixture's own ``home_tier``) or kept in its
    place: a silently wrong enrichment.
    """
    added = [
        "snapshot_as_of",
        *FRICTION_COLUMNS,
        *(
            f"{side}_{c}"
            for side in ("home", "away")
            for c in (
                "team_id",
                *team_columns,
            )
        ),
        *(_strategy_column(side, c) for side in ("home", "away") for c in STRATEGY_COLUMNS),
    ]
    taken = [c for c in columns if c in added or c in _INTERNAL]
    if taken:
        msg = (
            f"the fixtures already hold column(s) {taken} that point_in_time adds or uses "
            "itself. Hint: drop or rename them first (an enriched frame: enrich the fixtures it "
            "was made from)."
        )
        raise InvalidArgumentError(msg, argument="fixtures")


def _strategy_column(side: str, column: str) -> str:
    """The enriched name of a strategy column: ``home_strategy_name``, ``away_strategy_id`` …."""
    return f"{side}_strategy_{column.removeprefix('strategy_')}"


#: The columns point_in_time works with internally.
_INTERNAL: Final = frozenset({"__row", "__moment", "__m"})


def _enrich(
    rows: pl.DataFrame,
    q: QuantumFrames,
    home: str,
    away: str,
    team_columns: Sequence[str],
    season: str | None,
) -> pl.DataFrame:
    names = pl.concat([rows.lazy().select(pl.col(c).alias("name")) for c in (home, away)])
    ids = name_ids(q.teams, names).collect()
    cols = [c for c in team_columns if c in q.teams.columns and c != "team_id"]
    team_data = q.teams.select("team_id", *cols)
    out = rows
    for side, col in (("home", home), ("away", away)):
        side_ids = ids.rename({"name": col, "team_id": f"{side}_team_id"}).with_columns(
            pl.col(col).cast(rows.schema[col])  # name_ids gives names as text: team ids back
        )
        side_data = team_data.rename(
            {"team_id": f"{side}_team_id", **{c: f"{side}_{c}" for c in cols}}
        )
        out = out.join(side_ids, on=col, how="left", maintain_order="left", nulls_equal=False)
        out = out.join(side_data, on=f"{side}_team_id", how="left", maintain_order="left")
    fr_cols = [c for c in FRICTION_COLUMNS if c in q.friction.columns]
    newest = one_season(q.friction.frame, season)  # one row per fixture: a pair's newest season
    friction = newest.select(
        pl.col("team_home_id").alias("home_team_id"),
        pl.col("team_away_id").alias("away_team_id"),
        *fr_cols,
    )
    out = out.join(friction, on=["home_team_id", "away_team_id"], how="left", maintain_order="left")
    for side, col, other in (("home", home, "away"), ("away", away, "home")):
        context = out.select(  # a name already reported as unknown is not reported again
            pl.when(pl.col(f"{side}_team_id").is_not_null()).then(pl.col(col)).alias("team"),
            pl.lit(side).alias("venue"),
            (
                pl.col(f"{other}_tier")
                if f"{other}_tier" in out.columns
                else pl.lit(None, pl.String)
            ).alias("opponent_tier"),
        )
        chosen = best_strategies(q.strategies, q.teams, context, columns=STRATEGY_COLUMNS)
        picked = chosen.select(
            pl.col(c).alias(_strategy_column(side, c))
            for c in STRATEGY_COLUMNS
            if c in chosen.columns
        )
        out = pl.concat([out, picked], how="horizontal")
    return out


#: The teams columns the name lookups read (``name_ids``: names, normalized names, ids).
_LOOKUP_COLUMNS: Final = ("team_id", "team_name", "team_name_normalized")


def _over_history(
    base: pl.DataFrame,
    root: Path,
    moments: list[Moment],
    home: str,
    away: str,
    team_columns: Sequence[str],
    season: str | None,
    strict: bool,
) -> pl.DataFrame:
    """:func:`_enrich` for every fixture at once over a Delta history, one plan for the joins.

    Each fixture carries its moment (``__m``, null when it sees none); the tables of the
    moments used are scanned lazily at their Delta versions (only the columns the joins read),
    stacked with the moment as a column, and joined on (moment, key) — so no moment is read
    whole and no moment a fixture does not see is read at all. Name lookups, the season rule
    and the strategy choice stay per moment (each moment's teams and strategies decide them,
    as in :func:`_enrich`); the result is the one the snapshots of the same moments give,
    columns in the same order with the same dtypes.
    """
    from quantum_frames.history import _reader

    index = pl.DataFrame(
        {"snapshot_as_of": [m.as_of for m in moments], "__m": list(range(len(moments)))},
        schema={"snapshot_as_of": pl.Datetime("us", "UTC"), "__m": pl.Int64},
    )
    base = base.join(index, on="snapshot_as_of", how="left", maintain_order="left")
    used = sorted(base.get_column("__m").drop_nulls().unique().to_list()) or [len(moments) - 1]
    jobs = [(v, n) for v in used for n in ("teams", "friction", "strategies")]
    with ThreadPoolExecutor(2, thread_name_prefix="qf-pit") as pool:  # a Delta log replay each
        found = list(pool.map(lambda job: _checked(root, moments[job[0]], job[1], _reader), jobs))
    scans: dict[int, dict[str, pl.LazyFrame]] = {v: {} for v in used}
    for (v, n), scan in zip(jobs, found, strict=True):
        scans[v][n] = scan
    schemas = {v: {n: scan.collect_schema() for n, scan in scans[v].items()} for v in used}
    cols = {
        v: [c for c in team_columns if c in schemas[v]["teams"] and c != "team_id"] for v in used
    }
    fr_cols = {v: [c for c in FRICTION_COLUMNS if c in schemas[v]["friction"]] for v in used}
    st_cols = {v: [c for c in STRATEGY_COLUMNS if c in schemas[v]["strategies"]] for v in used}
    teams = dict(  # the teams are small: their lookup and data columns, read in one go
        zip(
            used,
            pl.collect_all(
                [
                    scans[v]["teams"].select(
                        list(
                            dict.fromkeys(
                                c for c in (*_LOOKUP_COLUMNS, *cols[v]) if c in schemas[v]["teams"]
                            )
                        )
                    )
                    for v in used
                ]
            ),
            strict=True,
        )
    )
    moment = pl.col("__m")
    lookups = []
    for v in used:
        rows = base.lazy().filter(moment == v)
        names = pl.concat([rows.select(pl.col(c).alias("name")) for c in (home, away)])
        lookups.append(name_ids(teams[v], names).with_columns(pl.lit(v, pl.Int64).alias("__m")))
    ids = dict(zip(used, pl.collect_all(lookups), strict=True))
    all_ids = pl.concat(ids.values(), how="diagonal_relaxed")
    team_data, friction = [], []
    for v in used:
        team_data.append(
            teams[v].lazy().select("team_id", *cols[v], pl.lit(v, pl.Int64).alias("__m"))
        )
        # only the pairs of teams the moment's fixtures name can match: the rest is dropped
        # as it is read (after the season rule, which looks at the whole table)
        found = ids[v].get_column("team_id").drop_nulls().unique()
        fr = one_season(scans[v]["friction"], season)
        fr_schema = schemas[v]["friction"]
        if all(fr_schema.get(c) == found.dtype for c in ("team_home_id", "team_away_id")):
            # ids of the join's own dtype: a pair no fixture names cannot match, whatever they
            # are (any other dtypes: no filter, the join decides as for a folder)
            fr = fr.filter(
                pl.col("team_home_id").is_in(found.implode())
                & pl.col("team_away_id").is_in(found.implode())
            )
        friction.append(
            fr.select(
                pl.col("team_home_id").alias("home_team_id"),
                pl.col("team_away_id").alias("away_team_id"),
                *fr_cols[v],
                pl.lit(v, pl.Int64).alias("__m"),
            )
        )
    all_teams = pl.concat(team_data, how="diagonal_relaxed")
    all_cols = list(dict.fromkeys(c for v in used for c in cols[v]))
    out = base.lazy()
    for side, col in (("home", home), ("away", away)):
        side_ids = (
            all_ids.rename({"name": col, "team_id": f"{side}_team_id"})
            .with_columns(pl.col(col).cast(base.schema[col]))  # team ids back from name_ids' text
            .lazy()
        )
        side_data = all_teams.rename(
            {"team_id": f"{side}_team_id", **{c: f"{side}_{c}" for c in all_cols}}
        )
        out = out.join(
            side_ids, on=["__m", col], how="left", maintain_order="left", nulls_equal=False
        )
        out = out.join(side_data, on=["__m", f"{side}_team_id"], how="left", maintain_order="left")
    out = out.join(
        pl.concat(friction, how="diagonal_relaxed"),
        on=["__m", "home_team_id", "away_team_id"],
        how="left",
        maintain_order="left",
    )
    joined = out.collect()
    unknown: dict[str, None] = {}
    seen = joined.filter(moment.is_not_null())
    for side, col in (("home", home), ("away", away)):
        missed = seen.filter(pl.col(col).is_not_null() & pl.col(f"{side}_team_id").is_null())
        unknown.update(dict.fromkeys(missed.get_column(col).cast(pl.String).to_list()))
    picks = []
    for v in used:
        part = joined.filter(moment == v)
        contexts = []
        for side, col, other in (("home", home, "away"), ("away", away, "home")):
            tier = (  # as the moment's own teams frame types it (the stacked one may widen)
                pl.col(f"{other}_tier").cast(schemas[v]["teams"]["tier"])
                if "tier" in cols[v]
                else pl.lit(None, pl.String)
            )
            contexts.append(
                part.select(  # a name already reported as unknown is not reported again
                    pl.when(pl.col(f"{side}_team_id").is_not_null())
                    .then(pl.col(col))
                    .alias("team"),
                    pl.lit(side).alias("venue"),
                    tier.alias("opponent_tier"),
                )
            )
        # each row is chosen for alone: both sides' rows in one call, split back after
        chosen = best_strategies(
            scans[v]["strategies"],
            teams[v],
            pl.concat(contexts, how="vertical_relaxed"),  # names become text there anyway
            columns=STRATEGY_COLUMNS,
        )
        sides = [
            chosen.slice(i * part.height, part.height).select(
                pl.col(c).alias(_strategy_column(side, c)) for c in st_cols[v]
            )
            for i, side in enumerate(("home", "away"))
        ]
        picks.append(pl.concat([part.select("__row"), *sides], how="horizontal"))
    if unknown:
        report_unknown_teams(
            sorted(unknown),
            _reader.scan_table(root, moments[-1], "teams"),
            strict=strict,
            consequence="their fixtures have null team data, friction and strategies",
        )
    done = joined.join(
        pl.concat(picks, how="diagonal_relaxed"), on="__row", how="left", maintain_order="left"
    )
    # the columns in the order the moments' own frames, concatenated, would give them
    order = list(base.columns)
    for v in used:
        for side in ("home", "away"):
            order += [f"{side}_team_id", *(f"{side}_{c}" for c in cols[v])]
        order += fr_cols[v]
        for side in ("home", "away"):
            order += [_strategy_column(side, c) for c in st_cols[v]]
    order = [c for c in dict.fromkeys(order) if c != "__m"]
    return done.select(order).sort("__row").drop("__row")


def _checked(root: Path, moment: Moment, name: str, reader: Any) -> pl.LazyFrame:
    """Table ``name`` of ``moment`` scanned lazily, its columns and dtypes checked against the log.

    Raises:
        HistoryError: the table's schema is not what the log recorded (naming the table).
    """
    from quantum_frames.errors import HistoryError

    scan: pl.LazyFrame = reader.scan_table(root, moment, name)
    state = moment.tables[name]
    try:
        got = [(c, str(d)) for c, d in scan.collect_schema().items()]
    except Exception:  # a column the log lists is missing: collect_schema raises
        got = []
    if got != [(c.name, c.dtype) for c in state.columns]:
        msg = (
            f"history {root}: table {name!r} at Delta version {state.version} does not match "
            f"moment {moment.version}'s log entry: its columns and dtypes differ. Hint: the table "
            "was changed outside quantum_frames; restore it from a backup."
        )
        raise HistoryError(msg, path=root / name, table=name)
    return scan
