"""What every command shares: -h as --help, a bad --db is one clear line (no traceback)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from strideback.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [["-h"], ["export", "-h"], ["restore", "-h"], ["serve", "-h"]])
def test_dash_h_is_help(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "--help" in result.output


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("nonsense", "Could not parse"),
        ("foo://somewhere/db", "Can't load plugin"),
        ("postgresql://runner:s3cret@127.0.0.1:1/strideback", "Connection refused"),
    ],
)
def test_bad_or_unreachable_db_is_one_clear_line(url: str, words: str) -> None:
    code = "from strideback.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", url, "activities"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: cannot open the database") and words in lines[0]
    assert "Traceback" not in done.stderr and "s3cret" not in done.stderr
    assert done.stdout == ""
