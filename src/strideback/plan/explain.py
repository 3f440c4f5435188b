""" "Why?": each decision's rule in plain words, with real references (pure, data files)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from strideback.datafile import load_yaml

REFERENCES_FILE = Path(__file__).with_name("references.yaml")
EXPLAIN_FILE = Path(__file__).with_name("explain.yaml")


class Reference(BaseModel):
    authors: str
    year: int
    title: str
    journal: str

    def cite(self) -> str:
        title = " ".join(self.title.split())
        return f"{self.authors} ({self.year}). {title}. {self.journal}."


class WhyEntry(BaseModel):
    text: str
    strength: str
    refs: list[str]


@dataclass(frozen=True)
class Why:
    rule: str
    strength: str
    sources: list[str]


@lru_cache(maxsize=1)
def references() -> dict[str, Reference]:
    return load_yaml(REFERENCES_FILE, dict[str, Reference])


@lru_cache(maxsize=1)
def explanations() -> dict[str, WhyEntry]:
    entries = load_yaml(EXPLAIN_FILE, dict[str, WhyEntry])
    known = references()
    for key, entry in entries.items():
        missing = [r for r in entry.refs if r not in known]
        if missing:
            raise ValueError(f"{EXPLAIN_FILE.name}: {key}.refs: unknown reference(s) {missing}")
    if "default" not in entries:
        raise ValueError(f"{EXPLAIN_FILE.name}: needs a 'default' entry")
    return entries


def explain(rule: str, citation: str = "") -> Why:
    """The rule behind a decision in plain words, with its sources as real references."""
    entries = explanations()
    entry = entries.get(rule) or entries["default"]
    text = " ".join(entry.text.split())
    return Why(text, entry.strength, [references()[r].cite() for r in entry.refs])
