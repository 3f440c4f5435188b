"""A click track at a target cadence, for cadence retraining (evidence.md §6a: +5-10% over
the runner's own cadence, with faded feedback). Writes a 16-bit mono WAV with the stdlib."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

SAMPLE_RATE = 22050


def click_track(spm: float, minutes: float, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Int16 samples: a short 1.5 kHz click on every step, an accent every 4th."""
    if not 60 <= spm <= 240:
        raise ValueError(f"cadence {spm} steps/min is outside 60-240")
    if not 0 < minutes <= 180:
        raise ValueError(f"duration {minutes} min is outside 0-180")
    n = int(round(minutes * 60 * sample_rate))
    out = np.zeros(n, dtype=np.float32)
    click_len = int(0.02 * sample_rate)
    t = np.arange(click_len) / sample_rate
    envelope = np.exp(-t * 250.0)
    click = np.sin(2 * np.pi * 1500 * t) * envelope
    accent = np.sin(2 * np.pi * 2200 * t) * envelope
    period = 60.0 / spm
    k = 0
    while True:
        start = int(round(k * period * sample_rate))
        if start >= n:
            break
        stop = min(n, start + click_len)
        out[start:stop] += (accent if k % 4 == 0 else click)[: stop - start] * 0.8
        k += 1
    return (np.clip(out, -1, 1) * 32767).astype(np.int16)


def write_metronome(path: Path, spm: float, minutes: float) -> Path:
    samples = click_track(spm, minutes)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())
    return path
