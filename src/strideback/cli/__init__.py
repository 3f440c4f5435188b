"""The `strideback` command line: one Typer app, one module per capability.

Each capability module exposes `register(app)` and adds its own commands.
"""

from __future__ import annotations

import importlib

import typer

from strideback import DISCLAIMER, __version__
from strideback.cli.common import set_db_url

app = typer.Typer(
    name="strideback",
    help="Get back to pain-free running. " + DISCLAIMER,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command inherits it
)

# Capability modules, in the order their commands appear in --help.
COMMAND_MODULES = (
    "strideback.cli.history",  # import, activities
    "strideback.cli.load",  # load
    "strideback.cli.coach",  # check, plan, today, log, settings
    "strideback.cli.backup",  # export, restore (import-backup): after coach, whose old
    # export/import-backup commands it replaces until they are removed from cli/coach.py
    "strideback.cli.form",  # form, metronome
    "strideback.cli.web",  # serve
    "strideback.cli.users",  # users (clinic mode accounts)
    "strideback.cli.report",  # report (progress report PDF)
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"strideback {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: str | None = typer.Option(
        None, "--db", help="Database URL (default: SQLite in your data folder; or STRIDEBACK_DB)."
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    set_db_url(db)


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app()
