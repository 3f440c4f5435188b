"""The clinician board: a clinician's runners, most urgent first (issue #12).

`board(db, clinician_id, today)` lists only the runners assigned to that clinician. Each row
holds the runner's phase and step, last diary entry, urgency reasons in plain words
(clinic/triage.py) and a 28-day pain trend for a sparkline.

Speed (bench/bench_board.py, 200 runners × 1 year of diary): the facts of one runner come
from the same read and engine run as their Today (clinic/summary.py), about 25–40 ms for a
year of diary: 5–8 s for 200 runners, far over the 150 ms target. Reading only the last
weeks of diary in one query would be fast but cannot give the plan's referral or step (the
engine replays the diary from the plan start; a shortcut could disagree with the runner's
Today). So each runner's facts (with their reasons and sparkline) are cached under the
runner's data version and the day. The version (store/clinic_board.py) moves in the same
transaction as every write to what Today reads — the storage layer does it for every session,
in every process — so a view costs the runner list, one query of 200 small rows and a
dictionary lookup; only runners who wrote since (or everyone on a new day, or after a server
restart) are recomputed. A first attempt fingerprinted the data itself with aggregate
queries (count and latest change of the diary, checks, settings, plan starts, activities per
runner): correct without any write hook, but those scans of a year of rows cost 100–160 ms a
view on their own (now: 2–4 ms). The cache lives in the server process (no summary table
to migrate or keep in step); a write from another process still moves the version. Once a
clinician has opened the board, `keep_warm` recomputes their stale rows in the background
every 20 s (after runners write, and on a new day), so a view rarely waits; the first view
after a server start still computes everyone.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from strideback.accounts.model import User
from strideback.accounts.service import list_users
from strideback.clinic.sparkline import Sparkline, sparkline
from strideback.clinic.summary import runner_facts
from strideback.clinic.triage import Reason, RunnerFacts, pain_trend, triage, urgency_key
from strideback.store.clinic_board import EVERY_RUNNER, read_versions
from strideback.store.db import Database, is_open

__all__ = ["BoardRow", "board", "clear_cache", "fingerprints", "keep_warm", "warm_all"]
log = logging.getLogger("strideback.clinic")
WARM_EVERY_S = 20.0


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
_Derived = tuple[RunnerFacts, tuple[Reason, ...], tuple[int | None, ...], Sparkline]
_CACHE: dict[_Key, tuple[dt.date, tuple[Any, ...], _Derived]] = {}
_LOCK = threading.Lock()


def clear_cache() -> None:
    """Forget every cached summary (tests; a new server process starts empty anyway)."""
    with _LOCK:
        _CACHE.clear()


def fingerprints(db: Database, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """{runner: (their data version, every runner's)}: one query on a small table."""
    with db.session() as s:
        versions = read_versions(s, ids)
    return {r: (versions[r], versions[EVERY_RUNNER]) for r in ids}


def _derived(db: Database, runner_id: int, today: dt.date, stamp: tuple[Any, ...]) -> _Derived:
    """The runner's facts, reasons, trend and sparkline: cached while `stamp` and `today` hold."""
    key = (db.url, runner_id)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and cached[0] == today and cached[1] == stamp:
        return cached[2]
    facts = runner_facts(db.for_runner(runner_id), today)
    trend = pain_trend(facts)
    derived = (facts, triage(facts), trend, sparkline(trend, facts.pain_ok_max))
    with _LOCK:
        _CACHE[key] = (today, stamp, derived)
    return derived


def board(db: Database, clinician_id: int, today: dt.date) -> list[BoardRow]:
    """The clinician's runners, most urgent first (then by name)."""
    runners = [u for u in list_users(db, clinician_id=clinician_id) if u.role == "runner"]
    stamps = fingerprints(db, [r.id for r in runners])
    rows: list[BoardRow] = []
    for runner in runners:
        rows.append(BoardRow(runner, *_derived(db, runner.id, today, stamps[runner.id])))
    rows.sort(key=lambda r: (*urgency_key(r.facts, r.reasons), r.name.lower(), r.runner.id))
    return rows


_WARMERS: dict[tuple[str, int], threading.Thread] = {}


def _warm_loop(
    db: Database, clinician_id: int, today: Callable[[], dt.date], every: float, delay: float
) -> None:
    time.sleep(delay)
    while True:
        if not is_open(db):
            return  # the server (or a test) closed the database
        try:
            board(db, clinician_id, today())
        except Exception:  # keep warming; the next view computes what is missing
            log.warning("clinician board: background refresh failed", exc_info=True)
        time.sleep(every)


def keep_warm(
    db: Database,
    clinician_id: int,
    today: Callable[[], dt.date],
    every: float = WARM_EVERY_S,
    delay: float | None = None,
) -> None:
    """Recompute this clinician's stale rows in a background thread every `every` seconds,
    the first time after `delay` (default: `every`; one thread per clinician and database;
    it ends when the database is closed). A view still checks every runner's version itself,
    so it is never stale, only faster."""
    key = (db.url, clinician_id)
    with _LOCK:
        running = _WARMERS.get(key)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(
            target=_warm_loop,
            args=(db, clinician_id, today, every, every if delay is None else delay),
            name=f"board-warmer-{clinician_id}",
            daemon=True,
        )
        _WARMERS[key] = thread
    thread.start()


def warm_all(db: Database, today: Callable[[], dt.date]) -> int:
    """At server start: warm every clinician's board at once (in the background), so the
    first view after a restart does not recompute every runner while the clinician waits."""
    clinicians = [u for u in list_users(db) if u.role == "clinician" and not u.disabled]
    for clinician in clinicians:
        keep_warm(db, clinician.id, today, delay=0.0)
    return len(clinicians)
