"""Metric arithmetic on synthetic landmark sequences with known answers (fast, no video)."""

from __future__ import annotations

import numpy as np
import pytest

from strideback.form import geometry
from strideback.form.analysis import analyse_landmarks
from strideback.form.events import frontal_events, side_events
from strideback.form.metrics_frontal import fppa, frontal_metrics, hip_adduction, pelvic_drop
from strideback.form.metrics_side import side_metrics
from strideback.form.model import JOINTS, FormError, Landmarks

THIGH, SHANK, FOOT = 200.0, 200.0, 60.0


def _knee_from_ik(hip: np.ndarray, ankle: np.ndarray, forward: int) -> np.ndarray:
    """Knee position (bent forward) for a two-link leg; hip/ankle (N, 2)."""
    d = ankle - hip
    dist = np.clip(np.linalg.norm(d, axis=1), 1e-6, THIGH + SHANK - 1e-6)
    a = (THIGH**2 - SHANK**2 + dist**2) / (2 * dist)
    h = np.sqrt(np.maximum(THIGH**2 - a**2, 0))
    unit = d / dist[:, None]
    perp = np.stack([-unit[:, 1], unit[:, 0]], 1)
    perp = np.where((forward * perp[:, 0] < 0)[:, None], -perp, perp)  # knee forward
    return hip + unit * a[:, None] + perp * h[:, None]


