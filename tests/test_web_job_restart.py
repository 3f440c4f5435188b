"""Jobs survive a server restart, run one at a time in submission order, and are never run
by two servers; on SQLite and on a real PostgreSQL server (issue 12)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import signal
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from conftest import serve_subprocess
from strideback.store.db import Database, open_database
from strideback.store.web import JobRow, utcnow
from strideback.web import create_app
from strideback.web.jobs import (
    MAX_ATTEMPTS,
    RELEASED,
    RESTARTED,
    JobRunner,
    JobStore,
    JobView,
    register_task,
    task_name,
    uploads_root,
)


def record_job(db_url: str, job_id: int, log: str, name: str) -> None:
    """Append `name` to the log file (the order jobs ran in), then finish."""
    with open(log, "a", encoding="utf-8") as out:
        out.write(name + "\n")
    JobStore(open_database(db_url)).finish(job_id, {"name": name}, message=f"Finished: {name}")


def gated_job(db_url: str, job_id: int, log: str, name: str, flag: str) -> None:
    """Say it started, wait for the flag file, then record itself."""
    store = JobStore(open_database(db_url))
    store.progress(job_id, 0, 1, "working")
    deadline = time.monotonic() + 60
    while not Path(flag).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    record_job(db_url, job_id, log, name)


register_task(record_job)
register_task(gated_job)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


def _orphan(
    db: Database,
    args: list[object],
    *,
    status: str = "running",
    attempts: int = 1,
    inputs: list[str] | None = None,
    task: str = task_name(record_job),
) -> int:
    """A job left by a server that was killed: its heartbeat stopped two minutes ago."""
    store = JobStore(db.all_runners(), owner="gone-host:4242:dead")
    job = store.create("import", {}, task=task, args=args, inputs=inputs)
    with db.session() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id == job)
            .values(
                status=status,
                attempts=attempts,
                heartbeat_at=utcnow() - dt.timedelta(minutes=2),
                updated_at=utcnow() - dt.timedelta(minutes=2),
            )
        )
    return job


def _wait_all(store: JobStore, ids: list[int], timeout: float = 60) -> list[JobView]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        views = [store.get(i) for i in ids]
        if all(v is not None and v.finished for v in views):
            return [v for v in views if v is not None]
        time.sleep(0.05)
    raise AssertionError(f"jobs did not finish: {[store.get(i) for i in ids]}")


def _log(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split() if path.exists() else []


@pytest.mark.parametrize("how", ["stopped", "killed"])
def test_jobs_of_a_stopped_or_killed_server_run_after_restart_in_order(
    any_url: str, tmp_path: Path, how: str
) -> None:
    db = open_database(any_url)
    log = tmp_path / "ran.log"
    if how == "stopped":  # a clean stop: the old server put its jobs back in the queue
        old = JobStore(db.all_runners(), owner="old-host:1:stopped")
        kw = {"task": task_name(record_job)}
        first = old.create("import", {}, args=[str(log), "first"], **kw)
        second = old.create("import", {}, args=[str(log), "second"], **kw)
        with db.session() as session:  # the first was running when the server stopped
            session.execute(update(JobRow).where(JobRow.id == first).values(status="running"))
        assert old.release_own() == 2
        assert old.get(first).message == RELEASED and old.get(first).owner is None
        assert "(1 job before it)" in JobStore(db).get(second).message  # place in the queue
    else:  # kill -9: the rows still name the dead server, whose heartbeat stopped
        first = _orphan(db, [str(log), "first"])
        second = _orphan(db, [str(log), "second"], status="queued", attempts=0)
    assert _log(log) == []  # nothing runs without a server
    runner = JobRunner(db, use_processes=False)
    try:
        runner.start()
        views = _wait_all(runner.store, [first, second])
    finally:
        runner.shutdown()
    assert [v.status for v in views] == ["done", "done"]
    assert [v.result for v in views] == [{"name": "first"}, {"name": "second"}]
    assert _log(log) == ["first", "second"]  # once each, in submission order
    assert [v.attempts for v in views] == ([1, 1] if how == "stopped" else [2, 1])


def test_a_claimed_job_says_it_was_restarted(any_url: str, tmp_path: Path) -> None:
    db = open_database(any_url)
    job = _orphan(db, [str(tmp_path / "x.log"), "x"])
    store = JobStore(db.all_runners(), owner="new-host:2:alive")
    assert store.claim_orphans() == 1
    view = store.get(job)
    assert (view.status, view.owner, view.message) == ("queued", store.owner, RESTARTED)
    assert store.claim_orphans() == 0  # now it is a live server's job


def test_two_servers_never_claim_the_same_job(any_url: str, tmp_path: Path) -> None:
    db = open_database(any_url)
    orphans = [_orphan(db, [str(tmp_path / "x.log"), f"j{i}"]) for i in range(12)]
    live = JobStore(db.all_runners(), owner="busy-host:3:alive")
    alive = live.create("import", {}, task=task_name(record_job), args=["-", "live"])
    servers = [JobStore(db.all_runners(), owner=f"server-{n}:1:x") for n in range(3)]
    counts = [0] * len(servers)
    barrier = threading.Barrier(len(servers))

    def claim(n: int) -> None:
        barrier.wait()
        for _ in range(5):
            counts[n] += servers[n].claim_orphans()

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(counts) == len(orphans)  # each claimed once: a double claim counts twice
    owners = {JobStore(db).get(j).owner for j in orphans}
    assert owners <= {s.owner for s in servers}
    assert JobStore(db).get(alive).owner == live.owner  # a live server's job is not taken


def test_two_running_servers_run_each_orphan_once(any_url: str, tmp_path: Path) -> None:
    db = open_database(any_url)
    log = tmp_path / "ran.log"
    names = [f"job{i}" for i in range(6)]
    jobs = [_orphan(db, [str(log), name]) for name in names]
    runners = [JobRunner(db, use_processes=False) for _ in range(2)]
    try:
        for runner in runners:
            runner.start()
        views = _wait_all(runners[0].store, jobs)
    finally:
        for runner in runners:
            runner.shutdown()
    assert all(v.status == "done" for v in views)
    assert sorted(_log(log)) == sorted(names)  # none ran twice


def _upload(name: str, content: bytes = b"data") -> Path:
    folder = uploads_root() / "import" / "restart-test"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def test_a_job_that_keeps_crashing_is_failed_with_a_reason(any_url: str, tmp_path: Path) -> None:
    db = open_database(any_url)
    upload = _upload("crashing.fit")
    log = tmp_path / "ran.log"
    looping = _orphan(db, [str(log), "looping", str(upload)], attempts=MAX_ATTEMPTS)
    one_more = _orphan(db, [str(log), "one-more"], attempts=MAX_ATTEMPTS - 1)
    with db.session() as session:
        session.execute(
            update(JobRow).where(JobRow.id == looping).values(inputs=json.dumps([str(upload)]))
        )
    runner = JobRunner(db, use_processes=False)
    try:
        runner.start()
        failed, last_try = _wait_all(runner.store, [looping, one_more])
    finally:
        runner.shutdown()
    assert failed.status == "error" and _log(log) == ["one-more"]
    assert f"stopped {MAX_ATTEMPTS} times" in failed.error and "not tried again" in failed.error
    assert "Traceback" not in failed.error and "#" not in failed.error
    assert not upload.exists()  # over for good: the upload goes
    assert last_try.status == "done" and last_try.attempts == MAX_ATTEMPTS


def test_a_job_whose_upload_is_gone_is_failed_with_a_plain_reason(
    any_url: str, tmp_path: Path
) -> None:
    db = open_database(any_url)
    kept, gone = _upload("kept.fit"), _upload("gone.fit")
    gone.unlink()
    job = _orphan(db, [str(tmp_path / "x.log"), "x"], inputs=[str(kept), str(gone)])
    unknown = _orphan(db, ["-", "x"], task="somewhere:not_a_task")
    runner = JobRunner(db, use_processes=False)
    try:
        runner.start()
        failed, odd = _wait_all(runner.store, [job, unknown])
    finally:
        runner.shutdown()
    assert failed.status == "error"
    assert failed.error == (
        "The uploaded file gone.fit is no longer there, so this job cannot run; upload it again."
    )
    assert not kept.exists()  # the job is over: its other upload goes too
    assert odd.status == "error" and "cannot be run by this version" in odd.error


def test_one_job_at_a_time_with_the_queue_position_on_the_page(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'db.sqlite3'}", jobs_in_processes=False)
    log, flag = tmp_path / "ran.log", tmp_path / "go"
    with TestClient(app, base_url="http://127.0.0.1") as client:
        runner: JobRunner = app.state.jobs
        first = runner.submit("import", {}, gated_job, str(log), "first", str(flag))
        later = [runner.submit("import", {}, record_job, str(log), f"n{i}") for i in (1, 2)]
        deadline = time.monotonic() + 30
        while runner.store.get(first).message != "working":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        time.sleep(0.3)  # the dispatcher had time to start another job, if it would
        assert [runner.store.get(j).status for j in later] == ["queued", "queued"]
        page = client.get(f"/jobs/{later[1]}").text
        assert "Waiting to start (2 jobs before it)" in page and 'data-status="queued"' in page
        assert "(1 job before it)" in client.get(f"/api/jobs/{later[0]}").json()["message"]
        flag.touch()
        _wait_all(runner.store, [first, *later])
    assert _log(log) == ["first", "n1", "n2"]


# --- a real `strideback serve`, killed with kill -9 in the middle of an import ------------

# A small file first (stored before the kill), then files that take a few seconds to parse.
FILES = (
    "Runalyze__Standard.fit",
    "sports-lib__polar.tcx",
    "sports-lib__strava.gpx",
    "sports-lib__6860622916.tcx",
)


def _job(base: str) -> dict[str, object]:
    return dict(httpx.get(base + "/api/jobs/1", timeout=30).json())


def _activity_count(db_url: str) -> int:
    from strideback.store.activities import ActivityRow

    with open_database(db_url).all_runners().session() as session:
        return int(session.scalar(select(func.count(ActivityRow.id))) or 0)


def test_kill_9_mid_import_then_the_next_server_finishes_it(
    any_url: str, tmp_path: Path, activities_dir: Path
) -> None:
    _stop_mid_import_then_restart(any_url, tmp_path, activities_dir, signal.SIGKILL)


def test_sigterm_mid_import_then_the_next_server_finishes_it(
    db_url: str, tmp_path: Path, activities_dir: Path
) -> None:
    _stop_mid_import_then_restart(db_url, tmp_path, activities_dir, signal.SIGTERM)


def _stop_mid_import_then_restart(
    any_url: str, tmp_path: Path, activities_dir: Path, how: signal.Signals
) -> None:
    """Stop a real server with `how` while its import job is half-way; start another."""
    from strideback.activities.service import import_paths

    home = tmp_path / "home"
    files = [activities_dir / name for name in FILES]
    proc, base = serve_subprocess(any_url, home, STRIDEBACK_JOBS_STALE_SECONDS="2")
    children: list[psutil.Process] = []
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            client.get("/")
            r = client.post(
                "/activities/upload",
                files=[("files", (f.name, f.read_bytes(), "application/fit")) for f in files],
                headers={"x-csrf-token": client.cookies["sb_csrf"], "hx-request": "true"},
            )
            assert r.status_code == 202, r.text[:300]
        deadline = time.monotonic() + 120
        while int(str(_job(base).get("done") or 0)) < 1:  # one file stored, the rest not yet
            assert time.monotonic() < deadline, _job(base)
            time.sleep(0.02)
        # Freeze the worker where it is (no race with its last files), then stop the server:
        # kill -9 takes its worker with it (as the OOM killer or a power cut would); SIGTERM
        # lets the server end its worker and put the job back in the queue.
        children = psutil.Process(proc.pid).children(recursive=True)
        for child in children:
            child.send_signal(signal.SIGSTOP)
        proc.send_signal(how)
        if how == signal.SIGKILL:
            for child in children:
                child.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        for child in children:  # let what is left see its server is gone
            if psutil.pid_exists(child.pid):
                child.send_signal(signal.SIGCONT)
    psutil.wait_procs(children, timeout=15)
    assert not [c for c in children if c.is_running() and c.status() != "zombie"]
    with open_database(any_url).session() as session:
        row = session.get(JobRow, 1)
        status = "running" if how == signal.SIGKILL else "queued"  # released on SIGTERM
        assert row is not None and row.status == status, "the stop came too late"
        assert how != signal.SIGKILL or 1 <= row.done < len(FILES)
        inputs = json.loads(row.inputs or "[]")
    assert len(inputs) == len(FILES) and all(Path(p).exists() for p in inputs)  # kept to run again

    proc, base = serve_subprocess(
        any_url, home, STRIDEBACK_JOBS_STALE_SECONDS="2"
    )  # the next server on that database
    try:
        deadline = time.monotonic() + 180
        while _job(base)["status"] not in ("done", "error"):
            assert time.monotonic() < deadline, _job(base)
            time.sleep(0.2)
        job = _job(base)
        page = httpx.get(base + "/jobs/1", timeout=30).text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert job["status"] == "done", job
    result = job["result"]
    assert isinstance(result, dict)
    statuses = {Path(r["file"]).name: r["status"] for r in result["results"]}
    reference = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    expected = {Path(r.file).name: r.status for r in import_paths(open_database(reference), files)}
    assert set(statuses) == set(expected) == set(FILES)
    assert statuses[FILES[0]] == "duplicate"  # stored before the kill: not stored again
    for name, status in statuses.items():
        assert status == expected[name] or (status, expected[name]) == ("duplicate", "imported")
    assert 'data-status="done"' in page and "Finished: " in page
    assert _activity_count(any_url) == _activity_count(reference) > 0  # no duplicate rows
    assert not any(Path(p).exists() for p in inputs)  # over for good: the uploads went
    with open_database(any_url).session() as session:
        row = session.get(JobRow, 1)  # a clean stop does not count as a crash
        assert row is not None and row.attempts == (2 if how == signal.SIGKILL else 1)
    shutil.rmtree(home, ignore_errors=True)
