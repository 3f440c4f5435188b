"""Self-contained HTML report (charts inlined as base64 PNG, no external assets)."""

from __future__ import annotations

import base64
import datetime as dt
import io
from pathlib import Path

import numpy as np
from jinja2 import Environment, FileSystemLoader, select_autoescape

from strideback import DISCLAIMER
from strideback.form.model import FormAnalysis
from strideback.form.reference import load_reference
from strideback.plan.wording import plain_output

TEMPLATE = "report_template.html"
PER_STEP_CHARTS = ("step_time", "contact_time", "knee_flexion_contact", "knee_flexion_peak",
                   "pelvic_drop", "fppa")  # fmt: skip


def _png(fig) -> str:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def warm_up_charts() -> None:
    """Import matplotlib ahead of `charts` (~1 s), e.g. while a core is otherwise idle."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401


def charts(analysis: FormAnalysis) -> list[tuple[str, str]]:
    warm_up_charts()
    import matplotlib.pyplot as plt

    out: list[tuple[str, str]] = []
    s = analysis.angle_series
    t = np.array([np.nan if v is None else v for v in s.get("t_s", [])], dtype=float)
    if analysis.view == "side" and t.size:
        fig, ax = plt.subplots(figsize=(9, 3))
        for side in ("left", "right"):
            y = np.array([np.nan if v is None else v for v in s[f"knee_flexion_{side}"]], float)
            near = side == analysis.events.near
            ax.plot(t, y, lw=1.8 if near else 1.0, alpha=1 if near else 0.6,
                    label=f"{side} knee ({'near' if near else 'far'} leg)")  # fmt: skip
        for st in analysis.events.stances:
            if st.foot == analysis.events.near:
                ax.axvspan(st.contact_t, st.toe_off_t, color="orange", alpha=0.15, lw=0)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("knee flexion (deg)")
        ax.legend(loc="upper right", fontsize=8)
        ax.set_title("Knee flexion; shaded = near-leg ground contact", fontsize=10)
        out.append(("Knee flexion over time", _png(fig)))
    elif t.size:
        fig, ax = plt.subplots(figsize=(9, 3))
        y = np.array([np.nan if v is None else v for v in s["pelvis_tilt_right_low"]], float)
        ax.plot(t, y, lw=1.2)
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("time (s)")
        ax.set_ylabel("pelvis tilt (deg, + right hip lower)")
        out.append(("Pelvis tilt over time", _png(fig)))
    per_step = [
        (m.label, m.per_step) for m in analysis.metrics.values()
        if m.per_step and m.confidence != "not measurable" and m.name in PER_STEP_CHARTS
    ]  # fmt: skip
    if per_step:
        fig, axes = plt.subplots(1, len(per_step), figsize=(3.2 * len(per_step), 2.8))
        for ax, (label, values) in zip(np.atleast_1d(axes), per_step, strict=True):
            ax.plot(range(1, len(values) + 1), values, "o-", ms=3)
            ax.set_title(label, fontsize=9)
            ax.set_xlabel("step")
        # fixed margins: tight_layout measured every label and cost ~0.6 s
        fig.subplots_adjust(left=0.5 / fig.get_figwidth(), right=0.99, bottom=0.2, top=0.88,
                            wspace=0.35)  # fmt: skip
        out.append(("Step by step", _png(fig)))
    return out


def exercise_names(analysis: FormAnalysis) -> dict[str, str]:
    """Exercise id -> name from the exercise library (the id itself if it is not there)."""
    from strideback.exercises.library import get_exercise

    names: dict[str, str] = {}
    for m in analysis.metrics.values():
        for e in m.exercises:
            try:
                names[e] = get_exercise(e).name
            except (KeyError, ValueError):
                names[e] = e
    return names


def render_report(
    path: Path,
    analysis: FormAnalysis,
    *,
    video_name: str,
    recorded_on: dt.date,
    backend: str,
) -> Path:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent),
        autoescape=select_autoescape(["html"]),
        finalize=plain_output,  # no internal references in what the runner reads
    )
    html = env.get_template(TEMPLATE).render(
        video_name=video_name,
        view=analysis.view,
        task=analysis.task,
        recorded_on=recorded_on.isoformat(),
        fps=analysis.fps,
        capture_fps=analysis.capture_fps,
        time_scale=analysis.time_scale,
        quality=analysis.quality,
        metrics=analysis.metrics,
        charts=charts(analysis),
        backend=backend,
        disclaimer=DISCLAIMER,
        ranges_disclaimer=" ".join(load_reference()["disclaimer"].split()),
        exercise_names=exercise_names(analysis),
    )
    path.write_text(html, encoding="utf-8")
    return path
