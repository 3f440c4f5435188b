"""`strideback form ...` and `strideback metronome`: thin wrappers over strideback.form.service.

strideback form VIDEO [--view side|front|back|auto] [--out DIR] [--json]   (= form analyse)
strideback form compare A B
strideback form list | show ID
strideback form delete ID [--yes] | restore ID   (also: form --delete ID / --restore ID)
strideback metronome --spm N --minutes M FILE.wav
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from strideback.cli.common import confirm_delete, console, fail, get_db, print_json

FORM_HELP = (
    "Running form from a phone video: capture check, cadence, contact time, knee angles, "
    "pelvic drop, annotated video and report. `strideback form VIDEO` is short for "
    "`strideback form analyse VIDEO`."
)


class _AnalyseByDefault(TyperGroup):
    """`form VIDEO ...` runs `form analyse VIDEO ...` (any first word that is not a command)."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] in ("--delete", "--restore"):  # as `activities --delete ID`
            args = [args[0].removeprefix("--"), *args[1:]]
        elif args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["analyse", *args]
        return super().parse_args(ctx, args)


form_app = typer.Typer(cls=_AnalyseByDefault, help=FORM_HELP, no_args_is_help=True)


@form_app.command("analyse")
def analyse(
    video: Path = typer.Argument(..., help="Video file (phone clip, side/front/back view)."),
    view: str = typer.Option("auto", "--view", help="side | front | back | auto"),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: data folder)."),
    capture_fps: float | None = typer.Option(
        None, "--capture-fps", help="Real capture rate of a slow-motion clip (e.g. 240)."
    ),
    task: str = typer.Option("run", "--task", help="run | single-leg-squat"),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Analyse one clip: metrics.json, report.html, annotated.mp4 and a database row."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from strideback.form.service import FormError, analyse_clip

    db = get_db()
    bar = Progress(
        TextColumn("[bold]form[/] {task.description}"), BarColumn(),
        TextColumn("{task.completed}/{task.total} frames"), TimeRemainingColumn(),
        console=console, transient=True, disable=as_json,
    )  # fmt: skip
    job = bar.add_task(video.name, total=None)

    def progress(done: int, total: int) -> None:
        if not bar.live.is_started:  # shown from the first frame: an early refusal is one line
            bar.start()
        bar.update(job, completed=done, total=total)

    try:
        result = analyse_clip(
            db, video, view=view, out_dir=out, capture_fps=capture_fps, task=task,
            progress=progress,
        )  # fmt: skip
    except FormError as exc:
        _stop(bar)
        _fail(str(exc), as_json)
        return
    finally:
        _stop(bar)
    if as_json:
        print_json(result.to_dict())
        return
    _print_result(result)


def _stop(bar: Any) -> None:
    if bar.live.is_started:
        bar.stop()


def _fail(message: str, as_json: bool) -> None:
    """One clear error: as a JSON object on stdout with --json, else one red line."""
    if as_json:
        print_json({"error": message})
        raise typer.Exit(1)
    fail(message)


def _print_result(result) -> None:  # type: ignore[no-untyped-def]
    from rich.markup import escape
    from rich.table import Table

    from strideback.plan.wording import plain_words  # no internal references for the runner

    console.print(f"[bold]Form clip {result.id}[/] ({result.view} view) -> {result.out_dir}")
    for c in result.quality:
        mark = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]fail[/]"}[
            c["status"]
        ]
        console.print(f"  {mark} {escape(plain_words(c['message']))}")
    table = Table(show_lines=True, expand=True)
    table.add_column("metric", ratio=2)
    table.add_column("median (IQR)", ratio=2)
    table.add_column("confidence", width=10)
    table.add_column("finding", ratio=6)
    suggestions = []
    for m in result.metrics.values():
        measurable = m["value"] is not None and m["confidence"] != "not measurable"
        value = f"{m['value']:.3g} {m['unit']}" if measurable else "-"
        if measurable and m["spread"] is not None:
            value += f" ({m['spread']:.2g})"
        finding = escape(plain_words(m.get("finding") or ""))
        if m.get("attention"):
            finding = f"[bold yellow]{finding}[/]"
        table.add_row(m["label"], value, m["confidence"], finding)
        if m.get("suggestion"):
            exercises = ", ".join(m.get("exercises") or [])
            suggestions.append(
                f"[bold]{escape(m['label'])}:[/] {escape(plain_words(m['suggestion']))}"
                + (f" Exercises: {escape(exercises)}." if exercises else "")
            )
    console.print(table)
    for line in suggestions:
        console.print(f"[cyan]suggestion[/] {line}")
    console.print(f"report: {result.report_html}\nvideo:  {result.annotated_mp4}")


