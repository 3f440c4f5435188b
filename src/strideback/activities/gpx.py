"""GPX reader (gpxpy on safety-checked, cleaned text).

GPX carries no device totals: distance is summed from GPS fixes (`derive.gps_distance_m`),
moving time and elevation gain/loss are derived (see `derive` for thresholds and smoothing).
All tracks and segments of one file form one activity (segments are pauses); each track
segment becomes a lap (its totals derived, see `laps.fill_lap_totals`).
No <type>: the sport is guessed from the track's name, speed and climbing
(`sports.guess_sport`) and marked as guessed (provenance "sport": "guessed-...").
"""

from __future__ import annotations

import datetime as dt

import gpxpy
import gpxpy.gpx
import numpy as np

from strideback.activities import derive
from strideback.activities.errors import ImportFailure, NotAnActivity
from strideback.activities.sports import gpx_type, guess_sport
from strideback.activities.xml_safety import local_name, parse_xml
from strideback.domain import Activity, Lap, Series

HR_TAGS = {"hr", "heartrate", "heart_rate"}
CAD_TAGS = {"cad", "cadence", "runcadence"}
EARLIEST_YEAR = 1980  # earlier point times are placeholders (e.g. 1901-12-13), not real


def _extension_values(point: gpxpy.gpx.GPXTrackPoint) -> tuple[float, float]:
    hr = cad = np.nan
    for ext in point.extensions:
        for el in ext.iter():
            name = local_name(el.tag).lower()
            text = (el.text or "").strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                continue
            if name in HR_TAGS and np.isnan(hr):
                hr = value
            elif name in CAD_TAGS and np.isnan(cad):
                cad = value
    return hr, cad


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def read_gpx(
    data: bytes, sport_hint: str | None = None, name_hint: str | None = None
) -> list[Activity]:
    root, cleaned = parse_xml(data, "GPX")
    if local_name(root.tag) != "gpx":
        raise ImportFailure(f"not a GPX document (root element <{local_name(root.tag)}>)")
    encoding = root.getroottree().docinfo.encoding or "utf-8"
    try:
        gpx = gpxpy.parse(cleaned.decode(encoding, errors="replace"))
    except Exception as exc:  # gpxpy raises several types; all mean "unreadable"
        raise ImportFailure(f"GPX not readable: {exc}") from None
    rows = []
    type_text = None
    name = None
    metadata_name = gpx.name
    segment_id = 0
    for track in gpx.tracks:
        type_text = type_text or track.type
        name = name or track.name
        for segment in track.segments:
            segment_id += 1
            for p in segment.points:
                if p.time is None or p.time.year < EARLIEST_YEAR:
                    continue
                hr, cad = _extension_values(p)
                rows.append(
                    (
                        _utc(p.time).timestamp(),
                        p.latitude,
                        p.longitude,
                        np.nan if p.elevation is None else p.elevation,
                        hr,
                        cad,
                        segment_id,
                    )
                )
    if not rows:
        if gpx.routes or gpx.waypoints:
            raise NotAnActivity("GPX holds only a route or waypoints, no recorded track")
        raise ImportFailure("GPX holds no timed track points")
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
    series = Series(
        columns={
            "t_s": t,
            "distance_m": cumdist,
            "altitude_m": alt,
            "speed_mps": speed,
            "hr_bpm": hr,
            "cadence_spm": cad_spm,
            "lat": lat,
            "lon": lon,
        }
    )
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
            device=gpx.creator,
            source_format="gpx",
            laps=sorted(laps, key=lambda lap: lap.start),
            series=series,
            provenance=prov,
        )
    ]
