"""Margin-free CLV: fair closing probabilities against published and hand-computed cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.backtesting import MarginWarning, fair_probabilities
from quantum_frames.errors import InvalidArgumentError


def test_shin_matches_the_shin_packages_worked_example() -> None:
    # The `shin` package's README (mberk/shin): odds [2.6, 2.4, 4.3] give the probabilities
    # [0.37299406033208965, 0.4047794109200184, 0.2222265287474275] and z = 0.01694251276407055
    # (its iteration stops at a change below 1e-12).
    got = fair_probabilities(np.array([[2.6, 2.4, 4.3]]), "shin")[0]
    assert got == pytest.approx(
        [0.37299406033208965, 0.4047794109200184, 0.2222265287474275], abs=1e-10
    )
    from quantum_frames.backtesting.margins import _solve

    z, _ = _solve(1 / np.array([[2.6, 2.4, 4.3]]), "shin")
    assert z[0] == pytest.approx(0.01694251276407055, abs=1e-10)


def test_multiplicative_and_power_by_hand() -> None:
    odds = np.array([[2.0, 3.5, 4.0], [1.9, 1.9, np.nan]])
    booksum = 1 / 2 + 1 / 3.5 + 1 / 4
    mult = fair_probabilities(odds, "multiplicative")
    assert mult[0] == pytest.approx([0.5 / booksum, (1 / 3.5) / booksum, 0.25 / booksum])
    assert mult[1, :2] == pytest.approx([0.5, 0.5])
    assert np.isnan(mult[1, 2])
    power = fair_probabilities(odds, "power")
    k = math.log(0.5) / math.log(1 / 1.9)  # two equal prices: (1/1.9)^k = 1/2
    assert power[1, :2] == pytest.approx([(1 / 1.9) ** k] * 2)
    assert np.nansum(power[0]) == pytest.approx(1)
    # power takes more of the margin from the longshot than multiplicative does
    assert power[0, 2] < mult[0, 2]
    assert power[0, 0] > mult[0, 0]


def slow(odds: list[float], method: str) -> list[float]:
    """One market at a time, plain Python bisection on the defining equation."""
    pi = [1 / o for o in odds]
    b = sum(pi)
    if method == "multiplicative" or b <= 1:
        return [p / b for p in pi]
    if method == "power":
        lo, hi = 1.0, 50.0
        for _ in range(200):
            k = (lo + hi) / 2
            lo, hi = (k, hi) if sum(p**k for p in pi) > 1 else (lo, k)
        return [p**lo for p in pi]

    def shin(z: float) -> list[float]:
        return [(math.sqrt(z * z + 4 * (1 - z) * p * p / b) - z) / (2 * (1 - z)) for p in pi]

    lo, hi = 0.0, 1.0
    for _ in range(200):
        z = (lo + hi) / 2
        lo, hi = (z, hi) if sum(shin(z)) > 1 else (lo, z)
    return shin(lo)


@settings(max_examples=60, deadline=None)
@given(
    books=st.lists(st.lists(st.floats(1.05, 30.0), min_size=2, max_size=4), min_size=1, max_size=8),
    method=st.sampled_from(["multiplicative", "power", "shin"]),
)
def test_vectorised_equals_one_market_at_a_time(books: list[list[float]], method: str) -> None:
    width = max(len(b) for b in books)
    odds = np.array([b + [np.nan] * (width - len(b)) for b in books])
    got = fair_probabilities(odds, method)  # type: ignore[arg-type]
    for row, book in zip(got, books, strict=True):
        assert row[: len(book)] == pytest.approx(slow(book, method), abs=1e-9)
        assert np.nansum(row) == pytest.approx(1)


def one_x_two(**extra: list[object]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "date": ["2025-09-01", "2025-09-02"],
            "home": ["A", "C"],
            "away": ["B", "D"],
            "market": ["1x2_home", "1x2_away"],
            "odds": [2.1, 4.4],
            "result": ["win", "loss"],
            "closing_odds": [2.0, 4.0],
            **extra,
        }
    )


def test_fair_clv_by_hand() -> None:
    bets = one_x_two(
        closing_odds_home=[2.0, 1.8], closing_odds_draw=[3.5, 3.6], closing_odds_away=[4.0, 4.0]
    )
    bt = qf.backtest(bets, margin="multiplicative")
    first = 0.5 / (0.5 + 1 / 3.5 + 0.25)  # fair P(home) of the first match
    second = 0.25 / (1 / 1.8 + 1 / 3.6 + 0.25)
    assert bt.bets["clv"].to_list() == pytest.approx([2.1 * first - 1, 4.4 * second - 1])
    assert bt["avg_clv"] == pytest.approx((2.1 * first + 4.4 * second) / 2 - 1)
    assert bt.clv_basis == bt["clv_basis"] == "fair closing odds (multiplicative margin removal)"
    assert "vs fair closing odds (multiplicative" in repr(bt)
    raw = qf.backtest(bets, margin=None)
    assert raw.bets["clv"].to_list() == pytest.approx([2.1 / 2.0 - 1, 4.4 / 4.0 - 1])
    assert "margin not removed" in raw["clv_basis"]
    shin = qf.backtest(bets, margin="shin")
    # removing the margin makes the bets' closing prices fairer, i.e. longer: less CLV than raw
    assert all(s < r for s, r in zip(shin.bets["clv"], raw.bets["clv"], strict=True))


def test_without_every_outcome_the_clv_is_raw_and_says_so() -> None:
    bt = qf.backtest(one_x_two(), margin="shin")
    assert bt.bets["clv"].to_list() == pytest.approx([2.1 / 2.0 - 1, 4.4 / 4.0 - 1])
    assert bt["clv_basis"] == "raw closing odds (margin not removed)"


def test_half_a_book_is_null_and_warned_a_stray_price_is_refused() -> None:
    half = one_x_two(
        closing_odds_home=[2.0, None], closing_odds_draw=[3.5, None], closing_odds_away=[4.0, 4.0]
    )
    with pytest.warns(MarginWarning, match="1 bet\\(s\\) have closing_odds but not the closing"):
        bt = qf.backtest(half)
    assert bt.bets["clv"][1] is None
    assert bt.bets["clv"][0] is not None
    stray = one_x_two(
        closing_odds_home=[2.2, 1.8], closing_odds_draw=[3.5, 3.6], closing_odds_away=[4.0, 4.0]
    )
    with pytest.raises(InvalidArgumentError, match="closing_odds of 1 bet\\(s\\) is none of"):
        qf.backtest(stray)
    with pytest.raises(InvalidArgumentError, match="margin must be one of"):
        qf.backtest(half, margin="additive")  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qf.backtest(half, margin=None)  # raw everywhere: nothing to warn about


@pytest.mark.parametrize("lazy", [False, True], ids=["eager", "lazy"])
def test_a_closing_odds_frame_joined_by_match_and_market(lazy: bool) -> None:
    bets = (
        one_x_two()
        .drop("closing_odds")
        .with_columns(pl.Series("market", ["1x2_home", "over_2.5"]), pl.Series("odds", [2.1, 1.8]))
    )
    closing = pl.DataFrame(
        {
            "date": ["2025-09-01"] * 3 + ["2025-09-02"] * 2 + ["2025-09-02"],
            "home": ["A"] * 3 + ["C"] * 3,
            "away": ["B"] * 3 + ["D"] * 3,
            "market": ["1x2_home", "1x2_draw", "1x2_away", "over_2.5", "under_2.5", "over_1.5"],
            "closing_odds": [2.0, 3.5, 4.0, 1.9, 1.9, 1.3],
        }
    )
    bt = qf.backtest(bets, closing=closing.lazy() if lazy else closing, margin="multiplicative")
    first = 0.5 / (0.5 + 1 / 3.5 + 0.25)
    assert bt.bets["closing_odds"].to_list() == [2.0, 1.9]
    assert bt.bets["clv"].to_list() == pytest.approx([2.1 * first - 1, 1.8 * 0.5 - 1])
    assert "fair closing odds" in bt["clv_basis"]
    with pytest.raises(InvalidArgumentError, match="listed twice for one match"):
        qf.backtest(bets, closing=pl.concat([closing, closing.head(1)]))
    with pytest.raises(InvalidArgumentError, match="pass every outcome's closing odds one way"):
        qf.backtest(one_x_two(closing_odds_home=[2.0, 1.8]), closing=closing)
    # bets with their own closing_odds keep them; the frame gives the rest of the book. The
    # second bet's 1x2 book is not in the frame: its CLV is null, and a warning says so.
    with pytest.warns(MarginWarning, match="1 bet\\(s\\) have closing_odds but not"):
        mixed = qf.backtest(one_x_two(), closing=closing)
    assert mixed.bets["clv"][0] == pytest.approx(2.1 * first - 1)
    assert mixed.bets["clv"][1] is None
    with pytest.raises(InvalidArgumentError, match="closing_odds of 1 bet\\(s\\) is none of"):
        qf.backtest(one_x_two().with_columns(closing_odds=pl.Series([2.2, 4.0])), closing=closing)


def test_eager_and_lazy_bets_give_the_same_backtest() -> None:
    bets = one_x_two(
        closing_odds_home=[2.0, 1.8], closing_odds_draw=[3.5, 3.6], closing_odds_away=[4.0, 4.0]
    )
    eager = qf.backtest(bets, margin="shin", bootstrap=100)
    lazy = qf.backtest(bets.lazy(), margin="shin", bootstrap=100)
    assert eager.summary.equals(lazy.summary)
    assert eager.bets.equals(lazy.bets)


def test_a_book_missing_an_outcome_is_never_taken_for_a_smaller_market() -> None:
    # A 1x2 bet with the home and away closing odds but no draw: as a two-way "market" its
    # fair probability would be 0.5 / (0.5 + 0.25) = 2/3 and its CLV +40 % — silently wrong.
    no_draw = one_x_two(closing_odds_home=[2.0, 1.8], closing_odds_away=[4.0, 4.0])
    with pytest.warns(MarginWarning, match="2 bet\\(s\\).*markets 1x2_away, 1x2_home"):
        bt = qf.backtest(no_draw)
    assert bt.bets["clv"].to_list() == [None, None]
    # another market's book summing far below 1 is missing an outcome too
    custom = one_x_two(closing_odds_a=[2.0, 2.0], closing_odds_b=[4.0, 4.0]).with_columns(
        market=pl.lit("corners_over_9"), closing_odds=pl.lit(2.0)
    )
    with pytest.warns(MarginWarning, match="2 of them with a book summing to under 90%"):
        assert qf.backtest(custom).bets["clv"].to_list() == [None, None]
    # a double-chance bet has no book of its own, whatever outcome columns its row carries
    dc = one_x_two(
        closing_odds_home=[2.0, 1.8], closing_odds_draw=[3.5, 3.6], closing_odds_away=[4.0, 4.0]
    ).with_columns(market=pl.Series(["dc_1x", "1x2_away"]), closing_odds=pl.Series([2.0, 4.0]))
    with pytest.warns(MarginWarning, match="1 bet\\(s\\).*markets dc_1x"):
        got = qf.backtest(dc).bets["clv"].to_list()
    assert got[0] is None
    assert got[1] == pytest.approx(4.4 * 0.25 / (1 / 1.8 + 1 / 3.6 + 0.25) - 1)
