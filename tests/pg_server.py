"""A throwaway PostgreSQL server (initdb / pg_ctl on a temp folder), for the tests' fixture
(`conftest.postgres_server`) and the benchmarks (`bench/bench_board.py`).

No pytest here: `PostgresUnavailable` says why a server cannot be started, and the caller
decides (the fixture skips outside CI and fails under CI=true; a benchmark prints it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server can be started here (the message says why)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    return None


@contextmanager
def postgres_server() -> Iterator[tuple[str, int]]:
    """Start a PostgreSQL server (user `strideback`, trust auth, fsync off) on a free
    loopback port; yield (host, port); stop it and remove its folder."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise PostgresUnavailable("PostgreSQL binaries initdb/pg_ctl not found")
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: use the postgres user
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable(
                "running as root and no 'postgres' user to run the server"
            ) from None
        runuser = shutil.which("runuser") or next(
            (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if Path(p).exists()), "runuser"
        )  # sbin may be missing from a minimal PATH
        run_as = [runuser, "-u", "postgres", "--"]
    # Not under pytest's tmp folder: that one is private to root, and the server runs as
    # the `postgres` user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="strideback-pg-"))
    if run_as:
        shutil.chown(root, "postgres")
        os.chmod(root, 0o777)
    data = root / "data"
    env = dict(os.environ)
    try:
        subprocess.run(
            [*run_as, initdb, "-D", str(data), "-U", "strideback", "--auth=trust", "-E", "UTF8"],
            check=True,
            capture_output=True,
            env=env,
        )
        port = free_port()
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-l", str(root / "pg.log"), "-w", "-t", "60",
             "-o", options, "start"],
            check=True,
            capture_output=True,
            env=env,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        import psycopg

        deadline = time.time() + 30
        while True:
            try:
                psycopg.connect(
                    f"host=127.0.0.1 port={port} user=strideback dbname=postgres"
                ).close()
                break
            except psycopg.OperationalError:
                if time.time() > deadline:
                    raise
                time.sleep(0.3)
        yield ("127.0.0.1", port)
    finally:
        subprocess.run(
            [*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            env=env,
        )
        shutil.rmtree(root, ignore_errors=True)


def create_database(host: str, port: int, name: str) -> str:
    """A new, empty database on that server; its SQLAlchemy URL."""
    import psycopg

    dsn = f"host={host} port={port} user=strideback dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://strideback@{host}:{port}/{name}"
