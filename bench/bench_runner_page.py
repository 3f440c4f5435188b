"""Latency of the clinician's runner page (clinic mode) for one runner with a 10-year history
(~3,000 runs), a year of diary days, monthly Kujala checks and 12 form clips.

In-process (FastAPI TestClient, SQLite in a temp folder): prints p50/p95/max over the
requests. The page computes the plan from the whole diary (the same engine as Today).

    .venv/bin/python bench/bench_runner_page.py [--runs 3000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PASSWORD = "correct horse battery"
TODAY = dt.date(2026, 11, 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-runner-page-"))
    os.environ["STRIDEBACK_HOME"] = str(home)

    from bench_web import synthetic_history
    from fastapi.testclient import TestClient

    from strideback.accounts.service import add_user
    from strideback.coach.checks import run_check
    from strideback.coach.diary import log_day
    from strideback.coach.plans import set_plan_start
    from strideback.domain import DiaryEntry
    from strideback.store.accounts import UserRow
    from strideback.store.db import open_database
    from strideback.store.form import FormClipRow
    from strideback.web import create_app
    from test_coach_assess import pfp_answers

    url = f"sqlite:///{home / 'bench.sqlite3'}"
    db = open_database(url)
    physio = add_user(db, "physio", "clinician", password=PASSWORD)
    me = db.local_runner()  # synthetic_history writes the local runner's rows
    with db.all_runners().session() as s:
        row = s.get(UserRow, me)
        assert row is not None
        row.clinician_id = physio.id  # the local runner becomes the clinician's runner
    synthetic_history(db, args.runs, TODAY)
    rdb = db.for_runner(me)
    start = TODAY - dt.timedelta(days=364)
    for month in range(12):
        run_check(rdb, pfp_answers(), start + dt.timedelta(days=30 * month))
    set_plan_start(rdb, start)
    for i in range(365):
        day = start + dt.timedelta(days=i)
        pain = 6 if i % 23 == 0 else (i % 3)
        log_day(rdb, DiaryEntry(day=day, pain_during=pain, pain_after=1, done="done"), today=TODAY)
    metrics = {"cadence": {"value": 170.0, "unit": "steps/min", "confidence": "good",
                           "label": "Cadence"}}  # fmt: skip
    with rdb.session() as s:
        for n in range(12):
            s.add(FormClipRow(recorded_on=start + dt.timedelta(days=30 * n), video_path="/v.mp4",
                              video_sha256="0" * 64, view="side", task="run", fps=60.0,
                              capture_fps=60.0, out_dir=str(home), backend="bench",
                              metrics_json=json.dumps(metrics), quality_json="[]"))  # fmt: skip
    app = create_app(url, jobs_in_processes=False, clinic=True, today=lambda: TODAY)
    # `__enter__` runs the app's start-up as a server does (board warmers, gc.freeze).
    client = TestClient(app, base_url="http://127.0.0.1", follow_redirects=False).__enter__()
    client.get("/login")
    login = {"username": "physio", "password": PASSWORD, "csrf_token": client.cookies["sb_csrf"]}
    assert client.post("/login", data=login).status_code == 303
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        response = client.get(f"/runners/{me}")
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.text[:300]
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(
        f"runner page, {args.runs} runs + 365 diary days + 12 checks + 12 clips: "
        f"p50 {statistics.median(times):.0f} ms, p95 {p95:.0f} ms, max {times[-1]:.0f} ms "
        f"({len(response.content) / 1024:.0f} KiB)"
    )


if __name__ == "__main__":
    main()
