"""A click track at a target cadence, for cadence retraining (evidence.md §6a: +5-10% over
the runner's own cadence, with faded feedback). Writes a 16-bit mono WAV with the stdlib."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]  # an image or landmark array


SAMPLE_RATE = 22050
CLICK_S = 0.02  # shorter than the gap between two clicks at the fastest cadence (240 spm)


def _click(freq_hz: float, sample_rate: int) -> Array:
    t = np.arange(int(CLICK_S * sample_rate)) / sample_rate
    wave_ = np.sin(2 * np.pi * freq_hz * t) * np.exp(-t * 250.0) * 0.8
    out: Array = (wave_ * 32767).astype(np.int16)
    return out


def _checked(spm: float, minutes: float) -> None:
    if not 60 <= spm <= 240:
        raise ValueError(f"cadence {spm} steps/min is outside 60-240")
    if not 0 < minutes <= 180:
        raise ValueError(f"duration {minutes} min is outside 0-180")


def _click_starts(spm: float, minutes: float, sample_rate: int) -> tuple[int, Array]:
    """(total samples, the sample index where each step's click starts)."""
    n = int(round(minutes * 60 * sample_rate))
    starts = np.round(np.arange(0, minutes * 60, 60.0 / spm) * sample_rate).astype(np.int64)
    return n, starts[starts < n]


def _render(starts: Array, first: int, stop: int, sample_rate: int) -> Array:
    """Samples [first, stop) of the track: a 1.5 kHz click per step, a 2.2 kHz accent every
    4th (clicks never overlap, so each is copied in place)."""
    out = np.zeros(stop - first, dtype=np.int16)
    click, accent = _click(1500, sample_rate), _click(2200, sample_rate)
    size = click.size
    near = np.nonzero((starts < stop) & (starts + size > first))[0]
    for k in near:
        sound = accent if k % 4 == 0 else click
        begin = int(starts[k])
        lo, hi = max(begin, first), min(begin + size, stop)
        out[lo - first : hi - first] = sound[lo - begin : hi - begin]
    return out


def click_track(spm: float, minutes: float, sample_rate: int = SAMPLE_RATE) -> Array:
    """Int16 samples of the whole track (for a file); `wav_chunks` streams the same samples."""
    _checked(spm, minutes)
    n, starts = _click_starts(spm, minutes, sample_rate)
    return _render(starts, 0, n, sample_rate)


CHUNK_S = 10.0  # seconds of audio per streamed chunk (~0.4 MB)


def wav_header(n_samples: int, sample_rate: int = SAMPLE_RATE) -> bytes:
    """The 44-byte header of a 16-bit mono PCM WAV holding `n_samples` samples."""
    data = n_samples * 2
    return (
        b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data" + struct.pack("<I", data)
    )  # fmt: skip


def wav_size(spm: float, minutes: float, sample_rate: int = SAMPLE_RATE) -> int:
    """Bytes of the WAV file `wav_chunks` yields (for a Content-Length)."""
    _checked(spm, minutes)
    return 44 + 2 * int(round(minutes * 60 * sample_rate))


def wav_chunks(spm: float, minutes: float, sample_rate: int = SAMPLE_RATE) -> Iterator[bytes]:
    """The click track as a WAV file, in chunks: memory stays ~0.4 MB whatever the length
    (a 20-minute track is 53 MB; the web download streams it instead of building it)."""
    _checked(spm, minutes)
    n, starts = _click_starts(spm, minutes, sample_rate)
    yield wav_header(n, sample_rate)
    step = int(CHUNK_S * sample_rate)
    for first in range(0, n, step):
        yield _render(starts, first, min(n, first + step), sample_rate).tobytes()


def wav_bytes(spm: float, minutes: float) -> bytes:
    """The click track as a complete WAV file in memory (~2.6 MB per minute)."""
    return b"".join(wav_chunks(spm, minutes))


def write_metronome(path: Path, spm: float, minutes: float) -> Path:
    data = wav_bytes(spm, minutes)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
