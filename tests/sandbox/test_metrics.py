"""Replication metrics published into the sandbox's CloudWatch, read back with boto3 over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from s3xrep_tui.sandbox.metrics import ReplicationMetrics
from s3xrep_tui.sandbox.replication import ReplicationEvent

from .helpers import wait_for
from .test_batch import REGION, TERMINAL, A, Env, create_job, env, make_world  # noqa: F401 (env: fixture)


def metric(env: Env, name: str, stat: str, source: str, destination: str, rule_id: str) -> list[float]:
    """Datapoints of one replication metric over the last few minutes, via cloudwatch.get_metric_data."""
    now = datetime.now(timezone.utc)
    answer = env.a("cloudwatch", REGION).get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "AWS/S3",
                        "MetricName": name,
                        "Dimensions": [
                            {"Name": "SourceBucket", "Value": source},
                            {"Name": "DestinationBucket", "Value": destination},
                            {"Name": "RuleId", "Value": rule_id},
                        ],
                    },
                    "Period": 360,  # one bucket over the whole window
                    "Stat": stat,
                },
            }
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(minutes=1),
    )
    return list(answer["MetricDataResults"][0]["Values"])


def test_live_replication_publishes_latency_and_pending(env: Env) -> None:
    world = make_world(env, keys=[], metrics=True)
    for i in range(3):
        env.a("s3").put_object(Bucket=world.src, Key=f"live/{i}", Body=b"x" * 100)

    args = (world.src, world.dst, world.rule_id)
    latency = wait_for(lambda: metric(env, "ReplicationLatency", "Maximum", *args), what="ReplicationLatency")
    assert latency[0] >= 0
    pending = wait_for(lambda: metric(env, "OperationsPendingReplication", "Maximum", *args), what="pending ops")
    assert pending[0] >= 1  # versions were pending at some publish
    size = wait_for(lambda: metric(env, "BytesPendingReplication", "Maximum", *args), what="pending bytes")
    assert size[0] >= 100
    # the backlog drains: the latest pending gauge written is zero
    wait_for(lambda: metric(env, "OperationsPendingReplication", "Minimum", *args) == [0.0], what="drained")
    assert metric(env, "OperationsFailedReplication", "Sum", *args) == []


def test_failed_replication_counts_live_and_batch_failures(env: Env) -> None:
    world = make_world(env, keys=["old.txt"], metrics=True)
    env.b("s3").delete_bucket_policy(Bucket=world.dst)
    env.a("s3").put_object(Bucket=world.src, Key="new.txt", Body=b"live")  # live: fails
    job = env.wait_status(create_job(env, world), TERMINAL)  # batch: old.txt fails too
    assert job["ProgressSummary"]["NumberOfTasksFailed"] >= 1

    args = (world.src, world.dst, world.rule_id)
    wait_for(lambda: sum(metric(env, "OperationsFailedReplication", "Sum", *args)) >= 2, what="2 failures")


def test_rules_without_metrics_publish_nothing(env: Env) -> None:
    world = make_world(env, keys=[], metrics=False)
    env.a("s3").put_object(Bucket=world.src, Key="quiet.txt", Body=b"q")
    wait_for(lambda: "quiet.txt" in {v["Key"] for v in env.b("s3").list_object_versions(Bucket=world.dst).get("Versions", [])})
    env.metrics.flush()  # whatever the sandbox's publisher would write next
    for name in ("ReplicationLatency", "OperationsPendingReplication", "BytesPendingReplication"):
        assert metric(env, name, "Maximum", world.src, world.dst, world.rule_id) == []


class _Engine:
    def __init__(self) -> None:
        self.listeners: list[Any] = []

    def add_listener(self, fn: Any) -> None:
        self.listeners.append(fn)


def _event(kind: str, key: str, *, source: str, size: int = 10, latency: float | None = None,
           enabled: bool = True, via_batch: bool = False) -> ReplicationEvent:
    return ReplicationEvent(
        kind=kind,  # type: ignore[arg-type]
        source_account=A,
        source_bucket=source,
        destination_bucket=f"arn:aws:s3:::{source}-dst",
        rule_id="r1",
        key=key,
        version_id="v1",
        size=size,
        latency=latency,
        failure_code="DstPutObjectNotPermitted" if kind == "failed" else None,
        metrics_enabled=enabled,
        via_batch=via_batch,
    )


def test_publisher_accounting(env: Env) -> None:
    """Pending gauges, latency max, failures per period; idle rules write nothing."""
    engine = _Engine()
    metrics = ReplicationMetrics(engine, period=3600)  # no timer: flush by hand
    metrics.start()
    try:
        source = f"unit-{uuid.uuid4().hex[:8]}"
        feed = engine.listeners[0]
        feed(_event("pending", "a", source=source, size=10))
        feed(_event("pending", "b", source=source, size=30))
        feed(_event("pending", "c", source=source, size=5, enabled=False))  # not a metrics rule: ignored
        assert metrics.flush() == 2
        feed(_event("completed", "a", source=source, latency=2.5))
        feed(_event("completed", "x", source=source, latency=7.0))  # never seen pending: no negative count
        feed(_event("pending", "batch", source=source, size=1000, via_batch=True))  # not live: no gauge
        feed(_event("completed", "batch", source=source, latency=99.0, via_batch=True))  # not live: no latency
        feed(_event("failed", "b", source=source, via_batch=True))  # failures count both
        assert metrics.flush() == 4  # pending ops + bytes (the period started at 2), latency, failed
        assert metrics.flush() == 2  # the drained gauges: 0 and 0
        assert metrics.flush() == 0  # idle: nothing more

        args = (source, f"{source}-dst", "r1")
        assert metric(env, "OperationsPendingReplication", "Maximum", *args) == [2.0]
        assert metric(env, "OperationsPendingReplication", "Minimum", *args) == [0.0]
        assert metric(env, "BytesPendingReplication", "Maximum", *args) == [40.0]
        assert metric(env, "ReplicationLatency", "Maximum", *args) == [7.0]
        assert metric(env, "OperationsFailedReplication", "Sum", *args) == [1.0]
        assert metrics.snapshot()[(A, REGION, *args)] == {
            "OperationsPendingReplication": 0,
            "BytesPendingReplication": 0,
        }
    finally:
        metrics.stop()


def test_an_idle_rule_reads_zero_once_a_minute(env: Env) -> None:
    """A drained rule's newest datapoint is a zero, not the minute of its last peak.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html (replication metrics are
    reported per minute while enabled): the sandbox writes an idle rule's zero gauges once a heartbeat.
    """
    engine = _Engine()
    metrics = ReplicationMetrics(engine, period=3600, heartbeat=3600)
    metrics.start()
    try:
        source = f"unit-{uuid.uuid4().hex[:8]}"
        feed = engine.listeners[0]
        feed(_event("pending", "a", source=source, size=10))
        feed(_event("completed", "a", source=source, latency=1.0))
        assert metrics.flush() == 3  # the period's peak (1 op, 10 B) and its latency
        assert metrics.flush() == 2  # the drained gauges
        assert metrics.flush() == 0  # idle, within the heartbeat
        metrics.heartbeat = 0.0  # a heartbeat later
        assert metrics.flush() == 2  # zero and zero again, so the newest minute reads 0
        args = (source, f"{source}-dst", "r1")
        assert metric(env, "OperationsPendingReplication", "Minimum", *args) == [0.0]
    finally:
        metrics.stop()
