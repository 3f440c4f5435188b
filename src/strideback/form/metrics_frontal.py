"""Front/rear-view metrics at midstance: contralateral pelvic drop, hip adduction, step width,
left-right asymmetry; and the frontal plane projection angle of a single-leg squat.

Pelvic drop sign convention (the same from the front and from behind, since it compares the
two hips' heights and ignores which image side each is on):

        stance hip  o----___                 + drop: the swing-side (contralateral) hip
                            ----___ o        sits LOWER than the stance-side hip, the
                    |              swing     normal direction in running (healthy about
                    | stance leg    hip      4-6 deg, injured runners about 7-8 deg in
                   _|_                       Bramah 2018); - drop: the swing side is higher.

It is measured at midstance, found where the pelvis is lowest (strideback.form.events), not
at contact: around contact the pelvis still tilts from the previous step, which would flip
the sign.

Knee valgus is NOT computed from running video: 2D knee valgus in running is not related to
3D knee abduction (evidence.md §6d). Pelvic drop and hip adduction from 2D are.
"""

from __future__ import annotations

import numpy as np

from strideback.form.geometry import smooth_xy
from strideback.form.metrics_side import cadence_metric, step_metric
from strideback.form.model import FloatArray, GaitEvents, Landmarks, Metric

OTHER = {"left": "right", "right": "left"}


def pelvic_drop(stance_hip: FloatArray, swing_hip: FloatArray) -> FloatArray:
    """Degrees the swing-side hip sits below the stance-side hip ((N, 2) arrays, y down)."""
    d = swing_hip - stance_hip
    out: FloatArray = np.degrees(np.arctan2(d[:, 1], np.abs(d[:, 0])))
    return out


def hip_adduction(stance_hip: FloatArray, swing_hip: FloatArray, knee: FloatArray) -> FloatArray:
    """Femur angle from the perpendicular to the pelvis line, + towards the other hip."""
    p = swing_hip - stance_hip
    p = p / np.linalg.norm(p, axis=1, keepdims=True)
    n = np.stack([-p[:, 1], p[:, 0]], 1)
    n = np.where((n[:, 1] < 0)[:, None], -n, n)  # make the normal point down the image
    f = knee - stance_hip
    out: FloatArray = np.degrees(
        np.arctan2(np.einsum("ij,ij->i", f, p), np.einsum("ij,ij->i", f, n))
    )
    return out


def frontal_metrics(lm: Landmarks, events: GaitEvents, fps: float) -> dict[str, Metric]:
    hips = {s: smooth_xy(lm.xy(f"{s}_hip"), fps) for s in ("left", "right")}
    knees = {s: smooth_xy(lm.xy(f"{s}_knee"), fps) for s in ("left", "right")}
    ankles = {s: smooth_xy(lm.xy(f"{s}_ankle"), fps) for s in ("left", "right")}
    drops: dict[str, list[float]] = {"left": [], "right": []}
    adds: dict[str, list[float]] = {"left": [], "right": []}
    offsets: list[tuple[float, float]] = []  # (time, lateral offset / hip width)
    for s in events.stances:
        i, st, sw = s.mid_i, s.foot, OTHER[s.foot]
        if not (0 <= i < len(lm)):
            continue
        sh, wh = hips[st][i : i + 1], hips[sw][i : i + 1]
        drops[st].append(float(pelvic_drop(sh, wh)[0]))
        adds[st].append(float(hip_adduction(sh, wh, knees[st][i : i + 1])[0]))
        width = float(np.linalg.norm(wh - sh))
        mid_x = float((sh[0, 0] + wh[0, 0]) / 2)
        own_side = np.sign(sh[0, 0] - wh[0, 0])  # which image direction is this foot's side
        if width > 0:
            offsets.append((s.contact_t, own_side * (ankles[st][i, 0] - mid_x) / width))
    out: dict[str, Metric] = {"cadence": cadence_metric(events)}
    both_drop = drops["left"] + drops["right"]
    out["pelvic_drop"] = step_metric("pelvic_drop", "Contralateral pelvic drop", both_drop, "deg")
    for side in ("left", "right"):
        out[f"pelvic_drop_{side}_stance"] = step_metric(
            f"pelvic_drop_{side}_stance", f"Pelvic drop on {side} stance", drops[side], "deg",
            side,
        )  # fmt: skip
        out[f"hip_adduction_{side}"] = step_metric(
            f"hip_adduction_{side}", f"Hip adduction at midstance ({side} leg)", adds[side],
            "deg", side,
        )  # fmt: skip
    widths = [a[1] + b[1] for a, b in zip(offsets[:-1], offsets[1:], strict=False)]
    out["step_width"] = step_metric("step_width", "Step width", widths, "hip widths")
    out["crossover"] = crossover_metric([o for _, o in offsets])
    l_drop, r_drop = out["pelvic_drop_left_stance"].value, out["pelvic_drop_right_stance"].value
    if l_drop is not None and r_drop is not None:
        out["pelvic_drop_asymmetry"] = Metric(
            "pelvic_drop_asymmetry", "Left-right pelvic drop difference", abs(l_drop - r_drop),
            "deg", n=min(len(drops["left"]), len(drops["right"])),
        )  # fmt: skip
    return out


