"""Live replication over HTTP: eligibility, what a replica carries, and every failure code we emit."""

from __future__ import annotations

import json

import pytest

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, canonical_user_id
from s3xrep_tui.sandbox.replication import ReplicationEvent

from .helpers import (
    DST_ACTIONS,
    SRC_ACTIONS,
    head_status,
    make_setup,
    policy,
    rule,
    wait_engine_final,
    wait_final,
)


def test_new_version_replicates_with_same_version_metadata_tags_and_replica_status(sandbox):
    events: list[ReplicationEvent] = []
    sandbox.engine.add_listener(events.append)
    s = make_setup(sandbox)
    vid = s.s3a.put_object(Bucket=s.src, Key="photos/a.jpg", Body=b"jpeg!", ContentType="image/jpeg",
                           Metadata={"camera": "x100"}, Tagging="team=media&year=2021")["VersionId"]
    assert head_status(s.s3a, s.src, "photos/a.jpg") in ("PENDING", "COMPLETED")
    assert wait_final(s.s3a, s.src, "photos/a.jpg") == "COMPLETED"

    replica = s.s3b.head_object(Bucket=s.dst, Key="photos/a.jpg")
    assert replica["VersionId"] == vid
    assert replica["ReplicationStatus"] == "REPLICA"
    assert replica["Metadata"] == {"camera": "x100"}
    assert replica["ContentType"] == "image/jpeg"
    assert s.s3b.get_object(Bucket=s.dst, Key="photos/a.jpg", VersionId=vid)["Body"].read() == b"jpeg!"
    assert s.s3b.get_object(Bucket=s.dst, Key="photos/a.jpg")["ReplicationStatus"] == "REPLICA"
    tags = s.s3b.get_object_tagging(Bucket=s.dst, Key="photos/a.jpg", VersionId=vid)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "media", "year": "2021"}
    listed = s.s3b.list_object_versions(Bucket=s.dst)["Versions"]
    assert [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listed] == [("photos/a.jpg", vid, True)]
    assert s.s3a.get_object(Bucket=s.src, Key="photos/a.jpg")["ReplicationStatus"] == "COMPLETED"

    kinds = [(e.kind, e.key, e.version_id) for e in events]
    assert kinds == [("pending", "photos/a.jpg", vid), ("completed", "photos/a.jpg", vid)]
    done = events[-1]
    assert done.source_account == SOURCE_ACCOUNT and done.destination_bucket == s.dst and done.rule_id == "to-dst"
    assert done.size == 5 and done.latency is not None and done.latency >= 0.05 and not done.via_batch


def test_successive_versions_keep_their_order_on_the_destination(sandbox):
    s = make_setup(sandbox)
    ids = [s.s3a.put_object(Bucket=s.src, Key="k", Body=f"v{i}".encode())["VersionId"] for i in range(3)]
    for vid in ids:
        assert wait_final(s.s3a, s.src, "k", vid) == "COMPLETED"
    src = [v["VersionId"] for v in s.s3a.list_object_versions(Bucket=s.src)["Versions"]]
    dst = [v["VersionId"] for v in s.s3b.list_object_versions(Bucket=s.dst)["Versions"]]
    assert dst == src == list(reversed(ids))
    assert s.s3b.get_object(Bucket=s.dst, Key="k")["Body"].read() == b"v2"


