"""From fixtures and chosen strategies to settled bets."""

from __future__ import annotations

from typing import Literal

import polars as pl

from quantum_frames.errors import InvalidArgumentError

__all__ = ["bets_from_strategies", "settle"]

_LINE = r"^(?:over|under)_(\d+(?:\.\d+)?)$"


def settle(market: pl.Expr, home_goals: pl.Expr, away_goals: pl.Expr) -> pl.Expr:
    """The result of a bet on ``market`` given the final score, as an expression.

    Markets: ``over_L`` / ``under_L`` (total goals), ``btts_yes`` / ``btts_no``,
    ``1x2_home`` / ``1x2_draw`` / ``1x2_away``, ``dc_1x`` / ``dc_x2`` / ``dc_12`` (double
    chance). Total-goal lines may be:

    - half lines (``over_2.5``): ``win`` or ``loss``;
    - whole lines (``over_2``): a total equal to the line is a ``push`` (stake returned);
    - Asian quarter lines (``over_2.25``, ``over_2.75``): the stake is split over the two
      neighbouring lines (2 and 2.5, or 2.5 and 3), so a bet can be a ``half_win`` (one half
      wins, the other is returned) or a ``half_loss`` (one half loses, the other is returned).

    A missing score settles as ``void``; a market not listed here (or a line that is not a
    multiple of 0.25) gives null, which :func:`quantum_frames.backtest` refuses.

    Args:
        market: the market names.
        home_goals: the home side's final goals.
        away_goals: the away side's final goals.

    Returns:
        An expression of ``win``, ``loss``, ``push``, ``half_win``, ``half_loss``, ``void``
        or null.

    Examples:
        >>> import polars as pl, quantum_frames as qf
        >>> df = pl.DataFrame({"m": ["over_2", "under_2.25", "over_2.75", "btts_yes"]})
        >>> df.select(qf.settle(pl.col("m"), pl.lit(1), pl.lit(1))).to_series().to_list()
        ['push', 'half_win', 'loss', 'win']
    """
    total = (home_goals + away_goals).cast(pl.Float64)
    line = market.str.extract(_LINE).cast(pl.Float64)
    quarters = line * 4
    on_grid = (quarters - quarters.round()).abs() < 1e-9
    # A quarter line is two half stakes on its neighbours (2.25 = 2 and 2.5); any other line
    # is one stake on itself. Each half's sign is +1 (wins), 0 (push) or -1 (loses).
    is_quarter = (quarters.round() % 2) == 1
    low = pl.when(is_quarter).then(line - 0.25).otherwise(line)
    high = pl.when(is_quarter).then(line + 0.25).otherwise(line)
    over_score = (total - low).sign() + (total - high).sign()
    score = (
        pl.when(line.is_null() | ~on_grid)
        .then(None)
        .when(market.str.starts_with("over_"))
        .then(over_score)
        .otherwise(-over_score)
    )
    hit = (
        pl.when(market == "btts_yes")
        .then((home_goals > 0) & (away_goals > 0))
        .when(market == "btts_no")
        .then((home_goals == 0) | (away_goals == 0))
        .when(market == "1x2_home")
        .then(home_goals > away_goals)
        .when(market == "1x2_draw")
        .then(home_goals == away_goals)
        .when(market == "1x2_away")
        .then(home_goals < away_goals)
        .when(market == "dc_1x")
        .then(home_goals >= away_goals)
        .when(market == "dc_x2")
        .then(home_goals <= away_goals)
        .when(market == "dc_12")
        .then(home_goals != away_goals)
    )
    score = pl.coalesce(score, pl.when(hit).then(2.0).when(~hit).then(-2.0))
    return (
        pl.when(home_goals.is_null() | away_goals.is_null())
        .then(pl.lit("void"))
        .when(score == 2)
        .then(pl.lit("win"))
        .when(score == 1)
        .then(pl.lit("half_win"))
        .when(score == 0)
        .then(pl.lit("push"))
        .when(score == -1)
        .then(pl.lit("half_loss"))
        .when(score == -2)
        .then(pl.lit("loss"))
        .otherwise(pl.lit(None, pl.String))
    )


