"""S3's daily storage metrics in the sandbox's CloudWatch, read with the stock AWS CLI.

AWS page: "Metrics and dimensions", section "Amazon S3 daily storage metrics for buckets in
CloudWatch" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html):
``BucketSizeBytes`` (Bytes, per ``StorageType``: StandardStorage, StandardIAStorage,
GlacierStorage...) and ``NumberOfObjects`` (Count, ``StorageType=AllStorageTypes``), both
counting current and noncurrent versions, in namespace ``AWS/S3``, reported once a day
(query with a period of 86400 seconds), dimensions ``BucketName`` and ``StorageType``.
"""

from __future__ import annotations

import datetime as dt

from s3xrep_tui.sandbox import storage_metrics
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT


def _window() -> list[str]:
    today = dt.datetime.now(dt.UTC).date()
    start, end = today - dt.timedelta(days=4), today + dt.timedelta(days=1)
    return ["--start-time", f"{start}T00:00:00Z", "--end-time", f"{end}T00:00:00Z", "--period", "86400"]


def _moment(value) -> dt.datetime:
    """The CLI prints a timestamp as ISO 8601 or as epoch seconds (its cli_timestamp_format)."""
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _statistics(aws, metric: str, bucket: str, storage_type: str) -> list[dict]:
    out = aws("cloudwatch", "get-metric-statistics", "--namespace", "AWS/S3", "--metric-name", metric,
              "--dimensions", f"Name=BucketName,Value={bucket}", f"Name=StorageType,Value={storage_type}",
              "--statistics", "Average", *_window())
    return sorted(out["Datapoints"], key=lambda p: p["Timestamp"])


def test_daily_size_per_storage_class_and_every_version_counted(aws, source_clients):
    s3 = source_clients("s3")
    s3.create_bucket(Bucket="metrics-src")
    s3.put_bucket_versioning(Bucket="metrics-src", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="metrics-src", Key="a", Body=b"x" * 1000)
    s3.put_object(Bucket="metrics-src", Key="a", Body=b"y" * 3000)  # a noncurrent version stays counted
    s3.put_object(Bucket="metrics-src", Key="b", Body=b"z" * 500, StorageClass="STANDARD_IA")
    s3.delete_object(Bucket="metrics-src", Key="b")  # a delete marker: no bytes, not an object

    standard = _statistics(aws, "BucketSizeBytes", "metrics-src", "StandardStorage")
    assert [p["Average"] for p in standard] == [4000.0, 4000.0]  # the real bytes, one datapoint a day
    assert all(p["Unit"] == "Bytes" for p in standard)
    days = [_moment(p["Timestamp"]) for p in standard]
    assert all(d.hour == d.minute == 0 for d in days) and days[1] - days[0] == dt.timedelta(days=1)
    assert days[-1].date() == dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)  # a day behind, like AWS
    assert [p["Average"] for p in _statistics(aws, "BucketSizeBytes", "metrics-src", "StandardIAStorage")] == [500.0] * 2
    assert _statistics(aws, "BucketSizeBytes", "metrics-src", "GlacierStorage") == []  # no bytes, no datapoint
    objects = _statistics(aws, "NumberOfObjects", "metrics-src", "AllStorageTypes")
    assert [p["Average"] for p in objects] == [3.0, 3.0] and objects[0]["Unit"] == "Count"


def test_metrics_live_in_the_bucket_region_and_list_metrics_names_them(aws, source_clients):
    source_clients("s3").create_bucket(Bucket="metrics-east")
    source_clients("s3", "eu-west-1").create_bucket(
        Bucket="metrics-west", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    for bucket, region in (("metrics-east", None), ("metrics-west", "eu-west-1")):  # an empty bucket reports none
        source_clients("s3", region).put_object(Bucket=bucket, Key="k", Body=b"x")
    names = aws("cloudwatch", "list-metrics", "--namespace", "AWS/S3", "--metric-name", "NumberOfObjects")
    buckets = {d["Value"] for m in names["Metrics"] for d in m["Dimensions"] if d["Name"] == "BucketName"}
    assert buckets == {"metrics-east"}  # the sandbox's region is us-east-1; metrics-west reports in eu-west-1


def test_virtual_figures_replace_what_the_bucket_holds(aws, source_clients):
    source_clients("s3").create_bucket(Bucket="metrics-virtual")
    storage_metrics.set_virtual_figures(SOURCE_ACCOUNT, "metrics-virtual", 2_000_000_000,
                                        {"StandardStorage": 5 * 1024**4, "GlacierStorage": 1024**4})
    assert _statistics(aws, "NumberOfObjects", "metrics-virtual", "AllStorageTypes")[-1]["Average"] == 2e9
    assert _statistics(aws, "BucketSizeBytes", "metrics-virtual", "GlacierStorage")[-1]["Average"] == 1024.0**4
