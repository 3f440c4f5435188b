"""`strideback serve`: run the local web dashboard (loopback only unless told otherwise)."""

from __future__ import annotations

import threading
import webbrowser

import typer

from strideback.cli.common import console, err_console, fail, get_db

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to bind (loopback by default)."),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        open_browser: bool = typer.Option(False, "--open", help="Open the dashboard in a browser."),
    ) -> None:
        """Run the local web dashboard: today, diary, load, check, plan, activities, form."""
        import uvicorn

        from strideback.web import create_app

        db = get_db()
        allowed = None if host in LOOPBACK else ["*"]
        web_app = create_app(db.url, allowed_hosts=allowed)
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
        if host in LOOPBACK:
            console.print(
                f"StrideBack dashboard on [bold]{url}[/] (bound to {host}: only this "
                "computer can reach it). Ctrl+C stops it."
            )
        else:
            err_console.print(
                f"[bold yellow]warning:[/] bound to {host}: other machines on the "
                "network can reach this dashboard and your health data. It has no "
                "login. Use --host 127.0.0.1 to keep it private."
            )
            console.print(f"StrideBack dashboard on [bold]{url}[/]. Ctrl+C stops it.")
        if open_browser:
            threading.Timer(1.0, webbrowser.open, args=(url,)).start()
        try:
            uvicorn.run(web_app, host=host, port=port, log_level="warning")
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc}")