def synthetic_side(
    fps: float = 60.0,
    seconds: float = 8.0,
    stride_hz: float = 1.4,
    duty: float = 0.35,
    forward: int = -1,
    trunk_deg: float = 8.0,
    noise_px: float = 0.0,
    drop_every: int = 0,
    seed: int = 0,
) -> tuple[Landmarks, dict[str, np.ndarray]]:
    """A treadmill runner seen from the side with exactly known events and angles."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, seconds, 1 / fps)
    n = len(t)
    pts = np.full((n, len(JOINTS), 4), np.nan)
    floor, hip_y = 900.0, 900.0 - 370.0
    hip = np.stack([np.full(n, 400.0), hip_y + 8 * np.cos(4 * np.pi * stride_hz * t)], 1)
    truth: dict[str, np.ndarray] = {}
    for k, side in enumerate(("left", "right")):
        p = (stride_hz * t + 0.5 * k) % 1.0
        reach_front, reach_back = 90.0, 130.0
        stance = p < duty
        q_st = p / duty
        q_sw = (p - duty) / (1 - duty)
        rel = np.where(
            stance,
            reach_front - (reach_front + reach_back) * q_st,
            -reach_back + (reach_front + reach_back) * (1 - np.cos(np.pi * q_sw)) / 2,
        )
        lift = np.where(stance, 0.0, 90.0 * np.sqrt(np.abs(np.sin(np.pi * q_sw))))
        heel = np.stack([hip[:, 0] + forward * rel, floor - lift], 1)
        toe = heel + np.array([forward * FOOT, 0.0])
        ankle = heel + np.array([forward * 10.0, -25.0])
        s = side
        hj = hip
        knee = _knee_from_ik(hj, ankle, forward)
        for name, xy, _z in (("hip", hj, 0), ("knee", knee, 0), ("ankle", ankle, 0),
                            ("heel", heel, 0), ("foot_index", toe, 0)):  # fmt: skip
            j = JOINTS.index(f"{s}_{name}")
            pts[:, j, :2] = xy
            pts[:, j, 2] = -50.0 if side == "left" else 50.0  # left leg nearer the camera
            pts[:, j, 3] = 0.95
        truth[f"{side}_knee_flexion"] = geometry.flexion(hj, knee, ankle)
        truth[f"{side}_shank"] = np.degrees(
            np.arctan2(forward * (ankle[:, 0] - knee[:, 0]), ankle[:, 1] - knee[:, 1])
        )
        contact_idx = np.flatnonzero(np.diff(p) < 0) + 1  # p wraps to 0 at contact
        truth[f"{side}_contacts"] = t[contact_idx]
    lean = np.radians(trunk_deg)
    shoulder = hip + np.array([forward * 300 * np.sin(lean), -300 * np.cos(lean)])
    for side in ("left", "right"):
        j = JOINTS.index(f"{side}_shoulder")
        pts[:, j, :2], pts[:, j, 2], pts[:, j, 3] = shoulder, 0.0, 0.95
    head = shoulder + np.array([forward * 10.0, -60.0])
    for name, dx in (("nose", 25.0), ("left_ear", -5.0), ("right_ear", -5.0)):
        j = JOINTS.index(name)
        pts[:, j, :2] = head + np.array([forward * dx, 0])
        pts[:, j, 2:] = (0.0, 0.95)
    if noise_px:
        pts[..., :2] += rng.normal(0, noise_px, size=pts[..., :2].shape)
    if drop_every:
        pts[::drop_every] = np.nan
    truth["duty"] = np.array(duty)
    truth["contact_time"] = np.array(duty / stride_hz)
    truth["cadence"] = np.array(120 * stride_hz)
    lm = Landmarks(t_s=t, points=pts, width=720, height=1000, backend="synthetic")
    return lm, truth


# --- geometry -------------------------------------------------------------------------


@pytest.mark.parametrize("deg", [0.0, 20.0, 45.0, 90.0, 135.0])
def test_flexion_known_angle(deg: float) -> None:
    hip = np.array([[0.0, 0.0]])
    knee = np.array([[0.0, 100.0]])
    a = np.radians(deg)
    ankle = knee + 100 * np.array([[np.sin(a), np.cos(a)]])
    assert geometry.flexion(hip, knee, ankle)[0] == pytest.approx(deg, abs=1e-6)


def test_inclination_sign_follows_running_direction() -> None:
    top, bottom = np.array([[10.0, 0.0]]), np.array([[0.0, 100.0]])
    assert geometry.inclination(top, bottom, +1)[0] == pytest.approx(np.degrees(np.arctan(0.1)))
    assert geometry.inclination(top, bottom, -1)[0] < 0


def test_fill_gaps_short_only() -> None:
    x = np.array([0.0, np.nan, 2.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 9.0])
    out = geometry.fill_gaps(x, max_gap=2)
    assert out[1] == pytest.approx(1.0)
    assert np.isnan(out[3:9]).all()


def test_lowpass_removes_noise_keeps_signal() -> None:
    fps = 60.0
    t = np.arange(0, 5, 1 / fps)
    clean = np.sin(2 * np.pi * 1.4 * t)
    noisy = clean + np.random.default_rng(1).normal(0, 0.2, t.size)
    out = geometry.lowpass(noisy, fps, 6.0)
    assert np.sqrt(np.mean((out - clean) ** 2)) < 0.08


# --- side view ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "noise_px, drop_every, fps",
    [(0.0, 0, 60.0), (2.0, 0, 60.0), (2.0, 17, 60.0), (0.0, 0, 30.0), (1.5, 0, 240.0)],
)
def test_side_events_and_timing(noise_px: float, drop_every: int, fps: float) -> None:
    lm, truth = synthetic_side(fps=fps, noise_px=noise_px, drop_every=drop_every)
    events = side_events(lm, fps)
    assert events.forward == -1
    assert events.near == "left"
    metrics = side_metrics(lm, events, fps)
    assert metrics["cadence"].value == pytest.approx(float(truth["cadence"]), rel=0.005)
    frame = 1 / fps
    ct = metrics["contact_time"].value / 1000.0
    assert abs(ct - float(truth["contact_time"])) < max(0.025, 1.5 * frame)
    found = np.array([s.contact_t for s in events.for_foot("left")])
    true = truth["left_contacts"]
    nearest = np.array([np.min(np.abs(true - c)) for c in found])
    assert np.median(nearest) < max(0.025, 1.5 * frame)
    assert len(found) >= len(true) - 2


def test_side_angles_match_truth() -> None:
    lm, truth = synthetic_side(fps=60.0, noise_px=1.0, trunk_deg=8.0)
    events = side_events(lm, 60.0)
    metrics = side_metrics(lm, events, 60.0)
    true_knee = truth["left_knee_flexion"]
    expected_contact = np.median([true_knee[s.contact_i] for s in events.for_foot("left")])
    assert metrics["knee_flexion_contact"].value == pytest.approx(expected_contact, abs=2.0)
    peaks = [true_knee[s.contact_i : s.toe_off_i + 1].max() for s in events.for_foot("left")]
    assert metrics["knee_flexion_peak"].value == pytest.approx(np.median(peaks), abs=2.0)
    assert metrics["trunk_lean"].value == pytest.approx(8.0, abs=1.0)
    # The heel lands 90 px ahead of the hip; leg length is thigh + shank.
    assert metrics["overstride"].value == pytest.approx(90 / (THIGH + SHANK), abs=0.03)
    shank = np.median([truth["left_shank"][s.contact_i] for s in events.for_foot("left")])
    assert metrics["shank_angle_contact"].value == pytest.approx(shank, abs=2.0)


def test_facing_right_gives_same_metrics() -> None:
    left, _ = synthetic_side(forward=-1)
    m_left = side_metrics(left, side_events(left, 60.0), 60.0)
    mirrored, _ = synthetic_side(forward=+1)
    m_right = side_metrics(mirrored, side_events(mirrored, 60.0), 60.0)
    for key in ("cadence", "knee_flexion_contact", "trunk_lean", "overstride"):
        assert m_right[key].value == pytest.approx(m_left[key].value, abs=1.0)


def test_gate_and_confidence_on_synthetic_clip() -> None:
    lm, _ = synthetic_side(fps=60.0, seconds=8.0)
    result = analyse_landmarks(lm, container_fps=60.0, view="auto")
    assert result.view == "side"
    assert result.metrics["cadence"].confidence == "good"
    assert result.metrics["contact_time_far"].confidence == "limited"  # far leg
    assert "far leg" in result.metrics["knee_flexion_peak_far"].reason
    # 20 fps: timing not measurable, with the reason
    slow, _ = synthetic_side(fps=20.0, seconds=10.0)
    res20 = analyse_landmarks(slow, container_fps=20.0)
    assert res20.metrics["contact_time"].confidence == "not measurable"
    assert "25" in res20.metrics["contact_time"].reason
    assert any(c.name == "frame_rate" and c.status == "fail" for c in res20.quality)


def test_slow_motion_detected_and_capture_fps_fixes_it() -> None:
    lm, truth = synthetic_side(fps=120.0, seconds=8.0)
    played = Landmarks(lm.t_s * 4, lm.points, lm.width, lm.height)  # 120 fps played at 30
    res = analyse_landmarks(played, container_fps=30.0)
    check = {c.name: c for c in res.quality}["capture_rate"]
    assert check.status == "warn" and "--capture-fps 120" in check.message, check.message
    assert res.metrics["cadence"].confidence == "not measurable"
    fixed = analyse_landmarks(played, container_fps=30.0, capture_fps=120.0)
    assert fixed.metrics["cadence"].value == pytest.approx(float(truth["cadence"]), rel=0.005)
    assert fixed.metrics["cadence"].confidence == "good"


def test_too_few_strides_is_refused() -> None:
    lm, _ = synthetic_side(fps=60.0, seconds=3.0)
    with pytest.raises(FormError, match="strides"):
        analyse_landmarks(lm, container_fps=60.0)


def test_no_person_is_refused() -> None:
    lm, _ = synthetic_side(fps=60.0)
    lm.points[:] = np.nan
    with pytest.raises(FormError, match="no person"):
        analyse_landmarks(lm, container_fps=60.0)


def test_low_cadence_finding_links_metronome() -> None:
    lm, _ = synthetic_side(fps=60.0, stride_hz=1.25, seconds=9.0)  # 150 steps/min
    res = analyse_landmarks(lm, container_fps=60.0)
    cad = res.metrics["cadence"]
    assert cad.value == pytest.approx(150, rel=0.01)
    assert cad.finding and "+5-10%" in cad.finding
    assert f"strideback metronome --spm {round(cad.value * 1.05)}" in cad.suggestion
    assert "evidence.md" in cad.reference["citation"]


FINDING_STATUSES = {"in range", "below range", "above range", "no range", "not measurable"}


def test_every_metric_has_a_plain_language_finding() -> None:
    side, _ = synthetic_side(fps=60.0)
    rear = synthetic_rear(drop_deg=9.0, add_deg=5.0)
    for lm in (side, rear):
        res = analyse_landmarks(lm, container_fps=60.0)
        for name, m in res.metrics.items():
            assert m.finding and len(m.finding) > 15, name
            assert "{" not in m.finding, (name, m.finding)  # every placeholder filled
            assert m.status in FINDING_STATUSES, name
            if m.status == "not measurable":
                assert m.finding.startswith("Not measurable:"), name
            if m.confidence == "limited":
                assert "Limited confidence" in m.finding, name
    trunk = analyse_landmarks(synthetic_side(fps=60.0, trunk_deg=20.0)[0], container_fps=60.0)
    lean = trunk.metrics["trunk_lean"]
    assert lean.status == "above range" and not lean.attention  # never flagged as a fault


def test_exercise_ids_exist_in_the_exercise_library() -> None:
    from strideback.exercises.library import get_exercise
    from strideback.form.reference import load_reference

    ids = {e for entry in load_reference()["metrics"].values() for e in entry.get("exercises", [])}
    assert ids
    for exercise_id in ids:
        assert get_exercise(exercise_id).name


def _delay_far_leg(lm: Landmarks, frames: int) -> Landmarks:
    """Shift the right (far) foot's trajectory later by `frames`: its contacts come late."""
    pts = lm.points.copy()
    for name in ("knee", "ankle", "heel", "foot_index"):
        j = JOINTS.index(f"right_{name}")
        pts[:, j] = np.roll(pts[:, j], frames, axis=0)
    return Landmarks(lm.t_s, pts, lm.width, lm.height, lm.backend)


