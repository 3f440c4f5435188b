"""What every page handler shares: the database, today's date, settings, rendering."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from strideback import DISCLAIMER
from strideback.accounts.model import Role, User, may_act_for
from strideback.accounts.service import get_user
from strideback.accounts.sessions import LiveSession
from strideback.coach.service import get_exercise, get_settings
from strideback.coach.settings import LOCAL_RUNNER, Actor
from strideback.plan.model import Session
from strideback.plan.wording import plain_output
from strideback.preferences import get_preferences
from strideback.store.db import Database
from strideback.web import formatting
from strideback.web.config import WebConfig
from strideback.web.jobs import JobRunner, JobStore
from strideback.web.views import PainBands

TEMPLATES_DIR = Path(__file__).with_name("templates")
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.auto_reload = False  # templates ship with the package: no stat() per render
# Nothing a runner reads points to internal notes: every printed string is put in plain words.
templates.env.finalize = plain_output
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
    """The database as the server sees it: for the accounts pages (login, users). In clinic
    mode it shows no runner's rows; the runner pages use `runner_db`."""
    db: Database = request.app.state.db
    return db


def runner_id(request: Request) -> int:
    """The runner this request acts for: the logged-in runner, the runner a clinician chose
    (403 otherwise), or in single-user mode the local runner."""
    runner = acting_runner(request)
    return runner.id if runner is not None else get_db(request).local_runner()


def runner_db(request: Request) -> Database:
    """The database acting for `runner_id(request)`: every runner page reads and writes
    through it, so it sees only that runner's rows (store/db.py filters every query)."""
    cached: Database | None = getattr(request.state, "runner_db", None)
    if cached is None:
        cached = get_db(request).for_runner(runner_id(request))
        request.state.runner_db = cached
    return cached


def clinic_mode(request: Request) -> bool:
    """Whether accounts are on (`strideback serve --clinic`, STRIDEBACK_CLINIC=1)."""
    return bool(getattr(request.app.state, "clinic", False))


def now(request: Request) -> dt.datetime:
    """The server's clock in UTC (naive), as the accounts tables store it."""
    clock: Callable[[], dt.datetime] = request.app.state.now
    return clock()


def current_user(request: Request) -> User | None:
    """Who is logged in; None in single-user mode (and on the public pages when nobody is)."""
    user: User | None = getattr(request.state, "user", None)
    return user


def current_session(request: Request) -> LiveSession | None:
    live: LiveSession | None = getattr(request.state, "auth_session", None)
    return live


def require_user(request: Request, *roles: Role) -> User:
    """The logged-in user, with one of `roles` when given: else 401 / 403."""
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="Please log in first.")
    if roles and user.role not in roles:
        raise HTTPException(status_code=403, detail="This page is not available to your account.")
    return user


def acting_runner(request: Request) -> User | None:
    """Whose data this request is for.

    Single-user mode: None (the one local runner). A runner: themself. A clinician: the
    runner they chose on the Runners page (`POST /runners/<id>`), who must be assigned to
    them, else 403. An admin manages accounts and acts for no runner: 403.
    """
    if not clinic_mode(request):
        return None
    cached: User | None = getattr(request.state, "acting_runner", None)
    if cached is not None:
        return cached
    user = require_user(request)
    runner: User | None = None
    if user.role == "runner":
        runner = user
    elif user.role == "clinician":
        live = current_session(request)
        chosen = live.acting_runner_id if live is not None else None
        if chosen is None:
            raise HTTPException(
                status_code=403, detail="Choose a runner on the Runners page first."
            )
        runner = get_user(get_db(request), chosen)
    if runner is None or not may_act_for(user, runner):
        raise HTTPException(
            status_code=403, detail="This runner's pages are not open to your account."
        )
    request.state.acting_runner = runner
    return runner


# A backup holds one runner's data (no accounts, no clinician notes), so its download stays open
# in clinic mode. A restore from the web does not: it would replace the thresholds the runner's
# clinician set (an audited change) and the diary the clinician reviews. `strideback restore`
# on the server still does it.
CLINIC_CLOSED_PATHS = frozenset({"/settings/restore"})


