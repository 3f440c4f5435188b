"""Clinician-adjustable thresholds: defaults with citations in `rules.yaml`, overrides validated."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from strideback.datafile import load_yaml

RULES_FILE = Path(__file__).with_name("rules.yaml")


@dataclass(frozen=True)
class RuleInfo:
    key: str
    default: float
    minimum: float
    maximum: float
    unit: str
    meaning: str
    citation: str
    evidence: str

    @property
    def is_int(self) -> bool:
        return all(float(v).is_integer() for v in (self.default, self.minimum, self.maximum))


@dataclass(frozen=True)
class Rules:
    """The thresholds in force (defaults merged with clinician overrides)."""

    pain_ok_max: int = 3
    pain_hold_max: int = 5
    morning_worse_step_back: int = 2
    baseline_days: int = 7
    completions_to_progress: int = 2
    run_entry_max_pain: int = 2
    step_backs_to_refer: int = 2
    kujala_review_week: int = 6
    kujala_mcid: int = 10
    single_run_max_ratio: float = 1.1
    history_weeks: int = 8
    default_weekly_run_min: int = 120
    readiness_max_pain: int = 2
    readiness_hop_required: int = 0
    weekly_pain_rise_hold: int = 2
    weekly_pain_min_entries: int = 2
    flare_settle_days: int = 2
    gap_days: int = 7
    review_grace_days: int = 7
    pain_review_drop: int = 2
    pain_review_floor: int = 2
    kujala_ceiling_from: int = 85
    strength_progress_sessions: int = 2


@lru_cache(maxsize=1)
def rule_catalogue() -> dict[str, RuleInfo]:
    """Every rule from `rules.yaml`, checked for the fields a clinician needs to see."""
    raw = load_yaml(RULES_FILE)  # one loader: a clear error naming the file
    out: dict[str, RuleInfo] = {}
    for key, item in raw.items():
        for field_name in ("value", "min", "max", "unit", "meaning", "citation", "evidence"):
            if field_name not in item:
                raise ValueError(f"{RULES_FILE}: rule {key!r} is missing {field_name!r}")
        if key not in Rules.__dataclass_fields__:
            raise ValueError(f"{RULES_FILE}: rule {key!r} is not known to the plan engine")
        # One default: the data file's value. The dataclass mirrors it (for pure tests).
        if Rules.__dataclass_fields__[key].default != item["value"]:
            raise ValueError(
                f"{RULES_FILE.name}: {key}.value {item['value']!r} differs from the engine's "
                f"default {Rules.__dataclass_fields__[key].default!r}"
            )
        out[key] = RuleInfo(
            key=key,
            default=item["value"],
            minimum=item["min"],
            maximum=item["max"],
            unit=item["unit"],
            meaning=" ".join(str(item["meaning"]).split()),
            citation=" ".join(str(item["citation"]).split()),
            evidence=item["evidence"],
        )
    return out


def validate_changes(changes: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Check keys, types and ranges; return the converted values. Raises ValueError."""
    catalogue = rule_catalogue()
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        info = catalogue.get(key)
        if info is None:
            raise ValueError(f"unknown setting {key!r}; known: {', '.join(sorted(catalogue))}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"setting {key!r} must be a number, got {value!r}") from None
        if info.is_int and not number.is_integer():
            raise ValueError(f"setting {key!r} must be a whole number, got {value!r}")
        if not info.minimum <= number <= info.maximum:
            raise ValueError(
                f"setting {key!r} must be between {info.minimum:g} and {info.maximum:g} "
                f"({info.unit}); got {value!r}"
            )
        clean[key] = int(number) if info.is_int else number
    merged = {**current, **clean}
    if merged["pain_hold_max"] < merged["pain_ok_max"]:
        raise ValueError("pain_hold_max must be at least pain_ok_max")
    return clean


def default_values() -> dict[str, Any]:
    return {
        k: (int(v.default) if v.is_int else float(v.default)) for k, v in rule_catalogue().items()
    }


def rules_from(values: dict[str, Any]) -> Rules:
    return Rules(**{**default_values(), **values})
