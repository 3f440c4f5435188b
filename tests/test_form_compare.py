"""`form compare`: legs matched by body side and near/far role; warnings and lowered
confidence when view, frame rate, near leg or runner differ."""

from __future__ import annotations

from typing import Any

from strideback.form.compare import compare_metrics


def _side_clip(near: str, knee_near: float, knee_far: float, cadence: float = 170.0) -> dict:
    far = "right" if near == "left" else "left"

    def m(label: str, value: float, unit: str, side: str | None, conf: str) -> dict[str, Any]:
        return {"label": label, "value": value, "unit": unit, "side": side, "confidence": conf}

    return {
        "cadence": m("Cadence", cadence, "steps/min", None, "good"),
        "contact_time": m(f"Contact time ({near} leg)", 250.0, "ms", near, "good"),
        "knee_flexion_contact": m(
            f"Knee flexion at contact ({near} leg)", knee_near, "deg", near, "good"
        ),  # fmt: skip
        "knee_flexion_contact_far": m(
            f"Knee flexion at contact ({far} leg)", knee_far, "deg", far, "limited"
        ),  # fmt: skip
    }


def _by_label(comp) -> dict[str, Any]:  # noqa: ANN001
    return {c.label: c for c in comp.changes}


def test_same_setup_compares_like_with_like() -> None:
    comp = compare_metrics(1, _side_clip("left", 10.0, 30.0), 60.0, "side",
                           2, _side_clip("left", 22.0, 31.0), 60.0, "side")  # fmt: skip
    assert comp.warnings == []
    knee = _by_label(comp)["Knee flexion at contact (left leg)"]
    assert knee.a == 10.0 and knee.b == 22.0 and knee.exceeds_error is True
    assert knee.confidence == "good"


def test_opposite_near_legs_are_aligned_by_body_side_and_never_called_real() -> None:
    """Clip 1 filmed from the left (left leg near), clip 2 from the right."""
    a = _side_clip("left", knee_near=10.0, knee_far=30.0)
    b = _side_clip("right", knee_near=12.0, knee_far=31.0)  # right near, left far
    comp = compare_metrics(1, a, 60.0, "side", 2, b, 60.0, "side")
    assert any("left leg nearest the camera" in w and "right leg" in w for w in comp.warnings)
    left = _by_label(comp)["Knee flexion at contact (left leg)"]
    assert (left.a, left.b) == (10.0, 31.0)  # left knee with left knee, not with the right
    assert left.exceeds_error is None and "near in one clip and far" in left.note
    assert left.confidence == "limited"
    right = _by_label(comp)["Knee flexion at contact (right leg)"]
    assert (right.a, right.b) == (30.0, 12.0)
    assert _by_label(comp)["Cadence"].exceeds_error is False  # not a leg: still compared


def test_different_runners_frame_rates_and_views_are_warned_about() -> None:
    a, b = _side_clip("left", 10.0, 30.0, 160.0), _side_clip("left", 25.0, 31.0, 175.0)
    comp = compare_metrics(1, a, 30.0, "side", 2, b, 120.0, "side", runner_a="Ann",
                           runner_b="Bob")  # fmt: skip
    text = " ".join(comp.warnings)
    assert "two people" in text and "30 fps" in text and "120 fps" in text
    for change in comp.changes:
        assert change.exceeds_error is None and "different runners" in change.note
    same_runner = compare_metrics(1, a, 30.0, "side", 2, b, 120.0, "side")
    cad = _by_label(same_runner)["Cadence"]
    assert cad.exceeds_error is True and cad.confidence == "limited"
    assert "different frame rates" in cad.note
