"""The progress report, read through the existing services (coach, load, form) and rendered.

`progress_report(db, today)` -> ProgressReport; `progress_report_pdf(db, today)` -> PDF bytes.
The CLI (`strideback report`) and the web (`GET /report.pdf`) call these.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from strideback import DISCLAIMER
from strideback.coach.service import (
    current_plan,
    diary,
    get_exercise,
    get_settings,
    kujala_history,
    list_checks,
    todays_session,
)
from strideback.form.service import get_clip, list_clips
from strideback.load.service import weekly_load
from strideback.report.content import ProgressReport, build_report
from strideback.report.pdf import render_pdf
from strideback.store.db import Database

DEFAULT_WEEKS = 8
MAX_WEEKS = 104


def _latest_clip(db: Database) -> tuple[dict[str, dict[str, Any]], dt.date | None, str] | None:
    clips = list_clips(db)
    runs = [c for c in clips if c.task == "run"] or clips
    if not runs:
        return None
    clip = get_clip(db, runs[-1].id)
    return clip.metrics, clip.recorded_on, clip.view


def progress_report(
    db: Database, today: dt.date, weeks: int = DEFAULT_WEEKS, runner: str = ""
) -> ProgressReport:
    """The report's content for the last `weeks` weeks (1–104). ValueError on bad weeks."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}, got {weeks}")
    first = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    plan = current_plan(db, today)
    settings = get_settings(db)
    return build_report(
        today=today,
        weeks=weeks,
        view=todays_session(db, today),
        plan=plan,
        load=weekly_load(db, today, weeks),
        entries=diary(db, first, today),
        scores=kujala_history(db),
        has_check=bool(list_checks(db)),
        clip=_latest_clip(db),
        lookup=get_exercise,
        kujala_mcid=int(settings["kujala_mcid"]),
        pain_ok_max=int(settings["pain_ok_max"]),
        disclaimer=DISCLAIMER,
        runner=runner,
    )


def progress_report_pdf(
    db: Database, today: dt.date, weeks: int = DEFAULT_WEEKS, runner: str = ""
) -> bytes:
    """The report as one PDF (bytes)."""
    return render_pdf(progress_report(db, today, weeks, runner))
