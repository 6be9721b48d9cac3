"""Replication status of a source bucket: a ``ReplicationStatus`` sample and the rule's CloudWatch metrics.

* :func:`sample_status` lists source versions (``list_object_versions`` pages,
  in key order) and reads ``ReplicationStatus`` of up to N of them with
  ``head_object``, a few at a time in a small thread pool. ``COMPLETE`` (the
  legacy model value) counts as ``COMPLETED``; no status at all means the
  version is not eligible (no rule covers it, or it predates the rule). A
  poller passes a :class:`SettledStatuses`: versions already seen COMPLETED or
  REPLICA are not asked about again for a while (a settled bucket costs one
  listing per sample, not 200 HEADs).
* :func:`read_metrics` reads the rule's replication metrics (https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html)
  with one ``get_metric_data`` call per page, as time series with one slot per
  period over the window, ready for a sparkline.
* :func:`summarize` / :func:`replication_status` turn both into one verdict
  with lines a person can act on.

All results are frozen dataclasses (cheap to compare between polls).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..core.humanize import size as _size
from ..core.names import bucket_from_arn
from .clients import Clients
from .errors import AwsError, error_code, explain
from .identity import profile_of

__all__ = [
    "COMPLETED_VALUES",
    "METRICS",
    "MetricSeries",
    "ReplicationHealth",
    "RuleMetrics",
    "SettledStatuses",
    "StatusSample",
    "read_metrics",
    "replication_status",
    "sample_status",
    "summarize",
]

COMPLETED_VALUES = frozenset({"COMPLETED", "COMPLETE"})
NAMESPACE = "AWS/S3"
# (metric, statistic, unit, attribute of RuleMetrics)
METRICS: tuple[tuple[str, str, str, str], ...] = (
    ("ReplicationLatency", "Maximum", "Seconds", "latency"),
    ("BytesPendingReplication", "Maximum", "Bytes", "bytes_pending"),
    ("OperationsPendingReplication", "Maximum", "Count", "operations_pending"),
    ("OperationsFailedReplication", "Sum", "Count", "operations_failed"),
)
_GONE_CODES = frozenset({"404", "NoSuchKey", "NoSuchVersion", "NotFound"})


# ---------------------------------------------------------------------------------------- status sample


@dataclass(frozen=True)
class StatusSample:
    """``ReplicationStatus`` counted over the first ``sampled`` versions of the bucket (key order)."""

    bucket: str
    prefix: str
    sampled: int
    completed: int = 0
    pending: int = 0
    failed: int = 0
    replica: int = 0
    absent: int = 0  # no status: not eligible (no rule covers it) or written before the rule
    gone: int = 0  # the version disappeared between listing and head_object
    delete_markers: int = 0  # seen while listing; not sampled (head_object answers 404 for them)
    truncated: bool = False  # the bucket has more versions than were sampled
    failed_keys: tuple[str, ...] = ()  # "key?versionId=..." of the first few, per state
    pending_keys: tuple[str, ...] = ()
    absent_keys: tuple[str, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        return {"COMPLETED": self.completed, "PENDING": self.pending, "FAILED": self.failed,
                "REPLICA": self.replica, "NONE": self.absent}

    @property
    def completed_share(self) -> float | None:
        eligible = self.completed + self.pending + self.failed
        return self.completed / eligible if eligible else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "counts": self.counts, "completed_share": self.completed_share}


class SettledStatuses:
    """Versions whose ``ReplicationStatus`` will not change, remembered between samples.

    COMPLETED and REPLICA are final for a version (a new write is a new version id; with
    a replication configuration versioning cannot be suspended, so not even the ``null``
    version of an object written before versioning is overwritten in place); PENDING,
    FAILED and no status can still change and are asked about every time. An entry is
    trusted for ``ttl`` seconds only: a Batch Replication job may replicate a COMPLETED
    version again (and fail).
    """

    FINAL = frozenset({"COMPLETED", "COMPLETE", "REPLICA"})

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic, most: int = 10_000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.most = most  # a monitor left open for days samples new versions: the oldest entries go first
        self._seen: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()

    def get(self, bucket: str, key: str, version_id: str) -> str | None:
        with self._lock:
            entry = self._seen.get((bucket, key, version_id))
            if entry is None:
                return None
            if self.clock() - entry[1] > self.ttl:
                del self._seen[(bucket, key, version_id)]
                return None
            return entry[0]

    def remember(self, bucket: str, key: str, version_id: str, status: str) -> None:
        if status in self.FINAL:
            with self._lock:
                self._seen[(bucket, key, version_id)] = (status, self.clock())
                if len(self._seen) > self.most:  # insertion order is age order: drop the oldest tenth
                    for stale in list(itertools.islice(self._seen, len(self._seen) - self.most * 9 // 10)):
                        del self._seen[stale]

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()

    def __len__(self) -> int:
        return len(self._seen)


def _versions(s3: Any, bucket: str, prefix: str, expected_owner: str | None,
              page_size: int) -> Iterator[tuple[list[tuple[str, str]], int, bool]]:
    """Pages of (key, version id) of object versions, the delete markers counted, and whether more follow."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "PaginationConfig": {"PageSize": page_size}}
    if prefix:
        kwargs["Prefix"] = prefix
    if expected_owner:
        kwargs["ExpectedBucketOwner"] = expected_owner
    for page in s3.get_paginator("list_object_versions").paginate(**kwargs):
        versions = [(v["Key"], v.get("VersionId") or "null") for v in page.get("Versions") or ()]
        yield versions, len(page.get("DeleteMarkers") or ()), bool(page.get("IsTruncated"))


