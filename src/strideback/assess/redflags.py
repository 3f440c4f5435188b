"""Red flags: any one routes out of self-care (sources in questions.yaml)."""

from __future__ import annotations

from typing import Any

from strideback.assess.questions import CheckDefinition, RedFlagRule

YES = {"yes", "y", "true", "1", True}


def is_yes(value: Any) -> bool:
    return value in YES or (isinstance(value, str) and value.strip().lower() in YES)


def _condition(cond: dict[str, Any], answers: dict[str, Any]) -> bool:
    if "all" in cond:
        return all(_condition(c, answers) for c in cond["all"])
    if "any" in cond:
        return any(_condition(c, answers) for c in cond["any"])
    value = answers.get(cond["question"])
    if value in (None, ""):
        return False
    if "lt" in cond:
        try:
            return float(value) < float(cond["lt"])
        except (TypeError, ValueError):
            return False
    if "eq" in cond:
        return is_yes(value) if cond["eq"] == "yes" else str(value) == str(cond["eq"])
    if "in" in cond:
        return str(value) in {str(v) for v in cond["in"]}
    raise ValueError(f"unknown condition {cond!r}")


def triggered(rule: RedFlagRule, answers: dict[str, Any]) -> bool:
    if rule.question is not None:
        return is_yes(answers.get(rule.question))
    return rule.when is not None and _condition(rule.when, answers)


def find_red_flags(defn: CheckDefinition, answers: dict[str, Any]) -> list[RedFlagRule]:
    """All red-flag rules the answers trigger, in file order."""
    return [rule for rule in defn.red_flags if triggered(rule, answers)]


def referral_text(flags: list[RedFlagRule]) -> str | None:
    """One message for the user: the most urgent first, each with its reason."""
    if not flags:
        return None
    rank = {"emergency": 0, "urgent": 1, "routine": 2}
    ordered = sorted(flags, key=lambda r: rank.get(r.urgency, 1))
    head = {
        "emergency": "See a clinician TODAY (emergency).",
        "urgent": "See a doctor or physiotherapist within days, before a self-care plan.",
    }.get(ordered[0].urgency, "See a doctor or physiotherapist before starting a self-care plan.")
    return " ".join([head, *(r.referral.strip() for r in ordered)])
