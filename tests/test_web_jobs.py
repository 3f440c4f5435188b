"""Background jobs: progress persisted in the DB, visible after a reload, crash-safe."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from fastapi.testclient import TestClient

from strideback.store.db import open_database
from strideback.web import create_app
from strideback.web.jobs import JobRunner, JobStore, ThrottledProgress


def slow_job(db_url: str, job_id: int, steps: int) -> None:
    store = JobStore(open_database(db_url))
    for i in range(1, steps + 1):
        store.progress(job_id, i, steps, f"step {i}")
        time.sleep(0.01)
    store.finish(job_id, {"steps": steps}, message="Finished: all steps")


def crashing_job(db_url: str, job_id: int) -> None:
    raise RuntimeError("boom")


def wait_finished(store: JobStore, job_id: int, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job and job.finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {store.get(job_id)}")


def test_job_lifecycle_is_persisted(db) -> None:
    store = JobStore(db)
    job_id = store.create("import", {"files": ["a.fit"]})
    job = store.get(job_id)
    assert (job.status, job.percent, job.params) == ("queued", 0, {"files": ["a.fit"]})
    store.progress(job_id, 3, 4, "Reading a.fit")
    job = store.get(job_id)
    assert (job.status, job.done, job.total, job.percent) == ("running", 3, 4, 75)
    store.finish(job_id, {"counts": {"imported": 1}})
    job = store.get(job_id)
    assert job.finished and job.result == {"counts": {"imported": 1}} and job.percent == 100
    assert [j.id for j in store.recent("import")] == [job_id]
    assert store.recent("form") == []


def _age_heartbeat(db, job_id: int, seconds: float) -> None:
    from sqlalchemy import update

    from strideback.store.web import JobRow, utcnow

    with db.session() as session:
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(heartbeat_at=utcnow() - dt.timedelta(seconds=seconds))
        )


def test_unfinished_jobs_of_a_dead_server_are_marked_interrupted(db) -> None:
    # Behaviour change (issue 10): only jobs whose owner stopped its heartbeat are
    # interrupted; a running job of a live server is left alone.
    dead = JobStore(db, owner="host:1:dead")
    running = dead.create("import", {})
    dead.progress(running, 1, 10)
    live = JobStore(db, owner="host:2:live")
    alive = live.create("import", {})
    done = dead.create("import", {})
    dead.finish(done, {})
    _age_heartbeat(db, running, 120)
    assert JobStore(db).mark_interrupted() == 1
    assert dead.get(running).status == "error"
    assert "stopped before this job finished" in dead.get(running).error
    assert dead.get(done).status == "done"
    assert live.get(alive).status == "queued"


def test_throttled_progress_writes_first_and_last(db) -> None:
    store = JobStore(db)
    job_id = store.create("form", {})
    progress = ThrottledProgress(store, job_id, interval=3600)
    progress(1, 100, "frame 1")
    progress(50, 100, "frame 50")  # throttled away
    assert store.get(job_id).done == 1
    progress(100, 100, "frame 100")
    assert store.get(job_id).done == 100


def test_thread_runner_runs_and_records_crashes(db) -> None:
    runner = JobRunner(db, use_processes=False)
    try:
        ok = runner.submit("import", {}, slow_job, 5)
        bad = runner.submit("import", {}, crashing_job)
        assert wait_finished(runner.store, ok).result == {"steps": 5}
        failed = wait_finished(runner.store, bad)
        assert failed.status == "error" and "boom" in failed.error
    finally:
        runner.shutdown()


def test_process_runner_keeps_progress_in_the_database(db) -> None:
    runner = JobRunner(db, use_processes=True)
    try:
        job_id = runner.submit("import", {}, slow_job, 3)
        job = wait_finished(runner.store, job_id, timeout=120)
        assert (job.status, job.done, job.total) == ("done", 3, 3)
    finally:
        runner.shutdown()


def test_job_fragment_polls_until_finished_and_survives_reload(db_url: str) -> None:
    app = create_app(db_url, jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        store: JobStore = app.state.jobs.store
        job_id = store.create("import", {"files": ["x.fit"]})
        store.progress(job_id, 1, 2, "Reading x.fit")
        running = client.get(f"/jobs/{job_id}")
        fragment = running.text
        assert 'hx-trigger="every 1s"' in fragment and "Reading x.fit (1/2)" in fragment
        assert "hx-trigger" not in running.headers
        page = client.get("/activities").text  # a reload shows the running job
        assert f'id="job-{job_id}"' in page
        store.finish(
            job_id,
            {"results": [{"file": "x.fit", "status": "imported"}], "counts": {"imported": 1}},
            message="Finished: 1 imported",
        )
        finished = client.get(f"/jobs/{job_id}")
        fragment = finished.text
        assert "hx-trigger" not in fragment and "x.fit — imported" in fragment
        # ... and tells the page's activity list to reload itself.
        assert finished.headers["hx-trigger"] == "import-finished"
        assert 'hx-trigger="import-finished from:body"' in client.get("/activities").text
        assert client.get(f"/api/jobs/{job_id}").json()["status"] == "done"


def test_import_job_with_real_files(db_url: str, activities_dir) -> None:
    pytest.importorskip("strideback.activities.service")
    from strideback.web.jobs import run_import_job

    db = open_database(db_url)
    store = JobStore(db)
    files = sorted(activities_dir.glob("Runalyze__Standard.*"))
    assert files
    job_id = store.create("import", {})
    run_import_job(db_url, job_id, [str(f) for f in files])
    job = store.get(job_id)
    assert job.status == "done", job.error
    assert job.result["counts"].get("imported", 0) >= 1
    assert {r["file"] for r in job.result["results"]} >= {f.name for f in files} or len(
        job.result["results"]
    ) >= len(files)


def test_dashboard_and_jobs_on_postgresql(postgres_url: str) -> None:
    app = create_app(postgres_url, jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/activities").status_code == 200
        store: JobStore = app.state.jobs.store
        job_id = store.create("import", {"files": []})
        store.progress(job_id, 1, 2, "half way")
        assert store.get(job_id).percent == 50
        assert 'data-status="running"' in client.get(f"/jobs/{job_id}").text


def suicidal_job(db_url: str, job_id: int) -> None:
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does to a worker


def blocking_job(db_url: str, job_id: int, flag: str) -> None:
    from pathlib import Path

    store = JobStore(open_database(db_url))
    store.progress(job_id, 0, 1, "working")
    deadline = time.monotonic() + 60
    while not Path(flag).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    store.finish(job_id, {"ok": True})


def test_pool_is_rebuilt_after_a_worker_is_killed(db) -> None:
    runner = JobRunner(db, use_processes=True)
    try:
        killed = runner.submit("import", {}, suicidal_job)
        failed = wait_finished(runner.store, killed, timeout=180)
        # Issue 12: retried, then failed with a reason (no crash loop).
        assert failed.status == "error" and "worker stopped 3 times" in failed.error
        assert failed.attempts == 3
        after = runner.submit("import", {}, slow_job, 2)  # a later upload still works
        assert wait_finished(runner.store, after, timeout=120).status == "done"
    finally:
        runner.shutdown()


def test_worker_killed_from_outside_mid_job_runs_the_job_again(db, tmp_path) -> None:
    # Behaviour change (issue 12): a job whose worker died runs again from the start
    # (at most MAX_ATTEMPTS runs in all), instead of failing at once.
    import os
    import signal

    from strideback.web.jobs import RESTARTED_WORKER

    flag = tmp_path / "go"
    runner = JobRunner(db, use_processes=True)
    try:
        job = runner.submit("import", {}, blocking_job, str(flag))
        _wait_status(runner.store, job, "running", progress=True)
        (pid,) = runner.worker_pids()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while runner.store.attempts(job) < 2 and time.monotonic() < deadline:
            assert runner.store.get(job).status in ("queued", "running")
            time.sleep(0.05)
        assert runner.store.attempts(job) == 2
        deadline = time.monotonic() + 120  # the page says it is a second run
        while runner.store.get(job).message != "working (started again after an interruption)":
            assert runner.store.get(job).message in (
                RESTARTED_WORKER,
                "working (started again after an interruption)",
            )
            assert time.monotonic() < deadline
            time.sleep(0.05)
        flag.touch()
        assert wait_finished(runner.store, job, timeout=120).result == {"ok": True}
        assert wait_finished(runner.store, runner.submit("import", {}, slow_job, 1)).result
    finally:
        runner.shutdown()


def _wait_status(store: JobStore, job_id: int, status: str, progress: bool = False) -> None:
    """Until the job has `status` (with `progress`: and its function has written progress)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job.status == status and (not progress or job.message == "working"):
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never {status}: {store.get(job_id)}")