MIN_CROSSINGS = 3  # fewer crossing steps than this are not called crossover
MIN_CROSSING_SHARE = 0.2
MAX_OFFSET_IQR = 0.6  # hip widths: foot placement scattered more than this is not trusted


def crossover_metric(offsets: list[float]) -> Metric:
    """Share of steps landing across the midline (offset < 0, in hip widths from the pelvis
    centre towards the foot's own side). Called only when at least MIN_CROSSINGS steps and
    MIN_CROSSING_SHARE of them cross, and foot placement is not scattered (one crossing step
    in 14 is noise, not a pattern); otherwise the share is shown as limited, without advice."""
    n = len(offsets)
    if n == 0:
        return Metric("crossover", "Steps landing across the midline", None, "%")
    crossings = sum(1 for o in offsets if o < 0)
    q1, q3 = np.percentile(offsets, [25, 75])
    metric = Metric(
        "crossover", "Steps landing across the midline", 100.0 * crossings / n, "%",
        spread=float(q3 - q1), n=n,
    )  # fmt: skip
    if 0 < crossings and (crossings < MIN_CROSSINGS or crossings < MIN_CROSSING_SHARE * n):
        metric.limit_reason = (
            f"only {crossings} of {n} steps land across the midline: too few to call crossover"
        )
    elif q3 - q1 > MAX_OFFSET_IQR:
        metric.limit_reason = (
            f"foot placement varies by {q3 - q1:.2f} hip widths between steps: too scattered "
            "to call crossover"
        )
    return metric


def fppa(hip: FloatArray, knee: FloatArray, ankle: FloatArray, other_hip: FloatArray) -> FloatArray:
    """Frontal plane projection angle: deviation of the knee from the hip-ankle line,
    + when the knee moves towards the other leg (medially, 'valgus')."""
    thigh = hip - knee
    shank = ankle - knee
    cos = np.einsum("ij,ij->i", thigh, shank) / (
        np.linalg.norm(thigh, axis=1) * np.linalg.norm(shank, axis=1)
    )
    dev = 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))
    # Side of the hip-ankle line the knee sits on, compared with the other hip's side.
    line = ankle - hip
    knee_side = np.sign(line[:, 0] * (knee - hip)[:, 1] - line[:, 1] * (knee - hip)[:, 0])
    medial_side = np.sign(
        line[:, 0] * (other_hip - hip)[:, 1] - line[:, 1] * (other_hip - hip)[:, 0]
    )
    out: FloatArray = dev * np.where(knee_side == medial_side, 1.0, -1.0)
    return out


def squat_metrics(lm: Landmarks, fps: float) -> dict[str, Metric]:
    """Single-leg squat: the standing leg is the lower ankle; FPPA at each deepest point."""
    from scipy.signal import find_peaks

    left_y = np.nanmedian(lm.xy("left_ankle")[:, 1])
    right_y = np.nanmedian(lm.xy("right_ankle")[:, 1])
    leg = "left" if left_y >= right_y else "right"
    hip = smooth_xy(lm.xy(f"{leg}_hip"), fps)
    other = smooth_xy(lm.xy(f"{OTHER[leg]}_hip"), fps)
    knee = smooth_xy(lm.xy(f"{leg}_knee"), fps)
    ankle = smooth_xy(lm.xy(f"{leg}_ankle"), fps)
    angle = fppa(hip, knee, ankle, other)
    depth = np.nan_to_num(hip[:, 1], nan=np.nanmin(hip[:, 1]))
    span = np.nanpercentile(hip[:, 1], 95) - np.nanpercentile(hip[:, 1], 5)
    peaks, _ = find_peaks(depth, distance=max(1, int(0.8 * fps)), prominence=max(span * 0.3, 1))
    values = [float(angle[p]) for p in peaks]
    return {
        "fppa": step_metric("fppa", f"Frontal plane projection angle ({leg} leg squat)", values,
                        "deg", leg),
        "squat_reps": Metric("squat_reps", "Repetitions found", float(len(peaks)), "reps",
                             n=len(peaks)),
    }  # fmt: skip
