"""The pure form pipeline: landmarks -> quality gate -> gait events -> metrics -> findings.

Order: the person must be found and upright; the capture checks run; events and metrics are
computed in real time (a known capture rate rescales the clock); the playback speed is judged
from running physics when the capture rate is not known (strideback.form.capture); every
metric's confidence follows from the checks it depends on; values outside what running
allows are refused; findings and advice come only from metrics rated good.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from strideback.form import quality
from strideback.form.bounds import refuse_implausible
from strideback.form.capture import (
    RUNNING_SPM,
    candidate_rates,
    duty_factor_pct,
    judge_speed,
    nominal_rate,
)
from strideback.form.confidence import assign_confidence
from strideback.form.events import far_contact_lags, frontal_events, side_events
from strideback.form.metrics_frontal import frontal_metrics, pelvic_drop, squat_metrics
from strideback.form.metrics_side import knee_flexion_series, side_metrics
from strideback.form.model import (
    TASKS,
    VIEW_CHOICES,
    FloatArray,
    FormAnalysis,
    FormError,
    GaitEvents,
    Landmarks,
    Metric,
    QualityCheck,
    Task,
    View,
)
from strideback.form.reference import attach_findings


def real_time(lm: Landmarks, container_fps: float, capture_fps: float) -> Landmarks:
    """Landmarks with timestamps in real seconds (slow-motion clips play slower than life)."""
    scale = container_fps / capture_fps
    return replace(lm, t_s=lm.t_s * scale)


def measured_fps(t_s: FloatArray, fallback: float) -> float:
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


def validate_choices(view: str, task: str) -> None:
    """Refuse an unknown view or task (before any decoding is done)."""
    if task not in TASKS:
        raise FormError(f"unknown task {task!r} (choose from {', '.join(TASKS)})")
    if view not in VIEW_CHOICES:
        raise FormError(f"unknown view {view!r} (choose from {', '.join(VIEW_CHOICES)})")


@dataclass
class _Pass:
    """Events and metrics of a running clip at one assumed capture rate."""

    capture: float
    fps: float
    real: Landmarks
    checks: list[QualityCheck]
    events: GaitEvents
    metrics: dict[str, Metric]


def _run_pass(
    lm: Landmarks, view: View, container_fps: float, capture: float, source: str,
    first: list[QualityCheck],
) -> _Pass:  # fmt: skip
    real = real_time(lm, container_fps, capture)
    fps = measured_fps(real.t_s, capture)
    checks = first + quality.gate(real, view, fps, "run")
    events = side_events(real, fps) if view == "side" else frontal_events(real, fps)
    strides, cv = stride_stats(events)
    checks += quality.check_strides(strides, cv, source, checks)
    if view == "side" and events.near:
        far = "right" if events.near == "left" else "left"
        far_check = quality.check_far_leg_timing(far_contact_lags(events), fps, far)
        if far_check:
            checks.append(far_check)
    metrics = (
        side_metrics(real, events, fps) if view == "side" else frontal_metrics(real, events, fps)
    )
    return _Pass(capture, fps, real, checks, events, metrics)


def _suggest_rate(
    lm: Landmarks, view: View, container_fps: float, cadence: float, source: str,
    first: list[QualityCheck],
) -> tuple[float, float] | None:  # fmt: skip
    """A standard capture rate that puts the cadence inside running's range AND with which
    the clip passes the stride count (so the suggested re-run cannot end in a refusal the
    tool can foresee): (rate, cadence at that rate), or None."""
    for rate in candidate_rates(cadence, container_fps):
        try:
            trial = _run_pass(lm, view, container_fps, rate, source, list(first))
        except FormError:
            continue
        value = trial.metrics["cadence"].value
        if value is not None and RUNNING_SPM[0] <= value <= RUNNING_SPM[1]:
            return rate, value
    return None


def _speed_check(
    p: _Pass, lm: Landmarks, view: View, container_fps: float, capture_fps: float | None,
    capture_source: str, source: str, first: list[QualityCheck],
) -> QualityCheck:  # fmt: skip
    """capture_rate: ok when the capture rate is known and running-like, or when the clip
    plays at real speed by running physics; warn (timing not reported) otherwise."""
    cadence = p.metrics["cadence"].value
    judged = judge_speed(cadence, duty_factor_pct(p.events), p.fps)
    if capture_fps is not None:
        if judged.verdict == "real time":
            return QualityCheck("capture_rate", "ok", f"Capture rate {capture_fps:g} fps "
                                f"({capture_source}); {judged.message[0].lower()}"
                                f"{judged.message[1:]}", capture_fps)  # fmt: skip
        return QualityCheck(
            "capture_rate", "warn", f"With the capture rate of {capture_fps:g} fps "
            f"({capture_source}): {judged.message[0].lower()}{judged.message[1:]}; check the "
            "capture rate", capture_fps,
        )  # fmt: skip
    if judged.verdict == "real time":
        return QualityCheck("capture_rate", "ok", judged.message, container_fps)
    if judged.verdict != "slow motion" or cadence is None:
        return QualityCheck("capture_rate", "warn", judged.message, None)
    rate = _suggest_rate(lm, view, container_fps, cadence, source, first)
    if rate is None:
        ask = (
            ". No standard capture rate makes this clip pass the checks: if you know the real "
            "capture rate, give it (--capture-fps N, or the capture-rate field when uploading)"
        )
    else:
        ask = (
            f". Give the real capture rate to get timing: probably --capture-fps {rate[0]:g} "
            f"(or {rate[0]:g} in the capture-rate field when uploading); at that rate the clip "
            f"passes the stride checks with {rate[1]:.0f} steps/min. No cadence advice until "
            "the capture rate is known"
        )
    return QualityCheck("capture_rate", "warn", judged.message + ask,
                        rate[0] if rate else None)  # fmt: skip


def analyse_landmarks(
    lm: Landmarks,
    *,
    view: str = "auto",
    container_fps: float,
    capture_fps: float | None = None,
    task: str = "run",
    source: str = "clip",
    capture_source: str = "given",
) -> FormAnalysis:
    """Quality gate, events, metrics and findings for one clip (no I/O).

    `capture_fps` is the real capture rate when known (given by the user, or read from the
    file's metadata: say which in `capture_source`); None means unknown."""
    validate_choices(view, task)
    checks: list[QualityCheck] = [quality.check_person(lm, source)]
    checks.append(quality.check_upright(lm, source))
    container = nominal_rate(container_fps)
    capture = nominal_rate(capture_fps) if capture_fps else container
    the_task: Task = "single-leg-squat" if task == "single-leg-squat" else "run"
    the_view: View
    if view == "auto":
        the_view = "front" if the_task == "single-leg-squat" else quality.detect_view(lm)  # type: ignore[assignment]
    else:
        the_view = view  # type: ignore[assignment]

    if the_task == "single-leg-squat":
        real = real_time(lm, container, capture)
        fps = measured_fps(real.t_s, capture)
        checks += quality.gate(real, the_view, fps, the_task)
        metrics = squat_metrics(real, fps)
        assign_confidence(metrics, checks, real, None)
        refuse_implausible(metrics)
        attach_findings(metrics)
        return FormAnalysis(the_view, the_task, container, capture, container / capture, checks,
                            metrics, GaitEvents(stances=[]))  # fmt: skip

    first = list(checks)
    p = _run_pass(lm, the_view, container, capture, source, first)
    checks = p.checks
    checks.append(_speed_check(p, lm, the_view, container, capture_fps and capture,
                               capture_source, source, first))  # fmt: skip
    metrics, real = p.metrics, p.real
    assign_confidence(metrics, checks, real, p.events.near)
    refuse_implausible(metrics)
    attach_findings(metrics)
    series: dict[str, list[float | None]] = {}
    if the_view == "side":
        for side in ("left", "right"):
            series[f"knee_flexion_{side}"] = _rounded(knee_flexion_series(real, side, p.fps))
    else:
        tilt = pelvic_drop(real.xy("left_hip"), real.xy("right_hip"))
        series["pelvis_tilt_right_low"] = _rounded(tilt)
    series["t_s"] = _rounded(real.t_s, 4)
    return FormAnalysis(the_view, the_task, container, capture, container / capture, checks,
                        metrics, p.events, series)  # fmt: skip


def _rounded(a: FloatArray, digits: int = 2) -> list[float | None]:
    return [None if not np.isfinite(v) else round(float(v), digits) for v in a]
