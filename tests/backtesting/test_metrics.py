"""Backtest metrics against small hand-computed cases."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.backtesting import RESULTS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def bets(rows: list[tuple[str, float, str]], **extra: list[object]) -> pl.DataFrame:
    """(date, odds, result) rows plus optional columns; home/away/market filled in."""
    n = len(rows)
    return pl.DataFrame(
        {
            "date": [r[0] for r in rows],
            "home": [f"H{i}" for i in range(n)],
            "away": [f"A{i}" for i in range(n)],
            "market": ["over_2.5"] * n,
            "odds": [r[1] for r in rows],
            "result": [r[2] for r in rows],
            **extra,
        }
    )


def test_flat_stakes_voids_clv_and_unsorted_input() -> None:
    df = bets(
        [
            ("2025-09-02", 2.0, "win"),
            ("2025-09-01", 3.0, "loss"),
            ("2025-09-01", 1.5, "void"),
            ("2025-09-03", 1.25, "loss"),
            ("2025-09-04", 4.0, "win"),
        ],
        closing_odds=[1.8, 3.3, None, 1.25, None],
    )
    before = df.clone()
    bt = qf.backtest(df, unit=10, bankroll=100)
    assert df.equals(before)  # the caller's frame is untouched
    assert bt.bets["date"].to_list() == [
        date(2025, 9, 1),
        date(2025, 9, 1),
        date(2025, 9, 2),
        date(2025, 9, 3),
        date(2025, 9, 4),
    ]
    assert bt.bets["home"].to_list() == ["H1", "H2", "H0", "H3", "H4"]  # stable within a date
    assert bt.bets["profit"].to_list() == [-10, 0, 10, -10, 30]
    assert bt.bets["bankroll"].to_list() == [90, 90, 100, 90, 120]
    s = bt.summary.row(0, named=True)
    assert (s["bets"], s["wins"], s["losses"], s["voids"]) == (4, 2, 2, 1)
    assert s["hit_rate"] == 0.5
    assert s["turnover"] == 40
    assert s["profit"] == 20
    assert s["yield"] == 0.5
    assert s["roi"] == 0.2
    assert s["avg_odds"] == pytest.approx((3 + 2 + 1.25 + 4) / 4)
    assert s["avg_clv"] == pytest.approx((3 / 3.3 - 1 + 2 / 1.8 - 1 + 0) / 3)
    assert s["max_drawdown"] == 10
    assert s["max_drawdown_pct"] == pytest.approx(0.1)
    assert s["longest_losing_streak"] == 1
    assert s["final_bankroll"] == 120
    assert bt["yield"] == 0.5


def test_drawdown_that_recovers_and_streaks_across_voids() -> None:
    outcomes = [(2.0, "loss"), (2.0, "loss"), (2.0, "loss"), (5.0, "win"), (2.0, "loss"),
                (2.0, "void"), (2.0, "loss")]  # fmt: skip
    df = bets([(f"2025-09-{d:02d}", o, r) for d, (o, r) in enumerate(outcomes, start=1)])
    s = qf.backtest(df).summary.row(0, named=True)
    assert s["max_drawdown"] == 3
    assert s["max_drawdown_pct"] == pytest.approx(0.03)
    assert s["longest_losing_streak"] == 3
    assert s["final_bankroll"] == 99
    assert s["profit"] == -1
    assert s["turnover"] == 6


def test_kelly_sizes_every_bet_of_a_date_from_its_starting_bankroll() -> None:
    df = bets(
        [
            ("2025-09-01", 2.0, "win"),
            ("2025-09-01", 2.0, "loss"),
            ("2025-09-02", 3.0, "loss"),
            ("2025-09-02", 2.0, "win"),
        ],
        prob=[0.6, 0.5, 0.5, 0.55],
    )
    bt = qf.backtest(df, stake="kelly", bankroll=100, kelly_fraction=0.5, max_stake=0.1)
    assert bt.bets["stake"].to_list() == pytest.approx(
        [10.0, 0.0, 11.0, 5.5]
    )  # capped, zero edge, capped, from 110
    assert bt.bets["profit"].to_list() == pytest.approx([10.0, 0.0, -11.0, 5.5])
    s = bt.summary.row(0, named=True)
    assert s["final_bankroll"] == pytest.approx(104.5)
    assert s["turnover"] == pytest.approx(26.5)
    assert s["yield"] == pytest.approx(4.5 / 26.5)
    assert s["roi"] == pytest.approx(0.045)
    # the zero-edge bet was never placed: counted as skipped, not as a bet or a loss
    assert (s["bets"], s["wins"], s["losses"], s["skipped"]) == (3, 2, 1, 1)
    assert s["hit_rate"] == pytest.approx(2 / 3)


def test_kelly_bust_stays_bust() -> None:
    df = bets([("2025-09-01", 2.0, "loss")] * 30 + [("2025-09-02", 2.0, "win")], prob=[0.99] * 31)
    bt = qf.backtest(df, stake="kelly", kelly_fraction=1.0, max_stake=1.0)
    assert bt.bets["stake"][-1] == pytest.approx(0, abs=1e-9)  # busted: nothing left to stake
    assert bt["final_bankroll"] == pytest.approx(
        0, abs=1e-9
    )  # a date never stakes more than the bankroll


def test_given_stakes() -> None:
    df = bets([("2025-09-01", 2.0, "win"), ("2025-09-02", 3.0, "loss")], stake=[5.0, 2.5])
    s = qf.backtest(df, stake="given").summary.row(0, named=True)
    assert s["profit"] == 2.5
    assert s["turnover"] == 7.5


def test_groups_sum_to_the_total() -> None:
    df = bets(
        [
            ("2025-09-01", 2.0, "win"),
            ("2025-09-01", 3.0, "loss"),
            ("2025-09-02", 1.5, "void"),
            ("2025-09-03", 2.5, "win"),
            ("2025-09-04", 1.8, "loss"),
        ],
        strategy=["A", "B", "A", "B", "A"],
        prob=[0.6, 0.4, 0.7, 0.5, 0.6],
    )
    for stake in ("flat", "kelly"):
        bt = qf.backtest(df, stake=stake, by="strategy")
        assert bt.groups["strategy"].to_list() == ["A", "B"]
        for col in ("bets", "wins", "losses", "voids", "skipped", "turnover", "profit"):
            assert bt.groups[col].sum() == pytest.approx(bt[col]), (stake, col)
    a = qf.backtest(df, by="strategy").groups.row(0, named=True)
    assert (a["bets"], a["wins"], a["longest_losing_streak"]) == (2, 1, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"odds": [2.0, 1.0]},
            r"column 'odds' must be decimal odds above 1: 1 bad row\(s\), first row 1: 1.0",
        ),
        (
            {"result": ["win", "lost"]},
            r"column 'result' must be one of win, loss, void, push, half_win, half_loss: "
            r".*row 1: 'lost'",
        ),
        (
            {"date": ["2025-09-01", "yesterday"]},
            r"column 'date' is not a date .*row 1: 'yesterday'",
        ),
        ({"prob": [0.5, 1.2]}, r"column 'prob' must be a probability in \[0, 1\]: .*row 1: 1.2"),
    ],
)
def test_bad_input_names_the_column_and_first_rows(
    change: dict[str, list[object]], message: str
) -> None:
    df = bets([("2025-09-01", 2.0, "win"), ("2025-09-02", 2.0, "loss")]).with_columns(
        pl.Series(k, v) for k, v in change.items()
    )
    with pytest.raises(ValueError, match=message):
        qf.backtest(df)


def test_missing_columns_and_options() -> None:
    df = bets([("2025-09-01", 2.0, "win")])
    with pytest.raises(ValueError, match=r"lack column\(s\) \['result'\]"):
        qf.backtest(df.drop("result"))
    with pytest.raises(ValueError, match="Kelly stakes need the model's probability"):
        qf.backtest(df, stake="kelly")
    with pytest.raises(ValueError, match="max_stake"):
        qf.backtest(df.with_columns(prob=pl.lit(0.5)), stake="kelly", max_stake=2)
    with pytest.raises(ValueError, match="stake must be"):
        qf.backtest(df, stake="martingale")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"by=\['nope'\]"):
        qf.backtest(df, by="nope")


def test_renders_and_plots() -> None:
    bt = qf.backtest(
        bets([("2025-09-01", 2.0, "win"), ("2025-09-02", 2.0, "loss")], strategy=["A", "B"]),
        by="strategy",
    )
    text = repr(bt)
    assert "yield" in text
    assert "ROI" in text
    assert "max drawdown" in text
    assert "<table" in bt._repr_html_()
    chart = bt.plot()
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "line"
    assert spec["encoding"]["y"]["field"] == "bankroll"


def test_kelly_counts_placed_bets_only() -> None:
    # Four bets the model sees no edge in (stake 0), two placed: one win, one loss.
    df = bets(
        [
            ("2025-09-01", 2.0, "win"),
            ("2025-09-01", 5.0, "win"),
            ("2025-09-02", 2.0, "win"),
            ("2025-09-02", 3.0, "loss"),
            ("2025-09-03", 1.5, "loss"),
            ("2025-09-03", 1.5, "loss"),
        ],
        prob=[0.4, 0.1, 0.4, 0.5, 0.8, 0.5],
        strategy=["A", "A", "A", "B", "B", "B"],
    )
    bt = qf.backtest(df, stake="kelly", kelly_fraction=1.0, max_stake=1.0, by="strategy")
    assert bt.bets["stake"].to_list() == pytest.approx([0, 0, 0, 25, 30, 0])  # 30 = 0.4 x 75
    s = bt.summary.row(0, named=True)
    assert (s["bets"], s["wins"], s["losses"], s["skipped"]) == (2, 0, 2, 4)
    assert s["hit_rate"] == 0
    assert s["avg_odds"] == pytest.approx((3.0 + 1.5) / 2)
    assert s["longest_losing_streak"] == 2  # the skipped bets between them do not break it
    assert s["turnover"] == pytest.approx(55)
    groups = {r["strategy"]: r for r in bt.groups.iter_rows(named=True)}
    assert (groups["A"]["bets"], groups["A"]["skipped"], groups["A"]["hit_rate"]) == (0, 3, None)
    assert (groups["B"]["bets"], groups["B"]["skipped"]) == (2, 1)
    assert "skipped 4 bet(s) with stake 0" in repr(bt)
    given = qf.backtest(df.with_columns(stake=pl.Series([0.0, 0, 0, 1, 1, 0])), stake="given")
    assert (given["bets"], given["skipped"]) == (2, 4)


def test_the_sample_season_kelly_summary_counts_placed_bets(repo_root: Path) -> None:
    fixtures = pl.read_parquet(repo_root / "data" / "season" / "fixtures.parquet")
    enriched = qf.point_in_time(fixtures, repo_root / "data" / "season" / "snapshots")
    bt = qf.backtest(qf.bets_from_strategies(enriched, min_conviction=60), stake="kelly")
    placed = bt.bets.filter(pl.col("stake") > 0)
    assert bt["bets"] + bt["skipped"] == bt.bets.height
    assert bt["bets"] == placed.height < bt.bets.height
    assert bt["hit_rate"] == pytest.approx(placed["result"].is_in(["win"]).mean())
    assert bt["avg_odds"] == pytest.approx(placed["odds"].mean())


@pytest.mark.parametrize("by", [None, "strategy"])
@pytest.mark.parametrize("stake", ["flat", "kelly"])
def test_an_empty_backtest_is_a_valid_answer(by: str | None, stake: str) -> None:
    df = bets([("2025-09-01", 2.0, "win")], strategy=["A"], prob=[0.6]).head(0)
    bt = qf.backtest(df, by=by, stake=stake)  # type: ignore[arg-type]
    s = bt.summary.row(0, named=True)
    assert (s["bets"], s["skipped"], s["turnover"], s["profit"]) == (0, 0, 0, 0)
    assert s["yield"] is None
    assert s["hit_rate"] is None
    assert s["final_bankroll"] == 100
    assert s["max_drawdown"] == 0
    assert "no bets placed" in repr(bt)
    assert bt.plot().to_dict()["mark"]["type"] == "line"
    assert "<p>" in bt._repr_html_()


# Hand-computed: over/under lines against totals 0–4 (half, whole and quarter lines).
LINES = {
    "over_2.5": ["loss", "loss", "loss", "win", "win"],
    "under_2.5": ["win", "win", "win", "loss", "loss"],
    "over_2": ["loss", "loss", "push", "win", "win"],
    "under_2": ["win", "win", "push", "loss", "loss"],
    "over_3": ["loss", "loss", "loss", "push", "win"],
    # 2.25 = half on 2 and half on 2.5: a total of 2 pushes one half and loses the other
    "over_2.25": ["loss", "loss", "half_loss", "win", "win"],
    "under_2.25": ["win", "win", "half_win", "loss", "loss"],
    # 2.75 = half on 2.5 and half on 3: a total of 3 wins one half and pushes the other
    "over_2.75": ["loss", "loss", "loss", "half_win", "win"],
    "under_2.75": ["win", "win", "win", "half_loss", "loss"],
    "over_0.75": ["loss", "half_win", "win", "win", "win"],
    "over_2.3": [None] * 5,  # not a quarter line: unknown, refused by the backtest
}


@pytest.mark.parametrize(("market", "expected"), LINES.items(), ids=list(LINES))
def test_settle_goal_lines(market: str, expected: list[str | None]) -> None:
    df = pl.DataFrame({"home_goals": [0, 1, 1, 2, 3], "away_goals": [0, 0, 1, 1, 1]})
    got = df.select(qf.settle(pl.lit(market), pl.col("home_goals"), pl.col("away_goals")))
    assert got.to_series().to_list() == expected


def test_pushes_and_half_results_in_a_backtest() -> None:
    # 1-1 on over_2 (push), 2-0 on over_2.25 (half loss), 3-0 on over_2.75 (half win)
    df = bets(
        [
            ("2025-09-01", 1.9, "push"),
            ("2025-09-02", 2.0, "half_loss"),
            ("2025-09-03", 2.2, "half_win"),
        ]
    )
    bt = qf.backtest(df, unit=10)
    assert bt.bets["profit"].to_list() == pytest.approx([0, -5, 6])
    s = bt.summary.row(0, named=True)
    assert (s["bets"], s["wins"], s["losses"], s["pushes"]) == (2, 1, 1, 1)
    assert s["turnover"] == 20
    assert s["profit"] == pytest.approx(1)
    with pytest.raises(ValueError, match="column 'result' must be one of"):
        qf.backtest(bets([("2025-09-01", 2.0, "win")]).with_columns(result=pl.lit(None, pl.String)))


def test_settle_every_market() -> None:
    df = pl.DataFrame(
        {
            "m": [
                "over_2.5",
                "under_2.5",
                "over_1.5",
                "btts_yes",
                "btts_no",
                "1x2_home",
                "1x2_draw",
                "1x2_away",
                "dc_1x",
                "dc_x2",
                "dc_12",
                "corners_9",
            ]
        }
    )
    score = df.with_columns(qf.settle(pl.col("m"), pl.lit(2), pl.lit(1)).alias("r"))
    assert score["r"].to_list() == [
        "win",
        "loss",
        "win",
        "win",
        "loss",
        "win",
        "loss",
        "loss",
        "win",
        "loss",
        "win",
        None,
    ]
    void = df.with_columns(qf.settle(pl.col("m"), pl.lit(None, pl.Int64), pl.lit(1)).alias("r"))
    assert set(void["r"]) == {"void"}


def test_odds_haircut_and_commission_by_hand() -> None:
    df = bets(
        [("2025-09-01", 2.0, "win"), ("2025-09-02", 3.0, "loss"), ("2025-09-03", 2.5, "half_win")]
    )
    bt = qf.backtest(df, unit=10, odds_haircut=0.02, commission=0.05)
    assert bt.bets["odds_quoted"].to_list() == [2.0, 3.0, 2.5]
    assert bt.bets["odds"].to_list() == pytest.approx([1.96, 2.94, 2.45])
    # a win pays (odds − 1) × stake less 5 % of it; a half win half of that
    assert bt.bets["profit"].to_list() == pytest.approx([0.96 * 10 * 0.95, -10, 1.45 * 5 * 0.95])
    assert bt["avg_odds"] == pytest.approx((1.96 + 2.94 + 2.45) / 3)
    assert df.columns == ["date", "home", "away", "market", "odds", "result"]  # untouched
    with pytest.raises(ValueError, match="odds_haircut must be a fraction"):
        qf.backtest(df, odds_haircut=1.5)


def test_kelly_with_commission_sizes_on_net_winnings() -> None:
    df = bets([("2025-09-01", 3.0, "win")], prob=[0.5])
    bt = qf.backtest(df, stake="kelly", kelly_fraction=1.0, max_stake=1.0, commission=0.1)
    b = 2.0 * 0.9  # net winnings per unit
    assert bt.bets["stake"].item() == pytest.approx(100 * (0.5 - 0.5 / b))


def test_stake_caps_per_bet_and_per_day() -> None:
    df = bets(
        [("2025-09-01", 2.0, "win"), ("2025-09-01", 2.0, "loss"), ("2025-09-01", 2.0, "win"),
         ("2025-09-02", 2.0, "win")],
        stake=[8.0, 4.0, 2.0, 9.0],
    )  # fmt: skip
    bt = qf.backtest(df, stake="given", max_stake=5, max_daily_stake=7)
    # per bet: 5, 4, 2 (11 on the day) then scaled by 7/11; the next day 5
    assert bt.bets["stake"].to_list() == pytest.approx([35 / 11, 28 / 11, 14 / 11, 5])
    kelly = qf.backtest(
        df.with_columns(prob=pl.lit(0.9)), stake="kelly", kelly_fraction=1.0, max_stake=0.5,
        max_daily_stake=0.6,
    )  # fmt: skip
    first_day = kelly.bets.filter(pl.col("date") == date(2025, 9, 1))["stake"]
    assert first_day.to_list() == pytest.approx([20, 20, 20])  # 3 × 0.5 → scaled to 0.6 of 100
    with pytest.raises(ValueError, match="max_stake must be a fraction of the bankroll"):
        qf.backtest(df.with_columns(prob=pl.lit(0.9)), stake="kelly", max_stake=5)
    with pytest.raises(ValueError, match="max_daily_stake must be an amount above 0"):
        qf.backtest(df, stake="given", max_daily_stake=-1)


def _slow_summary(rows: list[tuple[int, float, str, float]], bankroll: float) -> dict[str, object]:
    """The summary the obvious way, bet by bet in date order (rows: day, odds, result, stake)."""
    ordered = sorted(enumerate(rows), key=lambda r: (r[1][0], r[0]))
    returns: dict[str, Callable[[float], float]] = {
        "win": lambda o: o - 1, "half_win": lambda o: (o - 1) / 2,
        "loss": lambda _o: -1.0, "half_loss": lambda _o: -0.5, "push": lambda _o: 0.0,
        "void": lambda _o: 0.0,
    }  # fmt: skip
    decided = [
        r for _, r in ordered if r[3] > 0 and r[2] in ("win", "half_win", "loss", "half_loss")
    ]
    profit = path_peak = 0.0
    worst = worst_pct = 0.0
    streak = longest = 0
    for _, (_, odds, result, stake) in ordered:
        profit += stake * returns[result](odds)
        path_peak = max(path_peak, profit)
        worst = max(worst, path_peak - profit)
        worst_pct = max(worst_pct, (path_peak - profit) / (bankroll + path_peak))
        if stake > 0 and result in ("loss", "half_loss"):
            streak += 1
            longest = max(longest, streak)
        elif stake > 0 and result in ("win", "half_win"):
            streak = 0
    turnover = sum(r[3] for r in decided)
    wins = sum(r[2] in ("win", "half_win") for r in decided)
    return {
        "bets": len(decided),
        "wins": wins,
        "skipped": sum(r[3] == 0 for r in rows),
        "hit_rate": wins / len(decided) if decided else None,
        "turnover": turnover,
        "profit": profit,
        "yield": profit / turnover if turnover else None,
        "avg_odds": sum(r[1] for r in decided) / len(decided) if decided else None,
        "max_drawdown": worst,
        "max_drawdown_pct": worst_pct,
        "longest_losing_streak": longest,
    }


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 9),
            st.floats(1.01, 12.0),
            st.sampled_from(RESULTS),
            st.sampled_from([0.0, 0.5, 1.0, 3.0]),
        ),
        max_size=30,
    )
)
def test_summary_equals_a_slow_reference(rows: list[tuple[int, float, str, float]]) -> None:
    df = (
        bets([(f"2025-09-{d:02d}", o, r) for d, o, r, _ in rows], stake=[s for *_, s in rows])
        if rows
        else bets([("2025-09-01", 2.0, "win")], stake=[1.0]).head(0)
    )
    got = qf.backtest(df, stake="given").summary.row(0, named=True)
    for key, want in _slow_summary(rows, 100.0).items():
        if want is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(want, abs=1e-9), key
