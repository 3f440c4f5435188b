"""Evidence: every piece of advice with its strength label and its sources."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from strideback.coach.evidence import evidence_items
from strideback.web.deps import render

router = APIRouter()


@router.get("/evidence", response_class=HTMLResponse)
def evidence_page(request: Request) -> Response:
    groups: dict[str, list[object]] = {}
    for item in evidence_items():
        groups.setdefault(item.group, []).append(item)
    return render(request, "evidence.html", active="evidence", groups=groups)
