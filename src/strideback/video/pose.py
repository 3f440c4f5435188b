"""Pose backend interface and the landmark container every form metric reads.

Landmarks use the 33-point BlazePose layout (MediaPipe). Coordinates are pixels of the
displayed (rotated) video, y pointing down; z is MediaPipe's relative depth (smaller = nearer
the camera) and v the visibility in [0, 1]. A frame where no person was found is all NaN.
Another backend can be added by mapping its keypoints onto these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

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

    t_s: np.ndarray
    points: np.ndarray
    width: int
    height: int
    backend: str = "unknown"

    def __len__(self) -> int:
        return len(self.t_s)

    def xy(self, joint: str) -> np.ndarray:
        """(F, 2) pixel coordinates of one joint."""
        return self.points[:, J[joint], :2]

    def vis(self, joint: str) -> np.ndarray:
        return self.points[:, J[joint], 3]

    def z(self, joint: str) -> np.ndarray:
        return self.points[:, J[joint], 2]

    @property
    def detected(self) -> np.ndarray:
        """Boolean (F,): a person was found in the frame."""
        return ~np.isnan(self.points[:, J["left_hip"], 0])

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


class PoseBackend(Protocol):
    """One pose model. `process` gets an RGB image and returns (33, 4) normalised x, y, z, v
    (x, y in [0, 1] of the image) or None when no person is found."""

    name: str

    def process(self, rgb: np.ndarray, t_ms: int) -> np.ndarray | None: ...

    def close(self) -> None: ...


def make_backend(name: str = "mediapipe") -> PoseBackend:
    if name == "mediapipe":
        from strideback.video.mediapipe_backend import MediaPipePose

        return MediaPipePose()
    raise ValueError(f"unknown pose backend {name!r} (available: mediapipe)")
