"""Files are written only where we mean to: never through a planted link, and private.

* ``plan --out DIR`` (documents and every export format): a symbolic link planted at
  a file name inside DIR is refused with a message naming it; its target keeps its
  bytes and its mode. DIR itself may be the user's link to a directory.
* The appended files: a link planted at a plan's journal stops apply before its first
  write to AWS; one planted at the log stops the app before it starts. One line each.
* A session with the platform's own directories (XDG data, state, log: no
  ``S3XREP_DATA_DIR``): apply, report, the app's log, a crash logged by the top-level
  wrapper and the ``s3xrep sandbox`` command's log and AWS config leave every
  directory of ours 0700 and every file 0600, an older loose data directory included.
* One module (``locations``) names every directory, all under ``s3xrep-tui``; the help
  screen names the log the app writes.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from s3xrep_tui import locations
from s3xrep_tui.cli import main
from s3xrep_tui.tui.logs import configure_logging
from tests.apply_world import World
from tests.sandbox.helpers import wait_for

from .conftest import DST_PROFILE, SRC_PROFILE


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _plan_args(world: World, out: Path, *extra: str) -> list[str]:
    return ["plan", "--source", f"{SRC_PROFILE}:{world.src}", "--dest", f"{DST_PROFILE}:{world.dst}",
            "--report-bucket", world.report, "--out", str(out), *extra]


@pytest.mark.parametrize("fmt", ["documents", "aws-cli", "cloudformation", "terraform"])
def test_a_link_planted_in_plan_out_is_refused_and_its_target_untouched(
    fmt: str, world: Callable[[str], World], cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world(f"files-{fmt}")
    extra = () if fmt == "documents" else ("--format", fmt)
    first = tmp_path / "first"
    assert main(_plan_args(w, first, *extra)) == 0, capsys.readouterr().err
    names = sorted(p.name for p in first.iterdir())
    assert names
    capsys.readouterr()
    # the user's --out is a link to a directory of theirs (fine); inside it, a link at every name we write
    real = tmp_path / "real-out"
    real.mkdir(mode=0o755)
    out = tmp_path / "out-link"
    out.symlink_to(real, target_is_directory=True)
    victims = {}
    for name in names:
        victim = tmp_path / f"victim-{name}"
        victim.write_text("the user's own file\n")
        victim.chmod(0o644)
        (real / name).symlink_to(victim)
        victims[name] = victim
    assert main(_plan_args(w, out, *extra)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "symbolic link" in err and any(f"{out}/{name}: " in err for name in names), err
    for name, victim in victims.items():
        assert victim.read_text() == "the user's own file\n", name
        assert _mode(victim) == 0o644, name
        assert (real / name).is_symlink(), name
    assert _mode(real) == 0o755  # the user's folder keeps its mode
    assert not [p for p in real.iterdir() if not p.is_symlink()]  # no temporary left behind


def test_writers_refuse_a_link_at_the_name(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("x")
    victim.chmod(0o644)
    private = locations.private_dir(tmp_path / "private")
    for name in ("whole", "appended"):
        (private / name).symlink_to(victim)
    with pytest.raises(locations.UnsafeLocation, match="symbolic link"):
        locations.write_private(private / "whole", "overwritten")
    with pytest.raises(locations.UnsafeLocation, match="symbolic link"):
        locations.append_private(private / "appended", "appended")
    assert victim.read_text() == "x" and _mode(victim) == 0o644
    os.mkfifo(private / "fifo")  # nobody reads it: refused at once, not a hang
    with pytest.raises(locations.UnsafeLocation, match="not a regular file"):
        locations.append_private(private / "fifo", "appended")
    with pytest.raises(locations.UnsafeLocation, match="not a regular file"):
        locations.write_private(private / "fifo", "whole")


def test_a_file_where_a_directory_should_be_is_named(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(locations.UnsafeLocation, match="a-file"):
        locations.private_dir(tmp_path / "a-file" / "journal")
    with pytest.raises(locations.UnsafeLocation, match="not a directory"):
        locations.private_dir(tmp_path / "a-file")


@pytest.fixture
def xdg(cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """The platform's directories (XDG) in tmp_path; no S3XREP_DATA_DIR; logging restored after."""
    monkeypatch.delenv("S3XREP_DATA_DIR")
    homes = {name: tmp_path / "xdg" / name for name in ("data", "state", "config")}
    for name, path in homes.items():
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(path))
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, threading.excepthook
    yield homes
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    threading.excepthook = hook
    logging.captureWarnings(False)


def _ours(homes: dict[str, Path]) -> list[Path]:
    return [homes["data"] / locations.APP_NAME, homes["state"] / locations.APP_NAME]


