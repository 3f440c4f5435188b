"""`strideback export | restore` (alias `import-backup`): one backup format for everything."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from strideback.cli.common import console, fail, get_runner_db, print_json


def export_command(
    out: Path | None = typer.Option(
        None,
        "--out",
        help="The .zip to write; a folder gets the .zip plus readable JSON/CSV copies.",
    ),
    with_videos: bool = typer.Option(
        False, "--with-videos", help="Also the form clips' videos (large)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    runner: str | None = typer.Option(
        None, "--runner", help="Clinic mode: back up this runner (default: the local runner)."
    ),
) -> None:
    """Back up one runner's data: activities, diary, checks, plan, settings, form clips (.zip)."""
    from strideback.backup import export_backup

    name = f"strideback-backup-{dt.date.today().isoformat()}.zip"
    target = out or Path(name)
    folder = target if target.is_dir() or target.suffix.lower() != ".zip" else None
    if folder is not None:
        target = folder / name
    db = get_runner_db(runner)
    try:
        summary = export_backup(db, target, with_videos=with_videos)
        if folder is not None:
            from strideback.coach.service import export_all

            export_all(db, folder)  # diary, checks, Kujala, plan as CSV; the coach JSON
    except OSError as exc:
        fail(f"{target}: cannot write ({exc.strerror or exc})")
    if as_json:
        print_json(
            {
                "path": str(summary.path),
                "rows": summary.rows,
                "files": summary.files,
                "content_sha256": summary.content_sha256,
            }
        )
        return
    rows = ", ".join(f"{n} {t}" for t, n in summary.rows.items() if n) or "no data yet"
    console.print(f"Backup written to [bold]{summary.path}[/] ({rows}; {summary.files} files).")


def restore_command(
    path: Path = typer.Argument(..., help="A backup .zip (or an older strideback-backup.json)."),
    replace: bool = typer.Option(False, "--replace", help="Replace the data already there."),
    merge: bool = typer.Option(False, "--merge", help="Add what is not there yet (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    runner: str | None = typer.Option(
        None, "--runner", help="Clinic mode: restore as this runner (default: the local runner)."
    ),
) -> None:
    """Restore a backup as one runner's data (only with --replace or --merge where that runner
    has data already)."""
    from strideback.backup import BackupError
    from strideback.backup.archive import Mode
    from strideback.backup.legacy import restore_any

    if replace and merge:
        fail("choose one of --replace and --merge")
    mode: Mode = "replace" if replace else "merge" if merge else "empty"
    try:
        summary = restore_any(get_runner_db(runner), path, mode=mode)
    except (BackupError, OSError) as exc:
        fail(str(exc))
    if as_json:
        print_json({"mode": summary.mode, "written": summary.written,
                    "skipped": summary.skipped, "files": summary.files})  # fmt: skip
        return
    console.print(f"Restored ({summary.mode}): {summary.describe()}.")


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
    app.command("restore")(restore_command)
    app.command("import-backup", hidden=True)(restore_command)  # the older name
