"""The sandbox enforces what S3 asks of KMS when it replicates (issue 17.7).

AWS pages: "Replicating encrypted objects (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html):
the role needs ``kms:Decrypt`` on the source key and ``kms:Encrypt`` / ``kms:GenerateDataKey``
on the replica key, each limited by ``kms:ViaService`` and ``kms:EncryptionContext:aws:s3:arn``
(the object ARN, or the bucket ARN with S3 Bucket Keys), and the key policy must allow it
across accounts. "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html), section on
replication: a replica keeps its source object's Bucket Key setting, so its key is used
under the destination bucket's ARN and needs ``kms:Decrypt`` too; objects written before
a Bucket Key was enabled stay under the object-ARN context. "Setting default server-side
encryption behavior for Amazon S3 buckets" with replication: an unencrypted source object's
replica gets the destination's default encryption, so a default SSE-KMS key needs
``kms:GenerateDataKey`` for the role.

Each case fails with the narrower grant and succeeds with the one AWS requires, live and
through a Batch Operations task (``replicate_now(via_batch=True)``, the call a task makes).
"""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

from ..helpers import DST_ACTIONS, SRC_ACTIONS, make_setup, policy, wait_final

VIA = "s3.us-east-1.amazonaws.com"


def _key(sandbox: Any, account: str, *extra: dict[str, Any]) -> str:
    """A key whose policy delegates to its account (the default statement) plus ``extra``."""
    root = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*", "Resource": "*"}
    kms = sandbox.clients(account)("kms")
    return kms.create_key(Policy=policy(root, *extra))["KeyMetadata"]["Arn"]


def _grant(role: str, actions: list[str], contexts: list[str]) -> dict[str, Any]:
    return {"Sid": "Role", "Effect": "Allow", "Principal": {"AWS": role}, "Action": actions, "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": VIA},
                          "StringLike": {"kms:EncryptionContext:aws:s3:arn": contexts}}}


def _role_policy(setup: Any, *kms_statements: dict[str, Any]) -> None:
    setup.iam.put_role_policy(RoleName="s3-repl", PolicyName="replication", PolicyDocument=policy(
        {"Effect": "Allow", "Action": SRC_ACTIONS, "Resource": f"arn:aws:s3:::{setup.src}/*"},
        {"Effect": "Allow", "Action": DST_ACTIONS, "Resource": f"arn:aws:s3:::{setup.dst}/*"},
        {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
         "Resource": f"arn:aws:s3:::{setup.src}"},
        *kms_statements,
    ))


def _identity(key: str, actions: list[str], contexts: list[str]) -> dict[str, Any]:
    grant = _grant("x", actions, contexts)
    return {"Effect": "Allow", "Action": actions, "Resource": key, "Condition": grant["Condition"]}


def _encrypt_source(setup: Any, key: str, bucket_key: bool) -> None:
    setup.s3a.put_bucket_encryption(Bucket=setup.src, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
         "BucketKeyEnabled": bucket_key}]})


def _put(setup: Any, key: str) -> str:
    return setup.s3a.put_object(Bucket=setup.src, Key=key, Body=b"secret")["VersionId"]


def _batch(setup: Any, key: str, version: str) -> str | None:
    return setup.sandbox.engine.replicate_now(setup.src, key, version, via_batch=True)


