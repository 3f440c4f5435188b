"""Plain dataclasses the plan produces (shared by the service layer, CLI and web)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal, get_args

# Closed vocabularies of the plan, defined once (CLI, web and YAML validation import them).
Phase = Literal["settle", "walk", "walk_run", "run", "build", "refer"]
Action = Literal["start", "progress", "hold", "step_back", "refer"]
SessionKind = Literal["walk", "run", "strength", "cross", "release"]
Urgency = Literal["emergency", "urgent", "routine"]
GateSource = Literal[
    "ok", "no_check", "check_red_flag", "check_pattern", "diary_red_flag", "plan_referral"
]
ACTIONS: tuple[Action, ...] = get_args(Action)
PHASES: tuple[Phase, ...] = get_args(Phase)
# One name per verdict, everywhere the runner reads one (CLI, web, calendar).
ACTION_LABELS: dict[str, str] = {
    "start": "start",
    "progress": "progress",
    "hold": "hold",
    "step_back": "step back",
    "refer": "see a clinician",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " "))


@dataclass
class Session:
    kind: SessionKind
    minutes: int
    title: str
    exercises: list[str] = field(default_factory=list)  # exercise ids
    notes: str = ""
    distance_km: float | None = None


@dataclass
class Decision:
    action: str  # start | progress | hold | step_back | refer
    rule: str  # the rule id that fired
    reason: str  # plain words: what happened and why
    citation: str = ""


@dataclass
class EntryCriterion:
    """One entry criterion of a gated step (e.g. before the first walk-run), and where it stands."""

    id: str  # brisk_walk | single_leg_squat_test | hop_test
    label: str
    met: bool
    required: bool
    blocking: bool  # holds the next step back (required and not met, or a logged test failed)
    detail: str  # plain words: what was logged, what is missing
    result: int | None = None  # latest test pain 0–10, when the criterion is a test


@dataclass
class Step:
    id: str
    phase: Phase
    label: str
    stage: str  # strength routine stage: irritable | settling | return
    key_kind: SessionKind  # walk | run
    key_minutes: int
    key_title: str
    notes: str = ""
    citation: str = ""
    gate: str | None = None  # "run_entry": progress only with a (near) pain-free walk
    tests: list[str] = field(default_factory=list)
    key_km: float | None = None


@dataclass
class PlanDay:
    day: dt.date
    phase: Phase
    step: str  # the step's label
    step_id: str
    sessions: list[Session] = field(default_factory=list)
    decision: Decision | None = None
    projected: bool = False  # True for future days (assumes each step goes well)
    verdict: Decision | None = None  # what that day's diary entry said (past days)
    criteria: list[EntryCriterion] = field(default_factory=list)  # gated step: entry criteria

    @property
    def load_min(self) -> int:
        """Walk/run plus cross-training minutes (cross-training counts as load)."""
        return sum(s.minutes for s in self.sessions if s.kind in ("walk", "run", "cross"))


@dataclass
class Plan:
    start: dt.date
    steps: list[PlanDay] = field(default_factory=list)
    referral: str | None = None
    pre_injury: str = ""  # where the build target came from, in words
    honesty: list[str] = field(default_factory=list)
    clearance: str | None = None  # a clinician clearance restarted the plan, in words
    # The gate (plan/gate.py): when it says no, `steps` is empty and these say what to do.
    next_step: str = ""
    urgency: str | None = None
    gate: str = "ok"

    def day(self, day: dt.date) -> PlanDay | None:
        for d in self.steps:
            if d.day == day:
                return d
        return None
