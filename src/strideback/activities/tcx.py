"""TCX reader (lxml, hardened): one activity per <Activity> element.

Totals: moving time = sum of lap TotalTimeSeconds (the device's timer); distance = sum of lap
DistanceMeters, unless the trackpoints' own DistanceMeters cover clearly more (some exporters
drop the last lap from the totals: then the trackpoint span, last minus first, is used).
Elevation gain/loss are derived (see `derive`). RunCadence/Cadence for foot sports follow the
per-leg rule in `derive.is_per_leg` (values already in steps/min are not doubled).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from lxml import etree

from strideback.activities import derive
from strideback.activities.errors import ImportFailure
from strideback.activities.sports import tcx_sport
from strideback.activities.xml_safety import local_name, parse_xml
from strideback.domain import Activity, Lap

LAPS_MISSING_RATIO = 1.02  # trackpoint span > 102% of the lap sum: laps are incomplete


def _time(text: str | None) -> float | None:
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


def _float(el: etree._Element | None) -> float:
    if el is None or el.text is None:
        return np.nan
    try:
        return float(el.text)
    except ValueError:
        return np.nan


def _child(el: etree._Element, *path: str) -> etree._Element | None:
    for name in path:
        if el is None:
            return None
        el = el.find("{*}" + name)
    return el


def _trackpoint(tp: etree._Element) -> tuple[float, ...]:
    time_el = _child(tp, "Time")
    t = _time(time_el.text if time_el is not None else None)
    cad = _float(_child(tp, "Cadence"))
    speed = np.nan
    ext = _child(tp, "Extensions")
    if ext is not None:
        for el in ext.iter():
            name = local_name(el.tag)
            if name == "Speed":
                speed = _float(el)
            elif name == "RunCadence" and np.isnan(cad):
                cad = _float(el)
    return (
        np.nan if t is None else t,
        _float(_child(tp, "Position", "LatitudeDegrees")),
        _float(_child(tp, "Position", "LongitudeDegrees")),
        _float(_child(tp, "AltitudeMeters")),
        _float(_child(tp, "DistanceMeters")),
        _float(_child(tp, "HeartRateBpm", "Value")),
        cad,
        speed,
    )


def _activity(act: etree._Element, leg: int, sport_hint: str | None) -> Activity | None:
    sport = sport_hint or tcx_sport(act.get("Sport"))
    laps_el = act.findall("{*}Lap")
    laps: list[Lap] = []
    lap_time = lap_dist = 0.0
    have_lap_time = have_lap_dist = False
    points: list[tuple[float, ...]] = []
    for lap in laps_el:
        start = _time(lap.get("StartTime"))
        seconds = _float(_child(lap, "TotalTimeSeconds"))
        metres = _float(_child(lap, "DistanceMeters"))
        lap_hr = _float(_child(lap, "AverageHeartRateBpm", "Value"))
        if not np.isnan(seconds):
            lap_time, have_lap_time = lap_time + seconds, True
        if not np.isnan(metres):
            lap_dist, have_lap_dist = lap_dist + metres, True
        if start is not None:
            laps.append(
                Lap(
                    start=dt.datetime.fromtimestamp(start, dt.UTC),
                    elapsed_s=None if np.isnan(seconds) else seconds,
                    moving_s=None if np.isnan(seconds) else seconds,
                    distance_m=None if np.isnan(metres) else metres,
                    hr_bpm=None if np.isnan(lap_hr) else lap_hr,
                )
            )
        points.extend(_trackpoint(tp) for tp in lap.iterfind(".//{*}Trackpoint"))
    arr = np.array(points, dtype=np.float64).reshape(-1, 8)
    arr = arr[~np.isnan(arr[:, 0])]
    arr = arr[np.argsort(arr[:, 0], kind="stable")]
    ts, lat, lon, alt, dist, hr, cad, speed = arr.T
    alt = derive.plausible_altitude(alt)
    id_el = _child(act, "Id")
    start_s = _time(id_el.text if id_el is not None else None)
    if laps:
        start_s = min(lap.start.timestamp() for lap in laps)
    if start_s is None:
        if len(ts) == 0:
            return None
        start_s = float(ts[0])
    t = ts - start_s
    prov: dict[str, str] = {}
    distance: float | None
    moving: float | None
    span = derive.distance_span_m(dist)
    if have_lap_dist and not (span and span > lap_dist * LAPS_MISSING_RATIO):
        distance, prov["distance_m"] = lap_dist, "device-laps"
    elif span is not None:
        distance, prov["distance_m"] = span, "device-trackpoints"
    else:
        distance = derive.gps_distance_m(lat, lon)
        prov["distance_m"] = "derived-gps"
    if np.all(np.isnan(dist)):
        dist = derive.cumulative_gps_distance(lat, lon)
    lap_span = max((lap.start.timestamp() + (lap.elapsed_s or 0) for lap in laps), default=None)
    ends = [x for x in (lap_span, float(ts[-1]) if len(ts) else None) if x is not None]
    elapsed = max(ends) - start_s if ends else None
    prov["elapsed_s"] = "derived"
    if have_lap_time:
        moving, prov["moving_s"] = lap_time, "device-laps"
    else:
        moving, prov["moving_s"] = derive.moving_time_s(t, dist), "derived"
    gain = derive.elevation_gain_loss(alt)
    if gain:
        prov["ascent_m"] = prov["descent_m"] = "derived"
    cad_spm = derive.to_steps_per_minute(cad, sport)
    series = derive.track_series(t, dist, alt, speed, hr, cad_spm, lat, lon)
    return Activity(
        sport=sport,
        sub_sport="generic" if sport == "running" else None,
        start=dt.datetime.fromtimestamp(start_s, dt.UTC),
        distance_m=distance,
        elapsed_s=elapsed,
        moving_s=moving,
        ascent_m=gain[0] if gain else None,
        descent_m=gain[1] if gain else None,
        cadence_spm=derive.nan_mean(series.get("cadence_spm")),
        hr_bpm=derive.nan_mean(series.get("hr_bpm")),
        max_hr_bpm=derive.nan_max(series.get("hr_bpm")),
        source_format="tcx",
        leg_index=leg,
        laps=sorted(laps, key=lambda lap: lap.start),
        series=series,
        provenance=prov,
    )


def read_tcx(data: bytes, sport_hint: str | None = None) -> list[Activity]:
    root, _ = parse_xml(data, "TCX")
    if local_name(root.tag) != "TrainingCenterDatabase":
        raise ImportFailure(f"not a TCX document (root element <{local_name(root.tag)}>)")
    legs: list[Activity] = []
    for act in root.iterfind(".//{*}Activity"):
        activity = _activity(act, len(legs), sport_hint)
        if activity is not None:
            legs.append(activity)
    if not legs:
        raise ImportFailure("TCX holds no activity with laps or trackpoints")
    return legs
