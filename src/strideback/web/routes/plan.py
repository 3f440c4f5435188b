"""Plan: the return-to-run plan as a calendar, and its .ics download."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from strideback.web import backends
from strideback.web.deps import attempt, get_db, render, today

router = APIRouter()


def calendar_weeks(steps: list, start: dt.date | None = None) -> list[list[tuple[dt.date, object]]]:
    """Plan days arranged Monday to Sunday, one list per week (None where no plan day)."""
    if not steps:
        return []
    by_day = {s.day: s for s in steps}
    first = min(by_day)
    last = max(by_day)
    monday = first - dt.timedelta(days=first.weekday())
    weeks = []
    while monday <= last:
        weeks.append(
            [
                (monday + dt.timedelta(days=i), by_day.get(monday + dt.timedelta(days=i)))
                for i in range(7)
            ]
        )
        monday += dt.timedelta(days=7)
    return weeks


@router.get("/plan", response_class=HTMLResponse)
def plan_page(request: Request, weeks: int = 8) -> Response:
    db = get_db(request)
    day = today(request)
    weeks = max(1, min(weeks, 26))
    plan, unavailable = attempt(
        lambda: backends.call("coach", "current_plan", db, day, weeks=weeks)
    )
    view, _ = attempt(lambda: backends.call("coach", "todays_session", db, day))
    steps = list(plan.steps) if plan else []
    return render(
        request,
        "plan.html",
        active="plan",
        plan=plan,
        view=view,
        calendar=calendar_weeks(steps),
        unavailable=unavailable,
        today=day,
        weeks=weeks,
    )


@router.get("/plan.ics")
def plan_ics(request: Request) -> Response:
    data, unavailable = attempt(
        lambda: backends.call("coach", "plan_ics", get_db(request), today(request))
    )
    if unavailable:
        return render(request, "error.html", status_code=503, message=unavailable)
    return Response(
        content=data,
        media_type="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="strideback-plan.ics"'},
    )
