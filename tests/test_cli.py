"""The entry point: fast --version, one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

from s3xrep_tui import __version__
from s3xrep_tui.cli import EXIT_USAGE, main


def test_version_imports_nothing_heavy() -> None:
    code = (
        "import sys, runpy\n"
        "sys.argv = ['s3xrep', '--version']\n"
        "try:\n"
        "    runpy.run_module('s3xrep_tui.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('boto3', 'botocore', 'moto', 'textual', 'pydantic') if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert f"s3xrep {__version__}" in out
    assert "HEAVY []" in out


def test_unknown_option_is_one_line_and_exit_2(capsys) -> None:
    assert main(["--no-such-flag"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("s3xrep: ") and err.count("\n") == 1
