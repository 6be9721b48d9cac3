"""A bucket's size and object count from CloudWatch's daily storage metrics: no listing, so billions are fine.

Amazon S3 publishes, once a day, in namespace ``AWS/S3`` of the bucket's region
("Metrics and dimensions", Amazon S3 daily storage metrics for buckets in CloudWatch,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html):

* ``NumberOfObjects`` with ``StorageType=AllStorageTypes`` (current and noncurrent versions),
* ``BucketSizeBytes`` per ``StorageType`` (``StandardStorage``, ``StandardIAStorage``,
  ``GlacierStorage``...), statistic Average, period 86400 (one day).

One ``GetMetricData`` asks for all of them over the last :data:`LOOKBACK_DAYS` days, newest
first; each metric's newest datapoint and its date is what we keep. The figures lag (AWS
states no delay; plan for a day or more) and a new or empty bucket may have none: that is
"no data", never an error. ``object_count`` is the one number other areas need (the
inventory's size threshold).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..core.estimate import bytes_by_class
from ..core.estimate_model import ALL_STORAGE_TYPES, STORAGE_TYPES, StorageFacts
from .errors import AwsError, explain

NAMESPACE = "AWS/S3"
PERIOD = 86400
LOOKBACK_DAYS = 4
MAX_PAGES = 5  # one page holds them all (26 metrics x 4 days); the bound is for a misbehaving endpoint


def _dimensions(bucket: str, storage_type: str) -> list[dict[str, str]]:
    # StorageType first: moto (the sandbox) matches dimensions in the order it stored them, and AWS does not mind
    return [{"Name": "StorageType", "Value": storage_type}, {"Name": "BucketName", "Value": bucket}]


def _queries(bucket: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    queries = [{"Id": "objects", "MetricStat": {"Metric": {
        "Namespace": NAMESPACE, "MetricName": "NumberOfObjects",
        "Dimensions": _dimensions(bucket, ALL_STORAGE_TYPES)}, "Period": PERIOD, "Stat": "Average"},
        "ReturnData": True}]
    ids: dict[str, str] = {}
    for n, storage_type in enumerate(STORAGE_TYPES):
        query_id = f"size{n}"
        ids[query_id] = storage_type
        queries.append({"Id": query_id, "MetricStat": {"Metric": {
            "Namespace": NAMESPACE, "MetricName": "BucketSizeBytes",
            "Dimensions": _dimensions(bucket, storage_type)}, "Period": PERIOD, "Stat": "Average"},
            "ReturnData": True})
    return queries, ids


def _window(now: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    """Whole UTC days, so each one-day period is one calendar day (a datapoint's date is its day)."""
    today = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).date()
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return end - dt.timedelta(days=LOOKBACK_DAYS + 1), end


def _newest(result: dict[str, Any]) -> tuple[float, dt.datetime] | None:
    pairs = list(zip(result.get("Timestamps") or [], result.get("Values") or [], strict=False))
    if not pairs:
        return None
    when, value = max(pairs, key=lambda p: p[0])
    return float(value), when


def read_storage(cloudwatch: Any, bucket: str, *, region: str | None = None,
                 now: dt.datetime | None = None) -> StorageFacts:
    """The bucket's newest daily figures (``StorageFacts``; ``has_data`` False when CloudWatch has none).

    ``cloudwatch`` is a CloudWatch client in the bucket's region. Raises AwsError when CloudWatch
    refuses (cloudwatch:GetMetricData denied) or cannot be reached.
    """
    start, end = _window(now)
    queries, ids = _queries(bucket)
    kwargs: dict[str, Any] = {"MetricDataQueries": queries, "StartTime": start, "EndTime": end,
                              "ScanBy": "TimestampDescending"}
    merged: dict[str, dict[str, list[Any]]] = {}
    try:
        for _ in range(MAX_PAGES):
            page = cloudwatch.get_metric_data(**kwargs)
            for result in page.get("MetricDataResults") or []:
                slot = merged.setdefault(result["Id"], {"Timestamps": [], "Values": []})
                slot["Timestamps"] += list(result.get("Timestamps") or [])
                slot["Values"] += list(result.get("Values") or [])
            token = page.get("NextToken")
            if not token:
                break
            kwargs["NextToken"] = token
    except AwsError:
        raise
    except Exception as exc:
        raise explain(exc, what=f"cloudwatch.get_metric_data for bucket {bucket!r}") from None
    objects = _newest(merged.get("objects", {}))
    sizes: dict[str, float] = {}
    found = [(ids[i], _newest(r)) for i, r in merged.items() if i in ids]
    days = [p[1].date() for _, p in found if p is not None] + ([objects[1].date()] if objects else [])
    newest_day = max(days) if days else None
    for storage_type, point in found:
        if point is not None and point[1].date() == newest_day:  # one day's figures, not a mix of days
            sizes[storage_type] = point[0]
    if objects is None and not sizes:
        return StorageFacts(bucket=bucket, region=region,
                            note=f"CloudWatch has no daily storage metrics for it in the last {LOOKBACK_DAYS} days "
                            "(a new or empty bucket, or metrics not yet published)")
    return StorageFacts(bucket=bucket, region=region,
                        objects=int(objects[0]) if objects is not None else None,
                        bytes_by_class=bytes_by_class(sizes),
                        as_of=newest_day.isoformat() if newest_day else None)


def object_count(cloudwatch: Any, bucket: str) -> int | None:
    """NumberOfObjects' newest daily datapoint (current and noncurrent versions); None when there is none.

    Raises AwsError when CloudWatch cannot be read.
    """
    start, end = _window(None)
    try:
        page = cloudwatch.get_metric_data(
            MetricDataQueries=_queries(bucket)[0][:1], StartTime=start, EndTime=end, ScanBy="TimestampDescending")
    except Exception as exc:
        raise explain(exc, what=f"cloudwatch.get_metric_data for bucket {bucket!r}") from None
    results = page.get("MetricDataResults") or [{}]
    newest = _newest(results[0])
    return None if newest is None else int(newest[0])
