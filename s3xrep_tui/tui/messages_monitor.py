"""Messages from the Monitor, Job detail and Verify screens' thread workers.

Each carries the ``generation`` (or run number) of the worker that produced it:
a handler drops a message from a loop that has since been replaced (a refresh,
a new verification), so a late answer never paints over a newer one.
"""

from __future__ import annotations

from textual.message import Message

from ..aws.canary import CanaryProgress, CanaryResult
from ..aws.errors import AwsError
from ..aws.jobs import JobSummary
from ..aws.replication_status import ReplicationHealth
from .poller import PollState


class PollStateChanged(Message):
    """A poll loop (``loop``: "jobs", "replication", "detail") is polling, waiting, retrying, done..."""

    def __init__(self, loop: str, generation: int, state: PollState) -> None:
        super().__init__()
        self.loop = loop
        self.generation = generation
        self.state = state


class JobsPolled(Message):
    """The jobs of the source account and region as of this poll (``changed``: not the same as last time)."""

    def __init__(self, generation: int, jobs: tuple[JobSummary, ...], changed: bool, mine: frozenset[str]) -> None:
        super().__init__()
        self.generation = generation
        self.jobs = jobs
        self.changed = changed
        self.mine = mine


class ReplicationPolled(Message):
    def __init__(self, generation: int, health: ReplicationHealth) -> None:
        super().__init__()
        self.generation = generation
        self.health = health


class CanaryProgressed(Message):
    def __init__(self, run: int, progress: CanaryProgress) -> None:
        super().__init__()
        self.run = run
        self.progress = progress


class CanaryFinished(Message):
    def __init__(self, run: int, result: CanaryResult | None, error: AwsError | None = None) -> None:
        super().__init__()
        self.run = run
        self.result = result
        self.error = error
