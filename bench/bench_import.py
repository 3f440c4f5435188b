"""Import benchmark: the shared corpus plus a synthetic 10-year history, against fitdecode.

    .venv/bin/python bench/bench_import.py [--files 3000] [--workers N] [--fitdecode-sample 40]

The synthetic history is made honestly from real files: each copy is a real running FIT file
from ../shared/data/activities with every FIT date_time field shifted (so runs fall every
~29 hours across 10 years) and its CRCs recomputed (`shift_fit_times`); fitdecode reads the
copies like any device file. Reported: files/s, MB/s, samples/s, peak RSS of this process and
of the worker processes, next to plain fitdecode decoding (every message) measured in the same
run. fitdecode is too slow to read all 3,000 copies (~25 min), so its throughput is measured on
the whole corpus plus a random sample of copies, and the import's summaries are compared with
fitdecode's on that sample (identical summaries are required, not assumed).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import fitdecode

from strideback.activities.fit_build import build_fit_activities
from strideback.activities.fit_fast import FastPathDeclined, decode_fit_fast, shift_fit_times
from strideback.activities.fit_slow import decode_fit_slow
from strideback.activities.laps import fill_lap_totals
from strideback.activities.local_time import fill_local_offset
from strideback.activities.service import import_paths, list_activities
from strideback.domain import ACTIVITY_SUMMARY_FIELDS
from strideback.store.db import open_database

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "activities"
HISTORY_START = dt.datetime(2015, 1, 5, 7, 0, tzinfo=dt.UTC)
HISTORY_YEARS = 10
SUMMARY_FIELDS = (*ACTIVITY_SUMMARY_FIELDS, "n_laps")


def source_runs(corpus: Path = CORPUS) -> list[Path]:
    """Real device-written running FIT files the history copies are made from."""
    with (corpus / "MANIFEST.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    picked = []
    for row in rows:
        if row["format"] != "fit" or row["category"] not in ("run", "treadmill"):
            continue
        if not row["total_distance_m"] or float(row["total_distance_m"]) < 1000:
            continue
        if "NOT device-written" in row["notes"]:
            continue
        data = (corpus / row["file"]).read_bytes()
        try:
            decode_fit_fast(data)
        except FastPathDeclined:
            continue  # time shifting needs the plain layout (no compressed timestamps)
        picked.append(corpus / row["file"])
    return picked


def make_history(folder: Path, n_files: int = 3000, corpus: Path = CORPUS) -> list[Path]:
    """Write `n_files` running FIT files spread over 10 years into `folder`; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    sources = [(p, p.read_bytes()) for p in source_runs(corpus)]
    starts = {}
    for path, data in sources:
        starts[path] = build_fit_activities(decode_fit_fast(data))[0].start
    step = dt.timedelta(days=365.25 * HISTORY_YEARS) / n_files
    paths = []
    for i in range(n_files):
        path, data = sources[i % len(sources)]
        target = HISTORY_START + i * step
        delta = int((target - starts[path]).total_seconds())
        out = folder / f"run_{i:05d}_{path.stem[:30]}.fit"
        out.write_bytes(shift_fit_times(data, delta))
        paths.append(out)
    return paths


def import_history(
    db_url: str, folder: Path, n_files: int = 3000, workers: int | None = None
) -> int:
    """Make the synthetic history in `folder` and import it into `db_url` (for the load bench).

    Returns the number of activities imported.
    """
    paths = make_history(folder, n_files)
    results = import_paths(open_database(db_url), paths, workers=workers)
    return sum(r.status == "imported" for r in results)


def fitdecode_throughput(paths: list[Path]) -> tuple[float, int, int]:
    """(seconds, bytes, records) for plain fitdecode reading every message of `paths`."""
    warnings.simplefilter("ignore")  # fitdecode warns per damaged message
    t0 = time.perf_counter()
    size = records = 0
    for path in paths:
        data = path.read_bytes()
        size += len(data)
        try:
            with fitdecode.FitReader(io.BytesIO(data)) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                        records += 1
        except (fitdecode.FitError, ValueError, KeyError, IndexError, TypeError, EOFError):
            pass  # corrupt corpus files: fitdecode gives up part-way, as it would anyway
    return time.perf_counter() - t0, size, records


