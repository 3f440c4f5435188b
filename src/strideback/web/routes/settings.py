"""Settings: units, thresholds a clinician may change, back up everything, restore a backup."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, get_args

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from strideback.backup import BackupError, export_backup
from strideback.backup.archive import Mode
from strideback.backup.legacy import restore_any
from strideback.coach.service import get_settings, settings_catalogue, update_settings
from strideback.preferences import CHOICES, get_preferences, set_preference
from strideback.web.deps import (
    get_config,
    may_change_thresholds,
    render,
    runner_db,
    settings_actor,
)
from strideback.web.uploads import new_upload_folder, save_uploads

router = APIRouter()


RESTORE_MODES: tuple[Mode, ...] = get_args(Mode)


def parse_changes(
    current: dict[str, Any], form: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed changes for the settings that exist, following each current value's type."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in current.items():
        if isinstance(value, bool) and "_present" not in form:
            continue
        if isinstance(value, bool):
            new: Any = form.get(key) in ("on", "true", "1")
        elif key not in form:
            continue
        elif isinstance(value, int | float):
            raw = form[key].strip()
            try:
                number = float(raw)
            except ValueError:
                errors[key] = f"'{raw}' is not a number."
                continue
            new = int(number) if isinstance(value, int) and number.is_integer() else number
        elif isinstance(value, str) or value is None:
            new = form[key].strip()
        else:
            continue  # lists/dicts are not editable here
        if new != value:
            changes[key] = new
    return changes, errors


def _page(request: Request, status: int = 200, **extra: Any) -> Response:
    db = runner_db(request)
    rule = get_config(request).uploads["backup"]
    extra.setdefault("errors", {})
    return render(
        request,
        "settings.html",
        status_code=status,
        active="settings",
        current=get_settings(db),
        catalogue=settings_catalogue(),
        thresholds_editable=may_change_thresholds(request),
        prefs=get_preferences(db),
        unit_choices=CHOICES["units"],
        accept=",".join(rule.suffixes),
        upload_label=rule.label,
        **extra,
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request) -> Response:
    return _page(request)


@router.post("/settings", response_class=HTMLResponse)
async def save_settings(request: Request) -> Response:
    db = runner_db(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    changed: list[str] = []
    if "units" in form:
        try:
            if get_preferences(db)["units"] != form["units"]:
                set_preference(db, "units", form["units"])
                changed.append("units")
        except ValueError as exc:
            errors["units"] = str(exc)
    changes, errors_thresholds = parse_changes(get_settings(db), form)
    if not may_change_thresholds(request):
        # Clinic mode: a runner's thresholds are set by their clinician (runner page).
        if changes or errors_thresholds:
            errors["form"] = "Your clinician sets these thresholds: they were not changed."
        changes, errors_thresholds = {}, {}
    errors.update(errors_thresholds)
    if not errors and changes:
        try:
            await run_in_threadpool(
                lambda: update_settings(db, changes, actor=settings_actor(request))
            )
        except ValueError as exc:
            errors["form"] = str(exc)
    if errors:
        return _page(request, 422, errors=errors)
    changed += list(changes)
    message = f"Saved: {', '.join(changed)}." if changed else "Nothing changed."
    return _page(request, message=message)


@router.post("/settings/export")
async def export(request: Request) -> Response:
    """The same backup as `strideback export` (without videos), as a download."""
    db = runner_db(request)
    folder = Path(tempfile.mkdtemp(prefix="strideback-export-"))
    name = f"strideback-backup-{time.strftime('%Y-%m-%d')}.zip"
    try:
        summary = await run_in_threadpool(export_backup, db, folder / name)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        return _page(request, 500, errors={"top": f"The backup could not be written: {exc}"})
    return FileResponse(
        summary.path,
        media_type="application/zip",
        filename=name,
        background=BackgroundTask(shutil.rmtree, folder, True),
    )


@router.post("/settings/restore", response_class=HTMLResponse)
async def restore(request: Request) -> Response:
    """Restore a backup; its errors are shown at the top of the page."""
    form = await request.form(max_files=1)
    backup = form.get("backup")
    raw_mode = form.get("mode")
    mode: Mode = next((m for m in RESTORE_MODES if m == raw_mode), "empty")
    files = [backup] if isinstance(backup, UploadFile) and backup.filename else []
    folder = new_upload_folder("restore")
    try:
        saved, upload_errors = await save_uploads(
            files, get_config(request).uploads["backup"], folder
        )
        if upload_errors:
            return _page(request, 422, errors={"top": "; ".join(upload_errors)}, mode=mode)
        summary = await run_in_threadpool(restore_any, runner_db(request), saved[0], mode)
    except BackupError as exc:
        return _page(request, 422, errors={"top": str(exc)}, mode=mode)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    request.state.units = None  # the restore may have changed the units
    request.app.state.cache.clear()  # and any page result computed from the old data
    return _page(request, message=f"Restored ({summary.mode}): {summary.describe()}.")
