"""Plausibility bounds on every stored value (the limits live in bounds.yaml, with sources).

Pure functions. `clean_activity` drops each out-of-range total, lap value and series sample
(NaN, infinities and absurd numbers never reach the database or JSON) and names every dropped
total in the provenance; the readers' output goes through it in `parse`. `refusal_reason`
(`now` passed in) says why an activity is not stored at all: a start date before 1990 or in
the future, or a fragment (an accidental start: under a minute, or a few metres of a sport
that travels); the import service skips such activities with that reason.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

from strideback.datafile import load_yaml
from strideback.domain import Activity, Lap

BOUNDS_FILE = Path(__file__).with_name("bounds.yaml")
Range = tuple[float, float]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateBounds(_Strict):
    earliest: dt.date
    latest_days_ahead: int


class FragmentBounds(_Strict):
    min_elapsed_s: float
    min_distance_m: float
    travel_sports: tuple[str, ...]
    indoor_sub_sports: tuple[str, ...]


class ActivityBounds(_Strict):
    distance_m: Range
    elapsed_s: Range
    moving_s: Range
    ascent_m: Range
    descent_m: Range
    hr_bpm: Range
    max_hr_bpm: Range
    cadence_spm: Range


class SeriesBounds(_Strict):
    distance_m: Range
    altitude_m: Range
    speed_mps: Range
    hr_bpm: Range
    cadence_spm: Range
    lat: Range
    lon: Range
    t_s: Range


class Bounds(_Strict):
    dates: DateBounds
    fragment: FragmentBounds
    max_activities_per_file: int
    activity: ActivityBounds
    max_avg_speed_mps: dict[str, float]
    series: SeriesBounds


@cache
def load_bounds(path: Path = BOUNDS_FILE) -> Bounds:
    return load_yaml(path, Bounds)


def in_range(value: float | None, bounds: Range) -> bool:
    """True for a finite number inside [low, high]."""
    if value is None or isinstance(value, bool):
        return False
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(number) and bounds[0] <= number <= bounds[1]


def date_reason(start: dt.datetime, now: dt.datetime, bounds: Bounds | None = None) -> str | None:
    """Why a start date cannot be real (before the earliest date, or in the future), or None."""
    b = bounds or load_bounds()
    earliest = dt.datetime.combine(b.dates.earliest, dt.time(), dt.UTC)
    latest = now + dt.timedelta(days=b.dates.latest_days_ahead)
    when = start if start.tzinfo else start.replace(tzinfo=dt.UTC)
    if when < earliest:
        return f"start date {when:%Y-%m-%d} is before {b.dates.earliest:%Y} (device clock not set?)"
    if when > latest:
        return f"start date {when:%Y-%m-%d} is in the future (device clock wrong?)"
    return None


def fragment_reason(activity: Activity, bounds: Bounds | None = None) -> str | None:
    """Why an activity is only a fragment (an accidental start), or None."""
    f = (bounds or load_bounds()).fragment
    duration = activity.elapsed_s if activity.elapsed_s is not None else activity.moving_s
    if duration is None or duration < f.min_elapsed_s:
        shown = "unknown" if duration is None else f"{duration:.0f} s"
        return f"fragment: duration {shown} is under {f.min_elapsed_s:.0f} s"
    indoor = (activity.sub_sport or "") in f.indoor_sub_sports
    if activity.sport in f.travel_sports and not indoor:
        distance = activity.distance_m
        if distance is not None and 0 < distance < f.min_distance_m:
            return (
                f"fragment: {activity.sport} of {distance:.0f} m is under {f.min_distance_m:.0f} m"
            )
    return None


def _clean_series(activity: Activity, b: Bounds) -> int:
    """Replace out-of-range or non-finite samples with NaN; the number replaced."""
    replaced = 0
    limits = b.series.model_dump()
    for name, values in list(activity.series.columns.items()):
        if name not in limits or values is None:
            continue
        arr = np.asarray(values, dtype=np.float64)
        lo, hi = limits[name]
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(arr) | (arr < lo) | (arr > hi)
        bad &= ~np.isnan(arr)
        if bad.any():
            replaced += int(bad.sum())
            arr = np.where(bad, np.nan, arr)
        activity.series.columns[name] = arr
    return replaced


def _clean_lap(lap: Lap, b: Bounds) -> None:
    limits = b.activity.model_dump()
    for name in ("elapsed_s", "distance_m", "moving_s", "ascent_m", "descent_m", "hr_bpm"):
        value = getattr(lap, name)
        if value is not None and not in_range(value, limits[name]):
            setattr(lap, name, None)
    if lap.cadence_spm is not None and not in_range(lap.cadence_spm, limits["cadence_spm"]):
        lap.cadence_spm = None


def _clean_totals(activity: Activity, b: Bounds) -> list[str]:
    dropped = []
    limits = b.activity.model_dump()
    for name, bounds in limits.items():
        value = getattr(activity, name)
        if value is not None and not in_range(value, bounds):
            dropped.append(f"{name} {value!r} outside {bounds[0]:g}..{bounds[1]:g}")
            setattr(activity, name, None)
            activity.provenance.pop(name, None)
    top = b.max_avg_speed_mps.get(activity.sport, b.max_avg_speed_mps.get("other", math.inf))
    time_s = activity.moving_s or activity.elapsed_s
    if activity.distance_m and time_s and activity.distance_m / time_s > top:
        dropped.append(
            f"distance_m {activity.distance_m:.0f} gives {activity.distance_m / time_s:.1f} m/s,"
            f" faster than {top:g} m/s for {activity.sport}"
        )
        activity.distance_m = None
        activity.provenance.pop("distance_m", None)
    return dropped


def clean_activity(activity: Activity, bounds: Bounds | None = None) -> None:
    """Drop implausible totals, lap values and series samples (named in the provenance)."""
    b = bounds or load_bounds()
    dropped = _clean_totals(activity, b)
    for lap in activity.laps:
        _clean_lap(lap, b)
    lo = dt.datetime.combine(b.dates.earliest, dt.time(), dt.UTC)
    try:  # laps after a device clock jump are real laps; laps years away are not
        hi = activity.start + dt.timedelta(days=366)
    except OverflowError:  # a start at the very edge of the calendar: refused later anyway
        hi = dt.datetime.max.replace(tzinfo=dt.UTC)
    activity.laps = [lap for lap in activity.laps if lo <= lap.start <= hi]
    if activity.utc_offset_s is not None and abs(activity.utc_offset_s) > 14 * 3600:
        activity.utc_offset_s = None
    replaced = _clean_series(activity, b)
    if dropped:
        activity.provenance["dropped"] = "; ".join(dropped)
    if replaced:
        activity.provenance["series_dropped"] = f"{replaced} implausible samples"


def refusal_reason(
    activity: Activity, now: dt.datetime, bounds: Bounds | None = None
) -> str | None:
    """Why an activity is not stored (a date outside the range, or only a fragment), or None."""
    b = bounds or load_bounds()
    return date_reason(activity.start, now, b) or fragment_reason(activity, b)


def check_activity(
    activity: Activity, now: dt.datetime, bounds: Bounds | None = None
) -> str | None:
    """Clean the activity's values; then why it is refused, or None."""
    clean_activity(activity, bounds)
    return refusal_reason(activity, now, bounds)


