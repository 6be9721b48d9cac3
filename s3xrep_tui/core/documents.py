"""The least-privilege documents the plan writes, built from ``PlanInputs`` alone.

Pure and deterministic (fixed key and list order), so the same inputs give the same
bytes; no boto3, no I/O. The builders live in small modules named for what they
build; this module is the public face the plan engine imports.

Every statement has a Sid of ``names.sid_family(source account, source bucket,
destination bucket)`` + an alphanumeric kind. Statements in the destination's
resource policies (bucket policy, KMS key policy) name the replication role as
``Principal: {"AWS": <role ARN>}``.
"""

from __future__ import annotations

from .batch_job import batch_job_request, client_request_token
from .explain import explain_statement
from .replication_rule import explain_rule, replication_rule
from .resource_policies import destination_kms_statements, destination_policy_statements
from .role_policies import (
    batch_role_arn,
    batch_role_policy,
    batch_trust_policy,
    replication_role_arn,
    replication_role_policy,
    replication_trust_policy,
    single_role_policy,
)

__all__ = [
    "batch_job_request",
    "batch_role_arn",
    "batch_role_policy",
    "batch_trust_policy",
    "client_request_token",
    "destination_kms_statements",
    "destination_policy_statements",
    "explain_rule",
    "explain_statement",
    "replication_role_arn",
    "replication_role_policy",
    "replication_rule",
    "replication_trust_policy",
    "single_role_policy",
]