@form_app.command("compare")
def compare(
    a: int = typer.Argument(..., help="Earlier clip id"),
    b: int = typer.Argument(..., help="Later clip id"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Compare two analysed clips; says which changes exceed measurement error."""
    from rich.table import Table

    from strideback.form.service import FormError, compare_clips

    try:
        comp = compare_clips(get_db(), a, b)
    except FormError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        print_json(comp.to_dict())
        return
    for w in comp.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    table = Table("metric", f"clip {a}", f"clip {b}", "change", "real change?")
    for c in comp.changes:
        if c.exceeds_error is None:
            verdict = "-" if c.difference is None else "not comparable"
        else:
            verdict = "yes" if c.exceeds_error else "no (noise)"
        if c.confidence == "limited" and c.exceeds_error is not None:
            verdict += " (limited)"
        table.add_row(c.label, _fmt(c.a), _fmt(c.b), _fmt(c.difference), verdict)
    console.print(table)


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3g}"


@form_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json")) -> None:
    """List analysed clips."""
    from strideback.form.service import list_clips

    clips = list_clips(get_db())
    if as_json:
        print_json([c.__dict__ for c in clips])
        return
    if not clips:
        console.print(
            "No clips analysed yet. Film 10–20 s of running from the side and run "
            "[bold]strideback form VIDEO --view side[/].",
            soft_wrap=True,
        )
        return
    for c in clips:
        cad = f"{c.cadence_spm:.0f} spm" if c.cadence_spm else "-"
        console.print(
            f"{c.id:>4}  {c.recorded_on}  {c.view:<5} {c.task:<16} {cad:>8}  {c.video_name}"
        )


@form_app.command("show")
def show(clip_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one analysed clip."""
    from strideback.form.service import FormError, get_clip

    try:
        result = get_clip(get_db(), clip_id)
    except FormError as exc:
        _fail(str(exc), as_json)
        return
    print_json(result.to_dict()) if as_json else _print_result(result)


def _clip_words(clip: Any) -> str:
    return f"form clip {clip.id} ({clip.video_name}, {clip.view} view, {clip.recorded_on})"


@form_app.command("delete")
def delete(
    clip_id: int = typer.Argument(..., help="Clip id (see `strideback form list`)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Delete one clip with its report, annotated video and landmarks (undo: form restore)."""
    from strideback.form.service import FormError, list_clips
    from strideback.form.trash import TRASH_DAYS, delete_clip

    db = get_db()
    clip = next((c for c in list_clips(db) if c.id == clip_id), None)
    if clip is None:
        _fail(f"no form clip with id {clip_id} (see `strideback form list`)", as_json)
        return
    what = _clip_words(clip)
    confirm_delete(what, yes)
    try:
        delete_clip(db, clip_id)
    except FormError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        print_json({"deleted": clip_id, "restore": f"form restore {clip_id}"})
        return
    console.print(
        f"deleted {what}; its files are kept for {TRASH_DAYS} days. "
        f"Undo with [bold]strideback form restore {clip_id}[/]",
        soft_wrap=True,
    )


@form_app.command("restore")
def restore(
    clip_id: int = typer.Argument(..., help="Id of the deleted clip."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Bring back a deleted clip and its files."""
    from strideback.form.service import FormError
    from strideback.form.trash import restore_clip

    try:
        clip = restore_clip(get_db(), clip_id)
    except FormError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        print_json({"restored": clip.id, "out_dir": str(clip.out_dir)})
        return
    console.print(f"{_clip_words(clip)} is back -> {clip.out_dir}", soft_wrap=True)


def metronome(
    path: Path = typer.Argument(..., help="WAV file to write"),
    spm: float = typer.Option(..., "--spm", help="Steps per minute (e.g. own cadence +5%)."),
    minutes: float = typer.Option(20.0, "--minutes", help="Length in minutes."),
) -> None:
    """Write a click track at a target cadence (cadence retraining: +5-10% of your own)."""
    from strideback.video.metronome import write_metronome

    try:
        out = write_metronome(path, spm, minutes)
    except (ValueError, OSError) as exc:
        fail(f"{path}: {exc}")
        return
    console.print(f"wrote {out} ({spm:.0f} steps/min, {minutes:g} min)")


def register(app: typer.Typer) -> None:
    app.add_typer(form_app, name="form")
    app.command("metronome")(metronome)
