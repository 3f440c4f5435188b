"""Page latency of the dashboard with a synthetic 10-year history (~3,000 runs).

Starts the real server (uvicorn) on a free 127.0.0.1 port with a fresh SQLite database
in a temp folder, fills it with synthetic runs (summary rows, plus series for a few),
a year of diary entries (when the coach service exists), then requests every page
repeatedly and prints p50/p95/max per page. Target: p95 < 100 ms for every page.

    .venv/bin/python bench/bench_web.py [--runs 3000] [--repeat 40] [--json bench/out/web.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.progress import track
from rich.table import Table

TARGET_P95_MS = 100.0
console = Console()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def synthetic_history(db, n_runs: int, today: dt.date, seed: int = 7) -> list[int]:
    """Insert ~n_runs runs over 10 years (plus rides); return ids that have a series."""
    from sqlalchemy import insert

    from strideback.domain import Series
    from strideback.store.activities import ActivityRow, ActivitySeries, SourceFile

    rng = np.random.default_rng(seed)
    start = today - dt.timedelta(days=3650)
    days = np.sort(rng.choice(3650, size=n_runs, replace=n_runs > 3650))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    runner = db.local_runner()  # bulk inserts bypass the session's runner stamping
    sources, rows = [], []
    for i, offset in enumerate(days):
        when = dt.datetime.combine(start + dt.timedelta(days=int(offset)), dt.time(7, 0))
        ride = i % 6 == 5
        km = float(rng.uniform(15, 60)) if ride else float(rng.gamma(4.0, 2.5))
        if not ride and rng.random() < 0.01:
            km *= 2.5  # an occasional spike
        speed = 7.5 if ride else float(rng.uniform(2.6, 3.6))
        sha = f"{i:064x}"
        sources.append(
            {
                "runner_id": runner,
                "sha256": sha,
                "name": f"synthetic-{i}.fit",
                "format": "fit",
                "size_bytes": 1000,
                "status": "imported",
                "imported_at": now,
            }
        )
        rows.append(
            {
                "runner_id": runner,
                "source_sha256": sha,
                "leg_index": 0,
                "source_format": "fit",
                "source_file": f"synthetic-{i}.fit",
                "sport": "cycling" if ride else "running",
                "sub_sport": None,
                "name": None,
                "start_time": when,
                "utc_offset_s": 3600,
                "distance_m": km * 1000,
                "elapsed_s": km * 1000 / speed * 1.05,
                "moving_s": km * 1000 / speed,
                "ascent_m": km * float(rng.uniform(2, 15)),
                "descent_m": km * float(rng.uniform(2, 15)),
                "avg_cadence_spm": None if ride else float(rng.normal(168, 5)),
                "avg_hr_bpm": float(rng.normal(145, 8)),
                "max_hr_bpm": None,
                "device": "synthetic",
                "provenance": "{}",
                "imported_at": now,
            }
        )
    with db.session() as session:
        session.execute(insert(SourceFile), sources)
        session.execute(insert(ActivityRow), rows)
    with_series: list[int] = []
    try:
        from strideback.activities.series_codec import encode_series
    except ImportError:
        return with_series
    with db.session() as session:
        from sqlalchemy import select

        ids = session.scalars(
            select(ActivityRow.id)
            .where(ActivityRow.sport == "running")
            .order_by(ActivityRow.start_time.desc())
            .limit(20)
        ).all()
        for activity_id in ids:
            t = np.arange(0, 3600, 1.0)
            speed = 3.0 + 0.3 * np.sin(t / 200) + rng.normal(0, 0.1, t.size)
            cols = {
                "t_s": t,
                "distance_m": np.cumsum(speed),
                "speed_mps": speed,
                "altitude_m": 200 + 20 * np.sin(t / 500),
                "hr_bpm": 140 + 10 * np.sin(t / 900),
                "cadence_spm": 168 + rng.normal(0, 2, t.size),
                "lat": 55.6 + t * 1e-5,
                "lon": 12.5 + t * 1e-5,
            }
            session.add(
                ActivitySeries(
                    activity_id=activity_id, n_samples=t.size, data=encode_series(Series(cols))
                )
            )
            with_series.append(activity_id)
    return with_series


def synthetic_diary(db, today: dt.date, days: int = 365, plan_days: int = 60) -> int:
    """A year of diary entries, and a check `plan_days` ago that starts the plan."""
    try:
        from strideback.coach.service import check_questions, log_day, run_check
    except ImportError:
        return 0
    from strideback.domain import DiaryEntry

    answers = {}
    for q in check_questions():
        if q.kind == "yes_no":
            answers[q.id] = False
        elif q.kind == "choice":
            answers[q.id] = q.options[min(1, len(q.options) - 1)].value
        else:
            answers[q.id] = 35
    answers.update(pain_location="around_kneecap", loaded_flexion_pain=True, gradual_onset=True)
    run_check(db, answers, today - dt.timedelta(days=plan_days))
    rng = np.random.default_rng(3)
    for k in range(days, 0, -1):
        pain = int(rng.integers(0, 5))
        log_day(
            db,
            DiaryEntry(
                day=today - dt.timedelta(days=k),
                pain_during=pain,
                pain_after=pain,
                pain_next_morning=max(0, pain - 1),
                done="done",
            ),
        )
    return days


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--json", type=Path, default=Path("bench/out/web.json"))
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="strideback-bench-"))
    os.environ["STRIDEBACK_HOME"] = str(home)
    import uvicorn

    from strideback.store.db import open_database
    from strideback.web import create_app

    today = dt.date.today()
    db_url = f"sqlite:///{home / 'bench.sqlite3'}"
    db = open_database(db_url)
    t0 = time.perf_counter()
    with_series = synthetic_history(db, args.runs * 6 // 5, today)  # 1 in 6 is a ride
    diary_days = synthetic_diary(db, today)
    console.print(
        f"synthetic history: {args.runs * 6 // 5} activities over 10 years "
        f"({len(with_series)} with series), {diary_days} diary days, "
        f"built in {time.perf_counter() - t0:.1f} s"
    )

    app = create_app(db_url, jobs_in_processes=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            console.print("[red]server did not start[/]")
            return 2
        time.sleep(0.05)

    pages = [
        "/",
        "/diary",
        "/diary?days=365",
        "/load",
        "/load?weeks=520",
        "/check",
        "/plan",
        "/activities",
        "/activities?page=40",
        "/activities?sport=cycling",
        "/form",
        "/settings",
    ]
    if with_series:
        pages.append(f"/activities/{with_series[0]}")
    results: dict[str, dict] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for page in track(pages, description="Requesting pages", console=console):
            client.get(page)  # warm-up
            times = []
            status = 0
            for _ in range(args.repeat):
                t = time.perf_counter()
                r = client.get(page)
                times.append((time.perf_counter() - t) * 1000)
                status = r.status_code
            results[page] = {
                "status": status,
                "p50_ms": statistics.median(times),
                "p95_ms": percentile(times, 95),
                "max_ms": max(times),
                "bytes": len(r.content),
            }
    server.should_exit = True
    thread.join(timeout=10)

    table = Table(
        title=f"Page latency, {args.runs}+ runs over 10 years, {args.repeat} requests "
        f"each (target p95 < {TARGET_P95_MS:.0f} ms)"
    )
    for col in ("page", "status", "p50 ms", "p95 ms", "max ms", "KiB", "ok"):
        table.add_column(col, justify="left" if col == "page" else "right")
    slow = []
    for page, r in results.items():
        ok = r["status"] == 200 and r["p95_ms"] < TARGET_P95_MS
        if not ok:
            slow.append(page)
        table.add_row(
            page,
            str(r["status"]),
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['max_ms']:.1f}",
            f"{r['bytes'] / 1024:.0f}",
            "[green]yes[/]" if ok else "[red]NO[/]",
        )
    console.print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"runs": args.runs, "repeat": args.repeat, "date": today.isoformat(), "pages": results},
            indent=2,
        )
    )
    console.print(f"figures written to {args.json}")
    if slow:
        console.print(f"[red]over target or failing:[/] {', '.join(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
