"""`make demo`: a throwaway PostgreSQL, the synthetic V3 tables in it, then the main job.

Starts an embedded PostgreSQL from the `pgserver` wheel (real server binaries, no system
install), creates the tables from data/schema.sql, fills them with the SYNTHETIC sample, then
runs read_postgres → flattened frames and prints a summary.
"""

from __future__ import annotations

import sys
import tempfile
import time
import warnings
from urllib.parse import quote

with warnings.catch_warnings():  # pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset
    warnings.simplefilter("ignore")
    import pgserver

from quantum_frames.cli import main


def server_dsn(server: pgserver.PostgresServer) -> str:
    """Pgserver listens on a Unix socket only: its directory, percent-encoded, is the host."""
    socket_dir = server.get_uri().split("host=")[-1]
    return f"postgresql://postgres@{quote(socket_dir, safe='')}/postgres"


def run() -> int:
    print("quantum_frames demo — all team data below is SYNTHETIC (generated, not real).\n")
    with tempfile.TemporaryDirectory(prefix="qf-demo-") as pgdata:
        t0 = time.perf_counter()
        server = pgserver.get_server(pgdata, cleanup_mode="stop")
        dsn = server_dsn(server)
        print(f"started a throwaway PostgreSQL in {time.perf_counter() - t0:.1f}s ({pgdata})")
        code = main(["seed-db", "--dsn", dsn, "--scale", "1"])
        if code == 0:
            print()
            code = main(["load", "--dsn", dsn, "--team", "Liverpool"])
        server.cleanup()
    return code


if __name__ == "__main__":
    sys.exit(run())
