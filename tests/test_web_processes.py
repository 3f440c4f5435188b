"""A real `strideback serve`: SIGTERM or kill -9 of the server leaves no worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from conftest import serve_subprocess
from strideback.procs import exit_when_parent_dies, parent_is_gone

REPO = Path(__file__).resolve().parents[1]
CHILD = """
import os, sys, time
sys.path.insert(0, sys.argv[1])
from strideback.procs import exit_when_parent_dies
exit_when_parent_dies(0.1)
open(sys.argv[2], "w").write(str(os.getpid()))
time.sleep(60)
"""
PARENT = """
import subprocess, sys, time
subprocess.Popen([sys.executable, sys.argv[1], sys.argv[2], sys.argv[3]])
time.sleep(60)
"""


def _import_through_the_page(base: str, fit: Path) -> None:
    """Upload a real file and wait for its job: the server now holds a worker process."""
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get("/")
        token = client.cookies["sb_csrf"]
        r = client.post(
            "/activities/upload",
            files={"files": (fit.name, fit.read_bytes(), "application/octet-stream")},
            headers={"x-csrf-token": token, "hx-request": "true"},
        )
        assert r.status_code in (200, 202), r.text[:300]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            status = client.get("/api/jobs/1").json().get("status")
            if status in ("done", "error"):
                return
            time.sleep(0.3)
    raise AssertionError("import job did not finish")


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    alive = pids
    while time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
        if not alive:
            return []
        time.sleep(0.2)
    return alive


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_no_worker_outlives_the_server(tmp_path: Path, activities_dir: Path, how: str) -> None:
    proc, base = serve_subprocess(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "home")
    try:
        _import_through_the_page(base, activities_dir / "Runalyze__Standard.fit")
        children = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
        assert children, "the job should have run in a worker process"
        proc.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGKILL)
        proc.wait(timeout=30)
        assert _wait_gone(children, 15) == [], f"orphans left after {how}"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_exit_when_parent_dies_in_a_grandchild(tmp_path: Path) -> None:
    """The helper `strideback import`'s pool can use as its initializer too."""
    marker = tmp_path / "child.pid"
    (tmp_path / "child.py").write_text(CHILD)
    (tmp_path / "parent.py").write_text(PARENT)
    parent = subprocess.Popen(
        [
            sys.executable,
            str(tmp_path / "parent.py"),
            str(tmp_path / "child.py"),
            str(REPO / "src"),
            str(marker),
        ]  # fmt: skip
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        child = int(marker.read_text())
        assert psutil.pid_exists(child)
        parent.kill()
        parent.wait()
        assert _wait_gone([child], 10) == []
    finally:
        parent.kill()
    assert not parent_is_gone(os.getppid()) and callable(exit_when_parent_dies)
