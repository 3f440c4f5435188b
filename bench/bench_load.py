"""Benchmark: `strideback load` over a 10-year history (~3,000 runs).

Run: .venv/bin/python bench/bench_load.py [--runs 3000]

Builds a temporary SQLite database with 10 years of activity summaries (runs on about six
days a week out of seven with realistic distances, plus cross-training), then times the
load service (query + weekly computation) and the whole CLI command. Prints figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_history(db_url: str, n_runs: int, seed: int = 7) -> None:
    from strideback.store.activities import ActivityRow, SourceFile
    from strideback.store.db import open_database

    rng = random.Random(seed)
    db = open_database(db_url)
    start = dt.datetime(2016, 11, 28, 6, 30)
    step = dt.timedelta(days=365.25 * 10 / n_runs)
    with db.session() as s:
        for i in range(n_runs):
            sha = f"{i:064x}"
            s.add(
                SourceFile(
                    sha256=sha, name=f"run{i}.fit", format="fit", size_bytes=1, status="imported"
                )
            )
        s.flush()
        for i in range(n_runs):
            km = max(2.0, rng.gauss(9, 4))
            sport = "running" if rng.random() > 0.15 else rng.choice(["cycling", "swimming"])
            s.add(
                ActivityRow(
                    source_sha256=f"{i:064x}",
                    leg_index=0,
                    source_format="fit",
                    source_file=f"run{i}.fit",
                    sport=sport,
                    start_time=start + step * i,
                    utc_offset_s=3600,
                    distance_m=km * 1000,
                    moving_s=km * 330,
                    elapsed_s=km * 345,
                    ascent_m=km * rng.uniform(2, 20),
                    descent_m=km * rng.uniform(2, 20),
                )
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from strideback.load.service import weekly_load

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        t0 = time.perf_counter()
        build_history(url, args.runs)
        print(f"built {args.runs} activities over 10 years in {time.perf_counter() - t0:.1f} s")
        from strideback.store.db import open_database

        db = open_database(url)
        today = dt.date(2026, 11, 26)
        timings = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            weeks = weekly_load(db, today=today)
            timings.append(time.perf_counter() - t0)
        flags = sum(len(w.flags) for w in weeks)
        print(
            f"load service, all {len(weeks)} weeks, {flags} flags: "
            f"median {statistics.median(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms over {args.repeat} runs"
        )
        cli = Path(sys.executable).with_name("strideback")
        env = dict(os.environ, STRIDEBACK_DB=url)
        walls = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(
                [str(cli), "load", "--weeks", "520", "--json"],
                env=env,
                check=True,
                capture_output=True,
            )
            walls.append(time.perf_counter() - t0)
        print(
            f"`strideback load --weeks 520 --json` whole process (incl. Python start-up): "
            f"median {statistics.median(walls):.2f} s"
        )
        service_ok = statistics.median(timings) < 1.0
        process_ok = statistics.median(walls) < 1.0
        print(
            "target <1 s for load over 10 years: "
            f"service {'MET' if service_ok else 'MISSED'}, "
            f"whole command {'MET' if process_ok else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
