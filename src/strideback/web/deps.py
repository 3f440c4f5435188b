"""What every page handler shares: the database, today's date, settings, rendering."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from strideback import DISCLAIMER
from strideback.coach.service import get_exercise, get_settings
from strideback.plan.model import Session
from strideback.preferences import get_preferences
from strideback.store.db import Database
from strideback.web import formatting
from strideback.web.config import WebConfig
from strideback.web.jobs import JobRunner
from strideback.web.views import PainBands

TEMPLATES_DIR = Path(__file__).with_name("templates")
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.auto_reload = False  # templates ship with the package: no stat() per render
templates.env.globals.update(fmt=formatting, disclaimer=DISCLAIMER)
_CLI_LOG_HINT = re.compile(r" (with|log) `strideback log --[\w-]+ N`")
_CLI_PAGES = {
    "`strideback check`": "the check (Check page)",
    "`strideback import`": "Activities page",
    "`strideback log`": "the diary",
}


def web_wording(text: str) -> str:
    """Coach texts written for the CLI ('log `strideback log --squat-pain N`') as page text."""
    text = _CLI_LOG_HINT.sub(
        lambda m: (
            (" in" if m.group(1) == "with" else " log it in")
            + " the diary below (Run-readiness tests)"
        ),
        text or "",
    )
    for command, page in _CLI_PAGES.items():
        text = text.replace(command, page)
    return text


templates.env.filters["web_wording"] = web_wording
log = logging.getLogger("strideback.web")

T = TypeVar("T")


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_config(request: Request) -> WebConfig:
    config: WebConfig = request.app.state.config
    return config


def get_jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.app.state.jobs
    return jobs


def today(request: Request) -> dt.date:
    clock: Callable[[], dt.date] = request.app.state.today
    return clock()


def settings(request: Request) -> dict[str, Any]:
    """The coach settings in force (thresholds), read once per request."""
    cached: dict[str, Any] | None = getattr(request.state, "settings", None)
    if cached is None:
        cached = dict(get_settings(get_db(request)))
        request.state.settings = cached
    return cached


def units(request: Request) -> str:
    cached: str | None = getattr(request.state, "units", None)
    if cached is None:
        cached = str(get_preferences(get_db(request)).get("units", "km"))
        request.state.units = cached
    return cached if cached in ("km", "mi") else "km"


def pain_bands(request: Request) -> PainBands:
    """Safe/acceptable pain bands: the coach's thresholds in force, else web.yaml's."""
    cfg = get_config(request)
    s = settings(request)
    safe = s.get("pain_ok_max", cfg.pain_safe_max)
    acceptable = s.get("pain_hold_max", cfg.pain_acceptable_max)
    try:
        return PainBands(float(safe), float(acceptable), cfg.pain_citation)
    except (TypeError, ValueError):
        return PainBands(cfg.pain_safe_max, cfg.pain_acceptable_max, cfg.pain_citation)


async def run_write(request: Request, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call that writes, in the thread pool, one writer at a time on SQLite.

    SQLite takes one writer at a time; others wait in its busy handler, which sleeps and
    retries (1, 2, 5, 10 ... ms), so a burst of diary posts queues up behind those sleeps. A
    process-wide lock hands the write lock over as soon as the previous commit is done.
    """
    lock = request.app.state.write_lock

    def locked() -> T:
        if lock is None:
            return func(*args, **kwargs)
        with lock:
            return func(*args, **kwargs)

    return await run_in_threadpool(locked)


def attempt(func: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run a service call and return (result, None).

    Kept for the pages that still call it; every capability exists now, so there is no
    "not available" case any more (the integrator removes the remaining calls).
    """
    return func(), None


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("units", units(request))
    context["csrf_token"] = request.state.csrf_token
    context["active"] = context.get("active", template.split(".")[0])
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def exercise_names(sessions: Iterable[Session] | None) -> dict[str, str]:
    """Names (and dosage) of the exercise ids the sessions mention, for the templates."""
    names: dict[str, str] = {}
    for session in sessions or []:
        for exercise_id in session.exercises:
            if exercise_id in names:
                continue
            try:
                ex = get_exercise(exercise_id)
                names[exercise_id] = f"{ex.name} ({ex.dosage})" if ex.dosage else ex.name
            except (KeyError, ValueError):
                names[exercise_id] = exercise_id.replace("_", " ")
    return names