def test_every_file_a_session_writes_is_0600_in_a_0700_directory(
    world: Callable[[str], World], xdg: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("files-modes")
    data, state = _ours(xdg)
    data.mkdir(parents=True, mode=0o755)  # as an older version left it
    os.chmod(data, 0o755)
    both = ["--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}"]
    assert main(["apply", *both, "--report-bucket", w.report, "--yes"]) == 0, capsys.readouterr().err
    plan_id = re.search(r"Plan id: (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    main(["report", plan_id, "--source-profile", SRC_PROFILE, "--format", "html"])  # to data/reports/
    logged = configure_logging()  # the TUI's log, at its default place
    logging.getLogger("s3xrep_tui.test").warning("a line")
    assert main(["undo", "../not-a-plan-id"]) == 2  # bad arguments: not logged, no crash
    _sandbox_command(xdg)
    files = [p for base in (data, state) for p in base.rglob("*") if p.is_file() or p.is_symlink()]
    names = {p.relative_to(p.parents[1]).as_posix() for p in files}
    assert {f"journal/{plan_id}.jsonl", f"reports/{plan_id}.html", "log/s3xrep.log", "log/sandbox.log",
            "sandbox/aws-config"} <= names, names
    assert logged == state / "log" / "s3xrep.log"
    for path in files:
        assert _mode(path) == 0o600, path
    for base in (data, state):
        for directory in [base, *(p for p in base.rglob("*") if p.is_dir())]:
            assert _mode(directory) == 0o700, directory


def _sandbox_command(xdg: dict[str, Path]) -> None:
    """``s3xrep sandbox`` with its default log and AWS config, stopped by SIGTERM once it is up."""
    env = {**os.environ, **{f"XDG_{n.upper()}_HOME": str(p) for n, p in xdg.items()}}
    process = subprocess.Popen([sys.executable, "-m", "s3xrep_tui.cli", "sandbox", "--seed", "empty"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
        reader.start()
        wait_for(lambda: any("Ctrl-C stops" in line for line in lines) or process.poll() is not None,
                 timeout=60, what="the sandbox command to start")
        assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_one_module_names_every_directory_under_one_app_name(xdg: dict[str, Path]) -> None:
    package = Path(locations.__file__).parent
    strays = [str(p.relative_to(package)) for p in package.rglob("*.py")
              if p.name != "locations.py" and re.search(r"platformdirs|user_\w+_dir\(", p.read_text())]
    assert strays == []
    for path in (locations.data_dir(), locations.state_dir(), locations.log_file(), locations.sandbox_log_file(),
                 locations.sandbox_config_file()):
        assert locations.APP_NAME in path.parts, path


def test_the_help_screen_names_the_log_the_app_writes(
    xdg: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Static

    from s3xrep_tui.tui.app import S3xrepApp, run_app
    from s3xrep_tui.tui.screens.help import HelpScreen

    real_run = S3xrepApp.run
    seen: list[str] = []

    async def drive(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        seen.extend(str(w.render()) for w in pilot.app.screen.query(Static))
        await pilot.press("escape", "ctrl+q")

    monkeypatch.setattr(S3xrepApp, "run", lambda self, **_: real_run(self, headless=True, auto_pilot=drive,
                                                                      size=(100, 40)))
    assert run_app() == 0
    log = locations.log_file()
    assert log.is_file() and _mode(log) == 0o600
    assert any(f"Log: {log}" in text for text in seen), seen


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    victim.write_text("the user's own file\n")
    victim.chmod(0o644)
    return victim


def _untouched(victim: Path) -> bool:
    return victim.read_text() == "the user's own file\n" and _mode(victim) == 0o644


def test_a_link_planted_at_the_journal_stops_apply_before_any_write(
    world: Callable[[str], World], cli_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    w = world("files-journal")
    both = ["--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}", "--report-bucket", w.report]
    assert main(["plan", *both, "--json"]) == 0
    plan_id = json.loads(capsys.readouterr().out)["id"]
    victim = _victim(tmp_path)
    journal = locations.private_dir(cli_env / "journal") / f"{plan_id}.jsonl"
    journal.symlink_to(victim)
    before = w.snapshot()
    assert main(["apply", *both, "--yes"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "symbolic link" in err, err
    assert _untouched(victim) and journal.is_symlink()
    assert w.snapshot() == before  # the journal comes first: nothing was written to AWS


def test_a_link_planted_at_the_log_is_refused_before_the_app_starts(
    xdg: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from s3xrep_tui.tui.app import S3xrepApp

    def run(self: S3xrepApp, **_: object) -> None:  # the app would log as it starts
        logging.getLogger("s3xrep_tui.test").warning("the app started")

    monkeypatch.setattr(S3xrepApp, "run", run)
    victim = _victim(tmp_path)
    log = locations.private_dir(locations.log_dir()) / locations.LOG_NAME
    log.symlink_to(victim)
    assert main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err and "symbolic link" in err, err
    assert _untouched(victim)
