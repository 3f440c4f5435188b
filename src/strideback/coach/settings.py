"""Clinician-adjustable thresholds: defaults from plan/rules.yaml plus stored overrides."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strideback.plan.rules import (
    RuleInfo,
    Rules,
    default_values,
    rule_catalogue,
    rules_from,
    validate_changes,
)
from strideback.store.coach import SettingRow
from strideback.store.db import Database

__all__ = [
    "get_settings",
    "read_settings",
    "rules_in_force",
    "settings_catalogue",
    "update_settings",
]


def settings_catalogue() -> dict[str, RuleInfo]:
    """Every adjustable threshold with its range, meaning and citation."""
    return dict(rule_catalogue())


def read_settings(s: Session) -> dict[str, Any]:
    values = default_values()
    for row in s.scalars(select(SettingRow)).all():
        if row.key in values:
            values[row.key] = json.loads(row.value)
    return values


def get_settings(db: Database) -> dict[str, Any]:
    """The thresholds in force: defaults from rules.yaml with the stored overrides."""
    with db.session() as s:
        return read_settings(s)


def rules_in_force(db: Database) -> Rules:
    return rules_from(get_settings(db))


def update_settings(db: Database, changes: dict[str, Any]) -> dict[str, Any]:
    """Validate and store clinician changes; a value equal to the default removes the override."""
    current = get_settings(db)
    clean = validate_changes(changes, current)
    defaults = default_values()
    with db.session() as s:
        for key, value in clean.items():
            row = s.scalar(select(SettingRow).where(SettingRow.key == key))
            if value == defaults[key]:
                if row is not None:
                    s.delete(row)
                continue
            if row is None:
                s.add(SettingRow(key=key, value=json.dumps(value)))
            else:
                row.value = json.dumps(value)
    return get_settings(db)
