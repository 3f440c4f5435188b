"""Check: the symptom check (red flags, pattern) and the Kujala score with its history; the
stored checks, each with a delete button (then an undo on the page it leads to)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from strideback.assess.check import CheckIncomplete
from strideback.coach.checks import (
    check_questions,
    delete_check,
    kujala_history,
    latest_check,
    list_checks,
    restore_check,
    run_check,
)
from strideback.web.deps import change_then_go, render, runner_db, today
from strideback.web.views import kujala_chart

router = APIRouter()


SECTION_TITLES = {
    "red_flags": "Safety first: signs that need a clinician",
    "about_you": "About you",
    "pain": "Where and when it hurts",
    "kujala": "Kujala Anterior Knee Pain Scale",
}


def option_pairs(options: Any) -> list[tuple[Any, str]]:
    """(value, label) pairs from Option objects or plain pairs."""
    pairs = []
    for option in options or []:
        if hasattr(option, "value"):
            pairs.append((option.value, getattr(option, "label", str(option.value))))
        else:
            value, label = option
            pairs.append((value, label))
    return pairs


def question_sections(questions: list[Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Questions as plain dicts, grouped by their section in the order given."""
    sections: dict[str, list[dict[str, Any]]] = {}
    for q in questions:
        section = getattr(q, "section", "") or ""
        sections.setdefault(section, []).append(
            {
                "id": q.id,
                "text": q.text,
                "kind": q.kind,
                "options": option_pairs(q.options),
                "minimum": getattr(q, "minimum", None),
                "maximum": getattr(q, "maximum", None),
                "required": section != "kujala" and bool(getattr(q, "required", True)),
            }
        )
    return [
        (SECTION_TITLES.get(k, k.replace("_", " ").capitalize()), v) for k, v in sections.items()
    ]


def parse_answers(
    questions: list[Any], form: dict[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers keyed by question id, typed by the question's kind; errors by question id."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in questions:
        raw = form.get(f"q_{q.id}", "").strip()
        if raw == "":
            continue
        if q.kind == "yes_no":
            if raw not in ("yes", "no"):
                errors[q.id] = "Answer yes or no."
            else:
                answers[q.id] = raw == "yes"
        elif q.kind == "choice":
            match = [value for value, _label in option_pairs(q.options) if str(value) == raw]
            if not match:
                errors[q.id] = "Choose one of the options."
            else:
                answers[q.id] = match[0]
        else:
            try:
                number = float(raw)
            except ValueError:
                errors[q.id] = f"'{raw}' is not a number."
                continue
            low, high = getattr(q, "minimum", None), getattr(q, "maximum", None)
            if (low is not None and number < low) or (high is not None and number > high):
                errors[q.id] = f"Enter a number from {low:g} to {high:g}."
                continue
            answers[q.id] = int(number) if number.is_integer() else number
    return answers, errors


def _history(db: Any) -> list[Any]:
    return list(kujala_history(db))


def _summary(questions: list[Any], errors: dict[str, str]) -> list[tuple[str, str, str]]:
    """(question id, question text, message) for the error summary at the top of the form."""
    text = {q.id: " ".join(q.text.split()) for q in questions}
    return [(qid, text[qid], message) for qid, message in errors.items() if qid in text]


@router.get("/check", response_class=HTMLResponse)
def check_page(request: Request, deleted: int | None = None) -> Response:
    db = runner_db(request)
    history = _history(db)
    return render(
        request,
        "check.html",
        active="check",
        checks=list(reversed(list_checks(db))),
        deleted=deleted,
        sections=question_sections(check_questions()),
        unavailable=None,
        latest=latest_check(db),
        outcome=None,
        values={},
        errors={},
        summary=[],
        history=history,
        chart=kujala_chart(history) if len(history) >= 1 else None,
    )


@router.post("/check", response_class=HTMLResponse)
async def submit_check(request: Request) -> Response:
    db = runner_db(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    questions = check_questions()
    answers, errors = parse_answers(questions, form)
    skip_kujala = form.get("skip_kujala", "").strip().lower() in ("on", "1", "yes", "true")
    outcome = None
    if not errors:
        try:
            outcome = await run_in_threadpool(
                run_check, db, answers, today(request), skip_kujala=skip_kujala
            )
        except CheckIncomplete as exc:
            for qid in exc.missing:
                errors[qid] = "Please answer this question."
        except ValueError as exc:
            errors["form"] = str(exc)
    history = _history(db)
    return render(
        request,
        "check.html",
        status_code=422 if errors else 200,
        active="check",
        sections=question_sections(questions),
        unavailable=None,
        checks=list(reversed(list_checks(db))),
        deleted=None,
        latest=None,
        outcome=outcome,
        values=form,
        errors=errors,
        summary=_summary(questions, errors),
        history=history,
        chart=kujala_chart(history) if history else None,
    )


@router.post("/check/{check_id}/delete", response_class=HTMLResponse)
async def delete(request: Request, check_id: int) -> Response:
    """Delete a check (Today and the plan recompute without it); the page offers an undo."""
    return await change_then_go(request, delete_check, check_id, f"/check?deleted={check_id}",
                                f"No check {check_id}.")  # fmt: skip


@router.post("/check/{check_id}/restore", response_class=HTMLResponse)
async def restore(request: Request, check_id: int) -> Response:
    """Undo a delete."""
    return await change_then_go(request, restore_check, check_id, "/check",
                                f"No check {check_id}.")  # fmt: skip