def test_copy_and_multipart_upload_replicate(sandbox):
    s = make_setup(sandbox)
    s.s3a.put_object(Bucket=s.src, Key="orig", Body=b"o")
    copied = s.s3a.copy_object(Bucket=s.src, Key="copy", CopySource={"Bucket": s.src, "Key": "orig"})["VersionId"]
    upload = s.s3a.create_multipart_upload(Bucket=s.src, Key="big")["UploadId"]
    part = s.s3a.upload_part(Bucket=s.src, Key="big", UploadId=upload, PartNumber=1, Body=b"x" * 1024)
    done = s.s3a.complete_multipart_upload(Bucket=s.src, Key="big", UploadId=upload,
                                           MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
    assert wait_final(s.s3a, s.src, "copy") == "COMPLETED"
    assert wait_final(s.s3a, s.src, "big") == "COMPLETED"
    assert s.s3b.head_object(Bucket=s.dst, Key="copy")["VersionId"] == copied
    big = s.s3b.head_object(Bucket=s.dst, Key="big")
    assert big["VersionId"] == done["VersionId"] and big["ContentLength"] == 1024 and big["ETag"] == done["ETag"]


def test_versions_written_before_the_rule_are_not_replicated(sandbox):
    s = make_setup(sandbox, replicate=False)
    old = s.s3a.put_object(Bucket=s.src, Key="old", Body=b"1")["VersionId"]
    s.put_rules(rule(s.dst))
    new = s.s3a.put_object(Bucket=s.src, Key="new", Body=b"2")["VersionId"]
    assert wait_final(s.s3a, s.src, "new", new) == "COMPLETED"
    assert head_status(s.s3a, s.src, "old", old) is None
    assert [v["Key"] for v in s.s3b.list_object_versions(Bucket=s.dst)["Versions"]] == ["new"]


@pytest.mark.parametrize("enabled", [True, False])
def test_delete_markers_replicate_only_when_enabled(sandbox, enabled):
    s = make_setup(sandbox, delete_markers=enabled)
    vid = s.s3a.put_object(Bucket=s.src, Key="d", Body=b"1")["VersionId"]
    assert wait_final(s.s3a, s.src, "d", vid) == "COMPLETED"
    marker = s.s3a.delete_object(Bucket=s.src, Key="d")
    assert marker["DeleteMarker"] is True
    if enabled:
        assert wait_engine_final(sandbox, s.src, "d", marker["VersionId"]) == "COMPLETED"
        markers = s.s3b.list_object_versions(Bucket=s.dst).get("DeleteMarkers", [])
        assert [(m["VersionId"], m["IsLatest"]) for m in markers] == [(marker["VersionId"], True)]
    else:
        # give a would-be replication a chance, then check nothing happened
        s.s3a.put_object(Bucket=s.src, Key="probe", Body=b"p")
        assert wait_final(s.s3a, s.src, "probe") == "COMPLETED"
        assert sandbox.engine.status(s.src, "d", marker["VersionId"]) is None
        assert "DeleteMarkers" not in s.s3b.list_object_versions(Bucket=s.dst)


def test_delete_objects_batch_call_replicates_its_delete_markers(sandbox):
    s = make_setup(sandbox, delete_markers=True)
    s.s3a.put_object(Bucket=s.src, Key="m1", Body=b"1")
    wait_final(s.s3a, s.src, "m1")
    out = s.s3a.delete_objects(Bucket=s.src, Delete={"Objects": [{"Key": "m1"}]})
    marker_id = out["Deleted"][0]["DeleteMarkerVersionId"]
    assert wait_engine_final(sandbox, s.src, "m1", marker_id) == "COMPLETED"
    assert [m["VersionId"] for m in s.s3b.list_object_versions(Bucket=s.dst)["DeleteMarkers"]] == [marker_id]


def test_version_id_deletes_are_never_replicated(sandbox):
    s = make_setup(sandbox, delete_markers=True)
    vid = s.s3a.put_object(Bucket=s.src, Key="v", Body=b"1")["VersionId"]
    assert wait_final(s.s3a, s.src, "v") == "COMPLETED"
    s.s3a.delete_object(Bucket=s.src, Key="v", VersionId=vid)
    s.s3a.put_object(Bucket=s.src, Key="probe", Body=b"p")
    assert wait_final(s.s3a, s.src, "probe") == "COMPLETED"
    assert s.s3b.head_object(Bucket=s.dst, Key="v", VersionId=vid)["ReplicationStatus"] == "REPLICA"
    assert "DeleteMarkers" not in s.s3b.list_object_versions(Bucket=s.dst)


def test_each_destination_gets_its_copy(sandbox):
    """Rules to different destinations all replicate (priority only decides within one destination)."""
    s = make_setup(sandbox, dst="dst-all", replicate=False)
    s.s3b.create_bucket(Bucket="dst-logs")
    s.s3b.put_bucket_versioning(Bucket="dst-logs", VersioningConfiguration={"Status": "Enabled"})
    s.iam.put_role_policy(RoleName="s3-repl", PolicyName="logs", PolicyDocument=policy(
        {"Effect": "Allow", "Action": DST_ACTIONS, "Resource": "arn:aws:s3:::dst-logs/*"}))
    s.s3b.put_bucket_policy(Bucket="dst-logs", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:root"}, "Action": DST_ACTIONS,
         "Resource": "arn:aws:s3:::dst-logs/*"}))
    s.put_rules(rule("dst-all", rule_id="all", priority=1),
                rule("dst-logs", rule_id="logs", priority=5, flt={"Prefix": "logs/"}))
    assert sandbox.engine.configuration(s.src)["Rules"][1]["ID"] == "logs"
    s.s3a.put_object(Bucket=s.src, Key="logs/app.log", Body=b"l")
    s.s3a.put_object(Bucket=s.src, Key="photos/p.jpg", Body=b"p")
    assert wait_final(s.s3a, s.src, "logs/app.log") == "COMPLETED"
    assert wait_final(s.s3a, s.src, "photos/p.jpg") == "COMPLETED"
    assert [v["Key"] for v in s.s3b.list_object_versions(Bucket="dst-logs")["Versions"]] == ["logs/app.log"]
    assert sorted(v["Key"] for v in s.s3b.list_object_versions(Bucket="dst-all")["Versions"]) == [
        "logs/app.log", "photos/p.jpg"]


