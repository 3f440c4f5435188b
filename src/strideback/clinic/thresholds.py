"""The thresholds a clinician may change, in plain words: a name, the range, the default, the
meaning and the sources, with no internal keys or references (for the runner page)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from strideback.coach.settings import settings_catalogue
from strideback.datafile import DataFileError, load_yaml
from strideback.plan.wording import plain_words

LABELS_FILE = Path(__file__).with_name("thresholds.yaml")
# What `plain_words` leaves of an internal reference: "rule 3", "product rule and rule 8".
_BREAK = "\x01"  # where a top-level bracket was
_RULE_REFS = re.compile(r"\b(?:product rule|rule \d+)(?:\s*(?:and|,)\s*(?:product rule|rule \d+))*")


@dataclass(frozen=True)
class Threshold:
    key: str  # the form field's name (not shown as text)
    label: str
    value: Any
    default: float
    minimum: float
    maximum: float
    unit: str
    meaning: str
    source: str
    evidence: str
    is_int: bool

    @property
    def changed(self) -> bool:
        return bool(self.value != self.default)


@lru_cache(maxsize=1)
def labels() -> dict[str, str]:
    """Plain names of every adjustable threshold (thresholds.yaml, checked against rules.yaml)."""
    raw = load_yaml(LABELS_FILE, dict[str, str])
    known = set(settings_catalogue())
    missing, unknown = sorted(known - set(raw)), sorted(set(raw) - known)
    if missing or unknown:
        raise DataFileError(
            f"{LABELS_FILE.name}: missing names for {missing or 'none'}; unknown keys "
            f"{unknown or 'none'}"
        )
    return {k: " ".join(v.split()) for k, v in raw.items()}


def plain_keys(text: str) -> str:
    """`text` with every threshold key ("pain_ok_max") replaced by its plain name."""
    names = labels()
    for key in sorted(names, key=len, reverse=True):
        text = re.sub(rf"'?\b{key}\b'?", f"“{names[key]}”", text)
    return text


def plain_source(citation: str) -> str:
    """A citation in plain words: no internal document, section or rule references, and its
    top-level brackets opened ("(Crossley 2004) and (Piva 2009)" -> "Crossley 2004; Piva 2009")."""
    text = _RULE_REFS.sub("", plain_words(citation))
    out, depth = [], 0
    for ch in text:
        if ch == "(":
            depth += 1
            if depth == 1:
                out.append(_BREAK)
                continue
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                out.append(_BREAK)
                continue
        out.append(ch)
    joined = re.sub(rf"(^|{_BREAK})\s*and\b", _BREAK, "".join(out))
    joined = re.sub(rf"^[\s{_BREAK}]+|[\s{_BREAK}]+$", "", joined)
    joined = re.sub(rf"[\s;]*{_BREAK}[\s;{_BREAK}]*", "; ", joined)
    return re.sub(r"\s{2,}", " ", joined).strip(" ;,")


def thresholds(current: dict[str, Any]) -> list[Threshold]:
    """Every adjustable threshold with its value in force (`current`), in plain words."""
    names = labels()
    out = []
    for key, info in settings_catalogue().items():
        out.append(
            Threshold(
                key=key,
                label=names[key],
                value=current.get(key, info.default),
                default=info.default,
                minimum=info.minimum,
                maximum=info.maximum,
                unit=plain_keys(info.unit),
                meaning=plain_keys(info.meaning),
                source=plain_source(info.citation),
                evidence=plain_keys(info.evidence),
                is_int=info.is_int,
            )
        )
    return out


def plain_error(message: str) -> str:
    """A validation message about thresholds ("setting 'gap_days' must be ...") in plain words."""
    return plain_keys(message.removeprefix("setting "))
