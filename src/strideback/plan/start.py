"""Start where the runner is (pure): the first step of the plan from its severity.

Rules and sources live in `start.yaml`: a mild case (good Kujala score, running hurts little,
currently running, no painful days logged before the start) keeps modified running.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from strideback.datafile import load_yaml

START_FILE = Path(__file__).with_name("start.yaml")


class MildRule(BaseModel):
    step: str
    kujala_min: int
    running_answers: list[str]
    recent_days: int
    recent_runs_min: int
    max_pain: int
    max_morning: int
    reason: str
    citation: str
    evidence: str


class DefaultRule(BaseModel):
    step: str
    reason: str
    citation: str
    evidence: str


class StartRules(BaseModel):
    mild: MildRule
    default: DefaultRule


@dataclass(frozen=True)
class Severity:
    """What is known at the start: the baseline check and recent running."""

    kujala: int | None
    running_answer: str | None  # the Kujala running item
    recent_runs: int  # runs in the `recent_days` before the start
    worst_pain_before: int | None  # highest pain during/after logged before the start
    worst_morning_before: int | None


@dataclass(frozen=True)
class StartChoice:
    step: str
    rule: str  # start_running | plan_start
    reason: str
    citation: str


@lru_cache(maxsize=1)
def start_rules() -> StartRules:
    return load_yaml(START_FILE, StartRules)


def starting_step(severity: Severity) -> StartChoice:
    rules = start_rules()
    mild = rules.mild
    is_mild = (
        severity.kujala is not None
        and severity.kujala >= mild.kujala_min
        and severity.running_answer in mild.running_answers
        and severity.recent_runs >= mild.recent_runs_min
        and (severity.worst_pain_before or 0) <= mild.max_pain
        and (severity.worst_morning_before or 0) <= mild.max_morning
    )
    if is_mild:
        return StartChoice(mild.step, "start_running", " ".join(mild.reason.split()), mild.citation)
    d = rules.default
    return StartChoice(d.step, "plan_start", " ".join(d.reason.split()), d.citation)
