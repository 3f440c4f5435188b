"""What a restored row must satisfy beyond its column type: the same rules as the forms.

A diary pain is a whole number 0-10, swelling and "done" come from their vocabularies,
a Kujala total is 0-100, settings are within their clinical ranges, JSON fields parse, a
plan restart step exists. Each check raises FieldError naming the field.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from typing import Any

from strideback.backup.codec import FieldError
from strideback.domain import SESSION_DONE, SPORTS, SWELLING

EARLIEST = dt.date(1990, 1, 1)  # no diary day, check or plan is older
EARLIEST_RECORDING = dt.date(1970, 1, 1)  # device clocks: imports bound their own dates
LATEST_AHEAD = dt.timedelta(days=400)  # a plan may be set a little ahead, nothing further

Check = Callable[[dict[str, Any], dt.date], None]


def _int_between(row: dict[str, Any], name: str, low: int, high: int) -> None:
    value = row.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FieldError(name, f"{value!r} is not a whole number from {low} to {high}")


def _one_of(row: dict[str, Any], name: str, allowed: tuple[str, ...], nullable: bool) -> None:
    value = row.get(name)
    if value is None and nullable:
        return
    if value not in allowed:
        raise FieldError(name, f"{value!r} is not one of {', '.join(allowed)}")


def _plausible_day(
    row: dict[str, Any], name: str, today: dt.date, earliest: dt.date = EARLIEST
) -> None:
    value = row.get(name)
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    if not earliest <= day <= today + LATEST_AHEAD:
        raise FieldError(name, f"{day.isoformat()} is not a plausible date")


def _json(row: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> None:
    value = row.get(name)
    if value is None:
        return
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise FieldError(name, "is not valid JSON") from None
    if not isinstance(parsed, kind):
        raise FieldError(name, "does not hold the expected JSON structure")


def _non_negative(row: dict[str, Any], *names: str) -> None:
    for name in names:
        value = row.get(name)
        if value is not None and (not math.isfinite(value) or value < 0):
            raise FieldError(name, f"{value!r} is not a non-negative number")


def check_diary(row: dict[str, Any], today: dt.date) -> None:
    _plausible_day(row, "day", today)
    for name in ("pain_during", "pain_after", "pain_next_morning"):
        _int_between(row, name, 0, 10)
    for name in ("squat_test_pain", "hop_test_pain"):
        _int_between(row, name, 0, 10)
    _one_of(row, "swelling", SWELLING, nullable=False)
    _one_of(row, "done", SESSION_DONE, nullable=True)


def check_check(row: dict[str, Any], today: dt.date) -> None:
    _plausible_day(row, "taken_on", today)
    _int_between(row, "kujala_total", 0, 100)
    _json(row, "answers", dict)
    _json(row, "red_flags", list)
    _json(row, "kujala_items", dict)
    _json(row, "notes", list)


def _json_value(row: dict[str, Any]) -> Any:
    """The JSON-encoded `value` of a key/value row (settings, preferences)."""
    raw = row.get("value")
    try:
        return json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        raise FieldError("value", "is not valid JSON") from None


def check_setting(row: dict[str, Any], today: dt.date) -> None:
    from strideback.plan.rules import default_values, validate_changes

    key, value = row.get("key"), _json_value(row)
    try:
        validate_changes({str(key): value}, default_values())
    except ValueError as exc:
        raise FieldError("value", str(exc)) from None


def check_plan_start(row: dict[str, Any], today: dt.date) -> None:
    from strideback.plan.ladder import _fixed_steps

    _plausible_day(row, "start_on", today)
    _plausible_day(row, "cleared_on", today)
    step = row.get("restart_step")
    known = [s.id for s in _fixed_steps()]
    if step is not None and step not in known:
        raise FieldError("restart_step", f"{step!r} is not one of {', '.join(known)}")


def check_preference(row: dict[str, Any], today: dt.date) -> None:
    from strideback.preferences import CHOICES

    key, value = row.get("key"), _json_value(row)
    allowed = CHOICES.get(str(key))
    if allowed is not None and value not in allowed:
        raise FieldError("value", f"{value!r} is not one of {', '.join(allowed)} for {key}")


def check_activity(row: dict[str, Any], today: dt.date) -> None:
    # Looser than the importers' plausibility bounds on purpose: a backup holds what an
    # earlier version stored, and refusing it would lose the runner's history.
    _plausible_day(row, "start_time", today, EARLIEST_RECORDING)
    if row.get("sport") not in SPORTS:
        raise FieldError("sport", f"{row.get('sport')!r} is not one of {', '.join(SPORTS)}")
    _non_negative(row, "distance_m", "elapsed_s", "moving_s", "ascent_m", "descent_m")
    _non_negative(row, "avg_hr_bpm", "max_hr_bpm", "avg_cadence_spm")
    _json(row, "provenance", (dict, list))
    _json(row, "laps", (dict, list))


def check_form_clip(row: dict[str, Any], today: dt.date) -> None:
    _plausible_day(row, "recorded_on", today, EARLIEST_RECORDING)
    _json(row, "metrics_json", (dict, list))
    _json(row, "quality_json", (dict, list))


# Table name -> its extra checks. A table not listed gets the column-type checks only.
CHECKS: dict[str, Check] = {
    "coach_diary": check_diary,
    "coach_checks": check_check,
    "coach_settings": check_setting,
    "coach_plan_starts": check_plan_start,
    "web_preferences": check_preference,
    "activities": check_activity,
    "form_clips": check_form_clip,
}


def check_row(table: str, row: dict[str, Any], today: dt.date) -> None:
    check = CHECKS.get(table)
    if check is not None:
        check(row, today)
