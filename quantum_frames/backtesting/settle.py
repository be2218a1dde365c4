"""From fixtures and chosen strategies to settled bets."""

from __future__ import annotations

from typing import Literal

import polars as pl

__all__ = ["bets_from_strategies", "settle"]


def settle(market: pl.Expr, home_goals: pl.Expr, away_goals: pl.Expr) -> pl.Expr:
    """``win`` / ``loss`` for a market given the final score (null for an unknown market).

    Markets: ``over_N.5``/``under_N.5`` (total goals), ``btts_yes``/``btts_no``,
    ``1x2_home``/``1x2_draw``/``1x2_away``, ``dc_1x``/``dc_x2``/``dc_12`` (double chance).
    A missing score settles as ``void``.
    """
    total = home_goals + away_goals
    line = market.str.extract(r"^(?:over|under)_(\d+(?:\.\d+)?)$").cast(pl.Float64)
    hit = (
        pl.when(market.str.starts_with("over_") & line.is_not_null())
        .then(total > line)
        .when(market.str.starts_with("under_") & line.is_not_null())
        .then(total < line)
        .when(market == "btts_yes")
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
    return (
        pl.when(home_goals.is_null() | away_goals.is_null())
        .then(pl.lit("void"))
        .when(hit.is_null())
        .then(pl.lit(None, pl.String))
        .when(hit)
        .then(pl.lit("win"))
        .otherwise(pl.lit("loss"))
    )


def bets_from_strategies(
    fixtures: pl.DataFrame,
    /,
    *,
    side: Literal["home", "away"] = "home",
    min_conviction: float = 0.0,
    odds_prefix: str = "odds_",
    closing_prefix: str = "closing_",
    prob_prefix: str = "prob_",
) -> pl.DataFrame:
    """One bet per fixture on the market of ``side``'s chosen strategy.

    ``fixtures`` comes from :func:`point_in_time` (``home_strategy_market_type`` …) and holds
    ``home_goals``, ``away_goals`` and the odds per market (``odds_over_2.5`` …; optionally
    ``closing_<market>`` and the model's ``prob_<market>``). Fixtures without a strategy, below
    ``min_conviction``, or without odds for the market get no bet.

    Example, from fixtures to a backtest in four lines (``data/season`` in the repository)::

        fixtures = pl.read_parquet("data/season/fixtures.parquet")
        enriched = qf.point_in_time(fixtures, "data/season/snapshots")
        bets = qf.bets_from_strategies(enriched, min_conviction=60)
        qf.backtest(bets, stake="kelly", by="strategy")
    """
    market_col = f"{side}_strategy_market_type"
    need = ["date", "home", "away", "home_goals", "away_goals", market_col]
    missing = [c for c in need if c not in fixtures.columns]
    if missing:
        msg = f"the fixtures lack {missing}; pass the output of qf.point_in_time over fixtures with goals and odds."
        raise ValueError(msg)
    markets = [c.removeprefix(odds_prefix) for c in fixtures.columns if c.startswith(odds_prefix)]
    if not markets:
        msg = f"the fixtures have no odds columns ({odds_prefix}<market>, e.g. {odds_prefix}over_2.5)."
        raise ValueError(msg)
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
        "date",
        "home",
        "away",
        pl.col(market_col).alias("market"),
        "odds",
        *keep,
        settle(pl.col(market_col), pl.col("home_goals"), pl.col("away_goals")).alias("result"),
        pl.col(f"{side}_strategy_name").alias("strategy"),
        pl.col(f"{side}_strategy_conviction").alias("conviction"),
        *[c for c in ("snapshot_as_of", "home_league", "home_tier") if c in bets.columns],
    )
