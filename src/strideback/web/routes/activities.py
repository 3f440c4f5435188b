"""Activities: paginated list, detail with pace/elevation/cadence charts, file uploads
imported as a background job."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from strideback.web import backends
from strideback.web.deps import attempt, get_config, get_db, get_jobs, is_htmx, render, units
from strideback.web.jobs import run_import_job
from strideback.web.uploads import new_upload_folder, save_uploads
from strideback.web.views import activity_charts

router = APIRouter()
SPORT_CHOICES = ("running", "walking", "hiking", "cycling", "swimming", "other")


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


@router.get("/activities/{activity_id}", response_class=HTMLResponse)
def activity_detail(request: Request, activity_id: int) -> Response:
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
    charts = activity_charts(activity.series.columns, units(request)) if activity else []
    return render(
        request,
        "activity.html",
        active="activities",
        activity=activity,
        activity_id=activity_id,
        charts=charts,
        unavailable=unavailable,
    )