def test_far_leg_contact_bias_does_not_reach_step_times() -> None:
    lm, truth = synthetic_side(fps=60.0, seconds=10.0, noise_px=1.0)
    fair = analyse_landmarks(lm, container_fps=60.0)
    check = {c.name: c for c in fair.quality}["far_leg_timing"]
    assert check.status == "ok" and abs(check.value) < 17
    assert fair.metrics["contact_time_far"].confidence == "limited"

    biased = analyse_landmarks(_delay_far_leg(lm, 4), container_fps=60.0)  # 67 ms late
    check = {c.name: c for c in biased.quality}["far_leg_timing"]
    assert check.status == "warn" and check.value == pytest.approx(67, abs=12)
    m = biased.metrics
    assert m["contact_time_far"].confidence == "not measurable"
    assert m["contact_time_far"].finding.startswith("Not measurable: far-leg (right) contacts")
    # Step times come from the near leg's strides: no alternation, a credible spread.
    step_ms = 1000.0 / (2 * 1.4)
    assert m["step_time"].value == pytest.approx(step_ms, abs=5)
    assert m["step_time"].spread < 10
    assert m["cadence"].spread < 3
    assert m["cadence"].value == pytest.approx(float(truth["cadence"]), rel=0.005)
    assert m["contact_time_asymmetry"].confidence == "not measurable"
    assert "side view" in m["contact_time_asymmetry"].reason


