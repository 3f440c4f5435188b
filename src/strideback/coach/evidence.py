"""The Evidence page: every piece of advice StrideBack gives, with its strength label and its
sources in plain words (from the data files: rules, start rule, explanations, red flags,
exercises, the article-vs-evidence notes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from strideback.assess.questions import load_definition
from strideback.exercises import load_exercises
from strideback.plan.explain import explanations, references
from strideback.plan.ladder import honesty_notes
from strideback.plan.rules import rule_catalogue
from strideback.plan.start import start_rules
from strideback.plan.wording import plain_words


@dataclass(frozen=True)
class EvidenceItem:
    group: str
    advice: str
    strength: str
    sources: list[str] = field(default_factory=list)


def _sources(text: str) -> list[str]:
    """A citation string in plain words (internal references removed), as one source line."""
    cleaned = plain_words(text)
    return [cleaned] if cleaned else []


def evidence_items() -> list[EvidenceItem]:
    refs = references()
    items = [
        EvidenceItem(
            "How the plan decides",
            " ".join(e.text.split()),
            e.strength,
            [refs[r].cite() for r in e.refs],
        )
        for key, e in explanations().items()
        if key != "default"
    ]
    items += [
        EvidenceItem(
            "Thresholds a clinician may change",
            info.meaning,
            info.evidence,
            _sources(info.citation),
        )
        for info in rule_catalogue().values()
    ]
    mild = start_rules().mild
    items.append(
        EvidenceItem(
            "Where the plan starts",
            " ".join(mild.reason.split()),
            mild.evidence,
            _sources(mild.citation),
        )
    )
    defn = load_definition()
    items += [
        EvidenceItem(
            "When to see a clinician",
            " ".join(r.referral.split()),
            "guideline / clinical pathway (red flag)",
            _sources(r.citation),
        )
        for r in defn.red_flags
    ]
    items += [
        EvidenceItem("Article and evidence", f"{h['topic']}: {h['evidence']}", h["label"])
        for h in honesty_notes()
    ]
    items += [
        EvidenceItem(
            "Exercises",
            f"{ex.name}: {ex.dosage}",
            ex.evidence_label,
            _sources(ex.evidence_citation),
        )
        for ex in load_exercises()
    ]
    return items