def test_tag_filters(sandbox):
    s = make_setup(sandbox, flt={"And": {"Prefix": "docs/", "Tags": [{"Key": "replicate", "Value": "true"}]}})
    tagged = s.s3a.put_object(Bucket=s.src, Key="docs/a", Body=b"a", Tagging="replicate=true")["VersionId"]
    wrong_value = s.s3a.put_object(Bucket=s.src, Key="docs/b", Body=b"b", Tagging="replicate=false")["VersionId"]
    wrong_prefix = s.s3a.put_object(Bucket=s.src, Key="other/c", Body=b"c", Tagging="replicate=true")["VersionId"]
    assert wait_final(s.s3a, s.src, "docs/a", tagged) == "COMPLETED"
    assert head_status(s.s3a, s.src, "docs/b", wrong_value) is None
    assert head_status(s.s3a, s.src, "other/c", wrong_prefix) is None
    # a tag added after the upload does not make the version eligible
    s.s3a.put_object_tagging(Bucket=s.src, Key="docs/b", VersionId=wrong_value,
                             Tagging={"TagSet": [{"Key": "replicate", "Value": "true"}]})
    assert head_status(s.s3a, s.src, "docs/b", wrong_value) is None
    assert sandbox.engine.matching_rule(s.src, "docs/b", wrong_value)["ID"] == "to-dst"  # Batch would pick it up now


def test_single_tag_filter(sandbox):
    s = make_setup(sandbox, flt={"Tag": {"Key": "tier", "Value": "gold"}})
    gold = s.s3a.put_object(Bucket=s.src, Key="x", Body=b"x", Tagging="tier=gold")["VersionId"]
    plain = s.s3a.put_object(Bucket=s.src, Key="y", Body=b"y")["VersionId"]
    assert wait_final(s.s3a, s.src, "x", gold) == "COMPLETED"
    assert head_status(s.s3a, s.src, "y", plain) is None


