"""The clinician board: a clinician's runners, most urgent first (issue #12).

`board(db, clinician_id, today)` lists only the runners assigned to that clinician. Each row
holds the runner's phase and step, last diary entry, urgency reasons in plain words
(clinic/triage.py) and a 28-day pain trend for a sparkline.

Speed (measured with bench/bench_board.py, 200 runners × 1 year of diary): the facts of one
runner come from the same read and engine run as their Today (clinic/summary.py), which costs
about 20–45 ms for a year of diary — several seconds for 200 runners, far over the 150 ms
target. Reading only the last weeks of diary in one query would be fast but cannot give the
plan's referral or step (the engine replays the diary from the plan start; a shortcut could
disagree with the runner's Today). So each runner's facts are cached under a fingerprint of
everything Today reads for them (diary, checks, settings, plan starts, activities: a few
set-based aggregate queries for all the clinician's runners, `coach.stamps` and
`activities.queries.activity_fingerprints`) and the day. A request then costs the runner
list, those queries and a dictionary lookup; only runners whose data changed (or all of them
on a new day, or after a server restart) are recomputed. The cache lives in the server
process: it needs no table or migration, and a write from any process (the CLI, another
worker) still changes the fingerprint, so a stale answer is never shown.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

from strideback.accounts.model import User
from strideback.accounts.service import list_users
from strideback.activities.queries import activity_fingerprints
from strideback.clinic.sparkline import Sparkline, sparkline
from strideback.clinic.summary import runner_facts
from strideback.clinic.triage import Reason, RunnerFacts, pain_trend, triage, urgency_key
from strideback.coach.stamps import coach_fingerprints
from strideback.store.db import Database

__all__ = ["BoardRow", "board", "clear_cache"]


@dataclass(frozen=True)
class BoardRow:
    runner: User
    facts: RunnerFacts
    reasons: tuple[Reason, ...]
    trend: tuple[int | None, ...]  # worst pain per day, oldest first (None: not logged)
    spark: Sparkline

    @property
    def name(self) -> str:
        return self.runner.display_name

    @property
    def phase(self) -> str:
        return self.facts.phase

    @property
    def step(self) -> str:
        return self.facts.step

    @property
    def last_entry(self) -> dt.date | None:
        return self.facts.last_entry


_Key = tuple[str, int]
_CACHE: dict[_Key, tuple[dt.date, tuple[Any, ...], RunnerFacts]] = {}
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached summary (tests; a new server process starts empty anyway)."""
    with _LOCK:
        _CACHE.clear()


def _fingerprints(db: Database, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    coach = coach_fingerprints(db, ids)
    activities = activity_fingerprints(db, ids)
    return {r: (coach.get(r), activities.get(r)) for r in ids}


def _facts(db: Database, runner_id: int, today: dt.date, stamp: tuple[Any, ...]) -> RunnerFacts:
    key = (db.url, runner_id)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached[0] == today and cached[1] == stamp:
        return cached[2]
    facts = runner_facts(db.for_runner(runner_id), today)
    with _LOCK:
        _CACHE[key] = (today, stamp, facts)
    return facts


def board(db: Database, clinician_id: int, today: dt.date) -> list[BoardRow]:
    """The clinician's runners, most urgent first (then by name)."""
    runners = [u for u in list_users(db, clinician_id=clinician_id) if u.role == "runner"]
    stamps = _fingerprints(db, [r.id for r in runners])
    rows: list[BoardRow] = []
    for runner in runners:
        facts = _facts(db, runner.id, today, stamps[runner.id])
        trend = pain_trend(facts)
        rows.append(
            BoardRow(runner, facts, triage(facts), trend, sparkline(trend, facts.pain_ok_max))
        )
    rows.sort(key=lambda r: (*urgency_key(r.facts, r.reasons), r.name.lower(), r.runner.id))
    return rows
