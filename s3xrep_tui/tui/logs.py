"""Where the app's log goes while the TUI owns the terminal: a file, never stderr.

Anything written to the terminal behind Textual's back (a library warning, a
werkzeug request line, a thread's traceback) corrupts the screen, worst of all
in CloudShell's xterm.js inside tmux.
"""

from __future__ import annotations

import logging
import os
import threading
from logging.handlers import RotatingFileHandler
from pathlib import Path

from .. import locations

# Libraries that log on their own; their records go to the file, at WARNING and up.
NOISY = ("botocore", "boto3", "s3transfer", "urllib3", "werkzeug", "moto", "asyncio")

log = logging.getLogger("s3xrep_tui")


def default_log_path() -> Path:
    return locations.log_file()


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A rotating log whose files are created 0600 (it names buckets, accounts and roles), never
    through a link planted at its name."""

    own_dir = True
    s3xrep_log = True  # the top-level error wrapper writes a crash's traceback here (unexpected.one_line)

    def _open(self):  # type: ignore[no-untyped-def]
        fd = locations.open_append(Path(self.baseFilename), own_dir=self.own_dir)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def configure_logging(log_file: str | Path | None = None, level: int = logging.INFO) -> Path:
    """Send every log record (ours, libraries', warnings, thread crashes) to one file.

    Replaces the root logger's handlers, so a handler someone attached to
    stderr earlier cannot write while the TUI runs. Returns the file's path.
    """
    path = Path(log_file).expanduser() if log_file else default_log_path()
    if log_file:
        path.parent.mkdir(parents=True, exist_ok=True)  # the user's directory: its mode is theirs
    else:
        locations.private_dir(path.parent)
    os.close(locations.open_append(path, own_dir=not log_file))  # unusable: say so now, not mid-screen
    handler = PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=2, encoding="utf-8", delay=True)
    handler.own_dir = not log_file
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in NOISY:
        noisy = logging.getLogger(name)
        noisy.setLevel(logging.WARNING)
        for old in list(noisy.handlers):  # e.g. a StreamHandler werkzeug added on its first request
            noisy.removeHandler(old)
        noisy.propagate = True
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_crash
    return path


def _log_thread_crash(args: threading.ExceptHookArgs) -> None:
    name = args.thread.name if args.thread else "?"
    log.error("thread %s crashed", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