def _tally(counts: dict[str, int], keys: dict[str, list[str]], key: str, version_id: str, status: str,
           examples: int) -> None:
    """Count one version's status; keep up to ``examples`` keys of each failed, pending and absent."""
    label = key + (f"?versionId={version_id}" if version_id != "null" else "")
    if status in COMPLETED_VALUES:
        counts["completed"] += 1
    elif status == "gone":
        counts["gone"] += 1
    elif status in ("PENDING", "FAILED", "REPLICA"):
        counts[status.lower()] += 1
    else:
        counts["absent"] += 1
        status = "ABSENT"
    bucket_keys = keys.get(status.lower())
    if bucket_keys is not None and len(bucket_keys) < examples:
        bucket_keys.append(label)


def sample_status(
    clients: Clients,
    bucket: str,
    *,
    region: str | None = None,
    prefix: str = "",
    limit: int = 200,
    workers: int = 8,
    expected_owner: str | None = None,
    examples: int = 5,
    settled: SettledStatuses | None = None,
) -> StatusSample:
    """Count ``ReplicationStatus`` over up to ``limit`` versions of ``bucket`` (with its owner's clients).

    ``workers`` head_object calls run at a time; versions ``settled`` remembers are not asked
    about (and final statuses read are remembered there). Raises AwsError when the bucket
    cannot be listed or the credentials may not read object metadata (s3:GetObjectVersion).
    """
    s3 = clients("s3", region)
    limit = max(0, int(limit))
    counts = {"completed": 0, "pending": 0, "failed": 0, "replica": 0, "absent": 0, "gone": 0}
    keys: dict[str, list[str]] = {"failed": [], "pending": [], "absent": []}
    sampled = markers = 0
    truncated = False

    def head(item: tuple[str, str]) -> tuple[tuple[str, str], str]:
        key, version_id = item
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id != "null":
            kwargs["VersionId"] = version_id
        if expected_owner:
            kwargs["ExpectedBucketOwner"] = expected_owner
        try:
            status = s3.head_object(**kwargs).get("ReplicationStatus") or ""
        except Exception as exc:
            code = error_code(exc)
            if code in _GONE_CODES:
                return item, "gone"
            raise explain(exc, profile=profile_of(clients),
                          what=f"s3.head_object s3://{bucket}/{key}?versionId={version_id}") from exc
        return item, status.upper()

    try:
        with ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="s3xrep-status") as pool:
            for versions, page_markers, more in _versions(s3, bucket, prefix, expected_owner,
                                                          page_size=min(1000, max(1, limit))):
                markers += page_markers
                room = limit - sampled
                if len(versions) > room:
                    truncated = True
                page = versions[:room]
                known = {} if settled is None else {
                    item: status for item in page if (status := settled.get(bucket, *item)) is not None}
                read = dict(pool.map(head, [item for item in page if item not in known]))
                for item in page:
                    key, version_id = item
                    status = known[item] if item in known else read[item]
                    if settled is not None and item not in known:
                        settled.remember(bucket, key, version_id, status)
                    sampled += 1
                    _tally(counts, keys, key, version_id, status, examples)
                if sampled >= limit:
                    truncated = truncated or more
                    break
    except AwsError:
        raise
    except Exception as exc:
        raise explain(exc, profile=profile_of(clients), what=f"s3.list_object_versions on bucket {bucket!r}") from exc
    return StatusSample(
        bucket=bucket,
        prefix=prefix,
        sampled=sampled,
        delete_markers=markers,
        truncated=truncated,
        failed_keys=tuple(keys["failed"]),
        pending_keys=tuple(keys["pending"]),
        absent_keys=tuple(keys["absent"]),
        **counts,
    )


