"""The coach's readable export (JSON + CSV) and its older JSON backup format, read back with
the same checks as a format-2 backup (strideback.backup). CSV cells are formula-safe."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strideback.activities.queries import ActivitySummary
from strideback.assess.questions import load_definition
from strideback.backup.csvsafe import safe_cell
from strideback.backup.validate import check_check, check_diary, check_plan_start
from strideback.coach.views import CheckOutcome
from strideback.domain import DiaryEntry
from strideback.plan.ladder import _fixed_steps
from strideback.plan.model import Plan
from strideback.plan.rules import default_values, validate_changes

FORMAT = "strideback-coach-backup"
VERSION = 1
JSON_NAME = "strideback-backup.json"
DIARY_FIELDS = [f.name for f in dataclasses.fields(DiaryEntry)]
CHECK_FIELDS = [
    "id",
    "taken_on",
    "red_flags",
    "referral",
    "pattern",
    "pattern_message",
    "kujala_total",
    "kujala_items",
    "can_start_plan",
    "notes",
    "answers",
]
PLAN_FIELDS = [
    "day",
    "phase",
    "step",
    "projected",
    "kind",
    "minutes",
    "title",
    "exercises",
    "decision",
    "rule",
]


@dataclass
class Snapshot:
    checks: list[CheckOutcome]
    diary: list[DiaryEntry]
    settings: dict[str, Any]
    plan_starts: list[dict[str, Any]]  # plan_start_json() of each row, oldest first
    plan: Plan | None
    activities: list[dict[str, Any]] = field(default_factory=list)


def activity_summary(row: ActivitySummary) -> dict[str, Any]:
    return {
        "id": row.id,
        "start_time_utc": row.start_time.astimezone(dt.UTC).replace(tzinfo=None).isoformat(),
        "sport": row.sport,
        "sub_sport": row.sub_sport,
        "distance_km": round(row.distance_m / 1000, 3) if row.distance_m else None,
        "moving_min": round(row.moving_s / 60, 1) if row.moving_s else None,
        "ascent_m": row.ascent_m,
        "descent_m": row.descent_m,
        "source_file": row.source_file,
    }


def _check_json(c: CheckOutcome) -> dict[str, Any]:
    return {
        "id": c.id,
        "taken_on": c.taken_on.isoformat(),
        "answers": c.answers,
        "red_flags": c.red_flags,
        "referral": c.referral,
        "pattern": c.pattern,
        "pattern_message": c.pattern_message,
        "kujala_total": c.kujala.total if c.kujala else None,
        "kujala_items": c.kujala.items if c.kujala else None,
        "can_start_plan": c.can_start_plan,
        "notes": c.notes,
    }


def _diary_json(e: DiaryEntry) -> dict[str, Any]:
    out = dataclasses.asdict(e)
    out["day"] = e.day.isoformat()
    return out


def _plan_rows(plan: Plan | None) -> list[dict[str, Any]]:
    rows = []
    for d in plan.steps if plan else []:
        for s in d.sessions:
            rows.append(
                {
                    "day": d.day.isoformat(),
                    "phase": d.phase,
                    "step": d.step,
                    "projected": d.projected,
                    "kind": s.kind,
                    "minutes": s.minutes,
                    "title": s.title,
                    "exercises": " ".join(s.exercises),
                    "decision": d.decision.action if d.decision else "",
                    "rule": d.decision.rule if d.decision else "",
                }
            )
    return rows


def _write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: safe_cell(json.dumps(v) if isinstance(v, dict | list) else v)
                    for k, v in row.items()
                }
            )
    return path


def write_snapshot(snap: Snapshot, folder: Path, today: dt.date) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    checks = [_check_json(c) for c in snap.checks]
    diary = [_diary_json(e) for e in snap.diary]
    plan_rows = _plan_rows(snap.plan)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "exported_on": today.isoformat(),
        "checks": checks,
        "diary": diary,
        "settings": snap.settings,
        "plan_starts": snap.plan_starts,
        "plan": plan_rows,
        "activities": snap.activities,
    }
    json_path = folder / JSON_NAME
    json_path.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    kujala = [
        {"taken_on": c["taken_on"], "total": c["kujala_total"], **(c["kujala_items"] or {})}
        for c in checks
        if c["kujala_total"] is not None
    ]
    kujala_fields = ["taken_on", "total", *[q.id for q in load_definition().kujala_items]]
    activity_fields = list(snap.activities[0]) if snap.activities else ["id"]
    return [
        json_path,
        _write_csv(folder / "checks.csv", checks, CHECK_FIELDS),
        _write_csv(folder / "kujala.csv", kujala, kujala_fields),
        _write_csv(folder / "diary.csv", diary, DIARY_FIELDS),
        _write_csv(folder / "plan.csv", plan_rows, PLAN_FIELDS),
        _write_csv(folder / "activities.csv", snap.activities, activity_fields),
    ]


def _fail(path: Path, problem: str) -> ValueError:
    return ValueError(f"{path}: {problem}")


def read_backup(path: Path) -> dict[str, Any]:
    """Read and check a backup JSON (or a folder holding strideback-backup.json)."""
    if path.is_dir():
        path = path / JSON_NAME
    if not path.is_file():
        raise _fail(path, "no such backup file")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _fail(path, f"not a JSON file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _fail(path, f"not a StrideBack coach backup (format must be {FORMAT!r})")
    if doc.get("version") != VERSION:
        raise _fail(path, f"unsupported backup version {doc.get('version')!r} (expected {VERSION})")
    for key in ("checks", "diary", "settings", "plan_starts"):
        if key not in doc:
            raise _fail(path, f"missing {key!r}")
    where = "settings"
    try:
        validate_changes(doc["settings"], default_values())
        today = dt.date.today()
        for n, c in enumerate(doc["checks"], 1):
            where = f"checks row {n}"
            check_check(check_row_fields(c), today)
        for n, e in enumerate(doc["diary"], 1):
            where = f"diary row {n}"
            check_diary(diary_row_fields(e), today)
        for n, p in enumerate(doc["plan_starts"], 1):
            where = f"plan_starts row {n}"
            check_plan_start(plan_start_row_fields(p), today)
    except KeyError as exc:
        raise _fail(path, f"invalid content ({where}): missing field {exc}") from None
    except (TypeError, ValueError) as exc:
        raise _fail(path, f"invalid content ({where}): {exc}") from None
    return doc


def check_row_fields(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": int(c["id"]),
        "taken_on": dt.date.fromisoformat(c["taken_on"]),
        "answers": json.dumps(c["answers"], sort_keys=True),
        "red_flags": json.dumps(list(c["red_flags"])),
        "referral": c["referral"],
        "pattern": str(c["pattern"]),
        "pattern_message": str(c["pattern_message"]),
        "kujala_total": c["kujala_total"],
        "kujala_items": json.dumps(c["kujala_items"]) if c["kujala_items"] is not None else None,
        "can_start_plan": bool(c["can_start_plan"]),
        "notes": json.dumps(c.get("notes", [])),
    }


# Diary fields added after the first release: older backups may lack them.
DIARY_OPTIONAL = {"squat_test_pain": None, "hop_test_pain": None, "red_flag_kind": None}


def diary_row_fields(e: dict[str, Any]) -> dict[str, Any]:
    out = {
        name: e.get(name, DIARY_OPTIONAL[name]) if name in DIARY_OPTIONAL else e[name]
        for name in DIARY_FIELDS
    }
    out["day"] = dt.date.fromisoformat(e["day"])
    return out


def plan_start_json(row: Any) -> dict[str, Any]:
    """A PlanStartRow as JSON (the clearance fields only when a clinician cleared)."""
    return {
        "start_on": row.start_on.isoformat(),
        "reason": row.reason,
        "cleared_on": row.cleared_on.isoformat() if row.cleared_on else None,
        "restart_step": row.restart_step,
    }


def plan_start_row_fields(p: dict[str, Any]) -> dict[str, Any]:
    cleared = p.get("cleared_on")
    step = p.get("restart_step")
    known = [s.id for s in _fixed_steps()]
    if step is not None and step not in known:
        raise ValueError(f"plan start restart_step {step!r} is not one of {', '.join(known)}")
    return {
        "start_on": dt.date.fromisoformat(p["start_on"]),
        "reason": str(p["reason"]),
        "cleared_on": dt.date.fromisoformat(cleared) if cleared else None,
        "restart_step": step,
    }
