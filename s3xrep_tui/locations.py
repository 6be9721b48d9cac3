"""Every directory s3xrep uses, and the only ways it writes a file there.

One app name, ``s3xrep-tui``, under the platform's user directories
(platformdirs: XDG on Linux). Journals, results, job memory, exports, reports,
the log and the sandbox's AWS config describe a user's accounts (the last
holds keys): directories are 0700 and files 0600, from the first byte.

A file is never written through a symbolic link: whole files are written to
a fresh temporary (``O_CREAT|O_EXCL|O_NOFOLLOW``) in the target's directory,
fsynced and renamed over the name (a rename replaces a link, never its
target); a name that is a link is refused first, so the user hears about it.
No path is followed through a link another user made, at any of its components
(a folder the user chose may be their own link, or root's).
Appended files (journal, results, log) are opened ``O_NOFOLLOW|O_APPEND``.

The log used to live under ``s3xrep`` rather than ``s3xrep-tui``; it is never
read back, so nothing is carried over.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from .core.errors import S3xrepError

APP_NAME = "s3xrep-tui"
LOG_NAME = "s3xrep.log"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UnsafeLocation(S3xrepError, OSError):
    """A path the app will not write through (a planted link, not a directory, someone else's)."""


# --- where -----------------------------------------------------------------------------------------


def data_dir() -> Path:
    """Journals, results, job memory, exports, reports (``S3XREP_DATA_DIR`` overrides it, e.g. in tests)."""
    override = os.environ.get("S3XREP_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """What the sandbox leaves between runs (its AWS config)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """What can be fetched again (inventory files for verify --inventory); ``S3XREP_CACHE_DIR`` overrides it."""
    override = os.environ.get("S3XREP_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_NAME, appauthor=False))


def log_file() -> Path:
    """The app's log (the TUI's, and the tracebacks of headless commands)."""
    return log_dir() / LOG_NAME


def sandbox_log_file() -> Path:
    return log_dir() / "sandbox.log"


def sandbox_config_file() -> Path:
    return state_dir() / "sandbox" / "aws-config"


def _roots() -> tuple[Path, ...]:
    return data_dir(), state_dir(), log_dir(), cache_dir()


# --- private directories ------------------------------------------------------------------------


def in_the_way(path: Path) -> str:
    """Why ``path`` cannot be made: which part of it is a file (an XDG variable naming a file, say)."""
    path = Path(path)
    blocker = next((p for p in [*reversed(path.parents), path] if p.is_file()), None)
    if blocker is None:
        return f"{path} cannot be a directory: a part of it is not one"
    return f"cannot use {path}: {blocker} is a file, not a directory (move it, or point XDG_*_HOME elsewhere)"


def _check_dir(path: Path) -> None:
    """``path`` must be a directory of ours: a link to one is fine when the link is ours (or root's)."""
    try:
        link = os.lstat(path)
        target = os.stat(path)
    except FileNotFoundError:
        raise UnsafeLocation(f"{path} is a symbolic link to nothing; remove it") from None
    except NotADirectoryError:
        raise UnsafeLocation(in_the_way(path)) from None
    if not stat.S_ISDIR(target.st_mode):
        raise UnsafeLocation(in_the_way(path))
    me = os.geteuid()
    if stat.S_ISLNK(link.st_mode) and link.st_uid not in (me, 0):
        raise UnsafeLocation(f"{path} is a symbolic link another user made; remove it")
    if target.st_uid != me:
        raise UnsafeLocation(f"{path} belongs to another user; remove it or choose another directory")


def refuse_foreign_links(path: Path) -> None:
    """``UnsafeLocation`` when reaching ``path`` follows a link another user made, at any component:
    checking only the last one let a link planted higher up (``SHARED/reports`` -> a victim's
    folder) choose where we write. Links are followed as the kernel would, so one inside a
    link's target is checked too; the components that do not exist yet end the walk."""
    me, hops = os.geteuid(), 0
    parts = Path(os.path.abspath(path)).parts
    current, pending = Path(parts[0]), list(parts[1:])
    while pending:
        name = pending.pop(0)
        if name in ("", "."):
            continue
        if name == "..":
            current = current.parent
            continue
        candidate = current / name
        try:
            found = os.lstat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            return
        if not stat.S_ISLNK(found.st_mode):
            current = candidate
            continue
        if found.st_uid not in (me, 0):
            raise UnsafeLocation(f"{candidate} is a symbolic link another user made; remove it or choose another folder")
        hops += 1
        if hops > 40:
            raise UnsafeLocation(f"{path}: too many levels of symbolic links")
        target = Path(os.readlink(candidate))
        if target.is_absolute():
            current = Path(target.parts[0])
            pending = list(target.parts[1:]) + pending
        else:
            pending = list(target.parts) + pending


def _make_one(path: Path) -> None:
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except NotADirectoryError:
        raise UnsafeLocation(in_the_way(path)) from None
    _check_dir(path)
    os.chmod(path, 0o700)


def private_dir(path: Path) -> Path:
    """``path`` as a 0700 directory of ours, with every missing parent made 0700 and, inside an
    app directory (data, state, log), every directory from it down to ``path`` tightened too.

    One that is a file, someone else's, or a link another user planted raises
    ``UnsafeLocation`` naming it.
    """
    path = Path(path)
    refuse_foreign_links(path)
    root = next((r for r in _roots() if path == r or r in path.parents), None)
    for directory in [*reversed(path.parents), path]:
        ours = directory == path or (root is not None and (directory == root or root in directory.parents))
        if ours or not os.path.lexists(directory):
            _make_one(directory)
    return path


# --- writing ---------------------------------------------------------------------------------------


def check_target(path: Path) -> None:
    """``UnsafeLocation`` when ``path`` is a link or not a regular file: callers writing several
    files check them all first, so a refusal writes none."""
    _refuse_link(None, str(path), Path(path))


def _refuse_link(directory_fd: int | None, name: str, path: Path) -> None:
    try:
        found = os.lstat(name, dir_fd=directory_fd)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(found.st_mode):
        raise UnsafeLocation(f"refusing to write {path}: it is a symbolic link (to {os.readlink(path)}); "
                             "remove the link or choose another folder")
    if not stat.S_ISREG(found.st_mode):
        raise UnsafeLocation(f"refusing to write {path}: it exists and is not a regular file")


def write_private(path: Path, data: str | bytes, mode: int = 0o600, *, own_dir: bool = True) -> Path:
    """Write ``data`` whole to ``path`` (``mode``, 0600 by default), atomically and never through a link.

    ``own_dir``: ``path``'s directory is the app's and made private first; ``False``
    for a folder the user chose (it must exist; its mode is theirs, and it may be
    a link to a directory: the user made it).
    """
    path = Path(path)
    if own_dir:
        private_dir(path.parent)
    else:
        _check_user_dir(path.parent)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    directory = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
    try:
        _refuse_link(directory, path.name, path)
        temporary = f".{path.name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, mode, dir_fd=directory)
        try:
            os.fchmod(fd, mode)  # the umask may have taken bits a script needs
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            os.close(fd)
            fd = -1
            # rename replaces whatever is at the name by then (a link included), never a link's target
            os.replace(temporary, path.name, src_dir_fd=directory, dst_dir_fd=directory)
        except BaseException:
            if fd >= 0:
                os.close(fd)
            try:
                os.unlink(temporary, dir_fd=directory)
            except FileNotFoundError:
                pass
            raise
        try:
            os.fsync(directory)  # the rename itself survives a crash
        except OSError as exc:  # a file system that cannot sync a directory: the file itself is synced
            if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
                raise
    finally:
        os.close(directory)
    return path


def _check_user_dir(directory: Path) -> None:
    refuse_foreign_links(directory)
    try:
        link = os.lstat(directory)
    except FileNotFoundError:
        raise UnsafeLocation(f"{directory} does not exist; create it or choose another folder") from None
    if stat.S_ISLNK(link.st_mode) and link.st_uid not in (os.geteuid(), 0):
        raise UnsafeLocation(f"{directory} is a symbolic link another user made; remove it or choose another folder")
    if not directory.is_dir():
        raise UnsafeLocation(f"{directory} is not a directory; choose another folder")


def open_append(path: Path, *, own_dir: bool = True) -> int:
    """A file descriptor appending to ``path`` (created 0600), never through a link; the caller closes it."""
    path = Path(path)
    if own_dir:
        private_dir(path.parent)
    else:
        refuse_foreign_links(path.parent)
    try:
        # O_NONBLOCK: a FIFO planted at the name fails at once instead of hanging the app
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW | _CLOEXEC | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeLocation(f"refusing to write {path}: it is a symbolic link; remove it") from exc
        if exc.errno == errno.ENXIO:  # a FIFO nobody reads
            raise UnsafeLocation(f"refusing to write {path}: it is not a regular file") from exc
        raise
    found = os.fstat(fd)
    if not stat.S_ISREG(found.st_mode):
        os.close(fd)
        raise UnsafeLocation(f"refusing to write {path}: it is not a regular file")
    os.set_blocking(fd, True)
    if own_dir and stat.S_IMODE(found.st_mode) != 0o600:
        os.fchmod(fd, 0o600)  # a file an older version left readable
    return fd


def append_private(path: Path, line: str) -> None:
    """Append one line to a 0600 file and fsync it (a journal survives SIGKILL after this returns)."""
    fd = open_append(path)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
