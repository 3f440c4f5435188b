"""Series <-> one compact blob per activity (not a row per sample).

Each column is quantised to integers at a stated resolution (below the sensors' own
precision), delta-encoded (consecutive samples differ little) with missing samples in a
bit mask, packed as an .npz and zlib-compressed as one blob (level 1: fast, and the deltas
compress well anyway).
"""

from __future__ import annotations

import io
import zlib

import numpy as np

from strideback.activities.arrays import Array
from strideback.domain import SERIES_COLUMNS, Series

# column -> integer units per stored unit (resolution = 1 / scale)
RESOLUTION = {
    "t_s": 1000,  # 1 ms
    "distance_m": 100,  # 1 cm
    "altitude_m": 100,  # 1 cm
    "speed_mps": 1000,  # 1 mm/s
    "hr_bpm": 10,
    "cadence_spm": 100,
    "lat": 10_000_000,  # 1e-7 degree (~1 cm)
    "lon": 10_000_000,
}
FORMAT_VERSION = 2
MAX_ABS = 2.0**52  # integers above this lose precision as floats: such a sample is not real
ZLIB_LEVEL = 1


def encode_series(series: Series) -> bytes:
    n = len(series)
    arrays: dict[str, Array] = {"meta": np.array([FORMAT_VERSION, n], dtype=np.int64)}
    for name in SERIES_COLUMNS:
        values = series.columns.get(name)
        if values is None or len(values) == 0:
            continue
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            # NaN, +-inf and values too large for the integer encoding are "missing"
            valid = np.isfinite(values) & (np.abs(values) < MAX_ABS / RESOLUTION[name])
        if not valid.any():
            continue
        ints = np.round(values[valid] * RESOLUTION[name]).astype(np.int64)
        deltas = np.diff(ints, prepend=0)
        small = np.abs(deltas).max(initial=0) < 2**31
        arrays[name] = deltas.astype(np.int32) if small else deltas
        if not valid.all():
            arrays[name + ".valid"] = np.packbits(valid)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return zlib.compress(buffer.getvalue(), ZLIB_LEVEL)


def decode_series(blob: bytes) -> Series:
    columns: dict[str, Array] = {}
    with np.load(io.BytesIO(zlib.decompress(blob)), allow_pickle=False) as npz:
        n = int(npz["meta"][1])
        for name in SERIES_COLUMNS:
            if name not in npz.files:
                columns[name] = np.full(n, np.nan)
                continue
            values = np.cumsum(npz[name].astype(np.int64)) / RESOLUTION[name]
            if name + ".valid" in npz.files:
                valid = np.unpackbits(npz[name + ".valid"], count=n).astype(bool)
                full = np.full(n, np.nan)
                full[valid] = values
                values = full
            columns[name] = values
    return Series(columns=columns)
