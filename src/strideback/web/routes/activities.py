"""Activities: paginated list, detail with pace/elevation/cadence charts, file uploads
imported as a background job."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from strideback.domain import RUN_SUB_SPORTS, SPORTS
from strideback.web import backends
from strideback.web.deps import (
    attempt,
    get_config,
    get_db,
    get_jobs,
    is_htmx,
    render,
    run_write,
    units,
)
from strideback.web.jobs import run_import_job
from strideback.web.uploads import new_upload_folder, save_uploads
from strideback.web.views import activity_charts, chart_title

router = APIRouter()
SPORT_CHOICES = SPORTS


def _list_context(request: Request, page: int, sport: str | None) -> dict:
    per_page = get_config(request).activities_per_page
    page = max(1, page)
    sport = sport if sport in SPORT_CHOICES else None
    rows, unavailable = attempt(
        lambda: backends.call(
            "activities",
            "list_activities",
            get_db(request),
            sport=sport,
            limit=per_page + 1,
            offset=(page - 1) * per_page,
        )
    )
    rows = list(rows or [])
    return {
        "rows": rows[:per_page],
        "has_next": len(rows) > per_page,
        "page": page,
        "sport": sport,
        "sports": SPORT_CHOICES,
        "unavailable": unavailable,
        "jobs": get_jobs(request).store.recent("import", limit=3),
        "accept": ",".join(get_config(request).uploads["activities"].suffixes),
        "upload_label": get_config(request).uploads["activities"].label,
        "upload_errors": [],
    }


@router.get("/activities", response_class=HTMLResponse)
def activities_page(request: Request, page: int = 1, sport: str | None = None) -> Response:
    return render(
        request, "activities.html", active="activities", **_list_context(request, page, sport)
    )


@router.post("/activities/upload", response_class=HTMLResponse)
async def upload_activities(request: Request) -> Response:
    form = await request.form(max_files=5000)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    rule = get_config(request).uploads["activities"]
    folder = new_upload_folder("import")
    saved, errors = await save_uploads(files, rule, folder)
    job = None
    if saved:
        runner = get_jobs(request)
        job_id = runner.submit(
            "import", {"files": [p.name for p in saved]}, run_import_job, [str(p) for p in saved]
        )
        job = runner.store.get(job_id)
    elif not any(folder.iterdir()):
        folder.rmdir()
    status = 422 if errors and not saved else 202 if saved else 200
    if is_htmx(request):
        return render(
            request, "_upload_result.html", status_code=status, job=job, upload_errors=errors
        )
    context = _list_context(request, 1, None)
    context["upload_errors"] = errors
    return render(request, "activities.html", status_code=status, active="activities", **context)


def local_start(activity: object) -> dt.datetime | None:
    """The start in the runner's local time where the file tells it (else UTC)."""
    start = getattr(activity, "start", None)
    offset = getattr(activity, "utc_offset_s", None)
    return start + dt.timedelta(seconds=offset) if start and offset else start


def sport_was_guessed(activity: object) -> bool:
    """True when the importer had to guess the sport (the file named none)."""
    try:
        return bool(backends.call("activities", "is_guessed", activity))
    except (backends.NotAvailable, AttributeError, TypeError):
        return bool(getattr(activity, "sport_guessed", False))


def _detail(
    request: Request,
    activity_id: int,
    status: int = 200,
    sport_error: str | None = None,
    sport_saved: bool = False,
) -> Response:
    try:
        activity, unavailable = attempt(
            lambda: backends.call("activities", "get_activity", get_db(request), activity_id)
        )
    except LookupError:  # KeyError/IndexError: no such activity
        activity, unavailable = None, None
    if activity is None and not unavailable:
        return render(
            request, "error.html", status_code=404, message=f"No activity number {activity_id}."
        )
    svgs = activity_charts(activity.series.columns, units(request)) if activity else []
    charts = [(chart_title(svg), svg) for svg in svgs]
    return render(
        request,
        "activity.html",
        status_code=status,
        active="activities",
        activity=activity,
        activity_id=activity_id,
        charts=charts,
        unavailable=unavailable,
        guessed=sport_was_guessed(activity) if activity else False,
        local_start=local_start(activity) if activity else None,
        can_set_sport=backends.available("activities", "set_sport"),
        sports=SPORTS,
        run_sub_sports=RUN_SUB_SPORTS,
        sport_error=sport_error,
        sport_saved=sport_saved,
    )


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity_detail(request: Request, activity_id: int, saved: int = 0) -> Response:
    return _detail(request, activity_id, sport_saved=bool(saved))


@router.post("/activities/{activity_id}/sport", response_class=HTMLResponse)
async def correct_sport(request: Request, activity_id: int) -> Response:
    """Correct a (guessed) sport; the load pages then count the activity as what it was."""
    form = await request.form()
    sport = str(form.get("sport") or "").strip()
    sub_sport = str(form.get("sub_sport") or "").strip() or None
    if sport not in SPORTS:
        return _detail(
            request, activity_id, 422, sport_error=f"Choose a sport: {', '.join(SPORTS)}."
        )
    if sport != "running":
        sub_sport = None  # the running types do not apply to other sports
    try:
        await run_write(
            request,
            backends.call,
            "activities",
            "set_sport",
            get_db(request),
            activity_id,
            sport,
            sub_sport,
        )
    except LookupError:
        return render(
            request, "error.html", status_code=404, message=f"No activity number {activity_id}."
        )
    except ValueError as exc:
        return _detail(request, activity_id, 422, sport_error=str(exc))
    except backends.NotAvailable as exc:
        return _detail(request, activity_id, 503, sport_error=f"Not available yet: {exc}.")
    request.app.state.cache.clear()  # weekly load counts runs by sport
    return RedirectResponse(f"/activities/{activity_id}?saved=1", status_code=303)
