"""The clinician board's triage: every reason on synthetic facts and on synthetic diaries
(through the same read, engine and gate as Today), their order, and the thresholds file."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from strideback.clinic import triage as triage_module
from strideback.clinic.sparkline import sparkline
from strideback.clinic.summary import runner_facts
from strideback.clinic.triage import (
    REASON_ORDER,
    Flare,
    Referral,
    RunnerFacts,
    TriageThresholds,
    pain_rise,
    pain_trend,
    thresholds,
    triage,
    urgency_key,
)
from strideback.coach import service
from strideback.coach.today import todays_session
from strideback.datafile import DataFileError, load_yaml
from strideback.domain import DiaryEntry

TODAY = dt.date(2026, 4, 30)
START = dt.date(2026, 4, 1)
DAY = dt.timedelta(days=1)


def kinds(facts: RunnerFacts) -> list[str]:
    return [r.kind for r in triage(facts)]


def steady(**kw: object) -> RunnerFacts:
    """A runner with nothing to flag: checked in, logging daily with low pain."""
    pains = tuple((TODAY - k * DAY, 1) for k in range(28))
    base = RunnerFacts(
        today=TODAY, has_check=True, phase="walk", step="Walk 20 min", step_days=5,
        last_entry=TODAY, pains=pains,
    )  # fmt: skip
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------ pure: each reason


def test_a_steady_runner_has_no_reason() -> None:
    assert triage(steady()) == ()
    assert urgency_key(steady(), ()) > urgency_key(steady(), triage(steady(kujala_due=True)))


def test_referral_is_worded_as_the_gate_says() -> None:
    facts = steady(referral=Referral("See a clinician today", "Calf pain: a clot?", "emergency"))
    (reason,) = triage(facts)
    assert reason.kind == "referral"
    assert reason.text == "See a clinician today: Calf pain: a clot?"


def test_a_flare_within_the_window_counts_and_an_older_one_does_not() -> None:
    window = thresholds().flare_window_days.value
    inside = Flare(TODAY - (window - 1) * DAY, "Flare: pain reached 7/10 (above 5/10).")
    outside = Flare(TODAY - window * DAY, "Flare: the pain turned sharp.")
    assert kinds(steady(flares=(outside,))) == []
    (reason,) = triage(steady(flares=(outside, inside)))
    assert reason.kind == "flare"
    assert inside.day.isoformat() in reason.text and "pain reached 7/10" in reason.text
    assert "Flare: pain" not in reason.text  # not "Flare on ...: Flare: ..."
    two = triage(steady(flares=(inside, Flare(TODAY, "Flare: the pain made you limp."))))
    assert "limp" in two[0].text and "2 flares" in two[0].text  # the latest one, and a count


def test_worsening_weekly_pain_needs_the_rise_and_enough_days() -> None:
    rise = thresholds().weekly_pain_rise.value
    before = [(TODAY - k * DAY, 1) for k in range(7, 14)]
    just = [(TODAY - k * DAY, 1 + rise) for k in range(7)]
    facts = steady(pains=tuple(before + just))
    assert pain_rise(facts, thresholds()) == (1.0, 1.0 + rise)
    (reason,) = triage(facts)
    assert reason.kind == "pain_rising" and f"+{rise:.1f}" in reason.text
    under = [(TODAY - k * DAY, rise) for k in range(7)]  # a rise of rise - 1
    assert kinds(steady(pains=tuple(before + under))) == []
    one_day = [(TODAY, 9)]  # one reading is not a trend
    assert kinds(steady(pains=tuple(before + one_day))) == []


def test_no_entry_for_n_days() -> None:
    n = thresholds().no_entry_days.value
    assert kinds(steady(last_entry=TODAY - (n - 1) * DAY)) == []
    (reason,) = triage(steady(last_entry=TODAY - n * DAY))
    assert reason.kind == "no_entry" and f"{n} days" in reason.text
    assert triage(steady(last_entry=None))[0].text == "No diary entry yet."
    # Before the knee check nobody is asked for a diary (the check comes first).
    assert kinds(steady(has_check=False, last_entry=None)) == []


def test_kujala_due_and_stalled() -> None:
    assert kinds(steady(kujala_due=True)) == ["kujala_due"]
    n = thresholds().stalled_step_days.value
    assert kinds(steady(step_days=n - 1)) == []
    (reason,) = triage(steady(step_days=n))
    assert reason.kind == "stalled" and f"{n} days" in reason.text and "Walk 20 min" in reason.text


def test_reasons_come_in_the_issue_s_order() -> None:
    n = thresholds()
    before = [(TODAY - k * DAY, 1) for k in range(7, 14)]
    worse = [(TODAY - k * DAY, 8) for k in range(3, 6)]
    facts = steady(
        kujala_due=True,
        step_days=n.stalled_step_days.value,
        last_entry=TODAY - n.no_entry_days.value * DAY,
        pains=tuple(before + worse),
        flares=(Flare(TODAY - 3 * DAY, "Flare: pain reached 8/10 (above 5/10)."),),
    )
    assert kinds(facts) == ["flare", "pain_rising", "no_entry", "kujala_due", "stalled"]
    referred = dataclasses.replace(facts, referral=Referral("See a clinician", "Two step-backs."))
    # With a referral the plan is stopped: no Kujala or stall nagging, the rest stays.
    assert kinds(referred) == ["referral", "flare", "pain_rising", "no_entry"]
    assert list(REASON_ORDER) == [
        "referral", "flare", "pain_rising", "no_entry", "kujala_due", "stalled",
    ]  # fmt: skip


def test_board_order_by_urgency() -> None:
    rows = {
        "emergency": steady(referral=Referral("See a clinician today", "x", "emergency")),
        "routine": steady(referral=Referral("See a clinician", "x", "routine")),
        "flare_today": steady(flares=(Flare(TODAY, "Flare: x."),)),
        "flare_older": steady(flares=(Flare(TODAY - 4 * DAY, "Flare: x."),)),
        "kujala": steady(kujala_due=True),
        "fine": steady(),
    }
    ordered = sorted(rows, key=lambda name: urgency_key(rows[name], triage(rows[name])))
    assert ordered == list(rows)


def test_pain_trend_and_sparkline() -> None:
    days = thresholds().trend_days.value
    facts = steady(pains=((TODAY, 6), (TODAY - DAY, 2), (TODAY - 3 * DAY, 4)))
    trend = pain_trend(facts)
    assert len(trend) == days and trend[-1] == 6 and trend[-2] == 2 and trend[-3] is None
    spark = sparkline(trend, band=3)
    assert len(spark.lines) == 1 and len(spark.dots) == 1  # 2 days joined, 1 alone
    ys = [float(p.split(",")[1]) for p in spark.lines[0].split()]
    assert ys[1] < ys[0]  # pain 6 is drawn higher than pain 2
    assert all(0 <= y <= spark.height for y in ys)
    assert spark.dots[0][1] < spark.band_y < ys[0]  # band at 3: between pain 4 and pain 2
    assert "highest 6/10" in spark.label and "latest 6/10" in spark.label
    empty = sparkline(tuple([None] * days))
    assert empty.lines == () and empty.dots == () and "No pain logged" in empty.label


# ------------------------------------------------------------------ the data file


def test_every_threshold_has_its_reason() -> None:
    limits = thresholds()
    for name in TriageThresholds.model_fields:
        item = getattr(limits, name)
        assert item.value >= 1 and len(item.reason.split()) >= 8, name
    # Product choices say so (never stronger than the evidence).
    for name in ("no_entry_days", "stalled_step_days", "weekly_pain_min_days"):
        assert "product choice" in getattr(limits, name).reason


def test_a_broken_thresholds_file_names_the_file_and_key(tmp_path: Path) -> None:
    text = triage_module.TRIAGE_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "triage.yaml"
    bad.write_text(text.replace("value: 4", "value: four"), encoding="utf-8")
    with pytest.raises(DataFileError, match=r"triage.yaml: no_entry_days.value"):
        load_yaml(bad, TriageThresholds)
    bad.write_text(text + "\nextra_rule:\n  value: 1\n  reason: x\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="extra_rule"):
        load_yaml(bad, TriageThresholds)


# ------------------------------------------------------------------ synthetic diaries


def _checked(db, **answers: object) -> None:  # type: ignore[no-untyped-def]
    from test_coach_assess import pfp_answers

    service.run_check(db, pfp_answers(**answers), START)


def _log(db, day: dt.date, pain: int, morning: int = 0, **kw: object) -> None:  # type: ignore[no-untyped-def]
    entry = DiaryEntry(day, pain_during=pain, pain_after=pain, pain_next_morning=morning,
                       done="done", **kw)  # type: ignore[arg-type]  # fmt: skip
    service.log_day(db, entry)


def _daily(db, first: dt.date, last: dt.date, pain: int = 1) -> None:  # type: ignore[no-untyped-def]
    day = first
    while day <= last:
        _log(db, day, pain)
        day += DAY


def test_diary_flare_is_the_pain_rules_step_back(db) -> None:  # type: ignore[no-untyped-def]
    _checked(db)
    _daily(db, START, TODAY - 3 * DAY)
    _log(db, TODAY - 2 * DAY, 7, morning=3)
    _daily(db, TODAY - DAY, TODAY)
    facts = runner_facts(db, TODAY)
    assert [f.day for f in facts.flares] == [TODAY - 2 * DAY]
    assert kinds(facts)[0] == "flare"
    assert "7/10" in triage(facts)[0].text
    # Sharp pain at a low score is a flare too (the same rules as the plan).
    _log(db, TODAY, 2, sharp_pain=True)
    assert "sharp" in triage(runner_facts(db, TODAY))[0].text


def test_diary_worsening_pain_and_gap(db) -> None:  # type: ignore[no-untyped-def]
    _checked(db)
    _daily(db, START, TODAY - 7 * DAY, pain=1)
    _daily(db, TODAY - 6 * DAY, TODAY - 2 * DAY, pain=4)  # 4/10: a hold, not a flare
    facts = runner_facts(db, TODAY)
    assert kinds(facts)[0] == "pain_rising" and "flare" not in kinds(facts)
    later = runner_facts(db, TODAY + 4 * DAY)  # four days without an entry
    assert "no_entry" in kinds(later)
    assert later.last_entry == TODAY - 2 * DAY


def test_diary_red_flag_matches_today(db) -> None:  # type: ignore[no-untyped-def]
    _checked(db)
    _daily(db, START, TODAY - DAY)
    service.save_day(db, TODAY, {"red_flag_kind": "calf", "pain_during": 2}, today=TODAY)
    facts = runner_facts(db, TODAY)
    view = todays_session(db, TODAY)
    assert facts.referral is not None and view.referral is not None
    assert facts.referral.reason == view.referral and facts.referral.urgency == view.urgency
    assert kinds(facts)[0] == "referral" and facts.phase == view.phase == "refer"


def test_diary_kujala_due_at_week_six(db) -> None:  # type: ignore[no-untyped-def]
    _checked(db)
    week6 = START + dt.timedelta(weeks=5)
    _daily(db, START, week6 + DAY)
    facts = runner_facts(db, week6 + DAY)
    assert todays_session(db, week6 + DAY).needs_check
    assert "kujala_due" in kinds(facts)


def test_diary_stalled_at_one_step(db) -> None:  # type: ignore[no-untyped-def]
    """Pain in the hold band (4/10) every day: the plan holds the first step."""
    _checked(db)
    n = thresholds().stalled_step_days.value
    _daily(db, START, START + (n - 1) * DAY, pain=4)
    facts = runner_facts(db, START + (n - 1) * DAY)
    assert facts.step_days == n
    assert facts.step == todays_session(db, START + (n - 1) * DAY).step
    assert "stalled" in kinds(facts)
    assert runner_facts(db, START + (n - 2) * DAY).step_days == n - 1


def test_no_check_yet_is_not_a_reason_but_says_so(db) -> None:  # type: ignore[no-untyped-def]
    facts = runner_facts(db, TODAY)
    assert not facts.has_check and kinds(facts) == [] and "check" in facts.step.lower()
