"""`strideback report`: the progress report PDF to bring to an appointment."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import typer

from strideback.cli.common import console, fail, get_db


def _write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` in one step (a temp file in the same folder, then renamed)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def report_command(
    out: Path | None = typer.Option(
        None, "--out", "-o", help="PDF file to write (default: strideback-report-DATE.pdf)."
    ),
    weeks: int = typer.Option(8, "--weeks", "-w", min=1, max=104, help="Weeks the report covers."),
    name: str = typer.Option("", "--name", help="The runner's name for the header."),
    today: str | None = typer.Option(None, "--today", help="Pretend today is this date (ISO)."),
) -> None:
    """A progress report (PDF) for your clinician: pain over load, Kujala history, diary,
    the plan's step and decision, the latest form clip and the exercise sheet."""
    from strideback.report.service import progress_report_pdf

    try:
        day = dt.date.fromisoformat(today) if today else dt.date.today()
    except ValueError:
        fail(f"--today: not an ISO date (YYYY-MM-DD): {today!r}", code=2)
        return
    target = out or Path(f"strideback-report-{day.isoformat()}.pdf")
    if target.is_dir():
        fail(f"{target}: is a folder; give a file name ending in .pdf", code=2)
    if not target.parent.is_dir():
        fail(f"{target.parent}: no such folder", code=2)
    data = progress_report_pdf(get_db(), day, weeks, runner=name)
    try:
        _write_atomically(target, data)
    except OSError as exc:
        fail(f"{target}: cannot write the report: {exc.strerror or exc}", code=1)
    console.print(f"Progress report written to {target} ({len(data) // 1024} KiB).")


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
