"""Write a backup zip of one runner's data (and the files rows point to); restore one, checked.

A backup holds the rows of the runner the database acts for (`db.for_runner`, the local
runner by default), without their runner id; a restore writes them as the restoring runner's
and touches no other runner's rows. Accounts are not part of a backup.

Layout of the zip:
    manifest.json            format, versions, schema heads, per-table rows and SHA-256,
                             per-file size and SHA-256, and `content_sha256` over them all
    tables/<table>.jsonl     one JSON object per row, ordered by primary key
    files/<path>             files under the data folder that rows point to (form reports,
                             metrics; videos only with `with_videos`)
    csv/<table>.csv          readable copies (ISO 8601 times with offset, formulas defused)

Restore reads the whole backup and checks every row (types, then the same rules as the
forms) before it writes anything, then writes in one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from sqlalchemy import Integer, UniqueConstraint, delete, func, select, text
from sqlalchemy import Table as SqlTable
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from strideback import __version__
from strideback.backup.codec import (
    HOME_TOKEN,
    OWNER,
    FieldError,
    backup_columns,
    decode_row,
    encode_row,
)
from strideback.backup.csvsafe import write_rows
from strideback.backup.validate import check_row
from strideback.store.db import Database, data_dir, migration_heads
from strideback.store.models import Base

FORMAT = "strideback-backup"
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
# Not part of a backup: progress rows of background jobs (they belong to a running server),
# and a clinician's private notes on the runner (the clinician's records, not the runner's:
# they stay in the clinic's database and are backed up with it).
EXCLUDED_TABLES = frozenset({"web_jobs", "clinic_notes"})
# References by id without a foreign key (the tables belong to different capabilities):
# restored after their parent, and following its new ids.
SOFT_REFERENCES = {("coach_diary", "activity_id"): "activities"}
# Tables a backup made before issue #12 may hold that a runner's restore leaves alone.
IGNORED_TABLES = frozenset(
    {"accounts_users", "accounts_invites", "accounts_login_failures", "accounts_sessions"}
)
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv")
# A backup is read member by member; these keep a hostile zip from filling memory or disk.
MAX_MEMBERS = 200_000
MAX_TOTAL_BYTES = 64 * 2**30
MAX_RATIO = 200  # uncompressed / compressed, for members over 1 MiB
MAX_MANIFEST_BYTES = 16 * 2**20
MAX_LINE_BYTES = 512 * 2**20
CHUNK = 1 << 20

Mode = Literal["empty", "replace", "merge"]


class BackupError(ValueError):
    """A backup that cannot be written or restored; the message names file, row and field."""


@dataclass
class ExportSummary:
    path: Path
    rows: dict[str, int]
    files: int
    content_sha256: str


@dataclass
class RestoreSummary:
    mode: str
    written: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    files: int = 0

    def describe(self) -> str:
        parts = [f"{table} {n}" for table, n in self.written.items() if n]
        skipped = sum(self.skipped.values())
        text_ = ", ".join(parts) or "nothing new"
        if skipped:
            text_ += f" ({skipped} rows already there)"
        if self.files:
            text_ += f", {self.files} files"
        return text_


def backed_up_tables() -> list[SqlTable]:
    """Every runner-owned table, parents before children (soft references included)."""
    ordered = [
        t for t in Base.metadata.sorted_tables if OWNER in t.c and t.name not in EXCLUDED_TABLES
    ]
    for (child, _column), parent in SOFT_REFERENCES.items():
        names = [t.name for t in ordered]
        if child in names and parent in names and names.index(child) < names.index(parent):
            moved = ordered.pop(names.index(child))
            ordered.insert(names.index(parent), moved)  # right after the parent
    return ordered


_RUNNER_FOLDER = re.compile(r"^(form|uploads)/runner-\d+(/|$)")


def runner_path(rel: str, runner: int) -> str:
    """A data-folder path of a backup's runner folder (`form/runner-<id>/...`) as the restoring
    runner's: a restored clip never lands in (or overwrites) another runner's folder."""
    return _RUNNER_FOLDER.sub(lambda m: f"{m.group(1)}/runner-{runner}{m.group(2)}", rel)


def _runner(db: Database) -> int:
    runner = db.runner_id
    if runner is None:
        raise BackupError("no runner chosen: a backup holds one runner's data")
    return runner


def _homes() -> tuple[str, ...]:
    home = data_dir()
    return tuple(dict.fromkeys([str(home), str(home.resolve())]))


def _encode(table: SqlTable, row: Any, homes: tuple[str, ...]) -> dict[str, Any]:
    encoded = encode_row(table, row, homes[0])
    for other in homes[1:]:
        for key, value in encoded.items():
            if isinstance(value, str) and (value == other or value.startswith(other + "/")):
                encoded[key] = HOME_TOKEN + value[len(other) :]
    return encoded


def _line(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode()


def content_checksum(tables: dict[str, Any], files: dict[str, Any]) -> str:
    """One SHA-256 over every table's and file's checksum: equal content, equal value."""
    doc = {
        "tables": {name: info["sha256"] for name, info in sorted(tables.items())},
        "files": {name: info["sha256"] for name, info in sorted(files.items())},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


# --------------------------------------------------------------------------- export


def export_backup(
    db: Database, out: Path, *, with_videos: bool = False, now: dt.datetime | None = None
) -> ExportSummary:
    """Write the runner's data (and the files its rows point to) to `out` (.zip).

    The zip is written next to `out` and moved into place at the end: a failed export
    leaves no half-written file.
    """
    out = Path(out)
    runner = _runner(db)
    out.parent.mkdir(parents=True, exist_ok=True)
    homes = _homes()
    now = now or dt.datetime.now(dt.UTC)
    handle, tmp_name = tempfile.mkstemp(prefix=".strideback-export-", dir=out.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        tables: dict[str, Any] = {}
        files: dict[str, Any] = {}
        referenced: set[str] = set()
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            with db.session() as session:
                for table in backed_up_tables():
                    tables[table.name] = _export_table(
                        zf, session, table, runner, homes, referenced
                    )
            for rel in sorted(referenced):
                for path, name in _referenced_files(rel, with_videos):
                    files[name] = _add_file(zf, path, name)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": __version__,
                "created_at": now.isoformat(),
                "schema": sorted(migration_heads()),
                "with_videos": with_videos,
                "tables": tables,
                "files": files,
                "content_sha256": content_checksum(tables, files),
            }
            zf.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return ExportSummary(
        path=out,
        rows={name: info["rows"] for name, info in tables.items()},
        files=len(files),
        content_sha256=str(manifest["content_sha256"]),
    )


def _export_table(
    zf: zipfile.ZipFile,
    session: Session,
    table: SqlTable,
    runner: int,
    homes: tuple[str, ...],
    referenced: set[str],
) -> dict[str, Any]:
    name = f"tables/{table.name}.jsonl"
    digest = hashlib.sha256()
    rows = 0
    csv_columns = [c.name for c in backup_columns(table) if not _is_binary(c)]
    local = {"start_time", "utc_offset_s"} <= set(csv_columns)
    if local:
        csv_columns.insert(csv_columns.index("start_time") + 1, "start_time_local")
    csv_buffer = io.StringIO(newline="")
    csv_rows: list[dict[str, Any]] = []
    query = select(table).where(table.c[OWNER] == runner).order_by(*table.primary_key.columns)
    with zf.open(name, "w", force_zip64=True) as member:
        for row in session.execute(query):
            encoded = _encode(table, row, homes)
            line = _line(encoded)
            member.write(line)
            digest.update(line)
            rows += 1
            for value in encoded.values():
                if isinstance(value, str) and value.startswith(HOME_TOKEN + "/"):
                    referenced.add(value[len(HOME_TOKEN) + 1 :])
            readable = {c: row._mapping[table.c[c]] for c in csv_columns if c in table.c}
            if local:
                readable["start_time_local"] = _local_time(readable)
            csv_rows.append(readable)
            if len(csv_rows) >= 1000:
                _flush_csv(csv_buffer, csv_columns, csv_rows)
    _flush_csv(csv_buffer, csv_columns, csv_rows)
    zf.writestr(f"csv/{table.name}.csv", csv_buffer.getvalue())
    return {
        "file": name,
        "rows": rows,
        "sha256": digest.hexdigest(),
        "columns": [c.name for c in backup_columns(table)],
    }


def _flush_csv(buffer: io.StringIO, columns: list[str], rows: list[dict[str, Any]]) -> None:
    if buffer.tell() == 0:
        write_rows(buffer, columns, rows)
    else:
        chunk = io.StringIO(newline="")
        write_rows(chunk, columns, rows)
        buffer.write(chunk.getvalue().split("\r\n", 1)[1])  # without the header again
    rows.clear()


def _local_time(row: dict[str, Any]) -> str | None:
    start, offset = row.get("start_time"), row.get("utc_offset_s")
    if not isinstance(start, dt.datetime) or offset is None:
        return None
    zone = dt.timezone(dt.timedelta(seconds=int(offset)))
    return start.replace(tzinfo=dt.UTC).astimezone(zone).isoformat()


def _is_binary(column: Any) -> bool:
    from sqlalchemy import LargeBinary

    return isinstance(column.type, LargeBinary)


def _referenced_files(rel: str, with_videos: bool) -> Iterator[tuple[Path, str]]:
    """The files (a file, or every file of a folder) a row's home path names."""
    home = data_dir().resolve()
    path = (home / rel).resolve()
    if home not in path.parents:
        return
    candidates = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for item in candidates:
        if not item.is_file() or item.is_symlink():
            continue
        if item.suffix.lower() in VIDEO_SUFFIXES and not with_videos:
            continue
        yield item, "files/" + item.relative_to(home).as_posix()


