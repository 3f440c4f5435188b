"""The clinician's runner page (clinic mode): the runner's whole timeline, their thresholds
with the audit log, and the clinician's private notes.

Only the runner's own clinician gets these pages (`users._own_runner`: 403 otherwise, the same
answer whether the id exists or not); every read and write goes through the database acting
for that runner (`db.for_runner`), so nothing of another runner can come back. The runner
never sees the notes: these pages are closed to runners, and no runner page reads them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from strideback.accounts.model import User
from strideback.accounts.service import get_user
from strideback.clinic.notes import (
    NoteError,
    NoteNotFound,
    NotTheAuthor,
    add_note,
    delete_note,
    edit_note,
    list_notes,
)
from strideback.clinic.thresholds import labels, plain_error
from strideback.clinic.timeline import (
    RunnerTimeline,
    WeeklyLoader,
    event_label,
    runner_timeline,
)
from strideback.coach.settings import get_settings, update_settings
from strideback.domain import WeekLoad
from strideback.load.service import weekly_load
from strideback.plan.rules import validate_changes
from strideback.preferences import get_preferences
from strideback.store.db import Database
from strideback.web.cache import ResultCache, activities_fingerprint
from strideback.web.deps import (
    current_session,
    get_config,
    get_db,
    render,
    run_write,
    settings_actor,
    today,
)
from strideback.web.routes.auth import form_text
from strideback.web.routes.settings import parse_changes
from strideback.web.routes.users import _own_runner
from strideback.web.views import PainBands, diary_chart, kujala_chart, load_chart, pain_by_week

router = APIRouter()


def _bands(request: Request, settings: dict[str, Any]) -> PainBands:
    cfg = get_config(request)
    return PainBands(
        float(settings.get("pain_ok_max", cfg.pain_safe_max)),
        float(settings.get("pain_hold_max", cfg.pain_acceptable_max)),
        cfg.pain_citation,
    )


def _charts(request: Request, t: RunnerTimeline, units: str) -> dict[str, str | None]:
    bands = _bands(request, t.settings)
    pain = pain_by_week(t.entries, t.weeks)
    dated = [k for k in t.scores if k.taken_on is not None]
    return {
        "load": load_chart(t.weeks, pain, bands, units) if t.weeks else None,
        "daily": diary_chart(t.daily, bands) if t.daily else None,
        "kujala": kujala_chart(dated) if len(dated) > 1 else None,
    }


def _author_names(request: Request, ids: set[int]) -> dict[int, str]:
    names = {}
    for author in ids:
        user = get_user(get_db(request), author)
        names[author] = user.display_name if user is not None else "a former clinician"
    return names


def _cached_weekly_load(request: Request) -> WeeklyLoader:
    """`weekly_load` memoised like the Load page's (the same keys: until activities change)."""
    cache: ResultCache = request.app.state.cache

    def load(db: Database, day: dt.date, weeks: int) -> list[WeekLoad]:
        key = ("weekly_load", db.runner_id, day, weeks, activities_fingerprint(db))
        result: list[WeekLoad] = cache.get_or_compute(key, lambda: weekly_load(db, day, weeks))
        return result

    return load


def _page(
    request: Request,
    clinician: User,
    runner: User,
    status_code: int = 200,
    **context: Any,
) -> Response:
    rdb = get_db(request).for_runner(runner.id)
    timeline = runner_timeline(rdb, today(request), weekly=_cached_weekly_load(request))
    units = str(get_preferences(rdb).get("units", "km"))
    notes = list_notes(rdb)
    live = current_session(request)
    context.setdefault("errors", [])
    return render(
        request,
        "runner.html",
        status_code=status_code,
        active="runners",
        runner=runner,
        clinician=clinician,
        acting=live is not None and live.acting_runner_id == runner.id,
        t=timeline,
        charts=_charts(request, timeline, units),
        units=units,
        event_label=event_label,
        threshold_names=labels(),
        notes=notes,
        authors=_author_names(request, {n.author_id for n in notes}),
        **context,
    )


@router.get("/runners/{runner_id}")
def runner_page(request: Request, runner_id: int) -> Response:
    """The runner's whole timeline, thresholds with their audit log, and your notes."""
    clinician, runner = _own_runner(request, runner_id)
    return _page(request, clinician, runner)


