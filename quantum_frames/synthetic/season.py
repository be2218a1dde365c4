"""A SYNTHETIC season for backtests.

Fixtures with results and odds, and a drifting history of snapshots. Nothing here is real; every
value is generated, deterministically.

``python -m quantum_frames.synthetic.season data/season`` (``make season``) writes
``fixtures.parquet`` and ``snapshots/`` (four snapshots, as of Aug, Oct, Dec 2025 and Feb 2026,
each generated with another seed: tiers, tags, vectors and strategies drift between them).
"""

from __future__ import annotations

import math
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

import polars as pl

from quantum_frames.frames import QuantumFrames
from quantum_frames.readers import build_frames
from quantum_frames.snapshots.writer import write_snapshot
from quantum_frames.synthetic.generator import LEAGUES, SEED, SYNTHETIC_LABEL, generate

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["HISTORY_AS_OF", "MARKETS", "history", "season", "write_season"]

MARKETS: Final = (
    "over_2.5",
    "under_2.5",
    "over_1.5",
    "btts_yes",
    "btts_no",
    "1x2_home",
    "1x2_away",
    "dc_1x",
)
HISTORY_AS_OF: Final = (date(2025, 8, 1), date(2025, 10, 1), date(2025, 12, 1), date(2026, 2, 1))
_FIRST_MATCHDAY: Final = date(2025, 8, 16)
_MARGIN: Final = 1.05
_JSON = {
    "friction": ["friction_vector", "style_matchup", "market_edges"],
    "strategies": ["context_filters", "parameters", "performance_by_context"],
}


def season(*, seed: int = SEED) -> pl.DataFrame:
    """Every league's double round robin (1,752 matches), SYNTHETIC.

    Columns: ``date``, ``league``, ``home``, ``away``, ``home_goals``, ``away_goals``, and per
    market of :data:`MARKETS`: ``odds_<m>`` (with a 5% margin), ``closing_<m>`` and the
    model's ``prob_<m>`` (the true probability plus noise).
    """
    rng = random.Random(seed)
    strength = {name: rng.gauss(0, 0.35) for names in LEAGUES.values() for name in names}
    rows = []
    for league, names in LEAGUES.items():
        for round_no, pairs in enumerate(_double_round_robin(list(names))):
            day = _FIRST_MATCHDAY + timedelta(weeks=round_no) + timedelta(days=rng.choice((0, 1)))
            for home, away in pairs:
                lam_home = math.exp(0.35 + strength[home] - strength[away])
                lam_away = math.exp(0.05 + strength[away] - strength[home])
                truth = _probabilities(lam_home, lam_away)
                row: dict[str, object] = {
                    "date": day,
                    "league": league,
                    "home": home,
                    "away": away,
                    "home_goals": _poisson(rng, lam_home),
                    "away_goals": _poisson(rng, lam_away),
                }
                for market in MARKETS:
                    p = truth[market]
                    offered = max(1.01, round(1 / (p * _MARGIN) * math.exp(rng.gauss(0, 0.04)), 2))
                    row[f"odds_{market}"] = offered
                    row[f"closing_{market}"] = max(
                        1.01, round(offered * math.exp(rng.gauss(0, 0.03)), 2)
                    )
                    row[f"prob_{market}"] = min(0.99, max(0.01, round(p + rng.gauss(0, 0.03), 4)))
                rows.append(row)
    return pl.DataFrame(rows).sort("date", "league", "home")


def history(*, seed: int = SEED) -> list[QuantumFrames]:
    """Four SYNTHETIC snapshots' worth of frames, as of :data:`HISTORY_AS_OF`, drifting."""
    out = []
    for i, day in enumerate(HISTORY_AS_OF):
        as_of = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        raw = generate(1, seed=seed + i)
        from quantum_frames.synthetic.build import JSON_COLUMNS

        source = {"kind": "synthetic", "label": SYNTHETIC_LABEL, "seed": seed + i}
        q = build_frames(raw, json_columns=JSON_COLUMNS, source=source, loaded_at=as_of)
        out.append(QuantumFrames(**{**q.__dict__, "as_of": as_of}))
    return out


def write_season(folder: Path, *, seed: int = SEED) -> Path:
    """Write ``fixtures.parquet`` and ``snapshots/`` under ``folder`` (replacing them)."""
    folder.mkdir(parents=True, exist_ok=True)
    season(seed=seed).write_parquet(
        folder / "fixtures.parquet", metadata={"quantum_frames.label": SYNTHETIC_LABEL}
    )
    for q in history(seed=seed):
        assert q.as_of is not None
        name = f"as-of-{q.as_of:%Y-%m-%d}"
        write_snapshot(q, folder / "snapshots" / name, as_of=q.as_of, overwrite=True,
                       snapshot_id=f"season-{name}", created_at=q.as_of)  # fmt: skip
    return folder


def _double_round_robin(teams: list[str]) -> list[list[tuple[str, str]]]:
    """The circle method: n-1 rounds, everyone meets everyone; then the same with venues swapped."""
    if len(teams) % 2:
        teams = [*teams, ""]
    n = len(teams)
    rounds = []
    order = teams[:]
    for r in range(n - 1):
        pairs = []
        for i in range(n // 2):
            a, b = order[i], order[n - 1 - i]
            if a and b:
                pairs.append((a, b) if (r + i) % 2 == 0 else (b, a))
        rounds.append(pairs)
        order = [order[0], order[-1], *order[1:-1]]
    return rounds + [[(b, a) for a, b in pairs] for pairs in rounds]


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _probabilities(lam_home: float, lam_away: float, max_goals: int = 10) -> dict[str, float]:
    def pmf(lam: float, k: int) -> float:
        return math.exp(-lam) * lam**k / math.factorial(k)

    grid = {
        (h, a): pmf(lam_home, h) * pmf(lam_away, a)
        for h in range(max_goals)
        for a in range(max_goals)
    }
    total = sum(grid.values())
    p = {key: v / total for key, v in grid.items()}

    def prob(cond: Callable[[int, int], bool]) -> float:
        return sum(v for (h, a), v in p.items() if cond(h, a))

    return {
        "over_2.5": prob(lambda h, a: h + a > 2.5),
        "under_2.5": prob(lambda h, a: h + a < 2.5),
        "over_1.5": prob(lambda h, a: h + a > 1.5),
        "btts_yes": prob(lambda h, a: h > 0 and a > 0),
        "btts_no": prob(lambda h, a: h == 0 or a == 0),
        "1x2_home": prob(lambda h, a: h > a),
        "1x2_away": prob(lambda h, a: h < a),
        "dc_1x": prob(lambda h, a: h >= a),
    }


if __name__ == "__main__":
    print(write_season(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("data/season")))
