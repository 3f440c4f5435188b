"""Plan: the return-to-run plan as a calendar, its .ics download, and the clinician
clearance that restarts the plan after a referral."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from strideback.coach.plans import RESTART_STEPS, clear_by_clinician, current_plan, plan_ics
from strideback.web.deps import is_htmx, render, run_write, runner_db, today
from strideback.web.routes.evidence import router as evidence_router

router = APIRouter()
# The Evidence page rides on this router until the app registers it itself.
router.include_router(evidence_router)
# Where the plan may restart after a clinician's clearance (the keys of RESTART_STEPS).
RESTART_LABELS = {
    "settle": "Settle: relative rest from running, easy flat walks of 15–20 min (safest)",
    "walk": "Walk: 20-minute walks, if the clinician says you are ready for them",
}
RESTART_CHOICES = tuple((key, RESTART_LABELS[key]) for key in RESTART_STEPS)
CLEARANCE_NOTE_MAX = 200


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    step: object | None  # the plan day (PlanDay), None outside the plan
    new_step: bool  # first day of a step, or a Monday: show the step's name


def calendar_weeks(steps: list[Any]) -> list[list[CalendarDay]]:
    """Plan days arranged Monday to Sunday, one list per week (step None where no plan day)."""
    if not steps:
        return []
    by_day = {s.day: s for s in steps}
    first = min(by_day)
    last = max(by_day)
    monday = first - dt.timedelta(days=first.weekday())
    weeks = []
    previous = None
    while monday <= last:
        week = []
        for i in range(7):
            day = monday + dt.timedelta(days=i)
            step = by_day.get(day)
            label = getattr(step, "step", None)
            week.append(CalendarDay(day, step, step is not None and (i == 0 or label != previous)))
            if step is not None:
                previous = label
        weeks.append(week)
        monday += dt.timedelta(days=7)
    return weeks


def clearance_context(
    request: Request, next_page: str, error: str | None = None, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What _clearance_form.html needs (Today and Plan show it when the decision is refer)."""
    return {
        "restart_choices": RESTART_CHOICES,
        "clearance_values": values or {},
        "clearance_error": error,
        "clearance_next": next_page,
        "today": today(request),
    }


def parse_clearance(fields: dict[str, str], day: dt.date) -> tuple[dict[str, Any], str | None]:
    """Keyword arguments for clear_by_clinician from the form, or a message saying what is wrong."""
    step = fields.get("restart_step", "settle").strip() or "settle"
    if step not in dict(RESTART_CHOICES):
        return {}, "Choose where the plan restarts: settle or walk."
    start_text = fields.get("start", "").strip()
    start = day
    if start_text:
        try:
            start = dt.date.fromisoformat(start_text)
        except ValueError:
            return {}, f"'{start_text}' is not a date: use YYYY-MM-DD, e.g. {day.isoformat()}."
        if start < day:
            return {}, f"The restart day cannot be in the past (today is {day.isoformat()})."
    note = fields.get("note", "").strip()
    if len(note) > CLEARANCE_NOTE_MAX:
        return {}, f"The note is too long ({len(note)} characters; at most {CLEARANCE_NOTE_MAX})."
    return {"start": start, "restart_step": step, "note": note}, None


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, weeks: int = 8) -> Response:
    db = runner_db(request)
    day = today(request)
    weeks = max(1, min(weeks, 26))
    plan = current_plan(db, day, weeks=weeks)
    view = plan.day(day)  # today's decision comes with the plan (one read, one engine run)
    unavailable = None
    steps = list(plan.steps)
    return render(
        request,
        "plan.html",
        active="plan",
        plan=plan,
        view=view,
        calendar=calendar_weeks(steps),
        unavailable=unavailable,
        weeks=weeks,
        **clearance_context(request, "/plan"),
    )


@router.post("/plan/clearance", response_class=HTMLResponse)
async def clinician_clearance(request: Request) -> Response:
    """A clinician cleared the runner after a referral: restart the plan (CSRF-protected)."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    day = today(request)
    next_page = fields.get("next", "/")
    next_page = next_page if next_page in ("/", "/plan") else "/"
    kwargs, error = parse_clearance(fields, day)
    if error is None:
        try:
            await run_write(request, clear_by_clinician, runner_db(request), day, **kwargs)
        except ValueError as exc:
            error = str(exc)
    if error is None:
        if is_htmx(request):
            return Response(status_code=200, headers={"HX-Redirect": next_page})
        return RedirectResponse(next_page, status_code=303)
    context = clearance_context(request, next_page, error=error, values=fields)
    if is_htmx(request):
        return render(request, "_clearance_form.html", status_code=422, **context)
    return render(
        request,
        "error.html",
        status_code=422,
        message=f"The clearance was not recorded: {error}",
    )


@router.get("/plan.ics")
def plan_calendar_file(request: Request, reminders: int = 1) -> Response:
    """The calendar behind the gate: with a referral it holds the referral, no sessions.
    `?reminders=0` leaves out the reminders (VALARM)."""
    data = plan_ics(runner_db(request), today(request), reminders=bool(reminders))
    return Response(
        content=data,
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="strideback-plan.ics"'},
    )