def test_storage_class_override_and_source_class_by_default(sandbox):
    s = make_setup(sandbox, StorageClass="STANDARD_IA")
    s.s3a.put_object(Bucket=s.src, Key="ia", Body=b"1")
    assert wait_final(s.s3a, s.src, "ia") == "COMPLETED"
    assert s.s3b.head_object(Bucket=s.dst, Key="ia")["StorageClass"] == "STANDARD_IA"
    s.put_rules(rule(s.dst))
    s.s3a.put_object(Bucket=s.src, Key="oz", Body=b"1", StorageClass="ONEZONE_IA")
    assert wait_final(s.s3a, s.src, "oz") == "COMPLETED"
    assert s.s3b.head_object(Bucket=s.dst, Key="oz")["StorageClass"] == "ONEZONE_IA"


def test_glacier_objects_are_not_replicated(sandbox):
    s = make_setup(sandbox)
    vid = s.s3a.put_object(Bucket=s.src, Key="cold", Body=b"1", StorageClass="GLACIER")["VersionId"]
    assert sandbox.engine.matching_rule(s.src, "cold", vid) is None
    assert sandbox.engine.status(s.src, "cold", vid) is None


def _owner_of(s3, bucket, key):
    return s3.list_object_versions(Bucket=bucket, Prefix=key)["Versions"][0]["Owner"]["ID"]


@pytest.mark.parametrize(
    ("ownership", "override", "expected"),
    [
        (None, False, SOURCE_ACCOUNT),                  # replica owned by A: B cannot read it in real life
        ("BucketOwnerPreferred", True, DESTINATION_ACCOUNT),  # AccessControlTranslation
        ("BucketOwnerEnforced", False, DESTINATION_ACCOUNT),  # ACLs disabled
    ],
)
def test_replica_owner(sandbox, ownership, override, expected):
    extra = {"Account": DESTINATION_ACCOUNT, "AccessControlTranslation": {"Owner": "Destination"}} if override else {}
    s = make_setup(sandbox, dst_ownership=ownership, **extra)
    s.s3a.put_object(Bucket=s.src, Key="o", Body=b"1")
    assert wait_final(s.s3a, s.src, "o") == "COMPLETED"
    assert _owner_of(s.s3b, s.dst, "o") == canonical_user_id(expected)
    assert _owner_of(s.s3a, s.src, "o") == canonical_user_id(SOURCE_ACCOUNT)
    assert s.s3b.list_buckets()["Owner"]["ID"] == canonical_user_id(DESTINATION_ACCOUNT)


def test_replicas_are_not_replicated_again(sandbox):
    s = make_setup(sandbox)
    vid = s.s3a.put_object(Bucket=s.src, Key="r", Body=b"1")["VersionId"]
    assert wait_final(s.s3a, s.src, "r") == "COMPLETED"
    assert sandbox.engine.status(s.dst, "r", vid) == "REPLICA"
    assert sandbox.engine.matching_rule(s.dst, "r", vid) is None


def test_replicate_now_is_synchronous_and_reports_codes(sandbox):
    s = make_setup(sandbox, replicate=False)
    vid = s.s3a.put_object(Bucket=s.src, Key="existing", Body=b"1")["VersionId"]
    assert sandbox.engine.replicate_now(s.src, "existing", vid) == "SrcBucketReplicationConfigMissing"
    s.put_rules(rule(s.dst, flt={"Prefix": "yes/"}))
    assert sandbox.engine.matching_rule(s.src, "existing", vid) is None
    assert sandbox.engine.replicate_now(s.src, "existing", vid) == "SrcObjectNotEligible"
    assert sandbox.engine.replicate_now(s.src, "existing", "nope") == "SrcVersionNotFound"
    s.put_rules(rule(s.dst))
    events = []
    sandbox.engine.add_listener(events.append)
    assert sandbox.engine.replicate_now(s.src, "existing", vid) is None
    assert head_status(s.s3a, s.src, "existing", vid) == "COMPLETED"
    assert s.s3b.head_object(Bucket=s.dst, Key="existing")["VersionId"] == vid
    assert [(e.kind, e.via_batch) for e in events] == [("pending", True), ("completed", True)]
    # a replica deleted by version id is not replicated again
    s.s3b.delete_object(Bucket=s.dst, Key="existing", VersionId=vid)
    assert sandbox.engine.replicate_now(s.src, "existing", vid) == "DstObjectHardDeleted"


