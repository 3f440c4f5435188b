"""Load test: 200 concurrent diary submissions against the running dashboard.

Starts its own server (`strideback serve`, its own process, as a runner would) on a free
127.0.0.1 port with a fresh temp database, or targets --url. Sends N diary entries for N
different days all at once (each a real form POST with the CSRF token), then reads the
diary back and checks that none was lost. Prints p50/p95/max latency as the client saw it
and the server's own time per request (its Server-Timing header): the difference is time
spent waiting in line. Bounded: every request has a timeout and the whole run a deadline.

    .venv/bin/python bench/load_test_diary.py [--n 200] [--rounds 3] [--url http://127.0.0.1:8000]
    [--in-process]  (server in a thread of this process: it then shares the GIL with the client)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import re
import socket
import subprocess
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


def _wait_until_up(base: str, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server at {base} did not start")


def start_server_process() -> tuple[str, subprocess.Popen]:
    """`strideback serve` in its own process, with a fresh data folder."""
    home = Path(tempfile.mkdtemp(prefix="strideback-loadtest-"))
    env = {**os.environ, "STRIDEBACK_HOME": str(home)}
    env.pop("STRIDEBACK_DB", None)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from strideback.cli import main; main()", "serve"]
        + ["--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base)
    except SystemExit:
        proc.kill()
        raise
    return base, proc


def start_server_thread() -> tuple[str, object]:
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
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(base)
    return base, server


def _server_ms(response: httpx.Response) -> float:
    found = re.search(r"dur=([\d.]+)", response.headers.get("server-timing", ""))
    return float(found.group(1)) if found else float("nan")


async def submit_all(
    base: str, n: int, today: dt.date, timeout: float, first_day: int = 1
) -> tuple[list, list]:
    """Post n diary days at once; (day, status, client ms, server ms, error) each, stored days."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base, timeout=timeout, limits=limits) as client:
        first = await client.get("/")
        token = client.cookies.get("sb_csrf")
        if first.status_code != 200 or not token:
            raise SystemExit(f"could not open the dashboard at {base} ({first.status_code})")
        start_gate = asyncio.Event()

        async def one(k: int) -> tuple[str, int, float, float, str]:
            day = (today - dt.timedelta(days=first_day + k)).isoformat()
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
                ms = (time.perf_counter() - t) * 1000
                return day, r.status_code, ms, _server_ms(r), ""
            except httpx.HTTPError as exc:
                return day, 0, (time.perf_counter() - t) * 1000, float("nan"), type(exc).__name__

        tasks = [asyncio.create_task(one(k)) for k in range(n)]
        await asyncio.sleep(0.1)
        start_gate.set()
        results = await asyncio.gather(*tasks)
        span = first_day + n + 10
        page = await client.get(f"/diary?days={span}")
        stored = re.findall(r'data-day="(\d{4}-\d\d-\d\d)"', page.text)
    return results, stored


def _pcts(values: np.ndarray) -> str:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "n/a"
    return (
        f"p50 {np.percentile(values, 50):.0f}, p95 {np.percentile(values, 95):.0f}, "
        f"max {values.max():.0f}"
    )


def run_round(base: str, n: int, today: dt.date, args: argparse.Namespace, k: int) -> bool:
    t0 = time.perf_counter()
    try:
        results, stored = asyncio.run(
            asyncio.wait_for(
                submit_all(base, n, today, args.timeout, first_day=1 + k * n),
                timeout=args.deadline,
            )
        )
    except TimeoutError:
        console.print(f"[red]the run passed its {args.deadline:.0f} s deadline[/]")
        return False
    wall = time.perf_counter() - t0
    client_ms = np.array([r[2] for r in results])
    server_ms = np.array([r[3] for r in results])
    ok = [r for r in results if r[1] == 200]
    failed = [r for r in results if r[1] != 200]
    lost = sorted({r[0] for r in ok} - set(stored))
    console.print(
        f"round {k + 1}: accepted {len(ok)}/{n}, failed {len(failed)}, lost {len(lost)}; "
        f"wall {wall:.2f} s"
    )
    console.print(f"  client latency ms: {_pcts(client_ms)}")
    console.print(f"  server time ms:    {_pcts(server_ms)}  (Server-Timing: the app's own work)")
    for day, status, _ms, _server, error in failed[:5]:
        console.print(f"  failed {day}: HTTP {status} {error}")
    if lost:
        console.print(f"[red]lost entries:[/] {', '.join(lost[:10])}")
    return not failed and not lost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="concurrent submissions")
    parser.add_argument("--rounds", type=int, default=3, help="bursts, one after another")
    parser.add_argument("--url", help="an already running dashboard (default: start one)")
    parser.add_argument(
        "--in-process", action="store_true", help="run the server in a thread of this process"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    parser.add_argument("--deadline", type=float, default=120.0, help="seconds per round")
    args = parser.parse_args()
    proc = server = None
    base = args.url
    if base is None:
        if args.in_process:
            base, server = start_server_thread()
        else:
            base, proc = start_server_process()
    where = "in this process" if server else "its own process" if proc else "given"
    console.print(f"{args.n} concurrent diary submissions x {args.rounds} against {base} ({where})")
    today = dt.date.today()
    try:
        good = all(run_round(base, args.n, today, args, k) for k in range(args.rounds))
    finally:
        if server is not None:
            server.should_exit = True
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    console.print("[green]nothing lost[/]" if good else "[red]entries missing or refused[/]")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
