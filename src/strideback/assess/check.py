"""Evaluate one set of check answers (pure): red flags, pattern, Kujala, plan eligibility."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from strideback.assess.kujala import KujalaScore, answered_kujala, score_kujala
from strideback.assess.questions import CheckDefinition, Question
from strideback.assess.redflags import YES, find_red_flags, referral_text
from strideback.assess.routing import route_pattern

NO = {"no", "n", "false", "0", False}


class CheckIncomplete(ValueError):
    """Required answers are missing: nothing is stored, the runner is asked again."""

    def __init__(self, missing: list[str]):
        self.missing = missing
        super().__init__(
            "the check is incomplete; answer every safety and pain question (and all 13 "
            "Kujala items, or skip the Kujala score explicitly). Missing: " + ", ".join(missing)
        )


@dataclass
class CheckResult:
    taken_on: dt.date
    answers: dict[str, Any]
    red_flags: list[str] = field(default_factory=list)
    referral: str | None = None
    pattern: str = "unclear"
    pattern_message: str = ""
    pattern_citation: str = ""
    kujala: KujalaScore | None = None
    notes: list[str] = field(default_factory=list)
    kujala_skipped: bool = False

    @property
    def can_start_plan(self) -> bool:
        return not self.red_flags and self.pattern == "patellofemoral"


def _named(q: Question) -> str:
    """The question id with its text, for error messages."""
    text = " ".join(q.text.split())
    if len(text) > 90:
        text = text[:87].rstrip() + "..."
    return f"{q.id!r} ({text})"


def _normalise_one(q: Question, value: Any) -> Any:
    if value is None or value == "":
        return None
    if q.kind == "yes_no":
        low = value.strip().lower() if isinstance(value, str) else value
        if low in YES:
            return "yes"
        if low in NO:
            return "no"
        raise ValueError(f"answer to {_named(q)} must be yes or no; got {value!r}")
    if q.kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"answer to {_named(q)} must be a number; got {value!r}") from None
        if (q.minimum is not None and number < q.minimum) or (
            q.maximum is not None and number > q.maximum
        ):
            raise ValueError(
                f"answer to {_named(q)} must be between {q.minimum:g} and {q.maximum:g}; "
                f"got {value!r}"
            )
        return int(number) if number.is_integer() else number
    allowed = [o.value for o in q.options]
    if str(value) not in allowed:
        choices = ", ".join(f"{o.value} ({o.label})" for o in q.options)
        raise ValueError(f"answer to {_named(q)} must be one of: {choices}; got {value!r}")
    return str(value)


def normalise_answers(defn: CheckDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """Validate answers against the definition; unknown ids are an error (typos matter)."""
    if not isinstance(answers, dict):
        raise ValueError("answers must be a mapping of question id to answer")
    known = {q.id: q for q in defn.questions}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise ValueError(f"unknown question id(s): {', '.join(unknown)}")
    out = {}
    for qid, value in answers.items():
        normalised = _normalise_one(known[qid], value)
        if normalised is not None:
            out[qid] = normalised
    return out


def missing_answers(
    defn: CheckDefinition, clean: dict[str, Any], skip_kujala: bool = False
) -> list[str]:
    """Ids of the required questions without an answer, in the check's order.

    Every red-flag question is always required. A "yes" to one already routes out, so the rest
    may then stay empty. Otherwise the routing questions are required, and the 13 Kujala items
    unless the Kujala score is skipped explicitly (a partly answered Kujala is never scored).
    """
    red = [q for q in defn.questions if q.section == "red_flags"]
    missing = [q.id for q in red if q.id not in clean]
    if any(clean.get(q.id) == "yes" for q in red):
        return missing
    missing += [
        q.id
        for q in defn.questions
        if q.section in ("about_you", "pain") and q.required and q.id not in clean
    ]
    if not skip_kujala or answered_kujala(defn, clean):
        missing += [q.id for q in defn.kujala_items if q.id not in clean]
    return missing


def evaluate_check(
    defn: CheckDefinition, answers: dict[str, Any], today: dt.date, skip_kujala: bool = False
) -> CheckResult:
    """Red flags first; then the pain pattern; then the Kujala score.

    Raises CheckIncomplete (listing the question ids) when a required answer is missing.
    """
    clean = normalise_answers(defn, answers)
    missing = missing_answers(defn, clean, skip_kujala)
    if missing:
        raise CheckIncomplete(missing)
    flags = find_red_flags(defn, clean)
    pattern = route_pattern(defn, clean)
    kujala = score_kujala(defn, clean, today) if answered_kujala(defn, clean) else None
    notes = []
    long_note = defn.notes.get("long_symptoms")
    weeks = clean.get("symptom_weeks")
    if long_note and isinstance(weeks, int | float) and weeks > long_note["weeks"]:
        notes.append(f"{long_note['message'].strip()} [{long_note['citation']}]")
    return CheckResult(
        taken_on=today,
        answers=clean,
        red_flags=[f.id for f in flags],
        referral=referral_text(flags),
        pattern=pattern.id,
        pattern_message=pattern.message.strip(),
        pattern_citation=pattern.citation,
        kujala=kujala,
        notes=notes,
        kujala_skipped=kujala is None,
    )
