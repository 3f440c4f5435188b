"""The runner's local UTC offset from where an activity started (offline, no network).

FIT files say their local offset (activity.local_timestamp); GPX and TCX do not, and the
offset some exporters write into their timestamps is not reliable (the corpus has a Polar TCX
stamped +01:00 for a run in Poland in April, when Poland is on +02:00). So for an activity
without a device offset we look up the time zone of its first GPS fix with tzfpy (time-zone
polygons compiled into its wheel: no download, no network) and take that zone's offset at
the activity's start from the IANA database (zoneinfo; the `tzdata` package where the system
has none). Daylight saving is therefore right for the date of the run. No GPS fix: no offset
(the activity stays on UTC).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from strideback.domain import Activity

MAX_OFFSET_S = 14 * 3600


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def time_zone_at(lat: float, lon: float) -> str | None:
    """IANA time-zone name at a position (e.g. "Europe/Berlin"), None when unknown."""
    if not (np.isfinite(lat) and np.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0.0 and lon == 0.0:  # "null island": a missing fix written as zeros
        return None
    from tzfpy import get_tz  # imported here: the finder is built on first use

    return get_tz(float(lon), float(lat)) or None


def utc_offset_at(lat: float, lon: float, when: dt.datetime) -> int | None:
    """Seconds east of UTC at that position and instant (daylight saving included)."""
    name = time_zone_at(lat, lon)
    zone = _zone(name) if name else None
    if zone is None:
        return None
    instant = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    try:
        offset = instant.astimezone(zone).utcoffset()
    except (OverflowError, ValueError, OSError):  # a date at the edge of what datetime holds
        return None
    if offset is None:
        return None
    seconds = int(offset.total_seconds())
    return seconds if abs(seconds) <= MAX_OFFSET_S else None


def first_fix(activity: Activity) -> tuple[float, float] | None:
    """(lat, lon) of the activity's first valid GPS fix, from its series."""
    lat = activity.series.columns.get("lat")
    lon = activity.series.columns.get("lon")
    if lat is None or lon is None or len(lat) == 0:
        return None
    ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon) & ((lat != 0.0) | (lon != 0.0)))
    if len(ok) == 0:
        return None
    return float(lat[ok[0]]), float(lon[ok[0]])


def fill_local_offset(activity: Activity) -> None:
    """Give an activity without a device offset the offset of its starting place, if known."""
    if activity.utc_offset_s is not None:
        activity.provenance.setdefault("utc_offset_s", "device")
        return
    fix = first_fix(activity)
    if fix is None:
        return
    offset = utc_offset_at(fix[0], fix[1], activity.start)
    if offset is not None:
        activity.utc_offset_s = offset
        activity.provenance["utc_offset_s"] = "time-zone-of-start-position"