def test_a_bucket_key_source_replica_needs_decrypt_under_the_bucket_context(sandbox: Any) -> None:
    src_key = _key(sandbox, A)
    setup = make_setup(sandbox, replicate=False)
    dst_objects, dst_bucket = f"arn:aws:s3:::{setup.dst}/*", f"arn:aws:s3:::{setup.dst}"
    replica = _key(sandbox, B, _grant(setup.role_arn, ["kms:Encrypt", "kms:GenerateDataKey"], [dst_objects]))
    src_decrypt = _identity(src_key, ["kms:Decrypt"], [f"arn:aws:s3:::{setup.src}", f"arn:aws:s3:::{setup.src}/*"])
    _role_policy(setup, src_decrypt, _identity(replica, ["kms:Encrypt", "kms:GenerateDataKey"], [dst_objects]))
    _encrypt_source(setup, src_key, bucket_key=True)
    setup.put_rules({"ID": "kms", "Priority": 1, "Status": "Enabled", "Filter": {},
                     "DeleteMarkerReplication": {"Status": "Disabled"},
                     "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                     "Destination": {"Bucket": f"arn:aws:s3:::{setup.dst}",
                                     "EncryptionConfiguration": {"ReplicaKmsKeyID": replica}}})
    # Encrypt/GenerateDataKey under the object context only: what the plan granted before 17.7
    old = _put(setup, "before.txt")
    assert wait_final(setup.s3a, setup.src, "before.txt", old) == "FAILED"
    assert setup.failure("before.txt", old) == "DstPutObjectNotPermitted"
    assert _batch(setup, "before.txt", old) == "DstPutObjectNotPermitted"
    # Decrypt too, under the bucket ARN (and the object ARN), in the key policy and the role policy
    wanted = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]
    sandbox.clients(B)("kms").put_key_policy(KeyId=replica, PolicyName="default", Policy=policy(
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "kms:*",
         "Resource": "*"}, _grant(setup.role_arn, wanted, [dst_bucket, dst_objects])))
    _role_policy(setup, src_decrypt, _identity(replica, wanted, [dst_bucket, dst_objects]))
    assert _batch(setup, "before.txt", old) is None
    new = _put(setup, "after.txt")
    assert wait_final(setup.s3a, setup.src, "after.txt", new) == "COMPLETED"
    head = setup.s3b.head_object(Bucket=setup.dst, Key="after.txt", VersionId=new)
    assert head["SSEKMSKeyId"] == replica and head.get("BucketKeyEnabled") is True


def test_objects_from_before_a_bucket_key_need_the_object_context_on_the_source_key(sandbox: Any) -> None:
    setup = make_setup(sandbox, replicate=False)
    src_key = _key(sandbox, A)
    replica = _key(sandbox, B, _grant(setup.role_arn, ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
                                      [f"arn:aws:s3:::{setup.dst}", f"arn:aws:s3:::{setup.dst}/*"]))
    encrypt = _identity(replica, ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"],
                        [f"arn:aws:s3:::{setup.dst}", f"arn:aws:s3:::{setup.dst}/*"])
    _encrypt_source(setup, src_key, bucket_key=False)
    early = _put(setup, "early.txt")  # before the Bucket Key: object-ARN context
    _encrypt_source(setup, src_key, bucket_key=True)
    late = _put(setup, "late.txt")
    setup.put_rules({"ID": "kms", "Priority": 1, "Status": "Enabled", "Filter": {},
                     "DeleteMarkerReplication": {"Status": "Disabled"},
                     "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
                     "Destination": {"Bucket": f"arn:aws:s3:::{setup.dst}",
                                     "EncryptionConfiguration": {"ReplicaKmsKeyID": replica}}})
    _role_policy(setup, encrypt, _identity(src_key, ["kms:Decrypt"], [f"arn:aws:s3:::{setup.src}"]))
    assert _batch(setup, "late.txt", late) is None
    assert _batch(setup, "early.txt", early) == "SrcGetObjectNotPermitted"
    _role_policy(setup, encrypt, _identity(src_key, ["kms:Decrypt"],
                                           [f"arn:aws:s3:::{setup.src}", f"arn:aws:s3:::{setup.src}/*"]))
    assert _batch(setup, "early.txt", early) is None


def test_a_plaintext_object_to_a_default_sse_kms_destination_needs_generate_data_key(sandbox: Any) -> None:
    setup = make_setup(sandbox)
    default = _key(sandbox, B, _grant(setup.role_arn, ["kms:GenerateDataKey"], [f"arn:aws:s3:::{setup.dst}/*"]))
    setup.s3b.put_bucket_encryption(Bucket=setup.dst, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": default}}]})
    first = _put(setup, "plain.txt")  # the source has no default encryption: a plaintext object
    assert wait_final(setup.s3a, setup.src, "plain.txt", first) == "FAILED"
    assert setup.failure("plain.txt", first) == "DstPutObjectNotPermitted"
    _role_policy(setup, _identity(default, ["kms:GenerateDataKey"], [f"arn:aws:s3:::{setup.dst}/*"]))
    assert _batch(setup, "plain.txt", first) is None
    head = setup.s3b.head_object(Bucket=setup.dst, Key="plain.txt", VersionId=first)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == default
    # the key policy must allow it as well: the role's own policy alone is not enough across accounts
    sandbox.clients(B)("kms").put_key_policy(KeyId=default, PolicyName="default", Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Sid": "Root", "Effect": "Allow",
                                                 "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
                                                 "Action": "kms:*", "Resource": "*"}]}))
    second = _put(setup, "plain2.txt")
    assert wait_final(setup.s3a, setup.src, "plain2.txt", second) == "FAILED"
