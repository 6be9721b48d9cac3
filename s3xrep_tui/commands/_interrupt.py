"""Ctrl-C ends a headless command promptly, with one line and exit code 130.

Python turns SIGINT into KeyboardInterrupt in the main thread, which lets a
command stop cleanly; but the interpreter then joins the worker threads still
blocked on the network (seconds, up to a read timeout each). So the first
Ctrl-C also arms a watchdog: whatever is still running GRACE seconds later,
the process says so in one line and exits 130.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import Any

from ..aws.credentials import stop_credential_processes

EXIT_INTERRUPTED = 130
GRACE = 2.0  # seconds a command has to stop by itself after Ctrl-C
LINE = "s3xrep: interrupted (Ctrl-C)"

_told = threading.Event()


def tell() -> None:
    """Print the one line (once per process)."""
    if not _told.is_set():
        _told.set()
        print(LINE, file=sys.stderr, flush=True)


def _exit_now(say: bool = True) -> None:
    if say:
        tell()
    stop_credential_processes()  # a helper blocked in a worker thread must not outlive us
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed pipe must not stop the exit
            pass
    os._exit(EXIT_INTERRUPTED)


def _force_exit() -> None:
    time.sleep(GRACE)  # the command's own cleanup had its chance
    _exit_now()


def _on_sigint(signum: int, frame: Any) -> None:
    threading.Thread(target=_force_exit, name="s3xrep-ctrl-c", daemon=True).start()
    raise KeyboardInterrupt


def install() -> None:
    """For a command running as its own process (``s3xrep ...``): the SIGINT handler above."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)


def finish(code: int) -> int:
    """After the command returned: an interrupted run exits now, without waiting for blocked threads.

    A command that handled Ctrl-C itself (``jobs --watch`` ends quietly) said what it wanted to say.
    """
    if code == EXIT_INTERRUPTED:
        _exit_now(say=False)
    return code