def dropped_note(activity: Activity) -> str | None:
    """The note for the user: which implausible values were dropped."""
    parts = [activity.provenance.get("dropped"), activity.provenance.get("series_dropped")]
    text = "; ".join(p for p in parts if p)
    return f"implausible values dropped: {text}" if text else None


def violations(activity: Activity, now: dt.datetime, bounds: Bounds | None = None) -> list[str]:
    """What in an activity (as stored) is outside the bounds: empty when all is plausible.

    For checks (tests and the fuzz campaign): the importer must never store anything listed.
    """
    b = bounds or load_bounds()
    found = []
    reason = date_reason(activity.start, now, b)
    if reason:
        found.append(reason)
    for name, limits in b.activity.model_dump().items():
        value = getattr(activity, name)
        if value is not None and not in_range(value, limits):
            found.append(f"{name}={value!r}")
    series_limits = b.series.model_dump()
    for name, values in activity.series.columns.items():
        arr = np.asarray(values, dtype=np.float64)
        if np.isinf(arr).any():
            found.append(f"series {name} holds infinity")
        finite = arr[np.isfinite(arr)]
        if name in series_limits and finite.size:
            lo, hi = series_limits[name]
            if finite.min() < lo - 1e-6 or finite.max() > hi + 1e-6:
                found.append(f"series {name} outside {lo:g}..{hi:g}")
    return found
