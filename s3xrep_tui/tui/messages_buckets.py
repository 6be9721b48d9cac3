"""Messages from the buckets screen's and the prefix browser's thread workers.

Every message carries the ``generation`` of the request that produced it; a
handler drops a message whose generation is no longer current (a refresh, a
new prefix), so a slow answer never paints over a newer one.
"""

from __future__ import annotations

from textual.message import Message

from ..aws.browse import BucketEntry, BucketSummary
from ..aws.errors import AwsError


class BucketsListed(Message):
    """One page of an account's bucket names (``done``: the last one); or the listing failed (``error``)."""

    def __init__(self, side: str, generation: int, entries: list[BucketEntry], done: bool,
                 error: AwsError | None = None) -> None:
        super().__init__()
        self.side = side
        self.generation = generation
        self.entries = entries
        self.done = done
        self.error = error


class BucketFactsLoaded(Message):
    def __init__(self, side: str, generation: int, summary: BucketSummary) -> None:
        super().__init__()
        self.side = side
        self.generation = generation
        self.summary = summary
