"""The shared domain model: plain dataclasses every capability uses.

Activity -> laps -> Series (gpxpy-style). No I/O here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

# Closed vocabularies shared by several capabilities: defined once here, imported everywhere
# (services, CLI options, web forms, YAML validation). The tuples are derived from the types.
Sport = Literal["running", "walking", "hiking", "cycling", "swimming", "other"]
RunSubSport = Literal["road", "trail", "treadmill", "track", "generic"]
Swelling = Literal["none", "mild", "marked"]
SessionDone = Literal["done", "modified", "skipped", "rest"]
FlagSeverity = Literal["info", "warning"]

# Sports we recognise. Everything else is "other".
SPORTS: tuple[Sport, ...] = get_args(Sport)
# Sub-sports we keep distinct for running.
RUN_SUB_SPORTS: tuple[RunSubSport, ...] = get_args(RunSubSport)
SWELLING: tuple[Swelling, ...] = get_args(Swelling)
SESSION_DONE: tuple[SessionDone, ...] = get_args(SessionDone)

SERIES_COLUMNS = (
    "t_s",  # seconds since the activity start (float)
    "distance_m",
    "altitude_m",
    "speed_mps",
    "hr_bpm",
    "cadence_spm",  # steps (running) or revolutions (cycling) per minute
    "lat",
    "lon",
)


# The per-activity totals that two decoders of the same file must agree on.
ACTIVITY_SUMMARY_FIELDS = (
    "sport",
    "sub_sport",
    "start",
    "distance_m",
    "elapsed_s",
    "moving_s",
    "ascent_m",
    "descent_m",
    "cadence_spm",
    "hr_bpm",
    "utc_offset_s",
)


@dataclass
class Series:
    """Time series of one activity: parallel numpy arrays, NaN where missing."""

    columns: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.columns.get("t_s", ()))

    def get(self, name: str) -> npt.NDArray[np.float64] | None:
        arr = self.columns.get(name)
        if arr is None or len(arr) == 0 or np.all(np.isnan(arr)):
            return None
        return arr


@dataclass
class Lap:
    start: dt.datetime
    elapsed_s: float | None = None
    distance_m: float | None = None
    moving_s: float | None = None  # timer time (excludes pauses)
    ascent_m: float | None = None
    descent_m: float | None = None
    hr_bpm: float | None = None
    cadence_spm: float | None = None  # steps per minute for running/walking


@dataclass
class Activity:
    """One activity (one leg of a multisport file is its own Activity)."""

    sport: str
    start: dt.datetime  # timezone-aware, UTC
    sub_sport: str | None = None
    utc_offset_s: int | None = None  # local offset where the file says it
    name: str | None = None
    distance_m: float | None = None
    elapsed_s: float | None = None
    moving_s: float | None = None  # timer time (excludes pauses)
    ascent_m: float | None = None
    descent_m: float | None = None
    cadence_spm: float | None = None  # steps per minute for running/walking
    hr_bpm: float | None = None
    max_hr_bpm: float | None = None
    device: str | None = None
    source_format: str | None = None  # fit, gpx, tcx
    source_file: str | None = None
    leg_index: int = 0  # position inside a multisport / multi-activity file
    laps: list[Lap] = field(default_factory=list)
    series: Series = field(default_factory=Series)
    # Where each total came from ("device" or "derived"), for honesty.
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def is_run(self) -> bool:
        return self.sport == "running"

    @property
    def pace_s_per_km(self) -> float | None:
        if not self.distance_m or not self.moving_s:
            return None
        return self.moving_s / (self.distance_m / 1000.0)


@dataclass(frozen=True)
class Flag:
    """A warning raised by a rule, with the evidence behind it."""

    rule: str
    message: str
    citation: str
    severity: FlagSeverity = "warning"


@dataclass
class WeekLoad:
    week: str  # ISO week, e.g. "2026-W47"
    week_start: dt.date
    distance_m: float = 0.0
    time_s: float = 0.0
    runs: int = 0
    longest_m: float = 0.0
    ascent_m: float = 0.0
    descent_m: float = 0.0
    cross_training_s: float = 0.0
    ramp_prev_pct: float | None = None
    ramp_4wk_pct: float | None = None
    acwr: float | None = None
    flags: list[Flag] = field(default_factory=list)


@dataclass
class DiaryEntry:
    day: dt.date
    pain_during: int | None = None
    pain_after: int | None = None
    pain_next_morning: int | None = None
    swelling: Swelling = "none"
    done: SessionDone | None = None
    sharp_pain: bool = False
    limp: bool = False
    red_flag: bool = False
    note: str | None = None
    activity_id: int | None = None
    # Run-readiness tests (evidence.md §5e), pain 0–10 while doing the test; None = not done.
    squat_test_pain: int | None = None  # single-leg squat test, 30 s each side
    hop_test_pain: int | None = None  # hop routine
    # Which red flag was logged (assess/questions.yaml diary_red_flags); None with red_flag
    # means the generic "other" warning sign.
    red_flag_kind: str | None = None
