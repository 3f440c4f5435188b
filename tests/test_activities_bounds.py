"""Plausibility bounds (activities/bounds.yaml): nothing impossible is stored (issue 10)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest

from strideback.activities import bounds, service
from strideback.activities.bounds import clean_activity, load_bounds, refusal_reason
from strideback.activities.fit_fast import decode_fit_fast, profile_invalid
from strideback.activities.series_codec import decode_series, encode_series
from strideback.datafile import DataFileError
from strideback.domain import Activity, Lap, Series

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _run(**totals) -> Activity:
    base = dict(
        sport="running",
        start=dt.datetime(2024, 5, 1, 7, tzinfo=dt.UTC),
        distance_m=10_000.0,
        elapsed_s=3000.0,
        moving_s=2900.0,
        hr_bpm=150.0,
        cadence_spm=170.0,
    )
    base.update(totals)
    return Activity(**base)


def test_the_bounds_file_loads_and_a_bad_one_names_the_key(tmp_path: Path):
    b = load_bounds()
    assert b.activity.hr_bpm[1] <= 250 and b.dates.earliest.year == 1990
    bad = tmp_path / "bounds.yaml"
    bad.write_text(
        bounds.BOUNDS_FILE.read_text().replace(
            "max_activities_per_file: 100", "max_activities_per_file: many"
        )
    )
    with pytest.raises(DataFileError, match="bounds.yaml: max_activities_per_file"):
        bounds.load_bounds.__wrapped__(bad)


@pytest.mark.parametrize(
    "field,value",
    [
        ("distance_m", math.inf),
        ("distance_m", 1e308),
        ("distance_m", -5.0),
        ("elapsed_s", 136 * 365 * 86400.0),
        ("hr_bpm", 2e306),
        ("hr_bpm", 255.0),
        ("cadence_spm", float("nan")),
    ],
)
def test_an_impossible_total_is_dropped_with_a_note(field: str, value: float):
    activity = _run(**{field: value})
    clean_activity(activity)
    assert getattr(activity, field) is None
    assert field in activity.provenance["dropped"]
    assert activity.distance_m is None or math.isfinite(activity.distance_m)


def test_a_distance_faster_than_humanly_possible_is_dropped():
    activity = _run(distance_m=200_000.0, moving_s=3600.0)  # 55 m/s "run"
    clean_activity(activity)
    assert activity.distance_m is None and "faster than" in activity.provenance["dropped"]


def test_series_samples_and_laps_out_of_bounds_become_missing():
    activity = _run(
        laps=[Lap(start=dt.datetime(2024, 5, 1, 7, tzinfo=dt.UTC), hr_bpm=255.0, distance_m=-1.0)],
        series=Series(
            columns={
                "t_s": np.array([0.0, 1.0, 2.0, 3.0]),
                "hr_bpm": np.array([140.0, 255.0, np.inf, 141.0]),
                "lat": np.array([46.0, 91.0, 46.0, np.nan]),
                "distance_m": np.array([0.0, 1e308, -np.inf, 3.0]),
            }
        ),
    )
    clean_activity(activity)
    np.testing.assert_array_equal(activity.series.columns["hr_bpm"], [140.0, np.nan, np.nan, 141.0])
    assert np.isnan(activity.series.columns["lat"][1])
    assert activity.laps[0].hr_bpm is None and activity.laps[0].distance_m is None
    assert "implausible samples" in activity.provenance["series_dropped"]


def test_the_series_encoder_never_turns_infinity_into_a_number():
    series = Series(
        columns={
            "t_s": np.array([0.0, 1.0, 2.0]),
            "distance_m": np.array([0.0, np.inf, -np.inf]),
            "hr_bpm": np.array([1e300, 120.0, np.nan]),
        }
    )
    back = decode_series(encode_series(series))
    assert np.isnan(back.columns["distance_m"][1:]).all()
    assert np.isnan(back.columns["hr_bpm"][0]) and back.columns["hr_bpm"][1] == 120.0


@pytest.mark.parametrize(
    "start,expected",
    [
        (dt.datetime(1989, 12, 31, tzinfo=dt.UTC), "before 1990"),
        (dt.datetime(2126, 1, 1, tzinfo=dt.UTC), "future"),
        (dt.datetime(2, 1, 1, tzinfo=dt.UTC), "before 1990"),
    ],
)
def test_impossible_dates_are_refused(start: dt.datetime, expected: str):
    assert expected in refusal_reason(_run(start=start), NOW)


def test_fragments_are_refused_but_indoor_and_strength_sessions_are_not():
    assert "fragment" in refusal_reason(_run(distance_m=5.7, elapsed_s=13.75), NOW)
    assert "fragment" in refusal_reason(_run(distance_m=60.0, elapsed_s=600.0), NOW)
    assert (
        refusal_reason(_run(distance_m=0.0, elapsed_s=1800.0, sub_sport="treadmill"), NOW) is None
    )
    strength = _run(sport="other", distance_m=0.0, elapsed_s=1400.0)
    assert refusal_reason(strength, NOW) is None
    assert refusal_reason(_run(), NOW) is None


def test_fit_invalid_markers_follow_the_profile_type():
    assert profile_invalid(18, 16) == (1, 0xFF)  # session.avg_heart_rate: uint8
    assert profile_invalid(20, 3) == (1, 0xFF)  # record.heart_rate: uint8
    assert profile_invalid(18, 9) == (4, 0xFFFFFFFF)  # session.total_distance: uint32


def test_a_255_heart_rate_declared_as_uint8z_is_not_stored(activities_dir: Path):
    """A file declaring session.avg_heart_rate with base type uint8z (invalid = 0) but writing
    255 (the uint8 invalid marker): the profile's marker still applies."""
    data = bytearray((activities_dir / "Runalyze__Standard.fit").read_bytes())
    content = decode_fit_fast(bytes(data))
    assert content.sessions[0]["avg_heart_rate"] == 124
    from strideback.activities import fit_fast

    header = data[0]
    definitions = fit_fast._scan(bytes(data), header, header + int.from_bytes(data[4:8], "little"))
    session_def = next(d for d in definitions if d.global_num == 18)
    pos = 0
    for number, size, _base in session_def.fields:
        if number == 16:
            break
        pos += size
    for offset in session_def.offsets:
        data[offset + pos] = 0xFF
    # the definition's base-type byte for field 16 -> uint8z (0x0A)
    raw = bytes(data)
    for i in range(header, len(raw) - 6):  # the session definition record(s): set the base type
        if raw[i] & 0x40 and raw[i + 2] == 0 and raw[i + 3 : i + 5] == b"\x12\x00":
            n_fields = raw[i + 5]
            fields = [raw[i + 6 + 3 * k : i + 9 + 3 * k] for k in range(n_fields)]
            if fields == [bytes(f) for f in session_def.fields]:
                k = fields.index(bytes([16, 1, 0x02]))
                data[i + 6 + 3 * k + 2] = 0x0A
    end = header + int.from_bytes(data[4:8], "little")
    patched = next(d for d in fit_fast._scan(bytes(data), header, end) if d.global_num == 18)
    assert (16, 1, 0x0A) in patched.fields  # the definition now says uint8z
    data[end : end + 2] = fit_fast.fit_crc(bytes(data[:end])).to_bytes(2, "little")
    content = decode_fit_fast(bytes(data))
    assert not content.notes  # a valid file, CRC and all
    assert content.sessions[0]["avg_heart_rate"] is None
    from strideback.activities.fit_slow import decode_fit_slow

    assert decode_fit_slow(bytes(data)).sessions[0]["avg_heart_rate"] is None  # fitdecode too


