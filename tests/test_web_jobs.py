"""Background jobs: progress persisted in the DB, visible after a reload, crash-safe."""

from __future__ import annotations

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


def test_unfinished_jobs_are_marked_interrupted_on_restart(db) -> None:
    store = JobStore(db)
    running = store.create("import", {})
    store.progress(running, 1, 10)
    done = store.create("import", {})
    store.finish(done, {})
    assert store.mark_interrupted() == 1
    assert store.get(running).status == "error"
    assert "stopped before this job finished" in store.get(running).error
    assert store.get(done).status == "done"


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
