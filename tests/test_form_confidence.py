"""Confidence from every capture check, sanity bounds, upright runner, frame rate and slow
motion judged from running physics: synthetic landmark sequences with known answers."""

from __future__ import annotations

import re

import numpy as np
import pytest

from strideback.form.analysis import analyse_landmarks
from strideback.form.bounds import refuse_implausible, sanity_bounds
from strideback.form.capture import judge_speed, nominal_rate
from strideback.form.confidence import base_name, check_table
from strideback.form.model import JOINTS, FormAnalysis, FormError, Landmarks, Metric
from strideback.form.reference import attach_findings
from test_form_metrics import synthetic_rear, synthetic_side

TIMING = ("cadence", "step_time", "contact_time", "duty_factor")


def assert_no_advice_from_weak_metrics(res: FormAnalysis) -> None:
    for name, m in res.metrics.items():
        if m.confidence != "good":
            assert m.suggestion is None and not m.exercises and not m.attention, name
            assert "--spm" not in (m.finding or ""), name


def _checks(res: FormAnalysis) -> dict[str, object]:
    return {c.name: c for c in res.quality}


def test_every_metric_declares_its_checks_and_bounds_are_sane() -> None:
    table = check_table()
    side = analyse_landmarks(synthetic_side(fps=60.0)[0], container_fps=60.0)
    rear = analyse_landmarks(synthetic_rear(5.0, 5.0), container_fps=60.0)
    for res in (side, rear):
        for name in res.metrics:
            assert base_name(name) in table.metrics, name
    for name, bound in sanity_bounds().items():
        assert bound.low < bound.high and len(bound.source) > 30, name
        assert "evidence.md" not in bound.source and "§" not in bound.source


def test_clean_clip_is_good_and_gives_advice() -> None:
    lm, _ = synthetic_side(fps=60.0, stride_hz=1.25, seconds=9.0)  # 150 steps/min
    res = analyse_landmarks(lm, container_fps=60.0)
    assert _checks(res)["capture_rate"].status == "ok"
    cad = res.metrics["cadence"]
    assert cad.confidence == "good" and cad.suggestion and "--spm" in cad.suggestion
    assert_no_advice_from_weak_metrics(res)


def test_hidden_feet_lower_every_timing_metric_with_the_reason() -> None:
    lm, _ = synthetic_side(fps=60.0, stride_hz=1.25, seconds=9.0)
    for j in ("left_heel", "right_heel", "left_foot_index", "right_foot_index"):
        lm.points[:, JOINTS.index(j), 3] = 0.5  # warn band (0.4-0.7)
    res = analyse_landmarks(lm, container_fps=60.0)
    assert _checks(res)["feet_visible"].status == "warn"
    for name in (*TIMING, "overstride"):
        m = res.metrics[name]
        assert m.confidence == "limited", name
        assert "feet visibility 0.50" in m.reason, (name, m.reason)
        assert "Limited confidence" in m.finding and "no advice" in m.finding
    assert res.metrics["trunk_lean"].confidence == "good"  # does not depend on the feet
    assert res.metrics["cadence"].suggestion is None  # 150 spm would advise: not from limited
    assert_no_advice_from_weak_metrics(res)
    for j in ("left_heel", "right_heel", "left_foot_index", "right_foot_index"):
        lm.points[:, JOINTS.index(j), 3] = 0.2  # fail
    res = analyse_landmarks(lm, container_fps=60.0)
    assert res.metrics["cadence"].confidence == "not measurable"
    assert res.metrics["cadence"].finding.startswith("Not measurable: feet visibility 0.20")
    assert_no_advice_from_weak_metrics(res)


def _unsteady(lm: Landmarks, amount: float) -> Landmarks:
    """Warp time so stride times vary (a runner speeding up and slowing down)."""
    t = lm.t_s
    warped = t + amount * np.sin(2 * np.pi * t / 3.0)
    return Landmarks(warped, lm.points, lm.width, lm.height, lm.backend)


def test_unsteady_pace_lowers_stride_metrics() -> None:
    lm, _ = synthetic_side(fps=60.0, stride_hz=1.25, seconds=12.0)
    res = analyse_landmarks(_unsteady(lm, 0.12), container_fps=60.0)
    pace = _checks(res)["steady_pace"]
    assert pace.status in ("warn", "fail") and pace.value > 0.08
    cad = res.metrics["cadence"]
    assert cad.confidence != "good" and "stride time varies" in cad.reason
    assert_no_advice_from_weak_metrics(res)


def test_out_of_bounds_values_are_refused_never_findings() -> None:
    m = {"contact_time": Metric("contact_time", "Contact time", 60.0, "ms", 5.0, 12),
         "shank_angle_contact": Metric("shank_angle_contact", "Shank", -27.0, "deg", 2.0, 12),
         "cadence": Metric("cadence", "Cadence", 170.0, "steps/min", 2.0, 12)}  # fmt: skip
    assert refuse_implausible(m) == ["contact_time", "shank_angle_contact"]
    attach_findings(m)
    ct = m["contact_time"]
    assert ct.confidence == "not measurable" and ct.refused
    assert ct.reason.startswith("refused: 60 ms is outside what running allows (100 ms to 450 ms")
    assert ct.finding.startswith("Not measurable: refused") and ct.suggestion is None
    assert m["shank_angle_contact"].refused and "-27°" in m["shank_angle_contact"].reason
    assert m["cadence"].confidence == "good" and not m["cadence"].refused


