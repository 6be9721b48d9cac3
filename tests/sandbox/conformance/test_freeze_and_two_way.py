"""The cut-over's sandbox behaviours: a bucket policy Deny refuses object writes (the write freeze),
two-way replication does not loop, and replica modification sync carries replica tag changes back."""

from __future__ import annotations

import json

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SANDBOX_USER, SOURCE_ACCOUNT

from ..helpers import DST_ACTIONS, S3_TRUST, make_setup, policy, rule, wait_final, wait_for
from .conftest import as_json

SRC_READ = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]


def _freeze(bucket: str, exempt: list[str]) -> dict:
    return {"Sid": "Freeze", "Effect": "Deny", "Principal": "*",
            "Action": ["s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectTagging"],
            "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"ArnNotLike": {"aws:PrincipalArn": exempt}}}


def test_a_bucket_policy_deny_refuses_object_writes_but_not_reads_or_exempt_principals(aws, sandbox, tmp_path):
    """Policy evaluation logic (IAM User Guide,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
    an explicit Deny in a resource-based policy overrides any Allow, and the request context carries
    aws:PrincipalArn (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html),
    so a Deny with ArnNotLike aws:PrincipalArn spares exactly the principals it lists."""
    s3 = sandbox.clients(SOURCE_ACCOUNT)("s3")
    s3.create_bucket(Bucket="frozen")
    s3.put_bucket_versioning(Bucket="frozen", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="frozen", Key="kept.txt", Body=b"before")
    role = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3xrep-repl-frozen"
    aws("s3api", "put-bucket-policy", "--bucket", "frozen", "--policy", policy(_freeze("frozen", [role])))
    body = tmp_path / "body.txt"
    body.write_bytes(b"after")
    refused = aws.fails("s3api", "put-object", "--bucket", "frozen", "--key", "new.txt", "--body", str(body))
    assert refused.code == "AccessDenied"
    assert aws.fails("s3api", "delete-object", "--bucket", "frozen", "--key", "kept.txt").code == "AccessDenied"
    assert aws("s3api", "head-object", "--bucket", "frozen", "--key", "kept.txt")["ContentLength"] == 6
    # the bucket owner can still lift it: bucket-level actions are not frozen
    me = f"arn:aws:iam::{SOURCE_ACCOUNT}:user/{SANDBOX_USER}"
    aws("s3api", "put-bucket-policy", "--bucket", "frozen", "--policy", policy(_freeze("frozen", [role, me])))
    assert aws("s3api", "put-object", "--bucket", "frozen", "--key", "new.txt", "--body", str(body))["VersionId"]


def _two_way(sandbox, *, modifications: bool):
    """A -> B (make_setup) and B -> A: a role in B, A's bucket policy granting it, a rule on B."""
    s = make_setup(sandbox, src_actions=SRC_READ + ["s3:GetObjectRetention", "s3:GetObjectLegalHold"])
    b = sandbox.clients(DESTINATION_ACCOUNT)
    iam_b = b("iam")
    back = iam_b.create_role(RoleName="s3-repl-back", AssumeRolePolicyDocument=json.dumps(S3_TRUST))["Role"]["Arn"]
    iam_b.put_role_policy(RoleName="s3-repl-back", PolicyName="replication", PolicyDocument=policy(
        {"Effect": "Allow", "Action": SRC_READ, "Resource": f"arn:aws:s3:::{s.dst}/*"},
        {"Effect": "Allow", "Action": DST_ACTIONS, "Resource": f"arn:aws:s3:::{s.src}/*"}))
    s.s3a.put_bucket_policy(Bucket=s.src, Policy=policy(
        {"Sid": "ReplFromB", "Effect": "Allow", "Principal": {"AWS": back}, "Action": DST_ACTIONS,
         "Resource": f"arn:aws:s3:::{s.src}/*"}))
    sync = {"SourceSelectionCriteria": {"ReplicaModifications": {"Status": "Enabled"}}} if modifications else {}
    forward = {**rule(s.dst, Account=DESTINATION_ACCOUNT), **sync}
    s.put_rules(forward)
    backward = {**rule(s.src, rule_id="back", Account=SOURCE_ACCOUNT), **sync}
    return s, back, backward


def test_two_way_replication_never_sends_a_replica_back(aws, sandbox):
    """Replication status (S3 User Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html):
    a source object reads PENDING, COMPLETED or FAILED, a replica reads REPLICA; with a rule each way
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html) a version
    that arrived by replication is not replicated again, so each write ends as one version in each bucket."""
    s, back, backward = _two_way(sandbox, modifications=False)
    aws("s3api", "put-bucket-replication", "--bucket", s.dst, "--replication-configuration",
        as_json({"Role": back, "Rules": [backward]}), profile="destination")
    there = s.s3a.put_object(Bucket=s.src, Key="from-a.txt", Body=b"a")["VersionId"]
    assert wait_final(s.s3a, s.src, "from-a.txt") == "COMPLETED"
    back_here = s.s3b.put_object(Bucket=s.dst, Key="from-b.txt", Body=b"b")["VersionId"]
    assert wait_final(s.s3b, s.dst, "from-b.txt") == "COMPLETED"
    replica = aws("s3api", "head-object", "--bucket", s.src, "--key", "from-b.txt")
    assert replica["ReplicationStatus"] == "REPLICA" and replica["VersionId"] == back_here
    assert s.s3b.head_object(Bucket=s.dst, Key="from-a.txt")["ReplicationStatus"] == "REPLICA"
    wait_for(lambda: sandbox.engine.pending_count() == 0, what="an empty replication queue")
    for s3, bucket in ((s.s3a, s.src), (s.s3b, s.dst)):
        versions = s3.list_object_versions(Bucket=bucket)["Versions"]
        assert sorted((v["Key"], v["VersionId"]) for v in versions) == sorted(
            [("from-a.txt", there), ("from-b.txt", back_here)])
    assert s.s3a.head_object(Bucket=s.src, Key="from-a.txt")["ReplicationStatus"] == "COMPLETED"


def _tags(s3, bucket, key):
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]}


