"""kill -9 of a real `strideback import` mid-run: a consistent database, no orphan parser
processes, and a re-run imports exactly the rest (issue 10)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil

from strideback.activities import service
from strideback.activities.fit_fast import shift_fit_times
from strideback.store.db import open_database

N_FILES = 160


def _count(db_file: Path) -> int:
    try:
        with sqlite3.connect(db_file, timeout=1) as con:
            return con.execute("SELECT count(*) FROM activities").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_kill_9_mid_import_leaves_no_workers_and_a_consistent_database(
    tmp_path: Path, activities_dir: Path
):
    base = (activities_dir / "gpsbabel__fit-sample.fit").read_bytes()
    folder = tmp_path / "runs"
    folder.mkdir()
    for i in range(N_FILES):
        (folder / f"run{i:03d}.fit").write_bytes(shift_fit_times(base, -86400 * (i + 1)))
    db_file = tmp_path / "kill.sqlite3"
    env = {**os.environ, "STRIDEBACK_HOME": str(tmp_path / "home")}
    cli = "from strideback.cli import main; main()"
    cmd = [
        sys.executable,
        "-c",
        cli,
        "--db",
        f"sqlite:///{db_file}",
        "import",
        "--json",
        "--workers",
        "2",
        str(folder),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    workers: list[psutil.Process] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        workers = parent.children(recursive=True) or workers
        if workers and _count(db_file) >= 10:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the import finished before it could be killed: use more files"
    assert workers, "the import started no parser processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"parser processes outlived the import: {alive}"

    with sqlite3.connect(db_file) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        half = con.execute(
            "SELECT count(*) FROM activities a LEFT JOIN activity_series s"
            " ON s.activity_id = a.id WHERE s.activity_id IS NULL"
        ).fetchone()[0]
        assert half == 0  # no activity without its series
        stored = con.execute("SELECT count(*) FROM activities").fetchone()[0]
    assert 0 < stored < N_FILES

    db = open_database(f"sqlite:///{db_file}")
    results = service.import_paths(db, [folder], workers=1)
    assert sum(r.status == "imported" for r in results) == N_FILES - stored
    assert sum(r.status == "duplicate" for r in results) == stored
    assert len(service.list_activities(db)) == N_FILES
