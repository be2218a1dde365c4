"""Backtests of bets: stakes, profits, the bankroll path and honest metrics, vectorised."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import polars as pl

from quantum_frames.backtesting._bootstrap import Resampling, band, intervals
from quantum_frames.backtesting.calibration import (
    calibration_metrics,
    plot_calibration,
    reliability,
    require_altair,
)
from quantum_frames.backtesting.margins import (
    MARGINS,
    Margin,
    books,
    fair_probability_of,
    market_family,
)
from quantum_frames.backtesting.periods import Period, check_period
from quantum_frames.errors import InvalidArgumentError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from quantum_frames.backtesting.walk_forward import Periods

__all__ = ["RESULTS", "Backtest", "MarginWarning", "backtest"]

RESULTS: Final = ("win", "loss", "void", "push", "half_win", "half_loss")
WON: Final = ("win", "half_win")
LOST: Final = ("loss", "half_loss")
REQUIRED: Final = ("date", "home", "away", "market", "odds", "result")
Stake = Literal["flat", "given", "kelly"]
RAW_CLV: Final = "raw closing odds (margin not removed)"
OUTCOME_PREFIX: Final = "closing_odds_"
_FAMILY_OUTCOMES: Final = {"1x2": ("home", "draw", "away"), "btts": ("yes", "no")}
_THIN_BOOK: Final = 0.9


class MarginWarning(UserWarning):
    """Some bets lack the closing odds of an outcome of their market: their CLV is null."""


SUMMARY: Final = (
    "bets", "wins", "losses", "pushes", "voids", "skipped", "hit_rate", "turnover", "profit",
    "yield", "roi", "avg_odds", "avg_clv", "max_drawdown", "max_drawdown_pct",
    "longest_losing_streak", "final_bankroll",
)  # fmt: skip


@dataclass(frozen=True)
class Backtest:
    """The outcome of :func:`backtest`.

    Attributes:
        bets: every bet, sorted by date, with ``stake``, ``profit``, ``bankroll`` (after the
            bet) and ``clv`` (when closing odds are known).
        summary: one row of metrics (see :func:`backtest`).
        groups: the same metrics per ``by`` group (empty without ``by``).
        starting_bankroll: the bankroll before the first bet.
        stake_mode: ``flat``, ``given`` or ``kelly``.
        by: the group columns.
        resampling: how the intervals were bootstrapped (None: no intervals).
        clv_basis: what CLV was measured against (fair closing odds, or raw ones).
        calibration: the reliability table of the model's ``prob`` (empty without it).

    Examples:
        >>> import datetime as dt, polars as pl, quantum_frames as qf
        >>> bets = pl.DataFrame({
        ...     "date": [dt.date(2025, 9, 1)] * 2, "home": ["A", "C"], "away": ["B", "D"],
        ...     "market": ["over_2"] * 2, "odds": [2.0, 2.0], "result": ["win", "push"],
        ... })
        >>> bt = qf.backtest(bets)
        >>> bt["bets"], bt["pushes"], bt["profit"]  # a push is neither won nor lost
        (1, 1, 1.0)
    """

    bets: pl.DataFrame
    summary: pl.DataFrame
    groups: pl.DataFrame
    starting_bankroll: float
    stake_mode: str
    by: tuple[str, ...] = ()
    resampling: Resampling | None = None
    clv_basis: str = RAW_CLV
    calibration: pl.DataFrame = field(default_factory=pl.DataFrame)

    def __getitem__(self, metric: str) -> Any:
        """A summary metric: ``bt["yield"]``.

        Args:
            metric: a summary column, e.g. ``"yield"`` or ``"yield_ci_low"``.

        Returns:
            Its value.
        """
        return self.summary.get_column(metric).item()

    def __repr__(self) -> str:
        """The summary as a few lines of text (intervals beside their metric), then groups."""
        s = self.summary.row(0, named=True)
        head = (
            f"Backtest ({self.stake_mode} stakes, starting bankroll {self.starting_bankroll:,.2f})"
        )
        if s["bets"] + s["pushes"] + s["voids"] == 0:
            lines = [head, "  no bets placed: nothing to measure", *self._skipped_line(s)]
            lines.append(f"  final bankroll {s['final_bankroll']:,.2f}")
            return "\n".join(lines)
        ci = self._interval
        lines = [
            head,
            f"  bets {s['bets']:,}  (wins {s['wins']:,}, losses {s['losses']:,}, pushes "
            f"{s['pushes']:,}, voids {s['voids']:,}), hit rate "
            f"{_pct(s['hit_rate'], sign=False)}{ci(s, 'hit_rate', sign=False)}",
            *self._skipped_line(s),
            f"  turnover {s['turnover']:,.2f}  profit {s['profit']:+,.2f}"
            f"{ci(s, 'profit', money=True)}",
            f"  yield {_pct(s['yield'])}{ci(s, 'yield')}  ROI {_pct(s['roi'])}{ci(s, 'roi')}",
            f"  average odds {_num(s['avg_odds'])}  average CLV {_pct(s['avg_clv'])}"
            f"{ci(s, 'avg_clv')} (vs {self.clv_basis})",
            f"  max drawdown {s['max_drawdown']:,.2f} ({_pct(s['max_drawdown_pct'], sign=False)} "
            f"of peak)  longest losing streak {s['longest_losing_streak']}",
            f"  final bankroll {s['final_bankroll']:,.2f}",
        ]
        if "brier" in s and s["calibrated_bets"]:
            lines.append(
                f"  calibration over {s['calibrated_bets']:,} bets: Brier {s['brier']:.4f}  "
                f"log loss {s['log_loss']:.4f}"
            )
        if self.resampling is not None:
            r = self.resampling
            unit = {"date": "dates", "bet": "bets"}.get(r.block, f"{r.block} values")
            what = "single bets" if r.block == "bet" else f"whole {unit}"
            lines.append(
                f"  [{r.level:.0%} intervals: {r.resamples:,} bootstrap resamples of {what} "
                f"({s['ci_blocks']:,} {unit} with bets), seed {r.seed}; P(yield ≤ 0) = "
                f"{_pct(s['p_yield_le_0'], sign=False)}]"
            )
        if not self.groups.is_empty():
            ci_cols = ["yield_ci_low", "yield_ci_high", "p_yield_le_0"] if self.resampling else []
            shown = [*self.by, "bets", "skipped", "hit_rate", "turnover", "profit", "yield",
                     *ci_cols, "roi", "max_drawdown"]  # fmt: skip
            config = {"tbl_rows": 30, "float_precision": 3, "tbl_hide_dataframe_shape": True}
            with pl.Config(**config, tbl_width_chars=140, tbl_cols=16):  # type: ignore[arg-type]
                lines += ["", str(self.groups.select(shown))]
        return "\n".join(lines)

    def _interval(
        self, s: dict[str, Any], metric: str, *, sign: bool = True, money: bool = False
    ) -> str:
        low, high = s.get(f"{metric}_ci_low"), s.get(f"{metric}_ci_high")
        if self.resampling is None or low is None or high is None:
            return ""
        if money:
            return f" [{low:+,.2f}, {high:+,.2f}]"
        return f" [{_pct(low, sign=sign)}, {_pct(high, sign=sign)}]"

    def _skipped_line(self, s: dict[str, Any]) -> list[str]:
        if not s["skipped"]:
            return []
        why = " (Kelly saw no edge)" if self.stake_mode == "kelly" else ""
        return [f"  skipped {s['skipped']:,} bet(s) with stake 0{why}: not counted above"]

    def _repr_html_(self) -> str:
        from html import escape

        head = escape(repr(self).split("\n\n")[0]).replace("\n", "<br>")
        groups = self.groups._repr_html_() if not self.groups.is_empty() else ""
        return f"<div><p>{head}</p>{self.summary._repr_html_()}{groups}</div>"

    def by_period(self, period: Period = "month") -> Periods:
        """The metrics per calendar period and the share of profitable periods.

        Each period's drawdown starts from the starting bankroll; with intervals on, each
        period gets its own (the same resampling settings, its blocks only).

        Args:
            period: ``month``, ``week`` (ISO, from Monday) or ``season`` (July to June).

        Returns:
            A :class:`~quantum_frames.backtesting.walk_forward.Periods`: ``table`` (one row per
            period, in order) and ``share_profitable``.

        Raises:
            InvalidArgumentError: an unknown period.

        Examples:
            >>> import datetime as dt, polars as pl, quantum_frames as qf
            >>> bets = pl.DataFrame({
            ...     "date": [dt.date(2025, 9, 1), dt.date(2025, 10, 1)], "home": ["A", "C"],
            ...     "away": ["B", "D"], "market": ["1x2_home"] * 2, "odds": [2.0, 2.0],
            ...     "result": ["win", "loss"],
            ... })
            >>> qf.backtest(bets).by_period("month").table["profit"].to_list()
            [1.0, -1.0]
        """
        from quantum_frames.backtesting.walk_forward import periods_of

        return periods_of(self, check_period(period))

    def plot(self, *, title: str | None = None) -> Any:
        """The bankroll curve, with the bootstrap band shaded when intervals were asked for.

        Args:
            title: the chart title (default: says the stakes).

        Returns:
            An Altair chart (needs ``pip install altair``).

        Raises:
            ImportError: Altair is not installed.

        Examples:
            >>> import datetime as dt, polars as pl, quantum_frames as qf
            >>> bets = pl.DataFrame({
            ...     "date": [dt.date(2025, 9, 1)], "home": ["A"], "away": ["B"],
            ...     "market": ["1x2_home"], "odds": [2.0], "result": ["win"],
            ... })
            >>> chart = qf.backtest(bets).plot()  # an Altair chart: display it, or chart.save(...)
        """
        alt = require_altair("Backtest.plot")
        curve = self.bets.group_by("date", maintain_order=True).agg(pl.col("bankroll").last())
        if curve.is_empty():  # no bets: the starting bankroll, flat, and a title saying so
            data = pl.DataFrame({"date": [0, 1], "bankroll": [self.starting_bankroll] * 2})
            return (
                alt.Chart(data)
                .mark_line()
                .encode(
                    x=alt.X("date:Q", title="(no bets)"), y=alt.Y("bankroll:Q", title="Bankroll")
                )
                .properties(title=title or "Bankroll (no bets placed)", width=640, height=280)
            )
        start = pl.DataFrame({"date": [curve["date"].min()], "bankroll": [self.starting_bankroll]})
        data = pl.concat([start.cast(curve.schema), curve])
        x = alt.X("date:T", title="Date")
        line = (
            alt.Chart(data)
            .mark_line(interpolate="step-after")
            .encode(x=x, y=alt.Y("bankroll:Q", title="Bankroll"))
        )
        chart = line
        if self.resampling is not None:
            shaded = band(self.bets, self.starting_bankroll, self.resampling)
            area = (
                alt.Chart(shaded)
                .mark_area(opacity=0.25, interpolate="step-after")
                .encode(x=x, y="low:Q", y2="high:Q")
            )
            chart = area + line
        name = title or f"Bankroll ({self.stake_mode} stakes)"
        if self.resampling is not None and title is None:
            name += f", {self.resampling.level:.0%} bootstrap band"
        return chart.properties(title=name, width=640, height=280)

    def plot_calibration(self, *, title: str | None = None) -> Any:
        """The reliability diagram of the model's ``prob`` (needs ``pip install altair``).

        Args:
            title: the chart title.

        Returns:
            An Altair chart: observed hit rate against predicted probability, per bin.

        Raises:
            InvalidArgumentError: the bets carried no ``prob``.
            ImportError: Altair is not installed.

        Examples:
            >>> import datetime as dt, polars as pl, quantum_frames as qf
            >>> bets = pl.DataFrame({
            ...     "date": [dt.date(2025, 9, 1)] * 2, "home": ["A", "C"], "away": ["B", "D"],
            ...     "market": ["1x2_home"] * 2, "odds": [2.0, 2.5], "result": ["win", "loss"],
            ...     "prob": [0.55, 0.45],
            ... })
            >>> chart = qf.backtest(bets).plot_calibration()  # predicted vs observed, with counts
        """
        if self.calibration.is_empty():
            msg = (
                "this backtest has no calibration: its bets carry no 'prob' column. Hint: add "
                "the model's probability of each bet as 'prob'."
            )
            raise InvalidArgumentError(msg, argument="prob")
        return plot_calibration(self.calibration, title=title or "Calibration of prob")


def _pct(value: float | None, *, sign: bool = True) -> str:
    if value is None:
        return "n/a"
    return f"{100 * value:+.2f}%" if sign else f"{100 * value:.2f}%"


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def backtest(
    bets: pl.DataFrame | pl.LazyFrame,
    /,
    *,
    stake: Stake = "flat",
    unit: float = 1.0,
    bankroll: float = 100.0,
    kelly_fraction: float = 0.25,
    max_stake: float | None = None,
    max_daily_stake: float | None = None,
    odds_haircut: float = 0.0,
    commission: float = 0.0,
    margin: Margin | None = "multiplicative",
    closing: pl.DataFrame | pl.LazyFrame | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
    block: str = "date",
    by: str | Sequence[str] | None = None,
) -> Backtest:
    """Settle ``bets`` and measure them honestly, with intervals if asked.

    ``bets`` has ``date``, ``home``, ``away``, ``market``, ``odds`` (decimal) and ``result``;
    optionally ``closing_odds`` (of the bet's outcome), ``closing_odds_<outcome>`` (of every
    outcome of its market, for margin-free CLV), ``prob`` (the model's probability: Kelly
    stakes and calibration), ``stake``, ``strategy`` and any column to group by. Unsorted
    input is sorted by date (stable). The caller's frame is not modified.

    Stakes: ``flat`` (``unit`` each), ``given`` (the ``stake`` column), or fractional
    ``kelly``: ``kelly_fraction × max(0, p − (1 − p) / b)`` of the bankroll (``b`` the net
    winnings per unit after commission), every bet of a date sized from the bankroll at the
    start of that date. Caps: ``max_stake`` per bet and ``max_daily_stake`` per date (a
    date's stakes over the cap shrink in proportion) — fractions of that bankroll with Kelly
    stakes (defaults 0.05 and 1.0: a date never stakes more than the bankroll), amounts of
    money with flat and given stakes (default: no cap).

    Costs: ``odds_haircut=0.02`` makes every price 2 % worse (``odds × 0.98``; the quoted
    price is kept as ``odds_quoted``); ``commission=0.02`` takes 2 % of net winnings
    (exchanges). Both apply to the stakes, profits, average odds and CLV.

    Results: ``win``, ``loss``, ``push`` (a whole-goal line hit exactly: stake returned),
    ``half_win`` / ``half_loss`` (Asian quarter lines, see :func:`settle`) and ``void``.

    Summary, over the **placed** bets (stake > 0; a Kelly stake is 0 where the model sees no
    edge): bets (decided ones: voids and pushes excluded), wins (a half win counts as a win),
    losses (a half loss counts as a loss), pushes, voids, skipped (bets with stake 0, never
    placed: counted here only), hit_rate (wins / bets), turnover (stakes of decided bets),
    profit, yield (profit / turnover), roi (profit / starting bankroll), avg_odds, avg_clv,
    max_drawdown (absolute and as a fraction of the running peak), longest_losing_streak,
    final_bankroll, clv_basis; with ``prob``: calibrated_bets, brier, log_loss (plain wins
    and losses only). An empty frame is a valid backtest: every count 0, the rates null.

    CLV: with closing odds of every outcome (``closing_odds_home/draw/away`` for ``1x2_*``,
    ``closing_odds_over/under`` for a total line, ``closing_odds_yes/no`` for ``btts_*``; for
    another market the non-null ones of its row) the margin is removed (``margin``:
    ``multiplicative``, ``power`` or ``shin``) and
    ``clv = odds × fair probability − 1``; otherwise (or ``margin=None``) the raw
    ``odds / closing_odds − 1``. ``clv_basis`` says which. The closing odds may come instead
    as a frame, ``closing=``: one row per (``date``, ``home``, ``away``, ``market``) with
    ``closing_odds``, every outcome of a market listed (``1x2_home``/``_draw``/``_away``,
    ``over_2.5``/``under_2.5``, ``btts_yes``/``_no``); it is joined to the bets by match
    and market family (bets that have ``closing_odds`` keep it: it must be one of the
    frame's prices for that market).

    Intervals (``bootstrap=10_000``): resample the bets ``bootstrap`` times, by whole blocks
    (``block="date"``: bets of one matchday are correlated, so whole dates are drawn with
    replacement; ``"bet"``: single bets; or any column's values), with their stakes as
    placed, and add ``<metric>_ci_low`` / ``<metric>_ci_high`` (the percentile interval at
    ``level``) for yield, roi, hit_rate, avg_clv and profit, and ``p_yield_le_0`` (the
    share of resamples whose yield is ≤ 0) to the summary and the groups. The same ``seed``
    gives the same intervals. An interval of yield that holds 0 says the data cannot tell an
    edge from luck; ``p_yield_le_0`` is how often luck alone would show no profit.

    Args:
        bets: the bets (eager or lazy).
        stake: ``flat``, ``given`` or ``kelly``.
        unit: the flat stake.
        bankroll: the starting bankroll.
        kelly_fraction: the share of the full Kelly stake.
        max_stake: the cap per bet (see above).
        max_daily_stake: the cap per date (see above).
        odds_haircut: make every price this fraction worse (0 ≤ h < 1).
        commission: the share of net winnings taken (0 ≤ c < 1).
        margin: how to remove the margin from closing odds (None: raw CLV).
        closing: a frame of closing odds per match and market (see above).
        bootstrap: the number of resamples (0: no intervals).
        seed: the random seed of the resamples.
        level: the confidence level of the intervals.
        block: what is resampled whole: ``date``, ``bet`` or a column.
        by: group the metrics by these columns.

    Returns:
        A :class:`Backtest`.

    Raises:
        InvalidArgumentError: a missing column, odds ≤ 1, an unknown result, prob outside
            [0, 1], a date that is not a date, a bad option — naming the column and the first
            rows (also a ``ValueError``).

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> bets = pl.DataFrame({
        ...     "date": ["2025-09-01", "2025-09-01", "2025-09-08"], "home": ["A", "C", "E"],
        ...     "away": ["B", "D", "F"], "market": ["over_2.5"] * 3,
        ...     "odds": [2.0, 1.5, 3.0], "result": ["win", "loss", "void"]})
        >>> bt = qf.backtest(bets)
        >>> bt["profit"], bt["yield"], bt["bets"]
        (0.0, 0.0, 2)
        >>> bt = qf.backtest(bets, bootstrap=1000, seed=0)
        >>> bt["yield_ci_low"] <= bt["yield"] <= bt["yield_ci_high"]
        True
    """
    df = _validated(bets.collect() if isinstance(bets, pl.LazyFrame) else bets, stake)
    _check_options(stake, unit, bankroll, kelly_fraction)
    cap_bet, cap_day = _caps(stake, max_stake, max_daily_stake)
    _check_costs(odds_haircut, commission, margin)
    how = _resampling(bootstrap, seed, level, block, df.columns)
    if how is not None and block not in ("date", "bet"):
        _first_bad(df.with_row_index("__input_row"), pl.col(block).is_null(), block,
                   "is missing, so those bets belong to no block (block=)")  # fmt: skip
    groups = [by] if isinstance(by, str) else list(by or [])
    missing = [g for g in groups if g not in df.columns]
    if missing:
        msg = f"by={missing} names no column of the bets (columns: {df.columns})."
        raise InvalidArgumentError(msg, argument="by")
    if odds_haircut:
        df = df.with_columns(
            pl.col("odds").alias("odds_quoted"), (pl.col("odds") * (1 - odds_haircut)).alias("odds")
        )
    net = (pl.col("odds") - 1) * (1 - commission)  # winnings per unit staked
    ret = (
        pl.when(pl.col("result") == "win")
        .then(net)
        .when(pl.col("result") == "half_win")
        .then(net / 2)
        .when(pl.col("result") == "loss")
        .then(-1.0)
        .when(pl.col("result") == "half_loss")
        .then(-0.5)
        .otherwise(0.0)
    )
    df = df.with_columns(ret.alias("__return"), net.alias("__net"))
    if stake == "kelly":
        df = _kelly(df, bankroll, kelly_fraction, cap_bet, cap_day)
    else:
        amount = pl.lit(float(unit)) if stake == "flat" else pl.col("stake").cast(pl.Float64)
        if cap_bet is not None:
            amount = pl.min_horizontal(amount, pl.lit(cap_bet))
        df = df.with_columns(amount.alias("stake"))
        if cap_day is not None:
            day = pl.col("stake").sum().over("date")
            df = df.with_columns(
                (pl.col("stake") * pl.min_horizontal(pl.lit(1.0), cap_day / day)).fill_nan(0.0)
            )
        df = df.with_columns((pl.col("stake") * pl.col("__return")).alias("profit"))
        df = df.with_columns((bankroll + pl.col("profit").cum_sum()).alias("bankroll"))
    if closing is not None:
        df = _join_closing(df, closing.collect() if isinstance(closing, pl.LazyFrame) else closing)
    df, basis = _with_clv(df, margin)
    out = df.drop("__return", "__net")
    summary = _summary(out, bankroll, []).with_columns(pl.lit(basis).alias("clv_basis"))
    per_group = _summary(out, bankroll, groups) if groups else pl.DataFrame()
    table = pl.DataFrame()
    if "prob" in out.columns:
        summary = pl.concat([summary, calibration_metrics(out, [])], how="horizontal")
        if groups:
            per_group = per_group.join(
                calibration_metrics(out, groups), on=groups, how="left", nulls_equal=True
            )
        table = reliability(out)
    if how is not None:
        ci_summary, ci_groups = intervals(out, bankroll, groups, how)
        summary = pl.concat([summary, ci_summary], how="horizontal")
        if groups:
            per_group = per_group.join(ci_groups, on=groups, how="left", nulls_equal=True)
    return Backtest(
        out, summary, per_group, float(bankroll), stake, tuple(groups), how, basis, table
    )


def _caps(
    stake: str, max_stake: float | None, max_daily_stake: float | None
) -> tuple[float | None, float | None]:
    kelly = stake == "kelly"
    caps = []
    for name, value, default in (
        ("max_stake", max_stake, 0.05),
        ("max_daily_stake", max_daily_stake, 1.0),
    ):
        if value is None:
            caps.append(default if kelly else None)
            continue
        hi = 1.0 if kelly else float("inf")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= hi:
            what = "a fraction of the bankroll in (0, 1]" if kelly else "an amount above 0"
            msg = f"{name} must be {what} with {stake} stakes, got {value!r}."
            raise InvalidArgumentError(msg, argument=name)
        caps.append(float(value))
    return caps[0], caps[1]


def _check_costs(odds_haircut: float, commission: float, margin: object) -> None:
    for name, value in (("odds_haircut", odds_haircut), ("commission", commission)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            msg = f"{name} must be a fraction in [0, 1), e.g. 0.02 for 2 %, got {value!r}."
            raise InvalidArgumentError(msg, argument=name)
    if margin is not None and margin not in MARGINS:
        msg = f"margin must be one of {', '.join(MARGINS)} or None (raw CLV), got {margin!r}."
        raise InvalidArgumentError(msg, argument="margin")


def _resampling(
    bootstrap: int, seed: int, level: float, block: str, columns: list[str]
) -> Resampling | None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0:
        msg = f"bootstrap must be a number of resamples ≥ 0 (e.g. 10_000), got {bootstrap!r}."
        raise InvalidArgumentError(msg, argument="bootstrap")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        msg = f"seed must be an integer ≥ 0, got {seed!r}."
        raise InvalidArgumentError(msg, argument="seed")
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        msg = f"level must be a confidence level in (0, 1), e.g. 0.95, got {level!r}."
        raise InvalidArgumentError(msg, argument="level")
    if block not in ("date", "bet") and block not in columns:
        msg = (
            f"block={block!r} is neither 'date', 'bet' nor a column of the bets. Hint: resample "
            "whole dates (the default), single bets, or pass a column such as 'league'."
        )
        raise InvalidArgumentError(msg, argument="block")
    return Resampling(bootstrap, seed, float(level), block) if bootstrap else None


def _join_closing(df: pl.DataFrame, closing: pl.DataFrame) -> pl.DataFrame:
    """The bets with ``closing_odds`` and ``closing_odds_<outcome>`` from a closing frame."""
    need = ["date", "home", "away", "market", "closing_odds"]
    missing = [c for c in need if c not in closing.columns]
    if missing:
        msg = f"closing= lacks column(s) {missing}; it needs {need}, one row per outcome."
        raise InvalidArgumentError(msg, argument="closing")
    taken = [c for c in df.columns if c.startswith(OUTCOME_PREFIX)]
    if taken:
        msg = (
            f"the bets already have {taken} and closing= was given too. Hint: pass every "
            "outcome's closing odds one way, as columns or as a frame."
        )
        raise InvalidArgumentError(msg, argument="closing")
    keys = ["date", "home", "away"]
    frame = closing.with_row_index("__input_row")
    frame = frame.with_columns(
        _as_date(frame).cast(df.schema["date"]),
        pl.col("closing_odds").cast(pl.Float64, strict=False),
        pl.col("home", "away", "market").cast(pl.String),
    )
    _first_bad(frame, pl.col("closing_odds").is_null() | (pl.col("closing_odds") <= 1),
               "closing_odds", "(in closing=) must be decimal odds above 1")  # fmt: skip
    _first_bad(frame, pl.struct(*keys, "market").is_duplicated(), "market",
               "(in closing=) is listed twice for one match")  # fmt: skip
    family, _ = market_family(pl.col("market"))
    out = df.with_columns(family.alias("__family"))
    if "closing_odds" not in out.columns:  # the bet's own closing price, from the frame
        own = frame.select(*keys, "market", "closing_odds")
        out = out.join(own, on=[*keys, "market"], how="left", maintain_order="left")
    out = out.join(
        books(frame.drop("__input_row"), keys), on=[*keys, "__family"], how="left",
        maintain_order="left", nulls_equal=False,
    )  # fmt: skip
    return out.drop("__family")


def _with_clv(df: pl.DataFrame, margin: Margin | None) -> tuple[pl.DataFrame, str]:
    """The ``clv`` column and what it was measured against."""
    outcomes = [c for c in df.columns if c.startswith(OUTCOME_PREFIX)]
    if "closing_odds" not in df.columns:
        return df.with_columns(pl.lit(None, pl.Float64).alias("clv")), RAW_CLV
    raw = pl.col("odds") / pl.col("closing_odds") - 1
    if margin is None or not outcomes:
        return df.with_columns(raw.alias("clv")), RAW_CLV
    import numpy as np

    for c in outcomes:
        _first_bad(
            df.with_row_index("__input_row"),
            pl.col(c).cast(pl.Float64, strict=False).is_not_null()
            & (pl.col(c).cast(pl.Float64, strict=False) <= 1),
            c,
            "must be decimal odds above 1",
        )
    # A market of a known family (1x2, a total line, btts) takes exactly its outcomes and needs
    # every one of them (a 1x2 book without the draw is not a two-way market); double chance
    # never has a book; any other market takes the non-null outcomes of its row (two or more).
    family, _ = market_family(pl.col("market"))
    suffix = {c: c.removeprefix(OUTCOME_PREFIX) for c in outcomes}
    families = {**_FAMILY_OUTCOMES, "total_": ("over", "under")}

    def member(name: str) -> pl.Expr:
        return family.str.starts_with(name) if name.endswith("_") else family == name

    allowed = {
        c: pl.any_horizontal(
            family.is_null(), *[member(f) & pl.lit(s in outs) for f, outs in families.items()]
        ).fill_null(False)
        for c, s in suffix.items()
    }
    required = pl.coalesce(
        *[pl.when(member(f)).then(pl.lit(len(outs))) for f, outs in families.items()],
        # double chance overlaps (1X and X2 share the draw): no book of its own is complete
        pl.when(pl.col("market").str.starts_with("dc_")).then(pl.lit(len(outcomes) + 1)),
        pl.lit(2),
    )
    framed = df.select(
        *[pl.when(allowed[c]).then(pl.col(c).cast(pl.Float64)).alias(c) for c in outcomes],
        required.alias("__required"),
        family.is_not_null().alias("__known"),
    )
    book = framed.select(outcomes).to_numpy().astype(np.float64)
    need = framed.get_column("__required").to_numpy()
    known = framed.get_column("__known").to_numpy()
    own = df.get_column("closing_odds").to_numpy().astype(np.float64)
    present = np.sum(~np.isnan(book), axis=1)
    complete = np.where(known, present == need, present >= need) & ~np.isnan(own)
    # a book summing to well under 1 is missing an outcome (real books sum to about 1 or more)
    thin = complete & (np.nansum(1 / book, axis=1) < _THIN_BOOK)
    complete &= ~thin
    listed = np.any(np.abs(book - own[:, None]) < 1e-9, axis=1)
    stray = complete & ~listed
    if stray.any():
        rows = np.flatnonzero(stray)[:3].tolist()
        msg = (
            f"closing_odds of {int(stray.sum())} bet(s) is none of its market's "
            f"{OUTCOME_PREFIX}* odds (first rows {rows}, in date order): the fair price of the "
            "bet cannot be told. Hint: closing_odds must be the closing price of the outcome "
            "bet on, one of the closing_odds_<outcome> columns."
        )
        raise InvalidArgumentError(msg, argument="closing_odds")
    fair = np.full(own.shape, np.nan)
    if complete.any():
        fair[complete] = fair_probability_of(own[complete], book[complete], margin)
    incomplete = int((~complete & ~np.isnan(own)).sum())
    if incomplete:
        markets = df.filter(pl.Series(~complete & ~np.isnan(own))).get_column("market")
        shown = ", ".join(markets.unique().sort().head(6).to_list())
        msg = (
            f"{incomplete} bet(s) have closing_odds but not the closing odds of every outcome "
            f"of their market (markets {shown}; {int(thin.sum())} of them with a book summing "
            f"to under {_THIN_BOOK:.0%}): their CLV is left null rather than measured against "
            "the margin. Hint: give every outcome's closing odds (a 1x2 market needs home, "
            "draw and away), or pass margin=None for raw CLV everywhere."
        )
        warnings.warn(msg, MarginWarning, stacklevel=3)
    df = df.with_columns(pl.Series("__fair", fair, dtype=pl.Float64).fill_nan(None))
    clv = (pl.col("odds") * pl.col("__fair") - 1).alias("clv")
    return df.with_columns(clv).drop("__fair"), f"fair closing odds ({margin} margin removal)"


def _validated(df: pl.DataFrame, stake: Stake) -> pl.DataFrame:
    need = (
        list(REQUIRED)
        + (["prob"] if stake == "kelly" else [])
        + (["stake"] if stake == "given" else [])
    )
    missing = [c for c in need if c not in df.columns]
    if missing:
        why = " (Kelly stakes need the model's probability)" if "prob" in missing else ""
        msg = (
            f"the bets lack column(s) {missing}{why}; they have {df.columns}. "
            "Hint: rename the columns (date, market, odds, result …), or derive the bets "
            "from fixtures with bets_from_strategies."
        )
        raise InvalidArgumentError(msg, argument="bets")
    df = df.with_row_index("__input_row")
    df = df.with_columns(
        _as_date(df), pl.col("odds").cast(pl.Float64, strict=False).alias("__odds")
    )
    _first_bad(
        df, pl.col("__odds").is_null() & pl.col("odds").is_not_null(), "odds", "is not a number"
    )
    _first_bad(
        df,
        pl.col("__odds").is_null() | (pl.col("__odds") <= 1),
        "odds",
        "must be decimal odds above 1",
    )
    df = df.with_columns(pl.col("__odds").alias("odds")).drop("__odds")
    lowered = pl.col("result").cast(pl.String).str.to_lowercase().str.strip_chars()
    _first_bad(
        df,
        ~lowered.is_in(RESULTS).fill_null(False),
        "result",
        f"must be one of {', '.join(RESULTS)}",
    )
    df = df.with_columns(lowered.alias("result"))
    if "closing_odds" in df.columns:
        closing = pl.col("closing_odds").cast(pl.Float64, strict=False)
        _first_bad(
            df,
            closing.is_not_null() & (closing <= 1),
            "closing_odds",
            "must be decimal odds above 1",
        )
        df = df.with_columns(closing.alias("closing_odds"))
    if "prob" in df.columns:
        prob = pl.col("prob").cast(pl.Float64, strict=False)
        if stake == "kelly":
            _first_bad(df, prob.is_null(), "prob", "is missing (Kelly stakes need it)")
        _first_bad(
            df,
            prob.is_not_null() & ((prob < 0) | (prob > 1)),
            "prob",
            "must be a probability in [0, 1]",
        )
        df = df.with_columns(prob.alias("prob"))
    if stake == "given":
        given = pl.col("stake").cast(pl.Float64, strict=False)
        _first_bad(df, given.is_null() | (given < 0), "stake", "must be a number ≥ 0")
    return df.sort("date", maintain_order=True).drop("__input_row")


def _as_date(df: pl.DataFrame) -> pl.Expr:
    dtype = df.schema["date"]
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        _first_bad(df, pl.col("date").is_null(), "date", "is missing")
        return pl.col("date")
    if dtype == pl.String:
        text = df.get_column("date").str.strip_chars()
        date_only = bool((text.str.len_chars() == 10).all())
        parsed = (
            text.str.to_date(strict=False)
            if date_only
            else text.str.to_datetime(strict=False, time_zone="UTC")
        )
        bad = parsed.is_null()
        if bad.any():
            _raise_bad(df, bad, "date", "is not a date (use ISO 8601, e.g. 2025-09-01)")
        return pl.lit(parsed).alias("date")
    msg = (
        f"column 'date' must hold dates (Date, Datetime or ISO text), not {dtype}. "
        "Hint: cast it, e.g. pl.col('date').str.to_date()."
    )
    raise InvalidArgumentError(msg, argument="date")


def _first_bad(df: pl.DataFrame, condition: pl.Expr, column: str, what: str) -> None:
    mask = df.select(condition.fill_null(False)).to_series()
    if mask.any():
        _raise_bad(df, mask, column, what)


def _raise_bad(df: pl.DataFrame, mask: pl.Series, column: str, what: str) -> None:
    rows = df.filter(mask).head(3)
    shown = ", ".join(f"row {r['__input_row']}: {r[column]!r}" for r in rows.iter_rows(named=True))
    msg = (
        f"column {column!r} {what}: {int(mask.sum())} bad row(s), first {shown}. "
        "Hint: fix or drop those rows (row numbers count from 0, in input order)."
    )
    raise InvalidArgumentError(msg, argument=column)


def _check_options(stake: str, unit: float, bankroll: float, kelly_fraction: float) -> None:
    if stake not in ("flat", "given", "kelly"):
        msg = f"stake must be 'flat', 'given' or 'kelly', got {stake!r}."
        raise InvalidArgumentError(msg, argument="stake")
    for name, value, lo, hi in (
        ("unit", unit, 0.0, float("inf")),
        ("bankroll", bankroll, 0.0, float("inf")),
        ("kelly_fraction", kelly_fraction, 0.0, 1.0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo < value <= hi:
            msg = f"{name} must be a number in ({lo:g}, {hi:g}], got {value!r}."
            raise InvalidArgumentError(msg, argument=name)


def _kelly(
    df: pl.DataFrame, bankroll: float, fraction: float, cap: float | None, day_cap: float | None
) -> pl.DataFrame:
    """Kelly stakes: every bet of a date sized from the bankroll at the start of that date.

    With ``f`` the staked fraction of each bet and ``r`` its return per unit staked, a date's
    growth is ``1 + Σ f·r``; the bankroll at the start of a date is the starting bankroll
    times the product of the growths before it (floored at 0: a bust bankroll stays bust).
    """
    b = pl.col("__net")
    edge = pl.when(b > 0).then(pl.col("prob") - (1 - pl.col("prob")) / b).otherwise(0.0)
    f = fraction * pl.max_horizontal(edge, pl.lit(0.0))
    if cap is not None:
        f = pl.min_horizontal(f, pl.lit(cap))
    limit = 1.0 if day_cap is None else day_cap
    # A date's stakes never exceed its cap: when they would, they shrink in proportion.
    df = df.with_columns(f.alias("__f")).with_columns(
        (
            pl.col("__f") / pl.max_horizontal(pl.col("__f").sum().over("date") / limit, pl.lit(1.0))
        ).alias("__f")
    )
    days = (
        df.group_by("date", maintain_order=True)
        .agg((1 + (pl.col("__f") * pl.col("__return")).sum()).clip(lower_bound=0).alias("__growth"))
        .with_columns(
            (bankroll * pl.col("__growth").cum_prod().shift(1, fill_value=1.0)).alias("__start")
        )
    )
    df = df.join(days.select("date", "__start"), on="date", how="left", maintain_order="left")
    df = df.with_columns((pl.col("__f") * pl.col("__start")).alias("stake"))
    df = df.with_columns((pl.col("stake") * pl.col("__return")).alias("profit"))
    return df.with_columns((bankroll + pl.col("profit").cum_sum()).alias("bankroll")).drop(
        "__f", "__start"
    )


def _summary(bets: pl.DataFrame, bankroll: float, by: list[str]) -> pl.DataFrame:
    """The metrics of the placed bets (stake > 0); the others are counted as ``skipped``."""
    placed = pl.col("stake") > 0
    decided = placed & pl.col("result").is_in((*WON, *LOST))
    won = decided & pl.col("result").is_in(WON)
    lost = decided & pl.col("result").is_in(LOST)
    path = bankroll + pl.col("profit").cum_sum()
    peak = pl.max_horizontal(path.cum_max(), pl.lit(bankroll))
    drawdown = peak - path
    # Only decided placed bets make a streak: a void, a push or a skipped bet neither extends
    # nor breaks one.
    run = (~pl.col("result").is_in(LOST)).cum_sum()
    streaks = (
        bets.filter(decided)
        .with_columns((run.over(by) if by else run).alias("__streak"))
        .filter(pl.col("result").is_in(LOST))
    )
    longest = (
        streaks.group_by([*by, "__streak"])
        .agg(pl.len().alias("n"))
        .group_by(by or pl.lit(0))
        .agg(pl.col("n").max())
        if not streaks.is_empty()
        else None
    )
    turnover = pl.col("stake").filter(decided).sum()
    metrics = [
        decided.sum().cast(pl.Int64).alias("bets"),
        won.sum().cast(pl.Int64).alias("wins"),
        lost.sum().cast(pl.Int64).alias("losses"),
        (placed & (pl.col("result") == "push")).sum().cast(pl.Int64).alias("pushes"),
        (placed & (pl.col("result") == "void")).sum().cast(pl.Int64).alias("voids"),
        (~placed).sum().cast(pl.Int64).alias("skipped"),
        (won.sum() / decided.sum()).alias("hit_rate"),
        turnover.alias("turnover"),
        pl.col("profit").sum().alias("profit"),
        (pl.col("profit").sum() / turnover).alias("yield"),
        (pl.col("profit").sum() / bankroll).alias("roi"),
        pl.col("odds").filter(decided).mean().alias("avg_odds"),
        pl.col("clv").filter(decided).mean().alias("avg_clv"),
        drawdown.max().fill_null(0.0).alias("max_drawdown"),
        (drawdown / peak).max().fill_null(0.0).alias("max_drawdown_pct"),
        (bankroll + pl.col("profit").sum()).alias("final_bankroll"),
    ]
    if by:
        out = bets.group_by(by, maintain_order=True).agg(metrics).sort(by)
    else:
        out = bets.select(metrics)
    out = out.with_columns(
        pl.when(pl.col("turnover") > 0).then(pl.col("yield")).alias("yield"),
        pl.when(pl.col("bets") > 0).then(pl.col("hit_rate")).alias("hit_rate"),
    )
    if longest is None:
        out = out.with_columns(pl.lit(0, pl.Int64).alias("longest_losing_streak"))
    elif by:
        out = out.join(
            longest.rename({"n": "longest_losing_streak"}), on=by, how="left"
        ).with_columns(pl.col("longest_losing_streak").fill_null(0).cast(pl.Int64))
    else:
        out = out.with_columns(pl.lit(longest["n"].max(), pl.Int64).alias("longest_losing_streak"))
    return out.select(*by, *SUMMARY)
