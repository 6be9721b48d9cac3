"""The last resort of every command: an unexpected error becomes one line on stderr.

The traceback goes to the log only (a user gets what failed and where to look;
a bug report gets the stack). When the log cannot be written either, the line
says so: still no traceback.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import traceback
from pathlib import Path

from . import locations

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def _flat(text: str, limit: int) -> str:
    """One line, whatever the exception holds (a newline, an escape sequence from a file name)."""
    return _CONTROL.sub(" ", text).strip()[:limit]


def _in_the_way(exc: BaseException) -> str | None:
    if isinstance(exc, NotADirectoryError) and exc.filename:
        return locations.in_the_way(Path(os.fsdecode(exc.filename)))
    return None


def one_line(exc: BaseException) -> str:
    """``s3xrep: error: <what> (details in <log>)``; the traceback goes to the log only."""
    what = _in_the_way(exc) or (str(exc) if isinstance(exc, OSError) and str(exc)
                                else f"{type(exc).__name__}: {exc}".rstrip(": "))
    what = _flat(what, 400)
    # the log the app already writes (``--log-file`` included), else the default one
    handlers = [h for h in logging.getLogger().handlers if getattr(h, "s3xrep_log", False)]
    try:
        path, own = (Path(handlers[0].baseFilename), False) if handlers else (locations.log_file(), True)
        fd = locations.open_append(path, own_dir=own)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(f"{datetime.datetime.now(datetime.UTC).isoformat()} ERROR s3xrep: unexpected error\n")
            log.write("".join(traceback.format_exception(exc)))
    except Exception as problem:  # noqa: BLE001  the log is unusable too: say so, still one line
        reason = (_in_the_way(problem) or str(problem)) if isinstance(problem, OSError) else type(problem).__name__
        reason = _flat(reason, 400)
        if reason == what:
            return f"s3xrep: error: {what} (the log cannot be written either, for the same reason)"
        return f"s3xrep: error: {what} (and the log cannot be written either: {reason})"
    return f"s3xrep: error: {what} (details in {path})"