# ---------------------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class MetricSeries:
    """One metric over the window: the datapoints CloudWatch has, and one slot per period (None = no data)."""

    name: str
    stat: str
    unit: str
    timestamps: tuple[datetime, ...] = ()
    values: tuple[float, ...] = ()
    slots: tuple[float | None, ...] = ()  # oldest first, len = window / period

    @property
    def latest(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def peak(self) -> float | None:
        return max(self.values) if self.values else None

    @property
    def total(self) -> float:
        return float(sum(self.values))

    def sparkline_values(self, missing: float = 0.0) -> list[float]:
        """The slots with ``missing`` where CloudWatch had nothing (S3 sends no zeros when idle)."""
        return [missing if v is None else v for v in self.slots]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "stat": self.stat, "unit": self.unit,
            "points": [[t.isoformat(), v] for t, v in zip(self.timestamps, self.values)],
            "slots": list(self.slots), "latest": self.latest, "peak": self.peak, "total": self.total,
        }


@dataclass(frozen=True)
class RuleMetrics:
    """The four replication metrics of one rule (dimensions SourceBucket, DestinationBucket, RuleId)."""

    source_bucket: str
    destination_bucket: str
    rule_id: str
    region: str
    start: datetime
    end: datetime
    period: int
    latency: MetricSeries
    bytes_pending: MetricSeries
    operations_pending: MetricSeries
    operations_failed: MetricSeries

    @property
    def series(self) -> tuple[MetricSeries, ...]:
        return (self.latency, self.bytes_pending, self.operations_pending, self.operations_failed)

    @property
    def has_data(self) -> bool:
        return any(s.values for s in self.series)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_bucket": self.source_bucket, "destination_bucket": self.destination_bucket,
            "rule_id": self.rule_id, "region": self.region, "start": self.start.isoformat(),
            "end": self.end.isoformat(), "period": self.period,
            "series": {s.name: s.to_dict() for s in self.series},
        }


def read_metrics(
    clients: Clients,
    source_bucket: str,
    destination_bucket: str,
    rule_id: str,
    *,
    region: str | None = None,
    window: float | timedelta = 3 * 3600,
    period: int = 300,
    end: datetime | None = None,
) -> RuleMetrics:
    """The rule's replication metrics over the last ``window`` (seconds or timedelta) in ``period``-second
    slots, read in the source bucket's region (where the configuration lives) with the source account's
    clients. Bucket ARNs are accepted; CloudWatch wants names."""
    source, destination = bucket_from_arn(source_bucket), bucket_from_arn(destination_bucket)
    period = max(1, int(period))
    seconds = window.total_seconds() if isinstance(window, timedelta) else float(window)
    end = (end or datetime.now(UTC)).astimezone(UTC)
    slots = max(1, math.ceil(seconds / period))
    start = end - timedelta(seconds=slots * period)
    dimensions = [
        {"Name": "SourceBucket", "Value": source},
        {"Name": "DestinationBucket", "Value": destination},
        {"Name": "RuleId", "Value": rule_id},
    ]
    queries = [
        {"Id": f"m{i}", "ReturnData": True,
         "MetricStat": {"Metric": {"Namespace": NAMESPACE, "MetricName": name, "Dimensions": dimensions},
                        "Period": period, "Stat": stat}}
        for i, (name, stat, _, _) in enumerate(METRICS)
    ]
    cloudwatch = clients("cloudwatch", region)
    points: dict[str, dict[datetime, float]] = {q["Id"]: {} for q in queries}
    kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end,
                              "ScanBy": "TimestampAscending"}
    try:
        while True:
            answer = cloudwatch.get_metric_data(**kwargs)
            for result in answer.get("MetricDataResults") or ():
                into = points.setdefault(result.get("Id", ""), {})
                for timestamp, value in zip(result.get("Timestamps") or (), result.get("Values") or ()):
                    into[timestamp] = float(value)
            token = answer.get("NextToken")
            if not token or token == kwargs.get("NextToken"):
                break
            kwargs["NextToken"] = token
    except Exception as exc:
        raise explain(exc, profile=profile_of(clients),
                      what=f"cloudwatch.get_metric_data for rule {rule_id!r} of bucket {source!r}") from exc

    def series(index: int) -> MetricSeries:
        name, stat, unit, _ = METRICS[index]
        ordered = sorted(points.get(f"m{index}", {}).items())
        slot_values: list[float | None] = [None] * slots
        for timestamp, value in ordered:
            at = int((timestamp.astimezone(UTC) - start).total_seconds() // period)
            if 0 <= at < slots:
                previous = slot_values[at]
                if previous is None:
                    slot_values[at] = value
                else:  # two datapoints in one slot (periods not aligned): combine like the statistic
                    slot_values[at] = previous + value if stat == "Sum" else max(previous, value)
        return MetricSeries(name, stat, unit, tuple(t for t, _ in ordered), tuple(v for _, v in ordered),
                            tuple(slot_values))

    built = {METRICS[i][3]: series(i) for i in range(len(METRICS))}
    return RuleMetrics(source, destination, rule_id, region or clients.default_region or "", start, end, period,
                       **built)


# ---------------------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class ReplicationHealth:
    """One verdict for the rule: ``state`` and the lines that explain it (with what to do)."""

    state: str  # "failing" | "replicating" | "healthy" | "not-eligible" | "no-data"
    lines: tuple[str, ...]
    sample: StatusSample | None = None
    metrics: RuleMetrics | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "lines": list(self.lines),
            "sample": self.sample.to_dict() if self.sample else None,
            "metrics": self.metrics.to_dict() if self.metrics else None,
        }