def bets_from_strategies(
    fixtures: pl.DataFrame,
    /,
    *,
    side: Literal["home", "away"] = "home",
    min_conviction: float = 0.0,
    on: str = "date",
    home: str = "home",
    away: str = "away",
    odds_prefix: str = "odds_",
    closing_prefix: str = "closing_",
    prob_prefix: str = "prob_",
) -> pl.DataFrame:
    """One bet per fixture on the market of ``side``'s chosen strategy.

    ``fixtures`` comes from :func:`point_in_time` (``home_strategy_market_type`` …) and holds
    ``home_goals``, ``away_goals`` and the odds per market (``odds_over_2.5`` …; optionally
    ``closing_<market>`` and the model's ``prob_<market>``). Fixtures without a strategy, below
    ``min_conviction``, or without odds for the market get no bet.

    Args:
        fixtures: the output of :func:`point_in_time` over fixtures with goals and odds.
        side: whose strategy picks the market.
        min_conviction: fixtures whose strategy has a lower conviction get no bet.
        on: the fixtures' date column (as in :func:`point_in_time`).
        home: the fixtures' home team column.
        away: the fixtures' away team column.
        odds_prefix: the prefix of the odds columns.
        closing_prefix: the prefix of the closing odds columns.
        prob_prefix: the prefix of the model probability columns.

    Returns:
        The bets, with ``date``, ``home`` and ``away`` (whatever the fixtures called them),
        ``market``, ``odds``, ``closing_odds`` and ``prob`` where known, ``result``,
        ``strategy`` and ``conviction``.

    Raises:
        InvalidArgumentError: a column is missing, or no odds column is found.

    Examples:
        >>> import quantum_frames as qf
        >>> folder, fixtures = qf.sample_season()
        >>> enriched = qf.point_in_time(fixtures.head(40), folder)
        >>> bets = qf.bets_from_strategies(enriched, min_conviction=60)
        >>> bets.columns[:6]
        ['date', 'home', 'away', 'market', 'odds', 'closing_odds']
        >>> qf.backtest(bets).summary["bets"].item() <= 40
        True
    """
    market_col = f"{side}_strategy_market_type"
    need = [on, home, away, "home_goals", "away_goals", market_col]
    missing = [c for c in need if c not in fixtures.columns]
    if missing:
        msg = (
            f"the fixtures lack {missing}. Hint: pass the output of qf.point_in_time over "
            "fixtures with goals and odds, and name its date and team columns with on=, "
            "home=, away=."
        )
        raise InvalidArgumentError(msg, argument="fixtures")
    markets = [c.removeprefix(odds_prefix) for c in fixtures.columns if c.startswith(odds_prefix)]
    if not markets:
        msg = (
            f"the fixtures have no odds columns. Hint: name them {odds_prefix}<market>, "
            f"e.g. {odds_prefix}over_2.5, or pass odds_prefix=."
        )
        raise InvalidArgumentError(msg, argument="odds_prefix")
    picked = fixtures.with_row_index("__row").filter(
        pl.col(market_col).is_not_null() & (pl.col(f"{side}_strategy_conviction") >= min_conviction)
    )

    def per_market(prefix: str, name: str) -> pl.DataFrame:
        cols = [f"{prefix}{m}" for m in markets if f"{prefix}{m}" in picked.columns]
        if not cols:
            return (
                picked.select("__row")
                .with_columns(
                    pl.lit(None, pl.String).alias(market_col), pl.lit(None, pl.Float64).alias(name)
                )
                .head(0)
            )
        return (
            picked.select("__row", *cols)
            .unpivot(index="__row", variable_name=market_col, value_name=name)
            .with_columns(pl.col(market_col).str.strip_prefix(prefix))
        )

    bets = picked.join(per_market(odds_prefix, "odds"), on=["__row", market_col], how="inner")
    for prefix, name in ((closing_prefix, "closing_odds"), (prob_prefix, "prob")):
        extra = per_market(prefix, name)
        if extra.height:
            bets = bets.join(extra, on=["__row", market_col], how="left")
    bets = bets.filter(pl.col("odds").is_not_null()).sort("__row")
    keep = [c for c in ("closing_odds", "prob") if c in bets.columns]
    return bets.select(
        pl.col(on).alias("date"),
        pl.col(home).alias("home"),
        pl.col(away).alias("away"),
        pl.col(market_col).alias("market"),
        "odds",
        *keep,
        settle(pl.col(market_col), pl.col("home_goals"), pl.col("away_goals")).alias("result"),
        pl.col(f"{side}_strategy_name").alias("strategy"),
        pl.col(f"{side}_strategy_conviction").alias("conviction"),
        *[c for c in ("snapshot_as_of", "home_league", "home_tier") if c in bets.columns],
    )
