"""The pure form pipeline: landmarks -> quality gate -> gait events -> metrics -> findings."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from strideback.form import quality
from strideback.form.events import far_contact_lags, frontal_events, side_events
from strideback.form.metrics_frontal import frontal_metrics, pelvic_drop, squat_metrics
from strideback.form.metrics_side import knee_flexion_series, side_metrics
from strideback.form.model import TASKS, VIEWS, FormAnalysis, FormError, GaitEvents, QualityCheck
from strideback.form.reference import attach_findings
from strideback.video.pose import Landmarks

MIN_RUNNING_SPM = 120.0  # a running cadence below this at container speed means slow motion
SLOW_MOTION_FACTORS = (2, 4, 8)


def real_time(lm: Landmarks, container_fps: float, capture_fps: float) -> Landmarks:
    """Landmarks with timestamps in real seconds (slow-motion clips play slower than life)."""
    scale = container_fps / capture_fps
    return replace(lm, t_s=lm.t_s * scale)


def measured_fps(t_s: np.ndarray, fallback: float) -> float:
    d = np.diff(t_s)
    d = d[d > 0]
    return float(1.0 / np.median(d)) if d.size else fallback


def stride_stats(events: GaitEvents) -> tuple[int, float | None]:
    best: list[float] = []
    for foot in ("left", "right"):
        t = [s.contact_t for s in events.for_foot(foot)]
        if len(t) > len(best):
            best = t
    if len(best) < 2:
        return max(0, len(best) - 1), None
    gaps = np.diff(best)
    return len(gaps), float(np.std(gaps) / np.mean(gaps))


def slow_motion_hint(cadence: float, fps: float) -> str:
    guesses = [int(fps * k) for k in SLOW_MOTION_FACTORS if 150 <= cadence * k <= 200]
    hint = f" (perhaps --capture-fps {guesses[0]})" if guesses else ""
    return (
        f"Cadence {cadence:.0f} steps/min at the file's {fps:.0f} fps is implausible for "
        f"running: the clip is probably slow motion. Give the real capture rate{hint}."
    )


def analyse_landmarks(
    lm: Landmarks,
    *,
    view: str = "auto",
    container_fps: float,
    capture_fps: float | None = None,
    task: str = "run",
    source: str = "clip",
) -> FormAnalysis:
    """Quality gate, events, metrics and findings for one clip (no I/O)."""
    if task not in TASKS:
        raise FormError(f"unknown task {task!r} (choose from {', '.join(TASKS)})")
    if view != "auto" and view not in VIEWS:
        raise FormError(f"unknown view {view!r} (choose from auto, {', '.join(VIEWS)})")
    checks: list[QualityCheck] = [quality.check_person(lm, source)]
    capture = capture_fps or container_fps
    real = real_time(lm, container_fps, capture)
    fps = measured_fps(real.t_s, capture)
    if view == "auto":
        view = "front" if task == "single-leg-squat" else quality.detect_view(lm)
    checks += quality.gate(real, view, fps, task)

    if task == "single-leg-squat":
        metrics = squat_metrics(real, fps)
        events = GaitEvents(stances=[])
        quality.assign_confidence(metrics, checks, real, fps, None)
        attach_findings(metrics)
        return FormAnalysis(view, task, container_fps, capture, container_fps / capture, checks,
                            metrics, events)  # fmt: skip

    events = side_events(real, fps) if view == "side" else frontal_events(real, fps)
    strides, cv = stride_stats(events)
    checks += quality.check_strides(strides, cv, source)
    if view == "side" and events.near:
        far = "right" if events.near == "left" else "left"
        far_check = quality.check_far_leg_timing(far_contact_lags(events), fps, far)
        if far_check:
            checks.append(far_check)
    metrics = (
        side_metrics(real, events, fps) if view == "side" else frontal_metrics(real, events, fps)
    )
    slow = False
    cadence = metrics["cadence"].value
    if capture_fps is None and cadence is not None and cadence < MIN_RUNNING_SPM:
        slow = True
        checks.append(QualityCheck("slow_motion", "warn", slow_motion_hint(cadence, fps), cadence))
    quality.assign_confidence(metrics, checks, real, fps, events.near, slow)
    attach_findings(metrics)
    series: dict[str, list[float]] = {}
    if view == "side":
        for side in ("left", "right"):
            series[f"knee_flexion_{side}"] = _rounded(knee_flexion_series(real, side, fps))
    else:
        tilt = pelvic_drop(real.xy("left_hip"), real.xy("right_hip"))
        series["pelvis_tilt_right_low"] = _rounded(tilt)
    series["t_s"] = _rounded(real.t_s, 4)
    return FormAnalysis(view, task, container_fps, capture, container_fps / capture, checks,
                        metrics, events, series)  # fmt: skip


def _rounded(a: np.ndarray, digits: int = 2) -> list[float]:
    return [None if not np.isfinite(v) else round(float(v), digits) for v in a]  # type: ignore[misc]
