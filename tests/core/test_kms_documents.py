"""Issue 17.7 and 17.8 in the documents: KMS where AWS enforces it, no grant nobody can use.

AWS pages: "Replicating encrypted objects (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html),
"Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html), "Setting up permissions
for live replication" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html):
its role policy has no ``s3:GetBucketVersioning``, so a destination-policy grant of it is dead
(cross-account access needs both sides); the sandbox's evaluator agrees (replication never asks for it).
"""

from __future__ import annotations

import json
from typing import Any

import parliament

from s3xrep_tui.core import documents as d
from s3xrep_tui.core.models import EncryptionFacts, KmsKeyFacts
from s3xrep_tui.core.policy_eval import Request, evaluate
from tests.core.conftest import DESTINATION_ACCOUNT, DESTINATION_BUCKET, make_facts, make_inputs

SOURCE_KEY = "arn:aws:kms:us-east-1:111111111111:key/0b1c2d3e-1111-4aaa-8bbb-000000000001"
REPLICA_KEY = "arn:aws:kms:us-east-1:222222222222:key/0b1c2d3e-2222-4aaa-8bbb-000000000002"
DEFAULT_KEY = "arn:aws:kms:us-east-1:222222222222:key/0b1c2d3e-4444-4aaa-8bbb-000000000004"
DST = f"arn:aws:s3:::{DESTINATION_BUCKET}"


def _source(bucket_keys: bool) -> Any:
    return make_facts(encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id=SOURCE_KEY, bucket_key_enabled=bucket_keys))


def _by_kind(statements: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    return next(s for s in statements if s["Sid"].endswith(kind))


def _kms_request(inputs: Any, action: str, key: str, context_arn: str) -> Request:
    return Request(d.replication_role_arn(inputs), action, key, {
        "kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": context_arn})


def test_a_bucket_key_source_gets_decrypt_on_the_replica_key_under_both_contexts() -> None:
    inputs = make_inputs(replica_kms_key=REPLICA_KEY, source=_source(True))
    role = d.replication_role_policy(inputs)
    key = {"Statement": d.destination_kms_statements(inputs, d.replication_role_arn(inputs))}
    for action in ("kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"):
        for context in (DST, f"{DST}/a/b.jpg"):
            assert evaluate(role, _kms_request(inputs, action, REPLICA_KEY, context), identity=True).allowed
            assert evaluate(key, _kms_request(inputs, action, "*", context)).allowed, (action, context)
    # without a Bucket Key anywhere: no Decrypt, object context only
    plain = make_inputs(replica_kms_key=REPLICA_KEY, source=_source(False))
    encrypt = _by_kind(d.replication_role_policy(plain)["Statement"], "EncryptReplicas")
    assert encrypt["Action"] == ["kms:Encrypt", "kms:GenerateDataKey"]
    assert not evaluate(d.replication_role_policy(plain), _kms_request(plain, "kms:Encrypt", REPLICA_KEY, DST),
                        identity=True).allowed


def test_the_source_key_is_granted_for_objects_from_before_and_after_its_bucket_key() -> None:
    inputs = make_inputs(replica_kms_key=REPLICA_KEY, source=_source(True))
    role = d.replication_role_policy(inputs)
    for context in ("arn:aws:s3:::acme-legacy-media", "arn:aws:s3:::acme-legacy-media/old.jpg"):
        assert evaluate(role, _kms_request(inputs, "kms:Decrypt", SOURCE_KEY, context), identity=True).allowed
    assert not evaluate(role, _kms_request(inputs, "kms:Decrypt", SOURCE_KEY, "arn:aws:s3:::other/x"),
                        identity=True).allowed


def _default_kms_destination(bucket_keys: bool = False, manager: str = "CUSTOMER") -> Any:
    return make_facts(DESTINATION_BUCKET, DESTINATION_ACCOUNT,
                      encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id=DEFAULT_KEY, bucket_key_enabled=bucket_keys),
                      default_kms_key=KmsKeyFacts(arn=DEFAULT_KEY, manager=manager, region="us-east-1", state="Enabled"))


def test_a_default_sse_kms_destination_gets_generate_data_key_for_plaintext_replicas() -> None:
    inputs = make_inputs(destination=_default_kms_destination())
    statement = _by_kind(d.replication_role_policy(inputs)["Statement"], "EncryptDefault")
    assert statement["Action"] == ["kms:GenerateDataKey"] and statement["Resource"] == DEFAULT_KEY
    assert evaluate(d.replication_role_policy(inputs), _kms_request(inputs, "kms:GenerateDataKey", DEFAULT_KEY,
                                                                     f"{DST}/x"), identity=True).allowed
    findings = [f"{f.issue}: {f.detail}" for f in parliament.analyze_policy_string(json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]})).findings]
    assert findings == []
    with_bucket_keys = make_inputs(destination=_default_kms_destination(bucket_keys=True))
    statement = _by_kind(d.replication_role_policy(with_bucket_keys)["Statement"], "EncryptDefault")
    assert statement["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert statement["Condition"]["StringEquals"]["kms:EncryptionContext:aws:s3:arn"] == DST
    # the AWS managed key cannot be granted (a warning says so); the replica key is already granted
    assert not any(s["Sid"].endswith("EncryptDefault") for s in d.replication_role_policy(
        make_inputs(destination=_default_kms_destination(manager="AWS")))["Statement"])
    same = make_inputs(destination=_default_kms_destination(), replica_kms_key=DEFAULT_KEY)
    assert not any(s["Sid"].endswith("EncryptDefault") for s in d.replication_role_policy(same)["Statement"])


def test_the_destination_policy_grants_nothing_the_role_cannot_use() -> None:
    inputs = make_inputs()
    ours = d.destination_policy_statements(inputs, d.replication_role_arn(inputs))
    granted = {a for s in ours for a in s["Action"]}
    role = {a for s in d.replication_role_policy(inputs)["Statement"] for a in s["Action"]}
    assert granted <= role, granted - role
    assert "s3:GetBucketVersioning" not in granted


def _other_rule(**extra: Any) -> dict[str, Any]:
    return {"ID": "to-dr", "Priority": 5, "Status": "Enabled", "Filter": {"Prefix": "dr/"},
            "Destination": {"Bucket": "arn:aws:s3:::acme-dr"}, **extra}


def test_keep_other_rules_replicates_deletes_only_for_rules_that_replicate_delete_markers() -> None:
    def keep(rule: dict[str, Any]) -> list[str]:
        inputs = make_inputs(source=make_facts(replication={"Role": "arn:aws:iam::111111111111:role/x", "Rules": [rule]}))
        return _by_kind(d.replication_role_policy(inputs, ["arn:aws:s3:::acme-dr"])["Statement"], "KeepOtherRules")["Action"]

    assert keep(_other_rule(DeleteMarkerReplication={"Status": "Disabled"})) == ["s3:ReplicateObject", "s3:ReplicateTags"]
    assert "s3:ReplicateDelete" in keep(_other_rule(DeleteMarkerReplication={"Status": "Enabled"}))
    v1 = {"ID": "old", "Prefix": "old/", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::acme-dr"}}
    assert "s3:ReplicateDelete" in keep(v1)  # V1 rules replicate delete markers implicitly
