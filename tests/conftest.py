"""Shared test fixtures.

- `shared_data`: the real files in ../shared/data (found from the repo root). Outside CI a
  missing folder skips the test with a reason; under CI (CI=true) it is a failure.
- `db`: a fresh, migrated SQLite database in a temp folder.
- `postgres_url`: a real PostgreSQL server started with initdb/pg_ctl on a free port.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from pg_server import PostgresUnavailable, create_database, free_port
from pg_server import postgres_server as run_postgres

__all__ = ["free_port", "live_server", "missing_resource"]

REPO_ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_resource(reason: str) -> None:
    """Skip with a reason outside CI; fail under CI=true."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def find_shared_data() -> Path | None:
    """`../shared/data` seen from the repository root (where CI puts it too)."""
    candidate = REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = find_shared_data()
    if path is None:
        missing_resource("../shared/data not found next to the repository")
    return path  # type: ignore[return-value]


def _shared_folder(shared_data: Path, name: str, marker: str) -> Path:
    """A folder of ../shared/data, checked by one file it must hold."""
    path = shared_data / name
    if not (path / marker).is_file():
        missing_resource(f"{path}/{marker} not found")
    return path


@pytest.fixture(scope="session")
def activities_dir(shared_data: Path) -> Path:
    return _shared_folder(shared_data, "activities", "MANIFEST.csv")


@pytest.fixture(scope="session")
def videos_dir(shared_data: Path) -> Path:
    return _shared_folder(shared_data, "videos", "zz_male_side.mp4")


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Never touch the real user's data folder from a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("STRIDEBACK_HOME", str(home))
    monkeypatch.delenv("STRIDEBACK_DB", raising=False)
    yield
    from strideback.store.db import close_all

    close_all()


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture()
def db(db_url: str):
    from strideback.store.db import open_database

    return open_database(db_url)


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on a free loopback port; yield its URL."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)


STRIDEBACK_CLI = [sys.executable, "-c", "from strideback.cli import main; main()"]


def serve_subprocess(db_url: str, home: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """A real `strideback serve` (job workers in processes) on a free port with its data in
    `home`, and extra environment `env`; (process, base URL) once /healthz answers."""
    import httpx

    port = free_port()
    environ = dict(os.environ, STRIDEBACK_HOME=str(home), **env)
    environ["PYTHONPATH"] = str(REPO_ROOT / "src") + os.pathsep + environ.get("PYTHONPATH", "")
    environ.pop("STRIDEBACK_WEB_JOBS", None)
    proc = subprocess.Popen(
        [*STRIDEBACK_CLI, "--db", db_url, "serve", "--port", str(port)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.3)
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "exited")
    proc.kill()
    raise AssertionError("server did not start")


def log_in(page: Any, base: str, username: str, password: str) -> None:
    """Log in through the login form (opening it unless the page is on it already)."""
    if not page.url.startswith(f"{base}/login"):
        page.goto(f"{base}/login")
    page.fill("form.login-form input[name=username]", username)
    page.fill("form.login-form input[name=password]", password)
    with page.expect_navigation():
        page.click("form.login-form button[type=submit]")


def set_password(page: Any, link: str, password: str) -> None:
    """Set a password at a one-time invite link."""
    page.goto(link)
    page.fill("form.invite-form input[name=password]", password)
    page.fill("form.invite-form input[name=password_again]", password)
    with page.expect_navigation():
        page.click("form.invite-form button[type=submit]")
    assert "password is set" in page.locator("[data-testid=login-notice]").inner_text()


@pytest.fixture(scope="session")
def postgres_server():
    """Start a throwaway PostgreSQL server for the session; yield (host, port); stop it."""
    try:
        with run_postgres() as address:
            yield address
    except PostgresUnavailable as exc:
        missing_resource(str(exc))


_pg_counter = iter(range(1_000_000))


@pytest.fixture()
def postgres_url(postgres_server) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    host, port = postgres_server
    return create_database(host, port, f"strideback_test_{next(_pg_counter)}")


# Browser tests drive Debian's Chromium (never a downloaded browser build) through Playwright.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        missing_resource(f"{CHROMIUM} not found (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield b
        b.close()
