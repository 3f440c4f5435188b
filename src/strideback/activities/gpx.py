"""GPX reader (lxml on safety-checked, cleaned bytes: the XML is parsed once).

GPX carries no device totals: distance is summed from GPS fixes (`derive.gps_distance_m`),
moving time and elevation gain/loss are derived (see `derive` for thresholds and smoothing).
All tracks and segments of one file form one activity (segments are pauses); each track
segment becomes a lap (its totals derived, see `laps.fill_lap_totals`).
No <type>: the sport is guessed from the track's name, speed and climbing
(`sports.guess_sport`) and marked as guessed (provenance "sport": "guessed-...").
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from lxml import etree

from strideback.activities import derive
from strideback.activities.errors import ImportFailure, NotAnActivity
from strideback.activities.sports import gpx_type, guess_sport
from strideback.activities.xml_safety import local_name, parse_xml
from strideback.domain import Activity, Lap

HR_TAGS = {"hr", "heartrate", "heart_rate"}
CAD_TAGS = {"cad", "cadence", "runcadence"}
EARLIEST_YEAR = 1980  # earlier point times are placeholders (e.g. 1901-12-13), not real


def _child_text(el: etree._Element, name: str) -> str | None:
    child = el.find("{*}" + name)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _float(text: str | None) -> float:
    if text is None:
        return np.nan
    try:
        value = float(text)
    except ValueError:
        return np.nan
    return value if np.isfinite(value) else np.nan


def _time_s(text: str | None) -> float | None:
    """Unix seconds of an ISO 8601 time (no zone: UTC), None when unreadable or too early."""
    if not text:
        return None
    try:
        t = dt.datetime.fromisoformat(text)
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.UTC)
        if t.year < EARLIEST_YEAR:
            return None
        return t.timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _extension_values(point: etree._Element) -> tuple[float, float]:
    hr = cad = np.nan
    ext = point.find("{*}extensions")
    if ext is None:
        return hr, cad
    for el in ext.iter():
        name = local_name(el.tag).lower()
        value = _float((el.text or "").strip() or None)
        if np.isnan(value):
            continue
        if name in HR_TAGS and np.isnan(hr):
            hr = value
        elif name in CAD_TAGS and np.isnan(cad):
            cad = value
    return hr, cad


def read_gpx(
    data: bytes, sport_hint: str | None = None, name_hint: str | None = None
) -> list[Activity]:
    """One activity from a GPX file's tracks (the XML is parsed once, by lxml, safely).

    Points without a time or without coordinates are skipped (counted in a note); a file
    whose tracks carry no times at all is a planned route, not a recording (skipped).
    """
    root, _ = parse_xml(data, "GPX")
    if local_name(root.tag) != "gpx":
        raise ImportFailure(f"not a GPX document (root element <{local_name(root.tag)}>)")
    rows = []
    type_text = None
    name = None
    metadata = root.find("{*}metadata")
    metadata_name = _child_text(metadata, "name") if metadata is not None else None
    metadata_name = metadata_name or _child_text(root, "name")
    segment_id = 0
    n_points = untimed = no_position = 0
    for track in root.iterfind("{*}trk"):
        type_text = type_text or _child_text(track, "type")
        name = name or _child_text(track, "name")
        for segment in track.iterfind("{*}trkseg"):
            segment_id += 1
            for point in segment.iterfind("{*}trkpt"):
                n_points += 1
                t = _time_s(_child_text(point, "time"))
                if t is None:
                    untimed += 1
                    continue
                lat, lon = _float(point.get("lat")), _float(point.get("lon"))
                if np.isnan(lat) or np.isnan(lon) or abs(lat) > 90 or abs(lon) > 180:
                    no_position += 1
                    lat = lon = np.nan
                hr, cad = _extension_values(point)
                rows.append((t, lat, lon, _float(_child_text(point, "ele")), hr, cad, segment_id))
    if not rows:
        if n_points:
            raise NotAnActivity("GPX track has no times: a planned route, not a recording")
        if root.find("{*}rte") is not None or root.find("{*}wpt") is not None:
            raise NotAnActivity("GPX holds only a route or waypoints, no recorded track")
        raise ImportFailure("GPX holds no timed track points")
    notes = []
    if no_position:
        notes.append(
            f"{no_position} track points without valid coordinates kept without a position"
        )
    if untimed:
        notes.append(f"{untimed} track points without a time skipped")
    arr = np.array(rows, dtype=float)
    arr = arr[np.argsort(arr[:, 0], kind="stable")]
    ts, lat, lon, alt, hr, cad, seg = arr.T
    alt = derive.plausible_altitude(alt)
    start_s = float(ts[0])
    t = ts - start_s
    if t[-1] <= 0:
        raise ImportFailure("GPX track points carry no usable time span")
    cumdist = derive.cumulative_gps_distance(lat, lon, seg)
    distance = derive.gps_distance_m(lat, lon, seg)
    moving = derive.moving_time_s(t, cumdist)
    prov = {
        "distance_m": "derived-gps",
        "elapsed_s": "derived",
        "moving_s": "derived",
        "ascent_m": "derived",
        "descent_m": "derived",
    }
    gain = derive.elevation_gain_loss(alt)
    sport = sport_hint or gpx_type(type_text)
    if sport is None:
        sport, prov["sport"] = guess_sport(
            name_hint or name or metadata_name, distance, moving, gain[0] if gain else None
        )
    seg_ids, seg_sizes = np.unique(seg, return_counts=True)
    laps = [  # one lap per track segment with at least two points; totals filled later
        Lap(
            start=dt.datetime.fromtimestamp(float(ts[seg == sid][0]), dt.UTC),
            elapsed_s=float(ts[seg == sid][-1] - ts[seg == sid][0]),
        )
        for sid, size in zip(seg_ids, seg_sizes, strict=True)
        if size >= 2
    ]
    cad_spm = derive.to_steps_per_minute(cad, sport)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.concatenate([[np.nan], np.diff(cumdist) / np.diff(t)])
    series = derive.track_series(t, cumdist, alt, speed, hr, cad_spm, lat, lon)
    cadence = derive.nan_mean(series.get("cadence_spm"))
    heart = derive.nan_mean(series.get("hr_bpm"))
    for key, value in (("cadence_spm", cadence), ("hr_bpm", heart)):
        if value is not None:
            prov[key] = "derived"
    return [
        Activity(
            sport=sport,
            sub_sport="generic" if sport == "running" else None,
            start=dt.datetime.fromtimestamp(start_s, dt.UTC),
            name=name_hint or name or metadata_name,
            distance_m=distance,
            elapsed_s=float(t[-1]),
            moving_s=moving,
            ascent_m=gain[0] if gain else None,
            descent_m=gain[1] if gain else None,
            cadence_spm=cadence,
            hr_bpm=heart,
            max_hr_bpm=derive.nan_max(series.get("hr_bpm")),
            device=root.get("creator"),
            source_format="gpx",
            laps=sorted(laps, key=lambda lap: lap.start),
            series=series,
            provenance=prov | ({"reader_note": "; ".join(notes)} if notes else {}),
        )
    ]
