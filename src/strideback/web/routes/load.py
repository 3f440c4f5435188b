"""Load: weekly distance with flags, downhill, cross-training, and pain overlaid on load."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from strideback.coach.diary import diary
from strideback.domain import DiaryEntry
from strideback.load.service import weekly_load
from strideback.web.cache import ResultCache, activities_fingerprint
from strideback.web.deps import attempt, get_config, pain_bands, render, runner_db, today, units
from strideback.web.views import descent_chart, load_chart, pain_by_week

router = APIRouter()
TABLE_WEEKS = 104  # the table lists the latest two years; the chart shows the whole span


@router.get("/load", response_class=HTMLResponse)
def load_page(request: Request, weeks: int | None = None) -> Response:
    db = runner_db(request)
    day = today(request)
    weeks = max(4, min(weeks or get_config(request).load_weeks, 1000))
    cache: ResultCache = request.app.state.cache
    key = ("weekly_load", db.runner_id, day, weeks, activities_fingerprint(db))
    load, unavailable = attempt(
        lambda: cache.get_or_compute(key, lambda: weekly_load(db, day, weeks))
    )
    load = load or []
    entries: list[DiaryEntry] = []
    if load:
        start = load[0].week_start
        entries = diary(db, start, day)
    pain = pain_by_week(entries, load)
    chart = load_chart(load, pain, pain_bands(request), units(request)) if load else None
    downhill = descent_chart(load) if any(w.descent_m for w in load) else None
    flagged = [w for w in reversed(load) if w.flags]
    return render(
        request,
        "load.html",
        active="load",
        weeks=list(reversed(load))[:TABLE_WEEKS],
        table_weeks=TABLE_WEEKS,
        n_weeks=weeks,
        chart=chart,
        downhill=downhill,
        flagged=flagged,
        pain=dict(zip([w.week for w in load], pain, strict=True)),
        unavailable=unavailable,
        today=day,
        diary_days=len(entries),
        since=(load[0].week_start if load else day - dt.timedelta(weeks=weeks)),
    )
