"""One backup format for everything StrideBack stores: `export_backup` / `restore_backup`.

A backup is a zip holding a manifest (format version, app version, schema, row counts and
SHA-256 checksums), one JSON-lines file per table (every table in the SQLAlchemy metadata,
so a new table is included without touching this package), the files the rows point to
under the data folder (form reports, metrics; videos on request) and readable CSV copies.
"""

from strideback.backup.archive import (
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    ExportSummary,
    RestoreSummary,
    export_backup,
    restore_backup,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "BackupError",
    "ExportSummary",
    "RestoreSummary",
    "export_backup",
    "restore_backup",
]
