"""S3 Replication metrics, published into moto's CloudWatch backend.

For every rule with ``Destination.Metrics.Status = Enabled`` (the engine says
so on each event: ``event.metrics_enabled``) this keeps, per
(source account, source region, SourceBucket, DestinationBucket, RuleId):

=============================== ======= ==================================================
``ReplicationLatency``           Seconds the largest latency of the versions completed in the period (live only)
``BytesPendingReplication``      Bytes   bytes of versions pending (peak since the last publish)
``OperationsPendingReplication`` Count   versions pending (peak since the last publish)
``OperationsFailedReplication``  Count   failures in the period (live and Batch Replication)
=============================== ======= ==================================================

As on AWS, the latency and pending metrics describe live replication only:
Batch Replication's pending/completed events (``event.via_batch``) are not
counted there (a batch outcome still clears a version that was pending live).

in namespace ``AWS/S3`` with dimensions ``SourceBucket``, ``DestinationBucket``
(bucket *names*) and ``RuleId``, in the source account and region, so
``cloudwatch.get_metric_data`` against the sandbox returns them.

Publishing is cheap: a thread wakes every ``period`` seconds and writes only
the rules that changed, plus the pending gauges of rules with something still
pending (so a ``Maximum`` over any period sees them), plus one zero when a
rule's backlog drains. An idle rule gets its zero gauges once a ``heartbeat``
(a minute, S3's own granularity) so the newest minute of a drained rule reads
zero, as on AWS, where enabled metrics are reported every minute; without it
the newest datapoint would stay the last minute that had a peak. A pending
gauge carries the highest level seen since the previous publish (versions
pending for less than a publish period still show), the next one the level
after it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..core.names import bucket_from_arn
from .moto_access import find_bucket

log = logging.getLogger(__name__)

NAMESPACE = "AWS/S3"


@dataclass
class _RuleState:
    pending: dict[tuple[str, str | None], int] = field(default_factory=dict)  # (key, version) -> size
    peak: tuple[int, int] = (0, 0)  # highest (operations, bytes) pending since the last publish
    latency_max: float | None = None  # since the last publish
    failed: int = 0  # since the last publish
    dirty: bool = False
    published_pending: tuple[int, int] = (0, 0)  # (operations, bytes) last written
    published_at: float = 0.0  # time.monotonic() of the last write


class ReplicationMetrics:
    """Listens to the ReplicationEngine's events and publishes AWS/S3 replication metrics."""

    def __init__(self, engine: Any, *, period: float = 1.0, heartbeat: float = 60.0) -> None:
        self.engine = engine
        self.period = period
        self.heartbeat = heartbeat
        self._rules: dict[tuple[str, str, str, str, str], _RuleState] = {}
        self._regions: dict[str, str] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._listening = False

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if not self._listening:
            self.engine.add_listener(self.on_event)
            self._listening = True
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-metrics", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None
        try:
            self.flush()
        except Exception:  # moto may already be reset
            log.debug("final metrics flush failed", exc_info=True)

    def _run(self) -> None:
        while not self._stopping.wait(self.period):
            try:
                self.flush()
            except Exception:
                log.exception("publishing replication metrics failed")

    # ------------------------------------------------------------------ events

    def on_event(self, event: Any) -> None:
        """The engine's listener: one ReplicationEvent (pending, completed or failed)."""
        if not getattr(event, "metrics_enabled", False):
            return
        region = self._region_of(event.source_bucket)
        rule_key = (
            event.source_account,
            region,
            bucket_from_arn(event.source_bucket),
            bucket_from_arn(event.destination_bucket),
            event.rule_id or "",
        )
        version = (event.key, event.version_id)
        with self._lock:
            state = self._rules.setdefault(rule_key, _RuleState())
            batch = bool(getattr(event, "via_batch", False))
            if event.kind == "pending":
                if batch:  # pending/latency metrics are live replication only (AWS); failures count both
                    return
                state.pending[version] = int(event.size or 0)
                state.peak = (
                    max(state.peak[0], len(state.pending)),
                    max(state.peak[1], sum(state.pending.values())),
                )
            elif event.kind == "completed":
                state.pending.pop(version, None)
                if event.latency is not None and not batch:
                    state.latency_max = max(state.latency_max or 0.0, float(event.latency))
            elif event.kind == "failed":
                state.pending.pop(version, None)
                state.failed += 1
            else:
                return
            state.dirty = True

    def _region_of(self, bucket_name: str) -> str:
        name = bucket_from_arn(bucket_name)
        region = self._regions.get(name)
        if region is None:
            region = getattr(self.engine, "region", None) or "us-east-1"
            bucket = find_bucket(name)
            if bucket is not None:
                region = bucket.region_name
            self._regions[name] = region
        return region

    # ------------------------------------------------------------------ publishing

    def snapshot(self) -> dict[tuple[str, str, str, str, str], dict[str, float]]:
        """Current pending gauges per rule (for the sandbox UI and tests)."""
        with self._lock:
            return {
                key: {
                    "OperationsPendingReplication": len(state.pending),
                    "BytesPendingReplication": sum(state.pending.values()),
                }
                for key, state in self._rules.items()
            }

    def flush(self) -> int:
        """Publish what changed since the last flush; returns the number of datapoints written."""
        batches: list[tuple[str, str, list[dict[str, Any]]]] = []
        now = time.monotonic()
        with self._lock:
            for (account, region, source, destination, rule_id), state in self._rules.items():
                current = (len(state.pending), sum(state.pending.values()))
                idle = not state.dirty and current == (0, 0) and state.published_pending == (0, 0)
                if idle and now - state.published_at < self.heartbeat:
                    continue
                # the gauges carry the period's peak, so versions that were pending only briefly
                # (a fast sandbox) still show; the next publish carries the level after that
                operations, size = max(state.peak[0], current[0]), max(state.peak[1], current[1])
                dimensions = [
                    {"Name": "SourceBucket", "Value": source},
                    {"Name": "DestinationBucket", "Value": destination},
                    {"Name": "RuleId", "Value": rule_id},
                ]
                data = [
                    {"MetricName": "OperationsPendingReplication", "Value": operations, "Unit": "Count"},
                    {"MetricName": "BytesPendingReplication", "Value": size, "Unit": "Bytes"},
                ]
                if state.latency_max is not None:
                    data.append({"MetricName": "ReplicationLatency", "Value": state.latency_max, "Unit": "Seconds"})
                if state.failed:
                    data.append({"MetricName": "OperationsFailedReplication", "Value": state.failed, "Unit": "Count"})
                for datum in data:
                    datum["Dimensions"] = dimensions
                batches.append((account, region, data))
                state.latency_max = None
                state.failed = 0
                state.dirty = False
                state.published_pending = (operations, size)
                state.published_at = now
                state.peak = current
        if not batches:
            return 0
        from moto.cloudwatch.models import cloudwatch_backends

        written = 0
        for account, region, data in batches:
            cloudwatch_backends[account][region].put_metric_data(NAMESPACE, data)
            written += len(data)
        return written
