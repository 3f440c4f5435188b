"""Save uploaded files safely: accepted types only (name and content sniffed), size-capped,
streamed to disk under the data folder with a sanitised name."""

from __future__ import annotations

import re
import secrets
import time
import zlib
from pathlib import Path

from starlette.datastructures import UploadFile

from strideback.store.db import data_dir
from strideback.web.config import UploadRule

CHUNK = 1 << 20


def safe_name(filename: str) -> str:
    name = Path(filename.replace("\\", "/")).name
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "upload"
    return name[:120]


def sniff_error(filename: str, head: bytes) -> str | None:
    """A message if the first bytes do not look like the type the name claims."""
    name = filename.lower()
    if name.endswith(".gz"):
        if head[:2] != b"\x1f\x8b":
            return f"{filename}: named .gz but is not gzip-compressed"
        try:
            head = zlib.decompressobj(31).decompress(head, 64)
        except zlib.error:
            return f"{filename}: damaged gzip data"
        name = name[:-3]
    if name.endswith(".zip"):
        return (
            None
            if head[:4] in (b"PK\x03\x04", b"PK\x05\x06")
            else f"{filename}: named .zip but is not a zip archive"
        )
    if name.endswith(".fit"):
        return (
            None
            if len(head) >= 12 and head[8:12] == b".FIT"
            else f"{filename}: not a FIT file (no .FIT header)"
        )
    if name.endswith((".gpx", ".tcx")):
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        return None if text.startswith(b"<") else f"{filename}: not an XML (GPX/TCX) file"
    if name.endswith((".mp4", ".mov", ".m4v")):
        return (
            None
            if head[4:8] in (b"ftyp", b"moov", b"wide", b"mdat", b"free")
            else f"{filename}: not an MP4/QuickTime video"
        )
    if name.endswith((".webm", ".mkv")):
        return None if head[:4] == b"\x1a\x45\xdf\xa3" else f"{filename}: not a WebM/MKV video"
    if name.endswith(".avi"):
        return None if head[:4] == b"RIFF" else f"{filename}: not an AVI video"
    if name.endswith(".json"):
        return None if head.lstrip().startswith((b"{", b"[")) else f"{filename}: not JSON"
    return None


def new_upload_folder(kind: str, runner: int | None = None) -> Path:
    """A fresh folder for one upload, under the runner's own folder when a runner is given."""
    root = data_dir() / "uploads"
    if runner is not None:
        root = root / f"runner-{int(runner)}"
    folder = root / f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def save_uploads(
    files: list[UploadFile], rule: UploadRule, folder: Path
) -> tuple[list[Path], list[str]]:
    """Write each accepted file into `folder`; return the paths saved and the refusals."""
    saved: list[Path] = []
    errors: list[str] = []
    total = 0
    for upload in files:
        filename = upload.filename or ""
        problem = rule.check_name(filename)
        if problem:
            errors.append(problem)
            continue
        head = await upload.read(4096)
        problem = sniff_error(filename, head)
        if problem:
            errors.append(problem)
            continue
        target = folder / safe_name(filename)
        n = 1
        while target.exists():
            target = folder / f"{n}-{safe_name(filename)}"
            n += 1
        with target.open("wb") as out:
            out.write(head)
            total += len(head)
            while chunk := await upload.read(CHUNK):
                total += len(chunk)
                if total > rule.max_bytes:
                    break
                out.write(chunk)
        if total > rule.max_bytes:
            target.unlink(missing_ok=True)
            errors.append(
                f"{filename}: the upload is over the {rule.max_bytes // 1048576} MiB limit"
            )
            break
        saved.append(target)
    if not files:
        errors.append(f"Choose at least one file: {rule.label}.")
    return saved, errors
