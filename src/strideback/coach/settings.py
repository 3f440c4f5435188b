"""Clinician-adjustable thresholds: defaults from plan/rules.yaml plus stored overrides.

Every change is written with an audit row (who, when, which key, old and new value) in the
same transaction: `update_settings(db, changes, actor=...)`; `settings_audit(db)` reads them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
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
from strideback.store.coach import SettingAuditRow, SettingRow, utcnow
from strideback.store.db import Database

__all__ = [
    "CLI",
    "LOCAL_RUNNER",
    "UNATTRIBUTED",
    "Actor",
    "SettingChange",
    "get_settings",
    "read_settings",
    "rules_in_force",
    "settings_audit",
    "settings_catalogue",
    "update_settings",
]


@dataclass(frozen=True)
class Actor:
    """Who changes a threshold: an account (id and username), or a named local source."""

    name: str
    user_id: int | None = None


LOCAL_RUNNER = Actor("local runner")  # the single-user dashboard
CLI = Actor("cli")  # `strideback settings --set`
UNATTRIBUTED = Actor("unattributed")  # a service call that did not say who (tests, scripts)


@dataclass(frozen=True)
class SettingChange:
    """One audit row: `key` went from `old` to `new` at `changed_at` (UTC), by `actor`."""

    id: int
    changed_at: dt.datetime
    actor: str
    actor_id: int | None
    key: str
    old: Any
    new: Any


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


def update_settings(
    db: Database, changes: dict[str, Any], *, actor: Actor = UNATTRIBUTED
) -> dict[str, Any]:
    """Validate and store clinician changes; a value equal to the default removes the override.

    Each key whose value really changes gets an audit row by `actor`, in the same transaction
    as the change; a value that stays the same writes nothing. Out-of-range changes raise
    ValueError before anything is written.
    """
    defaults = default_values()
    with db.session() as s:
        current = read_settings(s)
        clean = validate_changes(changes, current)
        when = utcnow()
        for key, value in clean.items():
            if value == current[key]:
                continue
            s.add(
                SettingAuditRow(
                    changed_at=when,
                    actor_id=actor.user_id,
                    actor=actor.name[:128],
                    key=key,
                    old_value=json.dumps(current[key]),
                    new_value=json.dumps(value),
                )
            )
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


def settings_audit(db: Database, limit: int | None = None) -> list[SettingChange]:
    """The runner's threshold changes, newest first."""
    query = select(SettingAuditRow).order_by(
        SettingAuditRow.changed_at.desc(), SettingAuditRow.id.desc()
    )
    if limit is not None:
        query = query.limit(limit)
    with db.session() as s:
        return [
            SettingChange(
                id=r.id,
                changed_at=r.changed_at,
                actor=r.actor,
                actor_id=r.actor_id,
                key=r.key,
                old=json.loads(r.old_value),
                new=json.loads(r.new_value),
            )
            for r in s.scalars(query)
        ]
