"""The IAM roles in the source account: their ARNs, trust policies and inline policies.

Least privilege (AWS: S3 User Guide, "Setting up permissions for live replication"): exact bucket ARNs for bucket actions, object
ARNs (narrowed to the rule's prefix) for object actions, no wildcard actions, and
conditional permissions only when the configuration uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .inventory_backfill import manifest_objects_arn
from .merge import is_v1_rule, rule_destination
from .models import PlanInputs
from .names import bucket_from_arn, objects_arn
from .policy_parts import (
    BATCH_SERVICE,
    S3_SERVICE,
    default_key_actions,
    default_key_arn_for_replicas,
    default_key_condition,
    default_role_arn,
    destination_object_actions,
    destination_objects_arn,
    folder_objects_arn,
    policy,
    replica_key_actions,
    replica_key_arn,
    replica_kms_condition,
    sid,
    source_bucket_arn,
    source_key_arn,
    source_kms_condition,
    source_objects_arn,
    statement,
)

# --- role ARNs --------------------------------------------------------------------------


def replication_role_arn(inputs: PlanInputs) -> str:
    """The existing role's ARN (keeps its path), else the one we will create."""
    role = inputs.replication_role
    if role is not None and role.exists and role.arn:
        return role.arn
    return default_role_arn(inputs, inputs.options.replication_role_for(inputs.source.bucket.name))


def batch_role_arn(inputs: PlanInputs) -> str:
    """The Batch Replication role; the replication role itself with ``single_role``."""
    if inputs.options.single_role:
        return replication_role_arn(inputs)
    role = inputs.batch_role
    if role is not None and role.exists and role.arn:
        return role.arn
    return default_role_arn(inputs, inputs.options.batch_role_for(inputs.source.bucket.name))


# --- trust policies -----------------------------------------------------------------------


def _trust(inputs: PlanInputs, kind: str, services: list[str]) -> dict[str, Any]:
    service: str | list[str] = services[0] if len(services) == 1 else services
    return policy([statement(sid(inputs, kind), ["sts:AssumeRole"], None, principal={"Service": service})])


def replication_trust_policy(inputs: PlanInputs) -> dict[str, Any]:
    """S3 replication assumes the role; with ``single_role`` S3 Batch Operations too."""
    if inputs.options.single_role:
        return _trust(inputs, "AssumeByS3AndBatch", [S3_SERVICE, BATCH_SERVICE])
    return _trust(inputs, "AssumeByS3", [S3_SERVICE])


def batch_trust_policy(inputs: PlanInputs) -> dict[str, Any]:
    return _trust(inputs, "AssumeByBatch", [BATCH_SERVICE])


# --- permission policies ------------------------------------------------------------------


def _other_destinations(inputs: PlanInputs, also_destinations: Sequence[str]) -> list[str]:
    ours = inputs.destination.bucket.name
    names = {bucket_from_arn(d) for d in also_destinations}
    return sorted(n for n in names if n and n != ours)


def keep_other_rules_actions(inputs: PlanInputs, others: Sequence[str]) -> list[str]:
    """What the role needs for the other rules' destinations ``others``: ``s3:ReplicateDelete`` only
    when one of those rules replicates delete markers (V1 rules do, implicitly)."""
    actions = ["s3:ReplicateObject", "s3:ReplicateTags"]
    rules = [r for r in ((inputs.source.replication or {}).get("Rules") or []) if isinstance(r, dict)]
    ours = inputs.options.rule_id_for(inputs.destination.bucket.name)
    theirs = [r for r in rules if r.get("ID") != ours and bucket_from_arn(rule_destination(r) or "") in others]
    if any(_replicates_delete_markers(rule) for rule in theirs):
        actions.append("s3:ReplicateDelete")
    return actions


