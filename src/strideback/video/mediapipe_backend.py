"""MediaPipe BlazePose (full model, tracking mode), imported lazily because it is slow to load.

`model_complexity=1` is the only model shipped inside the mediapipe 0.10.21 wheel; 0 and 2
would try to download theirs and fail offline (see docs/pitfalls.md).
"""

from __future__ import annotations

import os

import numpy as np


class MediaPipePose:
    name = "mediapipe-blazepose-full-0.10.21"

    def __init__(self) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=1,
            smooth_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )

    def process(self, rgb: np.ndarray, t_ms: int) -> np.ndarray | None:
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        return np.array(
            [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark],
            dtype=np.float32,
        )

    def close(self) -> None:
        self._pose.close()
