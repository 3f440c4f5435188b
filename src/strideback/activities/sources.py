"""Turn user paths into file items: plain files, folders (recursive), zip archives (Strava and
Garmin exports, nested zips), streamed member by member.

Strava bulk export (zip or unpacked folder): its activities.csv gives each file's Activity
Name and Activity Type (the sport, so nothing is guessed). Garmin export: a zip (or folder)
whose DI_CONNECT/DI-Connect-Uploaded-Files/*.zip hold the FIT files: nested zips are read.

Streaming: each archive is opened once and its members are read in order, one at a time, so
time is linear in the number of members and memory holds one member (a nested zip is spooled
to a temporary file, not memory). Every member is isolated: a corrupt deflate stream, an
unsupported compression method (Deflate64, ...), an encrypted member or a bad activities.csv
is one error item, and the rest of the archive goes on.

Archive safety: members are never extracted to disk under their own names; a member whose
name is absolute or contains ".." is refused (an error item). Reading counts the bytes
actually inflated (not the archive's headers) against: MAX_MEMBER_BYTES per activity file, a
compression ratio above MAX_RATIO per member (bombs), and a total budget per top-level archive
that scales with its size (BUDGET_RATIO x its bytes, at least MIN_BUDGET_BYTES), shared by
every member at every nesting level; nesting stops at MAX_NESTING and the member count at
MAX_MEMBERS per top-level archive.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from strideback.activities.garmin_names import MAX_JSON_BYTES, StartNames, is_names_file
from strideback.activities.sniff import ZIP, is_activity_name, sniff
from strideback.activities.strava_csv import Hints, ManualEntry, manual_entries, parse_strava_csv
from strideback.activities.summary_csv import sniff_summary_csv

MAX_MEMBER_BYTES = 256 * 1024**2  # one activity file (a week-long 1 Hz recording is ~50 MB)
MAX_RATIO = 200.0  # inflated / compressed, checked once a member passes RATIO_FROM_BYTES
RATIO_FROM_BYTES = 1024**2
MIN_BUDGET_BYTES = 1024**3  # total inflated per top-level archive, at least
BUDGET_RATIO = 50  # ... or this many times the archive's own size
MAX_NESTING = 3
MAX_MEMBERS = 200_000
MAX_CSV_BYTES = 64 * 1024**2
CHUNK = 1024**2
SPOOL_IN_MEMORY = 8 * 1024**2  # nested archives larger than this are spooled to disk
SUPPORTED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
METHOD_NAMES = {9: "Deflate64", 6: "Implode", 93: "Zstandard", 95: "XZ", 98: "PPMd", 99: "AES"}


@dataclass
class FileItem:
    """One file to import: on disk (`path`, read once when it is imported) or an archive
    member already read (`data`)."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    sport_hint: str | None = None
    name_hint: str | None = None
    error: str | None = None  # set when the item was refused before parsing
    sha256: str | None = None  # set once the bytes are hashed (they are never hashed twice)
    manual: ManualEntry | None = None  # a Strava manual entry (no file): its csv row
    inflate_limit: int = MAX_MEMBER_BYTES  # for a gzip inside: what is left of the budget

    def read(self) -> bytes:
        """The item's bytes."""
        if self.data is not None:
            return self.data
        if self.path is None:
            raise OSError("nothing to read")
        return self.path.read_bytes()


@dataclass
class Budget:
    """What a top-level archive may still inflate, over all its members and nesting levels."""

    remaining: int
    members_left: int = MAX_MEMBERS

    @classmethod
    def for_archive(cls, size_bytes: int) -> Budget:
        return cls(remaining=max(MIN_BUDGET_BYTES, BUDGET_RATIO * size_bytes))


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


def member_refusal(info: zipfile.ZipInfo) -> str | None:
    """Why a member cannot be read (encrypted, unsupported compression), before reading it."""
    if info.flag_bits & 0x1:
        return "encrypted (password-protected) archive member: not supported"
    if info.compress_type not in SUPPORTED_METHODS:
        method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        return f"archive member compressed with {method}, which is not supported"
    return None


