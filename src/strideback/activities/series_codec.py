"""Series <-> one compact blob per activity (not a row per sample).

Each column is quantised to integers at a stated resolution (below the sensors' own
precision), NaN kept as a sentinel, delta-encoded and stored in a zlib-compressed .npz:
consecutive samples differ little, so the deltas compress very well.
"""

from __future__ import annotations

import io

import numpy as np

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
MISSING = np.iinfo(np.int64).min // 4
FORMAT_VERSION = 1


def encode_series(series: Series) -> bytes:
    arrays: dict[str, np.ndarray] = {"version": np.array([FORMAT_VERSION])}
    for name in SERIES_COLUMNS:
        values = series.columns.get(name)
        if values is None or len(values) == 0 or np.all(np.isnan(values)):
            continue
        values = np.asarray(values, dtype=np.float64)
        ints = np.where(
            np.isnan(values), MISSING, np.round(np.nan_to_num(values) * RESOLUTION[name])
        ).astype(np.int64)
        arrays[name] = np.diff(ints, prepend=0)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def decode_series(blob: bytes) -> Series:
    columns: dict[str, np.ndarray] = {}
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        for name in npz.files:
            if name not in RESOLUTION:
                continue
            ints = np.cumsum(npz[name])
            values = ints.astype(np.float64) / RESOLUTION[name]
            values[ints == MISSING] = np.nan
            columns[name] = values
    n = len(columns.get("t_s", ()))
    for name in SERIES_COLUMNS:
        columns.setdefault(name, np.full(n, np.nan))
    return Series(columns=columns)
