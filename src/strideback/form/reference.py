"""Load the reference ranges (YAML data with citations) and give every metric a finding.

Every metric gets a plain-language `finding` (in range, below, above, no range, or not
measurable with the reason), a `status` and, where relevant, a `suggestion` and exercise ids
from the exercise library. `attention` is True only where the YAML flags that direction of
the range (e.g. a low cadence); trunk lean and hip extension are never flagged
(evidence.md §6b, §6c).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from strideback.datafile import DataFileError, load_yaml
from strideback.form.confidence import base_name
from strideback.form.model import GOOD, LIMITED, NOT_MEASURABLE, Metric

RANGES_FILE = Path(__file__).with_name("reference_ranges.yaml")
IN_RANGE, BELOW, ABOVE, NO_RANGE, UNMEASURED = (
    "in range", "below range", "above range", "no range", "not measurable",
)  # fmt: skip
_TEXT_KEYS = {IN_RANGE: "in_range", BELOW: "low", ABOVE: "high", NO_RANGE: "no_range"}


class ReferenceDataError(DataFileError):
    pass


@lru_cache(maxsize=1)
def load_reference(path: Path = RANGES_FILE) -> dict[str, Any]:
    try:
        data = load_yaml(path)
    except DataFileError as exc:
        raise ReferenceDataError(str(exc)) from exc
    if not isinstance(data, dict) or "metrics" not in data or "measurement_error" not in data:
        raise ReferenceDataError(f"{path}: needs top-level 'metrics' and 'measurement_error'")
    defaults = data.get("default_findings", {})
    missing = [k for k in ("in_range", "low", "high", "no_range", "not_measurable")
               if k not in defaults]  # fmt: skip
    if missing:
        raise ReferenceDataError(f"{path}: default_findings lacks {', '.join(missing)}")
    for name, entry in data["metrics"].items():
        if "citation" not in entry:
            raise ReferenceDataError(f"{path}: metric {name!r} has no citation")
        if ("low" in entry) != ("high" in entry):
            raise ReferenceDataError(f"{path}: metric {name!r} needs both low and high")
    return data


def classify(value: float, entry: dict[str, Any]) -> str:
    """in range / below range / above range / no range, against the entry's low-high."""
    if "low" not in entry:
        return NO_RANGE
    if value < entry["low"]:
        return BELOW
    if value > entry["high"]:
        return ABOVE
    return IN_RANGE


def attach_findings(metrics: dict[str, Metric]) -> None:
    """Give each metric its reference range, a finding, and a suggestion where relevant."""
    data = load_reference()
    ref, defaults = data["metrics"], data["default_findings"]
    for name, metric in metrics.items():
        entry = ref.get(base_name(name), {})
        if entry:
            metric.reference = {
                k: entry[k]
                for k in ("low", "high", "unit", "evidence", "citation", "note")
                if k in entry
            }
        if metric.value is None or metric.confidence == NOT_MEASURABLE:
            metric.status = UNMEASURED
            reason = metric.reason or "no usable steps found for this metric"
            metric.finding = _fill(defaults["not_measurable"], metric, entry, reason=reason)
            metric.suggestion, metric.exercises, metric.attention = None, [], False
            continue
        status = classify(metric.value, entry)
        key = _TEXT_KEYS[status]
        flag = entry.get("flag", "none")
        metric.status = status
        text = entry.get(f"finding_{key}") or defaults[key]
        finding = _fill(text, metric, entry)
        if metric.confidence == LIMITED:
            # Shown and marked, but no attention flag, suggestion or exercises: advice is
            # drawn only from metrics rated good.
            finding += (
                f" (Limited confidence: {_first_reason(metric.reason)}; no advice is given "
                "from it.)"
            )
            metric.attention, metric.suggestion, metric.exercises = False, None, []
            metric.finding = finding
            continue
        assert metric.confidence == GOOD
        metric.attention = (status == BELOW and flag in ("low", "both")) or (
            status == ABOVE and flag in ("high", "both")
        )
        metric.finding = finding
        suggestion = entry.get(f"suggestion_{key}", entry.get("suggestion"))
        metric.suggestion = _fill(suggestion, metric, entry) if suggestion else None
        exercises = entry.get(f"exercises_{key}", entry.get("exercises", []))
        metric.exercises = list(exercises) if metric.suggestion or metric.attention else []


def _first_reason(reason: str) -> str:
    first = reason.split(";")[0].strip() if reason else ""
    return first or "see the confidence column"


def _number(value: float, unit: str) -> str:
    if unit in ("leg lengths", "hip widths"):
        return f"{value:.2f} {unit}"
    if unit == "deg":
        return f"{value:.0f}°"
    if unit == "%":
        return f"{value:.0f}%"
    if unit.startswith("% "):
        return f"{value:.0f}% of {unit[2:]}"
    return f"{value:.0f} {unit}"


def _fill(text: str, metric: Metric, entry: dict[str, Any], reason: str = "") -> str:
    """Fill {value}, {low}, {high}, {range}, {reason}, {target_5}, {target_10} in `text`."""
    unit = entry.get("unit", metric.unit)
    value = metric.value if metric.value is not None else math.nan
    fields = {
        "value": _number(value, unit) if math.isfinite(value) else "-",
        "low": entry.get("low", ""),
        "high": entry.get("high", ""),
        "range": _range_text(entry),
        "reason": reason,
        "target_5": round(value * 1.05) if math.isfinite(value) else "-",
        "target_10": round(value * 1.10) if math.isfinite(value) else "-",
        "label": metric.label.lower(),
    }
    return " ".join(text.format(**fields).split())


def _range_text(entry: dict[str, Any]) -> str:
    if "low" not in entry:
        return ""
    unit = entry.get("unit", "")
    unit = "°" if unit == "deg" else f" {unit}"
    if entry["low"] == entry["high"]:
        return f"{entry['low']}{unit}"
    return f"{entry['low']}–{entry['high']}{unit}"
