"""Load test: 200 concurrent diary submissions against the running dashboard.

Starts its own server on a free 127.0.0.1 port with a fresh temp database (or targets
--url), sends N diary entries for N different days all at once (each a real form POST
with the CSRF token), then reads the diary back and checks that none was lost. Prints
p50/p95/max latency. Bounded: every request has a timeout and the whole run a deadline.

    .venv/bin/python bench/load_test_diary.py [--n 200] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console

console = Console()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[str, object]:
    home = Path(tempfile.mkdtemp(prefix="strideback-loadtest-"))
    os.environ["STRIDEBACK_HOME"] = str(home)
    import uvicorn

    from strideback.web import create_app

    app = create_app(f"sqlite:///{home / 'load.sqlite3'}", jobs_in_processes=False)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", backlog=512)
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("server did not start")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


async def submit_all(base: str, n: int, today: dt.date, timeout: float) -> tuple[list, list]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        first = await client.get("/")
        token = client.cookies.get("sb_csrf")
        if first.status_code != 200 or not token:
            raise SystemExit(f"could not open the dashboard at {base} ({first.status_code})")
        start_gate = asyncio.Event()

        async def one(k: int) -> tuple[str, int, float, str]:
            day = (today - dt.timedelta(days=k + 1)).isoformat()
            data = {
                "csrf_token": token,
                "day": day,
                "pain_during": str(k % 4),
                "pain_after": str(k % 5),
                "pain_next_morning": str(k % 3),
                "swelling": "none",
                "done": "done",
                "note": f"load test {k}",
            }
            await start_gate.wait()
            t = time.perf_counter()
            try:
                r = await client.post("/diary", data=data, headers={"HX-Request": "true"})
                return day, r.status_code, (time.perf_counter() - t) * 1000, ""
            except httpx.HTTPError as exc:
                return day, 0, (time.perf_counter() - t) * 1000, type(exc).__name__

        tasks = [asyncio.create_task(one(k)) for k in range(n)]
        await asyncio.sleep(0.1)
        start_gate.set()
        results = await asyncio.gather(*tasks)
        page = await client.get(f"/diary?days={n + 10}")
        stored = re.findall(r'data-day="(\d{4}-\d\d-\d\d)"', page.text)
    return results, stored


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="concurrent submissions")
    parser.add_argument("--url", help="an already running dashboard (default: start one)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds for the run")
    args = parser.parse_args()
    server = None
    base = args.url
    if base is None:
        base, server = start_server()
    today = dt.date.today()
    console.print(f"{args.n} concurrent diary submissions against {base}")
    t0 = time.perf_counter()
    try:
        results, stored = asyncio.run(
            asyncio.wait_for(submit_all(base, args.n, today, args.timeout), timeout=args.deadline)
        )
    except TimeoutError:
        console.print(f"[red]the run passed its {args.deadline:.0f} s deadline[/]")
        return 2
    wall = time.perf_counter() - t0
    if server is not None:
        server.should_exit = True
    latencies = np.array([r[2] for r in results])
    ok = [r for r in results if r[1] == 200]
    failed = [r for r in results if r[1] != 200]
    sent_days = {r[0] for r in ok}
    lost = sorted(sent_days - set(stored))
    console.print(
        f"accepted {len(ok)}/{args.n}, failed {len(failed)}, "
        f"stored {len(set(stored))}, lost {len(lost)}; wall {wall:.2f} s"
    )
    console.print(
        f"latency ms: p50 {np.percentile(latencies, 50):.0f}, "
        f"p95 {np.percentile(latencies, 95):.0f}, max {latencies.max():.0f}"
    )
    for day, status, _ms, error in failed[:5]:
        console.print(f"  failed {day}: HTTP {status} {error}")
    if lost:
        console.print(f"[red]lost entries:[/] {', '.join(lost[:10])}")
    good = not failed and not lost and len(set(stored)) >= args.n
    console.print("[green]nothing lost[/]" if good else "[red]entries missing or refused[/]")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
