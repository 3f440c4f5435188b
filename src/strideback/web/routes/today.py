"""Today: the plan's session with its reason, the diary form, the red-flag reminder;
and the Diary page (history, edit a day, delete with undo)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from strideback.assess.questions import load_definition
from strideback.coach.diary import delete_day, diary, restore_day, save_day
from strideback.coach.today import todays_session
from strideback.domain import DiaryEntry
from strideback.exercises import get_exercise
from strideback.plan.explain import explain
from strideback.plan.model import action_label
from strideback.plan.wording import plain_words
from strideback.web.deps import (
    exercise_names,
    get_config,
    is_htmx,
    pain_bands,
    render,
    run_write,
    runner_db,
    templates,
    today,
)
from strideback.web.forms import (
    DONE,
    SWELLING,
    FormErrors,
    diary_changes,
    parse_diary_form,
    parse_morning,
)
from strideback.web.routes.plan import clearance_context
from strideback.web.views import diary_chart

router = APIRouter()
# Plain words for the runner, and one name per verdict (registered for the coach templates).
templates.env.filters["plain"] = plain_words
templates.env.filters["verdict"] = action_label
templates.env.globals["explain"] = explain
templates.env.globals["exercise_card"] = get_exercise
ENTRY_INPUTS = (
    "pain_during",
    "pain_after",
    "pain_next_morning",
    "squat_test_pain",
    "hop_test_pain",
    "done",
    "note",
    "sharp_pain",
    "limp",
    "red_flag",
    "red_flag_kind",
)


def _entry_for(request: Request, day: dt.date) -> DiaryEntry | None:
    found = diary(runner_db(request), day, day)
    return found[0] if found else None


def _values(entry: DiaryEntry | None, day: dt.date) -> dict[str, Any]:
    values: dict[str, Any] = {"day": day.isoformat()}
    if entry is not None:
        values.update(
            {
                f.name: getattr(entry, f.name)
                for f in dataclasses.fields(DiaryEntry)
                if f.name != "day"
            }
        )
    return values


def _form_context(
    request: Request,
    entry: DiaryEntry | None,
    day: dt.date,
    errors: FormErrors | None = None,
    saved: bool = False,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "values": values if values is not None else _values(entry, day),
        "errors": (errors.messages if errors else {}),
        "saved": saved,
        "swelling_options": SWELLING,
        "done_options": DONE,
        "red_flag_kinds": load_definition().diary_flags,
        "today": today(request),
    }


def _today_context(request: Request, **form: Any) -> dict[str, Any]:
    db = runner_db(request)
    day = today(request)
    view = todays_session(db, day)
    cfg = get_config(request)
    context = _form_context(request, _entry_for(request, day), day)
    context.update(form)
    context["values"] = dict(context["values"], next="/")
    return {
        "active": "today",
        "view": view,
        "exercise_names": exercise_names(view.sessions),
        "unavailable": None,
        "diary_unavailable": None,
        "day": day,
        "red_flag_text": cfg.red_flag_text,
        "red_flag_citation": cfg.red_flag_citation,
        **clearance_context(request, "/"),
        **context,
    }


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request) -> Response:
    return render(request, "today.html", **_today_context(request))


def _only_morning(fields: dict[str, str]) -> bool:
    return not any(fields.get(name, "").strip() for name in ENTRY_INPUTS)


@router.post("/diary", response_class=HTMLResponse)
async def save_diary(request: Request) -> Response:
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    day = today(request)
    db = runner_db(request)
    errors = FormErrors()
    morning = parse_morning(fields, day, errors)
    entry: DiaryEntry | None = None
    if not (morning is not None and _only_morning(fields)):
        entry, errors_entry = parse_diary_form(fields, day)
        for name, message in errors_entry.messages.items():
            errors.add(name, message)
    if not errors:
        try:
            if morning is not None:
                await run_write(
                    request, save_day, db, morning[0], {"pain_next_morning": morning[1]}, today=day
                )
            if entry is not None:
                entry = await run_write(
                    request, save_day, db, entry.day, diary_changes(entry, fields), today=day
                )
        except ValueError as exc:
            errors.add("form", str(exc))
    status = 422 if errors else 200
    on_today = fields.get("next") == "/"
    if is_htmx(request) and on_today:
        # Today is always current: the whole view comes back with the new decision.
        context = _today_context(
            request,
            errors=errors.messages,
            saved=not errors,
            **({"values": dict(fields)} if errors else {}),
        )
        return render(request, "_today_main.html", status_code=status, **context)
    shown_day = entry.day if entry else (morning[0] if morning else day)
    context = _form_context(
        request,
        entry,
        shown_day,
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
    db = runner_db(request)
    end = today(request)
    days = max(7, min(days, 3660))
    start = end - dt.timedelta(days=days - 1)
    entries = sorted(diary(db, start, end), key=lambda e: e.day, reverse=True)
    chart = diary_chart(entries, pain_bands(request)) if entries else None
    return render(
        request,
        "diary.html",
        active="diary",
        entries=entries,
        chart=chart,
        unavailable=None,
        days=days,
        start=start,
        end=end,
    )


def _entry_json(entry: DiaryEntry) -> str:
    data = dataclasses.asdict(entry)
    data["day"] = entry.day.isoformat()
    return json.dumps(data, sort_keys=True)


def _entry_from_json(text: str) -> DiaryEntry:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the undo data is not an entry")
    names = {f.name for f in dataclasses.fields(DiaryEntry)}
    data = {k: v for k, v in data.items() if k in names}
    data["day"] = dt.date.fromisoformat(str(data["day"]))
    return DiaryEntry(**data)


def _parse_day_or_404(request: Request, day: str) -> dt.date | Response:
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        return render(
            request,
            "error.html",
            status_code=404,
            message=f"'{day}' is not a date (use YYYY-MM-DD).",
        )


@router.post("/diary/{day}/delete", response_class=HTMLResponse)
async def delete_diary_day(request: Request, day: str) -> Response:
    """Delete one day; the answer offers an undo (the entry travels in the undo form)."""
    when = _parse_day_or_404(request, day)
    if isinstance(when, Response):
        return when
    gone = await run_write(request, delete_day, runner_db(request), when)
    if gone is None:
        return render(request, "error.html", status_code=404, message=f"No diary entry on {when}.")
    context: dict[str, Any] = {"deleted": gone, "undo_data": _entry_json(gone)}
    if is_htmx(request):
        return render(request, "_diary_deleted.html", **context)
    return render(request, "diary_deleted.html", active="diary", **context)


@router.post("/diary/undo", response_class=HTMLResponse)
async def undo_delete(request: Request) -> Response:
    form = await request.form()
    text = form.get("entry")
    try:
        entry = _entry_from_json(text if isinstance(text, str) else "")
        await run_write(request, restore_day, runner_db(request), entry)
    except (ValueError, KeyError, TypeError) as exc:
        return render(
            request, "error.html", status_code=422, message=f"The undo did not work: {exc}"
        )
    if is_htmx(request):
        return render(request, "_diary_row.html", e=entry)
    return RedirectResponse("/diary", status_code=303)


@router.get("/diary/{day}", response_class=HTMLResponse)
def edit_day(request: Request, day: str) -> Response:
    when = _parse_day_or_404(request, day)
    if isinstance(when, Response):
        return when
    return render(
        request,
        "diary_edit.html",
        active="diary",
        unavailable=None,
        **_form_context(request, _entry_for(request, when), when),
    )
