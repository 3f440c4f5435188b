"""FIT import against the devices' own totals in MANIFEST.csv / SESSIONS.csv (real files)."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest

from strideback.activities.errors import NotAnActivity
from strideback.activities.fit_build import build_fit_activities
from strideback.activities.fit_fast import FastPathDeclined, decode_fit_fast, fit_crc
from strideback.activities.fit_slow import decode_fit_slow
from strideback.activities.parse import ERROR, IMPORTED, SKIPPED, parse_item
from strideback.activities.sources import FileItem
from strideback.domain import ACTIVITY_SUMMARY_FIELDS

GOOD_CATEGORIES = {"run", "walk", "treadmill", "other-sport", "multisport"}


def _manifest(activities_dir: Path) -> list[dict[str, str]]:
    with (activities_dir / "MANIFEST.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fit_rows(activities_dir: Path) -> list[dict[str, str]]:
    return [r for r in _manifest(activities_dir) if r["format"] in ("fit", "fit.gz")]


@pytest.fixture(scope="module")
def parsed_fit(activities_dir: Path) -> dict[str, object]:
    """Every FIT file in the corpus through the import parser (fast path + fallback)."""
    return {
        r["file"]: parse_item(FileItem(name=r["file"], path=activities_dir / r["file"]))
        for r in _fit_rows(activities_dir)
    }


def _close(actual: float | None, expected: float, rel: float, abs_tol: float = 0.5) -> bool:
    return actual is not None and abs(actual - expected) <= max(rel * abs(expected), abs_tol)


def test_distance_and_timer_match_device_within_1_percent(activities_dir, parsed_fit):
    checked = 0
    for row in _fit_rows(activities_dir):
        if row["category"] not in GOOD_CATEGORIES or not row["total_distance_m"]:
            continue
        parsed = parsed_fit[row["file"]]
        assert parsed.status == IMPORTED, (row["file"], parsed.reason)
        distance = sum(a.distance_m or 0.0 for a in parsed.activities)
        assert _close(distance, float(row["total_distance_m"]), 0.01), (row["file"], distance)
        if row["total_timer_time_s"]:
            timer = sum(a.moving_s or 0.0 for a in parsed.activities)
            assert _close(timer, float(row["total_timer_time_s"]), 0.01), (row["file"], timer)
        checked += 1
    assert checked >= 50


def test_ascent_matches_device_within_10_percent(activities_dir, parsed_fit):
    checked = 0
    for row in _fit_rows(activities_dir):
        if row["category"] not in GOOD_CATEGORIES or not row["total_ascent_m"]:
            continue
        legs = parsed_fit[row["file"]].activities
        ascent = sum(a.ascent_m or 0.0 for a in legs)
        assert _close(ascent, float(row["total_ascent_m"]), 0.10, abs_tol=1.0), row["file"]
        checked += 1
    assert checked >= 30


def test_multisport_gives_one_activity_per_session(activities_dir, parsed_fit):
    with (activities_dir / "SESSIONS.csv").open(encoding="utf-8") as fh:
        sessions = [r for r in csv.DictReader(fh)]
    for name in ("Runalyze__multisport-triathlon-fenix3.fit", "fit__activity_multisport.fit"):
        expected = sorted(
            (r for r in sessions if r["file"] == name), key=lambda r: int(r["session_index"])
        )
        legs = parsed_fit[name].activities
        assert len(legs) == len(expected) >= 2
        for leg, truth in zip(legs, expected, strict=True):
            assert leg.start.isoformat() == truth["start_time"]
            assert _close(leg.distance_m, float(truth["total_distance_m"]), 0.01)
            assert _close(leg.moving_s, float(truth["total_timer_time_s"]), 0.01)
    triathlon = parsed_fit["Runalyze__multisport-triathlon-fenix3.fit"].activities
    assert [a.sport for a in triathlon][::2] == ["swimming", "cycling", "running"]


def test_running_cadence_is_doubled_to_steps(activities_dir, parsed_fit):
    for row in _fit_rows(activities_dir):
        if row["sport"] != "running" or not row["avg_cadence"] or row["category"] == "corrupt":
            continue
        activity = parsed_fit[row["file"]].activities[0]
        per_leg = float(row["avg_cadence"])
        assert activity.cadence_spm == pytest.approx(2 * per_leg, abs=2.01), row["file"]
        series = activity.series.get("cadence_spm")
        if series is not None:  # the series is in steps too, not doubled twice
            ratio = np.median(series[series > 0]) / (2 * per_leg)
            assert 0.7 < ratio < 1.3, row["file"]


def test_non_activity_fit_files_are_skipped_with_reason(activities_dir, parsed_fit):
    for row in _fit_rows(activities_dir):
        if row["category"] == "not-activity":
            parsed = parsed_fit[row["file"]]
            assert parsed.status == SKIPPED, row["file"]
            assert "not an activity" in parsed.reason


def test_corrupt_fit_files_never_crash(activities_dir, parsed_fit):
    for row in _fit_rows(activities_dir):
        if row["category"] != "corrupt":
            continue
        parsed = parsed_fit[row["file"]]
        assert parsed.status in (ERROR, IMPORTED), row["file"]
        if parsed.status == IMPORTED:  # decoded despite damage: must say so
            assert parsed.notes, row["file"]
        else:
            assert parsed.reason
    assert parsed_fit["sports-lib__empty-activities.fit"].status == ERROR


def test_empty_and_truncated_inputs(tmp_path: Path, activities_dir: Path):
    empty = tmp_path / "empty.fit"
    empty.write_bytes(b"")
    parsed = parse_item(FileItem(name="empty.fit", path=empty))
    assert parsed.status == ERROR and "empty" in parsed.reason
    # A header only: nothing decodable.
    head = (activities_dir / "Runalyze__Standard.fit").read_bytes()[:40]
    cut = tmp_path / "cut.fit"
    cut.write_bytes(head)
    assert parse_item(FileItem(name="cut.fit", path=cut)).status == ERROR


def test_chained_fit_files_are_all_read(activities_dir: Path):
    one = (activities_dir / "Runalyze__Standard.fit").read_bytes()
    two = (activities_dir / "gpsbabel__fit-sample.fit").read_bytes()
    legs = build_fit_activities(decode_fit_fast(one + two))
    assert [round(a.distance_m) for a in legs] == [9987, 8983]  # time order
    slow = build_fit_activities(decode_fit_slow(one + two))
    assert [a.distance_m for a in slow] == [a.distance_m for a in legs]


def test_fast_decoder_matches_fitdecode(activities_dir: Path):
    """Identical summaries (and series) from both decoders wherever the fast path runs."""
    compared = 0
    for row in _fit_rows(activities_dir):
        data = (activities_dir / row["file"]).read_bytes()
        if row["file"].endswith(".gz"):
            data = gzip.decompress(data)
        try:
            fast = decode_fit_fast(data)
        except FastPathDeclined:
            continue
        slow = decode_fit_slow(data)
        assert fast.sessions == slow.sessions, row["file"]
        assert fast.laps == slow.laps and fast.sports == slow.sports, row["file"]
        assert fast.file_types == slow.file_types, row["file"]
        assert fast.local_offset_s == slow.local_offset_s, row["file"]
        for name, column in fast.records.items():
            np.testing.assert_allclose(
                column, slow.records[name], rtol=0, atol=1e-9, err_msg=f"{row['file']}:{name}"
            )
        try:
            fast_legs = build_fit_activities(fast)
        except NotAnActivity:
            continue
        slow_legs = build_fit_activities(slow)
        for a, b in zip(fast_legs, slow_legs, strict=True):
            for field in ACTIVITY_SUMMARY_FIELDS:
                assert getattr(a, field) == getattr(b, field), (row["file"], field)
        compared += 1
    assert compared >= 50


def test_fast_decoder_declines_what_it_cannot_do(activities_dir: Path):
    for name in ("python-fitparse__compressed-speed-distance.fit",):  # compressed timestamps
        with pytest.raises(FastPathDeclined):
            decode_fit_fast((activities_dir / name).read_bytes())


def test_bad_crc_is_decoded_by_the_fast_path_with_a_note(activities_dir: Path):
    # issue 10: a bad CRC no longer sends the file to the slow decoder (linear time, one pass)
    data = (activities_dir / "python-fitparse__activity-filecrc.fit").read_bytes()
    fast = decode_fit_fast(data)
    assert fast.decoder == "fast" and any("CRC" in n for n in fast.notes)
    assert fast.sessions == decode_fit_slow(data).sessions


def test_vectorised_crc_matches_reference():
    def reference(data: bytes) -> int:
        table = [
            0x0000,
            0xCC01,
            0xD801,
            0x1400,
            0xF001,
            0x3C00,
            0x2800,
            0xE401,
            0xA001,
            0x6C00,
            0x7800,
            0xB401,
            0x5000,
            0x9C01,
            0x8801,
            0x4400,
        ]
        crc = 0
        for byte in data:
            tmp = table[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ table[byte & 0xF]
            tmp = table[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ table[(byte >> 4) & 0xF]
        return crc

    rng = np.random.default_rng(7)
    for size in (0, 1, 255, 256, 257, 5000):
        data = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        assert fit_crc(data) == reference(data)
