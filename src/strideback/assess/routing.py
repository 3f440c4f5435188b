"""Pain-location routing (evidence.md §3b): runner's knee vs other causes."""

from __future__ import annotations

from typing import Any

from strideback.assess.questions import CheckDefinition, PatternInfo
from strideback.assess.redflags import is_yes

ADULT_AGE = 16  # evidence.md §11 rule 1 (eligibility: adult ≥16–18)


def _age(answers: dict[str, Any]) -> float | None:
    try:
        return float(answers["age"])
    except (KeyError, TypeError, ValueError):
        return None


def route_pattern(defn: CheckDefinition, answers: dict[str, Any]) -> PatternInfo:
    """Map pain location + behaviour + age to a pattern id and its honest message."""
    where = answers.get("pain_location")
    age = _age(answers)
    young = age is not None and age < ADULT_AGE
    if where == "around_kneecap":
        typical = is_yes(answers.get("loaded_flexion_pain"))
        gradual = answers.get("gradual_onset") in (None, "") or is_yes(answers["gradual_onset"])
        pid = "patellofemoral" if typical and gradual else "patellofemoral_atypical"
    elif where == "outside_knee":
        pid = "itbs"
    elif where == "below_kneecap":
        pid = "sinding_larsen" if young else "patellar_tendon"
    elif where == "above_kneecap":
        pid = "quadriceps_tendon"
    elif where == "shin_bump":
        pid = "osgood_schlatter" if age is not None and age < 18 else "tibial_tuberosity"
    elif where == "inner_shin":
        pid = "pes_anserine"
    elif where == "joint_line":
        pid = "joint_line"
    else:
        pid = "unclear"
    return defn.patterns[pid]
