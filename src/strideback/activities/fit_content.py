"""What we keep from a FIT file, decoder-independent.

Both decoders (`fit_fast`, numpy; `fit_slow`, fitdecode) fill this same structure with the
same units (FIT profile scale/offset applied, enums as fitdecode's names, times as Unix
seconds), so `fit_build` turns either into identical activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

FIT_EPOCH_S = 631_065_600  # 1989-12-31T00:00:00Z in Unix seconds

# Session fields we use (FIT profile names) -> field number in the session message (18).
SESSION_FIELDS = {
    "timestamp": 253,
    "start_time": 2,
    "sport": 5,
    "sub_sport": 6,
    "total_elapsed_time": 7,
    "total_timer_time": 8,
    "total_distance": 9,
    "avg_heart_rate": 16,
    "max_heart_rate": 17,
    "avg_cadence": 18,
    "total_ascent": 22,
    "total_descent": 23,
    "avg_fractional_cadence": 41,
}
LAP_FIELDS = {"timestamp": 253, "start_time": 2, "total_elapsed_time": 7, "total_distance": 9}
SPORT_FIELDS = {"sport": 0, "sub_sport": 1}
# Record columns we keep -> (field number, enhanced field number or None).
RECORD_FIELDS = {
    "timestamp": (253, None),
    "position_lat": (0, None),
    "position_long": (1, None),
    "altitude": (2, 78),
    "heart_rate": (3, None),
    "cadence": (4, None),
    "distance": (5, None),
    "speed": (6, 73),
    "fractional_cadence": (53, None),
}
SEMICIRCLE_DEG = 180.0 / 2**31


@dataclass
class FitContent:
    file_types: list[str] = field(default_factory=list)
    manufacturer: str | None = None
    sessions: list[dict[str, Any]] = field(default_factory=list)
    laps: list[dict[str, Any]] = field(default_factory=list)
    sports: list[dict[str, Any]] = field(default_factory=list)
    # Record columns (keys of RECORD_FIELDS), float64 arrays with NaN where missing;
    # timestamp in Unix seconds, positions in degrees.
    records: dict[str, np.ndarray] = field(default_factory=dict)
    local_offset_s: int | None = None
    notes: list[str] = field(default_factory=list)
    decoder: str = ""

    @property
    def n_records(self) -> int:
        return len(self.records.get("timestamp", ()))


def empty_records() -> dict[str, np.ndarray]:
    return {name: np.empty(0) for name in RECORD_FIELDS}


def local_offset(timestamp_s: float | None, local_timestamp_s: float | None) -> int | None:
    """Local UTC offset from the activity message, rounded to 15 minutes (None if implausible)."""
    if timestamp_s is None or local_timestamp_s is None:
        return None
    offset = round((local_timestamp_s - timestamp_s) / 900.0) * 900
    return int(offset) if abs(offset) <= 14 * 3600 else None
