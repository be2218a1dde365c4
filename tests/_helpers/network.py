"""Loopback servers that misbehave: one that never answers, one that comes back late."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING
from urllib.parse import unquote

from quantum_frames.source._dsn import Dsn

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def silent_listener() -> Iterator[int]:
    """A loopback TCP server that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


@contextmanager
def delayed_proxy(pg_dsn: str, *, delay: float) -> Iterator[int]:
    """A loopback TCP port that refuses connections for ``delay`` seconds, then comes back.

    After the delay it forwards each connection to the test server's Unix socket: a server that
    comes back.
    """
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens: connections are refused until the proxy starts
    params = Dsn.parse(pg_dsn).params
    target = f"{unquote(params['host'])}/.s.PGSQL.{params.get('port', '5432')}"
    stop = threading.Event()
    threads: list[threading.Thread] = []
    sockets: list[socket.socket] = []

    def pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def serve() -> None:
        time.sleep(delay)
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(16)
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(target)
            sockets.extend((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                t = threading.Thread(target=pipe, args=(a, b), daemon=True)
                t.start()
                threads.append(t)
        server.close()

    runner = threading.Thread(target=serve, daemon=True)
    runner.start()
    try:
        yield port
    finally:
        stop.set()
        runner.join(5)
        for s in sockets:
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        for t in threads:
            t.join(2)
        for s in sockets:
            s.close()
