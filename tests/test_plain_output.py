"""Nothing a runner reads points to internal notes: every template output is in plain words."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from markupsafe import Markup

from strideback.form.model import FormAnalysis, GaitEvents, Metric
from strideback.plan.wording import plain_output
from strideback.web.deps import templates

INTERNAL = ("evidence.md", "§")


def test_plain_output_strips_references_but_keeps_markup() -> None:
    assert plain_output("Young 2023 (evidence.md §6d)") == "Young 2023"
    assert plain_output("see evidence.md §4") == "see"
    figure = Markup("<svg><text>§ kept as drawn</text></svg>")
    assert plain_output(figure) is figure
    assert plain_output(3) == 3


def test_web_templates_print_no_internal_reference() -> None:
    page = templates.env.from_string("<p>{{ reason }}</p>").render(
        reason="the far leg is hidden (evidence.md §6d); film from behind"
    )
    assert not any(mark in page for mark in INTERNAL)
    assert "film from behind" in page


def test_form_report_prints_no_internal_reference(tmp_path: Path) -> None:
    from strideback.form.report import render_report

    metric = Metric(
        "cadence",
        "Cadence",
        170.0,
        "steps/min",
        reason="clear clip (evidence.md §6d)",
        reference={"citation": "evidence.md §6c", "evidence": "moderate"},
    )
    analysis = FormAnalysis(
        view="side",
        task="run",
        fps=60.0,
        capture_fps=60.0,
        time_scale=1.0,
        quality=[],
        metrics={"cadence": metric},
        events=GaitEvents(stances=[]),
    )
    out = render_report(
        tmp_path / "report.html",
        analysis,
        video_name="clip.mp4",
        recorded_on=dt.date(2026, 12, 1),
        backend="mediapipe",
    )
    html = out.read_text(encoding="utf-8")
    assert "Cadence" in html
    assert not any(mark in html for mark in INTERNAL)
