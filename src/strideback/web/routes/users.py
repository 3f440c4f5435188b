"""Clinic mode's account pages: the admin's Users page (clinicians, admins) and the
clinician's Runners page (their runners, one-time invite links, choosing whom to work on)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from strideback.accounts.model import AccountError, User, may_act_for
from strideback.accounts.service import (
    add_user,
    create_invite,
    get_user,
    list_users,
    reset_password,
)
from strideback.accounts.sessions import set_acting_runner
from strideback.web.deps import current_session, get_db, now, render, require_user, run_write
from strideback.web.routes.auth import form_text
from strideback.web.security import local_path

router = APIRouter()
STAFF_ROLES = ("clinician", "admin")  # what the admin's form creates


def invite_link(request: Request, code: str) -> str:
    return str(request.base_url).rstrip("/") + f"/invite/{code}"


def _users_page(request: Request, status_code: int = 200, **context: object) -> Response:
    users = list_users(get_db(request))
    names = {u.id: u.display_name for u in users}
    return render(
        request,
        "users.html",
        status_code=status_code,
        active="users",
        users=users,
        clinician_names=names,
        roles=STAFF_ROLES,
        **context,
    )


@router.get("/users")
def users_page(request: Request) -> Response:
    require_user(request, "admin")
    return _users_page(request)


@router.post("/users")
async def users_add(request: Request) -> Response:
    require_user(request, "admin")
    form = await request.form()
    role = form_text(form, "role")
    username, name = form_text(form, "username"), form_text(form, "display_name")
    db = get_db(request)
    if role not in STAFF_ROLES:
        return _users_page(request, 422, error="role: choose clinician or admin here.")
    try:
        user = await run_write(request, add_user, db, username, role, display_name=name or None)
        code = await run_write(request, create_invite, db, user.id, now=now(request))
    except AccountError as exc:
        return _users_page(request, 422, error=str(exc), values={"username": username[:64]})
    return _users_page(request, invited=user, link=invite_link(request, code))


@router.post("/users/{user_id}/reset")
async def users_reset(request: Request, user_id: int) -> Response:
    require_user(request, "admin")
    db = get_db(request)
    user = get_user(db, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="No such user.")
    code = await run_write(request, reset_password, db, user.username)
    return _users_page(request, invited=user, link=invite_link(request, code), reset=True)


def _runners_page(
    request: Request, clinician: User, status_code: int = 200, **context: object
) -> Response:
    """The clinician board: their runners, most urgent first (clinic/board.py)."""
    from strideback.clinic.board import board, keep_warm
    from strideback.clinic.triage import thresholds
    from strideback.web.deps import today

    rows = board(get_db(request), clinician.id, today(request))
    keep_warm(get_db(request), clinician.id, request.app.state.today)
    live = current_session(request)
    return render(
        request,
        "runners.html",
        status_code=status_code,
        active="runners",
        rows=rows,
        limits=thresholds(),
        acting_id=live.acting_runner_id if live is not None else None,
        **context,
    )


@router.get("/runners")
def runners_page(request: Request) -> Response:
    clinician = require_user(request, "clinician")
    return _runners_page(request, clinician)


@router.post("/runners")
async def runners_add(request: Request) -> Response:
    clinician = require_user(request, "clinician")
    form = await request.form()
    username, name = form_text(form, "username"), form_text(form, "display_name")
    db = get_db(request)
    try:
        runner = await run_write(
            request,
            add_user,
            db,
            username,
            "runner",
            display_name=name or None,
            clinician_id=clinician.id,
        )
        code = await run_write(request, create_invite, db, runner.id, now=now(request))
    except AccountError as exc:
        return _runners_page(
            request, clinician, 422, error=str(exc), values={"username": username[:64]}
        )
    return _runners_page(request, clinician, invited=runner, link=invite_link(request, code))


def _own_runner(request: Request, runner_id: int) -> tuple[User, User]:
    """(clinician, runner) when the runner is assigned to the logged-in clinician; else 403."""
    clinician = require_user(request, "clinician")
    runner = get_user(get_db(request), runner_id)
    if runner is None or not may_act_for(clinician, runner):
        # The same answer whether the id exists or not: ids of others' runners leak nothing.
        raise HTTPException(status_code=403, detail="This runner is not assigned to you.")
    return clinician, runner


# GET /runners/{runner_id}, the runner page itself: web/routes/runner.py.


@router.post("/runners/{runner_id}")
async def runner_choose(request: Request, runner_id: int) -> Response:
    """Work on this runner's pages: the session's acting runner (deps.acting_runner), then
    Today or the page named by `next` (a path on this site: e.g. a clip's report)."""
    _clinician, runner = _own_runner(request, runner_id)
    form = await request.form()
    live = current_session(request)
    if live is not None:
        await run_write(request, set_acting_runner, get_db(request), live.id, runner.id)
    return RedirectResponse(local_path(form_text(form, "next"), "/"), status_code=303)


@router.post("/runners/{runner_id}/invite")
async def runner_invite(request: Request, runner_id: int) -> Response:
    """A new one-time link for a runner who has not set a password yet."""
    clinician, runner = _own_runner(request, runner_id)
    if runner.has_password:
        return _runners_page(
            request, clinician, 422, error="This runner has set a password already."
        )
    code = await run_write(request, create_invite, get_db(request), runner.id, now=now(request))
    return _runners_page(request, clinician, invited=runner, link=invite_link(request, code))
