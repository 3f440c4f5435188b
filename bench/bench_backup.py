"""Backup speed and size with a synthetic 10-year history, plus the real activity corpus.

Fills a fresh SQLite database (in a temp folder) with ~3,000 synthetic runs (series for
`--series` of them, one hour at 1 Hz each), a year of diary entries and the real files of
../shared/data/activities, then times `export_backup`, `restore_backup` into a fresh home and
a second export, and checks that both exports have the same content checksum.

    .venv/bin/python bench/bench_backup.py [--runs 3000] [--series 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_web import synthetic_diary, synthetic_history  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "activities"


def add_series(db, count: int, seed: int = 3) -> int:
    from sqlalchemy import select

    from strideback.activities.series_codec import encode_series
    from strideback.domain import Series
    from strideback.store.activities import ActivityRow, ActivitySeries

    rng = np.random.default_rng(seed)
    with db.session() as session:
        have = set(session.scalars(select(ActivitySeries.activity_id)))
        ids = [
            i
            for i in session.scalars(select(ActivityRow.id).order_by(ActivityRow.id))
            if i not in have
        ][:count]
        t = np.arange(0, 3600, 1.0)
        for activity_id in ids:
            speed = 3.0 + rng.normal(0, 0.1, t.size)
            cols = {
                "t_s": t,
                "distance_m": np.cumsum(speed),
                "speed_mps": speed,
                "altitude_m": 200 + rng.normal(0, 1, t.size).cumsum() * 0.1,
                "hr_bpm": 140 + rng.normal(0, 2, t.size),
                "cadence_spm": 168 + rng.normal(0, 2, t.size),
                "lat": 55.6 + np.cumsum(rng.normal(0, 1e-5, t.size)),
                "lon": 12.5 + np.cumsum(rng.normal(0, 1e-5, t.size)),
            }
            session.add(
                ActivitySeries(
                    activity_id=activity_id, n_samples=t.size, data=encode_series(Series(cols))
                )
            )
    return len(ids)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--series", type=int, default=300)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="strideback-bench-backup-"))
    os.environ["STRIDEBACK_HOME"] = str(root / "home1")
    from strideback.activities.service import import_paths
    from strideback.backup import export_backup, restore_backup
    from strideback.store.db import close_all, open_database

    today = dt.date.today()
    db = open_database(f"sqlite:///{root / 'one.sqlite3'}")
    files = sorted(
        p for p in CORPUS.iterdir() if p.suffix.lower() in (".fit", ".gpx", ".tcx", ".gz")
    )
    imported = sum(r.status == "imported" for r in import_paths(db, files)) if files else 0
    synthetic_history(db, args.runs, today)
    series = add_series(db, args.series)
    diary_days = synthetic_diary(db, today)
    print(f"history: {args.runs} synthetic runs + {imported} real activities, "
          f"{series} extra series, {diary_days} diary days")  # fmt: skip

    start = time.perf_counter()
    first = export_backup(db, root / "first.zip")
    t_export = time.perf_counter() - start
    size = (root / "first.zip").stat().st_size
    rows = sum(first.rows.values())
    print(f"export:  {t_export:6.2f} s  {rows} rows  {size / 2**20:.1f} MiB")

    close_all()
    os.environ["STRIDEBACK_HOME"] = str(root / "home2")
    fresh = open_database(f"sqlite:///{root / 'two.sqlite3'}")
    start = time.perf_counter()
    restore_backup(fresh, root / "first.zip")
    t_restore = time.perf_counter() - start
    print(f"restore: {t_restore:6.2f} s  (checks every row, then writes in one transaction)")
    start = time.perf_counter()
    merged = restore_backup(fresh, root / "first.zip", mode="merge")
    t_merge = time.perf_counter() - start
    print(f"merge again (all rows already there): {t_merge:6.2f} s, "
          f"{sum(merged.written.values())} rows written")  # fmt: skip
    second = export_backup(fresh, root / "second.zip")
    same = second.content_sha256 == first.content_sha256
    print(f"round trip: content checksums {'identical' if same else 'DIFFER'}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
