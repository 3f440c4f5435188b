"""Side-view metrics per step (then median and IQR): timing, overstriding, knee, hip, trunk.

Conventions (pixels, y down; `forward` = +1/-1 is the running direction in the image):
- knee flexion: 180 deg minus the hip-knee-ankle angle (0 = straight leg);
- shank angle at contact: knee->ankle from vertical, + when the ankle is ahead of the knee;
- hip extension at toe-off: thigh (knee->hip) from vertical, + when the knee is behind the hip
  (measured against vertical, not the pelvis: 2D video shows no reliable pelvis tilt);
- trunk lean: mid-hip->mid-shoulder from vertical, + forward;
- overstride: horizontal heel-to-mid-hip distance at contact, + when the heel is ahead,
  divided by leg length (thigh + shank);
- vertical oscillation: peak-to-peak mid-hip height per stride, % of leg length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from strideback.form.events import leg_length
from strideback.form.geometry import flexion, inclination, median_iqr, smooth_xy
from strideback.form.model import NOT_MEASURABLE, FloatArray, GaitEvents, Landmarks, Metric, Stance

FEET = ("left", "right")
KNEE_CUTOFF_HZ = 10.0  # knee angles change fast around contact: filter lightly
SIDE_VIEW_ASYMMETRY = (
    "a side view sees one leg well and the other partly hidden, so a left-right difference "
    "would mostly show the camera, not you (far-limb errors from occlusion: Young "
    "et al. 2023); film from behind, or film each side, to compare left and right"
)


def step_metric(
    name: str, label: str, values: Sequence[float] | FloatArray, unit: str, side: str | None = None
) -> Metric:
    """A metric from per-step values: median, IQR, count, and the finite steps kept."""
    value, spread, n = median_iqr(values)
    per_step = [float(v) for v in np.asarray(values, dtype=float) if np.isfinite(v)]
    return Metric(name, label, value, unit, spread, n, per_step=per_step, side=side)


def stride_rate_hz(stances: list[Stance]) -> float | None:
    """Strides per second for one foot: slope of contact time against stride number.

    Stride numbers come from rounding gaps to the median stride, so one missed contact does
    not halve the rate; the least-squares slope uses every contact, giving sub-frame
    precision even at 30 fps.
    """
    t = np.array(sorted(s.contact_t for s in stances))
    if t.size < 3:
        return None
    gaps = np.diff(t)
    typical = float(np.median(gaps))
    if typical <= 0:
        return None
    k = np.concatenate([[0], np.cumsum(np.maximum(1, np.round(gaps / typical)))])
    slope = np.polyfit(k, t, 1)[0]
    return 1.0 / slope if slope > 0 else None


def step_times_s(events: GaitEvents, from_leg: str | None = None) -> FloatArray:
    """Per-step times (s). With `from_leg` (the near leg of a side view): half of each of
    that leg's strides, because the far foot's contacts are biased by occlusion (see
    `events.far_contact_lags`); otherwise the gaps between consecutive contacts of both feet.
    Gaps far from the typical one (a missed or extra contact) are left out."""
    if from_leg is not None:
        t = np.array(sorted(s.contact_t for s in events.for_foot(from_leg)))
        if t.size >= 3:
            return _typical_gaps(np.diff(t), 0.25) / 2.0
    contacts = events.contacts
    return _typical_gaps(np.diff(contacts), 0.5) if contacts.size > 1 else np.array([])


def _typical_gaps(gaps: FloatArray, tolerance: float) -> FloatArray:
    if gaps.size == 0:
        return gaps
    typical = np.median(gaps)
    return gaps[np.abs(gaps - typical) < tolerance * typical]


def cadence_metric(events: GaitEvents, from_leg: str | None = None) -> Metric:
    """Steps per minute from both feet's stride rates; per-step values from step times
    (`step_times_s`, from the near leg's strides in a side view)."""
    rates = [(stride_rate_hz(events.for_foot(f)), len(events.for_foot(f))) for f in FEET]
    rates = [(r, n) for r, n in rates if r]
    steps = step_times_s(events, from_leg)
    metric = step_metric("cadence", "Cadence", 60.0 / steps if steps.size else [], "steps/min")
    if rates:
        weights = np.array([n for _, n in rates], dtype=float)
        metric.value = float(120.0 * np.average([r for r, _ in rates], weights=weights))
    return metric


PEAK_WINDOW = 0.8  # of stance: leaves out the toe-off frame, where swing flexion starts


def stance_peak_window(stance: Stance, t_s: FloatArray) -> slice:
    """Frames from contact to 80% of the stance, where peak stance knee flexion lies (about
    midstance). The toe-off frame is left out: at 30 fps it often already shows the knee
    bending for the swing, which is not stance flexion."""
    end_t = stance.contact_t + PEAK_WINDOW * stance.duration
    last = int(np.searchsorted(t_s, end_t + 1e-9, side="right")) - 1
    return slice(stance.contact_i, max(stance.contact_i, last) + 1)


def _nanmax(values: FloatArray) -> float:
    return float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")


def _at(series: FloatArray, i: int) -> float:
    return float(series[i]) if 0 <= i < len(series) else float("nan")


def knee_flexion_series(lm: Landmarks, side: str, fps: float) -> FloatArray:
    hip, knee, ankle = (
        smooth_xy(lm.xy(f"{side}_{j}"), fps, KNEE_CUTOFF_HZ) for j in ("hip", "knee", "ankle")
    )
    return flexion(hip, knee, ankle)


def side_metrics(lm: Landmarks, events: GaitEvents, fps: float) -> dict[str, Metric]:
    """All side-view metrics; `fps` is the real (capture) frame rate."""
    near = events.near or "left"
    far = "right" if near == "left" else "left"
    fwd = events.forward or 1
    out: dict[str, Metric] = {}

    out["cadence"] = cadence_metric(events, from_leg=near)
    out["step_time"] = step_metric(
        "step_time", f"Step time (half the {near} leg's stride)",
        step_times_s(events, near) * 1000.0, "ms",
    )  # fmt: skip

    stride_ms: dict[str, float] = {}
    for side, suffix in ((near, ""), (far, "_far")):
        stances = events.for_foot(side)
        rate = stride_rate_hz(stances)
        stride_ms[side] = 1000.0 / rate if rate else float("nan")
        ct = [s.duration * 1000.0 for s in stances]
        out[f"contact_time{suffix}"] = step_metric(
            f"contact_time{suffix}", f"Contact time ({side} leg)", ct, "ms", side
        )
        out[f"duty_factor{suffix}"] = step_metric(
            f"duty_factor{suffix}", f"Duty factor ({side} leg)",
            [100.0 * c / stride_ms[side] for c in ct], "%", side,
        )  # fmt: skip

    pelvis = smooth_xy((lm.xy("left_hip") + lm.xy("right_hip")) / 2, fps)
    shoulders = smooth_xy((lm.xy("left_shoulder") + lm.xy("right_shoulder")) / 2, fps)
    for side, suffix in ((near, ""), (far, "_far")):
        stances = events.for_foot(side)
        knee_flex = knee_flexion_series(lm, side, fps)
        out[f"knee_flexion_contact{suffix}"] = step_metric(
            f"knee_flexion_contact{suffix}", f"Knee flexion at contact ({side} leg)",
            [_at(knee_flex, s.contact_i) for s in stances], "deg", side,
        )  # fmt: skip
        peak = [_nanmax(knee_flex[stance_peak_window(s, lm.t_s)]) for s in stances]
        out[f"knee_flexion_peak{suffix}"] = step_metric(
            f"knee_flexion_peak{suffix}", f"Peak knee flexion in stance ({side} leg)",
            peak, "deg", side,
        )  # fmt: skip
    stances = events.for_foot(near)
    hip = smooth_xy(lm.xy(f"{near}_hip"), fps)
    knee = smooth_xy(lm.xy(f"{near}_knee"), fps)
    ankle = smooth_xy(lm.xy(f"{near}_ankle"), fps)
    heel = smooth_xy(lm.xy(f"{near}_heel"), fps)
    shank = np.degrees(np.arctan2(fwd * (ankle[:, 0] - knee[:, 0]), ankle[:, 1] - knee[:, 1]))
    out["shank_angle_contact"] = step_metric(
        "shank_angle_contact", f"Shank angle at contact ({near} leg)",
        [_at(shank, s.contact_i) for s in stances], "deg", near,
    )  # fmt: skip
    length = leg_length(lm, near)
    overstride = fwd * (heel[:, 0] - pelvis[:, 0]) / length
    out["overstride"] = step_metric(
        "overstride", f"Heel ahead of hip at contact ({near} leg)",
        [_at(overstride, s.contact_i) for s in stances], "leg lengths", near,
    )  # fmt: skip
    thigh = inclination(hip, knee, fwd)
    out["hip_extension_toe_off"] = step_metric(
        "hip_extension_toe_off", f"Hip extension at toe-off ({near} leg)",
        [_at(thigh, s.toe_off_i) for s in stances], "deg", near,
    )  # fmt: skip
    trunk = inclination(shoulders, pelvis, fwd)
    mids = [s.mid_i for s in events.stances]
    out["trunk_lean"] = step_metric(
        "trunk_lean", "Trunk forward lean", [_at(trunk, i) for i in mids], "deg"
    )
    osc = []
    near_contacts = [s.contact_i for s in stances]
    for a, b in zip(near_contacts[:-1], near_contacts[1:], strict=False):
        seg = pelvis[a : b + 1, 1]
        if np.isfinite(seg).sum() >= 3:
            osc.append(100.0 * (np.nanmax(seg) - np.nanmin(seg)) / length)
    out["vertical_oscillation"] = step_metric(
        "vertical_oscillation", "Vertical oscillation of the hips", osc, "% leg length"
    )
    out["contact_time_asymmetry"] = Metric(
        "contact_time_asymmetry", "Left-right contact time difference", None, "%",
        confidence=NOT_MEASURABLE, reason=SIDE_VIEW_ASYMMETRY,
    )  # fmt: skip
    return out