def _describe_member_error(exc: BaseException) -> str:
    if isinstance(exc, ArchiveLimit):
        return f"refused: {exc}"
    if isinstance(exc, NotImplementedError):
        return f"archive member uses an unsupported compression ({exc})"
    if isinstance(exc, RuntimeError) and "encrypt" in str(exc).lower():
        return "encrypted (password-protected) archive member: not supported"
    text = str(exc).strip() or type(exc).__name__
    return f"corrupt archive member ({type(exc).__name__}: {text[:200]})"


def read_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, sink: IO[bytes], limit: int
) -> int:
    """Inflate one member into `sink`, enforcing the caps as bytes arrive; bytes written."""
    cap = min(limit, budget.remaining)
    size = 0
    with zf.open(info) as fh:
        while chunk := fh.read(CHUNK):
            sink.write(chunk)
            size += len(chunk)
            budget.remaining -= len(chunk)
            if size > cap:
                if cap < limit:
                    raise ArchiveLimit(
                        "the archive inflates past its total budget of "
                        f"{(budget.remaining + size) // 1024**2} MiB (zip bomb?)"
                    )
                raise ArchiveLimit(f"member inflates past the {cap // 1024**2} MiB cap (zip bomb?)")
            if size > RATIO_FROM_BYTES and size > MAX_RATIO * max(info.compress_size, 1):
                raise ArchiveLimit(f"member compression ratio above {MAX_RATIO:.0f}:1 (zip bomb?)")
    return size


def _read_bytes(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget, limit: int) -> bytes:
    out = io.BytesIO()
    read_member(zf, info, budget, out, limit)
    return out.getvalue()


def _strava_hints(
    zf: zipfile.ZipFile, budget: Budget, label: str
) -> tuple[Hints, list[FileItem], str | None]:
    """(hints, error or manual-entry items, the csv member's name) from the top-most
    activities.csv."""
    infos = [i for i in zf.infolist() if PurePosixPath(i.filename).name == "activities.csv"]
    if not infos:
        return {}, [], None
    top = min(infos, key=lambda i: len(PurePosixPath(i.filename).parts))
    where = f"{label}:{top.filename}"
    try:
        refusal = member_refusal(top)
        if refusal:
            raise ArchiveLimit(refusal)
        raw = _read_bytes(zf, top, budget, MAX_CSV_BYTES)
        text = raw.decode("utf-8-sig", errors="replace")
        hints = parse_strava_csv(text)
        manual = manual_items(where, text)
    except Exception as exc:  # noqa: BLE001 - a bad csv costs the names, not the activities
        reason = _describe_member_error(exc)
        return (
            {},
            [FileItem(name=where, error=f"{reason}; activity names and types not read")],
            None,
        )
    prefix = str(PurePosixPath(top.filename).parent)
    if prefix not in ("", "."):
        hints = {f"{prefix}/{name}": hint for name, hint in hints.items()}
    return hints, manual, top.filename


def manual_items(where: str, text: str) -> list[FileItem]:
    """Strava manual entries (rows without a file) as items; unreadable dates: one error."""
    entries, unreadable = manual_entries(text)
    items = [FileItem(name=f"{where}#row{e.row}", manual=e) for e in entries]
    if unreadable:
        items.append(
            FileItem(
                name=where,
                error=f"{unreadable} manual entries with an unreadable date: not imported",
            )
        )
    return items


