"""Laps (stored and returned) and local time for GPX/TCX from the start position (real files)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import socket
from pathlib import Path
from zoneinfo import ZoneInfo

import gpxpy
import pytest
from lxml import etree

from strideback.activities import service
from strideback.activities.laps import laps_from_json, laps_to_json
from strideback.activities.local_time import time_zone_at, utc_offset_at
from strideback.activities.parse import IMPORTED, parse_item
from strideback.activities.series_codec import decode_series
from strideback.activities.sources import FileItem
from strideback.domain import Lap

GOOD_FIT = {"run", "walk", "treadmill", "other-sport", "multisport"}


def _manifest(activities_dir: Path) -> list[dict[str, str]]:
    with (activities_dir / "MANIFEST.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _parse(activities_dir: Path, name: str):
    """The activities of one file as the importer stores them (series decoded back)."""
    parsed = parse_item(FileItem(name=name, path=activities_dir / name))
    assert parsed.status == IMPORTED, (name, parsed.reason)
    for activity, (_, blob) in zip(parsed.activities, parsed.series_blobs, strict=True):
        activity.series = decode_series(blob)
    return parsed.activities


# ----------------------------------------------------------------------------- laps


def test_fit_laps_match_the_devices_lap_count_and_add_up(activities_dir: Path):
    """Every good FIT file: as many laps as the file's lap messages (MANIFEST num_laps); the
    laps' distances and timer times add up to the session's in nearly every file (a few
    devices write odd laps: a Suunto without its final lap, a virtual ride)."""
    files = adding_up = 0
    for row in _manifest(activities_dir):
        if row["format"] not in ("fit", "fit.gz") or row["category"] not in GOOD_FIT:
            continue
        if not row["num_laps"]:
            continue
        legs = _parse(activities_dir, row["file"])
        laps = [lap for leg in legs for lap in leg.laps]
        assert len(laps) == int(row["num_laps"]), row["file"]
        for leg in legs:
            assert all(leg.start - dt.timedelta(minutes=5) <= lap.start for lap in leg.laps)
        lap_distance = sum(lap.distance_m or 0.0 for lap in laps)
        lap_timer = sum(lap.moving_s or 0.0 for lap in laps)
        distance = sum(leg.distance_m or 0.0 for leg in legs)
        timer = sum(leg.moving_s or 0.0 for leg in legs)
        files += 1
        if laps and lap_distance == pytest.approx(distance, rel=0.01, abs=1.0):
            adding_up += lap_timer == pytest.approx(timer, rel=0.01, abs=1.0)
    assert files >= 50
    assert adding_up >= 0.9 * files


def test_tcx_laps_are_the_files_laps(activities_dir: Path):
    name = "Runalyze__Standard.tcx"
    tree = etree.parse(str(activities_dir / name), etree.XMLParser(resolve_entities=False))
    ns = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}
    expected = [float(x) for x in tree.xpath("//t:Lap/t:DistanceMeters/text()", namespaces=ns)]
    (activity,) = _parse(activities_dir, name)
    assert [lap.distance_m for lap in activity.laps] == expected
    assert all(lap.moving_s and lap.moving_s > 0 for lap in activity.laps)
    climbed = [lap.ascent_m for lap in activity.laps]
    assert all(a is not None for a in climbed)  # derived from the lap's trackpoints
    assert sum(climbed) == pytest.approx(activity.ascent_m, rel=0.15)


def test_gpx_track_segments_become_laps(activities_dir: Path):
    name = "Runalyze__break-between-trkseg.gpx"
    gpx = gpxpy.parse((activities_dir / name).read_text(encoding="utf-8"))
    segments = [s for t in gpx.tracks for s in t.segments if len(s.points) >= 2]
    (activity,) = _parse(activities_dir, name)
    assert len(activity.laps) == len(segments) >= 2
    for lap, segment in zip(activity.laps, segments, strict=True):
        assert lap.start == segment.points[0].time.astimezone(dt.UTC)
        span = (segment.points[-1].time - segment.points[0].time).total_seconds()
        assert lap.elapsed_s == pytest.approx(span, abs=1.0)
        assert lap.distance_m == pytest.approx(segment.length_2d(), rel=0.01)
    total = sum(lap.distance_m for lap in activity.laps)
    assert total == pytest.approx(activity.distance_m, rel=0.01)


def test_laps_are_stored_and_returned(db, activities_dir: Path):
    names = [
        "Runalyze__Standard.fit",
        "Runalyze__Standard.tcx",
        "Runalyze__multisport-triathlon-fenix3.fit",
    ]
    results = service.import_paths(db, [activities_dir / n for n in names])
    assert {r.status for r in results} == {"imported"}
    for result, name in zip(results, names, strict=False):
        parsed_laps = _parse(activities_dir, name)[0].laps
        stored = service.get_activity(db, result.activity_id).laps
        assert len(stored) == len(parsed_laps) > 0, name
        for a, b in zip(stored, parsed_laps, strict=True):
            assert a.start == b.start
            assert a.distance_m == pytest.approx(b.distance_m, abs=0.001)
            assert a.moving_s == pytest.approx(b.moving_s, abs=0.001)
    legs = [r for r in results if "triathlon" in r.file]
    lap_counts = [len(service.get_activity(db, r.activity_id).laps) for r in legs]
    assert sum(lap_counts) >= len(legs)  # every leg its own laps
    summaries = {s.id: s for s in service.list_activities(db)}
    assert summaries[results[0].activity_id].n_laps == len(_parse(activities_dir, names[0])[0].laps)


def test_lap_json_round_trip_is_compact():
    start = dt.datetime(2024, 5, 1, 7, 30, tzinfo=dt.UTC)
    laps = [Lap(start=start, elapsed_s=300.123456, distance_m=1000.0), Lap(start=start)]
    text = laps_to_json(laps)
    assert "null" not in text and len(text) < 120
    back = laps_from_json(text)
    assert back[0].start == start and back[0].elapsed_s == pytest.approx(300.123, abs=1e-3)
    assert back[1].distance_m is None
    assert laps_to_json([]) is None and laps_from_json(None) == []


# ----------------------------------------------------------------------------- local time


def test_time_zone_lookup_needs_no_network(monkeypatch: pytest.MonkeyPatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    assert time_zone_at(46.4, 13.75) == "Europe/Ljubljana"
    assert time_zone_at(37.77, -122.42) == "America/Los_Angeles"
    assert time_zone_at(-33.87, 151.21) == "Australia/Sydney"
    assert time_zone_at(0.0, 0.0) is None  # a missing fix written as zeros
    assert time_zone_at(float("nan"), 1.0) is None


def test_offset_follows_daylight_saving():
    berlin = (52.52, 13.40)
    winter = dt.datetime(2024, 1, 15, 12, tzinfo=dt.UTC)
    summer = dt.datetime(2024, 7, 15, 12, tzinfo=dt.UTC)
    assert utc_offset_at(*berlin, winter) == 3600
    assert utc_offset_at(*berlin, summer) == 7200
    assert utc_offset_at(-33.87, 151.21, winter) == 11 * 3600  # southern summer


@pytest.mark.parametrize(
    ("name", "pattern", "fmt"),
    [
        # the apps named these activities after their local start time
        ("workoutizer__example.gpx", r"\d{4}-\d\d-\d\d \d\d:\d\d", "%Y-%m-%d %H:%M"),
        (
            "Runalyze__runkeeper-negative-time-step-at-start.gpx",
            r"\d+/\d+/\d+ \d+:\d+ [ap]m",
            "%m/%d/%y %I:%M %p",
        ),
    ],
)
def test_gpx_local_start_matches_the_local_time_in_its_name(activities_dir, name, pattern, fmt):
    (activity,) = _parse(activities_dir, name)
    stamp = re.search(pattern, activity.name).group(0)
    named_local = dt.datetime.strptime(stamp, fmt)
    local = (activity.start + dt.timedelta(seconds=activity.utc_offset_s)).replace(tzinfo=None)
    assert abs((local - named_local).total_seconds()) <= 120, (local, named_local)
    assert activity.provenance["utc_offset_s"] == "time-zone-of-start-position"


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("Runalyze__Standard.tcx", "Europe/Berlin"),  # Kaiserslautern area, summer
        ("sports-lib__6860622916.tcx", "America/New_York"),  # Virginia, winter
        ("sports-lib__garmin.gpx", "Europe/Helsinki"),
        ("gpxpy__track-with-less-sec-time.gpx", "Europe/Copenhagen"),
        # Polar wrote +01:00 into its times; Poland in April is on +02:00
        ("Runalyze__Wrong-time-zone-by-polar.tcx", "Europe/Warsaw"),
    ],
)
def test_gpx_and_tcx_get_the_offset_of_their_starting_place(activities_dir, name, zone):
    activity = _parse(activities_dir, name)[0]
    expected = activity.start.astimezone(ZoneInfo(zone)).utcoffset().total_seconds()
    assert activity.utc_offset_s == expected


def test_no_gps_no_offset_and_device_offset_kept(activities_dir: Path):
    legs = _parse(activities_dir, "GoldenCheetah__activity_165850259_multi-session.tcx")
    indoor = [leg for leg in legs if leg.series.get("lat") is None]
    assert indoor and all(leg.utc_offset_s is None for leg in indoor)
    outdoor = [leg for leg in legs if leg.series.get("lat") is not None]
    assert outdoor and all(leg.utc_offset_s == 0 for leg in outdoor)  # London, winter
    fit_rows = [
        r
        for r in _manifest(activities_dir)
        if r["format"] == "fit" and r["category"] == "run" and r["file"].startswith("workoutizer")
    ]
    kept = 0
    for row in fit_rows:
        activity = _parse(activities_dir, row["file"])[0]
        if activity.provenance.get("utc_offset_s") == "device":
            kept += 1
            assert activity.utc_offset_s is not None
    assert kept >= 1


def test_local_day_of_a_late_evening_gpx_run(db, tmp_path: Path):
    """23:30 UTC in Berlin in summer is 01:30 the next day: the diary and load use that day."""
    points = "".join(
        f'<trkpt lat="{52.52 + i * 1e-4:.5f}" lon="13.40"><time>2024-07-15T23:{30 + i // 6:02d}:'
        f"{(i % 6) * 10:02d}Z</time></trkpt>"
        for i in range(60)
    )
    gpx = (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type><trkseg>'
        f"{points}</trkseg></trk></gpx>"
    )
    (tmp_path / "late.gpx").write_text(gpx)
    (result,) = service.import_paths(db, [tmp_path / "late.gpx"])
    assert result.status == "imported"
    (summary,) = service.list_activities(db)
    assert summary.utc_offset_s == 7200
    assert summary.local_start.date() == dt.date(2024, 7, 16)
    assert [s.id for s in service.activities_on(db, dt.date(2024, 7, 16))] == [summary.id]
    assert service.activities_on(db, dt.date(2024, 7, 15)) == []
