"""`strideback users`: the admin's accounts commands for clinic mode."""

from __future__ import annotations

import typer

from strideback.cli.common import console, fail, get_db, print_json


def register(app: typer.Typer) -> None:
    users = typer.Typer(
        help="Accounts for clinic mode (admin): add, list, reset.", no_args_is_help=True
    )

    @users.command("add")
    def add(
        username: str = typer.Argument(..., help="Login name (lower-case letters, digits, . _ -)."),
        role: str = typer.Option("runner", "--role", help="admin | clinician | runner"),
        name: str | None = typer.Option(None, "--name", help="Name shown on the board."),
        clinician: int | None = typer.Option(None, "--clinician", help="Clinician's user id."),
        password: bool = typer.Option(False, "--password", help="Type a password now."),
    ) -> None:
        """Add a user; without --password it prints a one-time invite code."""
        from strideback.accounts.model import AccountError
        from strideback.accounts.service import add_user, create_invite

        secret = (
            typer.prompt("Password", hide_input=True, confirmation_prompt=True)
            if password
            else None
        )
        db = get_db()
        try:
            user = add_user(
                db, username, role, display_name=name, password=secret, clinician_id=clinician
            )
        except AccountError as exc:
            fail(str(exc), 2)
            return
        console.print(f"Added {user.role} [bold]{user.username}[/] (id {user.id}).")
        if secret is None:
            code = create_invite(db, user.id)
            console.print(f"One-time invite code (valid 7 days): [bold]{code}[/]")
            console.print(f"They set their password at [bold]/invite/{code}[/] on the dashboard.")

    @users.command("list")
    def list_(json_out: bool = typer.Option(False, "--json")) -> None:
        """Every user with role and clinician."""
        from strideback.accounts.service import list_users

        found = list_users(get_db())
        if json_out:
            print_json([u.__dict__ for u in found])
            return
        for u in found:
            assigned = f", clinician {u.clinician_id}" if u.clinician_id else ""
            state = "" if u.has_password else " (invited)"
            console.print(f"{u.id:>4}  {u.username:<20} {u.role}{assigned}{state}")

    @users.command("reset")
    def reset(username: str = typer.Argument(...)) -> None:
        """Clear a user's password and print a new one-time code."""
        from strideback.accounts.model import AccountError
        from strideback.accounts.service import reset_password

        try:
            code = reset_password(get_db(), username)
        except AccountError as exc:
            fail(str(exc), 2)
            return
        console.print(f"Password cleared. One-time code (valid 7 days): [bold]{code}[/]")
        console.print(f"They set a new password at [bold]/invite/{code}[/] on the dashboard.")

    app.add_typer(users, name="users")