def test_nothing_implausible_reaches_the_database_or_json(db, activities_dir: Path, tmp_path):
    gpx = (activities_dir / "Runalyze__hr-not-always-there.gpx").read_text(encoding="utf-8")
    spiky = gpx.replace("<ele>", "<ele>9", 3)  # 9xxx m spikes: above Everest
    (tmp_path / "spiky.gpx").write_text(spiky, encoding="utf-8")
    results = service.import_paths(
        db, [tmp_path / "spiky.gpx", activities_dir / "python-fitparse__Activity.fit"]
    )
    by_name = {Path(r.file).name: r for r in results}
    assert by_name["python-fitparse__Activity.fit"].status == "skipped"
    assert "fragment" in by_name["python-fitparse__Activity.fit"].note
    assert by_name["spiky.gpx"].status == "imported"
    for result in results:
        json.dumps(result.to_dict(), allow_nan=False)
    for summary in service.list_activities(db):
        json.dumps(summary.to_dict(), allow_nan=False)
        activity = service.get_activity(db, summary.id)
        alt = activity.series.columns["altitude_m"]
        assert np.nanmax(alt) <= 9000


def test_more_activities_in_one_file_than_plausible_is_one_error():
    from strideback.activities.parse import ERROR, parse_item
    from strideback.activities.sources import FileItem

    lap = (
        '<Activity Sport="Running"><Id>2024-05-01T07:{m:02d}:00Z</Id>'
        '<Lap StartTime="2024-05-01T07:{m:02d}:00Z"><TotalTimeSeconds>600</TotalTimeSeconds>'
        "<DistanceMeters>2000</DistanceMeters></Lap></Activity>"
    )
    n = load_bounds().max_activities_per_file + 1
    body = "".join(lap.format(m=i % 60) for i in range(n))
    tcx = (
        '<?xml version="1.0"?><TrainingCenterDatabase xmlns='
        '"http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>'
        f"{body}</Activities></TrainingCenterDatabase>"
    )
    parsed = parse_item(FileItem(name="many.tcx", data=tcx.encode()))
    assert parsed.status == ERROR and f"{n} activities in one file" in parsed.reason
