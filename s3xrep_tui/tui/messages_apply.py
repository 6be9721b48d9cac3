"""Messages of the Apply screen's worker.

The worker runs ``aws.apply.apply_plan`` in a thread and never touches a
widget: each progress event becomes an :class:`ApplyProgress`, and the end of
the run one :class:`ApplyFinished` (or :class:`ApplyCrashed` when the run could
not even start, e.g. the credentials could not be loaded). Every message
carries the ``run`` number it was started for, so the screen drops what a
previous run says after a new one began.
"""

from __future__ import annotations

from textual.message import Message

from ..aws.apply import ApplyEvent, ApplyResult
from ..aws.errors import AwsError


class ApplyProgress(Message):
    """One event of the executor (start, waiting, info, done, no-op, failed, dry-run, cancelled)."""

    def __init__(self, run: int, event: ApplyEvent) -> None:
        super().__init__()
        self.run = run
        self.event = event


class ApplyFinished(Message):
    """The run ended; ``note`` says what became of the job memory (empty when nothing to say)."""

    def __init__(self, run: int, result: ApplyResult, note: str = "") -> None:
        super().__init__()
        self.run = run
        self.result = result
        self.note = note


class ApplyCrashed(Message):
    """The run did not get to its steps: ``error`` says why and how to fix it."""

    def __init__(self, run: int, error: AwsError) -> None:
        super().__init__()
        self.run = run
        self.error = error
