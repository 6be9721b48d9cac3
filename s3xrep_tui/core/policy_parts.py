"""Small pieces every document builder shares: ARNs, Sids, statements, KMS conditions.

Pure functions of ``PlanInputs``. Key order inside every dict is fixed here so
that generated documents (and their golden files) are stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .models import PlanInputs
from .names import Partition, bucket_arn, objects_arn, role_arn, sid_family

POLICY_VERSION = "2012-10-17"
S3_SERVICE = "s3.amazonaws.com"
BATCH_SERVICE = "batchoperations.s3.amazonaws.com"
DEFAULT_REGION = "us-east-1"  # a bucket whose region is not known yet

_DNS_SUFFIX: dict[str, str] = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}


def policy(statements: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def statement(
    sid: str,
    actions: Sequence[str],
    resource: str | Sequence[str] | None,
    *,
    principal: dict[str, Any] | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Allow statement with keys in a fixed order (Sid, Effect, Principal, Action, Resource, Condition)."""
    out: dict[str, Any] = {"Sid": sid, "Effect": "Allow"}
    if principal is not None:
        out["Principal"] = principal
    out["Action"] = list(actions)
    if resource is not None:
        out["Resource"] = resource if isinstance(resource, str) else list(resource)
    if condition:
        out["Condition"] = condition
    return out


def sid(inputs: PlanInputs, kind: str) -> str:
    """``names.sid_family`` of this source -> destination pair followed by ``kind``."""
    if not kind.isalnum():
        raise ValueError(f"Sid kind {kind!r} must be alphanumeric")
    family = sid_family(inputs.source_account.id, inputs.source.bucket.name, inputs.destination.bucket.name)
    return family + kind


# --- ARNs -------------------------------------------------------------------------------


def partition(inputs: PlanInputs) -> Partition:
    return inputs.partition


def source_bucket_arn(inputs: PlanInputs) -> str:
    return bucket_arn(inputs.source.bucket.name, inputs.partition)


def destination_bucket_arn(inputs: PlanInputs) -> str:
    return bucket_arn(inputs.destination.bucket.name, inputs.partition)


_IAM_LITERALS = {"*": "${*}", "?": "${?}", "$": "${$}"}


def iam_literal(text: str) -> str:
    """``text`` as a literal inside an IAM ARN or ``StringLike`` pattern.

    S3 keys may contain ``*``, ``?`` and ``$``; in a policy the first two are wildcards
    (a prefix ``a*`` would otherwise grant every key starting with ``a``). IAM's
    special policy variables ``${*}``, ``${?}`` and ``${$}`` stand for the literal
    characters (policy version 2012-10-17).
    """
    return "".join(_IAM_LITERALS.get(ch, ch) for ch in text)


def scoped_objects_arn(bucket: str, part: Partition, prefix: str = "") -> str:
    """``names.objects_arn`` with the prefix's wildcard characters made literal."""
    return objects_arn(bucket, part, iam_literal(prefix))


def source_objects_arn(inputs: PlanInputs, *, whole_bucket: bool = False) -> str:
    prefix = "" if whole_bucket else inputs.options.prefix
    return scoped_objects_arn(inputs.source.bucket.name, inputs.partition, prefix)


def destination_objects_arn(inputs: PlanInputs) -> str:
    # replica keys equal source keys, so the rule's prefix narrows the destination too
    return scoped_objects_arn(inputs.destination.bucket.name, inputs.partition, inputs.options.prefix)


def folder(prefix: str) -> str:
    """``"a/b/"`` -> ``"a/b"``: the report and manifest prefixes as S3 Batch Operations wants them."""
    return prefix.strip("/")


def folder_objects_arn(bucket: str, prefix: str, part: Partition) -> str:
    """Objects under ``prefix/`` (``bucket/prefix/*``), or the whole bucket when there is no prefix."""
    clean = folder(prefix)
    return scoped_objects_arn(bucket, part, f"{clean}/" if clean else "")


def default_role_arn(inputs: PlanInputs, name: str) -> str:
    return role_arn(inputs.source_account.id, name, inputs.partition)


# --- situations ---------------------------------------------------------------------------


def owner_override(inputs: PlanInputs) -> bool:
    """Hand replica ownership to the destination account: cross-account and ACLs still on there."""
    return inputs.cross_account and not inputs.destination.owner_enforced


def source_region(inputs: PlanInputs) -> str:
    return inputs.source.bucket.region or DEFAULT_REGION


def destination_region(inputs: PlanInputs) -> str:
    """The destination bucket's region; unknown yet, the replica key's (it must live there)."""
    if inputs.destination.bucket.region:
        return inputs.destination.bucket.region
    key_parts = (inputs.options.replica_kms_key or "").split(":")
    return key_parts[3] if len(key_parts) > 5 and key_parts[3] else DEFAULT_REGION


def via_service(region: str, part: Partition) -> str:
    """The ``kms:ViaService`` value of S3 in ``region`` (China endpoints end in .amazonaws.com.cn)."""
    return f"s3.{region}.{_DNS_SUFFIX[part]}"