def runner_pages_guard(request: Request) -> None:
    """Router dependency of the runner pages (Today, Diary, ... Settings) in clinic mode.

    An admin manages accounts and acts for no runner: 403 there. The web restore is closed to
    everyone in clinic mode (the CLI on the server still has it); the backup download is open.
    """
    if not clinic_mode(request):
        return
    user = require_user(request)
    if user.role == "admin":
        raise HTTPException(
            status_code=403,
            detail="Admins manage accounts (Users page); runners' pages are for runners and "
            "their clinicians.",
        )
    if request.url.path in CLINIC_CLOSED_PATHS:
        raise HTTPException(
            status_code=403,
            detail="Restoring a backup from the web is off in clinic mode: it would replace "
            "the thresholds your clinician set. Ask your clinician; on the server, "
            "`strideback restore` does it.",
        )


def may_change_thresholds(request: Request) -> bool:
    """Who may change a runner's thresholds: in single-user mode the local runner (as
    today); in clinic mode only the runner's clinician, never the runner themself (their
    Settings page shows the thresholds read-only: "your clinician sets these")."""
    if not clinic_mode(request):
        return True
    user = current_user(request)
    return user is not None and user.role == "clinician"


def settings_actor(request: Request) -> Actor:
    """Who a threshold change is recorded as: the logged-in account, or the local runner."""
    user = current_user(request)
    if user is None:
        return LOCAL_RUNNER
    return Actor(user.username, user.id)


def get_config(request: Request) -> WebConfig:
    config: WebConfig = request.app.state.config
    return config


def get_jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.app.state.jobs
    return jobs


def runner_jobs(request: Request) -> JobStore:
    """The jobs of the runner this request acts for (another runner's job: not found)."""
    return get_jobs(request).store_for(runner_id(request))


def today(request: Request) -> dt.date:
    clock: Callable[[], dt.date] = request.app.state.today
    return clock()


def settings(request: Request) -> dict[str, Any]:
    """The coach settings in force (thresholds), read once per request."""
    cached: dict[str, Any] | None = getattr(request.state, "settings", None)
    if cached is None:
        cached = dict(get_settings(runner_db(request)))
        request.state.settings = cached
    return cached


def units(request: Request) -> str:
    cached: str | None = getattr(request.state, "units", None)
    if cached is None:
        try:
            db = runner_db(request)
        except HTTPException:  # no runner to ask (login, accounts and error pages)
            return "km"
        cached = str(get_preferences(db).get("units", "km"))
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


async def change_then_go(
    request: Request,
    change: Callable[[Database, int], Any],
    item_id: int,
    target: str,
    missing: str,
    refused: type[Exception] | tuple[type[Exception], ...] = (),
) -> Response:
    """Delete or restore one of the runner's items (`change(db, id)`), forget the cached page
    results computed from the old data, and redirect to `target` (303). An id that is not
    theirs: 404 with `missing`. A `refused` error (nothing was changed): 409 with its message."""
    try:
        await run_write(request, change, runner_db(request), item_id)
    except LookupError:
        return render(request, "error.html", status_code=404, message=missing)
    except refused as exc:
        return render(request, "error.html", status_code=409, message=str(exc))
    request.app.state.cache.clear()
    return RedirectResponse(target, status_code=303)


def attempt(func: Callable[[], T]) -> tuple[T | None, str | None]:
    """Run a service call and return (result, None).

    Kept for the pages that still call it; every capability exists now, so there is no
    "not available" case any more (the integrator removes the remaining calls).
    """
    return func(), None


def _acting_for_label(request: Request) -> str | None:
    """For a clinician: the name of the runner they are working on (shown in the header)."""
    user = current_user(request)
    if user is None or user.role != "clinician":
        return None
    try:
        runner = acting_runner(request)
    except HTTPException:
        return None
    return runner.display_name if runner is not None else None


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("units", units(request))
    context["csrf_token"] = request.state.csrf_token
    context["clinic"] = clinic_mode(request)
    context["current_user"] = current_user(request)
    context["acting_for"] = _acting_for_label(request)
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
