"""Plain dataclasses of the form capability (Landmarks -> GaitEvents -> metrics).

This is the pure core's model: the video shell (strideback.video) imports `Landmarks` and the
joint layout from here, never the other way round.

Landmarks use the 33-point BlazePose layout (MediaPipe). Coordinates are pixels of the
displayed (rotated) video, y pointing down; z is MediaPipe's relative depth (smaller = nearer
the camera) and v the visibility in [0, 1]. A frame where no person was found is all NaN.
Another pose backend can be added by mapping its keypoints onto these names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

# Closed vocabularies of the form capability, defined once.
Confidence = Literal["good", "limited", "not measurable"]
View = Literal["side", "front", "back"]
ViewChoice = Literal["auto", "side", "front", "back"]
Task = Literal["run", "single-leg-squat"]
CheckStatus = Literal["ok", "warn", "fail"]
Side = Literal["left", "right"]

GOOD: Confidence = "good"
LIMITED: Confidence = "limited"
NOT_MEASURABLE: Confidence = "not measurable"
CONFIDENCES: tuple[Confidence, ...] = get_args(Confidence)
VIEWS: tuple[View, ...] = get_args(View)
VIEW_CHOICES: tuple[ViewChoice, ...] = get_args(ViewChoice)
TASKS: tuple[Task, ...] = get_args(Task)
CHECK_STATUSES: tuple[CheckStatus, ...] = get_args(CheckStatus)

FloatArray = npt.NDArray[np.float64]

JOINTS: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
    "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    "left_heel", "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
J = {name: i for i, name in enumerate(JOINTS)}

# Bones drawn on the annotated video.
SKELETON: tuple[tuple[str, str], ...] = tuple(
    (f"{side}_{a}", f"{side}_{b}")
    for side in ("left", "right")
    for a, b in (
        ("shoulder", "elbow"), ("elbow", "wrist"), ("shoulder", "hip"), ("hip", "knee"),
        ("knee", "ankle"), ("ankle", "heel"), ("heel", "foot_index"), ("ankle", "foot_index"),
    )
) + (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"))  # fmt: skip


@dataclass
class Landmarks:
    """Per-frame pose: `t_s` (F,) seconds and `points` (F, 33, 4) = x, y, z, visibility."""

    t_s: FloatArray
    points: FloatArray
    width: int
    height: int
    backend: str = "unknown"

    def __len__(self) -> int:
        return len(self.t_s)

    def xy(self, joint: str) -> FloatArray:
        """(F, 2) pixel coordinates of one joint."""
        return self.points[:, J[joint], :2]

    def vis(self, joint: str) -> FloatArray:
        return self.points[:, J[joint], 3]

    def z(self, joint: str) -> FloatArray:
        return self.points[:, J[joint], 2]

    @property
    def detected(self) -> npt.NDArray[np.bool_]:
        """Boolean (F,): a person was found in the frame."""
        found: npt.NDArray[np.bool_] = ~np.isnan(self.points[:, J["left_hip"], 0])
        return found

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, t_s=self.t_s, points=self.points, width=self.width, height=self.height,
            backend=np.array(self.backend),
        )  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> Landmarks:
        with np.load(path) as data:
            return cls(
                t_s=data["t_s"], points=data["points"], width=int(data["width"]),
                height=int(data["height"]), backend=str(data["backend"]),
            )  # fmt: skip


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
    confidence: Confidence = GOOD
    reason: str = ""
    per_step: list[float] = field(default_factory=list)
    side: str | None = None  # left | right | near | far, where it matters
    reference: dict[str, Any] | None = None  # range + citation from reference_ranges.yaml
    finding: str | None = None  # plain language, for every metric (in range is a finding too)
    status: str | None = None  # in range | below range | above range | no range | not measurable
    attention: bool = False  # outside the range in a direction the evidence flags
    suggestion: str | None = None
    exercises: list[str] = field(default_factory=list)
    refused: bool = False  # outside what running allows (sanity_bounds.yaml)
    limit_reason: str | None = None  # the metric's own reason to be at most limited

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
    status: CheckStatus
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
    mid: int | None = None  # midstance frame where it was found directly (frontal views)

    @property
    def duration(self) -> float:
        return self.toe_off_t - self.contact_t

    @property
    def mid_i(self) -> int:
        return self.mid if self.mid is not None else (self.contact_i + self.toe_off_i) // 2


@dataclass
class GaitEvents:
    stances: list[Stance]
    forward: int = 0  # +1 runner moves towards +x, -1 towards -x (side view); 0 frontal
    near: str | None = None  # near leg in a side view: left | right

    def for_foot(self, foot: str) -> list[Stance]:
        return [s for s in self.stances if s.foot == foot]

    @property
    def contacts(self) -> FloatArray:
        return np.array(sorted(s.contact_t for s in self.stances))


@dataclass
class FormAnalysis:
    """Everything the pure core computes from one clip's landmarks."""

    view: View
    task: Task
    fps: float
    capture_fps: float
    time_scale: float  # real seconds per container second (slow motion < 1)
    quality: list[QualityCheck]
    metrics: dict[str, Metric]
    events: GaitEvents
    angle_series: dict[str, list[float | None]] = field(default_factory=dict)  # for charts / video

    def metrics_dict(self) -> dict[str, dict[str, Any]]:
        return {k: m.to_dict() for k, m in self.metrics.items()}
