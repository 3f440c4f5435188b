"""Validate submitted forms into domain objects, with messages a runner understands.

Pure functions: a mapping of form fields in, a dataclass (or field -> message errors) out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strideback.assess.questions import load_definition
from strideback.domain import SESSION_DONE, SWELLING, DiaryEntry, SessionDone, Swelling

DONE = SESSION_DONE
__all__ = ["DONE", "SWELLING", "FormErrors", "diary_changes", "parse_diary_form", "parse_morning"]
PAIN_FIELDS = {
    "pain_during": "Pain during activity",
    "pain_after": "Pain after activity",
    "pain_next_morning": "Pain next morning",
}
# Run-readiness tests before the first walk-run step (coach: evidence.md §5e): pain 0-10
# felt during the test, optional; the coach keeps a stored result the form leaves empty.
READINESS_FIELDS = {
    "squat_test_pain": "Single-leg squat test pain",
    "hop_test_pain": "Hop test pain",
}
NOTE_MAX = 1000


@dataclass
class FormErrors:
    messages: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.messages.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.messages)


def _text(form: Mapping[str, object], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _checked(form: Mapping[str, object], name: str) -> bool:
    return _text(form, name).lower() in ("on", "1", "true", "yes")


def parse_day(text: str, today: dt.date, errors: FormErrors, name: str = "day") -> dt.date | None:
    if not text:
        errors.add(name, "Enter a date (YYYY-MM-DD).")
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        errors.add(name, f"'{text}' is not a date: use YYYY-MM-DD, e.g. {today.isoformat()}.")
        return None
    if day > today:
        errors.add(
            name, f"{day.isoformat()} is in the future: the diary records days that have happened."
        )
        return None
    return day


def parse_pain(text: str, label: str, name: str, errors: FormErrors) -> int | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.add(name, f"{label} must be a number from 0 (no pain) to 10 (worst imaginable).")
        return None
    if not value.is_integer() or not 0 <= value <= 10:
        errors.add(name, f"{label} must be a whole number from 0 to 10 (you entered {text}).")
        return None
    return int(value)


def parse_diary_form(
    form: Mapping[str, object], today: dt.date
) -> tuple[DiaryEntry | None, FormErrors]:
    """A DiaryEntry from the diary form, or the errors that stop it."""
    errors = FormErrors()
    day = parse_day(_text(form, "day"), today, errors)
    pains = {
        name: parse_pain(_text(form, name), label, name, errors)
        for name, label in (PAIN_FIELDS | READINESS_FIELDS).items()
    }
    swelling_text = _text(form, "swelling") or "none"
    swelling: Swelling = "none"
    if swelling_text in SWELLING:
        swelling = next(s for s in SWELLING if s == swelling_text)
    else:
        errors.add("swelling", "Swelling must be none, mild or marked.")
    done_text = _text(form, "done") or None
    done: SessionDone | None = None
    if done_text is not None:
        if done_text in DONE:
            done = next(d for d in DONE if d == done_text)
        else:
            errors.add("done", "Choose what you did: done, modified, skipped or rest.")
    note = _text(form, "note") or None
    if note and len(note) > NOTE_MAX:
        errors.add("note", f"The note is too long ({len(note)} characters; at most {NOTE_MAX}).")
    activity_text = _text(form, "activity_id")
    activity_id = None
    if activity_text:
        if activity_text.isdigit():
            activity_id = int(activity_text)
        else:
            errors.add("activity_id", "The linked activity must be an activity number.")
    kinds = {k.id for k in load_definition().diary_flags}
    red_flag_kind = _text(form, "red_flag_kind") or None
    if red_flag_kind is not None and red_flag_kind not in kinds:
        errors.add("red_flag_kind", "Choose one of the listed warning signs.")
        red_flag_kind = None
    red_flag = _checked(form, "red_flag") or red_flag_kind is not None
    if (
        all(v is None for v in pains.values())
        and done is None
        and not note
        and not red_flag
        and not (_checked(form, "sharp_pain") or _checked(form, "limp"))
    ):
        errors.add("pain_during", "Enter at least one pain score (0-10), what you did, or a note.")
    if errors or day is None:
        return None, errors
    entry = DiaryEntry(
        day=day,
        pain_during=pains["pain_during"],
        pain_after=pains["pain_after"],
        pain_next_morning=pains["pain_next_morning"],
        swelling=swelling,
        done=done,
        sharp_pain=_checked(form, "sharp_pain"),
        limp=_checked(form, "limp"),
        red_flag=red_flag,
        red_flag_kind=(red_flag_kind or "other") if red_flag else None,
        note=note,
        activity_id=activity_id,
        squat_test_pain=pains["squat_test_pain"],
        hop_test_pain=pains["hop_test_pain"],
    )
    return entry, errors


def diary_changes(entry: DiaryEntry, form: Mapping[str, object]) -> dict[str, Any]:
    """What the form changes on its day, for the one diary writer (merge semantics).

    Empty number fields keep the stored value; the check boxes and the swelling select are on
    every diary form, so their state is always taken as given (unticking unsets a flag).
    """
    changes: dict[str, Any] = {
        name: getattr(entry, name)
        for name in (*PAIN_FIELDS, *READINESS_FIELDS, "done", "note", "activity_id")
    }
    changes["swelling"] = entry.swelling
    for name in ("sharp_pain", "limp"):
        changes[name] = getattr(entry, name)
    changes["red_flag"] = entry.red_flag
    changes["red_flag_kind"] = entry.red_flag_kind if entry.red_flag else ""
    return changes


def parse_morning(
    form: Mapping[str, object], today: dt.date, errors: FormErrors
) -> tuple[dt.date, int] | None:
    """The "how is the knee this morning?" answer and the session day it belongs to."""
    text = _text(form, "morning_now")
    if not text:
        return None
    value = parse_pain(text, "This morning's pain", "morning_now", errors)
    day = parse_day(_text(form, "morning_day"), today, errors, name="morning_now")
    if value is None or day is None:
        return None
    return day, value