# --- front / back view ----------------------------------------------------------------


def synthetic_rear(
    drop_deg: float, add_deg: float, fps: float = 60.0, seconds: float = 8.0,
    noise_px: float = 0.0, drop_every: int = 0, crossover: bool = False, bounce_px: float = 10.0,
    drift_px_s: float = 0.0, shrink_per_s: float = 0.0,
) -> Landmarks:  # fmt: skip
    """A runner seen from behind (left hip on image-left). At each midstance the pelvis tilts
    by `drop_deg` (swing side lower) and the stance femur adducts by `add_deg`."""
    rng = np.random.default_rng(3)
    t = np.arange(0, seconds, 1 / fps)
    n = t.size
    pts = np.full((n, len(JOINTS), 4), np.nan)
    stride_hz, width, cx, hy = 1.4, 100.0, 360.0, 500.0
    phase = (stride_hz * t) % 1.0  # left stance around 0.25, right around 0.75
    w_left = np.clip(np.cos(2 * np.pi * (phase - 0.25)), 0, None)  # 1 at left midstance
    w_right = np.clip(np.cos(2 * np.pi * (phase - 0.75)), 0, None)
    tilt = np.radians(drop_deg) * (w_left - w_right)  # + : right hip lower (left stance)
    half = width / 2
    hy = hy + bounce_px * np.cos(4 * np.pi * (phase - 0.25))  # pelvis lowest at midstance
    lh = np.stack([cx - half * np.cos(tilt), hy - half * np.sin(tilt)], 1)
    rh = np.stack([cx + half * np.cos(tilt), hy + half * np.sin(tilt)], 1)
    for side, hip, other, w in (("left", lh, rh, w_left), ("right", rh, lh, w_right)):
        p = (other - hip) / np.linalg.norm(other - hip, axis=1, keepdims=True)
        normal = np.stack([-p[:, 1], p[:, 0]], 1)
        normal = np.where((normal[:, 1] < 0)[:, None], -normal, normal)
        a = np.radians(add_deg) * w
        femur = (np.cos(a)[:, None] * normal + np.sin(a)[:, None] * p) * THIGH
        knee = hip + femur
        lift = 80.0 * (1 - w) ** 2
        sign = -1 if side == "left" else 1
        foot_x = cx + sign * (-15.0 if crossover else 20.0)
        ankle = np.stack([foot_x + 0 * t, knee[:, 1] + SHANK - lift], 1)
        for name, xy in (("hip", hip), ("knee", knee), ("ankle", ankle)):
            j = JOINTS.index(f"{side}_{name}")
            pts[:, j, :2], pts[:, j, 2:] = xy, (0.0, 0.95)
        heel = ankle + np.array([0.0, 20.0])
        toe = ankle + np.array([sign * 5.0, 30.0])
        for name, xy in (("heel", heel), ("foot_index", toe)):
            j = JOINTS.index(f"{side}_{name}")
            pts[:, j, :2], pts[:, j, 2:] = xy, (0.0, 0.95)
        j = JOINTS.index(f"{side}_shoulder")
        pts[:, j, :2] = np.stack([cx + sign * 110.0 + 0 * t, hy - 300.0 + 0 * t], 1)
        pts[:, j, 2:] = (0.0, 0.95)
    j = JOINTS.index("nose")
    pts[:, j, :2], pts[:, j, 2:] = np.stack([cx + 0 * t, hy - 380.0], 1), (0.0, 0.95)
    if drift_px_s or shrink_per_s:  # a runner receding: moves up the image and shrinks
        zoom = (1.0 - shrink_per_s * t)[:, None]
        anchor = np.array([cx, 900.0])
        pts[..., :2] = anchor + (pts[..., :2] - anchor) * zoom[:, :, None]
        pts[..., 1] -= (drift_px_s * t)[:, None]
    if noise_px:
        pts[..., :2] += rng.normal(0, noise_px, size=pts[..., :2].shape)
    if drop_every:
        pts[::drop_every] = np.nan
    return Landmarks(t_s=t, points=pts, width=720, height=1000, backend="synthetic")


