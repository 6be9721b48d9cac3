"""``finish`` on the demo sandbox, over real HTTP: apply, backfill, cut over, finish.

Both accounts are listed before and after (IAM roles with their policies and
tags, every bucket's policy, replication and notification configuration, every
object version, SNS topics and CloudWatch alarms): every foreign element is identical afterwards, every object is
still there, and nothing of ours is left. A foreign policy statement added while
the migration ran (which undo, restoring apply's "before", would have had to
skip) survives. The tests run in file order and
share one world.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.apply import Backoff, apply_plan
from s3xrep_tui.aws.finish import FinishBlocked, finish
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.aws.migrations import migration
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import get_or_none
from tests.sandbox.helpers import wait_for

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
OPTIONS = MigrationOptions(report_bucket="acme-legacy-batch-reports")
FAST = Backoff(total=0.1, first=0.005)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("finish-data") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("S3XREP_DATA_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[dict[str, Any]]:
    config = tmp_path_factory.mktemp("finish") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as sandbox:
        yield {"sandbox": sandbox, "clients": {"source": sandbox.clients(A), "destination": sandbox.clients(B)}}


def _roles(clients: Any) -> dict[str, Any]:
    iam = clients("iam")
    found = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        found[name] = {
            "trust": role.get("AssumeRolePolicyDocument"),
            "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                       for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
            "attached": [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]],
            "tags": {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]},
        }
    return found


def _buckets(clients: Any) -> dict[str, Any]:
    s3 = clients("s3")
    found = {}
    for bucket in (b["Name"] for b in s3.list_buckets()["Buckets"]):
        policy = get_or_none(lambda b=bucket: s3.get_bucket_policy(Bucket=b)["Policy"], "NoSuchBucketPolicy")
        replication = get_or_none(lambda b=bucket: s3.get_bucket_replication(Bucket=b)["ReplicationConfiguration"],
                                  "ReplicationConfigurationNotFoundError")
        notification = s3.get_bucket_notification_configuration(Bucket=bucket)
        notification.pop("ResponseMetadata", None)
        versions = []
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            versions += [(v["Key"], v["VersionId"], v["ETag"]) for v in page.get("Versions", [])]
            versions += [(m["Key"], m["VersionId"], "marker") for m in page.get("DeleteMarkers", [])]
        found[bucket] = {
            "policy": json.loads(policy) if policy else None,
            "replication": replication,
            "notification": notification,
            "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
            "versions": sorted(versions),
        }
    return found


def _monitoring(clients: Any) -> dict[str, Any]:
    """The account's SNS topics and CloudWatch alarms (what the alarms of issue 18 item 1 create)."""
    topics = [t["TopicArn"] for t in clients("sns").list_topics().get("Topics", [])]
    alarms = [a["AlarmName"] for a in clients("cloudwatch").describe_alarms().get("MetricAlarms", [])]
    return {"topics": sorted(t.rsplit(":", 1)[-1] for t in topics), "alarms": sorted(alarms)}


def snapshot(world: dict[str, Any]) -> dict[str, Any]:
    return {side: {"roles": _roles(c), "buckets": _buckets(c), **_monitoring(c)} for side, c in world["clients"].items()}


def _ours_id(entry: Any) -> bool:
    return str(entry.get("Id") or entry.get("ID") or entry.get("Sid") or "").lower().startswith("s3xrep")


def _entries(notification: dict[str, Any]) -> list[Any]:
    return [e for key, value in notification.items() if isinstance(value, list) for e in value]


def _ours_role(name: str, role: dict[str, Any]) -> bool:
    return role["tags"].get("s3xrep:managed-by") == "s3xrep-tui" or name.startswith("s3xrep-")


def _foreign(state: dict[str, Any]) -> dict[str, Any]:
    """Everything in the accounts that is not ours (our roles, Sids, rule IDs aside)."""
    out: dict[str, Any] = {}
    for side, found in state.items():
        out[side] = {"roles": {n: r for n, r in found["roles"].items() if not _ours_role(n, r)}, "buckets": {},
                     "topics": [t for t in found["topics"] if not t.startswith("s3xrep")],
                     "alarms": [a for a in found["alarms"] if not a.startswith("s3xrep")]}
        for bucket, b in found["buckets"].items():
            statements = [s for s in (b["policy"] or {}).get("Statement", []) if not _ours_id(s)]
            rules = [r for r in (b["replication"] or {}).get("Rules", []) if not _ours_id(r)]
            notification = {k: [e for e in v if not _ours_id(e)] if isinstance(v, list) else v
                            for k, v in b["notification"].items()}
            out[side]["buckets"][bucket] = {**b, "policy": statements, "replication": rules,
                                            "notification": {k: v for k, v in notification.items() if v != []}}
    return out


