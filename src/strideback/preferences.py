"""Display preferences (units km/mi) in `web_preferences`, used by the dashboard and backups."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from sqlalchemy import select

from strideback.store.db import Database
from strideback.store.web import WebPreference

DEFAULTS: dict[str, Any] = {"units": "km"}
CHOICES: dict[str, tuple[str, ...]] = {"units": ("km", "mi")}


# Every page renders with the units: keep them a few seconds instead of a query per page
# (set_preference refreshes at once; another process's change shows within CACHE_S).
CACHE_S = 5.0
_cache: dict[tuple[str, int | None], tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()


def _load(db: Database) -> dict[str, Any]:
    values = dict(DEFAULTS)
    with db.session() as session:
        for row in session.query(WebPreference).all():
            if row.key in values:
                values[row.key] = json.loads(row.value)
    return values


def _key(db: Database) -> tuple[str, int | None]:
    """Preferences are per runner: cached per (database, runner)."""
    return (db.url, db.runner_id)


def get_preferences(db: Database) -> dict[str, Any]:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(_key(db))
    if hit is not None and now - hit[0] < CACHE_S:
        return dict(hit[1])
    values = _load(db)
    with _cache_lock:
        _cache[_key(db)] = (now, values)
    return dict(values)


def set_preference(db: Database, key: str, value: Any) -> dict[str, Any]:
    """Store one preference; ValueError naming the allowed values on bad input."""
    if key not in DEFAULTS:
        raise ValueError(f"unknown preference '{key}'")
    if key in CHOICES and value not in CHOICES[key]:
        raise ValueError(f"{key} must be one of {', '.join(CHOICES[key])} (got '{value}')")
    with db.session() as session:
        row = session.scalar(select(WebPreference).where(WebPreference.key == key))
        if row is None:
            session.add(WebPreference(key=key, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)
    with _cache_lock:
        _cache.pop(_key(db), None)
    return get_preferences(db)


def forget_cached_preferences() -> None:
    """Drop every cached copy (after a restore wrote the table behind our back)."""
    with _cache_lock:
        _cache.clear()