def folder_hints(folder: Path) -> tuple[dict[Path, tuple[str | None, str | None]], list[FileItem]]:
    """An unpacked Strava export: activities.csv files under the folder, paths made absolute
    (with the items of its manual entries)."""
    hints: dict[Path, tuple[str | None, str | None]] = {}
    errors: list[FileItem] = []
    for csv_path in sorted(folder.rglob("activities.csv")):
        try:
            if csv_path.stat().st_size > MAX_CSV_BYTES:
                raise ValueError(f"larger than {MAX_CSV_BYTES // 1024**2} MiB")
            text = csv_path.read_text(encoding="utf-8-sig", errors="replace")
            parsed = parse_strava_csv(text)
            errors.extend(manual_items(str(csv_path), text))
        except Exception as exc:  # noqa: BLE001 - names are lost, not the activities
            errors.append(
                FileItem(
                    name=str(csv_path),
                    error=f"activities.csv not readable ({type(exc).__name__}: {exc}); "
                    "activity names and types not read",
                )
            )
            continue
        for name, hint in parsed.items():
            hints[(csv_path.parent / name).resolve()] = hint
    return hints, errors


def count_members(zf: zipfile.ZipFile) -> int:
    return sum(1 for i in zf.infolist() if not i.is_dir() and is_activity_name(i.filename))


def _garmin_names(
    zf: zipfile.ZipFile, budget: Budget, label: str, names: StartNames
) -> Iterator[FileItem]:
    """Read the export's activity-name JSON files into `names`; an error item if one is bad."""
    for info in zf.infolist():
        if info.is_dir() or not is_names_file(info.filename):
            continue
        try:
            refusal = member_refusal(info)
            if refusal:
                raise ArchiveLimit(refusal)
            names.add_json(_read_bytes(zf, info, budget, MAX_JSON_BYTES))
        except Exception as exc:  # noqa: BLE001 - the names are lost, not the activities
            reason = _describe_member_error(exc)
            yield FileItem(name=f"{label}:{info.filename}", error=f"{reason}; names not read")


def zip_items(
    label: str, zf: zipfile.ZipFile, budget: Budget, depth: int, names: StartNames | None = None
) -> Iterator[FileItem]:
    """The archive's items, member by member in archive order (each read once)."""
    names = names if names is not None else StartNames()
    hints, errors, csv_name = _strava_hints(zf, budget, label)
    yield from errors
    yield from _garmin_names(zf, budget, label, names)
    for info in zf.infolist():
        if info.is_dir() or not is_activity_name(info.filename) or info.filename == csv_name:
            continue
        member = f"{label}:{info.filename}"
        reason = unsafe_member_name(info.filename) or member_refusal(info)
        if reason:
            yield FileItem(name=member, error=f"refused: {reason}")
            continue
        if budget.members_left <= 0:
            yield FileItem(name=member, error=f"refused: more than {MAX_MEMBERS} archive members")
            return
        budget.members_left -= 1
        title, sport = hints.get(info.filename, (None, None))
        if info.filename.lower().endswith(".zip"):
            yield from _nested(member, zf, info, budget, depth, names)
            continue
        try:
            content = _read_bytes(zf, info, budget, MAX_MEMBER_BYTES)
        except Exception as exc:  # noqa: BLE001 - one bad member is one error line
            yield FileItem(name=member, error=_describe_member_error(exc))
            continue
        if sniff(content[:4]) == ZIP:
            yield from _nested_bytes(member, content, budget, depth, names)
            continue
        yield FileItem(
            name=member,
            data=content,
            sport_hint=sport,
            name_hint=title,
            inflate_limit=max(0, min(MAX_MEMBER_BYTES, budget.remaining)),
        )


def _nested(
    member: str,
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: Budget,
    depth: int,
    names: StartNames,
) -> Iterator[FileItem]:
    if depth >= MAX_NESTING:
        yield FileItem(name=member, error="refused: archives nested too deeply")
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        try:
            read_member(zf, info, budget, spool, budget.remaining)
            spool.seek(0)
            inner = zipfile.ZipFile(spool)
        except Exception as exc:  # noqa: BLE001
            yield FileItem(name=member, error=_describe_member_error(exc))
            return
        with inner:
            yield from zip_items(member, inner, budget, depth + 1, names)


