"""Messages from the buckets screen's and the prefix browser's thread workers.

Every message carries the ``generation`` of the request that produced it; a
handler drops a message whose generation is no longer current (a refresh, a
new prefix), so a slow answer never paints over a newer one.
"""

from __future__ import annotations

from textual.message import Message

from ..aws.browse import BucketEntry, BucketSummary, Level, ObjectHead, VersionsPage
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


class LevelLoaded(Message):
    """A page of a prefix (``level``) or the reason it could not be listed (``error``)."""

    def __init__(self, generation: int, level: Level | None, error: AwsError | None = None,
                 region: str | None = None, page: int = 0) -> None:
        super().__init__()
        self.page = page
        self.generation = generation
        self.level = level
        self.error = error
        self.region = region


class VersionsLoaded(Message):
    def __init__(self, generation: int, page: VersionsPage | None, error: AwsError | None = None,
                 region: str | None = None, page_number: int = 0) -> None:
        super().__init__()
        self.page_number = page_number
        self.generation = generation
        self.page = page
        self.error = error
        self.region = region


class HeadLoaded(Message):
    def __init__(self, generation: int, version_id: str, head: ObjectHead | None, error: AwsError | None = None) -> None:
        super().__init__()
        self.generation = generation
        self.version_id = version_id
        self.head = head
        self.error = error
