"""Pain monitoring (evidence.md §4): judge one diary day against the rules in force.

Verdicts: good (counts toward progressing), hold, step_back, refer, pending (next-morning
pain not logged yet), none (no session and nothing worrying).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from strideback.domain import DiaryEntry
from strideback.plan.model import Step
from strideback.plan.rules import Rules, rule_catalogue

NO_SESSION = (None, "skipped", "rest")


def no_session(entry: DiaryEntry) -> bool:
    """No walk/run that day. Pain during or after logged without "done" counts as a session."""
    if entry.done in ("skipped", "rest"):
        return True
    if entry.done is None:
        return entry.pain_during is None and entry.pain_after is None and entry.activity_id is None
    return False


@dataclass(frozen=True)
class Verdict:
    kind: str  # good | hold | step_back | refer | pending | none
    rule: str
    reason: str
    citation: str = ""


def _cite(rule_key: str) -> str:
    return rule_catalogue()[rule_key].citation


def morning_baseline(diary: dict[dt.date, DiaryEntry], day: dt.date, days: int) -> float | None:
    """Usual morning pain: the median next-morning pain logged in the `days` before `day`."""
    values = [
        e.pain_next_morning
        for d in (day - dt.timedelta(days=k) for k in range(1, days + 1))
        if (e := diary.get(d)) is not None and e.pain_next_morning is not None
    ]
    return float(statistics.median(values)) if values else None


def judge_day(entry: DiaryEntry, baseline: float | None, rules: Rules, step: Step) -> Verdict:
    """Apply the pain rules to one day's entry. Flares win over holds; holds over good."""
    if entry.red_flag:
        return Verdict(
            "refer",
            "red_flag_reported",
            "You reported a red flag in the diary: stop the plan and see a clinician.",
            "evidence.md §3a; §11 rule 8",
        )
    pains = [p for p in (entry.pain_during, entry.pain_after) if p is not None]
    worst = max(pains) if pains else None
    morning = entry.pain_next_morning
    rise = (morning - baseline) if (morning is not None and baseline is not None) else None

    flares: list[tuple[str, str, str]] = []
    if worst is not None and worst > rules.pain_hold_max:
        flares.append(
            (
                "pain_over_hold_max",
                f"pain reached {worst}/10 (above {rules.pain_hold_max}/10)",
                _cite("pain_hold_max"),
            )
        )
    if entry.sharp_pain:
        flares.append(
            ("sharp_pain", "the pain turned sharp", "evidence.md §4 (Vincent 2017 rule 1)")
        )
    if entry.limp:
        flares.append(("limp", "the pain made you limp", "evidence.md §4 (Vincent 2017 rule 4)"))
    if rise is not None and rise >= rules.morning_worse_step_back:
        flares.append(
            (
                "morning_worse",
                f"next-morning pain {morning}/10 is {rise:g} above your usual {baseline:g}/10",
                _cite("morning_worse_step_back"),
            )
        )
    if entry.swelling == "marked":
        flares.append(
            (
                "marked_swelling",
                "marked swelling",
                "evidence.md §5e (do not progress with swelling); §9",
            )
        )
    if flares:
        rule, _, citation = flares[0]
        why = "; ".join(f[1] for f in flares)
        return Verdict("step_back", rule, f"Flare: {why}.", citation)

    holds: list[tuple[str, str, str]] = []
    if worst is not None and worst > rules.pain_ok_max:
        holds.append(
            (
                "pain_in_hold_band",
                f"pain {worst}/10 is above {rules.pain_ok_max}/10 "
                f"but not above {rules.pain_hold_max}/10",
                _cite("pain_ok_max"),
            )
        )
    if rise is not None and rise >= 1:
        holds.append(
            (
                "morning_slightly_worse",
                f"next-morning pain {morning}/10 is a little above your usual {baseline:g}/10",
                "evidence.md §4 (next morning no worse than baseline)",
            )
        )
    if entry.swelling == "mild":
        holds.append(
            ("mild_swelling", "mild swelling", "evidence.md §5e (do not progress with swelling)")
        )
    if entry.done == "modified":
        holds.append(
            ("session_modified", "the session was modified", _cite("completions_to_progress"))
        )
    if holds:
        rule, _, citation = holds[0]
        return Verdict("hold", rule, "Hold: " + "; ".join(h[1] for h in holds) + ".", citation)

    if no_session(entry):
        return Verdict("none", "no_session", "No session that day.", "")
    if morning is None:
        return Verdict(
            "pending",
            "next_morning_missing",
            f"Log the next-morning pain for {entry.day.isoformat()} so the session can count "
            "(the 24-hour response matters most).",
            _cite("morning_worse_step_back"),
        )
    if step.gate == "run_entry" and (worst or 0) > rules.run_entry_max_pain:
        return Verdict(
            "hold",
            "run_entry_not_pain_free",
            f"Before running, the brisk walk must be pain-free (≤{rules.run_entry_max_pain}/10); "
            f"it was {worst}/10.",
            _cite("run_entry_max_pain"),
        )
    base = "no baseline yet" if baseline is None else f"usual {baseline:g}/10"
    return Verdict(
        "good",
        "good_session",
        f"Good session: pain {worst if worst is not None else 0}/10 (≤{rules.pain_ok_max}/10), "
        f"next morning {morning}/10 ({base}).",
        _cite("pain_ok_max"),
    )


def worst_pain(entry: DiaryEntry) -> int:
    values = [entry.pain_during, entry.pain_after, entry.pain_next_morning]
    return max((p for p in values if p is not None), default=0)
