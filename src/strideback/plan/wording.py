"""Plain words for the runner: no internal document references or section marks.

The data files keep their citations for clinicians and developers; what a runner reads goes
through `plain_words`, and real references come from `explain`.
"""

from __future__ import annotations

import re

# A bracketed or parenthesised group that cites the internal notes (one nested level allowed).
_GROUP = re.compile(
    r"\s*[\(\[](?:[^\(\)\[\]]|\([^\(\)]*\))*?(?:evidence\.md|§)(?:[^\(\)\[\]]|\([^\(\)]*\))*[\)\]]"
)
_BARE = re.compile(r"\s*(?:evidence\.md\s*)?§\s*[\w.]+(?:\s*(?:,|and)\s*§?\s*[\w.]+)*")
_FILE = re.compile(r"\s*evidence\.md")
_SPACES = re.compile(r"\s+([.,;:])")


def plain_words(text: str) -> str:
    """`text` without references to internal documents ("evidence.md §5e", "§3a")."""
    if not text or ("§" not in text and "evidence.md" not in text):
        return text
    out = _GROUP.sub("", text)
    out = _BARE.sub("", out)
    out = _FILE.sub("", out)
    out = _SPACES.sub(r"\1", out)
    out = re.sub(r"[:;,]\s*(?=\.|$)", "", out)
    out = re.sub(r"\(\s*\)", "", out)
    return re.sub(r"[ \t]{2,}", " ", out).strip()


def plain_output(value: object) -> object:
    """Jinja `finalize` hook: every string a template prints goes through `plain_words`.

    Markup (already-built HTML such as the exercise figures) is passed through untouched.
    """
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return plain_words(value)
    return value