def summarize(sample: StatusSample | None, metrics: RuleMetrics | None) -> ReplicationHealth:
    """A verdict from whatever was read (either may be None)."""
    lines: list[str] = []
    failing = replicating = healthy = False
    if sample is not None:
        more = "+" if sample.truncated else ""
        lines.append(
            f"{sample.sampled}{more} versions sampled: {sample.completed} COMPLETED, {sample.pending} PENDING, "
            f"{sample.failed} FAILED, {sample.replica} REPLICA, {sample.absent} without a status"
        )
        if sample.failed:
            failing = True
            lines.append(
                f"{sample.failed} version(s) FAILED (e.g. {', '.join(sample.failed_keys[:3])}): find the failure code "
                "(a Batch Replication job's report, or s3:Replication:OperationFailedReplication events), fix it, "
                "then retry with Batch Replication ObjectReplicationStatuses FAILED"
            )
        if sample.pending:
            replicating = True
        if sample.absent:
            lines.append(
                f"{sample.absent} version(s) have no status: not covered by a rule, or written before the rule; "
                "Batch Replication with ObjectReplicationStatuses NONE copies the ones in scope"
            )
        if sample.completed and not sample.failed and not sample.pending:
            healthy = True
    if metrics is not None:
        if not metrics.has_data:
            lines.append(
                "no replication metrics in the window: enable Metrics on the rule (first datapoints come ~15 "
                "minutes later; nothing is sent while idle)"
            )
        else:
            failed = metrics.operations_failed.total
            if failed:
                failing = True
                lines.append(f"{failed:.0f} replication operation(s) failed in the window (OperationsFailedReplication)")
            pending_ops = metrics.operations_pending.latest or 0
            pending_bytes = metrics.bytes_pending.latest or 0
            if pending_ops:
                replicating = True
                lines.append(f"{pending_ops:.0f} operation(s), {_size(pending_bytes)} pending replication")
            if metrics.latency.peak is not None:
                lines.append(f"replication latency up to {metrics.latency.peak:.0f} s in the window")
            healthy = healthy or not (failed or pending_ops)
    if failing:
        state = "failing"
    elif replicating:
        state = "replicating"
    elif healthy:
        state = "healthy"
    elif sample is not None and sample.sampled and sample.absent + sample.replica + sample.gone == sample.sampled:
        state = "not-eligible"
    else:
        state = "no-data"
    return ReplicationHealth(state, tuple(lines), sample, metrics)


def replication_status(
    clients: Clients,
    source_bucket: str,
    destination_bucket: str,
    rule_id: str,
    *,
    region: str | None = None,
    prefix: str = "",
    sample_size: int = 200,
    workers: int = 8,
    window: float | timedelta = 3 * 3600,
    period: int = 300,
    expected_owner: str | None = None,
    settled: SettledStatuses | None = None,
) -> ReplicationHealth:
    """Sample and metrics for a rule, with the source account's clients, summarised."""
    sample = sample_status(clients, bucket_from_arn(source_bucket), region=region, prefix=prefix,
                           limit=sample_size, workers=workers, expected_owner=expected_owner, settled=settled)
    metrics = read_metrics(clients, source_bucket, destination_bucket, rule_id, region=region,
                           window=window, period=period)
    return summarize(sample, metrics)
