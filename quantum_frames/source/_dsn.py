"""Connection strings: parsing, the password kept out of sight, and redaction.

A DSN may be a URI (``postgresql://user:pw@host:5432/db``) or a libpq key=value string
(``host=db user=analyst dbname=prod``). The password may also come from ``PGPASSWORD``.
Whatever its origin, it is held in one place (:class:`Dsn`) whose ``repr`` omits it, and
:meth:`Dsn.redact` scrubs it (raw and percent-encoded) from any text before that text is
shown to anyone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from quantum_frames.errors import Advice, SourceError, said

__all__ = ["Dsn", "redact_uri"]

# Parameters connectorx's PostgreSQL driver understands; others stay with libpq only.
_CONNECTORX_PARAMS = ("sslmode", "connect_timeout", "options", "application_name")
_URI_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@\s]*@", re.IGNORECASE)
_KV_PASSWORD = re.compile(r"(?P<head>password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def redact_uri(text: str) -> str:
    """Replace any ``user:password@`` or ``password=…`` in ``text`` with ``***``."""
    text = _URI_PASSWORD.sub(r"\g<head>***@", text)
    return _KV_PASSWORD.sub(r"\g<head>***", text)


@dataclass(frozen=True)
class Dsn:
    """A parsed PostgreSQL connection string.

    Attributes:
        params: libpq parameters (``host``, ``port``, ``dbname``, ``user`` …), without
            the password.
    """

    params: dict[str, str]
    _password: str | None = field(default=None, repr=False, compare=False)

    @classmethod
    def parse(cls, dsn: str | None) -> Dsn:
        """Parse ``dsn`` (or env ``QF_DSN`` when None); the password may come from PGPASSWORD."""
        from psycopg.conninfo import conninfo_to_dict

        text = dsn if dsn is not None else os.environ.get("QF_DSN")
        if not text:
            advice = said(
                "no database given. Hint: ",
                Advice("dsn", "'postgresql://user@host:5432/dbname'"),
                " or set the environment variable QF_DSN (the password may come from PGPASSWORD).",
            )
            raise SourceError(advice)
        try:
            parsed: dict[str, Any] = conninfo_to_dict(text)
        except Exception as exc:  # psycopg.ProgrammingError; its text may echo the DSN
            msg = (
                "cannot parse the connection string: "
                f"{redact_uri(' '.join(str(exc).split()))}. Hint: use "
                "postgresql://user@host:5432/dbname or 'host=… dbname=… user=…'; "
                "percent-encode @ : / % # in a password inside a URI."
            )
            raise SourceError(msg) from None
        password = parsed.pop("password", None) or os.environ.get("PGPASSWORD") or None
        params = {k: str(v) for k, v in parsed.items() if v is not None}
        return cls(params, password)

    @property
    def password(self) -> str | None:
        """The password, for handing to a driver; never print it."""
        return self._password

    def with_resolved(self, **resolved: str | None) -> Dsn:
        """A copy with parameters filled in (e.g. from the live connection's effective values)."""
        params = dict(self.params)
        params.update({k: v for k, v in resolved.items() if v})
        return Dsn(params, self._password)

    def with_password(self, password: str | None) -> Dsn:
        """A copy holding ``password`` (e.g. the one libpq found in ``~/.pgpass``)."""
        return Dsn(dict(self.params), password)

    def describe(self) -> str:
        """``user@host:port/dbname``: where the data comes from, safe to show."""
        p = self.params
        host = p.get("host", "localhost")
        user = f"{p['user']}@" if "user" in p else ""
        port = f":{p['port']}" if "port" in p else ""
        return f"{user}{host}{port}/{p.get('dbname', '')}"

    def public(self) -> dict[str, str]:
        """The parameters safe to store in a manifest or show in a repr."""
        keep = ("host", "port", "dbname", "user", "sslmode", "application_name")
        return {k: self.params[k] for k in keep if k in self.params}

    def psycopg_kwargs(self, **extra: Any) -> dict[str, Any]:
        """Keyword arguments for ``psycopg.connect``."""
        kwargs: dict[str, Any] = {**self.params, **extra}
        if self._password is not None:
            kwargs["password"] = self._password
        return kwargs

    def connectorx_uri(self, **extra: str) -> str:
        """A ``postgresql://`` URI for connectorx (it takes no other form)."""
        p = {**self.params, **extra}
        user = quote(p.get("user", ""), safe="")
        auth = user
        if self._password is not None:
            auth += ":" + quote(self._password, safe="")
        host = p.get("host", "localhost")
        query = {k: p[k] for k in _CONNECTORX_PARAMS if k in p}
        if host.startswith("/"):  # a Unix-socket directory, percent-encoded in the authority
            host = quote(host, safe="")  # (a ?host= parameter would add a TCP host before it)
            # PostgreSQL never speaks TLS on a Unix socket, but connectorx would still load
            # the system CA bundle for every connection (its cost: BENCHMARKS.md, "Figures
            # behind the code").
            query.setdefault("sslmode", "disable")
        elif ":" in host:  # IPv6 literal
            host = f"[{host}]"
        port = f":{p['port']}" if "port" in p else ""
        dbname = quote(p.get("dbname", ""), safe="")
        qs = "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items())
        return f"postgresql://{auth}@{host}{port}/{dbname}" + (f"?{qs}" if qs else "")

    def redact(self, text: str) -> str:
        """Scrub the password, in every encoding it may take, from ``text``."""
        if self._password:
            for form in {
                self._password,
                quote(self._password, safe=""),
                quote_plus(self._password),
            }:
                text = text.replace(form, "***")
        return redact_uri(text)
