"""Archive streaming benchmark: a zip of N distinct FIT members, imported end to end.

    PYTHONPATH=src .venv/bin/python bench/bench_archive.py [--members 5000] [--import-members 1000]

Members are a real corpus FIT file with every date_time field shifted by i days (distinct
bytes, distinct activities, CRCs recomputed). Printed: seconds per 1,000 members for streaming
the archive (open once, read each member once: `ItemStream`) at N/5 and N members (linear
means the same figure), and for the whole import (parse + store) of a smaller archive.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import zipfile
from pathlib import Path

from strideback.activities.fit_fast import shift_fit_times
from strideback.activities.service import import_paths
from strideback.activities.sources import ItemStream
from strideback.store.db import open_database

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "activities"
SEED = "gpsbabel__fit-sample.fit"


def build(path: Path, members: int) -> None:
    base = (CORPUS / SEED).read_bytes()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i in range(members):
            zf.writestr(f"activities/{i:06d}.fit", shift_fit_times(base, -86400 * i))


def stream_seconds(path: Path) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = sum(1 for item in ItemStream([path]) if item.data is not None)
    return n, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--import-members", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in (args.members // 5, args.members):
            path = folder / f"s{n}.zip"
            build(path, n)
            count, took = stream_seconds(path)
            per = 1000 * took / count
            print(f"stream {count:6d} members: {took:6.2f} s = {per:.3f} s per 1,000 members")
        n = args.import_members
        path = folder / f"i{n}.zip"
        build(path, n)
        db = open_database(f"sqlite:///{folder / 'bench.sqlite3'}")
        t0 = time.perf_counter()
        results = import_paths(db, [path])
        took = time.perf_counter() - t0
        imported = sum(r.status == "imported" for r in results)
        per = 1000 * took / n
        print(f"import {n:6d} members: {took:6.2f} s = {per:.2f} s per 1,000 members", end=" ")
        print(f"({imported} imported)")


if __name__ == "__main__":
    main()