# -- failures, each with the code S3 reports ------------------------------------------------


def _fails_with(s, key: str = "f", **put) -> str | None:
    vid = s.s3a.put_object(Bucket=s.src, Key=key, Body=b"1", **put)["VersionId"]
    assert wait_final(s.s3a, s.src, key, vid) == "FAILED"
    return s.failure(key, vid)


def test_role_not_trusting_s3_is_assume_role_not_permitted(sandbox):
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "batchoperations.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    s = make_setup(sandbox, trust=trust)
    assert _fails_with(s) == "AssumeRoleNotPermitted"


def test_deleted_role_is_assume_role_not_permitted(sandbox):
    s = make_setup(sandbox)
    s.iam.delete_role_policy(RoleName="s3-repl", PolicyName="replication")
    s.iam.delete_role(RoleName="s3-repl")
    assert _fails_with(s) == "AssumeRoleNotPermitted"


def test_missing_source_read_is_src_get_object_not_permitted(sandbox):
    s = make_setup(sandbox, src_actions=["s3:GetObjectVersion"])  # not ...ForReplication
    assert _fails_with(s) == "SrcGetObjectNotPermitted"


def test_missing_destination_bucket_policy_is_dst_put_object_not_permitted(sandbox):
    s = make_setup(sandbox, dst_policy=None)
    assert _fails_with(s) == "DstPutObjectNotPermitted"


def test_account_principal_in_bucket_policy_is_enough(sandbox):
    s = make_setup(sandbox, dst_policy=policy({"Effect": "Allow", "Principal": {"AWS": SOURCE_ACCOUNT},
                                                "Action": DST_ACTIONS, "Resource": "arn:aws:s3:::dst-bucket/*"}))
    s.s3a.put_object(Bucket=s.src, Key="ok", Body=b"1")
    assert wait_final(s.s3a, s.src, "ok") == "COMPLETED"


def test_missing_role_permission_on_destination_is_dst_put_object_not_permitted(sandbox):
    s = make_setup(sandbox, dst_actions=["s3:ReplicateTags"])
    assert _fails_with(s) == "DstPutObjectNotPermitted"


def test_explicit_deny_in_destination_policy_wins(sandbox):
    deny = policy(
        {"Sid": "ReplFromA", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3-repl"},
         "Action": DST_ACTIONS, "Resource": "arn:aws:s3:::dst-bucket/*"},
        {"Sid": "NoWrites", "Effect": "Deny", "Principal": "*", "Action": "s3:Replicate*", "Resource": "arn:aws:s3:::dst-bucket/*"},
    )
    s = make_setup(sandbox, dst_policy=deny)
    assert _fails_with(s) == "DstPutObjectNotPermitted"


