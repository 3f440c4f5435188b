"""Compare two analysed clips metric by metric, against measurement error (evidence.md §6d)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from strideback.form.confidence import base_name
from strideback.form.reference import load_reference


@dataclass
class MetricChange:
    name: str
    label: str
    unit: str
    a: float | None
    b: float | None
    difference: float | None
    threshold: float | None  # smallest change we would call real
    exceeds_error: bool | None  # None when not measurable or not comparable
    note: str
    citation: str
    confidence: str | None = None  # good | limited; None when not measurable

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Comparison:
    a: int
    b: int
    changes: list[MetricChange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "changes": [c.to_dict() for c in self.changes],
                "warnings": self.warnings}  # fmt: skip


def _threshold(unit: str, a: float, b: float, fps_a: float, fps_b: float) -> tuple[float, str]:
    err = load_reference()["measurement_error"]
    if unit == "deg":
        return float(err["angle_deg"]["value"]), err["angle_deg"]["citation"]
    if unit == "steps/min":
        return float(err["cadence_pct"]["value"]) / 100 * max(a, b), err["cadence_pct"]["citation"]
    if unit == "ms":
        frame_ms = 1000.0 / min(fps_a, fps_b)
        return max(float(err["time_ms"]["value"]), frame_ms), err["time_ms"]["citation"]
    ratio = float(err["ratio_pct"]["value"]) / 100 * max(abs(a), abs(b))
    return ratio, err["ratio_pct"]["citation"]


def _keyed(metrics: dict[str, dict[str, Any]]) -> dict[tuple[str, str | None], str]:
    """(base metric, body side) -> metric name: a side view's `knee_flexion_contact` (near
    leg) and `knee_flexion_contact_far` are both keyed by the leg's body side (left/right),
    so two clips filmed from opposite sides compare left with left."""
    out: dict[tuple[str, str | None], str] = {}
    for name, m in metrics.items():
        side = m.get("side") if m.get("side") in ("left", "right") else None
        out[(base_name(name) if side else name, side)] = name
    return out


def near_leg(metrics: dict[str, dict[str, Any]]) -> str | None:
    """The near leg of a side-view clip: the side of its near-leg contact-time metric."""
    side = metrics.get("contact_time", {}).get("side")
    return side if side in ("left", "right") else None


TIMING_UNITS = ("ms", "steps/min", "%")


def compare_metrics(
    a_id: int, a: dict[str, dict[str, Any]], fps_a: float, view_a: str,
    b_id: int, b: dict[str, dict[str, Any]], fps_b: float, view_b: str,
    *, runner_a: str | None = None, runner_b: str | None = None,
) -> Comparison:  # fmt: skip
    """Metric dicts (as stored in metrics.json) of clip a and clip b -> per-metric change.

    Legs are matched by body side (left with left) and the near/far role of each is
    checked; a different view, frame rate, near leg or runner is warned about and lowers the
    change's confidence; a change between different runners, or between a near and a far
    leg, is never called real."""
    out = Comparison(a_id, b_id)
    view_differs = view_a != view_b
    fps_differs = abs(fps_a - fps_b) > 0.02 * max(fps_a, fps_b)
    near_a, near_b = near_leg(a), near_leg(b)
    near_differs = near_a is not None and near_b is not None and near_a != near_b
    other_runner = bool(
        runner_a and runner_b and runner_a.strip().lower() != runner_b.strip().lower()
    )
    if view_differs:
        out.warnings.append(
            f"clip {a_id} is a {view_a} view and clip {b_id} a {view_b} view: only metrics "
            "both views measure are compared, with limited confidence"
        )
    if fps_differs:
        out.warnings.append(
            f"clip {a_id} was filmed at {fps_a:g} fps and clip {b_id} at {fps_b:g} fps: timing "
            "differences partly reflect the camera, so they have limited confidence"
        )
    if near_differs:
        out.warnings.append(
            f"clip {a_id} has the {near_a} leg nearest the camera and clip {b_id} the {near_b} "
            f"leg: values are matched by body side, so each leg is near in one clip and far "
            "(often hidden) in the other; those changes are not called real"
        )
    if other_runner:
        out.warnings.append(
            f"clip {a_id} is of {runner_a} and clip {b_id} of {runner_b}: differences are "
            "between two people, not a change"
        )
    keys_a, keys_b = _keyed(a), _keyed(b)
    for key in [k for k in keys_a if k in keys_b]:
        ma, mb = a[keys_a[key]], b[keys_b[key]]
        label = ma["label"]
        va = ma["value"] if ma.get("confidence") != "not measurable" else None
        vb = mb["value"] if mb.get("confidence") != "not measurable" else None
        if va is None or vb is None:
            out.changes.append(MetricChange(
                keys_a[key], label, ma["unit"], va, vb, None, None, None,
                "not measurable in one of the clips", "", None,
            ))  # fmt: skip
            continue
        diff = vb - va
        thr, cite = _threshold(ma["unit"], va, vb, fps_a, fps_b)
        reasons = []
        if "limited" in (ma.get("confidence"), mb.get("confidence")):
            reasons.append("limited confidence in at least one clip")
        if view_differs:
            reasons.append("different views")
        if fps_differs and ma["unit"] in TIMING_UNITS:
            reasons.append("different frame rates")
        leg_roles_differ = key[1] is not None and near_differs
        if leg_roles_differ:
            reasons.append(f"the {key[1]} leg is near in one clip and far in the other")
        if other_runner:
            reasons.append("different runners")
        exceeds: bool | None = abs(diff) > thr
        if other_runner or leg_roles_differ:
            exceeds = None
            note = "not comparable as a change: " + "; ".join(reasons)
        elif exceeds:
            note = f"change larger than the ~{thr:.3g} {ma['unit']} measurement error"
        else:
            note = f"within the ~{thr:.3g} {ma['unit']} measurement error: not a trustworthy change"
        if reasons and exceeds is not None:
            note += f" ({'; '.join(reasons)})"
        out.changes.append(MetricChange(
            keys_a[key], label, ma["unit"], va, vb, diff, thr, exceeds, note,
            " ".join(cite.split()), "limited" if reasons else "good",
        ))  # fmt: skip
    return out
