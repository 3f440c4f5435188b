"""Preview frames for the annotated video, kept JPEG-compressed in a temporary file.

A pose worker adds each (downscaled) frame as it goes; after the analysis it reads them back
to draw the overlay. Memory stays flat whatever the clip length: only the byte offsets are
kept in RAM (a 270x480 frame is ~22 KB as JPEG quality 85 against ~390 KB raw; encoding
costs ~0.5 ms and decoding ~0.5 ms on this project's machine, measured with OpenCV 4.11).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]  # an image or landmark array


JPEG_QUALITY = 85


class PreviewStore:
    """Append-only JPEG frame store in one file; `frames()` yields BGR images in order."""

    def __init__(self, path: Path, size: tuple[int, int]) -> None:
        self.path = Path(path)
        self.size = size  # (width, height)
        self._file = self.path.open("w+b")
        self._spans: list[tuple[int, int]] = []  # (offset, length) of each frame

    def __len__(self) -> int:
        return len(self._spans)

    def add_rgb(self, rgb: Array) -> None:
        """Downscale an RGB frame to the preview size and store it."""
        h, w = rgb.shape[:2]
        small = (
            rgb
            if (w, h) == self.size
            else cv2.resize(rgb, self.size, interpolation=cv2.INTER_LINEAR)
        )  # INTER_AREA costs 4x more at a 0.75 scale
        # The RGB bytes go in as they are (OpenCV takes them for BGR): no colour conversion
        # for the many frames that are never read back; `frames()` swaps them on reading.
        ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise RuntimeError("could not JPEG-encode a preview frame")
        offset = self._file.seek(0, 2)
        self._file.write(jpeg.tobytes())
        self._spans.append((offset, len(jpeg)))

    def frames(self) -> Iterator[Array]:
        """All frames in order, BGR."""
        yield from self.frames_at(range(len(self._spans)))

    def frames_at(self, indices: Iterable[int], rgb: bool = False) -> Iterator[Array]:
        """The frames at the given indices, in the order given: BGR, or RGB with `rgb`."""
        self._file.flush()
        for i in indices:
            offset, length = self._spans[i]
            self._file.seek(offset)
            data = np.frombuffer(self._file.read(length), np.uint8)
            image = cv2.imdecode(data, cv2.IMREAD_COLOR)  # the RGB stored, channels as given
            yield image if rgb else cv2.cvtColor(image, cv2.COLOR_RGB2BGR)

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)