def _ours_left(state: dict[str, Any]) -> list[str]:
    left = []
    for side, found in state.items():
        left += [f"{side} role {n}" for n, r in found["roles"].items() if _ours_role(n, r)]
        left += [f"{side} {n}" for n in found["topics"] + found["alarms"] if n.startswith("s3xrep")]
        for bucket, b in found["buckets"].items():
            left += [f"{bucket} {s.get('Sid')}" for s in (b["policy"] or {}).get("Statement", [])
                     if str(s.get("Sid")).startswith("S3xrep")]
            left += [f"{bucket} rule {r.get('ID')}" for r in (b["replication"] or {}).get("Rules", [])
                     if str(r.get("ID")).startswith("s3xrep")]
            left += [f"{bucket} notification {e.get('Id')}" for e in _entries(b["notification"]) if _ours_id(e)]
    return left


@pytest.fixture(scope="module")
def applied(world: dict[str, Any]) -> dict[str, Any]:
    clients = world["clients"]
    plan = build_plan(gather_inputs(clients["source"], clients["destination"], SOURCE, DESTINATION, OPTIONS))
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    result = apply_plan(plan, clients, backoff=FAST, options=OPTIONS)
    assert result.ok, result.summary()
    s3control = clients["source"]("s3control")
    wait_for(lambda: s3control.describe_job(AccountId=A, JobId=result.job_id)["Job"]["Status"] == "Complete",
             timeout=90, what="the backfill to complete")
    s3b = clients["destination"]("s3")
    wait_for(lambda: s3b.list_objects_v2(Bucket=DESTINATION, MaxKeys=1).get("KeyCount"), what="replicas")
    # while the migration ran, someone added a statement of their own (undo would skip that policy)
    policy = json.loads(s3b.get_bucket_policy(Bucket=DESTINATION)["Policy"])
    policy["Statement"].append({"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                                "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{DESTINATION}/*"})
    s3b.put_bucket_policy(Bucket=DESTINATION, Policy=json.dumps(policy))
    return {"plan": plan, "result": result, "before": snapshot(world)}


def test_finish_without_a_cut_over_is_blocked_and_changes_nothing(world: dict, applied: dict) -> None:
    with pytest.raises(FinishBlocked, match="has not been cut over") as blocked:
        finish(applied["plan"].id, world["clients"], backoff=FAST)
    assert "s3xrep cutover" in str(blocked.value) and "--not-cut-over" in str(blocked.value)
    assert snapshot(world) == applied["before"]


def test_a_dry_run_shows_what_goes_and_what_stays_and_changes_nothing(world: dict, applied: dict) -> None:
    result = finish(applied["plan"].id, world["clients"], dry_run=True, backoff=FAST)
    assert result.blockers and "cut over" in result.blockers[0][0]  # reported, not raised
    goes = {r.element for r in result.rows if r.action == "remove"}
    stays = {r.element for r in result.rows if r.action == "stays"}
    assert {f"role s3xrep-repl-{SOURCE}", f"role s3xrep-batch-{SOURCE}",
            f"our statements in the bucket policy of {DESTINATION}",
            f"our rule in the replication configuration of {SOURCE}"} <= goes
    assert {f"statement AnalyticsRead in the bucket policy of {DESTINATION}",
            f"statement PlatformReadOnlyAudit in the bucket policy of {DESTINATION}",
            f"every object and version in {DESTINATION}", f"versioning of {SOURCE}",
            f"versioning, encryption, object ownership of {DESTINATION}"} <= stays
    assert snapshot(world) == applied["before"]
    assert migration(applied["plan"].id).state == "applied"


def test_finish_after_cut_over_removes_ours_and_leaves_every_foreign_element_and_object(
        world: dict, applied: dict) -> None:
    Journal(applied["plan"].id).record("cutover", green=["backlog zero"])  # what s3xrep cutover records
    result = finish(applied["plan"].id, world["clients"], backoff=FAST)
    assert result.ok, [(i.call, i.status, i.message) for i in result.items]
    after = snapshot(world)
    assert _ours_left(after) == []
    assert _ours_left(applied["before"])  # the check can fail: ours were there before
    assert _foreign(after) == _foreign(applied["before"])
    for side, bucket in (("source", SOURCE), ("destination", DESTINATION)):
        assert after[side]["buckets"][bucket]["versions"] == applied["before"][side]["buckets"][bucket]["versions"]
        assert after[side]["buckets"][bucket]["versioning"] == "Enabled"
    assert after["source"]["buckets"][SOURCE]["replication"] is None  # only our rule was in it
    record = Journal(applied["plan"].id).read().entries[-1]
    assert record["kind"] == "finish" and record["complete"] is True and result.finished_at == record["ts"]
    assert migration(applied["plan"].id).state == "finished"


def test_finish_twice_says_there_is_nothing_to_do(world: dict, applied: dict) -> None:
    before = snapshot(world)
    again = finish(applied["plan"].id, world["clients"], backoff=FAST)
    assert again.already_finished and again.ok and again.nothing_to_do
    assert "nothing to do" in again.summary()
    assert snapshot(world) == before
