"""Frame rate and slow motion, judged from the container's numbers and from running physics.

A phone's "60 fps" clip measures 59.94 or 59.999 fps: rates within 1.2 % of a standard rate
(or its NTSC 1000/1001 variant) count as that rate. A clip whose capture rate is not known is
judged by what running allows: about 140-220 steps/min, a flight phase (each foot on the
ground for less than half its stride; duty factor is the same whatever the playback speed).
Running-like duty factor with a cadence too slow for running means slow motion; a duty factor
far below running's means steps were missed (not slow motion); over half means walking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from strideback.form.model import GaitEvents

STANDARD_RATES: tuple[float, ...] = (
    24.0, 25.0, 30.0, 48.0, 50.0, 60.0, 90.0, 100.0, 120.0, 200.0, 240.0, 480.0, 960.0,
)  # fmt: skip
RUNNING_SPM = (140.0, 220.0)  # what running allows (sanity_bounds.yaml has wider limits)
TYPICAL_SPM = 170.0
RUNNING_DUTY_PCT = (18.0, 52.0)  # with a flight phase; below: contacts missed; above: walking

SpeedVerdict = Literal["real time", "slow motion", "steps missed", "walking", "too fast"]


def nominal_rate(fps: float) -> float:
    """59.94 / 59.999 -> 60.0; 29.97 -> 30.0; a rate far from any standard one is kept."""
    for rate in STANDARD_RATES:
        for r in (rate, rate * 1000.0 / 1001.0):
            if abs(fps - r) <= 0.012 * r:
                return rate
    return fps


def duty_factor_pct(events: GaitEvents) -> float | None:
    """Median stance time over median stride time of the same foot, in % (both feet)."""
    values = []
    for foot in ("left", "right"):
        stances = events.for_foot(foot)
        if len(stances) < 3:
            continue
        stride = float(np.median(np.diff([s.contact_t for s in stances])))
        if stride > 0:
            values.append(100.0 * float(np.median([s.duration for s in stances])) / stride)
    return float(np.mean(values)) if values else None


@dataclass(frozen=True)
class SpeedJudgement:
    verdict: SpeedVerdict
    factor: float | None  # estimated slowdown (real time = clip time / factor)
    message: str


def judge_speed(cadence: float | None, duty_pct: float | None, fps: float) -> SpeedJudgement:
    """Does the clip play at real speed? From the naive cadence and the duty factor."""
    if cadence is None:
        return SpeedJudgement("real time", None, "no cadence to judge the playback speed by")
    lo, hi = RUNNING_SPM
    duty = f"each foot on the ground {duty_pct:.0f}% of its stride" if duty_pct else ""
    if lo <= cadence <= hi:
        return SpeedJudgement(
            "real time", 1.0, f"Cadence {cadence:.0f} steps/min at {fps:.0f} fps is within what "
            "running allows (140-220): the clip plays at real speed",
        )  # fmt: skip
    if cadence > hi:
        return SpeedJudgement(
            "too fast", None, f"Cadence {cadence:.0f} steps/min at {fps:.0f} fps is faster than "
            "running allows (140-220): the clip may be sped up (time-lapse) or extra steps were "
            "counted; timing is not reported",
        )  # fmt: skip
    if duty_pct is not None and duty_pct < RUNNING_DUTY_PCT[0]:
        return SpeedJudgement(
            "steps missed", None, f"Cadence {cadence:.0f} steps/min with {duty}: too short a "
            "contact for that cadence, so steps were missed (this is not slow motion); timing "
            "is not reported. Film the whole body and feet, side-on, in good light",
        )  # fmt: skip
    if duty_pct is not None and duty_pct > RUNNING_DUTY_PCT[1]:
        return SpeedJudgement(
            "walking", None, f"Cadence {cadence:.0f} steps/min with {duty} (no flight phase): "
            "this looks like walking (or slow motion of a walk), not running; timing is not "
            "reported",
        )  # fmt: skip
    factor = TYPICAL_SPM / cadence
    return SpeedJudgement(
        "slow motion", factor, f"Cadence {cadence:.0f} steps/min at the file's {fps:.0f} fps is "
        f"too slow for running, yet the feet move as in running ({duty or 'a flight phase'}): "
        f"the clip is probably slow motion, about {factor:.2g}x slower than real time",
    )  # fmt: skip


def candidate_rates(cadence: float, container_fps: float) -> list[float]:
    """Standard capture rates that would put the naive cadence inside running's range,
    the most typical cadence first."""
    out = []
    for rate in STANDARD_RATES:
        if rate <= container_fps * 1.05:
            continue
        implied = cadence * rate / container_fps
        if RUNNING_SPM[0] <= implied <= RUNNING_SPM[1]:
            out.append(rate)
    return sorted(out, key=lambda r: abs(cadence * r / container_fps - TYPICAL_SPM))
