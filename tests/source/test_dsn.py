"""Connection strings: parsing, the password from PGPASSWORD, redaction everywhere."""

from __future__ import annotations

import pytest

import quantum_frames as qf
from quantum_frames.source._dsn import Dsn, redact_uri

HOSTILE = "p@ss:w/o%rd#1 'x'"


def test_uri_and_keyword_forms_parse_alike() -> None:
    a = Dsn.parse("postgresql://ana@db.example:5433/prod?sslmode=require")
    b = Dsn.parse("host=db.example port=5433 dbname=prod user=ana sslmode=require")
    assert a.params == b.params
    assert a.describe() == "ana@db.example:5433/prod"


def test_password_is_kept_out_of_params_and_repr() -> None:
    dsn = Dsn.parse("postgresql://ana:s3cret@db/prod")
    assert dsn.password == "s3cret"
    assert "s3cret" not in repr(dsn)
    assert "s3cret" not in str(dsn.params)
    assert "s3cret" not in str(dsn.public())


def test_password_from_pgpassword(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", HOSTILE)
    dsn = Dsn.parse("host=db user=ana dbname=prod")
    assert dsn.password == HOSTILE
    assert Dsn.parse("postgresql://ana:inline@db/prod").password == "inline"


def test_hostile_password_survives_the_connectorx_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASSWORD", HOSTILE)
    dsn = Dsn.parse("host=db user=ana dbname=prod")
    uri = dsn.connectorx_uri(options="-c default_transaction_read_only=on")
    assert HOSTILE not in uri
    assert Dsn.parse(uri).password == HOSTILE
    assert Dsn.parse(uri).params["options"] == "-c default_transaction_read_only=on"


def test_unix_socket_host_is_percent_encoded_in_the_authority() -> None:
    uri = Dsn.parse("host='/tmp/pg sock' user=postgres dbname=postgres").connectorx_uri()
    assert uri.startswith("postgresql://postgres@%2Ftmp%2Fpg%20sock/postgres")
    assert "?host=" not in uri


def test_ipv6_host_is_bracketed() -> None:
    assert "@[::1]:5432/" in Dsn.parse("host=::1 port=5432 dbname=x user=u").connectorx_uri()


@pytest.mark.parametrize(
    "form", [HOSTILE, "p%40ss%3Aw%2Fo%25rd%231%20%27x%27", "p%40ss%3Aw%2Fo%25rd%231+%27x%27"]
)
def test_redact_scrubs_every_encoding(monkeypatch: pytest.MonkeyPatch, form: str) -> None:
    monkeypatch.setenv("PGPASSWORD", HOSTILE)
    dsn = Dsn.parse("host=db user=ana dbname=prod")
    assert "***" in dsn.redact(f"error near {form} here")
    assert form not in dsn.redact(f"error near {form} here")


def test_redact_uri_without_knowing_the_password() -> None:
    assert (
        redact_uri("connect postgresql://ana:hunter2@db/prod failed")
        == "connect postgresql://ana:***@db/prod failed"
    )
    assert redact_uri("host=db password='a b' user=x") == "host=db password=*** user=x"


def test_unparsable_dsn_is_a_source_error_without_password() -> None:
    with pytest.raises(qf.SourceError, match="cannot parse") as info:
        Dsn.parse("host=db password=hunter2 nonsense_key=1")
    assert "hunter2" not in str(info.value)