def test_pelvic_drop_and_adduction_primitives() -> None:
    stance = np.array([[0.0, 0.0]])
    swing = np.array([[100.0, 100 * np.tan(np.radians(7))]])
    assert pelvic_drop(stance, swing)[0] == pytest.approx(7.0)
    knee = stance + 200 * np.array([[np.sin(np.radians(10)), np.cos(np.radians(10))]])
    # pelvis level here: femur leaning 10 deg towards the swing hip = 10 deg adduction
    assert hip_adduction(stance, np.array([[100.0, 0.0]]), knee)[0] == pytest.approx(10.0)


@pytest.mark.parametrize("noise_px, drop_every", [(0.0, 0), (1.0, 0), (1.0, 13)])
def test_frontal_metrics_known_angles(noise_px: float, drop_every: int) -> None:
    lm = synthetic_rear(drop_deg=7.0, add_deg=9.0, noise_px=noise_px, drop_every=drop_every)
    events = frontal_events(lm, 60.0)
    assert len(events.for_foot("left")) >= 9 and len(events.for_foot("right")) >= 9
    m = frontal_metrics(lm, events, 60.0)
    assert m["pelvic_drop"].value == pytest.approx(7.0, abs=1.0)
    # adduction relative to the (tilted) pelvis: femur at 9 deg from the pelvis normal
    assert m["hip_adduction_left"].value == pytest.approx(9.0, abs=1.5)
    assert m["hip_adduction_right"].value == pytest.approx(9.0, abs=1.5)
    assert m["step_width"].value > 0
    assert m["crossover"].value == 0


