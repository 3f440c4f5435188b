"""Plain dataclasses of the form capability (FormClip -> Landmarks -> GaitEvents -> metrics)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

GOOD, LIMITED, NOT_MEASURABLE = "good", "limited", "not measurable"
VIEWS = ("side", "front", "back")
TASKS = ("run", "single-leg-squat")


class FormError(Exception):
    """A clip that cannot be analysed, with a message that says why and what to do."""


@dataclass
class Metric:
    """One metric: median over steps, its spread (IQR), and how far to trust it."""

    name: str
    label: str
    value: float | None
    unit: str
    spread: float | None = None  # interquartile range over steps
    n: int = 0  # steps (or frames) it is based on
    confidence: str = GOOD
    reason: str = ""
    per_step: list[float] = field(default_factory=list)
    side: str | None = None  # left | right | near | far, where it matters
    reference: dict[str, Any] | None = None  # range + citation from reference_ranges.yaml
    finding: str | None = None  # plain language, for every metric (in range is a finding too)
    status: str | None = None  # in range | below range | above range | no range | not measurable
    attention: bool = False  # outside the range in a direction the evidence flags
    suggestion: str | None = None
    exercises: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["per_step"] = [round(float(v), 3) for v in self.per_step]
        for key in ("value", "spread"):
            if data[key] is not None:
                data[key] = round(float(data[key]), 3)
        return data


@dataclass
class QualityCheck:
    name: str
    status: str  # ok | warn | fail
    message: str
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Stance:
    """One foot's ground contact: frame indices (fractional, sub-frame) and times."""

    foot: str  # left | right
    contact_t: float
    toe_off_t: float
    contact_i: int
    toe_off_i: int

    @property
    def duration(self) -> float:
        return self.toe_off_t - self.contact_t

    @property
    def mid_i(self) -> int:
        return (self.contact_i + self.toe_off_i) // 2


@dataclass
class GaitEvents:
    stances: list[Stance]
    forward: int = 0  # +1 runner moves towards +x, -1 towards -x (side view); 0 frontal
    near: str | None = None  # near leg in a side view: left | right

    def for_foot(self, foot: str) -> list[Stance]:
        return [s for s in self.stances if s.foot == foot]

    @property
    def contacts(self) -> np.ndarray:
        return np.array(sorted(s.contact_t for s in self.stances))


@dataclass
class FormAnalysis:
    """Everything the pure core computes from one clip's landmarks."""

    view: str
    task: str
    fps: float
    capture_fps: float
    time_scale: float  # real seconds per container second (slow motion < 1)
    quality: list[QualityCheck]
    metrics: dict[str, Metric]
    events: GaitEvents
    angle_series: dict[str, list[float]] = field(default_factory=dict)  # for charts / video

    def metrics_dict(self) -> dict[str, dict[str, Any]]:
        return {k: m.to_dict() for k, m in self.metrics.items()}
