"""No password ever appears in a message, repr, log record, manifest, file or CLI output."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, quote_plus, unquote

import psycopg
import pytest
from psycopg import sql

import quantum_frames as qf
from quantum_frames.cli import main
from quantum_frames.source._dsn import Dsn

if TYPE_CHECKING:
    from collections.abc import Iterator

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
                  ("source", str(dict(q.source))), ("uri repr", repr(q_uri)),
                  ("dsn repr", repr(Dsn.parse(dsn)))]  # fmt: skip
        path = q.write_snapshot(tmp_path / "snap")
        for file in path.rglob("*"):
            if file.is_file():
                texts.append((str(file), file.read_bytes().decode("latin-1")))
        texts.append(("list_snapshots", str(qf.list_snapshots(tmp_path))))
        bad = [
            f"host=127.0.0.1 port={unused_port} user=ana dbname=prod "
            f"password='{PASSWORD.replace(chr(39), chr(92) + chr(39))}' connect_timeout=2",
            f"postgresql://ana:{quote(PASSWORD, safe='')}@127.0.0.1:{unused_port}/prod"
            "?connect_timeout=2",
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
                    f"host='{unquote(Dsn.parse(pg_dsn).params['host'])}' "
                    "user=postgres dbname=postgres",
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


# --- real password authentication (scram-sha-256), tracebacks and exception chains -----------

SCRAM_ROLE = "qf_scram_reader"


@pytest.fixture(scope="module")
def scram_dsn(pg_dsn: str, sample_schema: str) -> Iterator[str]:
    """A keyword DSN (without password) of a read-only role that must use scram-sha-256.

    The role must authenticate with scram-sha-256: the test server's pg_hba.conf gets a rule for
    that role only, reloaded.
    """
    with psycopg.connect(pg_dsn, autocommit=True) as admin:
        row = admin.execute("SHOW hba_file").fetchone()
        assert row is not None
        hba = Path(str(row[0]))
        if not os.access(hba, os.W_OK):  # pragma: no cover - only with an external QF_TEST_DSN
            pytest.skip(f"cannot configure password authentication: {hba} is not writable")
        original = hba.read_text()
        admin.execute("SET password_encryption = 'scram-sha-256'")
        admin.execute(
            sql.SQL("DROP ROLE IF EXISTS {r}; CREATE ROLE {r} LOGIN PASSWORD {p}").format(
                r=sql.Identifier(SCRAM_ROLE), p=sql.Literal(PASSWORD)
            )
        )
        admin.execute(
            sql.SQL(
                "GRANT USAGE ON SCHEMA {s} TO {r}; GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r}"
            ).format(s=sql.Identifier(sample_schema), r=sql.Identifier(SCRAM_ROLE))
        )
        rules = f"local all {SCRAM_ROLE} scram-sha-256\nhost all {SCRAM_ROLE} all scram-sha-256\n"
        hba.write_text(rules + original)
        admin.execute("SELECT pg_reload_conf()")
        host = unquote(Dsn.parse(pg_dsn).params["host"])
        try:
            yield f"host='{host}' user={SCRAM_ROLE} dbname=postgres"
        finally:
            hba.write_text(original)
            admin.execute("SELECT pg_reload_conf()")
            admin.execute(
                sql.SQL("DROP OWNED BY {r}; DROP ROLE {r}").format(r=sql.Identifier(SCRAM_ROLE))
            )


def _with_password(dsn: str, password: str) -> str:
    return dsn + " password='" + password.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _leaks(value: object, depth: int = 0) -> bool:
    """Whether ``value`` (its repr and str, and the items of containers) shows the password."""
    texts = [repr(value), str(value)]
    if any(form in text for text in texts for form in FORMS if form != "Hunt3r"):
        return True
    if depth < 3 and isinstance(value, dict):
        return any(_leaks(k, depth + 1) or _leaks(v, depth + 1) for k, v in value.items())
    if depth < 3 and isinstance(value, list | tuple | set | frozenset):
        return any(_leaks(v, depth + 1) for v in value)
    return False


def assert_no_secret_in(error: BaseException) -> None:
    """No frame of the traceback (outside this test file) holds the password in a local.

    No exception of the chain holds it either (nor a driver's error object that carries it).
    """
    tb = error.__traceback__
    frames = 0
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename != __file__:  # the test's own frame holds the DSN, of course
            frames += 1
            bad = [name for name, value in frame.f_locals.items() if _leaks(value)]
            assert not bad, f"{frame.f_code.co_name} holds the password in local(s) {bad}"
        tb = tb.tb_next
    assert frames >= 2, "the traceback should reach into quantum_frames"
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        assert not isinstance(current, psycopg.Error), f"a psycopg error travels: {current!r}"
        assert getattr(current, "pgconn", None) is None
        for part in (current, current.args, vars(current)):
            assert not _leaks(part), f"{type(current).__name__} in the chain holds the password"
        current = current.__cause__ or current.__context__
    assert error.__context__ is None
    assert error.__cause__ is None


def test_scram_login_loads_as_a_read_only_role(scram_dsn: str, sample_schema: str) -> None:
    q = qf.read_postgres(_with_password(scram_dsn, PASSWORD), schema=sample_schema, progress=False)
    assert q.teams.height == 96
    assert q.source["user"] == SCRAM_ROLE
    assert q.source["moment"]["consistent"] is True
    with pytest.raises(qf.SourceError, match="password authentication failed"):
        qf.read_postgres(scram_dsn + " password=wrong", schema=sample_schema)


def test_a_failed_login_holds_the_password_in_no_frame_and_no_chained_error(
    scram_dsn: str, sample_schema: str
) -> None:
    wrong = PASSWORD[::-1]
    with pytest.raises(qf.SourceError) as info:
        qf.read_postgres(_with_password(scram_dsn, PASSWORD + "x"), schema=sample_schema)
    assert "password authentication failed" in str(info.value)
    assert_no_secret_in(info.value)
    host = quote(unquote(Dsn.parse(scram_dsn).params["host"]), safe="")
    with pytest.raises(qf.SourceError) as info:  # the percent-encoded form, from a URI
        qf.read_postgres(f"postgresql://{SCRAM_ROLE}:{quote(wrong, safe='')}@{host}/postgres")
    assert_no_secret_in(info.value)


def test_a_failed_read_after_login_holds_no_uri_in_any_frame(
    scram_dsn: str, sample_schema: str
) -> None:
    """Logged in (the right password), then connectorx fails: its URI leaks nowhere.

    The URI it was given, with the percent-encoded password, is in no frame local and no chained
    error.
    """
    with pytest.raises(qf.SourceError, match="canceling statement") as info:
        qf.read_postgres(
            _with_password(scram_dsn, PASSWORD),
            schema=sample_schema,
            statement_timeout=0.000001,
            partition_rows=10**9,
        )
    assert_no_secret_in(info.value)


def test_a_wrong_password_is_not_retried(scram_dsn: str, caplog: pytest.LogCaptureFixture) -> None:
    started = time.monotonic()
    with (
        caplog.at_level(logging.WARNING, logger="quantum_frames"),
        pytest.raises(qf.SourceError, match="password authentication failed") as info,
    ):
        qf.read_postgres(scram_dsn + " password=wrong", retries=3)
    assert not info.value.retryable
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    assert time.monotonic() - started < 1.0  # 3 retries would sleep 1 + 2 + 4 s
