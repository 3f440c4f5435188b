"""Laps: fill what a lap lacks from the activity's series, and store laps as compact JSON.

Where laps come from: FIT `lap` messages (the device's totals), TCX `<Lap>` elements (their
TotalTimeSeconds / DistanceMeters / AverageHeartRateBpm), GPX track segments (one lap per
`<trkseg>`, all derived). Whatever a lap does not say (e.g. ascent in TCX, everything in GPX)
is derived from the samples inside the lap's time window with the same rules as the
activity totals (see `derive`: median filter + hysteresis for elevation, gaps and slow
intervals excluded from moving time).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import numpy as np

from strideback.activities import derive
from strideback.activities.arrays import Array
from strideback.domain import Activity, Lap

LAP_FIELDS = (
    "elapsed_s",
    "distance_m",
    "moving_s",
    "ascent_m",
    "descent_m",
    "hr_bpm",
    "cadence_spm",
)


def _window(activity: Activity, index: int) -> tuple[float, float]:
    """A lap's time window in seconds since the activity start: [start, end)."""
    lap = activity.laps[index]
    lo = (lap.start - activity.start).total_seconds()
    hi = np.inf
    if index + 1 < len(activity.laps):
        hi = (activity.laps[index + 1].start - activity.start).total_seconds()
    if lap.elapsed_s is not None:
        hi = min(hi, lo + lap.elapsed_s + 1.0)
    return lo, hi


def _part(columns: dict[str, Array], name: str, mask: Array) -> Array | None:
    values = columns.get(name)
    if values is None:
        return None
    part = values[mask]
    return None if np.all(np.isnan(part)) else part


def fill_lap_totals(activity: Activity) -> None:
    """Fill each lap's missing totals from the series samples inside its window."""
    t = activity.series.columns.get("t_s")
    if t is None or len(t) == 0 or not activity.laps:
        return
    activity.laps.sort(key=lambda lap: lap.start)
    columns = activity.series.columns
    for i, lap in enumerate(activity.laps):
        lo, hi = _window(activity, i)
        mask = (t >= lo) & (t < hi)
        if mask.sum() < 2:
            continue
        ts, dist = t[mask], _part(columns, "distance_m", mask)
        if lap.elapsed_s is None:
            lap.elapsed_s = float(ts[-1] - ts[0])
        if lap.distance_m is None:
            lap.distance_m = derive.distance_span_m(dist)
        if lap.moving_s is None:
            lap.moving_s = derive.moving_time_s(ts, dist)
        if lap.ascent_m is None or lap.descent_m is None:
            alt = _part(columns, "altitude_m", mask)
            gain = derive.elevation_gain_loss(alt) if alt is not None else None
            if gain is not None:
                lap.ascent_m = gain[0] if lap.ascent_m is None else lap.ascent_m
                lap.descent_m = gain[1] if lap.descent_m is None else lap.descent_m
        if lap.hr_bpm is None:
            lap.hr_bpm = derive.nan_mean(_part(columns, "hr_bpm", mask))
        if lap.cadence_spm is None:
            lap.cadence_spm = derive.nan_mean(_part(columns, "cadence_spm", mask))


def laps_to_json(laps: Sequence[Lap]) -> str | None:
    """Compact JSON (start as ISO UTC, None fields left out); None when there are no laps."""
    if not laps:
        return None
    out = []
    for lap in laps:
        item: dict[str, object] = {"start": lap.start.astimezone(dt.UTC).isoformat()}
        for name in LAP_FIELDS:
            value = getattr(lap, name)
            if value is not None and np.isfinite(value):
                item[name] = round(float(value), 3)
        out.append(item)
    return json.dumps(out, separators=(",", ":"))


def laps_from_json(text: str | None) -> list[Lap]:
    if not text:
        return []
    return [
        Lap(
            start=dt.datetime.fromisoformat(item["start"]),
            **{name: item.get(name) for name in LAP_FIELDS},
        )
        for item in json.loads(text)
    ]