def _cpu_s() -> float:
    """CPU seconds used by this process and its finished children (the import workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def timed_import(db_url: str, paths: list[Path], workers: int | None) -> dict:
    db = open_database(db_url)
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    results = import_paths(db, paths, workers=workers)
    seconds = time.perf_counter() - t0
    cpu = _cpu_s() - cpu0
    files = [Path(p) for p in paths]
    size = sum(p.stat().st_size for p in (f for f in files if f.is_file()))
    for folder in (f for f in files if f.is_dir()):
        size += sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    samples = 0
    with db.engine.connect() as conn:
        samples = conn.exec_driver_sql(
            "SELECT COALESCE(SUM(n_samples),0) FROM activity_series"
        ).scalar_one()
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return {
        "seconds": seconds,
        "cpu": cpu,
        "bytes": size,
        "samples": samples,
        "results": results,
        "statuses": statuses,
        "db": db,
    }


def compare_summaries(db, sample: list[Path]) -> tuple[int, list[str]]:
    """Stored summaries vs fitdecode-path summaries for the sample; returns (compared, diffs)."""
    stored = {Path(s.source_file).name: s for s in list_activities(db)}
    diffs = []
    for path in sample:
        reference = build_fit_activities(decode_fit_slow(path.read_bytes()))[0]
        fill_lap_totals(reference)  # the same post-processing as the importer's
        fill_local_offset(reference)
        expected = {field: getattr(reference, field, None) for field in SUMMARY_FIELDS}
        expected["n_laps"] = len(reference.laps)
        row = stored.get(path.name)
        if row is None:
            diffs.append(f"{path.name}: not stored")
            continue
        mine = {
            "sport": row.sport,
            "sub_sport": row.sub_sport,
            "start": row.start_time,
            "distance_m": row.distance_m,
            "elapsed_s": row.elapsed_s,
            "moving_s": row.moving_s,
            "ascent_m": row.ascent_m,
            "descent_m": row.descent_m,
            "cadence_spm": row.avg_cadence_spm,
            "hr_bpm": row.avg_hr_bpm,
            "utc_offset_s": row.utc_offset_s,
            "n_laps": row.n_laps,
        }
        for field in SUMMARY_FIELDS:
            if mine[field] != expected[field]:
                diffs.append(f"{path.name}.{field}: {mine[field]} != {expected[field]}")
    return len(sample), diffs


def _line(label: str, seconds: float, files: int, size: int, samples: int) -> str:
    return (
        f"{label:<34} {files:6d} files {seconds:8.2f} s  {files / seconds:8.1f} files/s  "
        f"{size / 1e6 / seconds:7.2f} MB/s  {samples / seconds:10.0f} samples/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000, help="synthetic history size")
    parser.add_argument("--workers", type=int, default=None, help="import worker processes")
    parser.add_argument(
        "--fitdecode-sample", type=int, default=40, help="history copies also decoded by fitdecode"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the history files here")
    args = parser.parse_args(argv)
    if not (CORPUS / "MANIFEST.csv").is_file():
        print(f"corpus not found: {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="strideback-bench-") as tmp:
        tmp_path = Path(tmp)
        folder = args.keep or tmp_path / "history"
        t0 = time.perf_counter()
        history = make_history(folder, args.files)
        print(
            f"made {len(history)} synthetic run files "
            f"({sum(p.stat().st_size for p in history) / 1e6:.0f} MB) in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        corpus = timed_import(f"sqlite:///{tmp_path / 'corpus.sqlite3'}", [CORPUS], args.workers)
        n_corpus = sum(corpus["statuses"].values())
        print(
            _line(
                "import: shared corpus (all formats)",
                corpus["seconds"],
                n_corpus,
                corpus["bytes"],
                corpus["samples"],
            ),
            corpus["statuses"],
        )
        hist = timed_import(f"sqlite:///{tmp_path / 'history.sqlite3'}", [folder], args.workers)
        print(
            _line(
                "import: 10-year history (FIT)",
                hist["seconds"],
                len(history),
                hist["bytes"],
                hist["samples"],
            ),
            hist["statuses"],
        )
        own, children = _rss_mb()
        print(f"peak RSS: {own:.0f} MB (main process), {children:.0f} MB (largest worker)")
        corpus_fit = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() == ".fit")
        s1, b1, r1 = fitdecode_throughput(corpus_fit)
        print(_line("fitdecode: corpus FIT files", s1, len(corpus_fit), b1, r1))
        sample = random.Random(1).sample(history, min(args.fitdecode_sample, len(history)))
        s2, b2, r2 = fitdecode_throughput(sample)
        print(_line("fitdecode: sample of history files", s2, len(sample), b2, r2))
        fd_rate = b2 / s2
        est = hist["bytes"] / fd_rate
        cpu_rate = hist["bytes"] / hist["cpu"]
        print(
            f"import CPU time {hist['cpu']:.1f} s for the history: {cpu_rate / 1e6:.2f} MB per "
            f"CPU-second = x{cpu_rate / fd_rate:.1f} fitdecode's single-core rate"
        )
        print(
            f"fitdecode would need ~{est:.0f} s for the whole history "
            f"(at its sample rate {fd_rate / 1e6:.2f} MB/s); import took "
            f"{hist['seconds']:.1f} s: speed-up x{est / hist['seconds']:.1f} "
            f"(target >= x10; 3,000 files <= 60 s)"
        )
        compared, diffs = compare_summaries(hist["db"], sample)
        print(
            f"summaries vs fitdecode on {compared} sampled files: "
            + ("identical" if not diffs else f"{len(diffs)} differences")
        )
        for diff in diffs[:10]:
            print("  ", diff)
        for result in (corpus, hist):
            result["db"].dispose()
    return 0 if not diffs else 1


if __name__ == "__main__":
    sys.exit(main())
