"""Render a `ProgressReport` to PDF with reportlab (pure-Python wheel, no system libraries).

The chart is drawn with matplotlib (Agg, in memory) and embedded as a PNG. Text uses the
DejaVu Sans font that ships inside matplotlib, so "≥", "–" and accents print everywhere.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from matplotlib.figure import Figure
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from strideback.report.content import ProgressReport, WeekRow

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
WIDTH = A4[0] - 36 * mm


@lru_cache(maxsize=1)
def _styles() -> dict[str, ParagraphStyle]:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(fonts / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName=FONT, fontSize=9.5, leading=13)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName=BOLD, fontSize=18),
        "h2": ParagraphStyle(
            "h2", parent=base["Heading2"], fontName=BOLD, fontSize=13, keepWithNext=1
        ),
        "h3": ParagraphStyle(
            "h3", parent=base["Heading3"], fontName=BOLD, fontSize=10.5, keepWithNext=1
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8, leading=10.5),
        "box": ParagraphStyle(
            "box",
            parent=body,
            borderColor=colors.HexColor("#b3261e"),
            borderWidth=1,
            borderPadding=6,
            backColor=colors.HexColor("#fdecea"),
            spaceBefore=6,
            spaceAfter=10,
        ),  # fmt: skip
    }


def _p(text: str, style: str = "body") -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


def _table(rows: list[list[str]], widths: list[float]) -> Table:
    cells = [[_p(c, "small") for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def chart_png(weeks: list[WeekRow], pain_ok_max: float = 3) -> bytes:
    """Weekly running km (bars) and the week's worst pain (line, 0–10)."""
    fig = Figure(figsize=(7.0, 2.6), dpi=150)
    ax = fig.add_subplot()
    x = list(range(len(weeks)))
    ax.bar(x, [w.run_km for w in weeks], color="#7fa7c9", label="running km")
    ax.set_ylabel("running km per week")
    ax.set_ylim(0, max([5.0, *(w.run_km * 1.15 for w in weeks)]))
    if not any(w.run_km for w in weeks):
        ax.text(0.5, 0.5, "no running imported in these weeks", transform=ax.transAxes,
                ha="center", va="center", color="#555555", fontsize=8)  # fmt: skip
    every = max(1, len(weeks) // 16)  # at most about 16 dates under the bars
    ticks = x[::every]
    ax.set_xticks(ticks, [weeks[i].week_start.strftime("%d %b %y") for i in ticks],
                  fontsize=7, rotation=45)  # fmt: skip
    pain = ax.twinx()
    points = [(i, w.worst_pain) for i, w in enumerate(weeks) if w.worst_pain is not None]
    if points:
        pain.plot([i for i, _ in points], [p for _, p in points], "o-", color="#b3261e",
                  markersize=5 if len(weeks) <= 26 else 2, label="worst pain")  # fmt: skip
    pain.set_ylim(0, 10)
    pain.set_ylabel("worst pain (0–10)")
    pain.axhline(pain_ok_max, color="#b3261e", linewidth=0.6, linestyle=":")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _header(r: ProgressReport) -> list[Flowable]:
    return [
        _p("StrideBack progress report", "title"),
        _p(
            f"{r.runner} · {r.period_start:%d %b %Y} to {r.period_end:%d %b %Y} · "
            f"made on {r.made_on:%d %b %Y}"
        ),  # fmt: skip
        _p(r.disclaimer, "small"),
        Spacer(1, 4 * mm),
    ]


def _plan(r: ProgressReport) -> list[Flowable]:
    out: list[Flowable] = [_p("Where the plan stands", "h2")]
    if r.referral is not None:
        ref = r.referral
        text = f"<b>{escape(ref.heading)}.</b> {escape(ref.reason)}<br/><b>Next step:</b> " + (
            escape(ref.next_step)
        )
        out.append(Paragraph(text, _styles()["box"]))
        out.append(_p("The plan is on hold: no sessions or exercise programme are shown until "
                      "a clinician has seen you.", "small"))  # fmt: skip
        return out
    day = f" (day {r.plan_day})" if r.plan_day else ""
    out.append(_p(f"Current step: {r.step}{day}. Phase: {r.phase.replace('_', '-')}."))
    if r.decision:
        out.append(_p(f"Today's decision: {r.decision}. {r.reason}"))
    if r.why:
        out.append(_p(f"Why: {r.why}", "small"))
    for s in r.sources:
        out.append(_p(f"Source: {s}", "small"))
    if r.sessions:
        out.append(_p("Today's sessions", "h3"))
        out += [_p(f"• {s}") for s in r.sessions]
    for n in r.notes:
        out.append(_p(n, "small"))
    return out


def _load(r: ProgressReport) -> list[Flowable]:
    out: list[Flowable] = [_p("Pain over load", "h2")]
    if not r.weeks:
        return []
    out.append(
        Image(io.BytesIO(chart_png(r.weeks, r.pain_ok_max)), width=WIDTH, height=WIDTH * 2.6 / 7.0)
    )
    out.append(_p(f"Bars: running km per week (imported activities). Line: the worst pain "
                  f"logged that week (0–10); the dotted line is {r.pain_ok_max}/10, the pain "
                  "allowed during activity.", "small"))  # fmt: skip
    return out


def _kujala(r: ProgressReport) -> list[Flowable]:
    out: list[Flowable] = [_p("Knee score (Kujala, 0–100) history", "h2")]
    if not r.kujala:
        return [*out, _p("No Kujala score yet: take the knee check.")]
    rows = [["date", "score", "change", "since first", "meaningful?"]]
    for k in r.kujala:
        rows.append([
            k.day.isoformat() if k.day else "–", str(k.score),
            "–" if k.change is None else f"{k.change:+d}",
            "–" if k.since_first is None else f"{k.since_first:+d}",
            "yes" if k.meaningful else ("–" if k.since_first is None else "not yet"),
        ])  # fmt: skip
    out.append(_table(rows, [WIDTH * f for f in (0.22, 0.14, 0.14, 0.18, 0.32)]))
    out.append(_p(f"A change of {r.kujala_mcid} points or more is a meaningful change.",
                  "small"))  # fmt: skip
    return out


def _diary(r: ProgressReport) -> list[Flowable]:
    d = r.diary
    if d is None:
        return []
    pain = "none logged" if d.worst_pain is None else f"{d.worst_pain}/10"
    rows = [
        ["days logged", "done", "modified", "skipped", "rest", "step-backs", "red flags",
         "worst pain"],
        [str(d.days_logged), str(d.done), str(d.modified), str(d.skipped), str(d.rest),
         str(d.step_backs), str(d.red_flag_days), pain],
    ]  # fmt: skip
    out: list[Flowable] = [_p("Diary summary", "h2"), _table(rows, [WIDTH / 8] * 8)]
    weekly = [w for w in r.weeks if w.worst_pain is not None]
    if weekly:
        out.append(Spacer(1, 2 * mm))
        wrows = [["week from", "running km", "worst pain"]]
        wrows += [[w.week_start.isoformat(), f"{w.run_km:.1f}", f"{w.worst_pain}/10"]
                  for w in weekly]  # fmt: skip
        out.append(_table(wrows, [WIDTH * f for f in (0.3, 0.3, 0.4)]))
    return out


def _form(r: ProgressReport) -> list[Flowable]:
    f = r.form
    out: list[Flowable] = [_p("Latest running form clip", "h2")]
    if f is None:
        return [*out, _p("No form clip analysed yet (`strideback form VIDEO`).")]
    when = f.recorded_on.isoformat() if f.recorded_on else "date unknown"
    out.append(_p(f"Filmed {when}, {f.view} view. Only measurements rated good are findings; "
                  "the others are listed with the reason they are not trusted."))  # fmt: skip
    if f.findings:
        rows = [["measurement", "value", "confidence", "finding"]]
        rows += [[m.label, m.value, m.confidence, m.note] for m in f.findings]
        out.append(_table(rows, [WIDTH * x for x in (0.25, 0.15, 0.12, 0.48)]))
    if f.limited:
        out.append(_p("Not trusted from this clip", "h3"))
        rows = [["measurement", "value", "confidence", "why"]]
        rows += [[m.label, m.value, m.confidence, m.note] for m in f.limited]
        out.append(_table(rows, [WIDTH * x for x in (0.25, 0.15, 0.15, 0.45)]))
    return out


def _exercises(r: ProgressReport) -> list[Flowable]:
    if not r.exercises:
        return []
    out: list[Flowable] = [_p("Exercise sheet (this week's routines)", "h2")]
    for ex in r.exercises:
        block: list[Flowable] = [_p(ex.name, "h3"), _p(f"Dosage: {ex.dosage}", "small")]
        block += [_p(f"{i}. {s}", "small") for i, s in enumerate(ex.steps, 1)]
        out.append(KeepTogether(block))
    return out


def render_pdf(report: ProgressReport) -> bytes:
    """The whole report as PDF bytes (A4)."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
        bottomMargin=16 * mm, title="StrideBack progress report", author="StrideBack",
        invariant=True,
    )  # fmt: skip
    story = _header(report)
    if report.empty:
        story += [_p(n) for n in report.notes]
    else:
        for part in (_plan, _load, _kujala, _diary, _form, _exercises):
            story += part(report)
    doc.build(story)
    return out.getvalue()