def test_replica_tag_changes_go_back_only_with_replica_modification_sync(aws, sandbox):
    """Replica modification sync (S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html; API:
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ReplicaModifications.html): by default metadata
    changes replicate from source to replica only; with ReplicaModifications Enabled, changes made to a
    replica are replicated back to the source object."""
    s, back, backward = _two_way(sandbox, modifications=False)
    s.s3b.put_bucket_replication(Bucket=s.dst, ReplicationConfiguration={"Role": back, "Rules": [backward]})
    s.s3a.put_object(Bucket=s.src, Key="doc.txt", Body=b"x")
    assert wait_final(s.s3a, s.src, "doc.txt") == "COMPLETED"
    aws("s3api", "put-object-tagging", "--bucket", s.src, "--key", "doc.txt", "--tagging",
        as_json({"TagSet": [{"Key": "from", "Value": "source"}]}))
    assert _tags(s.s3b, s.dst, "doc.txt") == {"from": "source"}  # source -> replica: always
    aws("s3api", "put-object-tagging", "--bucket", s.dst, "--key", "doc.txt", "--tagging",
        as_json({"TagSet": [{"Key": "from", "Value": "replica"}]}), profile="destination")
    assert _tags(s.s3a, s.src, "doc.txt") == {"from": "source"}  # replica -> source: not without the sync

    synced = {**backward, "SourceSelectionCriteria": {"ReplicaModifications": {"Status": "Enabled"}}}
    aws("s3api", "put-bucket-replication", "--bucket", s.dst, "--replication-configuration",
        as_json({"Role": back, "Rules": [synced]}), profile="destination")
    got = aws("s3api", "get-bucket-replication", "--bucket", s.dst, profile="destination")
    assert got["ReplicationConfiguration"]["Rules"][0]["SourceSelectionCriteria"] == {
        "ReplicaModifications": {"Status": "Enabled"}}
    s.s3b.put_object_tagging(Bucket=s.dst, Key="doc.txt", Tagging={"TagSet": [{"Key": "from", "Value": "replica"}]})
    assert _tags(s.s3a, s.src, "doc.txt") == {"from": "replica"}
    assert s.s3b.head_object(Bucket=s.dst, Key="doc.txt")["ReplicationStatus"] == "REPLICA"
