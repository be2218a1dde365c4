"""Bootstrap intervals: a slow reference, determinism, blocks, and coverage on known edges."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.backtesting._bootstrap import block_weights
from quantum_frames.errors import InvalidArgumentError

CI = ("yield", "roi", "hit_rate", "avg_clv", "profit")


def simulated(n_dates: int, per_date: int, p_win: float, odds: float, seed: int) -> pl.DataFrame:
    """Independent bets at fixed odds that win with probability p_win (true yield p·odds − 1)."""
    rng = np.random.default_rng(seed)
    n = n_dates * per_date
    won = rng.random(n) < p_win
    days = pl.date_range(
        date(2025, 8, 1), date(2025, 8, 1) + timedelta(days=n_dates - 1), eager=True
    )
    return pl.DataFrame(
        {
            "date": days.gather(np.repeat(np.arange(n_dates), per_date)),
            "home": np.char.add("H", np.arange(n).astype(str)),
            "away": np.char.add("A", np.arange(n).astype(str)),
            "market": np.full(n, "over_2.5"),
            "odds": np.full(n, odds),
            "result": np.where(won, "win", "loss"),
            "closing_odds": np.full(n, odds) * (1 + rng.normal(0, 0.02, n)).clip(0.9, 1.1),
            "league": rng.choice(["X", "Y", "Z"], n),
        }
    )


def reference(bets: pl.DataFrame, resamples: int, seed: int, level: float) -> dict[str, float]:
    """The intervals the slow, obvious way: per resample, gather the drawn dates' bets."""
    df = qf.backtest(bets).bets
    dates = df["date"].unique().sort().to_list()
    rng = np.random.default_rng(seed)
    values: dict[str, list[float]] = {m: [] for m in CI}
    for chunk in block_weights(rng, len(dates), resamples):
        for weights in chunk:
            picked = pl.concat(
                [df.filter(pl.col("date") == d) for d, w in zip(dates, weights, strict=True)
                 for _ in range(int(w))]
            )  # fmt: skip
            decided = picked.filter(pl.col("result").is_in(["win", "loss"]))
            turnover = float(decided["stake"].sum())
            profit = float(picked["profit"].sum())
            values["yield"].append(profit / turnover if turnover else np.nan)
            values["roi"].append(profit / 100)
            hits = (
                decided.select((pl.col("result") == "win").mean()).item()
                if decided.height
                else None
            )
            values["hit_rate"].append(np.nan if hits is None else float(hits))
            clv = decided.select(pl.col("clv").mean()).item() if decided.height else None
            values["avg_clv"].append(np.nan if clv is None else float(clv))
            values["profit"].append(profit)
    out: dict[str, float] = {}
    tail = (1 - level) / 2
    for m, v in values.items():
        out[f"{m}_ci_low"], out[f"{m}_ci_high"] = np.nanquantile(v, [tail, 1 - tail])
    y = np.array(values["yield"])
    out["p_yield_le_0"] = float(np.mean(y[~np.isnan(y)] <= 0))
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_dates=st.integers(1, 6),
    per_date=st.integers(1, 3),
    p_win=st.floats(0.2, 0.8),
    seed=st.integers(0, 2**16),
)
def test_intervals_equal_a_slow_reference(
    n_dates: int, per_date: int, p_win: float, seed: int
) -> None:
    bets = simulated(n_dates, per_date, p_win, 2.0, seed)
    bt = qf.backtest(bets, bootstrap=40, seed=seed)
    want = reference(bets, 40, seed, 0.95)
    for key, value in want.items():
        got = bt[key]
        if np.isnan(value):
            assert got is None, key
        else:
            assert got == pytest.approx(value, abs=1e-9), key


def test_same_seed_same_intervals_and_groups_are_resampled_too() -> None:
    bets = simulated(60, 4, 0.55, 2.0, seed=1)
    a = qf.backtest(bets, bootstrap=500, seed=7, by="league")
    b = qf.backtest(bets, bootstrap=500, seed=7, by="league")
    c = qf.backtest(bets, bootstrap=500, seed=8, by="league")
    assert a.summary.equals(b.summary)
    assert a.groups.equals(b.groups)
    assert a["yield_ci_low"] != c["yield_ci_low"]
    for row in a.groups.iter_rows(named=True):
        for m in CI:
            assert row[f"{m}_ci_low"] <= row[m] + 1e-12 or m == "yield"
        assert 0 <= row["p_yield_le_0"] <= 1
    text = repr(a)
    assert f"yield {100 * a['yield']:+.2f}% [{100 * a['yield_ci_low']:+.2f}%, " in text
    assert "500 bootstrap resamples of whole dates (60 dates with bets), seed 7" in text
    assert a["ci_blocks"] == 60
    assert a.groups.select(pl.col("ci_blocks").max()).item() <= 60


