"""Messages of the finish screen (its worker thread to the screen)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class FinishAnswered(Message):
    """A preview (``dry_run``) or a real finish ended: ``result`` (a FinishResult) or ``error`` (one line)."""

    def __init__(self, run: int, dry_run: bool, result: Any = None, error: str = "") -> None:
        super().__init__()
        self.run = run
        self.dry_run = dry_run
        self.result = result
        self.error = error


class FinishItemDone(Message):
    """One journaled write taken down (or kept, skipped, failed) while the real finish runs."""

    def __init__(self, run: int, item: Any) -> None:
        super().__init__()
        self.run = run
        self.item = item
