"""Read-only mode, enforced where every AWS call passes: a botocore event handler.

:class:`clients.Clients` registers :func:`refuse_writes` on every client it
builds (on ``before-parameter-build``, the first event of every call), so no
command, screen or worker can forget the mode: a mutating operation raises
:class:`ReadOnlyRefused` before its parameters are checked, signed or sent.

What is a read is decided from the operation's name in botocore's model:
AWS names its reads Get*/List*/Head*/Describe* (and S3's SelectObjectContent,
IAM's Simulate* policy evaluations). STS writes nothing to an account (it
issues credentials, which reads need), so all of it is a read, and so is S3's
CreateSession (a directory bucket's session credentials). Everything else,
including any operation a future botocore adds, counts as a write. So does
Athena's StartQueryExecution, on purpose: a query writes its result file into
the workgroup's S3 location and is billed per byte scanned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .errors import ReadOnlyRefused

READ_PREFIXES = ("Get", "List", "Head", "Describe", "Select", "Simulate")
READ_SERVICES = frozenset({"sts"})
READ_OPERATIONS = frozenset({"s3:CreateSession"})

ReadOnlyFlag = Callable[[], bool]

_lock = threading.Lock()
_process_read_only = False


def is_mutating(service: str, operation: str) -> bool:
    """True unless ``operation`` (botocore's model name, "PutBucketPolicy") of ``service`` is a read."""
    return not (service in READ_SERVICES or operation.startswith(READ_PREFIXES)
                or f"{service}:{operation}" in READ_OPERATIONS)


def set_process_read_only(on: bool) -> bool:
    """Make every client of the process read-only (headless commands' ``--read-only``); returns the old mode."""
    global _process_read_only
    with _lock:
        previous, _process_read_only = _process_read_only, bool(on)
    return previous


def process_read_only() -> bool:
    return _process_read_only


def refuse_writes(read_only: ReadOnlyFlag) -> Callable[..., None]:
    """A botocore call-event handler (it needs ``model``) refusing mutating operations while ``read_only()`` (or the process's mode) holds."""

    def handler(model: Any, **_: Any) -> None:
        if not (_process_read_only or read_only()):
            return
        service = model.service_model.service_name
        if is_mutating(service, model.name):
            raise ReadOnlyRefused(service, model.name)

    return handler
