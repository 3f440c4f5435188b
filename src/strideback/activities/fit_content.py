"""What we keep from a FIT file, decoder-independent.

Both decoders (`fit_fast`, numpy; `fit_slow`, fitdecode) fill this same structure with the
same units (FIT profile scale/offset applied, enums as fitdecode's names, times as Unix
seconds), so `fit_build` turns either into identical activities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fitdecode import profile

from strideback.activities.arrays import Array

FIT_EPOCH_S = 631_065_600  # 1989-12-31T00:00:00Z in Unix seconds

MSG_FILE_ID, MSG_SPORT, MSG_SESSION, MSG_LAP, MSG_RECORD, MSG_ACTIVITY = 0, 12, 18, 19, 20, 34


def _numbers(message: int, *names: str) -> dict[str, int]:
    """FIT profile field numbers by name (from fitdecode's profile: one source of truth)."""
    by_name = {f.name: num for num, f in profile.MESSAGE_TYPES[message].fields.items()}
    return {name: by_name[name] for name in names}


# Fields we use, by FIT profile name -> field number.
SESSION_FIELDS = _numbers(
    MSG_SESSION,
    "timestamp",
    "start_time",
    "sport",
    "sub_sport",
    "total_elapsed_time",
    "total_timer_time",
    "total_distance",
    "avg_heart_rate",
    "max_heart_rate",
    "avg_cadence",
    "total_ascent",
    "total_descent",
    "avg_fractional_cadence",
)
LAP_FIELDS = _numbers(
    MSG_LAP,
    "timestamp",
    "start_time",
    "total_elapsed_time",
    "total_timer_time",
    "total_distance",
    "total_ascent",
    "total_descent",
    "avg_heart_rate",
    "avg_cadence",
    "avg_fractional_cadence",
)
SPORT_FIELDS = _numbers(MSG_SPORT, "sport", "sub_sport")
FILE_ID_FIELDS = _numbers(MSG_FILE_ID, "type", "manufacturer")
ACTIVITY_FIELDS = _numbers(MSG_ACTIVITY, "timestamp", "local_timestamp")
_RECORD = _numbers(
    MSG_RECORD,
    "timestamp",
    "position_lat",
    "position_long",
    "altitude",
    "enhanced_altitude",
    "heart_rate",
    "cadence",
    "distance",
    "speed",
    "enhanced_speed",
    "fractional_cadence",
    "compressed_speed_distance",
)
# Record columns we keep -> (field number, enhanced field number or None).
RECORD_FIELDS = {
    name: (_RECORD[name], _RECORD.get("enhanced_" + name))
    for name in (
        "timestamp",
        "position_lat",
        "position_long",
        "altitude",
        "heart_rate",
        "cadence",
        "distance",
        "speed",
        "fractional_cadence",
    )
}
RECORD_COMPRESSED_SPEED_DISTANCE = _RECORD["compressed_speed_distance"]
# fitdecode renames some fields to their sub-field for some sports (same raw value).
SUBFIELD_ALIASES = {"avg_cadence": ("avg_running_cadence",)}
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
    records: dict[str, Array] = field(default_factory=dict)
    local_offset_s: int | None = None
    notes: list[str] = field(default_factory=list)
    decoder: str = ""

    @property
    def n_records(self) -> int:
        return len(self.records.get("timestamp", ()))


def local_offset(timestamp_s: float | None, local_timestamp_s: float | None) -> int | None:
    """Local UTC offset from the activity message, rounded to 15 minutes (None if implausible)."""
    if timestamp_s is None or local_timestamp_s is None:
        return None
    offset = round((local_timestamp_s - timestamp_s) / 900.0) * 900
    return int(offset) if abs(offset) <= 14 * 3600 else None