def replica_key_arn(inputs: PlanInputs) -> str | None:
    return inputs.options.replica_kms_key


def _is_key_arn(value: str | None) -> bool:
    # an alias ARN in a policy Resource authorizes nothing: KMS matches the key ARN
    return value is not None and value.startswith("arn:") and ":key/" in value


def source_key_arn(inputs: PlanInputs) -> str | None:
    """The source's default SSE-KMS key ARN when replication will have to decrypt with it.

    Only when SSE-KMS objects replicate at all (a replica key is chosen) and the key is
    known as a key ARN (``describe_key`` result, or the configured id when it is one).
    """
    if not replica_key_arn(inputs) or not inputs.source.encryption.uses_kms:
        return None
    described = inputs.source.default_kms_key
    if described is not None and _is_key_arn(described.arn):
        return described.arn
    configured = inputs.source.encryption.kms_key_id
    return configured if _is_key_arn(configured) else None


def kms_condition(region: str, part: Partition, context_arns: str | Sequence[str]) -> dict[str, Any]:
    """Use the key only through S3 in ``region`` and only for objects (or the bucket) ``context_arns``."""
    arns = [context_arns] if isinstance(context_arns, str) else list(context_arns)
    condition: dict[str, Any] = {"StringEquals": {"kms:ViaService": via_service(region, part)}}
    # wildcards in the ARNs are the ones we put there (prefix characters are escaped)
    operator = "StringLike" if any(arn.endswith("*") for arn in arns) else "StringEquals"
    condition.setdefault(operator, {})["kms:EncryptionContext:aws:s3:arn"] = arns[0] if len(arns) == 1 else arns
    return condition


def source_kms_condition(inputs: PlanInputs, *, whole_bucket: bool = False) -> dict[str, Any]:
    objects = source_objects_arn(inputs, whole_bucket=whole_bucket)
    # a Bucket Key enabled after some objects were written leaves objects under both contexts
    context = [source_bucket_arn(inputs), objects] if inputs.source.encryption.bucket_key_enabled else objects
    return kms_condition(source_region(inputs), inputs.partition, context)


def replicas_use_bucket_key(inputs: PlanInputs) -> bool:
    """Replicas may be written with an S3 Bucket Key: the destination uses them, or the source
    does (a replica keeps its source's Bucket Key setting, AWS's "S3 Bucket Keys" page)."""
    return inputs.destination.encryption.bucket_key_enabled or inputs.source.encryption.bucket_key_enabled


def replica_kms_condition(inputs: PlanInputs) -> dict[str, Any]:
    if inputs.destination.encryption.bucket_key_enabled:
        context: str | list[str] = destination_bucket_arn(inputs)
    elif inputs.source.encryption.bucket_key_enabled:
        # source objects with and without a Bucket Key: replicas under both contexts
        context = [destination_bucket_arn(inputs), destination_objects_arn(inputs)]
    else:
        context = destination_objects_arn(inputs)
    return kms_condition(destination_region(inputs), inputs.partition, context)


def replica_key_actions(inputs: PlanInputs) -> list[str]:
    """What the role does with the replica key (Decrypt too when replicas may use S3 Bucket Keys)."""
    actions = ["kms:Encrypt", "kms:GenerateDataKey"]
    if replicas_use_bucket_key(inputs):
        actions.append("kms:Decrypt")
    return actions


def default_key_arn_for_replicas(inputs: PlanInputs) -> str | None:
    """The destination's default SSE-KMS key, when S3 will use it for replicas of unencrypted objects.

    Only a customer-managed key known by its key ARN, and not the replica key itself (already granted).
    """
    dst = inputs.destination
    if not dst.encryption.uses_kms:
        return None
    described = dst.default_kms_key
    if described is not None and described.manager == "AWS":
        return None
    arn = described.arn if described is not None and _is_key_arn(described.arn) else dst.encryption.kms_key_id
    if not _is_key_arn(arn) or arn == replica_key_arn(inputs):
        return None
    return arn


def default_key_actions(inputs: PlanInputs) -> list[str]:
    """S3 encrypts an unencrypted source object's replica with the destination's default key."""
    actions = ["kms:GenerateDataKey"]
    if inputs.destination.encryption.bucket_key_enabled:
        actions.append("kms:Decrypt")
    return actions


def default_key_condition(inputs: PlanInputs) -> dict[str, Any]:
    context = (
        destination_bucket_arn(inputs)
        if inputs.destination.encryption.bucket_key_enabled
        else destination_objects_arn(inputs)
    )
    return kms_condition(destination_region(inputs), inputs.partition, context)


def destination_object_actions(inputs: PlanInputs) -> list[str]:
    """What the role does to replicas, in the role policy and in the destination bucket policy alike."""
    actions = ["s3:ReplicateObject", "s3:ReplicateTags"]
    if inputs.options.delete_markers:
        actions.append("s3:ReplicateDelete")
    if owner_override(inputs):
        actions.append("s3:ObjectOwnerOverrideToBucketOwner")
    return actions
