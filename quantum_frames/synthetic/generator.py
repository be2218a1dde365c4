"""A deterministic generator of synthetic V3 data (SYNTHETIC: no value here is real).

The 96 real team names of the five big leagues (2025-2026); every value attached to them is
made up. Same ``seed`` → same data, byte for byte. ``scale=N`` gives N copies of the leagues
(``Premier League #2`` …) for benchmarks.

It carries the drift a real database has: keys present in some rows only, a few NULL vectors
and empty objects, empty tag arrays, one path that is an integer in most rows and a string in
a few, names with accents and punctuation.

Generating data is not a data path of the library: it builds rows in Python on purpose, so
that each row is plausible on its own.
"""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from quantum_frames.errors import Advice, InvalidArgumentError, said
from quantum_frames.frames import SourceTables

if TYPE_CHECKING:
    from collections.abc import Callable

    from polars._typing import PolarsDataType

__all__ = [
    "LEAGUES",
    "SEASON",
    "SEED",
    "SYNTHETIC_LABEL",
    "TEAM_JSON_COLUMNS",
    "generate",
    "normalize_name",
]

SEASON: Final = "2025-2026"
SEED: Final = 42
SYNTHETIC_LABEL: Final = "SYNTHETIC sample data — generated, not real"

LEAGUES: Final[dict[str, tuple[str, ...]]] = {
    "Premier League": (
        "Arsenal", "Aston Villa", "Bournemouth", "Brentford", "Brighton & Hove Albion",
        "Burnley", "Chelsea", "Crystal Palace", "Everton", "Fulham", "Leeds United",
        "Liverpool", "Manchester City", "Manchester United", "Newcastle United",
        "Nottingham Forest", "Sunderland", "Tottenham Hotspur", "West Ham United",
        "Wolverhampton Wanderers",
    ),
    "La Liga": (
        "Alavés", "Athletic Club", "Atlético Madrid", "Barcelona", "Celta Vigo", "Elche",
        "Espanyol", "Getafe", "Girona", "Levante", "Mallorca", "Osasuna", "Rayo Vallecano",
        "Real Betis", "Real Madrid", "Real Oviedo", "Real Sociedad", "Sevilla", "Valencia",
        "Villarreal",
    ),
    "Serie A": (
        "AC Milan", "AS Roma", "Atalanta", "Bologna", "Cagliari", "Como", "Cremonese",
        "Fiorentina", "Genoa", "Hellas Verona", "Inter", "Juventus", "Lazio", "Lecce",
        "Napoli", "Parma", "Pisa", "Sassuolo", "Torino", "Udinese",
    ),
    "Bundesliga": (
        "1. FC Heidenheim", "1. FC Köln", "Bayer Leverkusen", "Bayern München",
        "Borussia Dortmund", "Borussia Mönchengladbach", "Eintracht Frankfurt", "FC Augsburg",
        "FC St. Pauli", "Hamburger SV", "Mainz 05", "RB Leipzig", "SC Freiburg",
        "TSG Hoffenheim", "Union Berlin", "VfB Stuttgart", "VfL Wolfsburg", "Werder Bremen",
    ),
    "Ligue 1": (
        "AJ Auxerre", "Angers SCO", "FC Lorient", "FC Metz", "FC Nantes", "Le Havre AC",
        "LOSC Lille", "Olympique Lyonnais", "Olympique de Marseille", "OGC Nice", "AS Monaco",
        "Paris FC", "Paris Saint-Germain", "RC Lens", "RC Strasbourg", "Stade Brestois",
        "Stade Rennais", "Toulouse FC",
    ),
}  # fmt: skip

TEAM_JSON_COLUMNS: Final = (
    "betting_identity",
    "market_dna", "context_dna", "temporal_dna", "nemesis_dna", "psyche_dna", "roster_dna",
    "physical_dna", "luck_dna", "tactical_dna", "chameleon_dna", "meta_dna", "sentiment_dna",
    "clutch_dna", "shooting_dna", "card_dna", "corner_dna", "form_analysis", "current_season",
    "status_2025_2026", "profile_2d", "signature_v3", "advanced_profile_v8",
    "friction_signatures", "narrative_tactical_profile", "narrative_mvp",
    "exploit_markets", "avoid_markets", "optimal_scenarios", "optimal_strategies",
    "quantum_dna_legacy",
)  # fmt: skip

