"""Messages from the Monitor, Job detail and Verify screens' thread workers.

Each carries the ``generation`` (or run number) of the worker that produced it:
a handler drops a message from a loop that has since been replaced (a refresh,
a new verification), so a late answer never paints over a newer one.
"""

from __future__ import annotations

from textual.message import Message

from .poller import PollState


class PollStateChanged(Message):
    """A poll loop (``loop``: "jobs", "replication", "detail") is polling, waiting, retrying, done..."""

    def __init__(self, loop: str, generation: int, state: PollState) -> None:
        super().__init__()
        self.loop = loop
        self.generation = generation
        self.state = state
