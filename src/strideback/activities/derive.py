"""Pure maths for totals a file does not give us: distance, moving time, elevation, cadence.

Every function takes numpy arrays (NaN = missing) and returns plain numbers. Device totals
are always preferred by the readers; these only fill gaps, and the reader records
"derived" in the activity's provenance when they do.
"""

from __future__ import annotations

import numpy as np

from strideback.activities.arrays import Array
from strideback.domain import SERIES_COLUMNS, Series

EARTH_RADIUS_M = 6_371_008.8

# Moving time: a sample interval counts as moving when it is shorter than GAP_S (longer
# intervals are recording pauses / auto-pause) and the speed over it is at least MIN_SPEED_MPS
# (slower than a slow walk = standing still).
GAP_S = 30.0
MIN_SPEED_MPS = 0.5

# Elevation: median filter over MEDIAN_WINDOW samples (removes single-sample GPS/barometer
# spikes), then a hysteresis of HYSTERESIS_M: a climb or descent is only counted once the
# altitude has moved at least that far from the last turning point, so sensor jitter of
# +-1-2 m adds nothing while real hills are counted in full (minus < HYSTERESIS_M per turn).
MEDIAN_WINDOW = 5
HYSTERESIS_M = 3.0

# Cadence: FIT (and Garmin TCX/GPX extension) running/walking cadence is per leg
# (strides/min); steps/min is twice that (FIT profile: cadence unit "rpm";
# ../shared/data/activities/README.md: "FIT running avg_cadence is stored per leg").
# A value that is only plausible as steps/min is NOT doubled again: per-leg running cadence
# is ~60-110, so a typical value >= 120 means the file already holds steps; per-leg walking
# cadence is ~40-70, so >= 80 means steps.
FOOT_SPORTS = ("running", "walking", "hiking")
ALREADY_STEPS_FROM = {"running": 120.0, "walking": 80.0, "hiking": 80.0}


# Altitudes outside this range are sensor/encoding garbage (FIT raw 0 decodes to -500 m; the
# lowest dry land, the Dead Sea shore, is about -430 m): treated as missing.
ALTITUDE_RANGE_M = (-450.0, 9000.0)


def plausible_altitude(altitude_m: Array) -> Array:
    """Altitude with impossible values replaced by NaN."""
    lo, hi = ALTITUDE_RANGE_M
    with np.errstate(invalid="ignore"):
        bad = (altitude_m < lo) | (altitude_m > hi)
    return np.where(bad, np.nan, altitude_m)


def haversine_m(lat: Array, lon: Array) -> Array:
    """Distance between consecutive points (len n-1), NaN where a point is missing."""
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    dlat, dlon = np.diff(lat_r), np.diff(lon_r)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat_r[:-1]) * np.cos(lat_r[1:]) * np.sin(dlon / 2) ** 2
    out: Array = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return out


def gps_distance_m(lat: Array, lon: Array, segment: Array | None = None) -> float | None:
    """Sum of great-circle steps between valid fixes (GPS-derived: only when no device distance).

    `segment` (one id per sample) stops steps across track-segment breaks from counting.
    """
    cum = cumulative_gps_distance(lat, lon, segment)
    valid = cum[~np.isnan(cum)]
    return float(valid[-1]) if len(valid) >= 2 else None


def cumulative_gps_distance(lat: Array, lon: Array, segment: Array | None = None) -> Array:
    """Cumulative distance per sample from GPS fixes (NaN before the first fix)."""
    out = np.full(len(lat), np.nan)
    ok = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    if len(ok) == 0:
        return out
    steps = np.concatenate([[0.0], haversine_m(lat[ok], lon[ok])])
    if segment is not None:
        seg = segment[ok]
        steps[1:][seg[1:] != seg[:-1]] = 0.0
    out[ok] = np.cumsum(steps)
    return out


def moving_time_s(t_s: Array, distance_m: Array | None) -> float | None:
    """Time spent moving: intervals shorter than GAP_S with speed >= MIN_SPEED_MPS.

    Without any distance, every interval shorter than GAP_S counts (pauses = gaps only).
    """
    ok = ~np.isnan(t_s)
    t = t_s[ok]
    if len(t) < 2:
        return None
    dt = np.diff(t)
    moving = (dt > 0) & (dt <= GAP_S)
    if distance_m is not None:
        d = distance_m[ok]
        dd = np.diff(d)
        known = ~np.isnan(dd)
        if known.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                speed = dd / dt
            moving &= ~known | (speed >= MIN_SPEED_MPS)
    return float(dt[moving].sum())


def median_filter(values: Array, window: int = MEDIAN_WINDOW) -> Array:
    """Centred running median (odd window; edges use the samples available)."""
    if len(values) < window or window < 2:
        return values.copy()
    half = window // 2
    padded = np.pad(values, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, window)
    out: Array = np.median(windows, axis=1)
    return out


def elevation_gain_loss(
    altitude_m: Array, threshold_m: float = HYSTERESIS_M, window: int = MEDIAN_WINDOW
) -> tuple[float, float] | None:
    """(ascent, descent) in metres from an altitude profile: median filter + hysteresis."""
    alt = altitude_m[~np.isnan(altitude_m)]
    if len(alt) < 2:
        return None
    smooth = median_filter(alt, window)
    ascent = descent = 0.0
    ref = float(smooth[0])
    for value in smooth.tolist():
        if value - ref >= threshold_m:
            ascent += value - ref
            ref = value
        elif ref - value >= threshold_m:
            descent += ref - value
            ref = value
    return ascent, descent


def is_per_leg(cadence: Array | float | None, sport: str) -> bool:
    """True when foot-sport cadence values look like strides/min (per leg) and need doubling."""
    if sport not in FOOT_SPORTS or cadence is None:
        return False
    values = np.atleast_1d(np.asarray(cadence, dtype=float))
    values = values[~np.isnan(values) & (values > 0)]
    if len(values) == 0:
        return True
    return float(np.median(values)) < ALREADY_STEPS_FROM[sport]


def to_steps_per_minute(cadence: Array, sport: str) -> Array:
    """Per-sample cadence in steps/min for foot sports (rpm unchanged for other sports)."""
    return cadence * 2.0 if is_per_leg(cadence, sport) else cadence


def nan_mean(values: Array | None, positive_only: bool = True) -> float | None:
    if values is None:
        return None
    v = values[~np.isnan(values)]
    if positive_only:
        v = v[v > 0]
    return float(v.mean()) if len(v) else None


def nan_max(values: Array | None) -> float | None:
    if values is None:
        return None
    v = values[~np.isnan(values)]
    return float(v.max()) if len(v) else None


def distance_span_m(distance_m: Array | None) -> float | None:
    """Device distance covered by a series: last minus first valid value (odometer-safe)."""
    if distance_m is None:
        return None
    d = distance_m[~np.isnan(distance_m)]
    if len(d) < 2:
        return None
    return float(d.max() - d[0])


def track_series(*columns: Array) -> Series:
    """A `Series` from arrays given in `domain.SERIES_COLUMNS` order (time, distance, altitude,
    speed, heart rate, cadence in steps/min, latitude, longitude): the GPX and TCX readers."""
    if len(columns) != len(SERIES_COLUMNS):
        raise ValueError(f"track_series needs {len(SERIES_COLUMNS)} columns, got {len(columns)}")
    return Series(columns=dict(zip(SERIES_COLUMNS, columns, strict=True)))