STYLES: Final = ("gegenpress", "possession", "balanced", "counter_attack", "low_block", "direct")
TIERS: Final = ("ELITE", "TOP6", "MID", "BOTTOM")
STRATEGIES: Final = (
    "MONTE_CARLO_PURE", "QUANT_BEST_MARKET", "CONVERGENCE_OVER_MC", "TOTAL_CHAOS",
    "ADAPTIVE_ENGINE", "MC_NO_CLASH", "SNIPER_AWAY", "FORTRESS_HOME",
)  # fmt: skip
MARKETS: Final = (
    "over_2.5",
    "under_2.5",
    "btts_yes",
    "btts_no",
    "1x2_home",
    "1x2_away",
    "dc_1x",
    "over_1.5",
)
TAGS: Final = (
    "GEGENPRESS", "POSSESSION_KING", "LOW_BLOCK", "COUNTER_THREAT", "HIGH_LINE", "DIRECT_PLAY",
    "COMEBACK_KING", "SLOW_STARTER", "LATE_GOALS", "BTTS_MACHINE", "CLEAN_SHEET_KING",
    "DERBY_BEAST", "AWAY_WEAK", "HOME_FORTRESS", "SET_PIECE_THREAT", "CARD_MAGNET",
    "CORNER_HEAVY", "GK_LEAKY", "GK_ELITE", "GK_SWEEPER", "GK_Alisson", "GK_Donnarumma",
    "GK_Oblak", "GK_Neuer", "GK_Maignan", "GK_Sommer", "GK_Raya", "GK_Courtois",
)  # fmt: skip
ARCHETYPES: Final = ("pressing_machine", "fortress", "chaos_agent", "control_freak", "glass_cannon")
_BASE_TIME: Final = datetime(2025, 8, 1, 6, 0, tzinfo=UTC)


def normalize_name(name: str) -> str:
    """``"1. FC Köln"`` → ``"1. fc koln"``: accents folded, case folded, spaces squeezed."""
    folded = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(ascii_only.casefold().split())


def generate(scale: int = 1, *, seed: int = SEED) -> SourceTables:
    """Generate the three V3 tables (SYNTHETIC) as lossless source frames.

    Args:
        scale: copies of the five leagues (96 teams each).
        seed: the random seed; the same seed gives the same data.

    Returns:
        SourceTables whose columns are exactly those of ``data/schema.sql``, JSON as text.
    """
    if not isinstance(scale, int) or scale < 1:
        msg = said(
            f"scale must be a whole number ≥ 1, got {scale!r}. Hint: ",
            Advice("scale", "1"),
            " (the 96 teams once).",
        )
        raise InvalidArgumentError(msg, argument="scale")
    rng = random.Random(seed)
    teams = _teams(rng, scale)
    friction = _friction(rng, teams)
    strategies = _strategies(rng, teams)
    return SourceTables(
        teams=_frame(teams, _TEAM_SCHEMA),
        friction=_frame(friction, _FRICTION_SCHEMA),
        strategies=_frame(strategies, _STRATEGY_SCHEMA),
    )


# --- teams ------------------------------------------------------------------------------------


