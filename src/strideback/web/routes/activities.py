"""Activities: paginated list, detail with pace/elevation/cadence charts, file uploads
imported as a background job."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from strideback.activities.queries import (
    ActivitySummary,
    delete_activity,
    get_activity,
    is_guessed,
    list_activities,
    restore_activity,
    set_sport,
)
from strideback.domain import RUN_SUB_SPORTS, SPORTS, Activity
from strideback.web.deps import (
    change_then_go,
    get_config,
    get_jobs,
    is_htmx,
    render,
    run_write,
    runner_db,
    runner_id,
    runner_jobs,
    units,
)
from strideback.web.jobs import run_import_job
from strideback.web.uploads import new_upload_folder, save_uploads
from strideback.web.views import activity_charts, chart_title

router = APIRouter()
SPORT_CHOICES = SPORTS


MAX_PAGE = 1_000_000


def _list_context(
    request: Request, page: int, sport: str | None, deleted: int | None = None
) -> dict[str, object]:
    per_page = get_config(request).activities_per_page
    page = min(max(1, page), MAX_PAGE)
    sport = sport if sport in SPORT_CHOICES else None
    rows: list[ActivitySummary] = list_activities(
        runner_db(request), sport=sport, limit=per_page + 1, offset=(page - 1) * per_page
    )
    return {
        "rows": rows[:per_page],
        "has_next": len(rows) > per_page,
        "page": page,
        "sport": sport,
        "sports": SPORT_CHOICES,
        "unavailable": None,
        "deleted": deleted,
        "jobs": runner_jobs(request).recent("import", limit=3),
        "accept": ",".join(get_config(request).uploads["activities"].suffixes),
        "upload_label": get_config(request).uploads["activities"].label,
        "upload_errors": [],
    }


@router.get("/activities", response_class=HTMLResponse)
def activities_page(
    request: Request, page: int = 1, sport: str | None = None, deleted: int | None = None
) -> Response:
    context = _list_context(request, page, sport, deleted)
    return render(request, "activities.html", 200, active="activities", **context)


@router.post("/activities/upload", response_class=HTMLResponse)
async def upload_activities(request: Request) -> Response:
    form = await request.form(max_files=5000)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    rule = get_config(request).uploads["activities"]
    folder = new_upload_folder("import", runner_id(request))
    saved, errors = await save_uploads(files, rule, folder)
    job = None
    if saved:
        runner = get_jobs(request)
        job_id = runner.submit(
            "import",
            {"files": [p.name for p in saved]},
            run_import_job,
            [str(p) for p in saved],
            runner=runner_id(request),
        )
        job = runner_jobs(request).get(job_id)
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


def local_start(activity: Activity) -> dt.datetime:
    """The start in the runner's local time where the file tells it (else UTC)."""
    offset = activity.utc_offset_s
    return activity.start + dt.timedelta(seconds=offset) if offset else activity.start


def _not_found(request: Request, activity_id: int) -> Response:
    return render(
        request, "error.html", status_code=404, message=f"No activity number {activity_id}."
    )


def _detail(
    request: Request,
    activity_id: int,
    status: int = 200,
    sport_error: str | None = None,
    sport_saved: bool = False,
) -> Response:
    try:
        activity = get_activity(runner_db(request), activity_id)
    except KeyError:
        return _not_found(request, activity_id)
    svgs = activity_charts(activity.series.columns, units(request))
    charts = [(chart_title(svg), svg) for svg in svgs]
    return render(
        request,
        "activity.html",
        status_code=status,
        active="activities",
        activity=activity,
        activity_id=activity_id,
        charts=charts,
        unavailable=None,
        guessed=is_guessed(activity),
        local_start=local_start(activity),
        can_set_sport=True,
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
        await run_write(request, set_sport, runner_db(request), activity_id, sport, sub_sport)
    except LookupError:
        return _not_found(request, activity_id)
    except ValueError as exc:
        return _detail(request, activity_id, 422, sport_error=str(exc))
    request.app.state.cache.clear()  # weekly load counts runs by sport
    return RedirectResponse(f"/activities/{activity_id}?saved=1", status_code=303)


@router.post("/activities/{activity_id}/delete", response_class=HTMLResponse)
async def delete(request: Request, activity_id: int) -> Response:
    """Delete an activity (its series and laps go with it; load recomputes); undo follows."""
    return await change_then_go(request, delete_activity, activity_id,
                                f"/activities?deleted={activity_id}",
                                f"No activity number {activity_id}.")  # fmt: skip


@router.post("/activities/{activity_id}/restore", response_class=HTMLResponse)
async def restore(request: Request, activity_id: int) -> Response:
    """Undo a delete."""
    return await change_then_go(request, restore_activity, activity_id,
                                f"/activities/{activity_id}",
                                f"No activity number {activity_id}.")  # fmt: skip
