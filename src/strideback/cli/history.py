"""`strideback import` and `strideback activities`: thin wrappers over activities.service."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Literal

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from strideback.cli.common import confirm_delete, console, err_console, fail, get_db, print_json


def _service() -> ModuleType:
    """The import service, imported on use so other commands start fast."""
    from strideback.activities import service

    return service


def _queries() -> ModuleType:
    """The activity queries, imported on use so other commands start fast."""
    from strideback.activities import queries

    return queries


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _fmt_pace(s_per_km: float | None) -> str:
    if not s_per_km:
        return "-"
    s = int(round(s_per_km))
    return f"{s // 60}:{s % 60:02d}/km"


def _num(value: float | None, fmt: str = "{:.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def import_command(
    paths: list[Path] = typer.Argument(
        ..., help="FIT/GPX/TCX files (also .gz), folders, Strava or Garmin export archives."
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per file on stdout."),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Parallel parser processes (default: CPU count)."
    ),
) -> None:
    """Import activity files into your training history."""
    db = get_db()
    if as_json:
        results = _service().import_paths(db, paths, workers=workers)
    else:
        with Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}"),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("", total=None)

            def progress(done: int, total: int, name: str) -> None:
                bar.update(task, completed=done, total=total, description=Path(name).name[-40:])

            results = _service().import_paths(db, paths, progress=progress, workers=workers)
    failed = False
    for result in results:
        failed |= result.status == "error"
        if as_json:
            print_json(result.to_dict())
        elif result.status == "error":
            err_console.print(f"[red]error[/] {result.file}: {result.error}")
        elif result.status == "skipped":
            err_console.print(f"[yellow]skipped[/] {result.file}: {result.note}")
        elif result.status == "imported" and result.note:
            err_console.print(f"[yellow]warning[/] {result.file}: {result.note}")
    if not as_json:
        counts = {
            s: sum(r.status == s for r in results)
            for s in ("imported", "duplicate", "skipped", "error")
        }
        console.print(", ".join(f"{n} {s}" for s, n in counts.items()))
    raise typer.Exit(1 if failed else 0)


def _set_sport(set_sport: tuple[int, str], sub_sport: str | None, as_json: bool) -> None:
    activity_id, sport = set_sport
    try:
        summary = _service().set_sport(get_db(), activity_id, sport, sub_sport)
    except KeyError:
        fail(f"no activity with id {activity_id}")
    except ValueError as exc:
        fail(str(exc))
    if as_json:
        print_json(summary.to_dict())
        return
    sport_text = summary.sport + (f"/{summary.sub_sport}" if summary.sub_sport else "")
    console.print(f"activity {summary.id} is now {sport_text}")


def _delete(activity_id: int, yes: bool, as_json: bool) -> None:
    queries = _queries()
    db = get_db()
    try:
        summary = queries.get_summary(db, activity_id)
    except KeyError:
        fail(f"no activity with id {activity_id}")
    what = (
        f"activity {summary.id}: {summary.sport} on {summary.local_start:%Y-%m-%d %H:%M}"
        f" ({_num(summary.distance_m and summary.distance_m / 1000, '{:.2f}')} km,"
        f" {Path(summary.source_file).name})"
    )
    confirm_delete(what, yes)
    queries.delete_activity(db, activity_id)
    if as_json:
        print_json({"deleted": activity_id, "restore": f"--restore {activity_id}"})
        return
    console.print(
        f"deleted {what}; undo with [bold]strideback activities --restore {activity_id}[/]"
    )


def _restore(activity_id: int, as_json: bool) -> None:
    try:
        summary = _queries().restore_activity(get_db(), activity_id)
    except KeyError:
        fail(f"no deleted activity with id {activity_id}")
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(
        f"activity {summary.id} is back ({summary.sport}, {summary.local_start:%Y-%m-%d})"
    )


def _write_csv(path: Path) -> None:
    import csv

    queries = _queries()
    rows = queries.activities_csv_rows(get_db())
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(queries.CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    console.print(f"{len(rows)} activities written to {path}")


def activities_command(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per activity."),
    sport: str | None = typer.Option(None, "--sport", help="Only this sport (e.g. running)."),
    limit: int | None = typer.Option(50, "--limit", min=1, help="At most this many (newest)."),
    set_sport: tuple[int, str] | None = typer.Option(
        None,
        "--set-sport",
        metavar="ID SPORT",
        help="Correct one activity's sport (running, walking, hiking, cycling, swimming, other),"
        " e.g. a hike that was guessed as a run: --set-sport 12 hiking.",
    ),
    sub_sport: str | None = typer.Option(
        None, "--sub-sport", help="With --set-sport running: road, trail, treadmill, track."
    ),
    delete: int | None = typer.Option(
        None, "--delete", metavar="ID", help="Delete one activity (asks first; undo: --restore)."
    ),
    restore: int | None = typer.Option(
        None, "--restore", metavar="ID", help="Bring back a deleted activity."
    ),
    yes: bool = typer.Option(False, "--yes", help="With --delete: do not ask."),
    csv_out: Path | None = typer.Option(
        None, "--csv", metavar="FILE", help="Write every activity to a CSV file."
    ),
) -> None:
    """List stored activities, newest first; a '?' marks a sport guessed from speed or name."""
    if delete is not None:
        _delete(delete, yes, as_json)
        return
    if restore is not None:
        _restore(restore, as_json)
        return
    if csv_out is not None:
        _write_csv(csv_out)
        return
    if set_sport is not None:
        _set_sport(set_sport, sub_sport, as_json)
        return
    if sub_sport is not None:
        fail("--sub-sport only goes with --set-sport ID SPORT")
    rows = _service().list_activities(get_db(), sport=sport, limit=limit)
    if as_json:
        for row in rows:
            print_json(row.to_dict())
        return
    table = Table(title=f"{len(rows)} activities (newest first)")
    for column in (
        "id",
        "date (local)",
        "sport",
        "km",
        "moving",
        "pace",
        "ascent m",
        "cadence spm",
        "HR",
        "source",
    ):
        justify: Literal["left", "right"] = "left" if column in ("sport", "source") else "right"
        table.add_column(column, justify=justify, overflow="fold")
    for row in rows:
        sport_text = row.sport + (f"/{row.sub_sport}" if row.sub_sport else "")
        if row.sport_guessed:
            sport_text += " ?"
        table.add_row(
            str(row.id),
            row.local_start.strftime("%Y-%m-%d %H:%M"),
            sport_text,
            _num(row.distance_m and row.distance_m / 1000, "{:.2f}"),
            _fmt_duration(row.moving_s),
            _fmt_pace(row.pace_s_per_km) if row.sport in ("running", "walking", "hiking") else "-",
            _num(row.ascent_m),
            _num(row.avg_cadence_spm),
            _num(row.avg_hr_bpm),
            Path(row.source_file).name[-40:],
        )
    console.print(table)
    if any(row.sport_guessed for row in rows):
        console.print(
            "? = sport guessed (the file named none); correct it with"
            " [bold]strideback activities --set-sport ID SPORT[/]"
        )


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
    app.command("activities")(activities_command)
