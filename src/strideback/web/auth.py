"""Clinic mode's gate: every request outside a few public paths needs a live login session.

The session cookie (`sb_session`) carries a random token; the server keeps its SHA-256
(accounts/sessions.py). The middleware resolves it once per request and puts the user and
session on `request.state` (read them with `deps.current_user` / `deps.acting_runner`).
A visitor without a session is sent to `/login?next=<where they were going>` (a page
request) or gets 401 (htmx, JSON and any other request). Only installed in clinic mode:
the single-user default never sees this code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from strideback.accounts.model import SESSION_MAX_AGE
from strideback.accounts.sessions import resume_session
from strideback.store.db import Database

SESSION_COOKIE = "sb_session"
PUBLIC_PATHS = frozenset({"/login", "/logout", "/healthz", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/", "/invite/")
LOGIN_REQUIRED = "Please log in first."


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def login_url(next_path: str | None) -> str:
    if not next_path or next_path == "/":
        return "/login"
    return "/login?next=" + quote(next_path, safe="")


def set_session_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_MAX_AGE.total_seconds()),
        path="/",
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name and v:
                    return str(v)
    return None


def _wants_page(scope: Scope) -> bool:
    """A browser navigating to a page (not htmx, not an API call)."""
    if scope["method"] not in ("GET", "HEAD") or _header(scope, b"hx-request") == "true":
        return False
    if scope["path"].startswith("/api/"):
        return False
    accept = _header(scope, b"accept")
    return not accept or "text/html" in accept or ("*/*" in accept and "json" not in accept)


class LoginRequiredMiddleware:
    """Resolve the session cookie; refuse a request without one unless its path is public."""

    def __init__(
        self, app: ASGIApp, db: Database, now: Callable[[], dt.datetime], secure: bool
    ) -> None:
        self.app = app
        self.db = db
        self.now = now
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _cookie(scope, SESSION_COOKIE)
        live = (
            await run_in_threadpool(resume_session, self.db, token, now=self.now())
            if token
            else None
        )
        state = scope.setdefault("state", {})
        state["auth_session"] = live
        state["user"] = live.user if live is not None else None
        if live is not None or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        await self._refuse(scope, receive, send, stale_cookie=token is not None)

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, *, stale_cookie: bool
    ) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope["path"] + (f"?{query}" if query else "")
        response: Response
        if _wants_page(scope):
            response = Response(status_code=303, headers={"location": login_url(target)})
        elif _header(scope, b"hx-request") == "true":
            current = _header(scope, b"hx-current-url")
            response = Response(
                f"<p class='error'>{LOGIN_REQUIRED}</p>",
                status_code=401,
                media_type="text/html",
                headers={"hx-redirect": login_url(_path_of(current) or None)},
            )
        else:
            response = Response(
                json.dumps({"detail": LOGIN_REQUIRED}),
                status_code=401,
                media_type="application/json",
            )
        if stale_cookie:
            clear_session_cookie(response, secure=self.secure)
        await response(scope, receive, send)


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
