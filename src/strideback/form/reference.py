"""Load the reference ranges (YAML data with citations) and attach findings to metrics."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from strideback.form.model import Metric

RANGES_FILE = Path(__file__).with_name("reference_ranges.yaml")


class ReferenceDataError(ValueError):
    pass


@lru_cache(maxsize=1)
def load_reference(path: Path = RANGES_FILE) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ReferenceDataError(f"{path}: cannot read reference ranges: {exc}") from exc
    if not isinstance(data, dict) or "metrics" not in data or "measurement_error" not in data:
        raise ReferenceDataError(f"{path}: needs top-level 'metrics' and 'measurement_error'")
    for name, entry in data["metrics"].items():
        if "citation" not in entry:
            raise ReferenceDataError(f"{path}: metric {name!r} has no citation")
    return data


def base_name(metric_name: str) -> str:
    """'knee_flexion_contact_far' -> 'knee_flexion_contact'; 'hip_adduction_left' -> ..."""
    for suffix in ("_far", "_left", "_right", "_left_stance", "_right_stance"):
        if metric_name.endswith(suffix):
            return metric_name[: -len(suffix)]
    return metric_name


def attach_findings(metrics: dict[str, Metric]) -> None:
    """Give each metric its reference range and, where flagged, a plain-language finding."""
    ref = load_reference()["metrics"]
    for name, metric in metrics.items():
        entry = ref.get(base_name(name))
        if entry is None:
            continue
        metric.reference = {
            k: entry[k]
            for k in ("low", "high", "unit", "evidence", "citation", "note")
            if k in entry
        }
        metric.exercises = list(entry.get("exercises", []))
        if metric.value is None or metric.confidence == "not measurable":
            continue
        flag = entry.get("flag", "none")
        low, high = entry.get("low"), entry.get("high")
        finding = None
        if flag in ("low", "both") and low is not None and metric.value < low:
            finding = entry.get("finding_low")
        if flag in ("high", "both") and high is not None and metric.value > high:
            finding = entry.get("finding_high")
        if finding:
            metric.finding = " ".join(finding.split())
            if metric.confidence == "limited":
                metric.finding += " (Limited confidence: check with a better clip.)"
            metric.suggestion = _fill(entry.get("suggestion", ""), metric.value) or None
        elif entry.get("note"):
            metric.suggestion = _fill(entry["note"], metric.value)


def _fill(text: str, value: float) -> str:
    text = " ".join(text.split())
    if "{target_5}" in text:
        text = text.format(target_5=round(value * 1.05), target_10=round(value * 1.10))
    return text
