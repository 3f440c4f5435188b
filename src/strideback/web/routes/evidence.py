"""Evidence: every piece of advice with its strength label and its sources."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from strideback.coach.evidence import evidence_items
from strideback.exercises import get_exercise, routine
from strideback.web.deps import render

SHEET_ROUTINES = {
    "irritable": ["strength_irritable_a", "strength_irritable_b", "release_daily"],
    "settling": ["strength_settling_a", "strength_settling_b", "release_daily"],
    "return": ["strength_return_a", "strength_return_b", "release_daily"],
}
SHEET_TITLES = {"a": "Strength A", "b": "Strength B", "daily": "Daily release and mobility"}

router = APIRouter()


@router.get("/evidence", response_class=HTMLResponse)
def evidence_page(request: Request) -> Response:
    groups: dict[str, list[object]] = {}
    for item in evidence_items():
        groups.setdefault(item.group, []).append(item)
    return render(request, "evidence.html", active="evidence", groups=groups)


@router.get("/exercises", response_class=HTMLResponse)
def exercise_sheet(request: Request, stage: str = "irritable") -> Response:
    """A printable sheet: the routines of one stage, every exercise with steps and figure."""
    if stage not in SHEET_ROUTINES:
        stage = "irritable"
    sheets = [
        (SHEET_TITLES[name.rsplit("_", 1)[1]], [get_exercise(e) for e in routine(name)])
        for name in SHEET_ROUTINES[stage]
    ]
    return render(
        request,
        "exercise_sheet.html",
        active="plan",
        stage=stage,
        stages=list(SHEET_ROUTINES),
        sheets=sheets,
    )
