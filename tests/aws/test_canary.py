"""aws.canary: the live-replication proof on the sandbox, and its slow paths on a scripted S3."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from s3xrep_tui.aws.canary import (
    NO_FAILURE_CODE_FIX,
    CanaryProgress,
    canary_key,
    run_canary,
)
from s3xrep_tui.core.failure_codes import fix_for
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT
from tests.aws.test_verify import SharedSandbox, new_pair, shared_sandbox
from tests.sandbox.helpers import Setup, rule


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSandbox]:
    yield from shared_sandbox(tmp_path_factory.mktemp("canary"))


def _canary(sandbox: SharedSandbox, setup: Setup, **kw: Any):
    kw.setdefault("timeout", 20)
    return run_canary(sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), setup.src, setup.dst, **kw)


def _all_versions(s3: Any, bucket: str) -> list[tuple[str, str]]:
    answer = s3.list_object_versions(Bucket=bucket)
    return [(v["Key"], v["VersionId"]) for v in answer.get("Versions", []) + answer.get("DeleteMarkers", [])]


def test_the_canary_replicates_checks_the_replica_and_cleans_up(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, flt={"Prefix": "media/"})
    phases: list[CanaryProgress] = []
    result = _canary(sandbox, setup, progress=phases.append)
    assert result.ok, result.as_dict()
    assert result.status == "replicated" and result.replication_status == "COMPLETED"
    assert result.key.startswith("media/.s3xrep-canary/")
    assert result.rule_id == "to-dst" and result.seconds_to_replicate is not None
    assert [c.name for c in result.checks] == ["replica-status", "version-id", "size", "checksum", "readable"]
    assert all(c.ok for c in result.checks)
    assert [p.phase for p in phases][0] == "put" and phases[-1].phase == "done"
    assert "PENDING" in {p.replication_status for p in phases} or result.seconds_to_replicate < 0.2
    assert result.cleanup == [f"deleted source version {result.version_id}",
                              f"deleted destination version {result.version_id}"]
    assert _all_versions(setup.s3a, setup.src) == [] and _all_versions(setup.s3b, setup.dst) == []


def test_the_canary_carries_the_rules_tags(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, flt={"And": {"Prefix": "t/", "Tags": [{"Key": "replicate", "Value": "yes"}]}})
    result = _canary(sandbox, setup, keep=True)
    assert result.ok, result.as_dict()
    tags = setup.s3b.get_object_tagging(Bucket=setup.dst, Key=result.key, VersionId=result.version_id)["TagSet"]
    assert tags == [{"Key": "replicate", "Value": "yes"}]
    assert "kept" in result.cleanup[0]


def test_a_removed_grant_fails_with_the_fix(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox)
    setup.s3b.delete_bucket_policy(Bucket=setup.dst)
    result = _canary(sandbox, setup)
    assert result.status == "failed" and not result.ok and result.replication_status == "FAILED"
    assert result.failure_code is None and result.fix == NO_FAILURE_CODE_FIX  # head_object does not say why
    assert result.cleanup[0] == f"deleted source version {result.version_id}"
    assert _all_versions(setup.s3a, setup.src) == []


def test_a_failure_code_when_one_is_obtainable(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox)
    setup.s3b.delete_bucket_policy(Bucket=setup.dst)
    result = _canary(sandbox, setup,
                     failure_code_of=lambda key, vid: sandbox.engine.failure_code(setup.src, key, vid))
    assert result.failure_code == "DstPutObjectNotPermitted"
    assert result.fix == fix_for("DstPutObjectNotPermitted")
    assert "DstPutObjectNotPermitted" in result.message


def test_no_rule_to_the_destination(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, replicate=False)
    result = _canary(sandbox, setup)
    assert result.status == "not-configured" and result.key is None
    assert "no enabled replication rule" in result.message
    assert _all_versions(setup.s3a, setup.src) == []  # nothing was written


def test_a_prefix_no_rule_covers(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, flt={"Prefix": "media/"})
    result = _canary(sandbox, setup, prefix="logs/")
    assert result.status == "not-configured" and "'media/'" in result.message


def test_a_prefix_the_rule_covers(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox, flt={"Prefix": "media/"})
    result = _canary(sandbox, setup, prefix="media/deep/")
    assert result.ok and result.key.startswith("media/deep/.s3xrep-canary/")


def test_the_highest_priority_rule_is_used(sandbox: SharedSandbox) -> None:
    setup = new_pair(sandbox)
    setup.put_rules(rule(setup.dst, rule_id="low", priority=1, flt={"Prefix": "a/"}),
                    rule(setup.dst, rule_id="high", priority=5, flt={"Prefix": "b/"}))
    result = _canary(sandbox, setup)
    assert result.rule_id == "high" and result.key.startswith("b/") and result.ok


def test_canary_key() -> None:
    assert canary_key({"Filter": {"Prefix": "p/"}}, None, "u") == "p/.s3xrep-canary/u"
    assert canary_key({"Filter": {"Prefix": "p/"}}, "p/x/", "u") == "p/x/.s3xrep-canary/u"
    assert canary_key(None, None, "u") == ".s3xrep-canary/u"


# -- the slow paths, on a scripted S3 (no waiting for real minutes) ---------------------------------


class ScriptedS3:
    """Just enough of an S3 client for the canary: a rule, and a scripted ReplicationStatus."""

    def __init__(self, statuses: list[str | None]) -> None:
        self.statuses = statuses
        self.calls: list[str] = []
        self.meta = type("Meta", (), {"region_name": "us-east-1"})()

    def head_bucket(self, **kw: Any) -> dict:
        return {"BucketRegion": "us-east-1"}

    def get_bucket_replication(self, **kw: Any) -> dict:
        return {"ReplicationConfiguration": {"Role": "r", "Rules": [
            {"ID": "r1", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
             "Destination": {"Bucket": "arn:aws:s3:::dst-bucket"}}]}}

    def put_object(self, **kw: Any) -> dict:
        assert kw["ExpectedBucketOwner"] == SOURCE_ACCOUNT and kw["ChecksumAlgorithm"] == "SHA256"
        json.loads(kw["Body"])
        return {"VersionId": "v1"}

    def head_object(self, **kw: Any) -> dict:
        self.calls.append("head")
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {} if status is None else {"ReplicationStatus": status}

    def delete_object(self, **kw: Any) -> dict:
        self.calls.append(f"delete {kw['Bucket']} {kw['VersionId']}")
        return {}


class ScriptedClients:
    def __init__(self, s3: ScriptedS3) -> None:
        self.s3 = s3

    def __call__(self, service: str, region: str | None = None) -> Any:
        return self.s3


def _scripted(statuses: list[str | None], **kw: Any):
    s3 = ScriptedS3(statuses)
    result = run_canary(ScriptedClients(s3), ScriptedClients(s3), "src-bucket", "dst-bucket",
                        source_owner=SOURCE_ACCOUNT, destination_owner=DESTINATION_ACCOUNT,
                        poll_interval=0.001, max_poll_interval=0.01, **kw)
    return result, s3


def test_pending_until_the_timeout() -> None:
    result, s3 = _scripted(["PENDING"], timeout=0.05)
    assert result.status == "timeout" and "still PENDING" in result.message and not result.ok
    assert s3.calls[-1] == "delete src-bucket v1"  # the replica was never confirmed: only the source is deleted
    assert "delete it from the destination by version id" in result.cleanup[-1]


def test_no_status_at_all_means_the_rule_does_not_apply() -> None:
    result, _ = _scripted([None], timeout=5, absent_grace=0.03)
    assert result.status == "not-replicating" and "no replication status" in result.message
    assert "get-bucket-replication" in result.fix


def test_a_status_that_appears_late_is_waited_for() -> None:
    result, s3 = _scripted([None, None, "FAILED"], timeout=5, absent_grace=5)
    assert result.status == "failed" and s3.calls.count("head") == 3


def test_legacy_complete_counts_as_completed() -> None:
    result, _ = _scripted(["COMPLETE"], timeout=5)
    assert result.status == "replicated"


def test_cancel_while_waiting() -> None:
    stop = threading.Event()
    result, s3 = _scripted(["PENDING"], timeout=30, progress=lambda p: p.phase == "waiting" and stop.set(),
                           cancel=stop)
    assert result.status == "cancelled" and s3.calls.count("head") == 1
    assert "delete src-bucket v1" in s3.calls
