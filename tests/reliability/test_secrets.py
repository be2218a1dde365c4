"""No password ever appears in a message, repr, log record, manifest, file or CLI output."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote

import pytest

import quantum_frames as qf
from quantum_frames.cli import main
from quantum_frames.source._dsn import Dsn

PASSWORD = "Hunt3r-@:/%#-s3cret 'x'"
FORMS = {PASSWORD, quote(PASSWORD, safe=""), quote_plus(PASSWORD), "Hunt3r"}


def keyword_dsn(pg_dsn: str) -> str:
    host = unquote(Dsn.parse(pg_dsn).params["host"])
    escaped = PASSWORD.replace("\\", "\\\\").replace("'", "\\'")
    return f"host='{host}' user=postgres dbname=postgres password='{escaped}'"


def assert_clean(text: str, where: str) -> None:
    for form in FORMS:
        assert form not in text, f"the password leaked into {where}"


def test_nothing_anywhere_holds_the_password(
    pg_dsn: str,
    sample_schema: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    unused_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts: list[tuple[str, str]] = []
    dsn = keyword_dsn(pg_dsn)
    uri = Dsn.parse(dsn).connectorx_uri()
    assert quote(PASSWORD, safe="") in uri  # the driver does get it
    with caplog.at_level(logging.DEBUG):
        lines: list[str] = []
        q = qf.read_postgres(dsn, schema=sample_schema, progress=lines.append)
        q_uri = qf.read_postgres(uri, schema=sample_schema)
        texts += [("progress", "\n".join(lines)), ("repr", repr(q)), ("html", q._repr_html_()),
                  ("source", str(dict(q.source))), ("uri repr", repr(q_uri)), ("dsn repr", repr(Dsn.parse(dsn)))]  # fmt: skip
        path = q.write_snapshot(tmp_path / "snap")
        for file in path.rglob("*"):
            if file.is_file():
                texts.append((str(file), file.read_bytes().decode("latin-1")))
        texts.append(("list_snapshots", str(qf.list_snapshots(tmp_path))))
        bad = [
            f"host=127.0.0.1 port={unused_port} user=ana dbname=prod password='{PASSWORD.replace(chr(39), chr(92) + chr(39))}' connect_timeout=2",
            f"postgresql://ana:{quote(PASSWORD, safe='')}@127.0.0.1:{unused_port}/prod?connect_timeout=2",
        ]
        for wrong in bad:
            with pytest.raises(qf.SourceError) as info:
                qf.read_postgres(wrong)
            texts += [
                ("error", str(info.value)),
                ("error repr", repr(info.value)),
                ("error target", str(info.value.target)),
            ]
        with pytest.raises(qf.SourceError) as info:  # a failure inside connectorx, after connecting
            qf.read_postgres(
                dsn, schema=sample_schema, statement_timeout=0.000001, partition_rows=10**9
            )
        texts.append(("connectorx error", str(info.value)))
        monkeypatch.setenv("PGPASSWORD", PASSWORD)
        assert (
            main(
                [
                    "load",
                    "--dsn",
                    f"host='{unquote(Dsn.parse(pg_dsn).params['host'])}' user=postgres dbname=postgres",
                    "--schema",
                    sample_schema,
                ]
            )
            == 0
        )
        assert (
            main(
                [
                    "snapshot",
                    "--dsn",
                    dsn,
                    "--schema",
                    sample_schema,
                    "--out",
                    str(tmp_path / "cli"),
                ]
            )
            == 0
        )
        assert main(["info", str(tmp_path / "cli")]) == 0
        assert main(["load", "--dsn", bad[1]]) == 1
    captured = capsys.readouterr()
    texts += [("stdout", captured.out), ("stderr", captured.err)]
    texts += [(f"log {r.name}", r.getMessage()) for r in caplog.records]
    for where, text in texts:
        assert_clean(text, where)
    assert len(texts) > 20
