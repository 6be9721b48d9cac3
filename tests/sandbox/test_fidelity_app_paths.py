"""The app's aws layer on the sandbox's multi-destination status and Batch Replication of replicas."""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.replication_status import sample_status, summarize
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

from ..apply_world import FAST, make_world
from .helpers import DST_ACTIONS, S3_TRUST, SRC_ACTIONS, make_setup, policy, rule, wait_engine_final, wait_for


def test_the_status_sample_counts_a_version_failed_at_one_of_two_destinations(sandbox: Any) -> None:
    s = make_setup(sandbox, dst="dst-one", replicate=False)
    s.s3b.create_bucket(Bucket="dst-refusing")  # versioned, but no bucket policy lets the role in
    s.s3b.put_bucket_versioning(Bucket="dst-refusing", VersioningConfiguration={"Status": "Enabled"})
    s.iam.put_role_policy(RoleName="s3-repl", PolicyName="two", PolicyDocument=policy(
        {"Effect": "Allow", "Action": DST_ACTIONS, "Resource": "arn:aws:s3:::dst-refusing/*"}))
    s.put_rules(rule("dst-one", rule_id="one", priority=1, flt={"Prefix": "both/"}),
                rule("dst-refusing", rule_id="two", priority=2, flt={"Prefix": "both/"}))
    versions = {key: s.s3a.put_object(Bucket=s.src, Key=key, Body=b"x")["VersionId"] for key in ("both/a", "both/b")}
    for key, version in versions.items():
        assert wait_engine_final(sandbox, s.src, key, version) == "FAILED"
    sample = sample_status(sandbox.clients(A), s.src)
    assert (sample.sampled, sample.failed, sample.completed) == (2, 2, 0)
    health = summarize(sample, None)
    assert health.state == "failing"
    # the destination that took its copy reads REPLICA from its own side
    replicas = sample_status(sandbox.clients(B), "dst-one")
    assert (replicas.sampled, replicas.replica) == (2, 2)


def test_a_backfill_with_replica_selected_copies_the_replicas_of_the_source(sandbox: Any) -> None:
    accounts = {A: sandbox.clients(A), B: sandbox.clients(B)}
    world = make_world(sandbox, accounts, "replicas")  # src holds photos/0..2 (no status)
    s3a, iam = accounts[A]("s3"), accounts[A]("iam")
    # an upstream bucket of the same account replicates into src: src then holds a replica
    s3a.create_bucket(Bucket="upstream-bucket")
    for bucket in ("upstream-bucket", world.src):
        s3a.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    role = iam.create_role(RoleName="upstream", AssumeRolePolicyDocument=json.dumps(S3_TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="upstream", PolicyName="upstream", PolicyDocument=policy(
        {"Effect": "Allow", "Action": SRC_ACTIONS, "Resource": "arn:aws:s3:::upstream-bucket/*"},
        {"Effect": "Allow", "Action": DST_ACTIONS, "Resource": f"arn:aws:s3:::{world.src}/*"}))
    s3a.put_bucket_replication(Bucket="upstream-bucket", ReplicationConfiguration={
        "Role": role, "Rules": [rule(world.src, rule_id="into-src")]})
    version = s3a.put_object(Bucket="upstream-bucket", Key="replicated/r.txt", Body=b"r")["VersionId"]
    assert wait_engine_final(sandbox, "upstream-bucket", "replicated/r.txt", version) == "COMPLETED"

    options = MigrationOptions(report_bucket=world.report, existing_statuses=("REPLICA",))
    plan = build_plan(gather_inputs(accounts[A], accounts[B], world.src, world.dst, options))
    apply_plan(plan, world.clients, options=options, backoff=FAST)
    (job,) = world.jobs()
    control = accounts[A]("s3control")
    done = wait_for(lambda: (j := control.describe_job(AccountId=A, JobId=job["JobId"])["Job"])["Status"]
                    in ("Complete", "Failed") and j, timeout=20, what="the backfill job")
    assert done["Status"] == "Complete", done.get("FailureReasons")
    assert (done["ProgressSummary"]["NumberOfTasksSucceeded"], done["ProgressSummary"]["NumberOfTasksFailed"]) == (1, 0)
    copied = accounts[B]("s3").list_object_versions(Bucket=world.dst).get("Versions", [])
    assert [(v["Key"], v["VersionId"]) for v in copied] == [("replicated/r.txt", version)]
