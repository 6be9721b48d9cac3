"""Messages of the home, undo and stakeholder screens' workers (a worker never touches widgets)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from ..aws.migrations import Migration


class MigrationsListed(Message):
    def __init__(self, migrations: list[Migration]) -> None:
        super().__init__()
        self.migrations = migrations


class UndoAnswered(Message):
    """A dry run (``preview``) or a real undo ended: ``result`` (an UndoResult) or ``error`` (one line)."""

    def __init__(self, run: int, dry_run: bool, result: Any = None, error: str = "") -> None:
        super().__init__()
        self.run = run
        self.dry_run = dry_run
        self.result = result
        self.error = error


class UndoItemDone(Message):
    """One journaled write undone (or skipped, failed) while the real undo runs."""

    def __init__(self, run: int, item: Any) -> None:
        super().__init__()
        self.run = run
        self.item = item


class StakeholderPolled(Message):
    """One poll of the stakeholder view: jobs, replication health, failure causes, or an error."""

    def __init__(self, generation: int, snapshot: Any) -> None:
        super().__init__()
        self.generation = generation
        self.snapshot = snapshot
