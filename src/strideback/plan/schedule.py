"""Which sessions fall on a given plan day (pure): key walk/run, strength, cross, release."""

from __future__ import annotations

import datetime as dt

from strideback.exercises import get_exercise, routine
from strideback.plan.ladder import week_template
from strideback.plan.model import Session, Step
from strideback.plan.wording import plain_words

# Session notes the runner reads (plain words; the sources are on the Evidence page):
# strength: evidence.md §1, §7; release: §7d, §10; cross-training: §8; flat: §5e, §10.
STRENGTH_NOTE = (
    "2–3 sets of 10–15 (isometric holds as written), about 1 min rest between sets. Do each "
    "exercise with its pair for the opposing muscle group. Pain during ≤3/10 and settled by "
    "next morning. When an exercise felt easy and pain-free in {n} sessions in a row, add load "
    "or reps (about 5–10%). Hip and knee (quadriceps) work together is the best-supported "
    "treatment."
)
MINUTES_PER_EXERCISE = 4  # 2–3 sets with rests; a realistic session length
RELEASE_NOTE = (
    "Optional daily mobility, 2–3 × 30 s per stretch. Comfort, not a cure: the article's claim "
    "that tight hip flexors cause runner's knee is unsupported."
)
CROSS_NOTE = (
    "Cross-training counts as load: easy to moderate effort, within the pain rules. Choose one."
)
FLAT_NOTE = "Flat route only: no hills, no long downhill."
# Stop rules, on every walk-run and run session (Vincent 2017 four pain rules; evidence.md §4).
STOP_RULES = (
    "Stop rules: stop the run and walk home if the pain rises during the run, turns sharp, "
    "makes you limp or goes above 5/10; pain should settle within hours and be no worse the "
    "next morning."
)


def _key_session(step: Step) -> Session:
    stop = STOP_RULES if step.key_kind == "run" else ""
    notes = plain_words(" ".join(x for x in (step.notes, FLAT_NOTE, stop) if x))
    if step.tests:
        notes += " Readiness tests: " + ", ".join(get_exercise(t).name for t in step.tests) + "."
    return Session(
        kind=step.key_kind,
        minutes=step.key_minutes,
        title=step.key_title,
        exercises=list(step.tests),
        notes=notes,
        distance_km=step.key_km,
    )


def strength_half(plan_start: dt.date, day: dt.date) -> str:
    """'a' or 'b': strength days alternate the two shorter routines."""
    template = week_template()
    offset = (day - plan_start).days
    per_week = sum("strength" in template[d] for d in range(7))
    before = sum("strength" in template[d] for d in range(offset % 7))
    return "ab"[((offset // 7) * per_week + before) % 2]


def sessions_for_day(
    step: Step, plan_start: dt.date, day: dt.date, strength_progress_sessions: int = 2
) -> list[Session]:
    """The sessions of `day` for the step in force, from the weekly template."""
    slots = week_template()[(day - plan_start).days % 7]
    sessions: list[Session] = []
    for slot in slots:
        if slot == "key":
            sessions.append(_key_session(step))
        elif slot == "strength":
            half = strength_half(plan_start, day)
            exercises = routine(f"strength_{step.stage}_{half}")
            sessions.append(
                Session(
                    kind="strength",
                    minutes=MINUTES_PER_EXERCISE * len(exercises),
                    title=f"Hip + knee strength {half.upper()} ({step.stage} routine)",
                    exercises=exercises,
                    notes=STRENGTH_NOTE.format(n=strength_progress_sessions),
                )
            )
        elif slot == "cross":
            name = "cross_irritable" if step.stage == "irritable" else "cross_settling"
            sessions.append(
                Session(
                    kind="cross",
                    minutes=30,
                    title="Cross-training: swim, deep-water run, high-saddle cycle, yoga or pilates"
                    if name == "cross_settling"
                    else "Cross-training: swim or deep-water run",
                    exercises=routine(name),
                    notes=CROSS_NOTE,
                )
            )
        elif slot == "release":
            sessions.append(
                Session(
                    kind="release",
                    minutes=10,
                    title="Daily release and mobility",
                    exercises=routine("release_daily"),
                    notes=RELEASE_NOTE,
                )
            )
    return sessions


def is_key_day(plan_start: dt.date, day: dt.date) -> bool:
    return "key" in week_template()[(day - plan_start).days % 7]
