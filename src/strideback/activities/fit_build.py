"""Turn decoded FIT content into activities: one per session (multisport leg).

Totals: the device's session values first (FIT profile fields); only what a session lacks is
derived from the records (see `derive`), and the provenance says which is which.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from strideback.activities import derive
from strideback.activities.arrays import Array
from strideback.activities.errors import NotAnActivity
from strideback.activities.fit_content import FitContent
from strideback.activities.sports import fit_sport
from strideback.domain import Activity, Lap, Series

NON_ACTIVITY_TYPES = {
    "course",
    "settings",
    "monitoring_a",
    "monitoring_b",
    "monitoring_daily",
    "workout",
    "schedules",
    "device",
    "sport",
    "totals",
    "goals",
    "weight",
    "blood_pressure",
    "activity_summary",
    "segment",
    "segment_list",
}
END_TOLERANCE_S = 1.0


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


def _check_is_activity(content: FitContent) -> None:
    types = set(content.file_types)
    if "activity" in types:
        return
    if types and not content.sessions:
        kinds = ", ".join(sorted(types))
        raise NotAnActivity(f"FIT file type={kinds}: not an activity")
    if not content.sessions and content.n_records == 0:
        raise NotAnActivity("FIT file holds no session and no records")


def _unique_sessions(content: FitContent) -> tuple[list[dict[str, Any]], int]:
    """Sessions in time order; exact repeats (a chained file holding one activity twice) dropped."""
    seen: set[tuple[Any, ...]] = set()
    out: list[dict[str, Any]] = []
    for s in sorted(content.sessions, key=lambda s: s.get("start_time") or s.get("timestamp") or 0):
        key = (
            s.get("start_time"),
            s.get("sport"),
            s.get("total_elapsed_time"),
            s.get("total_distance"),
        )
        if key in seen:
            continue
        seen.add(key)
        out.append(s)
    return out, len(content.sessions) - len(out)


def _session_window(session: dict[str, Any], next_start: float | None) -> tuple[float, float]:
    start = session.get("start_time")
    end = None
    if start is not None and session.get("total_elapsed_time") is not None:
        end = start + session["total_elapsed_time"]
    if session.get("timestamp") is not None:
        end = max(end or session["timestamp"], session["timestamp"])
    if start is None:
        start = -np.inf
    if end is None:
        end = next_start if next_start is not None else np.inf
    if next_start is not None:  # legs never share a record
        return start, min(end + END_TOLERANCE_S, next_start - 1e-6)
    return start, end + END_TOLERANCE_S


def _series_for(records: dict[str, Array], mask: Array, start_s: float, sport: str) -> Series:
    ts = records["timestamp"][mask]
    cadence = records["cadence"][mask]
    fractional = records["fractional_cadence"][mask]
    cadence = cadence + np.where(np.isnan(fractional), 0.0, fractional)
    return Series(
        columns={
            "t_s": ts - start_s,
            "distance_m": records["distance"][mask],
            "altitude_m": derive.plausible_altitude(records["altitude"][mask]),
            "speed_mps": records["speed"][mask],
            "hr_bpm": records["heart_rate"][mask],
            "cadence_spm": derive.to_steps_per_minute(cadence, sport),
            "lat": records["position_lat"][mask],
            "lon": records["position_long"][mask],
        }
    )


def _session_cadence(
    session: dict[str, Any], sport: str, series: Series
) -> tuple[float | None, str]:
    avg = session.get("avg_cadence")
    if avg is not None and avg > 0:
        avg += session.get("avg_fractional_cadence") or 0.0
        return (avg * 2.0 if derive.is_per_leg(avg, sport) else avg), "device"
    return derive.nan_mean(series.get("cadence_spm")), "derived"


def _lap_cadence(lap: dict[str, Any], sport: str) -> float | None:
    avg = lap.get("avg_cadence")
    if avg is None or avg <= 0:
        return None
    avg += lap.get("avg_fractional_cadence") or 0.0
    return float(avg * 2.0 if derive.is_per_leg(avg, sport) else avg)


def _laps_between(content: FitContent, start: float, end: float, sport: str) -> list[Lap]:
    """The device's lap messages inside one leg (missing totals are filled later, from
    the series: see `laps.fill_lap_totals`)."""
    laps = []
    for lap in content.laps:
        t = lap.get("start_time")
        if t is not None and start - END_TOLERANCE_S <= t <= end:
            laps.append(
                Lap(
                    start=_utc(t),
                    elapsed_s=lap.get("total_elapsed_time"),
                    distance_m=lap.get("total_distance"),
                    moving_s=lap.get("total_timer_time"),
                    ascent_m=lap.get("total_ascent"),
                    descent_m=lap.get("total_descent"),
                    hr_bpm=lap.get("avg_heart_rate"),
                    cadence_spm=_lap_cadence(lap, sport),
                )
            )
    return sorted(laps, key=lambda lap: lap.start)


def _activity(
    content: FitContent,
    session: dict[str, Any],
    window: tuple[float, float],
    leg: int,
    only_leg: bool = False,
) -> Activity | None:
    ts_all = content.records.get("timestamp", np.empty(0))
    lo = window[0] - (END_TOLERANCE_S if leg == 0 else 0.0)
    mask = (ts_all >= lo) & (ts_all <= window[1])
    if not np.isfinite(window[0]) and not np.isfinite(window[1]):
        mask = ~np.isnan(ts_all)
    sport_name, sub_sport = session.get("sport"), session.get("sub_sport")
    if sport_name is None and content.sports:
        sport_name = content.sports[0].get("sport")
        sub_sport = sub_sport or content.sports[0].get("sub_sport")
    sport, sub = fit_sport(sport_name, sub_sport)
    start_s = session.get("start_time")
    record_ts = ts_all[mask]
    record_ts = record_ts[~np.isnan(record_ts)]
    if start_s is None:
        if len(record_ts) == 0:
            return None
        start_s = float(record_ts.min())
    series = _series_for(content.records, mask, start_s, sport)
    prov: dict[str, str] = {}

    def pick(key: str, device_value: float | None, derived: float | None) -> float | None:
        if device_value is not None:
            prov[key] = "device"
            return device_value
        if derived is not None:
            prov[key] = "derived"
        return derived

    distance = pick(
        "distance_m",
        session.get("total_distance"),
        derive.distance_span_m(series.get("distance_m"))
        or derive.gps_distance_m(series.columns["lat"], series.columns["lon"]),
    )
    t = series.columns["t_s"]
    span = float(np.nanmax(t) - min(0.0, float(np.nanmin(t)))) if len(record_ts) else None
    elapsed = pick("elapsed_s", session.get("total_elapsed_time"), span)
    dist_series = series.get("distance_m")
    if dist_series is None:
        dist_series = derive.cumulative_gps_distance(series.columns["lat"], series.columns["lon"])
    moving = pick("moving_s", session.get("total_timer_time"), derive.moving_time_s(t, dist_series))
    gain = None
    if session.get("total_ascent") is None or session.get("total_descent") is None:
        alt = series.get("altitude_m")
        gain = derive.elevation_gain_loss(alt) if alt is not None else None
    ascent = pick("ascent_m", session.get("total_ascent"), gain[0] if gain else None)
    descent = pick("descent_m", session.get("total_descent"), gain[1] if gain else None)
    cadence, cad_source = _session_cadence(session, sport, series)
    if cadence is not None:
        prov["cadence_spm"] = cad_source
    hr = pick("hr_bpm", session.get("avg_heart_rate"), derive.nan_mean(series.get("hr_bpm")))
    max_hr = session.get("max_heart_rate") or derive.nan_max(series.get("hr_bpm"))
    return Activity(
        sport=sport,
        sub_sport=sub,
        start=_utc(start_s),
        utc_offset_s=content.local_offset_s,
        distance_m=distance,
        elapsed_s=elapsed,
        moving_s=moving,
        ascent_m=ascent,
        descent_m=descent,
        cadence_spm=cadence,
        hr_bpm=hr,
        max_hr_bpm=max_hr,
        device=content.manufacturer,
        source_format="fit",
        leg_index=leg,
        # one session: every lap is its lap (some devices start the first lap early)
        laps=_laps_between(
            content, -np.inf if only_leg else start_s, np.inf if only_leg else window[1], sport
        ),
        series=series,
        provenance=prov,
    )


def build_fit_activities(content: FitContent) -> list[Activity]:
    """Activities (one per session) from decoded content; NotAnActivity for other FIT files."""
    _check_is_activity(content)
    sessions, repeated = _unique_sessions(content)
    if repeated:
        content.notes.append(f"{repeated} repeated session(s) in chained file ignored")
    if not sessions:
        sessions = [{}]  # no session message: one activity from the records
    legs: list[Activity] = []
    for i, session in enumerate(sessions):
        next_start = sessions[i + 1].get("start_time") if i + 1 < len(sessions) else None
        window = _session_window(session, next_start)
        activity = _activity(content, session, window, len(legs), only_leg=len(sessions) == 1)
        if activity is not None:
            legs.append(activity)
    if not legs:
        raise NotAnActivity("FIT file holds no usable session or records")
    if legs[0].start.year < 2000:
        content.notes.append("device clock was not set (FIT relative times): the date is not real")
    return legs
