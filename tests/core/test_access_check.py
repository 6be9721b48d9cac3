"""core.access_check through preflight: which Deny blocks, which warns, which is harmless (issue 14.9)."""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.core.access_check import checks
from s3xrep_tui.core.models import KmsKeyFacts
from s3xrep_tui.core.preflight import preflight
from tests.core.conftest import (
    DESTINATION_ACCOUNT,
    DESTINATION_BUCKET,
    SOURCE_ACCOUNT,
    SOURCE_BUCKET,
    make_facts,
    make_inputs,
)

REPLICA_KEY = "arn:aws:kms:us-east-1:222222222222:key/0b1c2d3e-2222-4aaa-8bbb-000000000002"


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _with_destination_policy(*statements: dict[str, Any], **options: Any) -> Any:
    return make_inputs(destination=make_facts(DESTINATION_BUCKET, DESTINATION_ACCOUNT, policy=_policy(*statements)), **options)


def _ids(inputs: Any) -> dict[str, str]:
    return {f.id: f.severity for f in preflight(inputs)}


def test_a_deny_on_delete_markers_blocks_only_when_they_replicate() -> None:
    deny = {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:ReplicateDelete",
            "Resource": f"arn:aws:s3:::{DESTINATION_BUCKET}/*"}
    assert "policy-denies-replication" not in _ids(_with_destination_policy(deny))
    found = [f for f in preflight(_with_destination_policy(deny, delete_markers=True)) if f.id == "policy-denies-replication"]
    assert len(found) == 1 and found[0].severity == "blocking"
    assert 'Statement "NoDeletes"' in found[0].message and json.dumps(deny, separators=(",", ":")) in found[0].message


def test_one_finding_per_denying_statement_and_control_characters_are_escaped() -> None:
    deny = {"Sid": "Deny\x1b[31mAll", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    found = [f for f in preflight(_with_destination_policy(deny)) if f.id == "policy-denies-replication"]
    assert len(found) == 1  # ReplicateObject, ReplicateTags, ... all denied by the one statement
    assert "\x1b" not in found[0].message and "\\u001b" in found[0].message


def test_an_unknown_condition_operator_on_a_deny_warns() -> None:
    deny = {"Sid": "Odd", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringMatchesRegex": {"aws:PrincipalArn": ".*"}}}
    assert _ids(_with_destination_policy(deny)).get("policy-deny-not-evaluated") == "warning"


def test_a_deny_excluding_our_role_by_principal_arn_does_not_block() -> None:
    inputs = make_inputs()
    role = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3xrep-repl-{SOURCE_BUCKET}"
    deny = {"Sid": "OnlyReplication", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"ArnNotEquals": {"aws:PrincipalArn": role}}}
    assert "policy-denies-replication" not in _ids(_with_destination_policy(deny))
    assert any(c.request.principal == role for c in checks(inputs))


def test_a_source_bucket_policy_deny_on_the_batch_role_blocks() -> None:
    deny = {"Sid": "NoBatch", "Effect": "Deny", "Principal": "*", "Action": "s3:InitiateReplication",
            "Resource": f"arn:aws:s3:::{SOURCE_BUCKET}/*"}
    inputs = make_inputs(source=make_facts(policy=_policy(deny)))
    found = [f for f in preflight(inputs) if f.id == "policy-denies-replication"]
    assert found and f"s3xrep-batch-{SOURCE_BUCKET}" in found[0].message
    assert "policy-denies-replication" not in _ids(make_inputs(source=make_facts(policy=_policy(deny)),
                                                             replicate_existing=False))


def test_a_replica_key_policy_deny_blocks_and_its_plain_default_does_not() -> None:
    root = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DESTINATION_ACCOUNT}:root"},
            "Action": "kms:*", "Resource": "*"}
    deny = {"Sid": "VpcOnly", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}  # S3's requests carry no VPC endpoint
    for statements, blocked in (((root,), False), ((root, deny), True)):
        key = KmsKeyFacts(arn=REPLICA_KEY, manager="CUSTOMER", region="us-east-1", state="Enabled",
                          policy=_policy(*statements))
        inputs = make_inputs(replica_kms_key=REPLICA_KEY, replica_key=key)
        assert ("policy-denies-replication" in _ids(inputs)) == blocked
