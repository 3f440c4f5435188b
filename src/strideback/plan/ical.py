"""Write plan days as an iCalendar file (with the `icalendar` library, not by hand)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from icalendar import Alarm, Calendar, Event

from strideback.plan.model import PlanDay, Session

PRODID = "-//StrideBack//return-to-run plan//EN"


# Reminders (VALARM) on all-day events: relative to the start of the day.
SESSION_ALARM = dt.timedelta(hours=7)  # 07:00: today's session
MORNING_ALARM = dt.timedelta(hours=8)  # 08:00: the morning-after check
KEY_KINDS = ("walk", "run")


def session_uid(day: dt.date, index: int, session: Session, plan_uid: str = "") -> str:
    """Unique per runner and plan (the random plan id), stable for the same day and slot."""
    return f"{day.isoformat()}-{index}-{session.kind}-{plan_uid or 'plan'}@strideback"


def _alarm(summary: str, trigger: dt.timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", trigger)
    return alarm


def referral_calendar(
    day: dt.date, heading: str, reason: str, next_step: str, disclaimer: str, stamp: dt.datetime
) -> bytes:
    """No plan: one all-day event on `day` with the referral, its reason and the next step."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "StrideBack plan")
    event = Event()
    event.add("uid", f"referral-{day.isoformat()}@strideback")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    event.add("summary", f"StrideBack: {heading} (no running plan)")
    event.add("description", "\n".join([reason, f"Next step: {next_step}", disclaimer]))
    event.add("categories", ["referral"])
    cal.add_component(event)
    return bytes(cal.to_ical())


def plan_calendar(
    days: Iterable[PlanDay],
    describe_exercise: Callable[[str], str],
    disclaimer: str,
    stamp: dt.datetime,
    *,
    plan_uid: str = "",
    sequence: int = 0,
    modified: dt.datetime | None = None,
    reminders: bool = True,
) -> bytes:
    """One all-day event per session, with the full description (exercises, rules, reason),
    and a morning check the day after each walk/run.

    `stamp` (DTSTAMP) is passed in so the output is deterministic. `plan_uid` makes the UIDs
    unique per runner and plan; `sequence` and `modified` (SEQUENCE, LAST-MODIFIED) grow when
    the plan changes, so a calendar app replaces the old events on re-import. `reminders`
    adds a VALARM to every event (07:00 sessions, 08:00 morning checks).
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "StrideBack plan")

    def add(event: Event, uid: str, day: dt.date, summary: str, trigger: dt.timedelta) -> None:
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("last-modified", modified or stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", summary)
        event.add("transp", "TRANSPARENT")
        if reminders:
            event.add_component(_alarm(summary, trigger))
        cal.add_component(event)

    for plan_day in days:
        for i, session in enumerate(plan_day.sessions):
            lines = [f"{plan_day.step} ({plan_day.phase}).", session.notes]
            if session.exercises:
                lines.append("Exercises:")
                lines += [f"- {describe_exercise(eid)}" for eid in session.exercises]
            if plan_day.decision is not None:
                lines.append(f"Why: {plan_day.decision.reason}")
            if plan_day.projected:
                lines.append(
                    "Projected: this day assumes the earlier steps go well; "
                    "`strideback today` has the current advice."
                )
            lines.append(disclaimer)
            event = Event()
            event.add("description", "\n".join(x for x in lines if x))
            event.add("categories", [session.kind])
            summary = f"StrideBack: {session.title} ({session.minutes} min)"
            add(
                event,
                session_uid(plan_day.day, i, session, plan_uid),
                plan_day.day,
                summary,
                SESSION_ALARM,
            )
        key = next((s for s in plan_day.sessions if s.kind in KEY_KINDS), None)
        if key is not None:
            morning = plan_day.day + dt.timedelta(days=1)
            event = Event()
            event.add(
                "description",
                f"How is the knee this morning, after yesterday's {key.title}? Log the pain "
                "0–10 in StrideBack (diary or `strideback log --morning N`): the next-morning "
                "response decides the next step.",
            )
            event.add("categories", ["morning_check"])
            uid = f"{morning.isoformat()}-morning-{plan_uid or 'plan'}@strideback"
            add(event, uid, morning, "StrideBack: morning knee check (30 s)", MORNING_ALARM)
    return bytes(cal.to_ical())