def _nested_bytes(
    member: str, content: bytes, budget: Budget, depth: int, names: StartNames
) -> Iterator[FileItem]:
    if depth >= MAX_NESTING:
        yield FileItem(name=member, error="refused: archives nested too deeply")
        return
    try:
        inner = zipfile.ZipFile(io.BytesIO(content))
    except Exception as exc:  # noqa: BLE001
        yield FileItem(name=member, error=f"not a readable zip archive ({exc})")
        return
    with inner:
        yield from zip_items(member, inner, budget, depth + 1, names)


def _is_summary_csv(path: Path) -> bool:
    """A CSV in a folder is picked up only when it is a known summary export."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open("rb") as fh:
            return sniff_summary_csv(fh.read(4096)) is not None
    except OSError:
        return False


def _is_zip_path(path: Path) -> bool:
    if path.suffix.lower() == ".zip":
        return True
    with path.open("rb") as fh:
        return sniff(fh.read(4)) == ZIP


@dataclass
class _Input:
    path: Path
    hint: tuple[str | None, str | None] = (None, None)
    members: int | None = None  # a zip archive: its activity members (counted once)
    error: str | None = None


class ItemStream:
    """Every importable item under the given paths, in a stable order, produced lazily.

    `total` is the number of items known so far: files and top-level archive members are
    counted up front (one look at each archive's directory); nested archives add theirs as
    they are reached.
    """

    def __init__(self, paths: Sequence[Path]):
        self.inputs: list[_Input] = []
        self.early: list[FileItem] = []
        self.names = StartNames()  # Garmin export activity names, by start time
        for raw in paths:
            self._plan(Path(raw))
        self.total = len(self.early) + sum(
            i.members if i.members is not None else 1 for i in self.inputs
        )

    def _plan(self, path: Path) -> None:
        if path.is_dir():
            hints, errors = folder_hints(path)
            self.early.extend(errors)
            for names_file in sorted(p for p in path.rglob("*") if is_names_file(p.name)):
                try:
                    self.names.add_json(names_file.read_bytes())
                except Exception as exc:  # noqa: BLE001 - names lost, not activities
                    self.early.append(
                        FileItem(
                            name=str(names_file), error=f"not readable ({exc}); names not read"
                        )
                    )
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and (is_activity_name(p.name) or _is_summary_csv(p))
            )
            for file in files:
                self._plan_file(file, hints.get(file.resolve(), (None, None)))
        elif path.is_file():
            self._plan_file(path, (None, None))
        else:
            self.early.append(FileItem(name=str(path), error="no such file or folder"))

    def _plan_file(self, file: Path, hint: tuple[str | None, str | None]) -> None:
        try:
            if not _is_zip_path(file):
                self.inputs.append(_Input(file, hint))
                return
            with zipfile.ZipFile(file) as zf:  # not kept open: a folder may hold many
                self.inputs.append(_Input(file, members=count_members(zf)))
        except OSError as exc:
            self.inputs.append(_Input(file, error=f"cannot read: {exc.strerror or exc}"))
        except Exception as exc:  # noqa: BLE001 - BadZipFile, a truncated directory ...
            self.inputs.append(_Input(file, error=f"not a readable zip archive ({exc})"))

    def __iter__(self) -> Iterator[FileItem]:
        yield from self.early
        for item in self.inputs:
            if item.error:
                yield FileItem(name=str(item.path), error=item.error)
            elif item.members is None:
                title, sport = item.hint
                yield FileItem(
                    name=str(item.path), path=item.path, sport_hint=sport, name_hint=title
                )
            else:
                yield from self._archive(item)

    def _archive(self, item: _Input) -> Iterator[FileItem]:
        counted = item.members or 0
        seen = 0
        try:
            archive = zipfile.ZipFile(item.path)
        except Exception as exc:  # noqa: BLE001 - changed or removed since it was counted
            yield FileItem(name=str(item.path), error=f"not a readable zip archive ({exc})")
            return
        budget = Budget.for_archive(item.path.stat().st_size)
        with archive:
            for member in zip_items(str(item.path), archive, budget, 1, self.names):
                seen += 1
                if seen > counted:
                    self.total += 1
                yield member