def test_tiny_duty_factor_from_a_clip_is_refused() -> None:
    lm, _ = synthetic_side(fps=120.0, duty=0.08, seconds=8.0)  # 57 ms contacts: impossible
    res = analyse_landmarks(lm, container_fps=120.0)
    for name in ("contact_time", "duty_factor"):
        m = res.metrics[name]
        assert m.confidence == "not measurable" and m.refused, (name, m.value, m.reason)
    assert_no_advice_from_weak_metrics(res)


def test_runner_lying_on_their_side_is_refused() -> None:
    lm, _ = synthetic_side(fps=60.0)
    pts = lm.points.copy()
    pts[..., 0], pts[..., 1] = lm.points[..., 1], lm.width - lm.points[..., 0]  # rotate 90°
    turned = Landmarks(lm.t_s, pts, lm.height, lm.width, lm.backend)
    with pytest.raises(FormError, match="lying on their side.*rotation"):
        analyse_landmarks(turned, container_fps=60.0)


@pytest.mark.parametrize(
    "fps, nominal",
    [(59.94, 60.0), (59.999, 60.0), (29.97, 30.0), (119.88, 120.0), (240.0, 240.0), (47.0, 47.0)],
)
def test_nominal_rate(fps: float, nominal: float) -> None:
    assert nominal_rate(fps) == nominal


def test_a_5994_fps_clip_counts_as_60() -> None:
    lm, _ = synthetic_side(fps=59.94, seconds=8.0)
    res = analyse_landmarks(lm, container_fps=59.94)
    fr = _checks(res)["frame_rate"]
    assert fr.status == "ok" and "60 fps" in fr.message
    assert res.metrics["contact_time"].confidence == "good"
    assert res.metrics["overstride"].confidence == "good"  # a contact-instant metric


def test_slow_motion_with_a_running_like_cadence_is_not_trusted() -> None:
    """Captured at 30 fps, played at 24: a naive 135 steps/min that looks like a cadence."""
    lm, truth = synthetic_side(fps=30.0, seconds=10.0)
    played = Landmarks(lm.t_s * 1.25, lm.points, lm.width, lm.height, lm.backend)
    res = analyse_landmarks(played, container_fps=24.0)
    check = _checks(res)["capture_rate"]
    assert check.status == "warn" and "probably slow motion" in check.message
    assert "1.2x" in check.message or "1.3x" in check.message
    assert "--capture-fps 30" in check.message, check.message
    for name in TIMING:
        m = res.metrics[name]
        assert m.confidence == "not measurable" and "slow motion" in m.reason, name
    assert_no_advice_from_weak_metrics(res)
    # The suggested re-run passes (no refusal the tool could foresee) and is right.
    rate = float(re.search(r"--capture-fps (\d+)", check.message).group(1))
    fixed = analyse_landmarks(played, container_fps=24.0, capture_fps=rate)
    assert fixed.metrics["cadence"].value == pytest.approx(float(truth["cadence"]), rel=0.01)
    assert fixed.metrics["cadence"].confidence == "good"
    assert _checks(fixed)["capture_rate"].status == "ok"


def test_judge_speed_tells_missed_steps_and_walking_from_slow_motion() -> None:
    assert judge_speed(168, 33, 60).verdict == "real time"
    slow = judge_speed(84, 33, 30)
    assert slow.verdict == "slow motion" and slow.factor == pytest.approx(2.0, rel=0.05)
    missed = judge_speed(84, 16, 60)  # half the steps missed: contacts too short
    assert missed.verdict == "steps missed" and "not slow motion" in missed.message
    assert judge_speed(110, 62, 60).verdict == "walking"
    assert judge_speed(300, 30, 60).verdict == "too fast"


def test_step_width_and_crossover_are_downgraded_by_failed_checks() -> None:
    lm = synthetic_rear(drop_deg=5.0, add_deg=5.0, crossover=True)
    for j in ("left_heel", "right_heel", "left_foot_index", "right_foot_index"):
        lm.points[:, JOINTS.index(j), 3] = 0.5  # feet partly hidden: a warning
    res = analyse_landmarks(lm, container_fps=60.0)
    assert _checks(res)["feet_visible"].status == "warn"
    for name in ("step_width", "crossover", "pelvic_drop"):
        m = res.metrics[name]
        assert m.confidence == "limited" and "feet visibility 0.50" in m.reason, name
    assert not res.metrics["crossover"].attention  # 100% crossing, but not from limited data
    assert_no_advice_from_weak_metrics(res)
