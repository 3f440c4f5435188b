"""What every CLI command shares: the database option, the console, clean error exits."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from strideback.store.db import Database, open_database

console = Console()
err_console = Console(stderr=True)

_state: dict[str, Any] = {"db_url": None}


def set_db_url(url: str | None) -> None:
    _state["db_url"] = url


def get_db() -> Database:
    """The database chosen by `--db`, `STRIDEBACK_DB`, or the default SQLite file."""
    return open_database(_state["db_url"])


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")


def fail(message: str, code: int = 1) -> None:
    """Print one clear error line and exit."""
    import typer

    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)
