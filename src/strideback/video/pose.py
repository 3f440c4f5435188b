"""Pose backend interface. The landmark container and joint layout live in the pure core
(`strideback.form.model`) and are re-exported here for the video shell."""

from __future__ import annotations

from typing import Any, Protocol

import numpy.typing as npt

from strideback.form.model import JOINTS, SKELETON, FloatArray, J, Landmarks

Array = npt.NDArray[Any]  # an image or landmark array


__all__ = ["JOINTS", "SKELETON", "J", "Landmarks", "PoseBackend", "make_backend"]


class PoseBackend(Protocol):
    """One pose model. `process` gets an RGB image and returns (33, 4) normalised x, y, z, v
    (x, y in [0, 1] of the image) or None when no person is found; `t_ms` is the frame's
    time in the clip (tracking and smoothing use it)."""

    name: str

    def process(self, rgb: Array, t_ms: float) -> FloatArray | None: ...

    def close(self) -> None: ...


def make_backend(name: str = "mediapipe") -> PoseBackend:
    if name == "mediapipe":
        from strideback.video.mediapipe_backend import MediaPipePose

        return MediaPipePose()
    raise ValueError(f"unknown pose backend {name!r} (available: mediapipe)")