def test_a_second_server_leaves_the_first_servers_running_job_alone(db_url, tmp_path) -> None:
    flag = tmp_path / "go"
    first = create_app(db_url, jobs_in_processes=False)
    with TestClient(first, base_url="http://127.0.0.1"):
        runner: JobRunner = first.state.jobs
        job = runner.submit("import", {}, blocking_job, str(flag))
        deadline = time.monotonic() + 30
        while runner.store.get(job).status != "running" and time.monotonic() < deadline:
            time.sleep(0.02)
        second = create_app(db_url, jobs_in_processes=False)
        with TestClient(second, base_url="http://127.0.0.1") as other:
            assert 'data-status="running"' in other.get(f"/jobs/{job}").text
            assert second.state.jobs.store.get(job).status == "running"
        assert runner.store.get(job).status == "running"  # the second server stopped: still
        flag.touch()
        assert wait_finished(runner.store, job).status == "done"


def test_a_job_whose_server_stopped_its_heartbeat_is_shown_interrupted(db_url) -> None:
    app = create_app(db_url, jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        db = app.state.db
        orphan = JobStore(db, owner="elsewhere:4242:gone").create("import", {})
        assert 'data-status="queued"' in client.get(f"/jobs/{orphan}").text
        _age_heartbeat(db, orphan, 31)
        page = client.get(f"/jobs/{orphan}").text
        assert 'data-status="error"' in page and "stopped before this job finished" in page


def test_heartbeat_keeps_own_jobs_fresh(db) -> None:
    store = JobStore(db, owner="me:1:x")
    job = store.create("import", {})
    _age_heartbeat(db, job, 3600)
    assert store.heartbeat() == 1
    assert store.interrupt_stale() == 0 and store.get(job).status == "queued"
    assert store.release_own() == 1 and store.get(job).status == "error"  # no task: cannot rerun


def test_import_job_deletes_its_uploads(db_url: str, activities_dir) -> None:
    import shutil

    from strideback.web.jobs import run_import_job, uploads_root
    from strideback.web.uploads import new_upload_folder

    folder = new_upload_folder("import")
    assert folder.parent == uploads_root()
    copy = folder / "Runalyze__Standard.fit"
    shutil.copyfile(activities_dir / "Runalyze__Standard.fit", copy)
    store = JobStore(open_database(db_url))
    job_id = store.create("import", {})
    run_import_job(db_url, job_id, [str(copy)])
    assert store.get(job_id).status == "done"
    assert not copy.exists() and not folder.exists()
    assert (activities_dir / "Runalyze__Standard.fit").exists()  # only uploads are deleted
    outside = store.create("import", {})
    run_import_job(db_url, outside, [str(activities_dir / "Runalyze__Standard.tcx")])
    assert (activities_dir / "Runalyze__Standard.tcx").exists()


def test_shutdown_ends_a_busy_worker_and_puts_its_job_back_in_the_queue(db, tmp_path) -> None:
    # Behaviour change (issue 12): the job of a server that stops is run again by the next
    # server (it was "interrupted" for good before); its attempt is not counted.
    import psutil

    from strideback.web.jobs import RELEASED

    runner = JobRunner(db, use_processes=True)
    job = runner.submit("import", {}, blocking_job, str(tmp_path / "never"))
    _wait_status(runner.store, job, "running", progress=True)
    (pid,) = runner.worker_pids()
    runner.shutdown()
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie":
        assert time.monotonic() < deadline, "the busy worker outlived the shutdown"
        time.sleep(0.05)
    view = runner.store.get(job)
    assert (view.status, view.owner, view.attempts, view.message) == ("queued", None, 0, RELEASED)


def test_infinite_values_never_break_the_job_json(db_url: str) -> None:
    from sqlalchemy import update

    from strideback.store.web import JobRow

    app = create_app(db_url, jobs_in_processes=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        store: JobStore = app.state.jobs.store
        job_id = store.create("import", {})
        store.finish(job_id, {"results": [{"file": "x.fit", "distance_m": float("inf")}]})
        assert client.get(f"/api/jobs/{job_id}").json()["result"]["results"][0] == {
            "file": "x.fit",
            "distance_m": None,
        }
        older = store.create("import", {})  # a row written before this fix
        with app.state.db.session() as session:
            session.execute(
                update(JobRow)
                .where(JobRow.id == older)
                .values(status="done", result='{"results": [{"d": Infinity}], "y": [NaN, 1.5]}')
            )
        r = client.get(f"/api/jobs/{older}")
        assert r.status_code == 200
        assert r.json()["result"] == {"results": [{"d": None}], "y": [None, 1.5]}
        assert client.get(f"/jobs/{older}").status_code == 200


def test_form_job_passes_the_capture_rate_and_deletes_its_upload(db_url: str, monkeypatch) -> None:
    """A slow-motion upload with its real capture rate: the rate reaches the analysis, and the
    uploaded video is removed afterwards (the report and annotated video live elsewhere)."""
    import strideback.form.service as form_service
    from strideback.form.model import FormError
    from strideback.web.jobs import run_form_job
    from strideback.web.uploads import new_upload_folder

    seen: dict[str, object] = {}

    def fake_analyse(db, video, *, view, capture_fps=None, progress=None, **_):
        seen.update(video=video.name, view=view, capture_fps=capture_fps)
        raise FormError("stopped here on purpose")

    monkeypatch.setattr(form_service, "analyse_clip", fake_analyse)
    folder = new_upload_folder("video")
    clip = folder / "slowmo.mp4"
    clip.write_bytes(b"not really a video")
    store = JobStore(open_database(db_url))
    job_id = store.create("form", {})
    run_form_job(db_url, job_id, str(clip), "side", 240.0)
    assert seen == {"video": "slowmo.mp4", "view": "side", "capture_fps": 240.0}
    job = store.get(job_id)
    assert job.status == "error" and "stopped here on purpose" in (job.error or job.message or "")
    assert not clip.exists()
