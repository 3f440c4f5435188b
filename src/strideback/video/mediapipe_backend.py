"""MediaPipe BlazePose (full model, tracking mode), imported lazily because it is slow to load.

`model_complexity=1` is the only model shipped inside the mediapipe 0.10.21 wheel; 0 and 2
would try to download theirs and fail offline (see docs/pitfalls.md).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]  # an image or landmark array


def _pose_solution() -> ModuleType:
    """`mediapipe.python.solutions.pose` without running `mediapipe/__init__.py` and
    `mediapipe/python/solutions/__init__.py`, which import every solution and task: pyplot
    (via drawing_utils) and sounddevice, whose search for libportaudio runs ldconfig and gcc.
    That costs ~0.5 s CPU in each worker; the pose module itself needs none of it. Falls back
    to the plain import if the package layout is not the expected one."""
    if "mediapipe" not in sys.modules:
        try:
            for name in ("mediapipe", "mediapipe.python.solutions"):
                spec = importlib.util.find_spec(name)
                if spec is None or spec.submodule_search_locations is None:
                    raise ImportError(name)
                sys.modules[name] = importlib.util.module_from_spec(spec)  # body not run
            from mediapipe.python.solutions import pose

            sys.modules["mediapipe"].solutions = sys.modules["mediapipe.python.solutions"]  # type: ignore[attr-defined]
            return pose  # type: ignore[no-any-return]
        except Exception:  # noqa: BLE001 - undo the partial packages, import normally
            for name in [m for m in sys.modules if m == "mediapipe" or m.startswith("mediapipe.")]:
                del sys.modules[name]
    import mediapipe as mp

    return mp.solutions.pose  # type: ignore[no-any-return]


class MediaPipePose:
    name = "mediapipe-blazepose-full-0.10.21"

    def __init__(self) -> None:
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        self._pose = _pose_solution().Pose(
            static_image_mode=False,
            model_complexity=1,
            smooth_landmarks=True,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        self._offset_us = 33333  # the graph's first stamp is 33333 us (as the API's own)
        self._last_us = 0
        self._step_us = 33333

    def process(self, rgb: Array, t_ms: float) -> Array | None:
        """Landmarks of the frame shown at `t_ms` (clip time).

        The solution API stamps each call 33.3 ms after the previous one, as if every video
        were 30 fps; its landmark smoothing (a velocity filter over time) then smooths a
        240 fps clip, or a pass on every 8th frame, over a different real time span than a
        30 fps one. The frame's real time is given instead, so a pass on every k-th frame
        and refined frames are smoothed alike. Times must grow: a frame earlier than the
        previous call (refinement goes back in the clip) continues the graph's clock one
        frame interval after its last stamp."""
        t_us = round(t_ms * 1000.0)
        stamp = t_us + self._offset_us
        if stamp <= self._last_us:
            self._offset_us = self._last_us + self._step_us - t_us
            stamp = t_us + self._offset_us
        self._step_us = max(1, min(33333, stamp - self._last_us)) if self._last_us > 0 else 33333
        self._last_us = stamp
        self._pose._simulated_timestamp = stamp - 33333  # process() adds 33333 first
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        return np.array(
            [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark],
            dtype=np.float32,
        )

    def close(self) -> None:
        self._pose.close()
