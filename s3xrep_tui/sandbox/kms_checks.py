"""What S3 asks of KMS when it replicates one object version, and whether the role may.

From AWS's "Replicating encrypted objects (SSE-S3, SSE-KMS, DSSE-KMS, SSE-C)"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html)
and "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html):

* an SSE-KMS source version is decrypted with its key, under the encryption context of the
  source object's ARN, or of the source bucket's ARN when it was written with a Bucket Key;
* its replica is encrypted with ``ReplicaKmsKeyID``; the replica keeps the source's Bucket
  Key setting (or takes the destination's when that bucket uses Bucket Keys), and a
  Bucket-Key replica is written under the destination bucket's ARN and needs ``kms:Decrypt``
  too, otherwise the destination object's ARN;
* an unencrypted source version gets the destination's default encryption: with a default
  SSE-KMS key the role needs ``kms:GenerateDataKey`` on that key.

Each KMS call must be allowed by the role's policies and by the key policy, with the
request context S3 sends (``kms:ViaService``, ``kms:EncryptionContext:aws:s3:arn``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import iam_eval

WRITE_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey")


@dataclass(frozen=True)
class ReplicaEncryption:
    code: str | None  # AWS's failure code, or None
    encryption: str | None = None
    kms_key_id: str | None = None
    bucket_key: bool | None = None


def find_kms_key(key_ref: str, default_account: str, default_region: str) -> Any | None:
    """moto's KMS Key for a key ARN or id (aliases resolved in the key's account), or None."""
    from moto.kms.models import kms_backends

    account, region, key_id = default_account, default_region, key_ref
    match = re.match(r"^arn:aws[\w-]*:kms:([^:]+):(\d{12}):(key|alias)/(.+)$", key_ref or "")
    if match:
        region, account = match.group(1), match.group(2)
        key_id = match.group(4) if match.group(3) == "key" else "alias/" + match.group(4)
    try:
        backend = kms_backends[account][region]
    except KeyError:
        return None
    if key_id.startswith("alias/"):
        resolved = backend.get_key_id_from_alias(key_id)
        if resolved is None:
            return None
        key_id = resolved
    return backend.keys.get(key_id)


def _truthy(value: Any) -> bool:
    return str(value).lower() == "true"


def _default_encryption(bucket: Any) -> tuple[str | None, str | None, bool]:
    rule = (getattr(bucket, "encryption", None) or {}).get("Rule") or {}
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    return default.get("SSEAlgorithm"), default.get("KMSMasterKeyID"), _truthy(rule.get("BucketKeyEnabled"))


def _context(bucket: Any, key: str, region: str, bucket_key: bool) -> dict[str, Any]:
    arn = f"arn:aws:s3:::{bucket.name}" + ("" if bucket_key else f"/{key}")
    return {
        "kms:ViaService": f"s3.{region}.amazonaws.com",
        "kms:EncryptionContext:aws:s3:arn": arn,
        "aws:SecureTransport": True,
    }


def key_permits(key: Any, role: str, role_account: str, action: str, context: dict[str, Any]) -> bool:
    """Both the role's policies and the key policy allow ``action`` on ``key`` (no explicit Deny)."""
    context = {**context, "kms:CallerAccount": role_account, "aws:PrincipalAccount": role_account}
    if iam_eval.resource_policy_decision(key.policy, role, action, key.arn, context) != "allow":
        return False
    return iam_eval.role_allows(role_account, role, action, key.arn, context)


def source_decrypt(source: Any, version: Any, role: str) -> str | None:
    """``None`` when the role may decrypt the SSE-KMS source version, else AWS's failure code."""
    if not version.kms_key_id:
        return None
    key = find_kms_key(version.kms_key_id, source.account_id, source.region_name)
    if key is None or key.key_state != "Enabled":
        return "SrcKmsKeyInvalidState"
    role_account = iam_eval.account_of(role) or source.account_id
    context = _context(source, version.name, source.region_name, _truthy(version.bucket_key_enabled))
    if not key_permits(key, role, role_account, "kms:Decrypt", context):
        return "SrcGetObjectNotPermitted"
    return None


def _encrypt_with(destination: Any, version: Any, key: Any, role: str, role_account: str, actions: tuple[str, ...],
                  bucket_key: bool) -> str | None:
    if key.key_state != "Enabled":
        return "DstKmsKeyInvalidState"
    context = _context(destination, version.name, destination.region_name, bucket_key)
    wanted = actions + (("kms:Decrypt",) if bucket_key else ())
    if not all(key_permits(key, role, role_account, action, context) for action in wanted):
        return "DstPutObjectNotPermitted"
    return None


def replica_encryption(source: Any, destination: Any, version: Any, spec: dict[str, Any], role: str,
                       role_account: str) -> ReplicaEncryption:
    """Check the KMS side of writing the replica of ``version`` and say how it is encrypted."""
    _, _, dst_bucket_key = _default_encryption(destination)
    if str(version.encryption or "").startswith("aws:kms"):
        code = source_decrypt(source, version, role)
        if code:
            return ReplicaEncryption(code)
        replica_ref = (spec.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID")
        key = find_kms_key(replica_ref, destination.account_id, destination.region_name) if replica_ref else None
        if key is None:
            return ReplicaEncryption("DstKmsKeyNotFound")
        bucket_key = _truthy(version.bucket_key_enabled) or dst_bucket_key
        code = _encrypt_with(destination, version, key, role, role_account, WRITE_ACTIONS, bucket_key)
        return ReplicaEncryption(code, version.encryption, key.arn, bucket_key if bucket_key else None)
    if version.encryption:  # SSE-S3 (or SSE-C): kept as it is, no KMS call
        return ReplicaEncryption(None, version.encryption, version.kms_key_id, version.bucket_key_enabled)
    algorithm, key_ref, bucket_key = _default_encryption(destination)
    if not str(algorithm or "").startswith("aws:kms"):
        return ReplicaEncryption(None, algorithm, None, None)
    key = find_kms_key(key_ref or "alias/aws/s3", destination.account_id, destination.region_name)
    if key is None:
        # the AWS managed aws/s3 key (created on first use) cannot be used by another account
        cross = role_account != destination.account_id
        return ReplicaEncryption("DstPutObjectNotPermitted" if cross else None, algorithm, None, None)
    code = _encrypt_with(destination, version, key, role, role_account, ("kms:GenerateDataKey",), bucket_key)
    return ReplicaEncryption(code, algorithm, key.arn, bucket_key if bucket_key else None)
