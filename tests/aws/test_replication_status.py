"""aws.replication_status against the sandbox: a ReplicationStatus sample and the rule's CloudWatch metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.replication_status import (
    MetricSeries,
    RuleMetrics,
    SettledStatuses,
    StatusSample,
    read_metrics,
    replication_status,
    sample_status,
    summarize,
)

from . import test_jobs_support as support
from .test_jobs_support import REGION, clients_of, make_world, wait_for


def settled(world: Any, key: str, version_id: str) -> str:
    """Wait until the source version leaves PENDING."""
    return wait_for(
        lambda: (s := world.setup.s3a.head_object(Bucket=world.src, Key=key, VersionId=version_id)
                 .get("ReplicationStatus")) in ("COMPLETED", "FAILED") and s,
        5.0, what=f"replication of {key}",
    )


def test_sample_counts_completed_failed_and_not_eligible(sandbox: Any) -> None:
    # a rule for "in/" only; "old.txt" predates the rule, "out/x" is not covered
    world = make_world(sandbox, keys=("old.txt",), flt={"Prefix": "in/"})
    versions = world.put("in/ok-1", "in/ok-2", "out/x")
    for key in ("in/ok-1", "in/ok-2"):
        assert settled(world, key, versions[key]) == "COMPLETED"
    world.setup.s3b.delete_bucket_policy(Bucket=world.dst)  # B stops letting the role in
    failed = world.put("in/denied")
    assert settled(world, "in/denied", failed["in/denied"]) == "FAILED"
    world.setup.s3a.delete_object(Bucket=world.src, Key="out/x")  # a delete marker is not sampled

    sample = sample_status(world.clients, world.src, limit=100, workers=3)
    assert sample.sampled == 5 and not sample.truncated
    assert (sample.completed, sample.failed, sample.pending, sample.replica, sample.absent) == (2, 1, 0, 0, 2)
    assert sample.delete_markers == 1
    assert sample.failed_keys == (f"in/denied?versionId={failed['in/denied']}",)
    assert {k.split("?")[0] for k in sample.absent_keys} == {"old.txt", "out/x"}
    assert sample.counts == {"COMPLETED": 2, "PENDING": 0, "FAILED": 1, "REPLICA": 0, "NONE": 2}
    assert sample.completed_share == pytest.approx(2 / 3)

    # the same with a prefix, a limit, and from the destination's side (replicas)
    limited = sample_status(world.clients, world.src, prefix="in/", limit=2)
    assert limited.sampled == 2 and limited.truncated and limited.absent == 0
    replicas = sample_status(clients_of(sandbox, "222222222222"), world.dst)
    assert replicas.replica == replicas.sampled == 2

    health = summarize(sample, None)
    assert health.state == "failing"
    assert any("FAILED" in line and "ObjectReplicationStatuses FAILED" in line for line in health.lines)
    assert any("no status" in line for line in health.lines)


def test_settled_statuses_are_not_asked_about_again_until_they_expire(sandbox: Any) -> None:
    # "in/" replicates (COMPLETED), "old.txt" predates the rule (no status: may still change)
    world = make_world(sandbox, keys=("old.txt",), flt={"Prefix": "in/"})
    versions = world.put("in/ok-1", "in/ok-2")
    for key in ("in/ok-1", "in/ok-2"):
        assert settled(world, key, versions[key]) == "COMPLETED"
    heads: list[str] = []
    s3 = world.clients("s3", REGION)

    def count(params: dict[str, Any], **_: Any) -> None:
        heads.append(params["Key"])

    s3.meta.events.register("before-parameter-build.s3.HeadObject", count)
    now = [0.0]
    memory = SettledStatuses(ttl=60.0, clock=lambda: now[0])
    try:
        first = sample_status(world.clients, world.src, settled=memory)
        assert sorted(heads) == ["in/ok-1", "in/ok-2", "old.txt"] and len(memory) == 2
        heads.clear()
        again = sample_status(world.clients, world.src, settled=memory)
        assert heads == ["old.txt"]  # only the version whose status can still change
        assert again == first  # the same counts, examples and order
        heads.clear()
        now[0] = 61.0  # trusted for a minute only: asked again
        sample_status(world.clients, world.src, settled=memory)
        assert sorted(heads) == ["in/ok-1", "in/ok-2", "old.txt"]
    finally:
        s3.meta.events.unregister("before-parameter-build.s3.HeadObject", count)
    memory.remember(world.src, "k", "v1", "FAILED")  # can still change: not remembered
    memory.remember(world.src, "k", "null", "REPLICA")
    assert memory.get(world.src, "k", "v1") is None and memory.get(world.src, "k", "null") == "REPLICA"


def test_legacy_complete_counts_as_completed(sandbox: Any) -> None:
    world = make_world(sandbox, keys=(), replicate_first=True)
    version = world.put("new.txt")["new.txt"]
    assert settled(world, "new.txt", version) == "COMPLETED"
    s3 = world.clients("s3", REGION)

    def legacy(parsed: dict[str, Any], **_: Any) -> None:  # botocore's legacy enum value, as old models spell it
        if parsed.get("ReplicationStatus") == "COMPLETED":
            parsed["ReplicationStatus"] = "COMPLETE"

    s3.meta.events.register("after-call.s3.HeadObject", legacy)
    try:
        sample = sample_status(world.clients, world.src)
    finally:
        s3.meta.events.unregister("after-call.s3.HeadObject", legacy)
    assert sample.completed == 1 and sample.absent == 0


def test_errors_are_aws_errors(sandbox: Any) -> None:
    world = make_world(sandbox, keys=("a",))
    with pytest.raises(AwsError) as exc:
        sample_status(world.clients, "no-such-bucket-here")
    assert exc.value.code == "NoSuchBucket"
    with pytest.raises(AwsError) as exc:  # the bucket is not the expected owner's
        sample_status(world.clients, world.src, expected_owner="222222222222")
    assert exc.value.code == "AccessDenied"


def test_metrics_read_back_for_a_rule_with_metrics(sandbox: Any) -> None:
    world = make_world(sandbox, keys=(), metrics=True, replicate_first=True)
    world.put("live/1", "live/2", body=b"x" * 100)
    rule_id = world.setup.rules[0]["ID"]

    def read() -> RuleMetrics:
        sandbox.metrics.flush()  # publish now rather than at the sandbox's next 1-second tick
        return read_metrics(world.clients, world.src, f"arn:aws:s3:::{world.dst}", rule_id,
                            region=REGION, window=600, period=60)

    metrics = wait_for(lambda: (m := read()).latency.values and m.operations_pending.values and m,
                       10.0, what="latency and pending datapoints")
    assert metrics.destination_bucket == world.dst  # the ARN became a name
    assert len(metrics.latency.slots) == 10 and metrics.period == 60
    assert metrics.latency.peak is not None and metrics.latency.peak >= 0
    assert (metrics.operations_pending.peak or 0) >= 1
    assert (metrics.bytes_pending.peak or 0) >= 100
    assert metrics.operations_failed.values == ()
    assert sum(1 for v in metrics.latency.slots if v is not None) >= 1
    assert len(metrics.latency.sparkline_values()) == 10
    assert metrics.to_dict()["series"]["ReplicationLatency"]["stat"] == "Maximum"

    # failures: B removes its policy, the next write fails and is counted with Sum
    world.setup.s3b.delete_bucket_policy(Bucket=world.dst)
    world.put("live/3")
    failing = wait_for(lambda: (m := read()).operations_failed.total >= 1 and m, 10.0, what="a failure datapoint")
    assert failing.operations_failed.stat == "Sum"
    health = summarize(None, failing)
    assert health.state == "failing" and any("failed" in line for line in health.lines)

    combined = replication_status(world.clients, world.src, world.dst, rule_id, region=REGION,
                                  window=600, period=60)
    assert combined.state == "failing" and combined.sample is not None and combined.metrics is not None
    assert combined.sample.failed == 1 and combined.sample.completed == 2
    assert combined.to_dict()["sample"]["counts"]["FAILED"] == 1


def test_a_rule_without_metrics_has_no_data(sandbox: Any) -> None:
    world = make_world(sandbox, keys=(), replicate_first=True)
    metrics = read_metrics(world.clients, world.src, world.dst, "to-dst", window=timedelta(minutes=30), period=300)
    assert not metrics.has_data and len(metrics.latency.slots) == 6
    assert summarize(None, metrics).state == "no-data"


def test_summary_states() -> None:
    now = datetime.now(UTC)
    empty = MetricSeries("X", "Maximum", "Count")

    def metrics(pending: float | None = None) -> RuleMetrics:
        ops = MetricSeries("OperationsPendingReplication", "Maximum", "Count", (now,), (pending,), (pending,)) \
            if pending is not None else empty
        return RuleMetrics("s", "d", "r", REGION, now, now, 60, empty, empty, ops, empty)

    assert summarize(StatusSample("b", "", 3, completed=3), None).state == "healthy"
    assert summarize(StatusSample("b", "", 3, completed=2, pending=1), None).state == "replicating"
    assert summarize(StatusSample("b", "", 2, absent=2), None).state == "not-eligible"
    assert summarize(None, metrics(pending=4)).state == "replicating"
    assert summarize(None, metrics(pending=0)).state == "healthy"
    assert summarize(None, None).state == "no-data"


sandbox = support.sandbox  # the fixture: a fresh Sandbox per test


def test_settled_statuses_stay_bounded_dropping_the_oldest_first() -> None:
    memory = SettledStatuses(most=100)
    for n in range(250):
        memory.remember("b", f"k{n:03d}", "v", "COMPLETED")
    assert len(memory) <= 100
    assert memory.get("b", "k249", "v") == "COMPLETED" and memory.get("b", "k000", "v") is None
    memory.remember("b", "pending", "v", "PENDING")  # can still change: never remembered
    assert memory.get("b", "pending", "v") is None