def test_crossover_detected_and_view_detected() -> None:
    lm = synthetic_rear(drop_deg=5.0, add_deg=5.0, crossover=True)
    res = analyse_landmarks(lm, container_fps=60.0)
    assert res.view == "back"
    assert res.metrics["crossover"].value == pytest.approx(100.0)
    assert res.metrics["step_width"].value < 0
    assert "knee_valgus" not in res.metrics and "fppa" not in res.metrics
    assert res.metrics["pelvic_drop"].value == pytest.approx(5.0, abs=1.0)
    pd = res.metrics["pelvic_drop"]
    assert pd.status == "in range" and not pd.attention  # inside the 4-6 deg reference range
    assert "within" in pd.finding and "4–6°" in pd.finding
    high = analyse_landmarks(synthetic_rear(drop_deg=9.0, add_deg=5.0), container_fps=60.0)
    hd = high.metrics["pelvic_drop"]
    assert hd.status == "above range" and hd.attention
    assert "drops more than typical" in hd.finding
    assert "side_lying_hip_abduction" in hd.exercises


def test_fppa_sign_medial_positive() -> None:
    hip, other = np.array([[0.0, 0.0]]), np.array([[100.0, 0.0]])
    ankle = np.array([[0.0, 400.0]])
    knee_medial = np.array([[30.0, 200.0]])
    knee_lateral = np.array([[-30.0, 200.0]])
    assert fppa(hip, knee_medial, ankle, other)[0] > 15
    assert fppa(hip, knee_lateral, ankle, other)[0] < -15


# --- front / back view: drift, stance < step, pelvic-drop sign, crossover ---------------


@pytest.mark.parametrize("drop_deg", [7.0, -4.0])
def test_pelvic_drop_sign_on_a_synthetic_sequence_with_a_known_drop(drop_deg: float) -> None:
    """+ = the swing-side hip lower than the stance-side hip at midstance (normal running);
    the synthetic runner's swing hip is lowered by `drop_deg` at every midstance."""
    for view_lm in (synthetic_rear(drop_deg=drop_deg, add_deg=5.0),):
        res = analyse_landmarks(view_lm, container_fps=60.0)
        assert res.metrics["pelvic_drop"].value == pytest.approx(drop_deg, abs=1.0)
        for side in ("left", "right"):
            value = res.metrics[f"pelvic_drop_{side}_stance"].value
            assert value == pytest.approx(drop_deg, abs=1.0), side


def test_receding_runner_drift_is_removed_before_stance_detection() -> None:
    """Moving up the image by 40 px/s and shrinking 4 %/s (running away from the camera)."""
    lm = synthetic_rear(drop_deg=6.0, add_deg=5.0, drift_px_s=40.0, shrink_per_s=0.04)
    events = frontal_events(lm, 60.0)
    assert len(events.for_foot("left")) >= 9 and len(events.for_foot("right")) >= 9
    contacts = np.array([s.contact_t for s in events.stances])
    step = float(np.median(np.diff(contacts)))
    assert step == pytest.approx(1 / 2.8, rel=0.05)
    assert all(s.duration < step for s in events.stances)  # stance shorter than a step
    feet = [s.foot for s in events.stances]
    assert all(a != b for a, b in zip(feet, feet[1:], strict=False))  # left, right, left...
    m = frontal_metrics(lm, events, 60.0)
    assert m["pelvic_drop"].value == pytest.approx(6.0, abs=1.5)


def test_one_crossing_step_is_not_called_crossover() -> None:
    from strideback.form.metrics_frontal import crossover_metric
    from strideback.form.reference import attach_findings

    one = crossover_metric([0.2] * 13 + [-0.1])
    many = crossover_metric([-0.15] * 10 + [0.1] * 4)
    assert one.limit_reason and "only 1 of 14" in one.limit_reason
    assert many.limit_reason is None
    metrics = {"crossover": one}
    from strideback.form.confidence import assign_confidence

    lm = synthetic_rear(drop_deg=5.0, add_deg=5.0)
    assign_confidence(metrics, [], lm, None)
    attach_findings(metrics)
    assert one.confidence == "limited" and "too few to call crossover" in one.reason
    assert not one.attention and one.suggestion is None and not one.exercises
