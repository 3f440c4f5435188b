"""Readiness tests in the diary, clinician clearance after a referral, migration coach_0002."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command

from strideback.coach import service
from strideback.domain import DiaryEntry
from strideback.store.db import alembic_config, open_database

START = dt.date(2026, 3, 2)


def day(offset: int) -> dt.date:
    return START + dt.timedelta(days=offset)


@pytest.mark.parametrize("field", ["squat_test_pain", "hop_test_pain"])
@pytest.mark.parametrize("value", [11, -1, 2.5, True])
def test_readiness_results_are_validated(db, field, value):
    with pytest.raises(ValueError, match=f"{field} must be a whole number from 0 to 10"):
        service.log_day(db, DiaryEntry(day(0), **{field: value}))


def test_a_form_without_readiness_fields_does_not_erase_them(db):
    service.log_day(db, DiaryEntry(day(0), squat_test_pain=1, hop_test_pain=2))
    # The web form (replace mode) knows nothing of the tests: they are kept.
    service.log_day(db, DiaryEntry(day(0), pain_during=2, done="done"))
    (entry,) = service.diary(db)
    assert (entry.pain_during, entry.squat_test_pain, entry.hop_test_pain) == (2, 1, 2)
    service.log_day(db, DiaryEntry(day(0), squat_test_pain=0), merge=True)
    (entry,) = service.diary(db)
    assert (entry.pain_during, entry.squat_test_pain) == (2, 0)


def good(offset: int) -> DiaryEntry:
    return DiaryEntry(day(offset), pain_during=1, pain_after=1, pain_next_morning=1, done="done")


def step_back_twice(db) -> None:
    """Walk-20 reached, then two flares in a row → referral on day 8."""
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), START)
    for offset in (0, 2):
        service.log_day(db, good(offset))
    service.log_day(db, DiaryEntry(day(4), pain_during=7, pain_next_morning=1, done="done"))
    service.log_day(db, DiaryEntry(day(7), pain_during=1, pain_next_morning=1, limp=True))


def test_clearance_restarts_the_plan_and_keeps_the_history(db):
    step_back_twice(db)
    view = service.todays_session(db, day(10))
    assert view.decision.rule == "step_backs_in_a_row" and view.sessions == []

    restart = service.clear_by_clinician(db, day(12), start=day(14), restart_step="walk")
    assert (restart.cleared_on, restart.start) == (day(12), day(14))
    assert restart.restart_step == "walk_20"
    assert service.last_clearance(db) == restart
    # Before the restart day: settle advice and the clearance; from it: the walk step.
    before = service.todays_session(db, day(13))
    assert before.decision.rule == "plan_not_started" and before.clearance
    view = service.todays_session(db, day(14))
    assert (view.decision.action, view.decision.rule) == ("start", "clinician_clearance")
    assert view.referral is None and view.plan_day == 1
    assert view.step.startswith("Walk: 20")
    assert "Cleared by a clinician on 2026-03-14" in view.decision.reason
    assert any(s.kind == "walk" and s.minutes == 20 for s in view.sessions)
    assert view.clearance and view.clearance in view.notes
    # Nothing was deleted: the earlier diary and check are still there.
    assert [e.day for e in service.diary(db)] == [day(0), day(2), day(4), day(7)]
    assert len(service.list_checks(db)) == 1
    # The restarted plan follows the rules again from its own day 1.
    for offset in (14, 16):
        service.log_day(db, good(offset))
    view = service.todays_session(db, day(17))
    assert (view.decision.action, view.step.startswith("Walk: 30")) == ("progress", True)
    plan = service.current_plan(db, day(17))
    assert plan.start == day(14) and plan.referral is None and plan.clearance
    assert plan.steps[0].step_id == "walk_20"


def test_clearance_covers_a_red_flag_check_but_not_a_later_one(db):
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), START)
    service.run_check(db, pfp_answers(rf_locking="yes"), day(5))
    assert service.todays_session(db, day(6)).decision.action == "refer"
    service.clear_by_clinician(db, day(8))  # default: today, settle
    view = service.todays_session(db, day(8))
    assert (view.decision.rule, view.phase) == ("clinician_clearance", "settle")
    assert service.current_plan(db, day(8)).referral is None
    service.run_check(db, pfp_answers(rf_hot_swollen="yes"), day(11))
    assert service.todays_session(db, day(11)).decision.action == "refer"
    assert service.current_plan(db, day(12)).referral


def test_clearance_after_a_non_runners_knee_pattern(db):
    from test_coach_assess import pfp_answers

    outcome = service.run_check(db, pfp_answers(pain_location="outside_knee"), START)
    assert not outcome.can_start_plan and service.plan_start(db) is None
    assert service.todays_session(db, START).decision.action == "refer"
    service.clear_by_clinician(db, day(3))
    assert service.todays_session(db, day(3)).decision.rule == "clinician_clearance"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"restart_step": "run"}, "restart step must be one of settle, walk"),
        ({"start": day(1)}, "cannot be before the clearance"),
    ],
)
def test_bad_clearance_is_a_clear_error(db, kwargs, message):
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(), START)
    with pytest.raises(ValueError, match=message):
        service.clear_by_clinician(db, day(2), **kwargs)


def test_clearance_needs_a_check_first(db):
    with pytest.raises(ValueError, match="take the check first"):
        service.clear_by_clinician(db, START)


def test_migration_0002_keeps_existing_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "coach_0001")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO coach_diary (day, pain_during, swelling, sharp_pain, limp, red_flag, "
                "updated_at) VALUES ('2026-03-02', 2, 'none', 0, 0, 0, '2026-03-02 08:00:00')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO coach_plan_starts (start_on, set_at, reason) "
                "VALUES ('2026-03-02', '2026-03-02 08:00:00', 'first check')"
            )
        )
    engine.dispose()
    db = open_database(url)  # upgrades every branch to its head
    (entry,) = service.diary(db)
    assert (entry.pain_during, entry.squat_test_pain, entry.hop_test_pain) == (2, None, None)
    assert service.plan_start(db) == START and service.last_clearance(db) is None
    service.log_day(db, DiaryEntry(START, squat_test_pain=1), merge=True)
    assert service.diary(db)[0].squat_test_pain == 1
    command.downgrade(cfg, "coach@coach_0001")
    with sa.create_engine(url).connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("coach_diary")}
    assert "squat_test_pain" not in columns and "pain_during" in columns


def test_kujala_review_after_a_clearance_uses_the_score_before_the_restart(db):
    from test_coach_assess import PLAN_MIXED, pfp_answers

    answers, total = PLAN_MIXED
    service.run_check(db, pfp_answers(**answers), START)
    service.run_check(db, pfp_answers(**answers, rf_locking="yes"), day(5))
    service.clear_by_clinician(db, day(8))
    review = day(8 + 42)  # week 6 of the restarted plan
    assert service.todays_session(db, review - dt.timedelta(days=1)).referral is None
    assert service.todays_session(db, review).needs_check  # retake due, no referral yet
    service.run_check(db, pfp_answers(**answers), review)  # same score: no 10-point gain
    view = service.todays_session(db, review)
    assert view.decision.rule == "no_kujala_gain"
    assert f"from {total} to {total}" in view.decision.reason