def _teams(rng: random.Random, scale: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for copy in range(scale):
        suffix = "" if copy == 0 else f" #{copy + 1}"
        for league, names in LEAGUES.items():
            strengths = sorted(((rng.gauss(0, 1), n) for n in names), reverse=True)
            ranked = {base: (rank, strength) for rank, (strength, base) in enumerate(strengths, 1)}
            for base in names:  # ids in name order: the same team keeps its id whatever the seed
                rank, strength = ranked[base]
                tier = (
                    "ELITE"
                    if rank <= 3
                    else "TOP6"
                    if rank <= 6
                    else "MID"
                    if rank <= 14
                    else "BOTTOM"
                )
                rows.append(
                    _team(rng, len(rows) + 1, base + suffix, league + suffix, tier, rank, strength)
                )
    return rows


def _team(
    rng: random.Random, team_id: int, name: str, league: str, tier: str, rank: int, strength: float
) -> dict[str, Any]:
    style = rng.choice(STYLES)
    matches = rng.randint(10, 19)
    bets = rng.randint(matches, matches * 2)
    wins = rng.randint(bets // 4, (bets * 3) // 4)
    pnl = round(rng.gauss(strength * 4, 6), 2)
    updated = _BASE_TIME + timedelta(days=rng.randint(60, 110), seconds=rng.randint(0, 86_399))
    row: dict[str, Any] = {
        "team_id": team_id,
        "team_name": name,
        "team_name_normalized": normalize_name(name),
        "league": league,
        "tier": tier,
        "tier_rank": rank,
        "team_intelligence_id": 1000 + team_id,
        "current_style": style,
        "style_confidence": rng.randint(40, 95),
        "team_archetype": rng.choice(ARCHETYPES),
        "best_strategy": rng.choice(STRATEGIES),
        "total_matches": matches,
        "total_bets": bets,
        "total_wins": wins,
        "total_losses": bets - wins,
        "win_rate": round(100 * wins / bets, 1),
        "total_pnl": pnl,
        "roi": round(100 * pnl / bets, 1),
        "avg_clv": round(rng.gauss(0.5, 1.5), 2),
        "unlucky_losses": rng.randint(0, max(0, bets - wins) // 2),
        "bad_analysis_losses": rng.randint(0, 4),
        "unlucky_pct": round(rng.uniform(0, 60), 1),
    }
    for column in TEAM_JSON_COLUMNS:
        row[column] = _vector(rng, column, row)
    row["narrative_fingerprint_tags"] = _tags(rng, style)
    row["narrative_profile"] = f"[{SYNTHETIC_LABEL}] {name}: {style} side, {tier.lower()} tier."
    row["dna_fingerprint"] = hashlib.sha256(f"{team_id}:{name}".encode()).hexdigest()
    row["season"] = SEASON
    row["created_at"] = _BASE_TIME + timedelta(minutes=team_id)
    row["updated_at"] = updated
    row["last_audit_at"] = (updated + timedelta(hours=rng.randint(1, 48))).replace(tzinfo=None)
    return row


def _tags(rng: random.Random, style: str) -> list[str]:
    if rng.random() < 0.05:
        return []
    k = rng.choice((2, 3, 4, 4, 4, 5, 5, 5, 6, 7))
    style_tag = {
        "gegenpress": "GEGENPRESS",
        "possession": "POSSESSION_KING",
        "low_block": "LOW_BLOCK",
    }
    tags = [style_tag[style]] if style in style_tag else []
    tags += rng.sample([t for t in TAGS if t not in tags], k - len(tags))
    return tags


def _vector(rng: random.Random, column: str, team: dict[str, Any]) -> str | None:
    """One JSONB value as text: NULL (~3%), ``{}`` (~2%) or a plausible object."""
    roll = rng.random()
    if roll < 0.03 and column != "market_dna":
        return None
    if roll < 0.05 and column not in {"market_dna", "exploit_markets", "avoid_markets"}:
        return "{}"
    make: Callable[[random.Random, dict[str, Any]], Any] = _VECTORS.get(column, _generic_vector)
    value = make(rng, team)
    return json.dumps(value, ensure_ascii=False)


def _p(rng: random.Random, lo: float = 0.0, hi: float = 1.0, nd: int = 3) -> float:
    return round(rng.uniform(lo, hi), nd)


def _maybe(rng: random.Random, prob: float, value: Any) -> dict[str, Any]:
    """A key present in some rows only."""
    return value if rng.random() < prob else {}


def _market_dna(rng: random.Random, team: dict[str, Any]) -> dict[str, Any]:
    over = rng.random() < 0.4
    btts_no = rng.random() < 0.5
    return {
        "best_strategy": team["best_strategy"],
        "empirical_profile": {
            **_maybe(rng, 0.7, {"avg_clv": round(rng.gauss(0, 1), 2)}),
            "avg_edge": _p(rng, -0.2, 1.0),
            "sample_size": rng.randint(8, 40),
            "over_specialist": over,
            "under_specialist": not over,
            "btts_no_specialist": btts_no,
            "btts_yes_specialist": not btts_no,
        },
        "profitable_strategies": rng.randint(0, 5),
        "total_strategies_tested": 5,
    }


def _context_dna(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "home": {"win_rate": _p(rng, 20, 80, 1), "goals_for": _p(rng, 0.5, 3, 2)},
        "away": {"win_rate": _p(rng, 10, 70, 1), "goals_for": _p(rng, 0.3, 2.5, 2)},
        "vs_elite": {"points_per_game": _p(rng, 0, 2.5, 2)},
        **_maybe(rng, 0.6, {"midweek_penalty": _p(rng, 0, 0.3)}),
    }


def _temporal_dna(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "goals_by_period": {
            p: rng.randint(0, 9) for p in ("0-15", "16-30", "31-45", "46-60", "61-75", "76-90")
        },
        "first_half_share": _p(rng, 0.2, 0.7),
        "late_goal_rate": _p(rng),
        "slow_starter": rng.random() < 0.3,
    }


def _nemesis_dna(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "nemesis_style": rng.choice(STYLES),
        "prey_style": rng.choice(STYLES),
        "nemesis_win_rate": _p(rng, 0, 40, 1),
        **_maybe(rng, 0.5, {"bogey_team": f"team_{rng.randint(1, 96)}"}),
    }


def _roster_dna(rng: random.Random, team: dict[str, Any]) -> dict[str, Any]:
    return {
        "squad_depth": _p(rng, 0.3, 1.0),
        "avg_age": _p(rng, 23, 30, 1),
        "key_player_dependency": _p(rng),
        "goalkeeper": {"name": f"GK {team['team_id']}", "save_pct": _p(rng, 60, 80, 1)},
        **_maybe(rng, 0.4, {"injuries": rng.randint(0, 6)}),
    }


def _luck_dna(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    # xg_delta is an integer in some rows, a float in others: the flat column is Float64.
    delta = rng.randint(-3, 3) if rng.random() < 0.2 else round(rng.gauss(0, 2), 2)
    return {"xg_delta": delta, "xga_delta": round(rng.gauss(0, 2), 2), "luck_index": _p(rng, -1, 1)}


def _tactical_dna(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "formation": rng.choice(("4-3-3", "4-2-3-1", "3-5-2", "4-4-2", "3-4-3")),
        "ppda": _p(rng, 6, 16, 1),
        "possession_avg": _p(rng, 35, 68, 1),
        "pressing_intensity": _p(rng),
        "build_up": {"direct_pct": _p(rng, 5, 40, 1), "long_balls": rng.randint(20, 80)},
    }


def _form_analysis(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "last_5": [rng.choice("WDL") for _ in range(5)],
        "trend": rng.choice(("rising", "stable", "falling")),
        "points_last_5": rng.randint(0, 15),
    }


def _current_season(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    gf = rng.randint(5, 35)
    return {
        "goals_for": gf,
        "goals_against": rng.randint(5, 35),
        "goals_by_half": [gf // 2, gf - gf // 2],
        "clean_sheets": rng.randint(0, 8),
        "xg": _p(rng, 8, 35, 2),
    }


def _status(rng: random.Random, team: dict[str, Any]) -> dict[str, Any]:
    # Drift: the league position is an integer, except in a few rows where it became "N/A".
    position: int | str = team["tier_rank"] if rng.random() > 0.03 else "N/A"
    return {
        "position": position,
        "points": rng.randint(5, 45),
        "objective": rng.choice(("title", "europe", "mid_table", "survival")),
        **_maybe(rng, 0.3, {"manager_change": rng.random() < 0.3}),
    }


def _markets_list(rng: random.Random, _team: dict[str, Any]) -> list[str]:
    return rng.sample(MARKETS, rng.randint(0, 3))


def _optimal_scenarios(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "scenarios": [
            {
                "context": rng.choice(("home", "away", "vs_elite", "derby")),
                "market": rng.choice(MARKETS),
                "edge": _p(rng, 0, 0.2),
            }
            for _ in range(rng.randint(1, 3))
        ],
        "updated": f"2025-{rng.randint(9, 11):02d}-{rng.randint(1, 28):02d}",
    }  # fmt: skip


def _optimal_strategies(rng: random.Random, team: dict[str, Any]) -> dict[str, Any]:
    return {
        "primary": team["best_strategy"],
        "secondary": rng.choice(STRATEGIES),
        "confidence": _p(rng, 40, 95, 1),
    }


def _betting_identity(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "identity": rng.choice(("value_hunter", "goal_machine", "fortress", "unpredictable")),
        "preferred_markets": rng.sample(MARKETS, 2),
        "stake_multiplier": _p(rng, 0.5, 1.5, 2),
    }


def _generic_vector(rng: random.Random, _team: dict[str, Any]) -> dict[str, Any]:
    return {
        "score": _p(rng, 0, 100, 1),
        "confidence": _p(rng),
        "label": rng.choice(("low", "medium", "high")),
        "sample_size": rng.randint(5, 40),
        **_maybe(rng, 0.5, {"notes": {"source": "synthetic", "version": rng.randint(1, 3)}}),
    }


_VECTORS: Final[dict[str, Callable[[random.Random, dict[str, Any]], Any]]] = {
    "betting_identity": _betting_identity,
    "market_dna": _market_dna,
    "context_dna": _context_dna,
    "temporal_dna": _temporal_dna,
    "nemesis_dna": _nemesis_dna,
    "roster_dna": _roster_dna,
    "luck_dna": _luck_dna,
    "tactical_dna": _tactical_dna,
    "form_analysis": _form_analysis,
    "current_season": _current_season,
    "status_2025_2026": _status,
    "exploit_markets": _markets_list,
    "avoid_markets": _markets_list,
    "optimal_scenarios": _optimal_scenarios,
    "optimal_strategies": _optimal_strategies,
}


# --- friction ---------------------------------------------------------------------------------


def _friction(rng: random.Random, teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_league: dict[str, list[dict[str, Any]]] = {}
    for team in teams:
        by_league.setdefault(team["league"], []).append(team)
    rows: list[dict[str, Any]] = []
    for members in by_league.values():
        for home in members:
            for away in members:
                if home is not away:
                    rows.append(_friction_row(rng, len(rows) + 1, home, away))
    return rows


def _friction_level(score: float) -> str:
    return (
        "LOW"
        if score < 0.3
        else "MEDIUM"
        if score < 0.55
        else "HIGH"
        if score < 0.75
        else "EXTREME"
    )


def _friction_row(
    rng: random.Random, friction_id: int, home: dict[str, Any], away: dict[str, Any]
) -> dict[str, Any]:
    parts = {
        k: _p(rng)
        for k in ("style", "tempo", "tactical", "psychological", "physical", "historical")
    }
    score = round(sum(parts.values()) / len(parts) * 0.6 + rng.random() * 0.4, 4)
    matches = rng.randint(0, 12)
    home_wins = rng.randint(0, matches)
    draws = rng.randint(0, matches - home_wins)
    edges = {m: round(rng.gauss(0, 0.05), 3) for m in rng.sample(MARKETS, rng.randint(1, 4))}
    return {
        "friction_id": friction_id,
        "team_home_id": home["team_id"],
        "team_away_id": away["team_id"],
        "team_home_name": home["team_name"],
        "team_away_name": away["team_name"],
        "league": home["league"],
        "season": SEASON,
        "friction_score": score,
        "friction_level": _friction_level(score),
        "style_clash_score": parts["style"],
        "tempo_friction": parts["tempo"],
        "tactical_friction": parts["tactical"],
        "psychological_friction": parts["psychological"],
        "physical_friction": parts["physical"],
        "historical_friction": parts["historical"],
        "h2h_matches": matches,
        "h2h_home_wins": home_wins,
        "h2h_draws": draws,
        "h2h_away_wins": matches - home_wins - draws,
        "h2h_avg_goals": _p(rng, 1.2, 4.0, 2) if matches else None,
        "h2h_btts_rate": _p(rng) if matches else None,
        "h2h_over25_rate": _p(rng) if matches else None,
        "predicted_goals": _p(rng, 1.5, 3.8, 2),
        "predicted_btts_prob": _p(rng, 0.3, 0.75),
        "predicted_over25_prob": _p(rng, 0.3, 0.8),
        "chaos_potential": _p(rng),
        "confidence": _p(rng, 0.4, 0.95),
        "friction_vector": json.dumps(parts),
        "style_matchup": json.dumps(
            {
                "home_style": home["current_style"],
                "away_style": away["current_style"],
                "clash": f"{home['current_style']}_vs_{away['current_style']}",
            }
        ),
        "market_edges": json.dumps(edges) if rng.random() > 0.02 else None,
        "created_at": _BASE_TIME + timedelta(seconds=friction_id),
        "updated_at": _BASE_TIME + timedelta(days=30, seconds=friction_id),
    }


# --- strategies -------------------------------------------------------------------------------

_CONTEXTS: Final[tuple[dict[str, Any] | None, ...]] = (
    None,
    {},
    {"venue": "home"},
    {"venue": "away"},
    {"opponent_tier": ["ELITE", "TOP6"]},
    {"venue": "away", "opponent_tier": ["MID", "BOTTOM"]},
    {"venue": "home", "opponent_style": "possession"},
)


def _strategies(rng: random.Random, teams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for team in teams:
        names = rng.sample(STRATEGIES, rng.randint(3, 7))
        mine = [_strategy_row(rng, len(rows) + i + 1, team, name) for i, name in enumerate(names)]
        best = max(mine, key=lambda r: (r["conviction"], r["roi"]))
        best["is_best_strategy"] = True
        rows.extend(mine)
    return rows


def _strategy_row(
    rng: random.Random, strategy_id: int, team: dict[str, Any], name: str
) -> dict[str, Any]:
    bets = rng.randint(5, 40)
    wins = rng.randint(0, bets)
    pnl = round(rng.gauss(0, 5), 2)
    conviction = round(rng.uniform(20, 95), 1)
    context = rng.choice(_CONTEXTS)
    return {
        "strategy_id": strategy_id,
        "team_id": team["team_id"],
        "team_name": team["team_name"],
        "league": team["league"],
        "season": SEASON,
        "strategy_name": name,
        "strategy_type": rng.choice(("monte_carlo", "quant", "convergence", "heuristic")),
        "market_type": rng.choice(MARKETS),
        "context_filters": None if context is None else json.dumps(context),
        "parameters": json.dumps(
            {"min_edge": _p(rng, 0.01, 0.1), "simulations": rng.choice((1000, 5000, 10000))}
        ),
        "conviction": conviction,
        "conviction_level": "HIGH" if conviction >= 75 else "MEDIUM" if conviction >= 50 else "LOW",
        "is_active": rng.random() > 0.1,
        "is_best_strategy": False,
        "priority": rng.randint(1, 5),
        "total_bets": bets,
        "wins": wins,
        "losses": bets - wins,
        "win_rate": round(100 * wins / bets, 1),
        "roi": round(100 * pnl / bets, 1),
        "total_pnl": pnl,
        "avg_odds": _p(rng, 1.4, 3.2, 2),
        "avg_clv": round(rng.gauss(0.5, 2), 2),
        "max_drawdown": _p(rng, 0, 15, 2),
        "sharpe_ratio": round(rng.gauss(0.3, 0.8), 2),
        "kelly_fraction": _p(rng, 0, 0.1),
        "performance_by_context": json.dumps(
            {
                c: {"bets": rng.randint(0, 15), "roi": round(rng.gauss(0, 10), 1)}
                for c in ("home", "away")
            }
        ),
        "created_at": _BASE_TIME + timedelta(hours=strategy_id),
        "updated_at": _BASE_TIME + timedelta(days=45, hours=strategy_id),
    }


# --- frames -------------------------------------------------------------------------------------

_TS = pl.Datetime("us", "UTC")


def _dtypes(mapping: dict[str, PolarsDataType]) -> dict[str, PolarsDataType]:
    return mapping


_TEAM_SCHEMA: Final = pl.Schema(
    _dtypes({
        "team_id": pl.Int32, "team_name": pl.String, "team_name_normalized": pl.String,
        "league": pl.String, "tier": pl.String, "tier_rank": pl.Int32,
        "team_intelligence_id": pl.Int32, "current_style": pl.String,
        "style_confidence": pl.Int32, "team_archetype": pl.String, "best_strategy": pl.String,
        "betting_identity": pl.String,
        "total_matches": pl.Int32, "total_bets": pl.Int32, "total_wins": pl.Int32,
        "total_losses": pl.Int32, "win_rate": pl.Float64, "total_pnl": pl.Float64,
        "roi": pl.Float64, "avg_clv": pl.Float64, "unlucky_losses": pl.Int32,
        "bad_analysis_losses": pl.Int32, "unlucky_pct": pl.Float64,
        **dict.fromkeys(TEAM_JSON_COLUMNS[1:], pl.String),
        "narrative_fingerprint_tags": pl.List(pl.String), "narrative_profile": pl.String,
        "dna_fingerprint": pl.String, "season": pl.String, "created_at": _TS,
        "updated_at": _TS, "last_audit_at": pl.Datetime("us"),
    })
)  # fmt: skip
_FRICTION_SCHEMA: Final = pl.Schema(
    _dtypes({
        "friction_id": pl.Int32, "team_home_id": pl.Int32, "team_away_id": pl.Int32,
        "team_home_name": pl.String, "team_away_name": pl.String, "league": pl.String,
        "season": pl.String, "friction_score": pl.Float64, "friction_level": pl.String,
        "style_clash_score": pl.Float64, "tempo_friction": pl.Float64,
        "tactical_friction": pl.Float64, "psychological_friction": pl.Float64,
        "physical_friction": pl.Float64, "historical_friction": pl.Float64,
        "h2h_matches": pl.Int32, "h2h_home_wins": pl.Int32, "h2h_draws": pl.Int32,
        "h2h_away_wins": pl.Int32, "h2h_avg_goals": pl.Float64, "h2h_btts_rate": pl.Float64,
        "h2h_over25_rate": pl.Float64, "predicted_goals": pl.Float64,
        "predicted_btts_prob": pl.Float64, "predicted_over25_prob": pl.Float64,
        "chaos_potential": pl.Float64, "confidence": pl.Float64, "friction_vector": pl.String,
        "style_matchup": pl.String, "market_edges": pl.String, "created_at": _TS,
        "updated_at": _TS,
    })
)  # fmt: skip
_STRATEGY_SCHEMA: Final = pl.Schema(
    _dtypes({
        "strategy_id": pl.Int32, "team_id": pl.Int32, "team_name": pl.String,
        "league": pl.String, "season": pl.String, "strategy_name": pl.String,
        "strategy_type": pl.String, "market_type": pl.String, "context_filters": pl.String,
        "parameters": pl.String, "conviction": pl.Float64, "conviction_level": pl.String,
        "is_active": pl.Boolean, "is_best_strategy": pl.Boolean, "priority": pl.Int32,
        "total_bets": pl.Int32, "wins": pl.Int32, "losses": pl.Int32, "win_rate": pl.Float64,
        "roi": pl.Float64, "total_pnl": pl.Float64, "avg_odds": pl.Float64,
        "avg_clv": pl.Float64, "max_drawdown": pl.Float64, "sharpe_ratio": pl.Float64,
        "kelly_fraction": pl.Float64, "performance_by_context": pl.String, "created_at": _TS,
        "updated_at": _TS,
    })
)  # fmt: skip


def _frame(rows: list[dict[str, Any]], schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row" if not rows else None)
