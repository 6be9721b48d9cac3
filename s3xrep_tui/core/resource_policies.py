"""Statements for the destination account's resource policies: the bucket policy and the KMS key policy.

Every statement names our replication role as its only principal and carries a Sid of
our family: that pair is how the merge engine recognises them among foreign statements.
"""

from __future__ import annotations

from typing import Any

from .models import PlanInputs
from .policy_parts import (
    destination_bucket_arn,
    destination_object_actions,
    destination_objects_arn,
    replica_key_actions,
    replica_key_arn,
    replica_kms_condition,
    sid,
    statement,
)


def destination_policy_statements(inputs: PlanInputs, replication_role_arn: str) -> list[dict[str, Any]]:
    """What to merge into the destination bucket policy; ``[]`` when both buckets share an account.

    Never ``s3:PutBucketVersioning`` (we enable versioning with B's own session) and never ``s3:List*``.
    """
    if not inputs.cross_account:
        return []
    principal = {"AWS": replication_role_arn}
    return [
        statement(
            sid(inputs, "ReplicateObjects"),
            destination_object_actions(inputs),
            destination_objects_arn(inputs),
            principal=principal,
        ),
        statement(
            sid(inputs, "ReadVersioning"),
            ["s3:GetBucketVersioning"],
            destination_bucket_arn(inputs),
            principal=principal,
        ),
    ]


def destination_kms_statements(inputs: PlanInputs, replication_role_arn: str) -> list[dict[str, Any]]:
    """What to merge into the replica key's policy; ``[]`` without a replica key.

    Key policies always name ``"*"`` as the resource (the key itself).
    """
    if not replica_key_arn(inputs):
        return []
    return [
        statement(
            sid(inputs, "EncryptReplicas"),
            replica_key_actions(inputs),
            "*",
            principal={"AWS": replication_role_arn},
            condition=replica_kms_condition(inputs),
        )
    ]
