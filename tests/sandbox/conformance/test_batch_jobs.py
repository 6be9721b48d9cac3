"""Batch Replication jobs: replicating replicas, and the states a job is seen in."""

from __future__ import annotations

import json
import time

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT

from ..helpers import make_setup, policy, rule, wait_engine_final, wait_for
from .conftest import as_json

BATCH_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "batchoperations.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
S3_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _batch_role(iam, bucket: str) -> str:
    arn = iam.create_role(RoleName="batch", AssumeRolePolicyDocument=json.dumps(BATCH_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="batch", PolicyName="batch", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:InitiateReplication", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
         "Resource": f"arn:aws:s3:::{bucket}"}))
    return arn


def _generator_job(account: str, bucket: str, role: str, statuses: list[str]) -> list[str]:
    """``aws s3control create-job`` arguments for a Batch Replication job with a manifest generator."""
    generator = {"S3JobManifestGenerator": {
        "ExpectedBucketOwner": account, "SourceBucket": f"arn:aws:s3:::{bucket}", "EnableManifestOutput": False,
        "Filter": {"EligibleForReplication": True, "ObjectReplicationStatuses": statuses}}}
    return ["s3control", "create-job", "--account-id", account, "--no-confirmation-required",
            "--operation", as_json({"S3ReplicateObject": {}}), "--report", as_json({"Enabled": False}),
            "--manifest-generator", as_json(generator), "--priority", "10", "--role-arn", role]


def test_a_batch_replication_job_replicates_replicas_when_replica_is_selected(aws, sandbox, tmp_path):
    """Using replication status information with Batch Replication jobs (section of Getting replication
    status information, S3 User Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html)
    and Replicating existing objects with Batch Replication
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-batch.html): objects that
    were themselves replicated are replicated by a job whose ObjectReplicationStatuses include REPLICA;
    the replica still reads REPLICA."""
    s = make_setup(sandbox)  # A's src -> B's dst, live
    s.s3a.put_object(Bucket=s.src, Key="doc.txt", Body=b"first hop")
    version = s.s3a.head_object(Bucket=s.src, Key="doc.txt")["VersionId"]
    assert wait_engine_final(sandbox, s.src, "doc.txt", version) == "COMPLETED"
    # B replicates dst on to a bucket of its own (same account: no bucket policy needed)
    iam_b = sandbox.clients(DESTINATION_ACCOUNT)("iam")
    s.s3b.create_bucket(Bucket="dst-next")
    s.s3b.put_bucket_versioning(Bucket="dst-next", VersioningConfiguration={"Status": "Enabled"})
    onward = iam_b.create_role(RoleName="onward", AssumeRolePolicyDocument=json.dumps(S3_TRUST))["Role"]["Arn"]
    iam_b.put_role_policy(RoleName="onward", PolicyName="onward", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:GetObjectVersionForReplication", "Resource": f"arn:aws:s3:::{s.dst}/*"},
        {"Effect": "Allow", "Action": "s3:ReplicateObject", "Resource": "arn:aws:s3:::dst-next/*"}))
    s.s3b.put_bucket_replication(Bucket=s.dst, ReplicationConfiguration={
        "Role": onward, "Rules": [rule("dst-next", rule_id="onward")]})
    job_id = aws(*_generator_job(DESTINATION_ACCOUNT, s.dst, _batch_role(iam_b, s.dst), ["REPLICA"]),
                 profile="destination")["JobId"]
    control = sandbox.clients(DESTINATION_ACCOUNT)("s3control")
    wait_for(lambda: control.describe_job(AccountId=DESTINATION_ACCOUNT, JobId=job_id)["Job"]["Status"]
             in ("Complete", "Failed"), what="the job to finish")
    job = aws("s3control", "describe-job", "--account-id", DESTINATION_ACCOUNT, "--job-id", job_id,
              profile="destination")["Job"]
    assert job["Status"] == "Complete", job.get("FailureReasons")
    assert (job["ProgressSummary"]["NumberOfTasksSucceeded"], job["ProgressSummary"]["NumberOfTasksFailed"]) == (1, 0)
    assert s.s3b.head_object(Bucket="dst-next", Key="doc.txt", VersionId=version)["ReplicationStatus"] == "REPLICA"
    assert s.s3b.head_object(Bucket=s.dst, Key="doc.txt", VersionId=version)["ReplicationStatus"] == "REPLICA"


def test_each_job_state_is_observable_for_the_dwell(aws, sandbox):
    """Batch Operations job statuses (Tracking job status and completion reports, S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-job-status.html): a job goes
    New -> Preparing -> Active -> Complete, and AWS spends seconds to minutes in New and Preparing.
    The sandbox holds New, Preparing, Ready and Active for its dwell, so DescribeJob sees each.
    The test steps the worker itself (the worker thread is stopped), describing the job after every
    step: a loaded machine cannot then let a state pass unseen (say New, while the CLI process exits)."""
    dwell = 0.5
    sandbox.batch.dwell = dwell
    s = make_setup(sandbox)
    s.s3a.put_object(Bucket=s.src, Key="existing.txt", Body=b"x")
    control = sandbox.clients(SOURCE_ACCOUNT)("s3control")
    sandbox.batch.stop()
    try:
        job_id = aws(*_generator_job(SOURCE_ACCOUNT, s.src, _batch_role(s.iam, s.src), ["NONE", "COMPLETED"]))["JobId"]
        first_seen = _first_seen_while_stepping(sandbox.batch, control, job_id)
    finally:
        sandbox.batch.start()
    order = sorted(first_seen, key=first_seen.__getitem__)
    assert order == ["New", "Preparing", "Ready", "Active", "Completing", "Complete"], first_seen
    for state, following in zip(order, order[1:]):  # each lasted its dwell
        if state in ("New", "Preparing", "Ready", "Active"):
            assert first_seen[following] - first_seen[state] >= dwell, (state, first_seen)


def _first_seen_while_stepping(batch, control, job_id: str) -> dict[str, float]:
    """When DescribeJob first showed each state (wall-clock, as CreationTime is), one worker step between polls."""
    first_seen: dict[str, float] = {}
    while "Complete" not in first_seen and "Failed" not in first_seen:
        job = control.describe_job(AccountId=SOURCE_ACCOUNT, JobId=job_id)["Job"]
        first_seen.setdefault(job["Status"], time.time())
        created = job["CreationTime"].timestamp()
        assert time.time() - created < 30, first_seen
        batch.step()  # at most one state change: each is described before the next
        time.sleep(0.02)
    first_seen["New"] = min(first_seen["New"], created)  # New began when the job was created
    return first_seen
