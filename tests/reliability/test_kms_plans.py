"""Plan + apply on the sandbox for the two KMS cases of issue 17.7, then objects replicate.

(a) A source using S3 Bucket Keys with ``--replica-kms-key`` to a destination without them:
the replica keeps the Bucket Key, so the role and the key policy need ``kms:Decrypt`` on the
replica key under the destination bucket's ARN ("Reducing the cost of SSE-KMS with Amazon S3
Bucket Keys", https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html).
(b) Plaintext objects to a destination whose default encryption is SSE-KMS: the role needs
``kms:GenerateDataKey`` on that key ("Replicating encrypted objects",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html).

Existing objects go through the plan's Batch Replication job, new ones through live
replication: all COMPLETED. Then the statements the plan wrote before this fix are put
back by hand and a new object FAILS, so the test proves the documents, not the reading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.cli import main
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import FAST, World
from tests.sandbox.helpers import wait_final, wait_for

from .conftest import DST_PROFILE, SRC_PROFILE


def _plan(w: World, options: MigrationOptions) -> Any:
    return build_plan(gather_inputs(w.clients["source"], w.clients["destination"], w.src, w.dst, options))


def _apply(w: World, options: MigrationOptions) -> Any:
    plan = _plan(w, options)
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    result = apply_plan(plan, w.clients, options=options, backoff=FAST)
    assert result.ok, result.summary()
    return plan


def _existing_replicated(w: World) -> None:
    """The Batch job replicated the three objects written before apply."""
    keys = [f"photos/{i}.jpg" for i in range(3)]

    def done() -> bool:
        return all(w.s3a().head_object(Bucket=w.src, Key=k).get("ReplicationStatus") == "COMPLETED" for k in keys)

    wait_for(done, 20, what="the Batch job's replicas")


def _put(w: World, key: str) -> str:
    version = w.s3a().put_object(Bucket=w.src, Key=key, Body=b"payload")["VersionId"]
    return wait_final(w.s3a(), w.src, key, version)


def _role_statements(w: World, plan: Any) -> tuple[str, dict[str, Any]]:
    """The replication role's inline policy (name, document) as apply wrote it."""
    role = f"s3xrep-repl-{w.src}"
    name = next(s.request["PolicyName"] for s in plan.steps if s.call == "iam.put_role_policy"
                and s.request["RoleName"] == role)
    document = w.iam().get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    return name, json.loads(document) if isinstance(document, str) else document


def _put_role_policy(w: World, name: str, document: dict[str, Any]) -> None:
    w.iam().put_role_policy(RoleName=f"s3xrep-repl-{w.src}", PolicyName=name, PolicyDocument=json.dumps(document))


def _bucket_key_source(w: World) -> str:
    key = w.accounts[A]("kms").create_key(Description="source")["KeyMetadata"]["Arn"]
    w.s3a().put_bucket_encryption(Bucket=w.src, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key},
         "BucketKeyEnabled": True}]})
    for i in range(3):  # rewrite the world's objects under the Bucket Key
        w.s3a().put_object(Bucket=w.src, Key=f"photos/{i}.jpg", Body=b"k" * (i + 1))
    return key


def test_a_bucket_key_source_with_a_replica_key_replicates(world: Callable[[str], World]) -> None:
    w = world("kms-bucket-key")
    _bucket_key_source(w)
    replica = w.accounts[B]("kms").create_key(Description="replicas")["KeyMetadata"]["Arn"]
    options = MigrationOptions(report_bucket=w.report, replica_kms_key=replica)
    plan = _apply(w, options)
    _existing_replicated(w)
    assert _put(w, "photos/new.jpg") == "COMPLETED"
    head = w.s3b().head_object(Bucket=w.dst, Key="photos/new.jpg")
    assert head["SSEKMSKeyId"] == replica and head.get("BucketKeyEnabled") is True

    # the replica-key statements as the plan wrote them before the fix: no Decrypt, object context only
    old_condition = {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
                     "StringLike": {"kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{w.dst}/*"}}
    kms = w.accounts[B]("kms")
    key_policy = json.loads(kms.get_key_policy(KeyId=replica, PolicyName="default")["Policy"])
    for statement in key_policy["Statement"]:
        if statement.get("Sid", "").endswith("EncryptReplicas"):
            statement.update(Action=["kms:Encrypt", "kms:GenerateDataKey"], Condition=old_condition)
    kms.put_key_policy(KeyId=replica, PolicyName="default", Policy=json.dumps(key_policy))
    name, role_policy = _role_statements(w, plan)
    for statement in role_policy["Statement"]:
        if statement.get("Sid", "").endswith("EncryptReplicas"):
            statement.update(Action=["kms:Encrypt", "kms:GenerateDataKey"], Condition=old_condition)
    _put_role_policy(w, name, role_policy)
    assert _put(w, "photos/old-documents.jpg") == "FAILED"


def _default_kms_destination(w: World, *grants: dict[str, Any]) -> str:
    root = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
            "Action": "kms:*", "Resource": "*"}
    key = w.accounts[B]("kms").create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [root, *grants]}))
    arn = key["KeyMetadata"]["Arn"]
    w.s3b().put_bucket_encryption(Bucket=w.dst, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": arn}}]})
    return arn


SOURCE_ACCOUNT_MAY_GENERATE = {"Sid": "SourceAccountReplicas", "Effect": "Allow",
                               "Principal": {"AWS": f"arn:aws:iam::{A}:root"}, "Action": "kms:GenerateDataKey",
                               "Resource": "*"}


def test_plaintext_objects_to_a_default_sse_kms_destination_replicate(world: Callable[[str], World]) -> None:
    w = world("kms-default-dst")
    default = _default_kms_destination(w, SOURCE_ACCOUNT_MAY_GENERATE)
    plan = _apply(w, w.options)
    _existing_replicated(w)
    assert _put(w, "photos/new.jpg") == "COMPLETED"
    head = w.s3b().head_object(Bucket=w.dst, Key="photos/new.jpg")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == default

    # the role policy as the plan wrote it before the fix: no KMS permission at all
    name, role_policy = _role_statements(w, plan)
    role_policy["Statement"] = [s for s in role_policy["Statement"] if not s["Sid"].endswith("EncryptDefault")]
    _put_role_policy(w, name, role_policy)
    assert _put(w, "photos/old-documents.jpg") == "FAILED"


def test_a_default_sse_kms_key_that_does_not_grant_the_role_blocks_the_plan(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("kms-default-nogrant")
    default = _default_kms_destination(w)
    code = main(["plan", "--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}",
                 "--report-bucket", w.report])
    said = "".join(capsys.readouterr())
    assert code == 3, said
    assert f"does not allow kms:GenerateDataKey on {default} by arn:aws:iam::{A}:role/s3xrep-repl-{w.src}" in said
    assert '"Action":["kms:GenerateDataKey"]' in said  # the statement to add, in the fix
