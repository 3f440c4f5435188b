"""Load the check definition (`questions.yaml`) into plain `Question` dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from strideback.datafile import load_yaml

QUESTIONS_FILE = Path(__file__).with_name("questions.yaml")
KINDS = ("yes_no", "choice", "number")


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    points: int | None = None  # Kujala items only


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: str  # yes_no | choice | number
    section: str  # red_flags | about_you | pain | kujala
    options: list[Option] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    citation: str | None = None
    required: bool = True  # a check is complete only with every required answer


@dataclass(frozen=True)
class DiaryFlagKind:
    """A red flag the runner can log in the diary, with its urgency and advice."""

    id: str
    label: str
    urgency: str  # emergency | urgent
    referral: str
    citation: str


@dataclass(frozen=True)
class RedFlagRule:
    id: str
    urgency: str  # emergency | urgent | routine
    referral: str
    citation: str
    question: str | None = None  # a direct yes/no question
    when: dict[str, Any] | None = None  # a derived condition


@dataclass(frozen=True)
class PatternInfo:
    id: str
    plan: bool
    message: str
    citation: str


@dataclass(frozen=True)
class CheckDefinition:
    questions: list[Question]
    red_flags: list[RedFlagRule]
    patterns: dict[str, PatternInfo]
    notes: dict[str, dict[str, Any]]
    kujala_mcid: int
    kujala_citation: str
    kujala_mcid_citation: str
    diary_flags: list[DiaryFlagKind] = field(default_factory=list)

    def diary_flag(self, kind: str | None) -> DiaryFlagKind:
        """The diary red-flag kind (unknown or empty → the generic "other")."""
        by_id = {k.id: k for k in self.diary_flags}
        return by_id.get(kind or "other", by_id["other"])

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(f"unknown question {qid!r}")

    @property
    def kujala_items(self) -> list[Question]:
        return [q for q in self.questions if q.section == "kujala"]


class DefinitionError(ValueError):
    """The check definition file is malformed."""


def _need(obj: dict[str, Any], key: str, where: str, path: Path) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise DefinitionError(f"{path}: {where} is missing {key!r}")
    return obj[key]


def parse_definition(raw: dict[str, Any], path: Path = QUESTIONS_FILE) -> CheckDefinition:
    """Validate and convert the raw YAML mapping; errors name the file and the entry."""
    questions: list[Question] = []
    rules: list[RedFlagRule] = []
    for i, item in enumerate(_need(raw, "red_flags", "the file", path)):
        where = f"red_flags[{i}]"
        qid = _need(item, "id", where, path)
        questions.append(
            Question(
                id=qid,
                text=_need(item, "text", where, path),
                kind="yes_no",
                section="red_flags",
                citation=_need(item, "citation", where, path),
            )
        )
        rules.append(
            RedFlagRule(
                id=qid,
                urgency=_need(item, "urgency", where, path),
                referral=_need(item, "referral", where, path),
                citation=item["citation"],
                question=qid,
            )
        )
    for section in ("about_you", "pain"):
        for i, item in enumerate(_need(raw, section, "the file", path)):
            where = f"{section}[{i}]"
            kind = _need(item, "kind", where, path)
            if kind not in KINDS:
                raise DefinitionError(f"{path}: {where} has unknown kind {kind!r}")
            options = [Option(str(v), str(label)) for v, label in item.get("options", [])]
            if kind == "choice" and not options:
                raise DefinitionError(f"{path}: {where} is a choice without options")
            questions.append(
                Question(
                    id=_need(item, "id", where, path),
                    text=_need(item, "text", where, path),
                    kind=kind,
                    section=section,
                    options=options,
                    minimum=item.get("min"),
                    maximum=item.get("max"),
                    required=bool(item.get("required", True)),
                )
            )
    for i, item in enumerate(_need(raw, "derived_red_flags", "the file", path)):
        where = f"derived_red_flags[{i}]"
        rules.append(
            RedFlagRule(
                id=_need(item, "id", where, path),
                urgency=_need(item, "urgency", where, path),
                referral=_need(item, "referral", where, path),
                citation=_need(item, "citation", where, path),
                when=_need(item, "when", where, path),
            )
        )
    kujala = _need(raw, "kujala", "the file", path)
    total_max = 0
    for i, item in enumerate(_need(kujala, "items", "kujala", path)):
        where = f"kujala.items[{i}]"
        options = []
        for opt in _need(item, "options", where, path):
            if len(opt) != 3:
                raise DefinitionError(
                    f"{path}: {where} option {opt!r} needs [value, label, points]"
                )
            options.append(Option(str(opt[0]), str(opt[1]), int(opt[2])))
        total_max += max(o.points or 0 for o in options)
        questions.append(
            Question(
                id=_need(item, "id", where, path),
                text=_need(item, "text", where, path),
                kind="choice",
                section="kujala",
                options=options,
                citation=kujala["citation"],
            )
        )
    n_items = len(kujala["items"])
    if n_items != 13 or total_max != 100:
        raise DefinitionError(
            f"{path}: Kujala must have 13 items whose maxima sum to 100 "
            f"(found {n_items} items, maxima sum {total_max})"
        )
    patterns = {
        pid: PatternInfo(
            id=pid,
            plan=bool(_need(p, "plan", f"patterns.{pid}", path)),
            message=_need(p, "message", f"patterns.{pid}", path),
            citation=_need(p, "citation", f"patterns.{pid}", path),
        )
        for pid, p in _need(raw, "patterns", "the file", path).items()
    }
    urgencies = ("emergency", "urgent", "routine")
    for rule in rules:
        if rule.urgency not in urgencies:
            raise DefinitionError(
                f"{path}: red flag {rule.id!r} has unknown urgency {rule.urgency!r}"
            )
    diary_flags = []
    for i, item in enumerate(raw.get("diary_red_flags", [])):
        where = f"diary_red_flags[{i}]"
        kind = DiaryFlagKind(
            id=_need(item, "id", where, path),
            label=_need(item, "label", where, path),
            urgency=_need(item, "urgency", where, path),
            referral=" ".join(str(_need(item, "referral", where, path)).split()),
            citation=_need(item, "citation", where, path),
        )
        if kind.urgency not in urgencies[:2]:
            raise DefinitionError(f"{path}: {where} has unknown urgency {kind.urgency!r}")
        diary_flags.append(kind)
    if diary_flags and "other" not in {k.id for k in diary_flags}:
        raise DefinitionError(f"{path}: diary_red_flags needs an 'other' kind")
    ids = [q.id for q in questions]
    if len(ids) != len(set(ids)):
        raise DefinitionError(f"{path}: duplicate question ids")
    return CheckDefinition(
        questions=questions,
        red_flags=rules,
        patterns=patterns,
        notes=raw.get("notes", {}),
        kujala_mcid=int(_need(kujala, "mcid", "kujala", path)),
        kujala_citation=kujala["citation"],
        kujala_mcid_citation=_need(kujala, "mcid_citation", "kujala", path),
        diary_flags=diary_flags,
    )


@lru_cache(maxsize=1)
def load_definition() -> CheckDefinition:
    """The check definition shipped with StrideBack (loaded once)."""
    raw = load_yaml(QUESTIONS_FILE)
    if not isinstance(raw, dict):
        raise DefinitionError(f"{QUESTIONS_FILE.name}: expected a mapping at the top level")
    return parse_definition(raw, QUESTIONS_FILE)
