"""The progress report as a PDF download: `GET /report.pdf?weeks=8` (behind the plan gate)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from strideback.report.service import DEFAULT_WEEKS, MAX_WEEKS, progress_report_pdf
from strideback.web.deps import runner_db, today

router = APIRouter()


@router.get("/report.pdf")
def report_pdf(request: Request, weeks: int = Query(DEFAULT_WEEKS, ge=1, le=MAX_WEEKS)) -> Response:
    """The runner's progress report for an appointment (the same PDF as `strideback report`)."""
    day = today(request)
    data = progress_report_pdf(runner_db(request), day, weeks)  # the acting runner's data
    name = f"strideback-report-{day.isoformat()}.pdf"
    return Response(
        content=data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
