"""``quantum-frames history append|list|changes`` against a real PostgreSQL."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from quantum_frames.cli import main
from quantum_frames.synthetic.generator import generate
from quantum_frames.synthetic.seed import seed_postgres

if TYPE_CHECKING:
    from pathlib import Path

    import psycopg
    import pytest


def test_append_list_changes_and_query_a_history(
    pg_dsn: str,
    pg: psycopg.Connection,
    schema: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_postgres(pg_dsn, generate(1), schema=schema, replace=True)
    history = tmp_path / "history"
    base = ["history", "append", "--dsn", pg_dsn, "--schema", schema, "--to", str(history)]
    assert main([*base, "--as-of", "2025-09-01"]) == 0
    assert "appended moment 0" in capsys.readouterr().out
    from deltalake import DeltaTable

    commit = DeltaTable(history / "friction").history()[0]
    moment = json.loads(commit["quantum_frames.database_moment"])  # the load's one moment
    assert moment["consistent"] is True
    assert moment["snapshot"]
    assert main([*base, "--as-of", "2025-09-02"]) == 0
    assert "no new version was written" in capsys.readouterr().out
    pg.execute(f'UPDATE "{schema}".team_quantum_dna_v3 SET roi = roi + 1 WHERE team_id = 1')
    pg.execute(f'ALTER TABLE "{schema}".team_quantum_dna_v3 ADD COLUMN stadium_size integer')
    assert main([*base, "--as-of", "2025-09-10", "--contract", "teams=freeze"]) == 1
    err = capsys.readouterr().err.splitlines()[-1]  # after the load's progress lines
    assert err.startswith("quantum-frames: error:")
    assert "'stadium_size' added" in err
    assert main([*base, "--as-of", "2025-09-10", "--contract", "friction=freeze"]) == 0
    assert "appended moment 1" in capsys.readouterr().out

    assert main(["history", "list", str(history), "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["version"] for m in listed] == [0, 1]
    assert listed[1]["updated"] == 1  # team 1's roi (the new column holds no value yet)
    assert (
        main(["history", "changes", str(history), "--since", "2025-09-01", "--format", "csv"]) == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "version,as_of,table,key,change,columns"
    assert lines[1:] == [
        '1,2025-09-10T00:00:00.000000+0000,teams,"{""team_id"":1}",updated,"[""roi""]"'
    ]

    assert (
        main(["teams", "--snapshot", str(history), "--as-of", "2025-09-05", "--format", "json"])
        == 0
    )
    teams = json.loads(capsys.readouterr().out)
    assert len(teams) == 96
    code = main(
        [
            "sql",
            "--snapshot",
            str(history),
            "SELECT count(*) AS n FROM teams WHERE stadium_size IS NULL",
            "--format",
            "json",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out) == [{"n": 96}]


def test_history_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "list", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("quantum-frames: error:")
    assert "is not a history" in err
    assert main(["history", "append", "--to", str(tmp_path / "h"), "--contract", "frozen"]) == 1
    assert "is not a contract" in capsys.readouterr().err
