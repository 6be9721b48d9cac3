"""Where s3xrep keeps its own files, and how: private (0700 dirs, 0600 files) and durable.

Journals and remembered job ids describe a user's accounts; nobody else on the
machine needs to read them. Secrets are never written here at all.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "s3xrep-tui"


def data_dir() -> Path:
    """The user data directory (``S3XREP_DATA_DIR`` overrides it, e.g. in tests)."""
    override = os.environ.get("S3XREP_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) as 0700; tighten it if it already exists."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` atomically to a 0600 file in a 0700 directory."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return path


def append_private(path: Path, line: str) -> None:
    """Append one line to a 0600 file and fsync it (a journal survives SIGKILL after this returns)."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
