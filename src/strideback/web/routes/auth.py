"""Clinic mode: log in, log out, and accept an invite (set your own password)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from strideback.accounts.model import AccountError, User
from strideback.accounts.service import accept_invite, authenticate, invited_user
from strideback.accounts.sessions import end_session, start_session
from strideback.web.auth import SESSION_COOKIE, clear_session_cookie, set_session_cookie
from strideback.web.deps import current_user, get_db, now, render, run_write
from strideback.web.security import CSRF_COOKIE, local_path

router = APIRouter()
HOME_FOR_ROLE = {"admin": "/users", "clinician": "/runners", "runner": "/"}


def home_for(user: User) -> str:
    return HOME_FOR_ROLE.get(user.role, "/")


def secure_cookies(request: Request) -> bool:
    """Secure cookies when asked to, or when the request came in over https."""
    return bool(request.app.state.secure_cookies) or request.url.scheme == "https"


def form_text(form: FormData, name: str) -> str:
    """A text field of a posted form ("" when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:  # noqa: A002 (the URL's name)
    user = current_user(request)
    if user is not None:
        return RedirectResponse(local_path(next, home_for(user)), status_code=303)
    return render(request, "login.html", active="login", next=local_path(next, ""), username="")


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    username, password = form_text(form, "username"), form_text(form, "password")
    target = local_path(form_text(form, "next"), "")
    db = get_db(request)
    try:
        user = await run_write(request, authenticate, db, username, password, now=now(request))
    except AccountError as exc:
        status = 429 if str(exc).startswith("Too many") else 401
        return render(
            request,
            "login.html",
            status_code=status,
            active="login",
            error=str(exc),
            next=target,
            username=username[:64],
        )
    old_token = request.cookies.get(SESSION_COOKIE)
    token = await run_write(
        request, start_session, db, user.id, now=now(request), replacing=old_token
    )
    response = RedirectResponse(target or home_for(user), status_code=303)
    set_session_cookie(response, token, secure=secure_cookies(request))
    # A fresh CSRF token with the fresh session (the middleware issues it on the next page).
    response.delete_cookie(CSRF_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    await run_write(request, end_session, get_db(request), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, secure=secure_cookies(request))
    return response


@router.get("/invite/{code}")
def invite_page(request: Request, code: str) -> Response:
    invited = invited_user(get_db(request), code, now=now(request))
    if invited is None:
        return render(
            request,
            "invite.html",
            status_code=404,
            active="login",
            invited=None,
            error="This invite link is unknown, already used or expired: ask for a new one.",
        )
    return render(request, "invite.html", active="login", invited=invited, code=code)


@router.post("/invite/{code}")
async def invite_accept(request: Request, code: str) -> Response:
    form = await request.form()
    password, again = form_text(form, "password"), form_text(form, "password_again")
    db = get_db(request)
    invited = invited_user(db, code, now=now(request))
    error: str | None = None
    if invited is not None and password != again:
        error = "The two passwords differ: type the same one twice."
    elif invited is not None:
        try:
            user = await run_write(request, accept_invite, db, code, password, now=now(request))
        except AccountError as exc:
            error = str(exc)
        else:
            return render(
                request,
                "login.html",
                active="login",
                notice="Your password is set: log in with it now.",
                next="",
                username=user.username,
            )
    else:
        error = "This invite link is unknown, already used or expired: ask for a new one."
    return render(
        request,
        "invite.html",
        status_code=422 if invited is not None else 404,
        active="login",
        invited=invited,
        code=code if invited is not None else None,
        error=error,
    )
