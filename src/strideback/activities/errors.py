"""Why a file was not imported: an error (bad input) or a skip (valid, but not an activity)."""

from __future__ import annotations


class ImportFailure(Exception):
    """The file is corrupt or unreadable; the message is the reason shown to the user."""


class NotAnActivity(Exception):
    """The file is valid but holds no activity (course, settings, workout, monitoring ...)."""
