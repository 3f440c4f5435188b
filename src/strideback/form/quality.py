"""Quality gate: can this clip support each metric? Pure functions over landmarks.

Checks: frame rate, person found, whole body and feet in frame, person size, camera angle,
number and steadiness of strides, an upright runner. Each metric's confidence then follows
from the checks it depends on (strideback.form.confidence). Thresholds follow the filming
protocol (>= 60 fps, perpendicular camera, 3-5 m away, several steady strides).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from strideback.form.capture import nominal_rate
from strideback.form.model import (
    CheckStatus,
    FormError,
    J,
    Landmarks,
    QualityCheck,
)  # fmt: skip

MIN_FPS_TIMING = 25.0  # below: timing metrics not measurable
GOOD_FPS = 60.0  # below: warn; contact-instant metrics limited
MIN_STRIDES = 6
BODY_JOINTS = (
    "nose", "left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee",
    "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
    "right_foot_index",
)  # fmt: skip
FEET = ("left_heel", "right_heel", "left_foot_index", "right_foot_index")
MAX_TILT_DEG = 50.0  # torso further from vertical than this: the person is not upright
STEADY_CV_OK, STEADY_CV_WARN = 0.08, 0.20


def width_ratio(lm: Landmarks) -> float:
    """Shoulder + hip width over torso length: small in a side view, large front/back."""
    sh = np.abs(lm.xy("left_shoulder")[:, 0] - lm.xy("right_shoulder")[:, 0])
    hp = np.abs(lm.xy("left_hip")[:, 0] - lm.xy("right_hip")[:, 0])
    mid_sh = (lm.xy("left_shoulder") + lm.xy("right_shoulder")) / 2
    mid_hp = (lm.xy("left_hip") + lm.xy("right_hip")) / 2
    torso = np.linalg.norm(mid_sh - mid_hp, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(np.nanmedian((sh + hp) / 2 / torso))


def detect_view(lm: Landmarks) -> str:
    """side / front / back from body proportions and which shoulder is on which side."""
    if width_ratio(lm) < 0.45:
        return "side"
    dx = np.nanmedian(lm.xy("left_shoulder")[:, 0] - lm.xy("right_shoulder")[:, 0])
    return "front" if dx > 0 else "back"  # facing the camera, the left shoulder is image-right


def _status(value: float, ok: float, warn: float, higher_is_better: bool = True) -> CheckStatus:
    if not higher_is_better:
        value, ok, warn = -value, -ok, -warn
    return "ok" if value >= ok else ("warn" if value >= warn else "fail")


def check_person(lm: Landmarks, source: str) -> QualityCheck:
    found = float(lm.detected.mean()) if len(lm) else 0.0
    if found < 0.2:
        raise FormError(
            f"{source}: no person found in {100 * (1 - found):.0f}% of the frames. Film the "
            "whole body, side-on or from the front/back, 3-5 m away, in good light."
        )
    status: CheckStatus = "ok" if found >= 0.9 else "warn"
    return QualityCheck("person_found", status, f"Runner found in {100 * found:.0f}% of frames",
                        found)  # fmt: skip


def check_upright(lm: Landmarks, source: str) -> QualityCheck:
    """Refuse a clip whose runner is not upright in the picture (a wrong rotation tag)."""
    mid_sh = (lm.xy("left_shoulder") + lm.xy("right_shoulder")) / 2
    mid_hp = (lm.xy("left_hip") + lm.xy("right_hip")) / 2
    d = mid_sh - mid_hp
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tilt = np.degrees(np.arctan2(np.abs(d[:, 0]), -d[:, 1]))  # 0 = shoulders above hips
        median = float(np.nanmedian(tilt)) if np.isfinite(tilt).any() else 0.0
    if median > MAX_TILT_DEG:
        turn = "upside down" if median > 135 else "lying on their side"
        raise FormError(
            f"{source}: the runner is {turn} in the picture (body {median:.0f}° from upright): "
            "the video's rotation is probably wrong. Rotate the clip so the runner stands "
            "upright (the phone's gallery can rotate it) and run it again."
        )
    return QualityCheck("upright", "ok", f"Runner upright in the picture ({median:.0f}° tilt)",
                        median)  # fmt: skip


def gate(lm: Landmarks, view: str, fps: float, task: str = "run") -> list[QualityCheck]:
    """All capture checks (the stride count is checked with the events, see `check_strides`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN joints are handled below
        return _gate(lm, view, fps, task)


def _gate(lm: Landmarks, view: str, fps: float, task: str) -> list[QualityCheck]:
    checks: list[QualityCheck] = []
    fps = nominal_rate(fps)  # 59.94 / 59.999 fps is a 60 fps clip
    status = _status(fps, GOOD_FPS, MIN_FPS_TIMING)
    msg = {
        "ok": f"{fps:.0f} fps: good for timing",
        "warn": f"{fps:.0f} fps: usable, but contact events are only accurate to one frame "
        f"({1000 / fps:.0f} ms); film at 60 fps or more (120-240 if possible)",
        "fail": f"{fps:.0f} fps is too low for timing metrics (need at least 25, ideally 60+)",
    }[status]
    checks.append(QualityCheck("frame_rate", status, msg, fps))

    det = lm.detected
    pts = lm.points[det]
    idx = [lm_index(j) for j in BODY_JOINTS]
    if len(pts):
        x, y = pts[:, idx, 0], pts[:, idx, 1]
        margin_x, margin_y = 0.01 * lm.width, 0.01 * lm.height
        inside = (
            (x > -margin_x)
            & (x < lm.width + margin_x)
            & (y > -margin_y)
            & (y < lm.height + margin_y)
        )
        whole = float(inside.all(axis=1).mean())
    else:
        whole = 0.0
    st = _status(whole, 0.9, 0.6)
    checks.append(QualityCheck(
        "whole_body_in_frame", st,
        f"Whole body (head to toes) in frame in {100 * whole:.0f}% of frames"
        + ("" if st == "ok" else ": step back or zoom out so the feet stay in the picture"),
        whole,
    ))  # fmt: skip

    feet_vis = float(np.nanmedian(pts[:, [lm_index(j) for j in FEET], 3])) if len(pts) else 0.0
    feet_vis = 0.0 if np.isnan(feet_vis) else feet_vis
    st = _status(feet_vis, 0.7, 0.4)
    checks.append(QualityCheck(
        "feet_visible", st, f"Feet visibility {feet_vis:.2f} (0-1)"
        + ("" if st == "ok" else ": feet hidden or blurred (treadmill console, shadow, low light)"),
        feet_vis,
    ))  # fmt: skip

    top = np.nanmin(lm.points[:, [lm_index("nose")], 1], axis=1)
    bottom = np.nanmax(lm.points[:, [lm_index(j) for j in FEET], 1], axis=1)
    size = float(np.nanmedian((bottom - top) / lm.height)) if len(pts) else 0.0
    size = 0.0 if np.isnan(size) else size
    st = _status(size, 0.4, 0.2)
    checks.append(QualityCheck(
        "person_size", st, f"The runner is {100 * size:.0f}% of the frame height"
        + ("" if st == "ok" else ": film from 3-5 m, or zoom, so the runner fills at least "
           "40% of the height"),
        size,
    ))  # fmt: skip

    if task == "run":
        ratio = width_ratio(lm)
        if view == "side":
            st = _status(ratio, 0.3, 0.45, higher_is_better=False)
            text = "Camera roughly perpendicular to the running direction"
            bad = ": the runner is seen at an angle; put the camera square to the treadmill"
        else:
            st = _status(ratio, 0.5, 0.35)
            text = "Camera roughly in line with the running direction"
            bad = ": the runner is seen at an angle; film straight from behind or in front"
        checks.append(QualityCheck(
            "camera_angle", st, f"{text} (width/torso {ratio:.2f})" + ("" if st == "ok" else bad),
            ratio,
        ))  # fmt: skip
    return checks


def lm_index(joint: str) -> int:
    return J[joint]


def problems(checks: list[QualityCheck]) -> str:
    """The failed and warned capture checks as one sentence (for a refusal message)."""
    bad = [c for c in checks if c.status == "fail"] + [c for c in checks if c.status == "warn"]
    if not bad:
        return ""
    return (
        " Capture problems found: "
        + "; ".join(f"{c.message} ({'failed' if c.status == 'fail' else 'warning'})" for c in bad)
        + "."
    )


def check_strides(
    strides: int, stride_cv: float | None, source: str, gate_checks: Sequence[QualityCheck] = ()
) -> list[QualityCheck]:
    """Refuse fewer than MIN_STRIDES strides, naming the capture problems that explain it."""
    if strides < MIN_STRIDES:
        raise FormError(
            f"{source}: only {strides} complete strides found; at least {MIN_STRIDES} steady "
            "strides are needed. Film 10 or more strides at a steady pace (a treadmill helps)."
            + problems(list(gate_checks))
        )
    checks = [QualityCheck("strides", "ok", f"{strides} strides analysed", float(strides))]
    if stride_cv is not None:
        st = _status(stride_cv, STEADY_CV_OK, STEADY_CV_WARN, higher_is_better=False)
        checks.append(QualityCheck(
            "steady_pace", st, f"Stride time varies by {100 * stride_cv:.1f}%"
            + ("" if st == "ok" else ": pace not steady; film at a constant speed"), stride_cv,
        ))  # fmt: skip
    return checks


FAR_LEG_TIMING = {"contact_time_far", "duty_factor_far", "knee_flexion_contact_far"}
MAX_FAR_LAG_S = 0.020  # and at least one frame: 3 in 4 far contacts must be this close


def check_far_leg_timing(lags_s: list[float], fps: float, far: str) -> QualityCheck | None:
    """Side view: do the far foot's contacts fall midway between the near foot's?

    If a quarter of them or more are off by over one frame (and 20 ms), the far foot's
    contacts are found late, early or erratically because it is hidden: its contact time is
    then not measurable (step times come from the near leg's strides anyway). A real
    left-right difference would look the same from the side, which is one more reason not
    to report one. See `events.far_contact_lags`.
    """
    if len(lags_s) < 3:
        return None
    limit = max(MAX_FAR_LAG_S, 1.0 / fps)
    lags = np.asarray(lags_s)
    typical = float(np.percentile(np.abs(lags), 75))
    ms, p75_ms, limit_ms = 1000.0 * float(np.median(lags)), 1000.0 * typical, 1000.0 * limit
    if typical <= limit:
        return QualityCheck(
            "far_leg_timing", "ok",
            f"Far-leg ({far}) contacts fall midway between near-leg contacts (median "
            f"{ms:+.0f} ms; 3 in 4 within {p75_ms:.0f} ms, under one frame)", ms,
        )  # fmt: skip
    return QualityCheck(
        "far_leg_timing", "warn",
        f"Far-leg ({far}) contacts are off the midpoint between near-leg contacts (median "
        f"{ms:+.0f} ms; a quarter of them by more than {p75_ms:.0f} ms, over the {limit_ms:.0f} "
        "ms of one frame): the far foot is partly hidden (near leg, treadmill console), so "
        "its contact time is not measured and step times use the near leg's strides; film the "
        "other side for that leg",
        ms,
    )  # fmt: skip
