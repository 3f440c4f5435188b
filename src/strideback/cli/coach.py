"""`strideback check | plan | today | log | exercise | settings` (thin layer)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import typer
from rich.panel import Panel
from rich.prompt import Confirm, IntPrompt
from rich.table import Table

from strideback.cli.common import confirm_delete, console, err_console, fail, get_db, print_json
from strideback.plan.model import action_label
from strideback.plan.wording import plain_words

TODAY_HELP = "Pretend today is this date (YYYY-MM-DD)."


def _date(value: str | None, what: str = "--today", today: dt.date | None = None) -> dt.date:
    base = today or dt.date.today()
    if not value:
        return base
    words = {"today": base, "yesterday": base - dt.timedelta(days=1)}
    if value.strip().lower() in words:
        return words[value.strip().lower()]
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{what} must be a date like 2026-03-01, got {value!r}")
        raise  # unreachable: fail exits


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, dt.date):
        return obj.isoformat()
    return obj


# ---------------------------------------------------------------- check


def _ask(question: Any, out: Any) -> Any:
    """Ask one question until it has a valid answer (no default: an empty answer re-asks)."""
    if question.kind == "yes_no":
        return "yes" if Confirm.ask(question.text, console=out) else "no"
    if question.kind == "number":
        while True:
            value = IntPrompt.ask(question.text, console=out)
            low, high = question.minimum, question.maximum
            if (low is None or value >= low) and (high is None or value <= high):
                return value
            out.print(f"[red]Please enter a number from {low:g} to {high:g}.[/]")
    out.print(f"[bold]{question.text}[/]")
    for i, opt in enumerate(question.options, 1):
        out.print(f"  {i}. {opt.label}")
    choice = IntPrompt.ask(
        "Number", choices=[str(i) for i in range(1, len(question.options) + 1)], console=out
    )
    return question.options[choice - 1].value


def _interactive_answers(out: Any, skip_kujala: bool) -> dict[str, Any]:
    from strideback.assess.check import missing_answers
    from strideback.assess.questions import load_definition
    from strideback.coach.service import check_questions

    questions = check_questions()
    answers: dict[str, Any] = {}
    out.print("[bold]Red flags first.[/] Answer yes if it applies to you now.")
    for q in (q for q in questions if q.section in ("red_flags", "about_you")):
        answers[q.id] = _ask(q, out)
    if not any(answers[q.id] == "yes" for q in questions if q.section == "red_flags"):
        out.print("\n[bold]Where and when does it hurt?[/]")
        for q in (q for q in questions if q.section == "pain"):
            answers[q.id] = _ask(q, out)
        if not skip_kujala:
            out.print("\n[bold]Knee score (Kujala): 13 short questions.[/]")
            for q in (q for q in questions if q.section == "kujala"):
                answers[q.id] = _ask(q, out)
    # Anything still missing is asked again (every safety and routing answer is needed).
    by_id = {q.id: q for q in questions}
    for qid in missing_answers(load_definition(), answers, skip_kujala):
        answers[qid] = _ask(by_id[qid], out)
    return answers


def check_command(
    answers_file: Path | None = typer.Option(
        None, "--answers", help="Answers as a JSON object {question id: answer}."
    ),
    skip_kujala: bool = typer.Option(
        False,
        "--skip-kujala",
        help="Leave out the 13 Kujala questions this time (Today asks for them in week 1).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON (only JSON)."),
    today: str | None = typer.Option(None, "--today", help=TODAY_HELP),
    show: bool = typer.Option(False, "--list", help="List your stored checks (with their ids)."),
    delete: int | None = typer.Option(
        None, "--delete", metavar="ID", help="Delete one check (asks first; undo: --restore)."
    ),
    restore: int | None = typer.Option(
        None, "--restore", metavar="ID", help="Bring back a deleted check."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --delete: do not ask."),
) -> None:
    """Knee check: red flags, pain location, Kujala score. Stored so it can be retaken.

    Every safety and routing question must be answered; an incomplete answers file lists the
    missing question ids, stores nothing and exits with status 2. `--list` shows the stored
    checks, `--delete ID` removes one (Today and the plan recompute), `--restore ID` undoes it.
    """
    from strideback.coach.service import FIRST_RUN_NOTICE, CheckIncomplete, run_check

    if show:
        _list_checks(as_json)
        return
    if delete is not None:
        _delete_check(delete, yes, as_json)
        return
    if restore is not None:
        _restore_check(restore, as_json)
        return
    day = _date(today)
    out = err_console if as_json else console  # with --json, stdout carries only the JSON
    if answers_file is not None:
        try:
            answers = json.loads(answers_file.read_text(encoding="utf-8"))
        except OSError as exc:
            fail(f"{answers_file}: cannot read ({exc.strerror})")
        except json.JSONDecodeError as exc:
            fail(f"{answers_file}: not valid JSON ({exc.msg} at line {exc.lineno})")
    else:
        out.print(Panel(FIRST_RUN_NOTICE, title="StrideBack"))
        answers = _interactive_answers(out, skip_kujala)
    try:
        outcome = run_check(get_db(), answers, day, skip_kujala=skip_kujala)
    except CheckIncomplete as exc:
        fail(
            f"{answers_file or 'answers'}: incomplete check, nothing stored. Missing answers: "
            + ", ".join(exc.missing),
            code=2,
        )
    except ValueError as exc:
        fail(f"{answers_file or 'answers'}: {exc}")
    if as_json:
        print_json(_plain(outcome))
        return
    if outcome.red_flags:
        console.print(Panel(outcome.referral or "", title="See a clinician", style="bold red"))
        console.print("No plan is made. Your answers are stored.")
        return
    style = "green" if outcome.can_start_plan else "yellow"
    title = "Fits runner's knee" if outcome.can_start_plan else "Not typical runner's knee"
    console.print(Panel(plain_words(outcome.pattern_message), title=title, style=style))
    if outcome.kujala is not None:
        change = ""
        if outcome.kujala_change is not None and outcome.kujala_change != 0:
            meaning = "meaningful" if outcome.kujala_meaningful else "below the 10-point MCID"
            change = f" ({outcome.kujala_change:+d} since your first check, {meaning})"
        console.print(f"Kujala score: [bold]{outcome.kujala.total}[/]/100{change}")
    else:
        console.print("Kujala score skipped: please add it this week (`strideback check`).")
    for note in outcome.notes:
        console.print(f"[yellow]Note:[/] {plain_words(note)}")
    if outcome.can_start_plan:
        console.print("Next: [bold]strideback today[/] for today's session.")
    console.print(f"[dim]{FIRST_RUN_NOTICE}[/]")


def _check_words(check: Any) -> str:
    """One check in plain words: its day, Kujala score and what it led to (no internal ids)."""
    kujala = f"Kujala {check.kujala.total}/100" if check.kujala else "no Kujala score"
    if check.red_flags:
        result = "a red flag: see a clinician"
    elif check.can_start_plan:
        result = "fits runner's knee (the plan may run)"
    else:
        result = "not typical runner's knee: see a clinician"
    return f"check {check.id} of {check.taken_on.isoformat()}: {kujala}, {result}"


def _list_checks(as_json: bool) -> None:
    from strideback.coach.service import list_checks

    checks = list_checks(get_db())
    if as_json:
        print_json([_plain(c) for c in checks])
        return
    if not checks:
        console.print("No checks stored yet: take one with `strideback check`.")
    for c in checks:
        console.print(_check_words(c), soft_wrap=True)


def _delete_check(check_id: int, yes: bool, as_json: bool) -> None:
    from strideback.coach.service import delete_check, get_check

    db = get_db()
    try:
        what = _check_words(get_check(db, check_id))
    except KeyError:
        fail(f"no check with id {check_id} (see `strideback check --list`)")
    confirm_delete(what, yes)
    delete_check(db, check_id)
    if as_json:
        print_json({"deleted": check_id, "restore": f"--restore {check_id}"})
        return
    console.print(
        f"deleted {what}; Today and the plan no longer use it. "
        f"Undo with [bold]strideback check --restore {check_id}[/]",
        soft_wrap=True,
    )


def _restore_check(check_id: int, as_json: bool) -> None:
    from strideback.coach.service import restore_check

    try:
        check = restore_check(get_db(), check_id)
    except KeyError:
        fail(f"no deleted check with id {check_id}")
    if as_json:
        print_json(_plain(check))
        return
    console.print(f"{_check_words(check)} is back", soft_wrap=True)


# ---------------------------------------------------------------- today / plan


def _print_sessions(sessions: list[Any], detail: bool = False) -> None:
    from strideback.coach.service import get_exercise

    for s in sessions:
        console.print(f"[bold]• {s.title}[/] ({s.minutes} min)")
        if s.exercises and not detail:
            names = ", ".join(get_exercise(e).name for e in s.exercises)
            console.print(f"  {names}")
        if s.notes:
            console.print(f"  [dim]{plain_words(s.notes)}[/]")
        if detail:
            for eid in s.exercises:
                _print_exercise(get_exercise(eid), indent="    ")


def _print_exercise(ex: Any, indent: str = "") -> None:
    console.print(f"{indent}[bold]{ex.name}[/] — {ex.dosage}")
    for i, step in enumerate(ex.steps, 1):
        console.print(f"{indent}  {i}. {step}")
    if ex.pair_with:
        console.print(f"{indent}  Pair with: {ex.pair_with}")
    console.print(f"{indent}  [dim]Progress: {ex.progression}[/]")
    console.print(f"{indent}  [dim]Easier: {ex.regression}[/]")


def _print_referral(view_or_plan: Any) -> None:
    title = "See a clinician today" if view_or_plan.urgency == "emergency" else "See a clinician"
    body = view_or_plan.referral
    if view_or_plan.next_step:
        body += f"\n\n[bold]Next step:[/] {view_or_plan.next_step}"
    console.print(Panel(body, title=title, style="bold red"))
    console.print(
        "[dim]Once a clinician has seen you and cleared you: "
        "strideback plan --cleared-by-clinician [--start DATE] [--restart-step walk][/]"
    )


def today_command(
    as_json: bool = typer.Option(False, "--json", help="Print today's view as JSON."),
    detail: bool = typer.Option(
        False, "--detail", help="Each exercise with its steps, dosage and progression."
    ),
    why: bool = typer.Option(
        False, "--why", help="The rule behind today's advice and its sources."
    ),
    today: str | None = typer.Option(None, "--today", help=TODAY_HELP),
) -> None:
    """What to do today, and why."""
    from strideback.coach.service import todays_session

    view = todays_session(get_db(), _date(today))
    if as_json:
        print_json(_plain(view))
        return
    if view.referral:
        _print_referral(view)
        console.print(f"\n[dim]{view.disclaimer}[/]")
        return
    title = f"{view.day.isoformat()}" + (f" — plan day {view.plan_day}" if view.plan_day else "")
    console.print(Panel(f"[bold]{view.step}[/]\nPhase: {view.phase}", title=title))
    if view.decision is not None:
        console.print(
            f"[bold]Decision: {action_label(view.decision.action)}[/]\n"
            f"{plain_words(view.decision.reason)}"
        )
        if why:
            _print_why(view.decision)
    if view.morning_question:
        console.print(
            f"\n[yellow]{view.morning_question}[/] strideback log --morning N "
            f"(saved on {view.morning_day.isoformat() if view.morning_day else 'that day'})"
        )
    if view.entry_criteria:
        console.print("\n[bold]Before the first walk-run[/] (all must be met):")
        for c in view.entry_criteria:
            mark = "[green]✓[/]" if c.met else ("[red]✗[/]" if c.blocking else "[dim]○[/]")
            need = "" if c.required else " (optional)"
            console.print(f"  {mark} {c.label}{need}: {plain_words(c.detail)}")
    if view.sessions:
        console.print()
        _print_sessions(view.sessions, detail)
    if view.needs_check:
        console.print("\n[yellow]Take the check:[/] strideback check")
    for note in view.notes:
        console.print(f"[dim]{plain_words(note)}[/]")
    console.print(f"\n[dim]{view.disclaimer}[/]")


def _print_why(decision: Any) -> None:
    from strideback.plan.explain import explain

    why = explain(decision.rule, decision.citation)
    console.print(f"\n[bold]Why?[/] {why.rule}")
    for ref in why.sources:
        console.print(f"  [dim]• {ref}[/]")


def exercise_command(
    name: str = typer.Argument(..., help="Exercise id or name (e.g. clamshell)."),
) -> None:
    """One exercise: steps, dosage, progression, the easier version."""
    from strideback.coach.service import get_exercise, load_exercises

    wanted = name.strip().lower().replace(" ", "_")
    found = next(
        (e for e in load_exercises() if e.id == wanted or e.name.lower() == name.strip().lower()),
        None,
    )
    if found is None:
        try:
            found = get_exercise(wanted)
        except (KeyError, ValueError):
            ids = ", ".join(sorted(e.id for e in load_exercises()))
            fail(f"no exercise {name!r}; known: {ids}")
    assert found is not None
    _print_exercise(found)
    console.print(f"[dim]Evidence: {found.evidence_label}[/]")


def plan_command(
    start: str | None = typer.Option(None, "--start", help="Start (or restart) the plan on DATE."),
    cleared: bool = typer.Option(
        False,
        "--cleared-by-clinician",
        help="A clinician cleared you after a referral: record it (dated --today) and restart "
        "the plan (on --start, default today) at --restart-step. Your history is kept.",
    ),
    restart_step: str = typer.Option(
        "settle", "--restart-step", help="After a clearance: settle (default) or walk."
    ),
    weeks: int = typer.Option(8, "--weeks", min=1, max=52, help="Weeks to show."),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
    ics: Path | None = typer.Option(None, "--ics", help="Write the plan to an iCalendar file."),
    reminders: bool = typer.Option(
        True, "--reminders/--no-reminders", help="Calendar reminders on sessions and checks."
    ),
    today: str | None = typer.Option(None, "--today", help=TODAY_HELP),
) -> None:
    """The return-to-run plan, re-computed from your diary; optional calendar export."""
    from strideback.coach.service import (
        clear_by_clinician,
        current_plan,
        plan_ics,
        set_plan_start,
    )

    db = get_db()
    day = _date(today)
    if cleared:
        try:
            restart = clear_by_clinician(
                db, day, _date(start, "--start") if start else None, restart_step
            )
        except ValueError as exc:
            fail(str(exc))
        if not as_json:
            console.print(Panel(restart.message, title="Cleared by a clinician", style="green"))
    elif start:
        set_plan_start(db, _date(start, "--start"))
    if ics is not None:
        try:
            ics.write_bytes(plan_ics(db, day, reminders=reminders))
        except OSError as exc:
            fail(f"{ics}: cannot write ({exc.strerror})")
        if not as_json:
            console.print(f"Calendar written to [bold]{ics}[/]")
            plan_now = current_plan(db, day, weeks=weeks)
            if plan_now.referral:
                console.print("It holds no sessions: the plan is stopped.")
                _print_referral(plan_now)
    plan = current_plan(db, day, weeks=weeks)
    if as_json:
        print_json(_plain(plan))
        return
    if ics is not None:
        return
    if plan.referral:
        _print_referral(plan)
        return
    table = Table(title=f"Plan from {plan.start.isoformat()}")
    for col in ("Day", "Step", "Sessions", "Decision"):
        table.add_column(col)
    for d in plan.steps:
        mark = " (projected)" if d.projected else ""
        sessions = ", ".join(f"{s.kind} {s.minutes}′" for s in d.sessions) or "—"
        decision = action_label(d.decision.action) if d.decision else ""
        style = "bold" if d.day == day else None
        table.add_row(f"{d.day:%a %d %b}{mark}", d.step, sessions, decision, style=style)
    console.print(table)
    console.print(f"[dim]{plan.pre_injury}[/]")
    console.print("\n[bold]Where the article and the evidence differ[/]")
    for line in plan.honesty:
        console.print(f"[dim]• {line}[/]")


# ---------------------------------------------------------------- log


def log_command(
    day: str | None = typer.Option(
        None,
        "--day",
        help="Diary day: YYYY-MM-DD, today or yesterday (default: today; with only --morning, "
        "the last session day).",
    ),
    during: int | None = typer.Option(None, "--during", help="Pain during, 0–10."),
    after: int | None = typer.Option(None, "--after", help="Pain after, 0–10."),
    morning: int | None = typer.Option(
        None, "--morning", help="Pain the morning after the session, 0–10 (saved on its day)."
    ),
    swelling: str | None = typer.Option(None, "--swelling", help="none, mild or marked."),
    done: str | None = typer.Option(
        None, "--done", help="done (planned session), modified, skipped or rest."
    ),
    sharp: bool | None = typer.Option(
        None, "--sharp/--no-sharp", help="The pain turned sharp (--no-sharp unsets it)."
    ),
    limp: bool | None = typer.Option(
        None, "--limp/--no-limp", help="The pain made you limp (--no-limp unsets it)."
    ),
    red_flag: bool | None = typer.Option(
        None, "--red-flag/--no-red-flag", help="A red-flag sign appeared (--no-red-flag unsets)."
    ),
    red_flag_kind: str | None = typer.Option(
        None,
        "--red-flag-kind",
        help="Which sign: calf, hot_knee, injury, locking, giving_way, night_pain, numbness, "
        "swelling_persists, other (sets --red-flag).",
    ),
    squat_pain: int | None = typer.Option(
        None, "--squat-pain", help="Single-leg squat test (30 s each side): pain 0–10."
    ),
    hop_pain: int | None = typer.Option(None, "--hop-pain", help="Hop test: pain 0–10."),
    note: str | None = typer.Option(None, "--note", help="Optional note."),
    from_activity: int | None = typer.Option(
        None, "--from-activity", help="Link an imported run (its day becomes the diary day)."
    ),
    delete: str | None = typer.Option(None, "--delete", help="Delete the diary day DAY."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete without asking."),
    show: bool = typer.Option(False, "--list", help="Show the last 14 diary days instead."),
    as_json: bool = typer.Option(False, "--json", help="Print the saved entry as JSON."),
    today: str | None = typer.Option(None, "--today", help=TODAY_HELP),
) -> None:
    """Daily diary in seconds: pain during/after/next morning, swelling, what was done."""
    from strideback.coach.service import (
        delete_day,
        diary,
        log_from_activity,
        morning_day,
        save_day,
        todays_session,
    )

    db = get_db()
    now = _date(today)
    if show:
        _print_diary(diary(db, now - dt.timedelta(days=13), now), as_json)
        return
    if delete is not None:
        when = _date(delete, "--delete", now)
        if not yes and not Confirm.ask(f"Delete the diary entry of {when.isoformat()}?"):
            console.print("Nothing deleted.")
            return
        gone = delete_day(db, when)
        if gone is None:
            fail(f"no diary entry on {when.isoformat()}")
        console.print(f"Deleted {when.isoformat()}.")
        return
    fields: dict[str, Any] = {
        "pain_during": during,
        "pain_after": after,
        "pain_next_morning": morning,
        "swelling": swelling,
        "done": done,
        "sharp_pain": sharp,
        "limp": limp,
        "red_flag": red_flag,
        "red_flag_kind": red_flag_kind,
        "note": note,
        "squat_test_pain": squat_pain,
        "hop_test_pain": hop_pain,
    }
    given = {k: v for k, v in fields.items() if v is not None}
    if not given and from_activity is None:
        fail("nothing to log: give at least one of --during, --after, --morning, --done, ...")
    try:
        if from_activity is not None:
            entry = log_from_activity(db, from_activity, **given)
        else:
            if day is not None:
                when = _date(day, "--day", now)
            elif set(given) == {"pain_next_morning"}:
                when = morning_day(db, now)  # the morning belongs to the session before it
            else:
                when = now
            entry = save_day(db, when, given, today=now)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json(_plain(entry))
        return
    console.print(f"Saved {entry.day.isoformat()}.")
    nxt = todays_session(db, entry.day + dt.timedelta(days=1))
    if nxt.last_verdict is not None:
        console.print(plain_words(nxt.last_verdict.reason))
    if entry.squat_test_pain is not None or entry.hop_test_pain is not None:
        tests = [c for c in todays_session(db, entry.day).entry_criteria if c.result is not None]
        for c in tests:
            console.print(f"{c.label}: {plain_words(c.detail)}")
        if not tests:
            console.print("Readiness test saved (it counts once you reach the 30-min walk step).")
    if entry.red_flag:
        view = todays_session(db, max(entry.day, now))
        if view.referral:
            _print_referral(view)
        else:
            console.print("[bold red]Red flag: stop the plan and see a clinician.[/]")


def _print_diary(entries: list[Any], as_json: bool) -> None:
    if as_json:
        print_json([_plain(e) for e in entries])
        return
    table = Table(title="Diary")
    for col in (
        "Day",
        "During",
        "After",
        "Morning",
        "Swelling",
        "Done",
        "Flags",
        "Tests",
        "Run",
        "Note",
    ):
        table.add_column(col)
    for e in entries:
        flags = " ".join(
            n
            for n, v in (
                ("sharp", e.sharp_pain),
                ("limp", e.limp),
                (f"RED FLAG ({e.red_flag_kind or 'other'})", e.red_flag),
            )
            if v
        )
        table.add_row(
            e.day.isoformat(),
            *(
                str(v) if v is not None else "–"
                for v in (e.pain_during, e.pain_after, e.pain_next_morning)
            ),
            e.swelling,
            e.done or "–",
            flags,
            " ".join(
                f"{n} {v}"
                for n, v in (("squat", e.squat_test_pain), ("hop", e.hop_test_pain))
                if v is not None
            ),
            str(e.activity_id or ""),
            e.note or "",
        )
    console.print(table)


# ---------------------------------------------------------------- settings / export


def settings_command(
    set_: list[str] = typer.Option([], "--set", help="KEY=VALUE (repeatable)."),
    reset: bool = typer.Option(False, "--reset", help="Back to the defaults in rules.yaml."),
    as_json: bool = typer.Option(False, "--json", help="Print the settings as JSON."),
) -> None:
    """Clinician-adjustable thresholds (each with its citation)."""
    from strideback.coach.service import get_settings, settings_catalogue, update_settings
    from strideback.coach.settings import CLI

    db = get_db()
    catalogue = settings_catalogue()
    changes: dict[str, Any] = {}
    for item in set_:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"--set needs KEY=VALUE, got {item!r}")
        changes[key.strip()] = value.strip()
    if reset:
        changes = {k: info.default for k, info in catalogue.items()}
    try:
        values = update_settings(db, changes, actor=CLI) if changes else get_settings(db)
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json(values)
        return
    table = Table(title="Plan rules")
    for col in ("Setting", "Value", "Default", "Range", "Meaning and source"):
        table.add_column(col)
    for key, info in catalogue.items():
        changed = values[key] != info.default
        table.add_row(
            key,
            f"[bold]{values[key]}[/]" if changed else str(values[key]),
            f"{info.default:g}",
            f"{info.minimum:g}–{info.maximum:g}",
            f"{info.meaning} [dim]{info.citation} ({info.evidence})[/]",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)
    app.command("plan")(plan_command)
    app.command("today")(today_command)
    app.command("log")(log_command)
    app.command("exercise")(exercise_command)
    app.command("settings")(settings_command)