def test_denied_tags_are_dst_put_tagging_not_permitted(sandbox):
    refuse_tags = policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3-repl"},
         "Action": DST_ACTIONS, "Resource": "arn:aws:s3:::dst-bucket/*"},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:ReplicateTags", "Resource": "arn:aws:s3:::dst-bucket/*"},
    )
    s = make_setup(sandbox, dst_policy=refuse_tags)
    assert _fails_with(s, Tagging="a=b") == "DstPutTaggingNotPermitted"
    s.s3a.put_object(Bucket=s.src, Key="untagged", Body=b"1")
    assert wait_final(s.s3a, s.src, "untagged") == "COMPLETED"


def test_without_source_tag_read_the_object_replicates_without_tags(sandbox):
    s = make_setup(sandbox, src_actions=["s3:GetObjectVersionForReplication"])
    s.s3a.put_object(Bucket=s.src, Key="t", Body=b"1", Tagging="a=b")
    assert wait_final(s.s3a, s.src, "t") == "COMPLETED"
    assert s.s3b.get_object_tagging(Bucket=s.dst, Key="t")["TagSet"] == []


def test_missing_replicate_delete_is_dst_del_obj_not_permitted(sandbox):
    s = make_setup(sandbox, delete_markers=True,
                   dst_actions=["s3:ReplicateObject", "s3:ReplicateTags"])
    s.s3a.put_object(Bucket=s.src, Key="d", Body=b"1")
    assert wait_final(s.s3a, s.src, "d") == "COMPLETED"
    marker = s.s3a.delete_object(Bucket=s.src, Key="d")["VersionId"]
    assert wait_engine_final(sandbox, s.src, "d", marker) == "FAILED"
    assert s.failure("d", marker) == "DstDelObjNotPermitted"


def test_owner_override_without_permission_is_dst_put_object_not_permitted(sandbox):
    s = make_setup(sandbox, dst_actions=["s3:ReplicateObject", "s3:ReplicateTags"],
                   Account=DESTINATION_ACCOUNT, AccessControlTranslation={"Owner": "Destination"})
    assert _fails_with(s) == "DstPutObjectNotPermitted"


def test_destination_bucket_gone_is_dst_bucket_not_found(sandbox):
    s = make_setup(sandbox)
    s.s3b.delete_bucket(Bucket=s.dst)
    assert _fails_with(s) == "DstBucketNotFound"


def test_destination_versioning_suspended_is_dst_bucket_unversioned(sandbox):
    s = make_setup(sandbox)
    s.s3b.put_bucket_versioning(Bucket=s.dst, VersioningConfiguration={"Status": "Suspended"})  # allowed on DST
    assert _fails_with(s) == "DstBucketUnversioned"


def test_object_lock_source_needs_object_lock_destination(sandbox):
    s = make_setup(sandbox, replicate=False)
    s.s3a.create_bucket(Bucket="locked-src", ObjectLockEnabledForBucket=True)
    s.src = "locked-src"
    s.iam.put_role_policy(RoleName="s3-repl", PolicyName="locked", PolicyDocument=policy(
        {"Effect": "Allow", "Action": SRC_ACTIONS, "Resource": "arn:aws:s3:::locked-src/*"}))
    s.put_rules(rule(s.dst))
    assert _fails_with(s) == "DstBucketObjectLockConfigMissing"


# -- KMS ---------------------------------------------------------------------------------------


def _kms_setup(sandbox, *, key_policy_grants_role: bool = True):
    kms_a = sandbox.clients(SOURCE_ACCOUNT)("kms")
    kms_b = sandbox.clients(DESTINATION_ACCOUNT)("kms")
    src_key = kms_a.create_key(Description="source")["KeyMetadata"]["Arn"]
    dst_key = kms_b.create_key(Description="replicas")["KeyMetadata"]["Arn"]
    s = make_setup(sandbox, replicate=False)
    s.iam.put_role_policy(RoleName="s3-repl", PolicyName="kms", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": src_key},
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Resource": dst_key}))
    statements = [{"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DESTINATION_ACCOUNT}:root"},
                   "Action": "kms:*", "Resource": "*"}]
    if key_policy_grants_role:
        statements.append({"Sid": "ReplicaWrites", "Effect": "Allow", "Principal": {"AWS": s.role_arn},
                           "Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Resource": "*"})
    kms_b.put_key_policy(KeyId=dst_key, PolicyName="default", Policy=policy(*statements))
    return s, src_key, dst_key, kms_b


def _kms_rule(s, replica_key):
    return {
        **rule(s.dst, EncryptionConfiguration={"ReplicaKmsKeyID": replica_key}),
        "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
    }


def _put_kms(s, key, src_key):
    return s.s3a.put_object(Bucket=s.src, Key=key, Body=b"secret", ServerSideEncryption="aws:kms", SSEKMSKeyId=src_key)["VersionId"]


def test_sse_kms_object_replicates_with_the_replica_key(sandbox):
    s, src_key, dst_key, _ = _kms_setup(sandbox)
    s.put_rules(_kms_rule(s, dst_key))
    _put_kms(s, "enc", src_key)
    assert wait_final(s.s3a, s.src, "enc") == "COMPLETED"
    replica = s.s3b.head_object(Bucket=s.dst, Key="enc")
    assert replica["ServerSideEncryption"] == "aws:kms" and replica["SSEKMSKeyId"] == dst_key


def test_sse_kms_objects_without_opt_in_are_not_eligible(sandbox):
    s, src_key, dst_key, _ = _kms_setup(sandbox)
    s.put_rules(rule(s.dst))
    vid = _put_kms(s, "enc", src_key)
    assert head_status(s.s3a, s.src, "enc", vid) is None


def test_missing_replica_key_is_dst_kms_key_not_found(sandbox):
    s, src_key, dst_key, _ = _kms_setup(sandbox)
    missing = dst_key.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000"
    s.put_rules(_kms_rule(s, missing))  # S3 does not check the key at put time
    vid = _put_kms(s, "enc", src_key)
    assert wait_final(s.s3a, s.src, "enc", vid) == "FAILED"
    assert s.failure("enc", vid) == "DstKmsKeyNotFound"


def test_disabled_replica_key_is_dst_kms_key_invalid_state(sandbox):
    s, src_key, dst_key, kms_b = _kms_setup(sandbox)
    kms_b.disable_key(KeyId=dst_key.rsplit("/", 1)[1])  # moto wants the bare id here
    s.put_rules(_kms_rule(s, dst_key))
    vid = _put_kms(s, "enc", src_key)
    assert wait_final(s.s3a, s.src, "enc", vid) == "FAILED"
    assert s.failure("enc", vid) == "DstKmsKeyInvalidState"


def test_key_policy_without_the_role_is_dst_put_object_not_permitted(sandbox):
    s, src_key, dst_key, _ = _kms_setup(sandbox, key_policy_grants_role=False)
    s.put_rules(_kms_rule(s, dst_key))
    vid = _put_kms(s, "enc", src_key)
    assert wait_final(s.s3a, s.src, "enc", vid) == "FAILED"
    assert s.failure("enc", vid) == "DstPutObjectNotPermitted"


def test_disabled_source_key_is_src_kms_key_invalid_state(sandbox):
    s, src_key, dst_key, _ = _kms_setup(sandbox)
    s.put_rules(_kms_rule(s, dst_key))
    sandbox.clients(SOURCE_ACCOUNT)("kms").disable_key(KeyId=src_key.rsplit("/", 1)[1])
    vid = _put_kms(s, "enc", src_key)  # moto does not refuse the disabled key; replication does
    assert wait_final(s.s3a, s.src, "enc", vid) == "FAILED"
    assert s.failure("enc", vid) == "SrcKmsKeyInvalidState"


def test_failed_versions_can_be_retried_after_the_fix(sandbox):
    s = make_setup(sandbox, dst_policy=None)
    vid = s.s3a.put_object(Bucket=s.src, Key="retry", Body=b"1")["VersionId"]
    assert wait_final(s.s3a, s.src, "retry") == "FAILED"
    s.s3b.put_bucket_policy(Bucket=s.dst, Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": s.role_arn}, "Action": DST_ACTIONS, "Resource": "arn:aws:s3:::dst-bucket/*"}))
    assert sandbox.engine.replicate_now(s.src, "retry", vid) is None
    assert head_status(s.s3a, s.src, "retry", vid) == "COMPLETED"
    assert json.loads(s.s3b.get_bucket_policy(Bucket=s.dst)["Policy"])["Statement"][0]["Principal"]["AWS"] == s.role_arn
