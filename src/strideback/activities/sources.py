"""Turn user paths into file items: plain files, folders (recursive), zip archives (Strava and
Garmin exports, nested zips), read safely and in memory.

Strava bulk export (zip or unpacked folder): its activities.csv gives each file's Activity
Name and Activity Type (the sport, so nothing is guessed). Garmin export: a zip (or folder)
whose DI_CONNECT/DI-Connect-Uploaded-Files/*.zip hold the FIT files: nested zips are read.

Archive safety: members are never extracted to disk; a member whose name is absolute or
contains ".." is refused (reported as an error item); reading stops at MAX_MEMBER_BYTES per
member, MAX_TOTAL_BYTES per import, and at a compression ratio above MAX_RATIO (zip bombs),
counting the bytes actually inflated rather than trusting the archive's headers.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from strideback.activities.sniff import ZIP, is_activity_name, sniff
from strideback.activities.sports import strava_type

MAX_TOTAL_BYTES = 2 * 1024**3
MAX_MEMBER_BYTES = 256 * 1024**2
MAX_RATIO = 200.0  # inflated / compressed, checked once a member passes RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1024**2
MAX_NESTING = 3
CHUNK = 1024**2


@dataclass
class FileItem:
    """One file to import: on disk (`path`) or already in memory (`data`, archive member)."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    member: str | None = None  # with `path`: a member of the zip archive at `path`
    sport_hint: str | None = None
    name_hint: str | None = None
    error: str | None = None  # set when the item was refused before parsing

    def read(self) -> bytes:
        """The item's bytes (archive members are read on demand, within the caps)."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        if self.member is None:
            return self.path.read_bytes()
        try:
            with zipfile.ZipFile(self.path) as zf:
                return _read_member(zf, zf.getinfo(self.member), _Budget())
        except (ArchiveLimit, zipfile.BadZipFile, KeyError, EOFError, ValueError) as exc:
            raise OSError(f"archive member unreadable or refused: {exc}") from None


@dataclass
class _Budget:
    remaining: int = MAX_TOTAL_BYTES
    notes: list[str] = field(default_factory=list)


class ArchiveLimit(Exception):
    pass


def unsafe_member_name(name: str) -> str | None:
    """Why an archive member name is unsafe, or None."""
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return "absolute path in archive"
    if ".." in PurePosixPath(normal).parts:
        return "path traversal ('..') in archive"
    return None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> bytes:
    limit = min(MAX_MEMBER_BYTES, budget.remaining)
    out = io.BytesIO()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            out.write(chunk)
            size = out.tell()
            if size > limit:
                raise ArchiveLimit(
                    f"member inflates past the {limit // 1024**2} MiB cap (zip bomb?)"
                )
            if size > RATIO_FROM_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
                raise ArchiveLimit(f"member compression ratio above {MAX_RATIO:.0f}:1 (zip bomb?)")
    budget.remaining -= out.tell()
    return out.getvalue()


Hints = dict[str, tuple[str | None, str | None]]  # file name -> (activity name, sport)


def parse_strava_csv(text: str) -> Hints:
    """Strava bulk export activities.csv: Filename -> (Activity Name, sport).

    Strava repeats some column names (Elapsed Time, Distance ...); the ones used here are
    unique. Rows without a Filename (manual entries) have no file to import.
    """
    hints: Hints = {}
    for row in csv.DictReader(io.StringIO(text)):
        filename = (row.get("Filename") or "").strip().replace("\\", "/")
        if filename:
            hints[filename] = (
                (row.get("Activity Name") or "").strip() or None,
                strava_type(row.get("Activity Type")),
            )
    return hints


def _strava_hints(zf: zipfile.ZipFile, budget: _Budget) -> Hints:
    infos = [i for i in zf.infolist() if PurePosixPath(i.filename).name == "activities.csv"]
    if not infos:
        return {}
    top = min(infos, key=lambda i: len(PurePosixPath(i.filename).parts))
    try:
        text = _read_member(zf, top, budget).decode("utf-8-sig", errors="replace")
    except ArchiveLimit:
        return {}
    prefix = str(PurePosixPath(top.filename).parent)
    hints = parse_strava_csv(text)
    if prefix in ("", "."):
        return hints
    return {f"{prefix}/{name}": hint for name, hint in hints.items()}


def _folder_hints(folder: Path) -> dict[Path, tuple[str | None, str | None]]:
    """An unpacked Strava export: activities.csv files under the folder, paths made absolute."""
    hints: dict[Path, tuple[str | None, str | None]] = {}
    for csv_path in sorted(folder.rglob("activities.csv")):
        try:
            text = csv_path.read_text(encoding="utf-8-sig", errors="replace")
        except OSError:
            continue
        for name, hint in parse_strava_csv(text).items():
            hints[(csv_path.parent / name).resolve()] = hint
    return hints


def _zip_items(label: str, data: bytes | Path, budget: _Budget, depth: int) -> Iterator[FileItem]:
    try:
        zf = zipfile.ZipFile(data if isinstance(data, Path) else io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        yield FileItem(name=label, error=f"not a readable zip archive ({exc})")
        return
    with zf:
        hints = _strava_hints(zf, budget)
        for info in zf.infolist():
            if info.is_dir() or not is_activity_name(info.filename):
                continue
            member = f"{label}:{info.filename}"
            reason = unsafe_member_name(info.filename)
            if reason:
                yield FileItem(name=member, error=f"refused: {reason}")
                continue
            title, sport = hints.get(info.filename, (None, None))
            if isinstance(data, Path) and not info.filename.lower().endswith(".zip"):
                # a member of an archive on disk: read later (in a worker), not held in memory
                yield FileItem(
                    name=member, path=data, member=info.filename, sport_hint=sport, name_hint=title
                )
                continue
            try:
                content = _read_member(zf, info, budget)
            except ArchiveLimit as exc:
                yield FileItem(name=member, error=f"refused: {exc}")
                continue
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                yield FileItem(name=member, error=f"unreadable archive member ({exc})")
                continue
            if sniff(content) == ZIP:
                if depth >= MAX_NESTING:
                    yield FileItem(name=member, error="refused: archives nested too deeply")
                else:
                    yield from _zip_items(member, content, budget, depth + 1)
                continue
            yield FileItem(name=member, data=content, sport_hint=sport, name_hint=title)


def _is_zip_path(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    with path.open("rb") as fh:
        return sniff(fh.read(4)) == ZIP


def expand_paths(paths: Sequence[Path]) -> list[FileItem]:
    """Every importable item under the given paths, in a stable order."""
    budget = _Budget()
    items: list[FileItem] = []
    for raw in paths:
        path = Path(raw)
        hints: dict[Path, tuple[str | None, str | None]] = {}
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and is_activity_name(p.name))
            hints = _folder_hints(path)
        elif path.is_file():
            files = [path]
        else:
            items.append(FileItem(name=str(path), error="no such file or folder"))
            continue
        for file in files:
            try:
                if _is_zip_path(file):
                    items.extend(_zip_items(str(file), file, budget, 1))
                else:
                    title, sport = hints.get(file.resolve(), (None, None))
                    items.append(
                        FileItem(name=str(file), path=file, sport_hint=sport, name_hint=title)
                    )
            except OSError as exc:
                items.append(FileItem(name=str(file), error=f"cannot read: {exc.strerror or exc}"))
    return items
