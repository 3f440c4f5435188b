"""Confidence of every metric from every capture check, joint visibility and step count.

Each metric declares the capture checks it depends on in `metric_checks.yaml`; a check that
warns or fails lowers the metric (limited / not measurable) and its message becomes the
reason shown next to the value. Findings and advice are later drawn only from metrics rated
good (strideback.form.reference).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from strideback.datafile import DataFileError, load_yaml
from strideback.form.model import (
    GOOD,
    LIMITED,
    NOT_MEASURABLE,
    Confidence,
    Landmarks,
    Metric,
    QualityCheck,
)

CHECKS_FILE = Path(__file__).with_name("metric_checks.yaml")
MIN_STEPS = 6  # a median over fewer steps is limited
ANGLE_ERROR = "2D markerless angles carry about 5-8 deg error (Van Hooren 2023)"

Effect = Literal["default", "fail_only", "strict", "far_strict"]


class MetricDeps(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checks: dict[str, Effect]


class CheckTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checks: dict[str, str]
    metrics: dict[str, MetricDeps]


@lru_cache(maxsize=1)
def check_table(path: Path = CHECKS_FILE) -> CheckTable:
    table = load_yaml(path, CheckTable)
    for name, deps in table.metrics.items():
        unknown = sorted(set(deps.checks) - set(table.checks))
        if unknown:
            raise DataFileError(f"{path.name}: metrics.{name}: unknown check {unknown[0]!r}")
    return table


SUFFIXES = ("_left_stance", "_right_stance", "_far", "_left", "_right")


def base_name(metric_name: str) -> str:
    """'knee_flexion_contact_far' -> 'knee_flexion_contact'; 'hip_adduction_left' -> ..."""
    for suffix in SUFFIXES:
        if metric_name.endswith(suffix):
            return metric_name[: -len(suffix)]
    return metric_name


_ORDER: dict[Confidence, int] = {GOOD: 0, LIMITED: 1, NOT_MEASURABLE: 2}


def min_level(a: Confidence, b: Confidence) -> Confidence:
    """The lower of two confidence levels."""
    return a if _ORDER[a] >= _ORDER[b] else b


def effect_of(effect: Effect, check: QualityCheck, far: bool) -> Confidence:
    """What one check's status does to a metric that depends on it."""
    if check.status == "ok":
        return GOOD
    if effect == "far_strict":
        return NOT_MEASURABLE if far else GOOD
    if effect == "strict" or check.status == "fail":
        return NOT_MEASURABLE
    return GOOD if effect == "fail_only" else LIMITED


def _short(message: str) -> str:
    return message[0].lower() + message[1:] if message else message


METRIC_JOINTS = {
    "knee_flexion": ("hip", "knee", "ankle"),
    "shank_angle_contact": ("knee", "ankle"),
    "overstride": ("hip", "heel"),
    "hip_extension_toe_off": ("hip", "knee"),
    "contact_time": ("heel", "foot_index"),
    "duty_factor": ("heel", "foot_index"),
}


def joint_visibility(lm: Landmarks, joints: tuple[str, ...]) -> float:
    import numpy as np

    vals = [float(np.nanmedian(lm.vis(j))) for j in joints]
    return float(np.nanmin(vals)) if vals else 0.0


def assign_confidence(
    metrics: dict[str, Metric], checks: list[QualityCheck], lm: Landmarks, near: str | None
) -> None:
    """Set confidence + reason on every metric from the checks it depends on, the far leg,
    joint visibility and the number of steps (metrics already refused keep their reason)."""
    table = check_table()
    by_name = {c.name: c for c in checks}
    for name, m in metrics.items():
        if m.confidence == NOT_MEASURABLE and m.reason:
            continue  # set where the metric was computed (e.g. side-view asymmetry)
        if m.value is None or m.n == 0:
            m.confidence, m.reason = NOT_MEASURABLE, "no usable steps found for this metric"
            continue
        deps = table.metrics.get(base_name(name))
        if deps is None:
            raise DataFileError(f"{CHECKS_FILE.name}: no entry for metric {base_name(name)!r}")
        far = m.side is not None and near is not None and m.side != near
        level: Confidence = GOOD
        reasons: list[str] = []
        refused: list[str] = []
        for check_name, effect in deps.checks.items():
            check = by_name.get(check_name)
            if check is None:
                continue
            hit = effect_of(effect, check, far)
            if hit == GOOD:
                continue
            level = min_level(level, hit)
            (refused if hit == NOT_MEASURABLE else reasons).append(_short(check.message))
        if refused:
            m.confidence, m.reason = NOT_MEASURABLE, "; ".join(refused)
            continue
        if m.limit_reason:
            level = min_level(level, LIMITED)
            reasons.append(m.limit_reason)
        if far:
            level = min_level(level, LIMITED)
            reasons.append("far leg: often hidden by the near leg or the treadmill console")
        if m.unit == "deg":
            reasons.append(ANGLE_ERROR)
        for key, joints in METRIC_JOINTS.items():
            if name.startswith(key) and m.side in ("left", "right"):
                vis = joint_visibility(lm, tuple(f"{m.side}_{j}" for j in joints))
                if vis < 0.3:
                    level = NOT_MEASURABLE
                    reasons.append(f"landmarks of the {m.side} leg rarely visible ({vis:.2f})")
                elif vis < 0.6:
                    level = min_level(level, LIMITED)
                    reasons.append(f"landmarks of the {m.side} leg partly hidden ({vis:.2f})")
        if m.n < MIN_STEPS and name not in ("squat_reps", "fppa"):
            level = min_level(level, LIMITED)
            reasons.append(f"based on only {m.n} steps")
        m.confidence = level
        m.reason = "; ".join(reasons) or "clear clip, enough steps"
