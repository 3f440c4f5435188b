"""GPX and TCX import on real files, and hostile XML."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from strideback.activities.errors import ImportFailure
from strideback.activities.gpx import read_gpx
from strideback.activities.parse import ERROR, IMPORTED, SKIPPED, parse_item
from strideback.activities.sources import FileItem
from strideback.activities.tcx import read_tcx


def _rows(activities_dir: Path, fmt: str) -> list[dict[str, str]]:
    with (activities_dir / "MANIFEST.csv").open(encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["format"] == fmt]


def _parse(activities_dir: Path, name: str):
    return parse_item(FileItem(name=name, path=activities_dir / name))


def test_tcx_lap_totals(activities_dir: Path):
    checked = 0
    for row in _rows(activities_dir, "tcx"):
        if not row["tcx_lap_distance_m"]:
            continue
        parsed = _parse(activities_dir, row["file"])
        assert parsed.status == IMPORTED, (row["file"], parsed.reason)
        distance = sum(a.distance_m for a in parsed.activities)
        timer = sum(a.moving_s for a in parsed.activities)
        assert timer == pytest.approx(float(row["tcx_lap_time_s"]), rel=0.01), row["file"]
        if "last lap missing" in row["notes"]:  # laps incomplete: trackpoint distance wins
            assert distance > float(row["tcx_lap_distance_m"]) * 1.2
        else:
            assert distance == pytest.approx(float(row["tcx_lap_distance_m"]), rel=0.01)
        checked += 1
    assert checked >= 15


def test_tcx_multi_activity_and_sports(activities_dir: Path):
    multi = _parse(activities_dir, "GoldenCheetah__activity_165850259_multi-session.tcx")
    assert [a.sport for a in multi.activities] == ["running", "cycling", "running", "cycling"]
    three = _parse(activities_dir, "Runalyze__Multiple-Trainings.tcx")
    assert len(three.activities) == 3 and {a.sport for a in three.activities} == {"running"}
    assert _parse(activities_dir, "Runalyze__Runtastic.tcx").activities[0].sport == "running"
    ski = _parse(activities_dir, "tcxreader__cross-country-skiing_activity_1.tcx")
    assert ski.activities[0].sport == "other"


def test_tcx_with_bom_and_leading_whitespace(activities_dir: Path):
    for name in ("Runalyze__Standard.tcx", "sports-lib__6281425038.tcx"):
        assert _parse(activities_dir, name).status == IMPORTED, name


def test_tcx_run_cadence_in_steps(activities_dir: Path):
    run = _parse(activities_dir, "sports-lib__6860622916.tcx").activities[0]  # RunCadence ~90
    assert 160 < run.cadence_spm < 200


def test_gpx_files_import_sanely(activities_dir: Path):
    checked = 0
    for row in _rows(activities_dir, "gpx"):
        parsed = _parse(activities_dir, row["file"])
        if row["category"] == "corrupt" and parsed.status != IMPORTED:
            assert parsed.reason
            continue
        if parsed.status != IMPORTED:
            assert parsed.status in (ERROR, SKIPPED) and parsed.reason, row["file"]
            continue
        activity = parsed.activities[0]
        assert activity.start.year >= 2000
        assert activity.moving_s <= activity.elapsed_s + 1
        if row["gpxpy_length2d_m"]:  # same GPS points: within 1% of gpxpy's 2D length
            expected = float(row["gpxpy_length2d_m"])
            assert activity.distance_m == pytest.approx(expected, rel=0.01, abs=1), row["file"]
        checked += 1
    assert checked >= 15


def test_strava_gpx_numeric_type_and_undeclared_prefix(activities_dir: Path):
    parsed = _parse(activities_dir, "sports-lib__6048438275.gpx")  # gpxdata: not declared
    assert parsed.status == IMPORTED
    activity = parsed.activities[0]
    assert activity.sport == "running"  # <type>9</type>
    assert 150 < activity.cadence_spm < 200  # gpxdata:cadence per leg, doubled


def test_gpx_without_track_is_reported(activities_dir: Path):
    assert _parse(activities_dir, "GoldenCheetah__MetadataOnly.gpx").status == ERROR
    assert _parse(activities_dir, "gpxpy__unicode_with_bom.gpx").status in (ERROR, SKIPPED)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>&lol3;</name><trkseg>
<trkpt lat="1" lon="1"><time>2020-01-01T00:00:00Z</time></trkpt>
<trkpt lat="1" lon="1.001"><time>2020-01-01T00:00:10Z</time></trkpt></trkseg></trk></gpx>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><Activity Sport="Running"><Id>&secret;</Id></Activity></Activities>
</TrainingCenterDatabase>"""


def test_hostile_xml_is_refused():
    with pytest.raises(ImportFailure, match="DTD"):
        read_gpx(BILLION_LAUGHS)
    with pytest.raises(ImportFailure, match="DTD"):
        read_tcx(EXTERNAL_ENTITY)


def test_malformed_xml_names_the_problem():
    with pytest.raises(ImportFailure, match="malformed GPX"):
        read_gpx(b"<gpx><trk><trkseg></gpx>")
