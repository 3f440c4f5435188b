"""The runner page's pure parts: the plan's history from its days, the thresholds in plain
words (names, sources without internal references), the padded weeks of the load chart."""

from __future__ import annotations

import datetime as dt

from strideback.clinic.thresholds import labels, plain_error, plain_source, thresholds
from strideback.clinic.timeline import padded_weeks, plan_events
from strideback.coach.settings import settings_catalogue
from strideback.domain import WeekLoad
from strideback.plan.model import Decision, PlanDay

D0 = dt.date(2026, 3, 1)


def _days(spec: list[tuple[str, str, Decision | None]], projected_from: int) -> list[PlanDay]:
    return [
        PlanDay(
            D0 + dt.timedelta(days=i),
            phase,
            f"Step {step}",
            step,
            decision=decision,
            projected=i >= projected_from,
        )  # fmt: skip
        for i, (phase, step, decision) in enumerate(spec)
    ]


def test_plan_events_from_the_days_lived() -> None:
    start = Decision("start", "plan_start", "Day 1 of your plan (see evidence.md §4).")
    up = Decision("progress", "completed_without_flare", "Two good sessions: move on.")
    back = Decision("step_back", "pain_over_hold_max", "Flare: pain reached 7/10.")
    back_again = Decision("step_back", "pain_over_hold_max", "Flare: pain reached 7/10.")
    refer = Decision("refer", "two_step_backs", "2 step-backs in a row: see a clinician.")
    days = _days(
        [
            ("settle", "settle", start),
            ("settle", "settle", start),
            ("walk", "walk_20", up),  # progress
            ("walk", "walk_20", up),
            ("settle", "settle", back),  # a step back
            ("settle", "settle", back_again),  # another, at the lowest step: same step
            ("refer", "settle", refer),
            ("refer", "settle", refer),
            ("walk", "walk_20", up),  # projected: not history
        ],
        projected_from=8,
    )
    events = plan_events(days)
    assert [(e.day.day, e.kind, e.step) for e in events] == [
        (1, "start", "Step settle"),
        (3, "progress", "Step walk_20"),
        (5, "step_back", "Step settle"),
        (6, "step_back", "Step settle"),
        (7, "referral", "Step settle"),
    ]
    assert "§" not in events[0].text and "evidence.md" not in events[0].text
    assert plan_events([]) == []


def test_every_threshold_has_a_plain_name_and_source() -> None:
    names = labels()
    assert set(names) == set(settings_catalogue())
    shown = thresholds({"pain_ok_max": 4})
    assert [t.key for t in shown] == list(settings_catalogue())
    first = next(t for t in shown if t.key == "pain_ok_max")
    assert first.value == 4 and first.changed and (first.minimum, first.maximum) == (2, 5)
    for t in shown:
        for text in (t.label, t.meaning, t.source, t.unit, t.evidence):
            assert "evidence.md" not in text and "§" not in text, (t.key, text)
            assert not any(key in text for key in names), (t.key, text)  # no internal keys
        assert "rule " not in t.source.lower() or "rules" in t.source.lower(), t.source
        assert t.source and not t.source.startswith(("(", ";", "and ")), t.source


def test_plain_source_opens_brackets_and_drops_references() -> None:
    assert plain_source("evidence.md §4 (24-h rule; Piva 2009)") == "24-h rule; Piva 2009"
    assert (
        plain_source("(no improvement by 6 weeks) and rule 8 (AKPS +10, Crossley 2004)")
        == "no improvement by 6 weeks; AKPS +10, Crossley 2004"
    )
    assert plain_source("(Crossley KM 2004;85(5):815–822)") == "Crossley KM 2004;85(5):815–822"


def test_plain_error_names_the_field() -> None:
    message = "setting 'gap_days' must be between 3 and 28 (days); got 99"
    assert plain_error(message).startswith(f"“{labels()['gap_days']}” must be between 3 and 28")


def test_padded_weeks_cover_the_whole_span() -> None:
    today = dt.date(2026, 3, 18)  # a Wednesday
    known = WeekLoad(week="2026-W10", week_start=dt.date(2026, 3, 2), distance_m=12000.0)
    weeks = padded_weeks([known], today, 4)
    assert [w.week_start for w in weeks] == [
        dt.date(2026, 2, 23), dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)
    ]  # fmt: skip
    assert weeks[1] is known and weeks[0].distance_m == 0 and weeks[3].week == "2026-W12"
