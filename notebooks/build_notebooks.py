"""Write the three notebooks from the cells below, then (``--execute``) run them in place.

The notebooks are the source of truth for readers; this script keeps them reproducible:
``python notebooks/build_notebooks.py --execute`` (``make notebooks``) rewrites and runs them.
Charts are saved as PNG under ``figures/`` (or ``$QF_FIGURES``) so that they can be looked at
outside Jupyter too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """\
import os
from pathlib import Path

import altair as alt
import polars as pl

import quantum_frames as qf

FIGURES = Path(os.environ.get("QF_FIGURES", "figures"))
FIGURES.mkdir(exist_ok=True)
SYNTHETIC = "synthetic sample data"


def show(chart: alt.Chart, name: str) -> alt.Chart:
    \"\"\"Save a chart as PNG (to look at outside Jupyter) and display it.\"\"\"
    chart.save(FIGURES / f"{name}.png", scale_factor=1.5)
    return chart"""

TEAM_DNA = [
    new_markdown_cell(
        "# Team DNA: flattened vectors, tags and tiers\n\n"
        "quantum_frames loads the three V3 tables into Polars frames with every JSONB *DNA vector* "
        "flattened into plain columns. This notebook uses the **bundled synthetic sample** (96 real "
        "team names, every value generated): it needs no database.\n\n"
        "> All figures below are **synthetic** data."
    ),
    new_code_cell(SETUP),
    new_code_cell("q = qf.sample()\nq"),
    new_markdown_cell(
        "Against a real database the same object comes from one call (the password may come from "
        "`PGPASSWORD`, and is never shown):\n\n"
        "```python\nq = qf.read_postgres(\"postgresql://analyst@db.internal:5432/prod\")  # or env QF_DSN\n```"
    ),
    new_markdown_cell(
        "## Flattened DNA columns\n\nEach JSON leaf is a column named `<column>.<key>.<key>`. "
        "Select a vector's columns with a regex:"
    ),
    new_code_cell(
        'q.teams.select("team_name", "tier", pl.col(r"^market_dna\\..*$")).head(5)'
    ),
    new_markdown_cell(
        "The flatten report says where each column came from, its type and how often it is null. "
        "Paths whose rows disagree in type keep each row's JSON text and are listed in `q.conflicts` "
        "(nothing is dropped):"
    ),
    new_code_cell('q.report.filter(pl.col("source") == "market_dna")'),
    new_code_cell("q.conflicts"),
    new_markdown_cell(
        "## Tags\n\nFilters take plain tags or globs, and the same tests exist as Polars expressions "
        "for `filter` / `with_columns` on eager or lazy frames:"
    ),
    new_code_cell(
        'q.teams_with_tags("GK_*", "GEGENPRESS").select("team_name", "tier", "narrative_fingerprint_tags")'
    ),
    new_code_cell(
        'q.teams.filter(qf.is_elite() & qf.has_any_tag("COMEBACK_KING", "LATE_GOALS")).select(\n'
        '    "team_name", "league", qf.tag_count()\n)'
    ),
    new_code_cell("q.tag_counts().head(10)"),
    new_code_cell(
        'per_tier = (\n'
        '    q.teams.select("tier", qf.tier_order(), pl.col("narrative_fingerprint_tags").alias("tag"))\n'
        '    .explode("tag")\n'
        '    .drop_nulls("tag")\n'
        '    .group_by("tier", "tier_order", "tag")\n'
        '    .len()\n'
        ')\n'
        'top = q.tag_counts().head(12)["tag"].to_list()\n'
        'show(\n'
        '    alt.Chart(per_tier.filter(pl.col("tag").is_in(top)))\n'
        '    .mark_bar()\n'
        '    .encode(\n'
        '        x=alt.X("len:Q", title="Teams carrying the tag"),\n'
        '        y=alt.Y("tag:N", sort="-x", title=None),\n'
        '        color=alt.Color("tier:N", sort=["ELITE", "TOP6", "MID", "BOTTOM"], title="Tier"),\n'
        '        order=alt.Order("tier_order:Q"),\n'
        '    )\n'
        '    .properties(title=f"The 12 most common tags, by tier ({SYNTHETIC})", width=520),\n'
        '    "01_tags_per_tier",\n'
        ')'
    ),
    new_markdown_cell("## Tiers per league\n\nELITE > TOP6 > MID > BOTTOM, then `tier_rank`; or by any metric inside each tier:"),
    new_code_cell(
        'q.tier_ranking(by="roi").filter(pl.col("rank") <= 3).select("league", "rank", "team_name", "tier", "roi")'
    ),
    new_code_cell(
        'show(\n'
        '    alt.Chart(q.teams.group_by("league", "tier", qf.tier_order()).len())\n'
        '    .mark_bar()\n'
        '    .encode(\n'
        '        x=alt.X("league:N", title=None),\n'
        '        y=alt.Y("len:Q", title="Teams"),\n'
        '        color=alt.Color("tier:N", sort=["ELITE", "TOP6", "MID", "BOTTOM"], title="Tier"),\n'
        '        order=alt.Order("tier_order:Q"),\n'
        '    )\n'
        '    .properties(title=f"Tier composition per league ({SYNTHETIC})", width=420),\n'
        '    "01_tiers_per_league",\n'
        ')'
    ),
    new_markdown_cell("## One team\n\nMatching ignores case and accents; the vectors come back as the nested dicts the database holds:"),
    new_code_cell('liverpool = q.team("liverpool")\nliverpool["market_dna"]'),
    new_code_cell('q.dna_vector("1. fc koln", "tactical_dna")'),
    new_code_cell(
        '# Vega-Lite reads dots in a field name as nesting: give the chart plain names.\n'
        'points = q.teams.select(\n'
        '    "team_name", "league", "tier",\n'
        '    pl.col("tactical_dna.pressing_intensity").alias("pressing"),\n'
        '    pl.col("market_dna.empirical_profile.avg_edge").alias("avg_edge"),\n'
        ').drop_nulls()\n'
        'show(\n'
        '    alt.Chart(points)\n'
        '    .mark_circle(size=70, opacity=0.8)\n'
        '    .encode(\n'
        '        x=alt.X("pressing:Q", title="Pressing intensity (tactical_dna)"),\n'
        '        y=alt.Y("avg_edge:Q", title="Average edge (market_dna)"),\n'
        '        color=alt.Color("tier:N", sort=["ELITE", "TOP6", "MID", "BOTTOM"], title="Tier"),\n'
        '        tooltip=["team_name", "league", "tier"],\n'
        '    )\n'
        '    .properties(title=f"Pressing vs market edge ({SYNTHETIC})", width=480, height=320),\n'
        '    "01_pressing_vs_edge",\n'
        ')'
    ),
]

FRICTION = [
    new_markdown_cell(
        "# Friction and strategies\n\nTeam-vs-team friction is **directional** (Liverpool at home to "
        "Everton is not Everton at home to Liverpool). Strategies carry `context_filters` saying when "
        "they apply.\n\n> All figures below are **synthetic** data (the bundled sample)."
    ),
    new_code_cell(SETUP + "\n\nq = qf.sample()"),
    new_markdown_cell("## One pair, and the matrix of a league"),
    new_code_cell('q.friction("Liverpool", "Everton"), q.friction("Everton", "Liverpool")'),
    new_code_cell(
        'matrix = q.friction_matrix("Serie A")\n'
        'cells = matrix.unpivot(index="home", variable_name="away", value_name="friction_score")\n'
        'show(\n'
        '    alt.Chart(cells)\n'
        '    .mark_rect()\n'
        '    .encode(\n'
        '        x=alt.X("away:N", title="Away team"),\n'
        '        y=alt.Y("home:N", title="Home team"),\n'
        '        color=alt.Color("friction_score:Q", scale=alt.Scale(scheme="orangered"), title="Friction"),\n'
        '        tooltip=["home", "away", "friction_score"],\n'
        '    )\n'
        '    .properties(title=f"Serie A friction, home × away ({SYNTHETIC})", width=440, height=440),\n'
        '    "02_friction_heatmap",\n'
        ')'
    ),
    new_code_cell(
        'q.high_friction_matchups(0.8).select("team_home_name", "team_away_name", "league", "friction_score", "friction_level")'
    ),
    new_markdown_cell(
        "## Friction for a list of fixtures\n\nOne vectorised join, however many fixtures; names are "
        "matched like `q.team`, and names that match no team are reported, not dropped:"
    ),
    new_code_cell(
        'fixtures = pl.DataFrame({\n'
        '    "home": ["Liverpool", "real madrid", "Bayern München", "Inter", "Paris FC"],\n'
        '    "away": ["Arsenal", "Barcelona", "Borussia Dortmund", "AC Milan", "Paris Saint-Germain"],\n'
        '})\n'
        'q.friction_for(fixtures).select("home", "away", "friction_score", "friction_level", "predicted_goals")'
    ),
    new_markdown_cell(
        "## The best strategy for a context\n\nA strategy applies when each key of its "
        "`context_filters` is in the context with an equal value (or one its list contains); empty "
        "filters always apply. The highest conviction wins (then roi, then the lower id)."
    ),
    new_code_cell('q.best_strategy("Liverpool", {"venue": "home", "opponent_tier": "ELITE"})["strategy_name"]'),
    new_code_cell(
        'contexts = q.teams.select(pl.col("team_name").alias("team")).with_columns(\n'
        '    venue=pl.lit("home"), opponent_tier=pl.lit("ELITE")\n'
        ')\n'
        'best = q.best_strategies(contexts)\n'
        'best.group_by("strategy_name").len().sort("len", descending=True)'
    ),
    new_code_cell(
        'show(\n'
        '    alt.Chart(q.strategies.select("conviction", "is_active"))\n'
        '    .mark_bar()\n'
        '    .encode(\n'
        '        x=alt.X("conviction:Q", bin=alt.Bin(step=5), title="Conviction"),\n'
        '        y=alt.Y("count():Q", title="Strategies"),\n'
        '        color=alt.Color("is_active:N", title="Active"),\n'
        '    )\n'
        '    .properties(title=f"Conviction of all strategies ({SYNTHETIC})", width=480),\n'
        '    "02_conviction",\n'
        ')'
    ),
    new_markdown_cell(
        "## SQL over the three tables\n\nDuckDB reads the frames without copying them. Flattened "
        "names hold dots, so quote them:"
    ),
    new_code_cell(
        'q.sql("""\n'
        '    SELECT t.league, s.strategy_name, count(*) AS pairs,\n'
        '           round(avg(f.friction_score), 3) AS avg_friction,\n'
        '           round(avg(t."market_dna.empirical_profile.avg_edge"), 3) AS avg_edge\n'
        '    FROM strategies s\n'
        '    JOIN teams t ON t.team_id = s.team_id\n'
        '    JOIN friction f ON f.team_home_id = t.team_id\n'
        '    WHERE s.is_best_strategy\n'
        '    GROUP BY ALL ORDER BY pairs DESC LIMIT 8\n'
        '""")'
    ),
]

