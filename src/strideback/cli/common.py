"""What every CLI command shares: the database option, the console, clean error exits."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console

from strideback.accounts.service import local_runner
from strideback.store.db import Database, open_database

console = Console()
err_console = Console(stderr=True)

_state: dict[str, Any] = {"db_url": None}


def set_db_url(url: str | None) -> None:
    _state["db_url"] = url


def get_db() -> Database:
    """The database chosen by `--db`, `STRIDEBACK_DB`, or the default SQLite file, acting for
    the local runner (issue #12: one database may hold many runners; the CLI is the local one's).

    A URL that does not parse, names a driver we lack, or points at a server that does not
    answer ends the command with one line saying so (exit 2), not a traceback.
    """
    url = _state["db_url"]
    try:
        db = open_database(url)
        return db.for_runner(local_runner(db))  # the CLI acts for the local runner "me"
    except Exception as exc:  # any driver, URL or migration failure: one clear line
        fail(f"cannot open the database {_shown(url)}: {_first_line(exc)}", code=2)
        raise  # unreachable: fail() exits


def get_runner_db(username: str | None) -> Database:
    """`get_db()`, or with `--runner NAME` the database acting for that runner's account
    (clinic mode: the admin backs up or restores one runner on the server)."""
    db = get_db()
    if username is None:
        return db
    from strideback.accounts.service import list_users

    found = [u for u in list_users(db) if u.username == username.strip().lower()]
    if not found or found[0].role != "runner":
        fail(f"--runner: no runner account named {username!r} (see `strideback users list`)")
    return db.for_runner(found[0].id)


def _shown(url: str | None) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from strideback.store.db import default_url

    raw = url or default_url()
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return repr(raw.split("@")[-1]) if "@" in raw else repr(raw)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, default=str, ensure_ascii=False) + "\n")


def confirm(question: str) -> bool:
    """Ask yes/no on stderr (default no); no answer at all (no terminal, end of input) is no."""
    import typer

    try:
        return bool(typer.confirm(question, default=False, err=True))
    except typer.Abort:
        err_console.print()
        return False


def confirm_delete(what: str, yes: bool) -> None:
    """Ask before deleting `what` unless `--yes` was given; a no (or no answer: no terminal,
    end of input) ends the command with exit 1 and nothing deleted."""
    import typer

    if not yes and not confirm(f"Delete {what}?"):
        err_console.print("nothing deleted (add --yes to delete without being asked)")
        raise typer.Exit(1)


def fail(message: str, code: int = 1) -> None:
    """Print one clear error line and exit."""
    import typer
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)
