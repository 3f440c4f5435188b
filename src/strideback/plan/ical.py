"""Write plan days as an iCalendar file (with the `icalendar` library, not by hand)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from icalendar import Calendar, Event

from strideback.plan.model import PlanDay, Session

PRODID = "-//StrideBack//return-to-run plan//EN"


def session_uid(day: dt.date, index: int, session: Session) -> str:
    return f"{day.isoformat()}-{index}-{session.kind}@strideback"


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
) -> bytes:
    """One all-day event per session, with the full description (exercises, rules, reason).

    `stamp` (DTSTAMP) is passed in so the output is deterministic.
    """
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "StrideBack plan")
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
            event.add("uid", session_uid(plan_day.day, i, session))
            event.add("dtstamp", stamp)
            event.add("dtstart", plan_day.day)
            event.add("dtend", plan_day.day + dt.timedelta(days=1))
            event.add("summary", f"StrideBack: {session.title} ({session.minutes} min)")
            event.add("description", "\n".join(x for x in lines if x))
            event.add("categories", [session.kind])
            event.add("transp", "TRANSPARENT")
            cal.add_component(event)
    return bytes(cal.to_ical())
