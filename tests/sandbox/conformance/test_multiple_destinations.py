"""Live replication to several destination buckets, and the ReplicationStatus the source and replicas read."""

from __future__ import annotations

from ..helpers import DST_ACTIONS, make_setup, policy, rule, wait_engine_final


def _second_destination(s, name: str, *, granted: bool = True) -> None:
    """Another versioned bucket in the destination account; its policy lets the role replicate unless not granted."""
    s.s3b.create_bucket(Bucket=name)
    s.s3b.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s.iam.put_role_policy(RoleName="s3-repl", PolicyName=name, PolicyDocument=policy(
        {"Effect": "Allow", "Action": DST_ACTIONS, "Resource": f"arn:aws:s3:::{name}/*"}))
    if granted:
        s.s3b.put_bucket_policy(Bucket=name, Policy=policy(
            {"Effect": "Allow", "Principal": {"AWS": s.role_arn}, "Action": DST_ACTIONS,
             "Resource": f"arn:aws:s3:::{name}/*"}))


def _put(aws, tmp_path, s, key: str) -> str:
    body = tmp_path / "body"
    body.write_bytes(b"replicate me")
    return aws("s3api", "put-object", "--bucket", s.src, "--key", key, "--body", str(body))["VersionId"]


def test_every_destination_gets_a_copy_and_the_source_reads_completed_when_all_did(aws, sandbox, tmp_path):
    """Section "Replication status if replicating to multiple destination buckets" of
    Getting replication status information (S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html): the source reads
    COMPLETED only when replication to every destination succeeded; each replica reads REPLICA.
    Rules with different destinations all apply ("Replicating objects within and across Regions",
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html, multiple destination buckets)."""
    s = make_setup(sandbox, dst="dst-one", replicate=False)
    _second_destination(s, "dst-two")
    s.put_rules(rule("dst-one", rule_id="one", priority=2), rule("dst-two", rule_id="two", priority=1))
    version = _put(aws, tmp_path, s, "doc.txt")
    assert wait_engine_final(sandbox, s.src, "doc.txt", version) == "COMPLETED"
    assert aws("s3api", "head-object", "--bucket", s.src, "--key", "doc.txt")["ReplicationStatus"] == "COMPLETED"
    for bucket in ("dst-one", "dst-two"):
        replica = aws("s3api", "head-object", "--bucket", bucket, "--key", "doc.txt", "--version-id", version,
                      profile="destination")
        assert replica["ReplicationStatus"] == "REPLICA"


def test_the_source_reads_failed_when_any_destination_failed(aws, sandbox, tmp_path):
    """Same section of Getting replication status information (S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-status.html): if one or more
    destinations fail replication, the source's header reads FAILED; the destination that succeeded
    still holds its replica."""
    s = make_setup(sandbox, dst="dst-one", replicate=False)
    _second_destination(s, "dst-refusing", granted=False)  # cross-account without a bucket policy: denied
    s.put_rules(rule("dst-one", rule_id="one", priority=1), rule("dst-refusing", rule_id="two", priority=2))
    version = _put(aws, tmp_path, s, "doc.txt")
    assert wait_engine_final(sandbox, s.src, "doc.txt", version) == "FAILED"
    assert aws("s3api", "head-object", "--bucket", s.src, "--key", "doc.txt")["ReplicationStatus"] == "FAILED"
    assert sandbox.engine.failure_code(s.src, "doc.txt", version) == "DstPutObjectNotPermitted"
    assert [v["VersionId"] for v in s.s3b.list_object_versions(Bucket="dst-one")["Versions"]] == [version]


def test_priority_decides_between_rules_that_share_a_destination(aws, sandbox, tmp_path):
    """Replication configuration file elements, Priority (S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html): when rules
    with the same destination overlap, the rule with the higher priority applies, once."""
    s = make_setup(sandbox, replicate=False)
    s.put_rules(rule(s.dst, rule_id="low", priority=1),
                rule(s.dst, rule_id="high", priority=7, StorageClass="STANDARD_IA"))
    version = _put(aws, tmp_path, s, "doc.txt")
    assert wait_engine_final(sandbox, s.src, "doc.txt", version) == "COMPLETED"
    replicas = aws("s3api", "list-object-versions", "--bucket", s.dst, profile="destination")["Versions"]
    assert [(v["VersionId"], v["StorageClass"]) for v in replicas] == [(version, "STANDARD_IA")]
