"""Calibration of the model's prob: Brier score, log loss and the reliability table."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quantum_frames as qf
from quantum_frames.errors import InvalidArgumentError


def frame(probs: list[float], results: list[str], **extra: list[object]) -> pl.DataFrame:
    n = len(probs)
    return pl.DataFrame(
        {
            "date": [f"2025-09-{1 + i % 28:02d}" for i in range(n)],
            "home": ["H"] * n,
            "away": ["A"] * n,
            "market": ["over_2.5"] * n,
            "odds": [2.0] * n,
            "result": results,
            "prob": probs,
            **extra,
        }
    )


def test_brier_log_loss_and_bins_by_hand() -> None:
    bt = qf.backtest(frame([0.8, 0.3, 0.35, 0.5], ["win", "loss", "win", "push"]))
    # the push says nothing about a yes/no forecast: three bets count
    assert bt["calibrated_bets"] == 3
    assert bt["brier"] == pytest.approx((0.2**2 + 0.3**2 + 0.65**2) / 3)
    assert bt["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.7) + math.log(0.35)) / 3)
    table = bt.calibration
    assert table.height == 10
    assert table["bets"].sum() == 3
    row = table.filter(pl.col("bin_low") == 0.3).row(0, named=True)
    assert (row["bets"], row["mean_prob"], row["hit_rate"]) == (2, pytest.approx(0.325), 0.5)
    assert table.filter(pl.col("bin_low") == 0.8)["hit_rate"].item() == 1.0
    assert "calibration over 3 bets: Brier" in repr(bt)
    spec = bt.plot_calibration().to_dict()
    assert len(spec["layer"]) == 3


def test_per_group_and_without_prob() -> None:
    df = frame([0.8, 0.3, 0.6], ["win", "loss", "loss"], strategy=["A", "A", "B"])
    bt = qf.backtest(df, by="strategy")
    b = bt.groups.filter(pl.col("strategy") == "B").row(0, named=True)
    assert b["brier"] == pytest.approx(0.36)
    assert b["calibrated_bets"] == 1
    plain = qf.backtest(df.drop("prob"))
    assert "brier" not in plain.summary.columns
    assert plain.calibration.is_empty()
    with pytest.raises(InvalidArgumentError, match="carry no 'prob' column"):
        plain.plot_calibration()


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["win", "loss", "void", "half_win"])),
        min_size=1,
        max_size=40,
    )
)
def test_equals_a_slow_reference(rows: list[tuple[float, str]]) -> None:
    bt = qf.backtest(frame([p for p, _ in rows], [r for _, r in rows]))
    plain = [(p, 1.0 if r == "win" else 0.0) for p, r in rows if r in ("win", "loss")]
    assert bt["calibrated_bets"] == len(plain)
    if not plain:
        assert bt["brier"] is None
        return
    eps = 1e-15
    brier = sum((p - y) ** 2 for p, y in plain) / len(plain)
    loss = -sum(
        y * math.log(min(max(p, eps), 1 - eps)) + (1 - y) * math.log(1 - min(max(p, eps), 1 - eps))
        for p, y in plain
    ) / len(plain)
    assert bt["brier"] == pytest.approx(brier)
    assert bt["log_loss"] == pytest.approx(loss)
    for row in bt.calibration.iter_rows(named=True):
        members = [(p, y) for p, y in plain if min(int(p * 10), 9) == round(row["bin_low"] * 10)]
        assert row["bets"] == len(members)
        if members:
            assert row["hit_rate"] == pytest.approx(sum(y for _, y in members) / len(members))
