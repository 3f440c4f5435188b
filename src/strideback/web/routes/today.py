"""Today: the plan's session with its reason, the diary form, the red-flag reminder;
and the Diary page (history, edit a day)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from strideback.domain import DiaryEntry
from strideback.web import backends
from strideback.web.deps import (
    attempt,
    exercise_names,
    get_config,
    get_db,
    is_htmx,
    pain_bands,
    render,
    run_write,
    today,
)
from strideback.web.forms import DONE, SWELLING, FormErrors, parse_diary_form
from strideback.web.routes.plan import clearance_context
from strideback.web.views import diary_chart

router = APIRouter()


def _entry_for(request: Request, day: dt.date) -> tuple[DiaryEntry | None, str | None]:
    db = get_db(request)
    found, unavailable = attempt(lambda: backends.call("coach", "diary", db, day, day))
    return (found[0] if found else None), unavailable


def _form_context(
    request: Request,
    entry: DiaryEntry | None,
    day: dt.date,
    errors: FormErrors | None = None,
    saved: bool = False,
    values: dict | None = None,
) -> dict:
    if values is None:
        values = {"day": day.isoformat()}
        if entry is not None:
            values.update(
                {
                    "pain_during": entry.pain_during,
                    "pain_after": entry.pain_after,
                    "pain_next_morning": entry.pain_next_morning,
                    "swelling": entry.swelling,
                    "done": entry.done,
                    "sharp_pain": entry.sharp_pain,
                    "limp": entry.limp,
                    "red_flag": entry.red_flag,
                    "note": entry.note,
                    "activity_id": entry.activity_id,
                    "squat_test_pain": entry.squat_test_pain,
                    "hop_test_pain": entry.hop_test_pain,
                }
            )
    return {
        "values": values,
        "errors": (errors.messages if errors else {}),
        "saved": saved,
        "swelling_options": SWELLING,
        "done_options": DONE,
        "today": today(request),
    }


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request) -> Response:
    db = get_db(request)
    day = today(request)
    view, unavailable = attempt(lambda: backends.call("coach", "todays_session", db, day))
    entry, diary_unavailable = _entry_for(request, day)
    cfg = get_config(request)
    return render(
        request,
        "today.html",
        active="today",
        view=view,
        exercise_names=exercise_names(view.sessions if view else []),
        unavailable=unavailable,
        diary_unavailable=diary_unavailable,
        day=day,
        red_flag_text=cfg.red_flag_text,
        red_flag_citation=cfg.red_flag_citation,
        **(clearance_context(request, "/") | _form_context(request, entry, day)),
    )


@router.post("/diary", response_class=HTMLResponse)
async def save_diary(request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    day = today(request)
    entry, errors = parse_diary_form(fields, day)
    if entry is not None:
        try:
            saved = await run_write(
                request, backends.call, "coach", "log_day", get_db(request), entry
            )
            entry = saved or entry
        except ValueError as exc:
            errors.add("form", str(exc))
        except backends.NotAvailable as exc:
            errors.add("form", f"The diary cannot be saved yet: {exc}.")
    status = 422 if errors else 200
    context = _form_context(
        request,
        entry,
        entry.day if entry else day,
        errors=errors,
        saved=not errors,
        values=fields if errors else None,
    )
    if is_htmx(request):
        return render(request, "_diary_form.html", status_code=status, **context)
    if errors:
        return render(request, "diary_edit.html", status_code=status, active="diary", **context)
    back = fields.get("next") or "/diary"
    return RedirectResponse(back if back.startswith("/") else "/diary", status_code=303)


@router.get("/diary", response_class=HTMLResponse)
def diary_page(request: Request, days: int = 42) -> Response:
    db = get_db(request)
    end = today(request)
    days = max(7, min(days, 3660))
    start = end - dt.timedelta(days=days - 1)
    entries, unavailable = attempt(lambda: backends.call("coach", "diary", db, start, end))
    entries = sorted(entries or [], key=lambda e: e.day, reverse=True)
    chart = diary_chart(entries, pain_bands(request)) if entries else None
    return render(
        request,
        "diary.html",
        active="diary",
        entries=entries,
        chart=chart,
        unavailable=unavailable,
        days=days,
        start=start,
        end=end,
    )


@router.get("/diary/{day}", response_class=HTMLResponse)
def edit_day(request: Request, day: str) -> Response:
    try:
        when = dt.date.fromisoformat(day)
    except ValueError:
        return render(
            request,
            "error.html",
            status_code=404,
            message=f"'{day}' is not a date (use YYYY-MM-DD).",
        )
    entry, unavailable = _entry_for(request, when)
    return render(
        request,
        "diary_edit.html",
        active="diary",
        unavailable=unavailable,
        **_form_context(request, entry, when),
    )
