"""Number formatting for the pages: distances in km or miles, durations, paces."""

from __future__ import annotations

import datetime as dt
import math

METRES_PER_MILE = 1609.344


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def unit_metres(units: str) -> float:
    return METRES_PER_MILE if units == "mi" else 1000.0


def distance(metres: float | None, units: str = "km", digits: int = 1) -> str:
    if metres is None or _missing(metres):
        return "–"
    return f"{metres / unit_metres(units):.{digits}f} {units}"


def duration(seconds: float | None) -> str:
    if seconds is None or _missing(seconds):
        return "–"
    total = int(round(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def pace(distance_m: float | None, seconds: float | None, units: str = "km") -> str:
    if _missing(distance_m) or _missing(seconds) or not distance_m or not seconds:
        return "–"
    per_unit = seconds / (distance_m / unit_metres(units))
    if per_unit > 3600:
        return "–"
    m, s = divmod(int(round(per_unit)), 60)
    return f"{m}:{s:02d} /{units}"


def number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    if _missing(value):
        return "–"
    return f"{value:.{digits}f}{suffix}"


def when(value: dt.datetime | dt.date | str | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
