"""Duplicates resolved toward the richer copy (issue 10), with real corpus pairs.

- GoldenCheetah re-encoded copies (no manufacturer, no device timer; one written with local
  time as UTC, one shifted by minutes) lose to the device originals, in either order;
- a TCX without heart rate loses to the same TCX with it;
- a FIT replaces its GPX twin only when it is not poorer; names merge into the kept copy;
- the same activity labelled with two sports is found by time overlap and distance.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from strideback.activities import queries, service
from strideback.activities.service import is_same_activity, richness
from strideback.domain import Activity
from strideback.store.activities import ActivityRow

PAIRS = [
    ("GoldenCheetah__3386684871.fit", "GoldenCheetah__3386684871-saved.fit"),
    ("GoldenCheetah__FR55-CoreTemp-Walk.fit", "GoldenCheetah__FR55-loaded-and-saved-via-GC.fit"),
]


@pytest.mark.parametrize("original,copy", PAIRS)
@pytest.mark.parametrize("copy_first", [True, False])
def test_the_device_original_wins_over_a_re_encoded_copy(
    db, activities_dir: Path, original: str, copy: str, copy_first: bool
):
    order = [copy, original] if copy_first else [original, copy]
    results = service.import_paths(db, [activities_dir / n for n in order])
    stored = queries.list_activities(db)
    assert len(stored) == 1, [(r.file, r.status, r.note) for r in results]
    assert Path(stored[0].source_file).name == original
    by_name = {Path(r.file).name: r for r in results}
    assert by_name[copy].status == ("imported" if copy_first else "duplicate")
    if copy_first:
        assert "which was poorer" in by_name[original].note


def _without_heart_rate(tcx: str) -> str:
    tcx = re.sub(r"<HeartRateBpm[^>]*>.*?</HeartRateBpm>", "", tcx, flags=re.S)
    return re.sub(r"<(Average|Maximum)HeartRateBpm[^>]*>.*?</\1HeartRateBpm>", "", tcx, flags=re.S)


@pytest.mark.parametrize("poor_first", [True, False])
def test_a_tcx_with_heart_rate_wins_over_one_without(
    db, activities_dir: Path, tmp_path: Path, poor_first: bool
):
    rich = activities_dir / "Runalyze__Standard.tcx"
    poor = tmp_path / "no-hr.tcx"
    poor.write_text(_without_heart_rate(rich.read_text(encoding="utf-8-sig")), encoding="utf-8")
    order = [poor, rich] if poor_first else [rich, poor]
    service.import_paths(db, order)
    (kept,) = queries.list_activities(db)
    assert kept.source_file == str(rich) and kept.avg_hr_bpm is not None


def test_names_merge_into_the_kept_copy(db, activities_dir: Path, tmp_path: Path):
    gpx = (activities_dir / "sports-lib__2067489619.gpx").read_text(encoding="utf-8")
    named = re.sub(r"<name>.*?</name>", "<name>Sunday long run</name>", gpx, count=1, flags=re.S)
    if "<name>" not in gpx:
        named = gpx.replace("<trk>", "<trk><name>Sunday long run</name>", 1)
    (tmp_path / "named.gpx").write_text(named, encoding="utf-8")
    service.import_paths(
        db, [tmp_path / "named.gpx", activities_dir / "sports-lib__2067489619.fit"]
    )
    (kept,) = queries.list_activities(db)
    assert kept.source_format == "fit" and kept.name == "Sunday long run"


def test_richness_order():
    hr_gpx = richness(True, False, "Garmin", False, "gpx", 100)
    bare_fit = richness(False, False, "garmin", True, "fit", 100)
    assert hr_gpx > bare_fit  # a FIT only wins when it is not poorer
    assert richness(True, True, "garmin", True, "fit", 10) > richness(
        True, True, "0", False, "fit", 99
    )


def _row(**kw) -> ActivityRow:
    base = dict(
        sport="other",
        sport_guessed=False,
        distance_m=2375.0,
        elapsed_s=3008.0,
        moving_s=3008.0,
        start_time=dt.datetime(2015, 11, 5, 17, 45, 43),
    )
    base.update(kw)
    return ActivityRow(**base)


def test_a_pool_swim_labelled_differently_is_the_same_activity():
    swim = Activity(
        sport="swimming",
        start=dt.datetime(2015, 11, 5, 17, 47, 0, tzinfo=dt.UTC),  # 77 s later: beyond 60 s
        distance_m=2380.0,
        elapsed_s=2950.0,
    )
    assert is_same_activity(swim, _row())
    assert not is_same_activity(swim, _row(distance_m=1200.0))  # another swim that evening
    later = Activity(
        sport="swimming",
        start=dt.datetime(2015, 11, 5, 19, tzinfo=dt.UTC),
        distance_m=2375.0,
        elapsed_s=1800.0,
    )
    assert not is_same_activity(later, _row())


def test_two_commutes_of_the_same_length_hours_apart_stay_two_runs():
    morning = _row(
        sport="running",
        device="garmin",
        source_format="fit",
        distance_m=5000.0,
        elapsed_s=1500.0,
        moving_s=1500.0,
        start_time=dt.datetime(2024, 5, 6, 7, 30),
    )
    evening = Activity(
        sport="running",
        start=dt.datetime(2024, 5, 6, 16, 30, 20, tzinfo=dt.UTC),
        distance_m=5010.0,
        elapsed_s=1505.0,
        device="garmin",
        source_format="fit",
    )
    assert not is_same_activity(evening, morning)
    re_encoded = Activity(
        sport="running",
        start=evening.start,
        distance_m=5010.0,
        elapsed_s=1505.0,
        device="0",
        source_format="fit",
    )
    assert is_same_activity(re_encoded, morning)
