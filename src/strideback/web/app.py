"""The FastAPI app factory: `create_app(db_url)` wires the database, jobs, CSRF and pages."""

from __future__ import annotations

import datetime as dt
import gc
import html
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from strideback import __version__
from strideback.store.db import data_dir, open_database
from strideback.web.auth import LoginRequiredMiddleware
from strideback.web.cache import ResultCache
from strideback.web.config import clinic_from_env, load_config
from strideback.web.deps import render, runner_pages_guard
from strideback.web.jobs import JobRunner
from strideback.web.routes import activities, check, form, jobs, load, plan, report, settings
from strideback.web.routes import auth as auth_routes
from strideback.web.routes import runner as runner_routes
from strideback.web.routes import today as today_routes
from strideback.web.routes import users as users_routes
from strideback.web.security import (
    SECURITY_HEADERS,
    BodySizeLimitMiddleware,
    CsrfCookieMiddleware,
    CsrfSigner,
    OriginCheckMiddleware,
    PathIdBoundMiddleware,
    SecurityHeadersMiddleware,
    csrf_protect,
)
from strideback.web.timing import ServerTimingMiddleware

STATIC_DIR = Path(__file__).with_name("static")
UPLOAD_PATHS = {
    "/activities/upload": "activities",
    "/form/upload": "video",
    "/settings/restore": "backup",
}
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
DISK_MARGIN = 256 * 1048576  # leave this much free space on the disk an upload spools to
log = logging.getLogger("strideback.web")


def free_disk_bytes() -> int:
    """Free space where uploads land (the multipart spool folder and the data folder)."""
    folders = {tempfile.gettempdir(), str(data_dir())}
    return min(shutil.disk_usage(folder).free for folder in folders)


def create_app(
    db_url: str | None = None,
    *,
    jobs_in_processes: bool | None = None,
    today: Callable[[], dt.date] = dt.date.today,
    allowed_hosts: list[str] | None = None,
    clinic: bool | None = None,
    secure_cookies: bool = False,
    now: Callable[[], dt.datetime] | None = None,
) -> FastAPI:
    """The dashboard app for the database at `db_url` (default: the user's SQLite file).

    jobs_in_processes: run imports/video analysis in a spawned worker process (default) or
    a thread (STRIDEBACK_WEB_JOBS=thread). allowed_hosts: Host headers accepted (loopback
    names by default, which also blocks DNS-rebinding attacks on a local server).
    clinic: accounts on, every page behind a login (default: STRIDEBACK_CLINIC); off, the
    dashboard is the single-user one with no login. secure_cookies: mark the session cookie
    Secure even when the request arrives over plain http (behind a TLS proxy that does not
    say so). now: the clock for sessions (UTC, naive), for tests.
    """
    db = open_database(db_url)
    config = load_config()
    clinic = clinic_from_env() if clinic is None else clinic
    if clinic:  # every runner page acts for a runner chosen per request (deps.runner_db)
        db = db.requiring_runner()
    clock = now or (lambda: dt.datetime.now(dt.UTC).replace(tzinfo=None))
    if jobs_in_processes is None:
        jobs_in_processes = os.environ.get("STRIDEBACK_WEB_JOBS", "process") != "thread"
    runner = JobRunner(db, use_processes=jobs_in_processes)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):  # type: ignore[no-untyped-def]
        runner.start()
        if clinic:
            from strideback.clinic.board import warm_all

            warm_all(db, today)
        # Everything loaded at start-up (modules, templates, data files) lives as long as the
        # server: moved out of the garbage collector's generations, a collection no longer
        # walks it. It was the tail of the board page (bench/bench_board.py: p95 220-285 ms
        # with a write before every view, 55 ms with the collector paused).
        gc.freeze()
        yield
        runner.shutdown()

    app = FastAPI(
        title="StrideBack",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.db = db
    app.state.config = config
    app.state.jobs = runner
    app.state.today = today
    app.state.now = clock
    app.state.clinic = clinic
    app.state.secure_cookies = secure_cookies
    app.state.cache = ResultCache()
    # One writer at a time on SQLite (see deps.run_write); PostgreSQL handles its own.
    app.state.write_lock = threading.Lock() if db.is_sqlite else None
    signer = CsrfSigner()
    app.state.csrf_signer = signer

    def limit_for_path(path: str) -> int:
        kind = UPLOAD_PATHS.get(path)
        if not kind:
            return config.form_max_bytes
        # An upload never fills the disk: the cap shrinks to the space that is left.
        room = max(free_disk_bytes() - DISK_MARGIN, config.form_max_bytes)
        return min(config.uploads[kind].max_bytes + 1048576, room)

    # Outermost last: headers go on every response, hosts and origins are checked before
    # anything reads the body, and the body is capped while it streams in.
    if clinic:  # innermost: the session is resolved after the host/origin/size checks
        app.add_middleware(LoginRequiredMiddleware, db=db, now=clock, secure=secure_cookies)
    app.add_middleware(CsrfCookieMiddleware, signer=signer)
    app.add_middleware(BodySizeLimitMiddleware, limit_for_path=limit_for_path)
    app.add_middleware(OriginCheckMiddleware)
    app.add_middleware(PathIdBoundMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_HOSTS)
    app.add_middleware(ServerTimingMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    protect = [Depends(csrf_protect)]
    # The runner pages: in clinic mode, closed to admins (and no web backup): see the guard.
    runner_pages = [Depends(runner_pages_guard), *protect]
    for router in (
        today_routes.router,
        activities.router,
        load.router,
        check.router,
        plan.router,
        form.router,
        settings.router,
        jobs.router,
        report.router,
    ):
        app.include_router(router, dependencies=runner_pages)
    if clinic:
        app.include_router(auth_routes.router, dependencies=protect)
        app.include_router(users_routes.router, dependencies=protect)
        app.include_router(runner_routes.router, dependencies=protect)

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        return "ok"

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.headers.get("hx-request") == "true" or exc.status_code == 413:
            return HTMLResponse(
                f"<p class='error'>{html.escape(str(exc.detail))}</p>", status_code=exc.status_code
            )
        return render(request, "error.html", status_code=exc.status_code, message=exc.detail)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        )
        return _error_page(request, 422, f"The request was not valid: {problems}")

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A date like 0001-01-01 minus a week, or a number past what the database holds.
        log.info("value out of range on %s: %r", request.url.path, exc)
        return _error_page(
            request,
            422,
            "A value in the request is out of range (a date or "
            "number too far from today). Check it and try again.",
        )

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> Response:
        log.warning("bad value on %s: %r", request.url.path, exc)
        return _error_page(
            request, 422, "A value in the request is not valid. Check it and try again."
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # The runner sees a plain page; the details go to the server's log, never the page.
        log.error("error on %s %s", request.method, request.url.path, exc_info=exc)
        response = _error_page(
            request,
            500,
            "Something went wrong on the server. Your data "
            "is safe; try again, or restart StrideBack if it keeps happening.",
        )
        response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS})
        return response

    return app


def _error_page(request: Request, status: int, message: str) -> Response:
    if request.headers.get("hx-request") == "true" or "csrf_token" not in request.scope.get(
        "state", {}
    ):
        return HTMLResponse(f"<p class='error'>{html.escape(message)}</p>", status_code=status)
    try:
        return render(request, "error.html", status_code=status, message=message)
    except Exception:  # rendering itself failed: still no traceback for the runner
        log.exception("error page could not be rendered")
        return HTMLResponse(f"<p class='error'>{html.escape(message)}</p>", status_code=status)