def _threshold_errors(changes: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """One plain line per field that is out of its range (named by its plain name)."""
    errors = []
    for key, value in changes.items():
        try:
            validate_changes({key: value}, current)
        except ValueError as exc:
            errors.append(plain_error(str(exc)))
    if not errors:
        try:
            validate_changes(changes, current)
        except ValueError as exc:
            errors.append(plain_error(str(exc)))
    return errors


@router.post("/runners/{runner_id}/thresholds")
async def runner_thresholds(request: Request, runner_id: int) -> Response:
    """Change the runner's thresholds within their bounds; each change is audited."""
    clinician, runner = _own_runner(request, runner_id)
    rdb = get_db(request).for_runner(runner.id)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    current = get_settings(rdb)
    changes, parse_errors = parse_changes(current, form)
    names = labels()
    errors = [f"“{names.get(k, k)}”: {msg}" for k, msg in parse_errors.items()]
    errors += _threshold_errors(changes, current) if not errors else []
    if errors:
        return _page(request, clinician, runner, 422, errors=errors, values=form)
    if not changes:
        return _page(request, clinician, runner, message="Nothing changed.")

    def save(db: Database) -> dict[str, Any]:
        return update_settings(db, changes, actor=settings_actor(request))

    try:
        await run_write(request, save, rdb)
    except ValueError as exc:  # a concurrent change made the set invalid
        return _page(request, clinician, runner, 422, errors=[plain_error(str(exc))], values=form)
    changed = ", ".join(f"“{names[k]}”" for k in changes)
    return _page(request, clinician, runner, message=f"Saved: {changed}.")


def _note_fields(form: Any, request: Request) -> tuple[str, dt.date]:
    raw_day = form_text(form, "noted_on").strip()
    try:
        day = dt.date.fromisoformat(raw_day) if raw_day else today(request)
    except ValueError:
        raise NoteError(f"date: {raw_day[:20]!r} is not a date (YYYY-MM-DD)") from None
    return form_text(form, "text"), day


def _back_to_notes(runner: User) -> Response:
    return RedirectResponse(f"/runners/{runner.id}#notes", status_code=303)


@router.post("/runners/{runner_id}/notes")
async def note_add(request: Request, runner_id: int) -> Response:
    clinician, runner = _own_runner(request, runner_id)
    form = await request.form()
    rdb = get_db(request).for_runner(runner.id)
    try:
        text, day = _note_fields(form, request)
        await run_write(request, add_note, rdb, clinician.id, text, day, today(request))
    except NoteError as exc:
        draft = form_text(form, "text")[:20000]
        return _page(request, clinician, runner, 422, errors=[str(exc)], draft=draft)
    return _back_to_notes(runner)


def _refused(exc: NoteNotFound | NotTheAuthor) -> HTTPException:
    if isinstance(exc, NoteNotFound):
        return HTTPException(status_code=404, detail="No such note for this runner.")
    return HTTPException(status_code=403, detail="Only the note's author may change it.")


@router.post("/runners/{runner_id}/notes/{note_id}")
async def note_edit(request: Request, runner_id: int, note_id: int) -> Response:
    clinician, runner = _own_runner(request, runner_id)
    form = await request.form()
    rdb = get_db(request).for_runner(runner.id)
    try:
        text, day = _note_fields(form, request)
        await run_write(request, edit_note, rdb, note_id, clinician.id, text, day, today(request))
    except (NoteNotFound, NotTheAuthor) as exc:
        raise _refused(exc) from None
    except NoteError as exc:
        return _page(request, clinician, runner, 422, errors=[str(exc)])
    return _back_to_notes(runner)


@router.post("/runners/{runner_id}/notes/{note_id}/delete")
async def note_delete(request: Request, runner_id: int, note_id: int) -> Response:
    clinician, runner = _own_runner(request, runner_id)
    rdb = get_db(request).for_runner(runner.id)
    try:
        await run_write(request, delete_note, rdb, note_id, clinician.id)
    except (NoteNotFound, NotTheAuthor) as exc:
        raise _refused(exc) from None
    return _back_to_notes(runner)
