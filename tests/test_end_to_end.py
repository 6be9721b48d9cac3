"""The plan's documents, applied verbatim on the demo sandbox, make replication work.

The sandbox enforces what moto does not: the replication role's trust and
policies, the destination bucket policy, the Batch role's permissions. So this
proves the least-privilege documents are also *enough*, and that a plan made
after applying converges to no-ops. (The journaled apply executor is separate;
this test sends each step's request as it stands.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore import xform_name

from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from tests.sandbox.helpers import wait_final, wait_for

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
OPTIONS = MigrationOptions(report_bucket="acme-legacy-batch-reports")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("e2e") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def _plan(sandbox: Sandbox, options: MigrationOptions = OPTIONS) -> Any:
    inputs = gather_inputs(
        sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), SOURCE, DESTINATION, options
    )
    return build_plan(inputs)


def _run(sandbox: Sandbox, plan: Any) -> dict[str, Any]:
    """Send every step that is not a no-op, with the account the step names; return the last response."""
    clients = {"source": sandbox.clients(SOURCE_ACCOUNT), "destination": sandbox.clients(DESTINATION_ACCOUNT)}
    response: dict[str, Any] = {}
    for step in plan.steps:
        if step.action == "no-op":
            continue
        service, operation = step.call.split(".")
        client = clients[step.account](service)
        assert operation in {xform_name(op) for op in client.meta.service_model.operation_names}
        response = getattr(client, operation)(**step.request)
    return response


@pytest.fixture(scope="module")
def applied(sandbox: Sandbox) -> dict[str, Any]:
    plan = _plan(sandbox)
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    job = _run(sandbox, plan)
    return {"plan": plan, "job_id": job["JobId"]}


def test_the_batch_job_replicates_every_existing_eligible_object(sandbox: Sandbox, applied: dict) -> None:
    s3control = sandbox.clients(SOURCE_ACCOUNT)("s3control")

    def finished() -> dict | None:
        job = s3control.describe_job(AccountId=SOURCE_ACCOUNT, JobId=applied["job_id"])["Job"]
        return job if job["Status"] in ("Complete", "Failed", "Cancelled") else None

    job = wait_for(finished, timeout=60, what="the Batch Replication job to finish")
    progress = job["ProgressSummary"]
    assert job["Status"] == "Complete", job.get("FailureReasons")
    assert progress["NumberOfTasksFailed"] == 0
    assert progress["NumberOfTasksSucceeded"] == progress["TotalNumberOfTasks"] > 1000

    source = sandbox.clients(SOURCE_ACCOUNT)("s3")
    destination = sandbox.clients(DESTINATION_ACCOUNT)("s3")
    def versions(s3: Any, bucket: str) -> list[dict]:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        return [v for page in pages for v in page.get("Versions", [])]

    replicas = {(v["Key"], v["VersionId"]) for v in versions(destination, DESTINATION)}
    # GLACIER objects are not replicable (reference 1.6); the seed has a few
    eligible = {(v["Key"], v["VersionId"]) for v in versions(source, SOURCE) if v["StorageClass"] != "GLACIER"}
    assert eligible <= replicas  # same version ids on both sides
    assert len(eligible) == progress["TotalNumberOfTasks"]
    # objects written before versioning are the null version: Batch Replication marks them too
    key, version = sorted(eligible)[0]
    assert version == "null"
    assert source.head_object(Bucket=SOURCE, Key=key)["ReplicationStatus"] == "COMPLETED"
    assert destination.head_object(Bucket=DESTINATION, Key=key)["ReplicationStatus"] == "REPLICA"


def test_a_new_object_replicates_live_and_reads_as_a_replica(sandbox: Sandbox, applied: dict) -> None:
    source = sandbox.clients(SOURCE_ACCOUNT)("s3")
    put = source.put_object(Bucket=SOURCE, Key="photos/e2e-canary.jpg", Body=b"canary")
    assert wait_final(source, SOURCE, "photos/e2e-canary.jpg", put["VersionId"]) == "COMPLETED"
    replica = sandbox.clients(DESTINATION_ACCOUNT)("s3").head_object(
        Bucket=DESTINATION, Key="photos/e2e-canary.jpg", VersionId=put["VersionId"]
    )
    assert replica["ReplicationStatus"] == "REPLICA" and replica["ContentLength"] == 6


def test_the_destination_keeps_its_own_statement(sandbox: Sandbox, applied: dict) -> None:
    policy = json.loads(
        sandbox.clients(DESTINATION_ACCOUNT)("s3").get_bucket_policy(Bucket=DESTINATION)["Policy"]
    )
    assert policy["Statement"][0]["Sid"] == "PlatformReadOnlyAudit"


def test_planning_again_after_apply_changes_nothing(sandbox: Sandbox, applied: dict) -> None:
    again = _plan(sandbox)
    assert [(s.call, s.action) for s in again.steps if s.action != "no-op"] == [("s3control.create_job", "create")]
    assert again.documents == applied["plan"].documents


def test_without_our_bucket_policy_grant_replication_fails_with_the_real_code(
    sandbox: Sandbox, applied: dict
) -> None:
    destination = sandbox.clients(DESTINATION_ACCOUNT)("s3")
    original = destination.get_bucket_policy(Bucket=DESTINATION)["Policy"]
    kept = json.loads(original)
    kept["Statement"] = [s for s in kept["Statement"] if "ReplicateObject" not in json.dumps(s.get("Action"))]
    destination.put_bucket_policy(Bucket=DESTINATION, Policy=json.dumps(kept))
    try:
        source = sandbox.clients(SOURCE_ACCOUNT)("s3")
        put = source.put_object(Bucket=SOURCE, Key="photos/denied.jpg", Body=b"x")
        assert wait_final(source, SOURCE, "photos/denied.jpg", put["VersionId"]) == "FAILED"
        assert sandbox.engine.failure_code(SOURCE, "photos/denied.jpg", put["VersionId"]) == "DstPutObjectNotPermitted"
    finally:
        destination.put_bucket_policy(Bucket=DESTINATION, Policy=original)
