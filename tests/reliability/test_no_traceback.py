"""No traceback reaches a user: every command with unusable data, state and config directories.

Each command of ``s3xrep_tui.commands`` (and the bare TUI launch, which stops at
its log before taking the terminal) runs with the platform's directories pointing
at a regular file: through ``XDG_*_HOME``, through ``HOME`` (no XDG variables:
``~/.local`` and ``~/.config`` are files), and through ``S3XREP_DATA_DIR``. Whatever a
command needs of them, it ends with an exit code, never an exception out of
``main``, and at most one line on stderr, no "Traceback". A command that needs the
data directory (it journals, remembers or reads a plan) fails with 1 and names the
file in the way. The top-level wrapper itself: an unexpected error is one line
``s3xrep: error: ... (details in LOG)``, the traceback in the log only, or one line
saying the log cannot be written either.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui import cli
from s3xrep_tui.cli import main
from tests.apply_world import World, make_world

from .conftest import DST_PROFILE, SRC_PROFILE

PLAN_ID = "src-nt-to-dst-nt-0badc0de"


@pytest.fixture(scope="module")
def nt_world(sandbox: Any, accounts: dict[str, Any]) -> World:
    return make_world(sandbox, accounts, "nt")


def _commands(w: World) -> dict[str, list[str]]:
    both = ["--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}"]
    return {
        "plan": ["plan", *both, "--report-bucket", w.report],
        "apply": ["apply", *both, "--report-bucket", w.report, "--yes"],
        "undo": ["undo", PLAN_ID, "--yes"],
        "jobs": ["jobs", "--profile", SRC_PROFILE],
        "verify": ["verify", *both, "--plan", PLAN_ID],
        "canary": ["canary", *both, "--timeout", "1", "--plan", PLAN_ID],
        "report": ["report", PLAN_ID, "--format", "html"],
        "repair": ["repair", *both, "--report-bucket", w.report, "--yes", "--wait", "1"],
        "cutover": ["cutover", *both, "--check", "--plan", PLAN_ID],
        "finish": ["finish", PLAN_ID, "--yes"],
        "sandbox": ["sandbox", "--seed", "empty"],
        "tui": [],
    }


COMMANDS = ("plan", "apply", "undo", "jobs", "verify", "canary", "report", "repair", "cutover", "finish",
            "sandbox", "tui")
# Commands that cannot do their job without the data directory, and the codes they may end with: apply
# journals first (1); undo and report read a plan's journal and find none (2: no such plan). verify and
# canary record their result for a plan best-effort (it never fails them), plan and jobs need none of it.
NEEDS_DATA = {"apply": (1,), "undo": (1, 2), "report": (1, 2), "finish": (1, 2)}
# Commands whose first act is their log (state directory): no data needed, still refused.
NEEDS_LOG = {"sandbox", "tui"}


@pytest.fixture(params=["xdg", "home", "override"])
def unusable(request: pytest.FixtureRequest, cli_env: Path, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every directory the app could use is a regular file."""
    blocker = tmp_path / "a-regular-file"
    blocker.write_text("not a directory\n")
    monkeypatch.delenv("S3XREP_DATA_DIR")
    home = tmp_path / "home"
    if request.param == "home":
        for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            monkeypatch.delenv(name, raising=False)
        (home / ".local").write_text("")
        (home / ".config").write_text("")
    else:
        for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"):
            monkeypatch.setenv(name, str(blocker))
        if request.param == "override":
            monkeypatch.setenv("S3XREP_DATA_DIR", str(blocker / "data"))
    yield request.param


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_with_unusable_directories_says_one_line(
    command: str, unusable: str, nt_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = _commands(nt_world)[command]
    code = main(argv)  # an exception out of main fails the test: that is the traceback a user would see
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    if command in NEEDS_DATA or command in NEEDS_LOG:
        assert code in NEEDS_DATA.get(command, (1,)), err
        assert len(lines) == 1, err
        assert "a-regular-file" in lines[0] or ".local" in lines[0], err  # names what is in the way
    else:
        assert code in (0, 1, 3), err
        assert len(lines) <= 1, err  # a failed canary reports on stdout


def test_every_command_is_covered() -> None:
    names = {m.__name__.rsplit(".", 1)[1] for m in cli._command_modules()}
    assert names == set(COMMANDS) - {"tui"} | {"serve"}  # serve: its own test below


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_with_an_unusable_log_directory_says_one_line(tmp_path: Path) -> None:
    """``serve`` would start each session's app with a log it cannot open: it says so before serving."""
    blocker = tmp_path / "a-regular-file"
    blocker.write_text("")
    env = {**os.environ, "XDG_STATE_HOME": str(blocker), "XDG_DATA_HOME": str(blocker)}
    done = subprocess.run([sys.executable, "-m", "s3xrep_tui.cli", "serve", "--port", str(_free_port())],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("s3xrep: error: ") and "a-regular-file" in done.stderr


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def broken(args: Any) -> int:
        raise RuntimeError("a bug\nwith a second line")

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: parser)
    parser.set_defaults(handler=broken)
    assert main(["--read-only"]) == 1
    err = capsys.readouterr().err
    log = tmp_path / "state" / "s3xrep-tui" / "log" / "s3xrep.log"
    assert err == f"s3xrep: error: RuntimeError: a bug with a second line (details in {log})\n"
    logged = log.read_text()
    assert "Traceback (most recent call last)" in logged and "in broken" in logged
    assert log.stat().st_mode & 0o777 == 0o600

    (tmp_path / "blocked").write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "blocked"))
    assert main(["--read-only"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("s3xrep: error: RuntimeError: ") and "cannot be written" in err, err