def _add_file(zf: zipfile.ZipFile, path: Path, name: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    size = 0
    method = zipfile.ZIP_STORED if path.suffix.lower() in VIDEO_SUFFIXES else zipfile.ZIP_DEFLATED
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = method
    with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    return {"bytes": size, "sha256": digest.hexdigest()}


# --------------------------------------------------------------------------- restore


def restore_backup(
    db: Database, path: Path, *, mode: Mode = "empty", today: dt.date | None = None
) -> RestoreSummary:
    """Restore a backup zip into `db`.

    mode "empty" (default): only into a database that holds no data, exactly as exported.
    "replace": the database's data is replaced by the backup's. "merge": rows not already
    there (same natural key or content) are added; running it twice adds nothing the second
    time. Nothing is written unless every row of the backup passes its checks.
    """
    path = Path(path)
    today = today or dt.date.today()
    if mode not in ("empty", "replace", "merge"):
        raise BackupError(f"unknown restore mode {mode!r}: use empty, replace or merge")
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise BackupError(f"{path.name}: not a readable zip file ({exc})") from None
    with zf:
        manifest = _read_manifest(zf, path)
        tables = _tables_of(manifest, path)
        for table in tables:  # pass 1: check everything, write nothing
            for _ in _rows(zf, path, manifest, table, today):
                pass
        files = _check_files(zf, path, manifest)
        staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir()))
        try:
            for name in files:
                _extract(zf, name, staging / name.removeprefix("files/"))
            summary = _write(db, zf, path, manifest, tables, mode, today)
            summary.files = _move_files(staging, _runner(db), overwrite=mode != "merge")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    from strideback.preferences import forget_cached_preferences

    forget_cached_preferences()
    return summary


