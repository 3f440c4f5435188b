"""Recognise a file's format from its first bytes (the extension is only a fallback)."""

from __future__ import annotations

FIT, GPX, TCX, GZIP, ZIP, EMPTY, CSV = "fit", "gpx", "tcx", "gzip", "zip", "empty", "csv"
EXTENSIONS = {".fit": FIT, ".gpx": GPX, ".tcx": TCX, ".gz": GZIP, ".zip": ZIP, ".csv": CSV}


def sniff(data: bytes) -> str | None:
    """fit | gpx | tcx | gzip | zip | empty, or None when the bytes say nothing we know."""
    if not data:
        return EMPTY
    if data[:2] == b"\x1f\x8b":
        return GZIP
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return ZIP
    if len(data) >= 12 and data[0] in (12, 14) and data[8:12] == b".FIT":
        return FIT
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        if b"<gpx" in head:
            return GPX
        if b"<TrainingCenterDatabase" in head:
            return TCX
    return None


def format_from_name(name: str) -> str | None:
    lower = name.lower()
    for ext, fmt in EXTENSIONS.items():
        if lower.endswith(ext):
            return fmt
    return None


def is_activity_name(name: str) -> bool:
    """Names we pick up when walking folders and archives."""
    lower = name.lower()
    return lower.endswith((".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz", ".zip"))
