"""How the command line shows things.

Load summaries, snapshot accounts, and frames as table / CSV / JSON / Parquet.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from quantum_frames.frames import QuantumFrames

__all__ = ["FORMATS", "emit", "plain", "snapshot_info", "summary"]

FORMATS = ("table", "csv", "json", "parquet")


def summary(q: QuantumFrames, *, team: str | int | None = None, columns: int = 6) -> str:
    """A short readable account of a load: tables, one team's flat DNA columns, timings.

    Args:
        q: the frames.
        team: the team shown (matched as ``q.team`` matches: case, accents, aliases, id);
            None: the first.
        columns: how many flat DNA columns to show.

    Returns:
        The text.

    Raises:
        UnknownTeamError: ``team`` matches no team (with the closest names).
    """
    from quantum_frames.ops.names import resolve_team_ids

    lines = [repr(q), ""]
    teams = q.teams
    if team is not None:
        (team_id,) = resolve_team_ids(teams, [team], aliases=q.aliases)
        teams = teams.filter(pl.col("team_id") == team_id)
    if teams.height:
        row = teams.head(1)
        flat = q.report.filter(pl.col("source").is_in(q.raw.teams.columns))
        picked = flat.filter(pl.col("null_fraction") < 1)["column"].head(columns).to_list()
        record = row.select("team_name", "league", "tier", *picked).row(0, named=True)
        lines.append("One team, a few flattened DNA columns:")
        width = max(len(k) for k in record)
        lines += [f"  {k:<{width}}  {v}" for k, v in record.items()]
        lines.append("")
    if q.conflicts.height:
        lines.append("Type conflicts kept as JSON text (see q.report):")
        lines += [f"  {r['column']}: {r['conflict']}" for r in q.conflicts.iter_rows(named=True)]
        lines.append("")
    if q.timings:
        t = q.timings
        shown = ("catalog", "teams", "friction", "strategies")
        parts = [f"{k} {t[k]:.2f}s" for k in shown if k in t]
        if "flatten" in t:
            overlap = " (alongside the fetch)" if "flatten_wait" in t else ""
            parts.append(f"flatten {t['flatten']:.2f}s{overlap}")
        if "total" in t:
            parts.append(f"total {t['total']:.2f}s (the whole call)")
        lines.append("Timings: " + ", ".join(parts))
    return "\n".join(lines)


def snapshot_info(path: str, *, verify: bool = True) -> str:
    """A readable account of a snapshot's manifest (or of every snapshot in a folder).

    Args:
        path: a snapshot directory or a folder of them.
        verify: check every file's SHA-256 (a single snapshot).

    Returns:
        The text to print.
    """
    from quantum_frames.snapshots.manifest import MANIFEST, Manifest
    from quantum_frames.snapshots.reader import list_snapshots

    root = Path(path)
    if root.is_dir() and not os.path.lexists(root / MANIFEST):
        listed = list_snapshots(root)
        bad = listed.filter(pl.col("problem").is_not_null()).height
        with pl.Config(tbl_rows=50, tbl_cols=11, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
            text = f"{listed.height} snapshot(s) in {root}:\n{listed.drop('snapshot_id')}"
        if bad:
            problems = listed.filter(pl.col("problem").is_not_null())
            text += f"\n{bad} with a problem:" + "".join(
                f"\n  {Path(p).name}: {why}" for p, why in problems.select("path", "problem").rows()
            )
        return text
    m = Manifest.load(root)
    if verify:
        m.verify()
    else:
        m.check_listing()
    lines = [
        f"snapshot {root}  ({'verified: every SHA-256 matches' if verify else 'not verified'})",
        f"  as of       {m.as_of:%Y-%m-%d %H:%M:%S} UTC",
        f"  created     {m.created_at:%Y-%m-%d %H:%M:%S} UTC by quantum_frames {m.library_version}",
        f"  source      {m.source.describe()}",
        f"  flatten     {dict(m.flatten)}",
    ]
    if m.partition_by:
        lines.append(f"  partitions  {', '.join(m.partition_by)}")
    for name, table in m.tables.items():
        files = table.flat.files + table.raw.files
        size = sum(f.bytes for f in files)
        lines.append(
            f"  {name:<11} {table.rows:>9,} rows  {len(table.flat.columns):>4} flat columns  "
            f"{len(table.raw.columns):>3} source columns  "
            f"{size / 1e6:6.2f} MB in {len(files)} files"
        )
    return "\n".join(lines)


def plain(value: object) -> object:
    import json

    return (
        json.dumps(value, ensure_ascii=False, default=str)
        if isinstance(value, dict | list)
        else value
    )


def emit(df: pl.DataFrame, fmt: str, output: str | None) -> None:
    """Write ``df`` to ``output`` (or standard output) as ``fmt``."""
    if fmt == "parquet":
        if output:
            df.write_parquet(output)
        else:
            df.write_parquet(sys.stdout.buffer)
        return
    if fmt == "table":
        with pl.Config(tbl_rows=100, tbl_cols=20, fmt_str_lengths=40, tbl_width_chars=160):
            text = str(df) + "\n"
    elif fmt == "csv":
        nested = [c for c, d in df.schema.items() if d.is_nested()]
        flat = df.with_columns(
            pl.struct(c).struct.json_encode().str.slice(len(c) + 4).str.strip_suffix("}").alias(c)
            for c in nested
        )
        text = flat.write_csv()
    else:
        text = df.write_json() + "\n"
    if output:
        Path(output).write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