SNAPSHOTS = [
    new_markdown_cell(
        "# Snapshots, history and a backtest\n\nSnapshots are Parquet directories with a manifest "
        "(checksums, source, as-of date). A folder of them is a history that backtests read *as "
        "of* each match — never later.\n\n> All data below is **synthetic**: the bundled sample and "
        "the sample season `qf.sample_season()` (shipped in the package)."
    ),
    new_code_cell(
        SETUP + '\nimport tempfile\n\nq = qf.sample()\n'
        'history, fixtures = qf.sample_season()  # a folder of snapshots, and the fixtures'
    ),
    new_markdown_cell("## Write, list, read as of a date"),
    new_code_cell(
        'workdir = Path(tempfile.mkdtemp())\n'
        'path = q.write_snapshot(workdir / "sample", as_of="2025-11-15")\n'
        'sorted(p.name for p in path.iterdir())'
    ),
    new_code_cell('qf.list_snapshots(history).select("as_of", "teams_rows", "friction_rows", "source")'),
    new_code_cell('october = qf.read_snapshot(history, as_of="2025-10-20")\noctober.as_of'),
    new_markdown_cell("## What changed between two snapshots"),
    new_code_cell(
        'august = qf.read_snapshot(history, as_of="2025-08-01")\n'
        'changes = august.diff(october)\n'
        'changes.group_by("table", "kind").len().sort("len", descending=True)'
    ),
    new_code_cell('changes.filter(pl.col("kind") == "tier_changed").head(8)'),
    new_markdown_cell(
        "## A backtest, point-in-time\n\nEach fixture is joined with the newest snapshot taken "
        "**strictly before** it (`snapshot_as_of` says which); the home side's best strategy for the "
        "match's context picks the market; the bets are settled from the final score."
    ),
    new_code_cell(
        'enriched = qf.point_in_time(fixtures, history)\n'
        'enriched.select("date", "home", "away", "snapshot_as_of", "home_tier", "friction_score", "home_strategy_name").head(5)'
    ),
    new_markdown_cell(
        "With Kelly stakes most candidate bets get **stake 0** (the model sees no edge at the "
        "price): they are never placed, so the summary counts only the placed bets and reports "
        "the others on their own `skipped` line."
    ),
    new_code_cell(
        'bets = qf.bets_from_strategies(enriched, min_conviction=60)\n'
        'bt = qf.backtest(bets, stake="kelly", by="strategy")\n'
        'bt'
    ),
    new_markdown_cell(
        "## How sure is it? Bootstrap intervals\n\n"
        "`bootstrap=10_000` resamples the season 10,000 times — by **whole dates**, because bets "
        "of one matchday share a model run and often a fate — and reports a 95 % interval beside "
        "each metric, plus `p_yield_le_0`, the share of resamples with no profit.\n\n"
        "How to read it: *yield −8 % [−25 %, +7 %]* says the data are consistent with anything "
        "from a heavy loss to a small edge — the sign is **not** established. An edge is "
        "real when the whole interval is above 0 (and `p_yield_le_0` is small, e.g. < 5 %). "
        "Intervals narrow with the square root of the number of matchdays: four times the dates "
        "for half the width."
    ),
    new_code_cell(
        'bt = qf.backtest(bets, stake="kelly", by="strategy", bootstrap=10_000, seed=0)\n'
        'bt'
    ),
    new_code_cell(
        'bt.groups.select("strategy", "bets", "yield", "yield_ci_low", "yield_ci_high", "p_yield_le_0")'
    ),
    new_code_cell('show(bt.plot(title=f"Bankroll, Kelly stakes, 95% band ({SYNTHETIC})"), "03_bankroll")'),
    new_markdown_cell(
        "## Is the model calibrated?\n\nThe bets carry the model's `prob`: Brier score and log "
        "loss are in the summary; the reliability table bins the predictions and compares them "
        "with what happened (points on the diagonal are well calibrated)."
    ),
    new_code_cell('bt.summary.select("calibrated_bets", "brier", "log_loss")'),
    new_code_cell('show(bt.plot_calibration(title=f"Calibration of prob ({SYNTHETIC})"), "03_calibration")'),
    new_markdown_cell(
        "## Stable over time?\n\n`by_period` gives the metrics per month (or week, or season "
        "from July) and the share of profitable periods."
    ),
    new_code_cell('bt.by_period("month")'),
    new_markdown_cell(
        "## Walk-forward\n\nEach month is chosen and backtested with only the snapshots taken "
        "**strictly before the month starts** — the strategy never sees data from the period it "
        "is judged on. August starts on the first snapshot's day, so it can see none: it gets "
        "no bets and a warning says so."
    ),
    new_code_cell(
        'wf = qf.walk_forward(\n'
        '    fixtures, history, period="month", stake="kelly",\n'
        '    select=lambda f: qf.bets_from_strategies(f, min_conviction=60),\n'
        ')\n'
        'wf'
    ),
    new_markdown_cell(
        "## CLV without the bookmaker's margin\n\nWith the closing odds of **every outcome** of "
        "a market (`closing_odds_over`, `closing_odds_under` …) the margin is removed "
        "(`margin=\"multiplicative\" | \"power\" | \"shin\"`) and CLV is measured against the fair "
        "closing probability; without them CLV stays raw and the summary says so. Here: every "
        "over 2.5 bet of the season, both sides of the book known."
    ),
    new_code_cell(
        'overs = fixtures.select(\n'
        '    "date", "home", "away", pl.lit("over_2.5").alias("market"),\n'
        '    pl.col("odds_over_2.5").alias("odds"), pl.col("closing_over_2.5").alias("closing_odds"),\n'
        '    pl.col("closing_over_2.5").alias("closing_odds_over"),\n'
        '    pl.col("closing_under_2.5").alias("closing_odds_under"),\n'
        '    qf.settle(pl.lit("over_2.5"), pl.col("home_goals"), pl.col("away_goals")).alias("result"),\n'
        ').drop_nulls("odds")\n'
        'pl.concat([\n'
        '    qf.backtest(overs, margin=m).summary.select(pl.lit(str(m)).alias("margin"), "avg_clv", "clv_basis")\n'
        '    for m in (None, "multiplicative", "power", "shin")\n'
        '])'
    ),
    new_markdown_cell(
        "The closing odds can also come as a frame, one row per match and market (`closing=`). "
        "For the strategies' bets the fixtures lack some outcomes (no draw price, no under 1.5): "
        "those bets get no margin-free CLV rather than a wrong one, and a warning names their "
        "markets."
    ),
    new_code_cell(
        'import polars.selectors as cs\n\n'
        'closing = fixtures.unpivot(\n'
        '    index=["date", "home", "away"], on=cs.starts_with("closing_"),\n'
        '    variable_name="market", value_name="closing_odds",\n'
        ').with_columns(pl.col("market").str.strip_prefix("closing_")).drop_nulls("closing_odds")\n'
        'fair = qf.backtest(bets, closing=closing, margin="shin", by="market")\n'
        'fair.groups.select("market", "bets", "avg_clv")'
    ),
    new_markdown_cell(
        "## History in Delta Lake: moments, change sets, drift\n\n`q.write_history(path)` "
        "appends a load as one **moment**: one Delta table per frame (read by Spark, DuckDB and "
        "`pl.scan_delta` without quantum_frames), what changed since the last moment, and the "
        "moment's metadata in each commit. Here the season's four snapshots become four moments."
    ),
    new_code_cell(
        'lake = workdir / "history"\n'
        'for snapshot in qf.list_snapshots(history)["path"]:\n'
        '    qf.read_snapshot(snapshot).write_history(lake)\n'
        'qf.list_history(lake).select(\n'
        '    "version", "as_of", "teams_changed", "friction_changed", "strategies_changed"\n'
        ')'
    ),
    new_code_cell(
        'changes = qf.changes(lake, since="2025-08-01")\n'
        'changes.group_by("version", "table", "change").len().sort("version", "table", "change")'
    ),
    new_markdown_cell(
        "A drift report compares the shape of two moments (new, removed and retyped flat columns, "
        "new type conflicts); `write_history(..., contract=\"freeze\")` refuses a moment that "
        "changes a frozen table's shape. The season keeps one shape, so the report is empty."
    ),
    new_code_cell('qf.read_history(lake).drift(qf.read_history(lake, version=0))'),
]


def write(execute: bool) -> list[Path]:
    paths = []
    for name, cells in (
        ("01_team_dna.ipynb", TEAM_DNA),
        ("02_friction_and_strategies.ipynb", FRICTION),
        ("03_snapshots_and_backtest.ipynb", SNAPSHOTS),
    ):
        nb = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        path = HERE / name
        if execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in write(execute="--execute" in sys.argv):
        print(p)