def _fail(path: Path, problem: str) -> BackupError:
    return BackupError(f"{path.name}: {problem}")


def _read_manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _fail(path, f"{len(infos)} members is more than a backup holds ({MAX_MEMBERS})")
    if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        raise _fail(path, "the archive unpacks to more than 64 GiB; refused")
    for info in infos:
        name = PurePosixPath(info.filename)
        if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
            raise _fail(path, f"member {info.filename!r} has an unsafe name")
        if info.file_size > CHUNK and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _fail(path, f"member {info.filename} is compressed suspiciously well; refused")
    try:
        info = zf.getinfo(MANIFEST)
    except KeyError:
        if any(i.filename.endswith("strideback-backup.json") for i in infos):
            raise _fail(
                path, "an older StrideBack export (coach data only): restore its JSON file"
            ) from None
        raise _fail(path, f"not a StrideBack backup (no {MANIFEST})") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _fail(path, f"{MANIFEST} is too large")
    try:
        manifest = json.loads(zf.read(MANIFEST).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
        raise _fail(path, f"{MANIFEST} is not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _fail(path, f"not a StrideBack backup ({MANIFEST} format is not {FORMAT!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 2:
        raise _fail(path, f"unsupported backup format version {version!r}")
    if version > FORMAT_VERSION:
        raise _fail(path, f"made by a newer StrideBack (format {version}); update StrideBack")
    unknown_heads = set(manifest.get("schema") or []) - set(migration_heads())
    if unknown_heads:
        raise _fail(path, "made by a newer StrideBack (database schema "
                    f"{', '.join(sorted(unknown_heads))}); update StrideBack")  # fmt: skip
    if not isinstance(manifest.get("tables"), dict) or not isinstance(manifest.get("files"), dict):
        raise _fail(path, f"{MANIFEST} lacks its tables or files list")
    return manifest


def _tables_of(manifest: dict[str, Any], path: Path) -> list[SqlTable]:
    known = {t.name: t for t in backed_up_tables()}
    unknown = set(manifest["tables"]) - set(known) - IGNORED_TABLES
    if unknown:
        raise _fail(path, f"unknown tables {', '.join(sorted(unknown))} (a newer StrideBack?)")
    return [t for t in backed_up_tables() if t.name in manifest["tables"]]


def _rows(
    zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any], table: SqlTable, today: dt.date
) -> Iterator[dict[str, Any]]:
    """The checked rows of one table; BackupError naming file, row and field otherwise."""
    info = manifest["tables"][table.name]
    member = f"tables/{table.name}.jsonl"
    if not isinstance(info, dict) or info.get("file", member) != member:
        raise _fail(path, f"{MANIFEST}: bad entry for table {table.name}")
    home = str(data_dir())
    digest = hashlib.sha256()
    count = 0
    try:
        handle: IO[bytes] = zf.open(member)
    except KeyError:
        raise _fail(path, f"{member} is missing") from None
    with handle:
        while line := handle.readline(MAX_LINE_BYTES + 1):
            if len(line) > MAX_LINE_BYTES:
                raise _fail(path, f"{member} row {count + 1}: the row is too large")
            digest.update(line)
            count += 1
            try:
                raw = json.loads(line)
                row = decode_row(table, raw, home)
                check_row(table.name, row, today)
            except FieldError as exc:
                raise _fail(path, f"{member} row {count}{_row_label(table, raw)}: {exc}") from None
            except (ValueError, UnicodeDecodeError) as exc:
                raise _fail(path, f"{member} row {count}: not valid JSON ({exc})") from None
            yield row
    if count != info.get("rows"):
        raise _fail(path, f"{member} holds {count} rows, the manifest says {info.get('rows')}")
    if digest.hexdigest() != info.get("sha256"):
        raise _fail(path, f"{member} does not match its checksum (damaged or edited)")


def _row_label(table: SqlTable, raw: Any) -> str:
    if not isinstance(raw, dict):
        return ""
    keys = [c.name for c in table.primary_key.columns if c.name in raw]
    return " (" + ", ".join(f"{k} {raw[k]}" for k in keys) + ")" if keys else ""


def _check_files(zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any]) -> list[str]:
    names = []
    for name, info in sorted(manifest["files"].items()):
        if not name.startswith("files/") or not isinstance(info, dict):
            raise _fail(path, f"{MANIFEST}: bad file entry {name!r}")
        digest = hashlib.sha256()
        try:
            with zf.open(name) as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
        except KeyError:
            raise _fail(path, f"{name} is missing") from None
        if digest.hexdigest() != info.get("sha256"):
            raise _fail(path, f"{name} does not match its checksum (damaged or edited)")
        names.append(name)
    return names


def _extract(zf: zipfile.ZipFile, name: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(name) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)


def _move_files(staging: Path, runner: int, overwrite: bool) -> int:
    home = data_dir()
    moved = 0
    for item in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = home / runner_path(item.relative_to(staging).as_posix(), runner)
        if target.exists() and not overwrite:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(item, target)
        moved += 1
    return moved


def _write(
    db: Database,
    zf: zipfile.ZipFile,
    path: Path,
    manifest: dict[str, Any],
    tables: list[SqlTable],
    mode: Mode,
    today: dt.date,
) -> RestoreSummary:
    summary = RestoreSummary(mode=mode)
    runner = _runner(db)

    home = str(data_dir()) + "/"

    def owned(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            row[OWNER] = runner
            for key, value in row.items():
                if isinstance(value, str) and value.startswith(home):
                    row[key] = home + runner_path(value[len(home) :], runner)
            yield row

    try:
        with db.session() as session:
            held = _row_counts(session, runner)
            if mode == "empty" and any(held.values()):
                listed = ", ".join(f"{n} {t}" for t, n in held.items() if n)
                raise _fail(path, f"the database already holds data ({listed}); restore "
                            "with --replace to overwrite it or --merge to add to it")  # fmt: skip
            if mode in ("empty", "replace"):
                for table in reversed(backed_up_tables()):
                    session.execute(delete(table).where(table.c[OWNER] == runner))
                if _others_hold_rows(session, tables, runner):
                    # Ids are shared by every runner of the database: the rows get new ones
                    # (children follow their parents), as a merge into nothing would.
                    new_ids: dict[str, dict[Any, Any]] = {}
                    for table in tables:
                        rows = owned(_rows(zf, path, manifest, table, today))
                        summary.written[table.name] = _merge_table(
                            session, table, rows, new_ids, dedupe=False
                        )[0]
                else:  # the only runner: exactly as exported, ids included
                    for table in tables:
                        summary.written[table.name] = _insert_all(
                            session, table, owned(_rows(zf, path, manifest, table, today))
                        )
                    if db.engine.dialect.name == "postgresql":
                        _reset_sequences(session, tables)
            else:
                ids: dict[str, dict[Any, Any]] = {}
                for table in tables:
                    written, skipped = _merge_table(
                        session, table, owned(_rows(zf, path, manifest, table, today)), ids
                    )
                    summary.written[table.name] = written
                    summary.skipped[table.name] = skipped
    except SQLAlchemyError as exc:
        raise _fail(path, f"the backup's rows do not fit together ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0]})") from None  # fmt: skip
    return summary


def _others_hold_rows(session: Session, tables: list[SqlTable], runner: int) -> bool:
    """Whether another runner has rows in a table whose ids a restore would reuse."""
    return any(
        session.scalar(select(t.c[OWNER]).where(t.c[OWNER] != runner).limit(1)) is not None
        for t in tables
        if _autoincrement_key(t) is not None
    )


def _row_counts(session: Session, runner: int) -> dict[str, int]:
    return {
        t.name: int(
            session.scalar(select(func.count()).select_from(t).where(t.c[OWNER] == runner)) or 0
        )
        for t in backed_up_tables()
    }


def _insert_all(session: Session, table: SqlTable, rows: Iterator[dict[str, Any]]) -> int:
    batch: list[dict[str, Any]] = []
    total = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= 200:
            session.execute(table.insert(), batch)
            total += len(batch)
            batch = []
    if batch:
        session.execute(table.insert(), batch)
        total += len(batch)
    return total


def _reset_sequences(session: Session, tables: list[SqlTable]) -> None:
    for table in tables:
        key = _autoincrement_key(table)
        if key is None:
            continue
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{key}'), "
                f"COALESCE((SELECT MAX({key}) FROM {table.name}), 0) + 1, false)"
            )
        )


def _autoincrement_key(table: SqlTable) -> str | None:
    """The surrogate integer id of a table (its rows get new ids when merged), if any."""
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, Integer) and not pk[0].foreign_keys:
        if pk[0].autoincrement in (True, "auto"):
            return pk[0].name
    return None