def _replicates_delete_markers(rule: dict[str, Any]) -> bool:
    if is_v1_rule(rule):
        return True
    return (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"


def replication_statements(inputs: PlanInputs, also_destinations: Sequence[str] = ()) -> list[dict[str, Any]]:
    others = _other_destinations(inputs, also_destinations)
    # a role that also serves other rules must read every source object: their filters are not ours
    whole_source = bool(others)
    src_object_actions = [
        "s3:GetObjectVersionForReplication",
        "s3:GetObjectVersionAcl",
        "s3:GetObjectVersionTagging",
    ]
    if inputs.source.object_lock.enabled:
        src_object_actions += ["s3:GetObjectRetention", "s3:GetObjectLegalHold"]

    statements = [
        statement(
            sid(inputs, "ReadSourceConfig"),
            ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            source_bucket_arn(inputs),
        ),
        statement(
            sid(inputs, "ReadSourceObjects"),
            src_object_actions,
            source_objects_arn(inputs, whole_bucket=whole_source),
        ),
        statement(
            sid(inputs, "ReplicateObjects"),
            destination_object_actions(inputs),
            destination_objects_arn(inputs),
        ),
    ]
    if others:
        statements.append(
            statement(
                sid(inputs, "KeepOtherRules"),
                keep_other_rules_actions(inputs, others),
                [objects_arn(name, inputs.partition) for name in others],
            )
        )
    if key := source_key_arn(inputs):
        statements.append(
            statement(
                sid(inputs, "DecryptSource"),
                ["kms:Decrypt"],
                key,
                condition=source_kms_condition(inputs, whole_bucket=whole_source),
            )
        )
    if key := replica_key_arn(inputs):
        statements.append(
            statement(
                sid(inputs, "EncryptReplicas"),
                replica_key_actions(inputs),
                key,
                condition=replica_kms_condition(inputs),
            )
        )
    if key := default_key_arn_for_replicas(inputs):
        statements.append(
            statement(
                sid(inputs, "EncryptDefault"),
                default_key_actions(inputs),
                key,
                condition=default_key_condition(inputs),
            )
        )
    return statements


def replication_role_policy(inputs: PlanInputs, also_destinations: Sequence[str] = ()) -> dict[str, Any]:
    """The replication role's inline policy.

    ``also_destinations``: buckets of other rules already on the source, when our role
    replaces theirs; the role then keeps replicating (objects, tags, deletes) into them.
    """
    return policy(replication_statements(inputs, also_destinations))


def batch_statements(inputs: PlanInputs) -> list[dict[str, Any]]:
    options = inputs.options
    statements = [
        statement(sid(inputs, "InitiateReplication"), ["s3:InitiateReplication"], source_objects_arn(inputs)),
        statement(
            sid(inputs, "GenerateManifest"),
            ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
            source_bucket_arn(inputs),
        ),
    ]
    report = manifest_objects_arn(inputs)  # S3 Inventory (issue 19): the job reads a report, generates nothing
    if report is not None:
        statements[1] = statement(sid(inputs, "ReadInventoryManifest"), ["s3:GetObject", "s3:GetObjectVersion"], report)
    if options.report_bucket:
        statements.append(
            statement(
                sid(inputs, "WriteReport"),
                ["s3:PutObject"],
                folder_objects_arn(options.report_bucket, options.report_prefix, inputs.partition),
            )
        )
    if options.manifest_bucket:
        statements.append(
            statement(
                sid(inputs, "KeepManifest"),
                ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                folder_objects_arn(options.manifest_bucket, options.manifest_prefix, inputs.partition),
            )
        )
    return statements


def batch_role_policy(inputs: PlanInputs) -> dict[str, Any]:
    """The Batch Replication role's inline policy (generated manifest, optional report/manifest output)."""
    return policy(batch_statements(inputs))


def single_role_policy(inputs: PlanInputs, also_destinations: Sequence[str] = ()) -> dict[str, Any]:
    """Replication and Batch Replication permissions in one document (``options.single_role``)."""
    return policy(replication_statements(inputs, also_destinations) + batch_statements(inputs))
