"""Statements for the destination account's resource policies: the bucket policy and the KMS key policy.

Every statement names our replication role as its only principal and carries a Sid of
our family: that pair is how the merge engine recognises them among foreign statements.
"""

from __future__ import annotations

from typing import Any

from .models import PlanInputs
from .policy_parts import (
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

    Never ``s3:PutBucketVersioning``, ``s3:GetBucketVersioning`` or ``s3:List*``: AWS's replication role
    policy ("Setting up permissions for live replication") holds none of them, and a cross-account
    grant needs both sides, so a bucket-policy grant of them would be dead (we read the destination's
    versioning with B's own session). An earlier plan's ``ReadVersioning`` statement is removed by the merge.
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