def natural_key(table: SqlTable) -> list[str]:
    """The columns that say "the same row" when merging: a unique constraint, else a
    primary key that is not a surrogate id, else every column but the id (content)."""
    for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
        if isinstance(constraint, UniqueConstraint) and constraint.columns:
            return [c.name for c in constraint.columns]
    surrogate = _autoincrement_key(table)
    if surrogate is None:
        return [c.name for c in table.primary_key.columns]
    return [c.name for c in table.columns if c.name != surrogate]


def _merge_table(
    session: Session,
    table: SqlTable,
    rows: Iterator[dict[str, Any]],
    ids: dict[str, dict[Any, Any]],
    *,
    dedupe: bool = True,
) -> tuple[int, int]:
    """Add `rows` with new surrogate ids (recorded in `ids` for the children); with `dedupe`,
    a row whose natural key is already there is skipped (its id mapped to the one there)."""
    surrogate = _autoincrement_key(table)
    key = natural_key(table)
    mapping = ids.setdefault(table.name, {})
    written = skipped = 0
    for row in rows:
        for column in table.columns:  # follow the parents' new ids
            parents = [fk.column.table.name for fk in column.foreign_keys]
            if (table.name, column.name) in SOFT_REFERENCES:
                parents.append(SOFT_REFERENCES[(table.name, column.name)])
            for name in parents:
                parent = ids.get(name)
                if parent is not None and row.get(column.name) in parent:
                    row[column.name] = parent[row[column.name]]
        conditions = [
            table.c[k].is_(None) if row.get(k) is None else table.c[k] == row[k] for k in key
        ]
        target = table.c[surrogate] if surrogate else list(table.primary_key.columns)[0]
        existing = (
            session.execute(select(target).where(*conditions).limit(1)).first() if dedupe else None
        )
        old_id = row.get(surrogate) if surrogate else None
        if existing is not None:
            skipped += 1
            if surrogate:
                mapping[old_id] = existing[0]
            continue
        if surrogate:
            row.pop(surrogate, None)
        if surrogate:
            new_id = session.execute(table.insert().values(**row).returning(table.c[surrogate]))
            mapping[old_id] = new_id.scalar_one()
        else:
            session.execute(table.insert().values(**row))
        written += 1
    return written, skipped
