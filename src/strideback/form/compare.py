"""Compare two analysed clips metric by metric, against measurement error (evidence.md §6d)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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
    exceeds_error: bool | None  # None when either side is not measurable
    note: str
    citation: str

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


def compare_metrics(
    a_id: int, a: dict[str, dict[str, Any]], fps_a: float, view_a: str,
    b_id: int, b: dict[str, dict[str, Any]], fps_b: float, view_b: str,
) -> Comparison:  # fmt: skip
    """Metric dicts (as stored in metrics.json) of clip a and clip b -> per-metric change."""
    out = Comparison(a_id, b_id)
    if view_a != view_b:
        out.warnings.append(f"clip {a_id} is a {view_a} view and clip {b_id} a {view_b} view")
    for name in [n for n in a if n in b]:
        ma, mb = a[name], b[name]
        va = ma["value"] if ma.get("confidence") != "not measurable" else None
        vb = mb["value"] if mb.get("confidence") != "not measurable" else None
        if va is None or vb is None:
            out.changes.append(
                MetricChange(
                    name,
                    ma["label"],
                    ma["unit"],
                    va,
                    vb,
                    None,
                    None,
                    None,
                    "not measurable in one of the clips",
                    "",
                )
            )
            continue  # fmt: skip
        diff = vb - va
        thr, cite = _threshold(ma["unit"], va, vb, fps_a, fps_b)
        exceeds = abs(diff) > thr
        note = (
            f"change larger than the ~{thr:.3g} {ma['unit']} measurement error"
            if exceeds
            else f"within the ~{thr:.3g} {ma['unit']} measurement error: not a trustworthy change"
        )
        if "limited" in (ma.get("confidence"), mb.get("confidence")):
            note += " (limited confidence in at least one clip)"
        out.changes.append(MetricChange(name, ma["label"], ma["unit"], va, vb, diff, thr,
                                        exceeds, note, " ".join(cite.split())))  # fmt: skip
    return out
