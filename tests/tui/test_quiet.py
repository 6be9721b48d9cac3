"""Nothing reaches stderr while the TUI runs; the log goes to a file instead."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from s3xrep_tui.tui import app as app_module
from s3xrep_tui.tui.app import S3xrepApp, run_app
from s3xrep_tui.tui.logs import configure_logging, default_log_path

# A helper that fails loudly on its own stderr, the way real credential helpers do.
NOISY_HELPER = """
[profile noisy-helper]
credential_process = sh -c "echo 'helper: cannot reach the vault' >&2; exit 1"
"""


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level, hook = list(root.handlers), root.level, threading.excepthook
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    threading.excepthook = hook
    logging.captureWarnings(False)


async def test_a_pilot_session_writes_nothing_to_stderr(
    write_profiles: Callable[[], Path], capfd: pytest.CaptureFixture[str]
) -> None:
    config = write_profiles()
    config.write_text(config.read_text() + NOISY_HELPER)
    capfd.readouterr()
    app = S3xrepApp()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down", "s", "down", "d", "r", "question_mark", "escape", "slash", "x", "escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.rows["profile:noisy-helper"].identity.state == "failed"
        assert app.screen.rows["profile:acme-legacy"].identity.state == "resolved"
    out, err = capfd.readouterr()
    assert err == ""


def test_run_app_logs_to_the_file_and_keeps_stderr_clean(
    write_profiles: Callable[[], Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    write_profiles()
    # A handler someone attached to stderr before the app started must not survive.
    logging.getLogger().addHandler(logging.StreamHandler())
    real_run = S3xrepApp.run

    async def drive(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        logging.getLogger("botocore.test").warning("a library warning while the app runs")
        await pilot.press("ctrl+q")

    def headless_run(self: S3xrepApp, **kwargs: object) -> object:
        return real_run(self, headless=True, auto_pilot=drive, size=(120, 40))

    monkeypatch.setattr(S3xrepApp, "run", headless_run)
    log_file = tmp_path / "logs" / "s3xrep.log"
    capfd.readouterr()
    assert run_app(demo=False, log_file=str(log_file)) == 0
    assert capfd.readouterr().err == ""
    logged = log_file.read_text()
    assert "app started (demo=False)" in logged
    assert "resolved acme-legacy as account 111111111111" in logged
    assert "a library warning while the app runs" in logged
    assert "aws_secret_access_key" not in logged and "SecretAccessKey" not in logged
    assert app_module.log.name == "s3xrep_tui.tui.app"


def test_the_default_log_file_is_in_the_user_log_directory(
    aws_env: Path, tmp_path: Path, restore_logging: None
) -> None:
    assert default_log_path().is_relative_to(tmp_path / "state")  # XDG_STATE_HOME, via platformdirs
    path = configure_logging()
    logging.getLogger("werkzeug").info("a request line")  # below WARNING: dropped
    logging.getLogger("s3xrep_tui.test").info("ours")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "ours" in text and "a request line" not in text
    # it names buckets, accounts and roles: private, like the journal
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
