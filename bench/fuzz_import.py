"""Fuzz campaign: thousands of mutated real files through the whole import (seeded).

    PYTHONPATH=src .venv/bin/python bench/fuzz_import.py [--scale 1.0] [--seed 10]

Default counts (scale 1.0): FIT 3,000, GPX 1,200, TCX 1,200, gz 500, zip 700 = 6,600 inputs,
made from the corpus files in ../shared/data/activities by seeded byte-level mutations (bit
flips, overwrites, insertions, deletions, truncation, repeated runs) and format-aware ones
(XML numbers and dates replaced by extreme values, FIT bytes set to 0xFF / 0x00 runs, zip
members damaged). Each input is imported on its own with `import_paths` into one database.
Printed: inputs tried, imported, clean errors (one line), skips, escapes (an exception out of
`import_paths`), hangs (an input taking more than 10 s), and implausible values stored
(every stored activity, series included, checked against activities/bounds.yaml).
Target: 0 escapes, 0 hangs, 0 implausible values stored.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import gzip
import io
import random
import re
import sys
import tempfile
import time
import traceback
import zipfile
from pathlib import Path

from strideback.activities.bounds import violations
from strideback.activities.service import get_activity, import_paths, list_activities
from strideback.store.db import open_database

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "activities"
COUNTS = {"fit": 3000, "gpx": 1200, "tcx": 1200, "gz": 500, "zip": 700}
HANG_S = 10.0
MAX_SEED_BYTES = 400_000  # bigger seeds only slow the campaign down
EXTREMES = [b"1e308", b"-1e308", b"inf", b"nan", b"-99999999", b"0", b"99999999999999999999"]
DATES = [b"0002-01-01T00:00:00Z", b"2126-06-01T00:00:00Z", b"1901-12-13T20:45:52Z"]


def seeds(kind: str) -> list[bytes]:
    suffix = {"fit": ".fit", "gpx": ".gpx", "tcx": ".tcx", "gz": ".fit", "zip": ".fit"}[kind]
    files = sorted(
        p
        for p in CORPUS.iterdir()
        if p.name.lower().endswith(suffix) and p.stat().st_size <= MAX_SEED_BYTES
    )
    return [p.read_bytes() for p in files]


def byte_mutation(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not out:
            return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 64)))
        at = rng.randrange(len(out))
        op = rng.randrange(7)
        if op == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[at] = rng.getrandbits(8)
        elif op == 2:
            out[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 32)))
        elif op == 3:
            del out[at : at + rng.randint(1, 256)]
        elif op == 4:
            del out[at:]
        elif op == 5:
            out[at:at] = out[at : at + rng.randint(1, 64)] * rng.randint(1, 20)
        else:
            run = rng.randint(1, 16)
            out[at : at + run] = bytes([rng.choice((0x00, 0xFF, 0x7F))]) * run
    return bytes(out)


NUMBER = re.compile(rb">-?\d+(\.\d+)?<")
TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")


def xml_mutation(rng: random.Random, data: bytes) -> bytes:
    """Replace some numbers or times with extreme values, then maybe a byte mutation too."""
    out = data
    pattern = NUMBER if rng.random() < 0.6 else TIME
    matches = list(pattern.finditer(out))
    if matches:
        for match in rng.sample(matches, min(len(matches), rng.randint(1, 20))):
            new = rng.choice(DATES) if pattern is TIME else b">" + rng.choice(EXTREMES) + b"<"
            out = out.replace(match.group(0), new, 1)
    return byte_mutation(rng, out) if rng.random() < 0.3 else out


def zip_input(rng: random.Random, fits: list[bytes], gpx: list[bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "activities.csv",
            "Activity ID,Activity Name,Activity Type,Filename\n1,Run,Run,activities/1.fit\n",
        )
        for i in range(rng.randint(1, 4)):
            member = rng.choice(fits)
            if rng.random() < 0.5:
                member = byte_mutation(rng, member)
            zf.writestr(f"activities/{i}.fit", member)
        if rng.random() < 0.5:
            zf.writestr("activities/x.gpx", xml_mutation(rng, rng.choice(gpx)))
    data = buffer.getvalue()
    return byte_mutation(rng, data) if rng.random() < 0.6 else data


def make_input(rng: random.Random, kind: str, pools: dict[str, list[bytes]]) -> bytes:
    if kind == "fit":
        return byte_mutation(rng, rng.choice(pools["fit"]))
    if kind in ("gpx", "tcx"):
        return xml_mutation(rng, rng.choice(pools[kind]))
    if kind == "gz":
        inner = byte_mutation(rng, rng.choice(pools["fit"]))
        packed = gzip.compress(inner, mtime=0)
        return byte_mutation(rng, packed) if rng.random() < 0.5 else packed
    return zip_input(rng, pools["fit"], pools["gpx"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of the default counts")
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pools = {kind: seeds(kind) for kind in ("fit", "gpx", "tcx")}
    counts = {kind: max(1, round(n * args.scale)) for kind, n in COUNTS.items()}
    tally: collections.Counter[str] = collections.Counter()
    escapes: collections.Counter[str] = collections.Counter()
    unexpected: collections.Counter[str] = collections.Counter()
    slowest = (0.0, "")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = open_database(f"sqlite:///{folder / 'fuzz.sqlite3'}")
        for kind, count in counts.items():
            suffix = {"gz": "fit.gz"}.get(kind, kind)
            for i in range(count):
                path = folder / f"{kind}-{i}.{suffix}"
                path.write_bytes(make_input(rng, kind, pools))
                t0 = time.perf_counter()
                try:
                    results = import_paths(db, [path], workers=1)
                except Exception as exc:  # noqa: BLE001 - what the campaign counts
                    escapes[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                    tally["escape"] += 1
                    traceback.print_exc(limit=3, file=sys.stderr)
                    results = []
                took = time.perf_counter() - t0
                slowest = max(slowest, (took, path.name))
                tally["tried"] += 1
                tally[f"tried {kind}"] += 1
                if took > HANG_S:
                    tally["hang"] += 1
                for result in results:
                    tally[result.status] += 1
                    if result.status == "error" and result.error:
                        if "\n" in result.error:
                            tally["multi-line error"] += 1
                        if result.error.startswith("unexpected"):
                            unexpected[result.error[:60]] += 1
                path.unlink()
        implausible = 0
        now = dt.datetime.now(dt.UTC)
        stored = list_activities(db)
        for summary in stored:
            found = violations(get_activity(db, summary.id), now)
            if found:
                implausible += 1
                print(f"implausible: activity {summary.id} {summary.source_file}: {found[:3]}")
    elapsed = time.perf_counter() - started
    print(
        f"seed {args.seed}, scale {args.scale}: " + ", ".join(f"{k} {n}" for k, n in counts.items())
    )
    print(f"inputs tried           {tally['tried']}")
    print(f"imported (activities)  {tally['imported']}  duplicate {tally['duplicate']}")
    print(f"clean errors           {tally['error']}  (multi-line: {tally['multi-line error']})")
    print(f"skipped                {tally['skipped']}")
    print(f"escapes                {tally['escape']}  {dict(escapes)}")
    slow_text = f"(slowest {slowest[0]:.2f} s, {slowest[1]})"
    print(f"hangs > {HANG_S:.0f} s          {tally['hang']}  {slow_text}")
    print(f"implausible stored     {implausible} of {len(stored)} stored activities")
    print(f"'unexpected' errors    {sum(unexpected.values())}")
    per_input = 1000 * elapsed / max(tally["tried"], 1)
    print(f"time                   {elapsed:.0f} s ({per_input:.0f} ms per input)")
    return 1 if tally["escape"] or tally["hang"] or implausible else 0


if __name__ == "__main__":
    raise SystemExit(main())
