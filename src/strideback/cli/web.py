"""`strideback serve`: run the web dashboard.

Single-user (the default): no login, bound to loopback; any other address is refused.
Clinic mode (`--clinic` or STRIDEBACK_CLINIC=1): accounts on, every page behind a login,
and then it may bind to other addresses (behind a TLS reverse proxy: see the README).
"""

from __future__ import annotations

import threading
import webbrowser

import typer

from strideback.cli.common import console, fail, get_db

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        open_browser: bool = typer.Option(False, "--open", help="Open the dashboard in a browser."),
        clinic: bool = typer.Option(
            False,
            "--clinic",
            envvar="STRIDEBACK_CLINIC",
            help="Clinic mode: accounts and logins (also STRIDEBACK_CLINIC=1).",
        ),
        secure_cookies: bool = typer.Option(
            False,
            "--secure-cookies",
            help="Mark the login cookie Secure (https only): use behind a TLS reverse proxy.",
        ),
        allowed_host: list[str] = typer.Option(
            [],
            "--allowed-host",
            help="A Host name the server answers to besides loopback (the name a TLS proxy "
            "passes on, e.g. clinic.example.org); repeat for several.",
        ),
    ) -> None:
        """Run the web dashboard: today, diary, load, check, plan, activities, form."""
        if host not in LOOPBACK and not clinic:
            fail(
                f"refusing to bind to {host}: without accounts the dashboard has no login, "
                "so it only listens on 127.0.0.1. Use --clinic (accounts on) to serve a network.",
                2,
            )
        if allowed_host and not clinic:
            fail("--allowed-host serves other machines (through a proxy): it needs --clinic.", 2)
        import uvicorn

        from strideback.web import create_app
        from strideback.web.app import LOOPBACK_HOSTS

        db = get_db()
        if clinic:
            from strideback.accounts.service import has_admin

            if not has_admin(db):
                fail(
                    "clinic mode needs an admin to log in first. Create one with: "
                    "strideback users add NAME --role admin --password",
                    2,
                )
        if allowed_host:
            allowed: list[str] | None = [*LOOPBACK_HOSTS, *allowed_host]
        else:
            allowed = None if host in LOOPBACK else ["*"]
        web_app = create_app(
            db.url, allowed_hosts=allowed, clinic=clinic, secure_cookies=secure_cookies
        )
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        mode = "clinic mode, log in at /login" if clinic else "no login"
        if host in LOOPBACK:
            console.print(
                f"StrideBack dashboard on [bold]{url}[/] ({mode}; bound to {host}: only this "
                "computer can reach it). Ctrl+C stops it."
            )
        else:
            console.print(
                f"StrideBack dashboard on [bold]{url}[/] ({mode}; bound to {host}: other "
                "machines can reach it, put a TLS reverse proxy in front). Ctrl+C stops it."
            )
        if open_browser:
            threading.Timer(1.0, webbrowser.open, args=(url,)).start()
        try:
            uvicorn.run(web_app, host=host, port=port, log_level="warning")
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc}")