def test_whole_dates_are_resampled_together() -> None:
    # Every bet of a date shares its result (one matchday, one model run): 30 dates, 10 bets
    # each. Resampling single bets pretends there are 300 independent bets; resampling dates
    # sees 30, so its interval is about √10 times wider.
    rng = np.random.default_rng(3)
    day_wins = rng.random(30) < 0.5
    bets = simulated(30, 10, 0.5, 2.0, 3).with_columns(
        result=pl.Series(np.where(np.repeat(day_wins, 10), "win", "loss"))
    )
    by_date = qf.backtest(bets, bootstrap=2000, seed=0)
    by_bet = qf.backtest(bets, bootstrap=2000, seed=0, block="bet")
    width = {
        k: b["yield_ci_high"] - b["yield_ci_low"] for k, b in (("date", by_date), ("bet", by_bet))
    }
    assert width["date"] > 2.5 * width["bet"]
    by_league = qf.backtest(bets, bootstrap=200, seed=0, block="league")
    assert by_league.resampling is not None
    assert by_league.resampling.block == "league"
    with pytest.raises(ValueError, match="block='nope' is neither"):
        qf.backtest(bets, bootstrap=10, block="nope")
    holes = bets.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(None).otherwise("league").alias("league")
    )
    with pytest.raises(
        ValueError, match="column 'league' is missing, so those bets belong to no block"
    ):
        qf.backtest(holes, bootstrap=10, block="league")


def seasons(runs: int, p_win: float, seed: int) -> pl.DataFrame:
    """``runs`` independent simulated seasons (120 dates of 3 bets at odds 2.0), by ``sim``."""
    return pl.concat(
        [simulated(120, 3, p_win, 2.0, seed + k).with_columns(sim=pl.lit(k)) for k in range(runs)]
    )


@pytest.mark.parametrize(("level", "low", "high"), [(0.95, 0.915, 0.985), (0.80, 0.74, 0.86)])
def test_the_interval_covers_the_true_yield_as_often_as_its_level_says(
    level: float, low: float, high: float
) -> None:
    # 300 simulated seasons winning 55 % at odds 2.0: true yield +10 %. Each season is a group
    # (groups get their intervals exactly as the whole does), so one call resamples them all.
    # Tolerance: the share's binomial sd over 300 runs is 1.3 points at 95 %, 2.3 at 80 %.
    bets = seasons(300, 0.55, 0)
    bt = qf.backtest(bets, bootstrap=1000, seed=0, by="sim", level=level)
    covered = bt.groups.select(
        ((pl.col("yield_ci_low") <= 0.10) & (pl.col("yield_ci_high") >= 0.10)).mean()
    ).item()
    assert low <= covered <= high, covered
    # a season run alone has the yield its group row shows
    alone = qf.backtest(bets.filter(pl.col("sim") == 7))
    assert alone["yield"] == pytest.approx(bt.groups.filter(pl.col("sim") == 7)["yield"].item())


def test_an_edge_free_strategy_has_p_yield_le_0_near_one_half() -> None:
    # odds 2.0 winning 50 %: the true yield is 0, so p_yield_le_0 spreads around 1/2
    flat = qf.backtest(seasons(200, 0.5, 1000), bootstrap=1000, seed=0, by="sim")
    assert 0.43 <= flat.groups["p_yield_le_0"].mean() <= 0.57  # type: ignore[operator]
    edge = qf.backtest(seasons(40, 0.6, 0), bootstrap=1000, seed=0, by="sim")
    assert edge.groups["p_yield_le_0"].mean() < 0.05  # type: ignore[operator]  # +20 % is seen


def test_an_empty_backtest_with_intervals() -> None:
    bt = qf.backtest(simulated(2, 1, 0.5, 2.0, 0).head(0), bootstrap=100)
    assert bt["yield_ci_low"] is None
    assert bt["p_yield_le_0"] is None
    assert "no bets placed" in repr(bt)
    grouped = qf.backtest(simulated(2, 1, 0.5, 2.0, 0).head(0), bootstrap=100, by="league")
    assert grouped.groups.is_empty()
    assert "p_yield_le_0" in grouped.groups.columns
    periods = grouped.by_period("month")
    assert periods.table.is_empty()
    assert periods.share_profitable is None
    assert "0 month(s) with bets, n/a of them profitable" in repr(periods)


def test_the_plot_shades_the_bootstrap_band() -> None:
    bets = simulated(30, 3, 0.55, 2.0, 0)
    spec = qf.backtest(bets, bootstrap=300).plot().to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["area", "line"]
    assert "95% bootstrap band" in spec["title"]
    data = next(iter(spec["datasets"].values()))
    assert all(row["low"] <= row["high"] for row in data)


def test_bad_bootstrap_options() -> None:
    bets = simulated(2, 1, 0.5, 2.0, 0)
    for kwargs, match in (
        ({"bootstrap": -1}, "bootstrap must be"),
        ({"bootstrap": 10, "level": 1.5}, "level must be"),
        ({"bootstrap": 10, "seed": -3}, "seed must be"),
    ):
        with pytest.raises(InvalidArgumentError, match=match):
            qf.backtest(bets, **kwargs)
