"""Diary: validation, upsert, linking a run from the history, pre-injury volume for the build."""

from __future__ import annotations

import datetime as dt

import pytest

from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.store.activities import ActivityRow, SourceFile

DAY = dt.date(2026, 3, 2)


def add_run(db, start: dt.datetime, km: float, minutes: float, sha: str) -> int:
    with db.session() as s:
        s.add(
            SourceFile(sha256=sha, name=f"{sha}.fit", format="fit", size_bytes=1, status="imported")
        )
        s.flush()
        row = ActivityRow(
            source_sha256=sha,
            leg_index=0,
            source_format="fit",
            source_file=f"{sha}.fit",
            sport="running",
            start_time=start,
            utc_offset_s=3600,
            distance_m=km * 1000,
            moving_s=minutes * 60,
        )
        s.add(row)
        s.flush()
        return row.id


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"pain_during": 11}, "pain_during"),
        ({"pain_next_morning": -1}, "pain_next_morning"),
        ({"swelling": "huge"}, "swelling"),
        ({"done": "maybe"}, "done"),
    ],
)
def test_bad_entries_are_clear_errors(db, fields, message):
    with pytest.raises(ValueError, match=message):
        service.log_day(db, DiaryEntry(day=DAY, **fields))


def test_upsert_by_day_and_merge(db):
    service.log_day(db, DiaryEntry(day=DAY, pain_during=2, pain_after=1, done="planned"))
    service.log_day(db, DiaryEntry(day=DAY, pain_next_morning=1), merge=True)
    [entry] = service.diary(db)
    assert (entry.pain_during, entry.pain_after, entry.pain_next_morning, entry.done) == (
        2,
        1,
        1,
        "done",
    )
    service.log_day(db, DiaryEntry(day=DAY, pain_during=4, done="modified"))  # replace
    [entry] = service.diary(db)
    assert (entry.pain_during, entry.pain_next_morning, entry.done) == (4, None, "modified")
    service.log_day(db, DiaryEntry(day=DAY + dt.timedelta(days=3), pain_during=0))
    assert [e.day for e in service.diary(db, start=DAY + dt.timedelta(days=1))] == [
        DAY + dt.timedelta(days=3)
    ]


def test_a_run_that_day_is_linked(db):
    run_id = add_run(db, dt.datetime(2026, 3, 2, 6, 30), 5.0, 30, "a" * 64)
    saved = service.log_day(db, DiaryEntry(day=DAY, pain_during=1, done="done"))
    assert saved.activity_id == run_id
    assert service.diary(db)[0].activity_id == run_id


def test_log_from_activity_uses_the_local_day(db):
    # 23:30 UTC with a +1 h offset is 00:30 the next local day.
    run_id = add_run(db, dt.datetime(2026, 3, 2, 23, 30), 6.0, 36, "b" * 64)
    entry = service.log_from_activity(db, run_id, pain_during=2)
    assert entry.day == dt.date(2026, 3, 3)
    assert (entry.activity_id, entry.done, entry.pain_during) == (run_id, "done", 2)
    with pytest.raises(ValueError, match="no activity"):
        service.log_from_activity(db, 9999)


def test_build_phase_targets_pre_injury_volume_from_history(db):
    from test_coach_assess import pfp_answers

    for week in range(8):  # 3 runs a week of 10 km in 60 min before the plan
        for d in (0, 2, 4):
            start = dt.datetime(2026, 1, 5, 7) + dt.timedelta(weeks=week, days=d)
            add_run(db, start, 10.0, 60, f"{week}{d}".ljust(64, "c"))
    service.run_check(db, pfp_answers(), DAY)
    plan = service.current_plan(db, DAY, weeks=20)
    assert "24 runs" in plan.pre_injury and "10.0 km" in plan.pre_injury
    build = [d for d in plan.steps if d.phase == "build"]
    assert build, "20 weeks reach the build phase"
    runs = [s for d in build for s in d.sessions if s.kind == "run"]
    minutes = [s.minutes for s in runs]
    assert max(minutes) == 60 and min(minutes) >= 33
    # No planned run grows by more than the single-run spike limit (×1.1).
    lengths = sorted(set(minutes))
    assert all(b <= round(a * 1.1) + 1 for a, b in zip(lengths, lengths[1:], strict=False))
    assert all(s.distance_km and s.distance_km <= 10.0 for s in runs)
