"""Plain dataclasses the coach service returns (CLI and web render them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from strideback.assess.kujala import KujalaScore
from strideback.plan.model import Decision, EntryCriterion, Session


@dataclass
class CheckOutcome:
    id: int
    taken_on: dt.date
    red_flags: list[str] = field(default_factory=list)
    referral: str | None = None
    pattern: str = "unclear"
    pattern_message: str = ""
    kujala: KujalaScore | None = None
    can_start_plan: bool = False
    answers: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    kujala_change: int | None = None  # vs the first check with a Kujala score
    kujala_meaningful: bool | None = None  # change ≥ MCID


@dataclass
class TodayView:
    day: dt.date
    needs_check: bool
    referral: str | None
    phase: str
    step: str
    sessions: list[Session] = field(default_factory=list)
    decision: Decision | None = None
    disclaimer: str = ""
    notes: list[str] = field(default_factory=list)
    plan_day: int | None = None  # 1-based day of the plan
    last_verdict: Decision | None = None  # what the most recent diary entry said
    # Before the first walk-run step: each entry criterion, met or still missing (§5e).
    entry_criteria: list[EntryCriterion] = field(default_factory=list)
    clearance: str | None = None  # a clinician clearance restarted the plan, in words
    # With a referral: what to do next (plain words) and how soon (emergency|urgent|routine).
    next_step: str = ""
    urgency: str | None = None
    # "How is the knee this morning, after yesterday's walk?" and the session day it is for.
    morning_question: str | None = None
    morning_day: dt.date | None = None
    gap_days: int | None = None  # days without a diary entry, when Today asks what happened


@dataclass
class PlanRestart:
    """A clinician's clearance after a referral, and where the plan restarts."""

    cleared_on: dt.date
    start: dt.date
    restart_step: str  # ladder step id (settle | walk_20)
    step_label: str
    message: str
