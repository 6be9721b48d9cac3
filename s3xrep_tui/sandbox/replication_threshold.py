"""S3 Replication Time Control's threshold: which versions are late, and when they are told.

What AWS documents (S3 User Guide, "Receiving replication failure events with Amazon S3 Event
Notifications", https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html;
"Meeting compliance requirements with S3 Replication Time Control"):

* with RTC on a rule (``Destination.ReplicationTime`` Enabled, with ``Metrics`` and its
  ``EventThreshold``; 15 minutes is the only value S3 takes), a version that has not replicated
  when the threshold passes raises ``s3:Replication:OperationMissedThreshold``;
* when it then replicates, ``s3:Replication:OperationReplicatedAfterThreshold``;
* RTC covers live replication, not Batch Replication.

The emulator replicates in a fraction of a second, so the threshold is a sandbox setting
(``Sandbox(rtc_threshold=SECONDS)``, like ``replication_delay``): None uses the rule's own
``EventThreshold`` (AWS's 15 minutes). The rule documents keep 15 minutes either way.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

MISSED = "s3:Replication:OperationMissedThreshold"
AFTER = "s3:Replication:OperationReplicatedAfterThreshold"
DEFAULT_MINUTES = 15

Ident = tuple[str, str, str, str]  # (source bucket, key, version id, destination bucket)


def rtc_minutes(rule: dict[str, Any] | None) -> int | None:
    """The rule's threshold in minutes when it has RTC (and the metrics RTC needs), else None."""
    destination = (rule or {}).get("Destination") or {}
    rtc, metrics = destination.get("ReplicationTime") or {}, destination.get("Metrics") or {}
    if rtc.get("Status") != "Enabled" or metrics.get("Status") != "Enabled":
        return None
    minutes = (metrics.get("EventThreshold") or rtc.get("Time") or {}).get("Minutes")
    return int(minutes) if isinstance(minutes, int) and minutes > 0 else DEFAULT_MINUTES


class ThresholdWatch:
    """Times each live version of an RTC rule from PENDING; calls ``publish(event, kind, minutes)`` when late."""

    def __init__(self, rule_of: Callable[[Any], dict[str, Any] | None],
                 publish: Callable[[Any, str, int], None], *, seconds: float | None = None) -> None:
        self.rule_of = rule_of  # the rule a ReplicationEvent replicates by (None: gone)
        self.publish = publish
        self.seconds = seconds  # None: the rule's minutes
        self._watched: dict[Ident, tuple[float, int, bool]] = {}  # ident -> (started, minutes, missed told)
        self._heap: list[tuple[float, int, Ident, Any, float]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._wake:
            self._stopping = False
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-rtc", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    def _threshold(self, minutes: int) -> float:
        return self.seconds if self.seconds is not None else minutes * 60.0

    def on_event(self, event: Any) -> None:
        if event.via_batch:
            return  # RTC covers live replication only
        ident = (event.source_bucket, event.key, event.version_id, event.destination_bucket)
        if event.kind == "pending":
            minutes = rtc_minutes(self.rule_of(event))
            if minutes is None:
                return
            now = time.monotonic()
            with self._wake:
                self._watched[ident] = (now, minutes, False)
                heapq.heappush(self._heap, (now + self._threshold(minutes), next(self._seq), ident, event, now))
                self._wake.notify()
            return
        with self._wake:
            watched = self._watched.pop(ident, None)
        if watched is None or event.kind != "completed":
            return  # a failure is its own event; an unwatched version was never late
        started, minutes, missed = watched
        if missed or time.monotonic() - started > self._threshold(minutes):
            self.publish(event, AFTER, minutes)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._wake.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                if self._stopping:
                    return
                _, _, ident, event, started = heapq.heappop(self._heap)
                watched = self._watched.get(ident)
                if watched is None or watched[2] or watched[0] != started:
                    continue  # replicated (or failed) in time
                self._watched[ident] = (watched[0], watched[1], True)
            self.publish(event, MISSED, watched[1])
