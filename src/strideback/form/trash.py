"""Delete a form clip with undo: the row is marked deleted and its files go to a trash folder.

`delete_clip` moves the clip's report, metrics, annotated video and landmarks into the
runner's trash folder (`<data folder>/form/runner-<id>/trash/<clip>-<time>/`) and marks the row
deleted in one step: if a move fails, the files already moved go back and the row is left
as it was; if the database write fails, every file goes back. `restore_clip` moves the files
back (byte for byte: they are moved, never rewritten) and clears the mark.

Deletions older than TRASH_DAYS are purged for good (row and trash folder) by
`purge_deleted_clips`, which `delete_clip` runs first: a deletion is purged on the first
delete after it is TRASH_DAYS old. Every read of clips (`form.service`: list, show, compare,
the report's latest clip) leaves deleted clips out.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from strideback.form.model import FormError
from strideback.form.service import (
    ANNOTATED_MP4,
    LANDMARKS_NPZ,
    METRICS_JSON,
    REPORT_HTML,
    FormClipSummary,
    runner_form_dir,
    summary_of,
)
from strideback.store.db import Database
from strideback.store.form import FormClipRow

__all__ = [
    "TRASH_DAYS", "NoSuchClip", "delete_clip", "purge_deleted_clips", "restore_clip", "trash_dir",
]  # fmt: skip

TRASH_DAYS = 30  # a deleted clip can be restored for this long
CLIP_FILES = (REPORT_HTML, METRICS_JSON, ANNOTATED_MP4, LANDMARKS_NPZ)
MAX_ID = 2**63 - 1
Moves = list[tuple[Path, Path]]


class NoSuchClip(FormError, LookupError):
    """No (deleted) clip with that id for this runner."""


def trash_dir(db: Database) -> Path:
    """The runner's trash folder (inside the runner's form folder, so a backup carries it)."""
    return runner_form_dir(db) / "trash"


def _utc(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None)


def _row(s: Session, clip_id: int, *, deleted: bool) -> FormClipRow:
    row = None
    if 0 < clip_id <= MAX_ID:
        column = FormClipRow.deleted_at
        state = column.is_not(None) if deleted else column.is_(None)
        row = s.scalar(select(FormClipRow).where(FormClipRow.id == clip_id, state))
    if row is None:
        what = "deleted form clip" if deleted else "form clip"
        raise NoSuchClip(f"no {what} with id {clip_id} (see `strideback form list`)")
    return row


def move_file(source: Path, target: Path) -> None:
    """Move one file (a rename where it can, else copy and remove): its bytes are unchanged."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(source, target)


def _move_all(source: Path, target: Path) -> Moves:
    """Move the clip's files from folder `source` to folder `target`; all or none.

    A folder left empty by the move is removed. On failure the files moved so far go back and
    FormError names the file and the cause; a file already at the target is never overwritten."""
    moves: Moves = []
    names = [name for name in CLIP_FILES if (source / name).is_file()]
    taken = [name for name in names if (target / name).exists()]
    if taken:  # e.g. a newer analysis written into the same folder: never overwrite it
        raise FormError(
            f"{target / taken[0]} already exists (move it away first); nothing was changed"
        )
    for name in names:
        try:
            move_file(source / name, target / name)
        except OSError as exc:
            _move_back(moves)
            raise FormError(
                f"{source / name}: cannot move it ({exc.strerror or exc}); nothing was changed"
            ) from exc
        moves.append((source / name, target / name))
    _remove_if_empty(source)
    return moves


def _move_back(moves: Moves) -> None:
    for source, target in reversed(moves):
        move_file(target, source)
    for _, target in moves[:1]:
        _remove_if_empty(target.parent)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty (another clip's or the user's files), or already gone


def _moving(db: Database, clip_id: int, *, deleting: bool, now: dt.datetime) -> FormClipRow:
    """Move one clip's files and change its row in one step (see the module docstring)."""
    moves: Moves = []
    try:
        with db.session() as s:
            row = _row(s, clip_id, deleted=not deleting)
            source = Path(row.out_dir)
            if deleting:
                target = trash_dir(db) / f"{row.id}-{now:%Y%m%dT%H%M%S%f}"
            else:
                target = Path(row.deleted_from or row.out_dir)
            moves = _move_all(source, target)
            row.out_dir = str(target)
            row.deleted_from = str(source) if deleting else None
            row.deleted_at = now if deleting else None
            s.flush()
            s.expunge(row)
        return row
    except BaseException:
        _move_back(moves)  # the database said no: the files go back where they were
        raise


def delete_clip(db: Database, clip_id: int, now: dt.datetime | None = None) -> FormClipSummary:
    """Delete a form clip (row and files); returns what was deleted (its id restores it).

    FormError when there is no such clip or a file cannot be moved (then nothing changes).
    """
    when = _utc(now)
    purge_deleted_clips(db, dt.timedelta(days=TRASH_DAYS), now=when)
    return summary_of(_moving(db, clip_id, deleting=True, now=when))


def restore_clip(db: Database, clip_id: int) -> FormClipSummary:
    """Undo `delete_clip`: the row and its files are back as they were. FormError when there
    is no deleted clip with that id (never deleted, purged, or another runner's)."""
    return summary_of(_moving(db, clip_id, deleting=False, now=_utc(None)))


def purge_deleted_clips(
    db: Database, older_than: dt.timedelta, now: dt.datetime | None = None
) -> int:
    """Remove clips deleted longer ago than `older_than` for good (rows and trash); how many."""
    cutoff = _utc(now) - older_than
    column = FormClipRow.deleted_at
    trash = trash_dir(db).resolve()
    with db.session() as s:
        rows = s.scalars(select(FormClipRow).where(column.is_not(None), column < cutoff)).all()
        folders = [Path(row.out_dir).resolve() for row in rows]
        for row in rows:
            s.delete(row)
    for folder in folders:  # once the rows are gone; only ever a folder in the trash
        if trash in folder.parents:
            shutil.rmtree(folder, ignore_errors=True)
    return len(folders)
