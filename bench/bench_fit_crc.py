"""Bad-CRC FIT files: decode time per MB at growing sizes (linear means the same figure).

    PYTHONPATH=src .venv/bin/python bench/bench_fit_crc.py

A real device FIT file with its final CRC broken, chained 1, 4 and 16 times (a chained FIT file
holding the same activity repeatedly); each imported with `parse_item`. Before issue 10 such a
file cost two full fitdecode passes (about 3.6 s per MB); now the fast decoder reads it in one
pass with a note.
"""

from __future__ import annotations

import time
from pathlib import Path

from strideback.activities.parse import parse_item
from strideback.activities.sources import FileItem

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "activities"
SEED = "Runalyze__garmin-runPower.fit"


def main() -> None:
    good = (CORPUS / SEED).read_bytes()
    bad = good[:-2] + bytes([good[-2] ^ 0xFF, good[-1]])
    for copies in (1, 4, 16):
        data = bad * copies
        t0 = time.perf_counter()
        parsed = parse_item(FileItem(name="bad-crc.fit", data=data))
        took = time.perf_counter() - t0
        mb = len(data) / 1e6
        print(
            f"{copies:2d} x {SEED}: {mb:5.1f} MB in {took:5.2f} s = {took / mb:.3f} s/MB"
            f" ({parsed.status}, decoder {parsed.decoder}, notes: {parsed.notes[:1]})"
        )


if __name__ == "__main__":
    main()
