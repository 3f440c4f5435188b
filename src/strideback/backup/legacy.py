"""Backups from before format 2: the coach's JSON (`strideback-backup.json`), alone, in its
export folder, or zipped by the old dashboard. Checked as strictly as format 2."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from strideback.backup.archive import BackupError, Mode, RestoreSummary
from strideback.store.db import Database

LEGACY_JSON = "strideback-backup.json"


def is_legacy(path: Path) -> bool:
    if path.is_dir() or path.suffix.lower() == ".json":
        return True
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return "manifest.json" not in names and any(n.endswith(LEGACY_JSON) for n in names)


def restore_legacy(db: Database, path: Path, mode: Mode) -> RestoreSummary:
    """Restore the coach data of an old backup (activities were never in it)."""
    from strideback.coach.service import diary as diary_entries
    from strideback.coach.service import import_backup, list_checks

    if mode == "merge":
        raise BackupError(f"{path.name}: an older coach backup can only be restored whole "
                          "(--replace), not merged")  # fmt: skip
    if mode == "empty" and (diary_entries(db) or list_checks(db)):
        raise BackupError(f"{path.name}: the database already holds diary or check data; "
                          "restore with --replace to overwrite it")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="strideback-legacy-") as tmp:
        source = path
        if path.is_file() and path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as zf:
                member = next(n for n in zf.namelist() if n.endswith(LEGACY_JSON))
                if zf.getinfo(member).file_size > 256 * 2**20:
                    raise BackupError(f"{path.name}: {member} is too large")
                source = Path(tmp) / LEGACY_JSON
                source.write_bytes(zf.read(member))
        try:
            counts = import_backup(db, source)
        except ValueError as exc:
            raise BackupError(f"{path.name}: {exc}".replace(f"{source}: ", "")) from None
    summary = RestoreSummary(mode="replace")
    summary.written = {k: int(v) for k, v in counts.items() if k != "activities_not_restored"}
    return summary


def restore_any(db: Database, path: Path, mode: Mode = "empty") -> RestoreSummary:
    """Restore a format-2 backup zip, or an older coach backup."""
    from strideback.backup.archive import restore_backup

    path = Path(path)
    if not path.exists():
        raise BackupError(f"{path}: no such file")
    if is_legacy(path):
        return restore_legacy(db, path, mode)
    return restore_backup(db, path, mode=mode)
