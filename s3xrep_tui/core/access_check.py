"""Preflight: the requests replication and the Batch job will make, against the resource policies.

A Deny in the destination bucket policy (``Principal: *`` on ``s3:*``, a ``NotPrincipal``
Deny on the replication actions) or in a KMS key policy makes every replica FAILED
while ``PutBucketReplication`` succeeds. So each request S3 makes on the replication
role's behalf (and each the Batch role makes) is evaluated by ``core.policy_eval``
against the policy it will meet: the destination bucket policy *merged with our
statements*, the replica key's policy merged likewise, the destination's default
key policy, the source and report bucket policies. A denying statement blocks, quoted
by Sid and JSON (``json.dumps`` escapes control characters); a Deny whose condition
we cannot evaluate warns. Pure: works from ``PlanInputs`` alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .merge import MergeError, merge_bucket_policy, merge_key_policy, parse_policy
from .models import Finding, PlanInputs
from .names import sid_family
from .policy_eval import Request, evaluate
from .policy_parts import (
    default_key_actions,
    default_key_arn_for_replicas,
    destination_bucket_arn,
    destination_region,
    owner_override,
    replica_key_actions,
    replica_key_arn,
    replicas_use_bucket_key,
    source_bucket_arn,
    via_service,
)
from .resource_policies import destination_kms_statements, destination_policy_statements
from .role_policies import batch_role_arn, replication_role_arn

SAMPLE_KEY = "s3xrep-preflight-sample"  # an object key under the rule's prefix, for object-level requests


@dataclass(frozen=True)
class Check:
    """One request, the policy it meets, and whether that policy must also allow it."""

    where: str  # "the bucket policy of dst", "the key policy of arn:..."
    policy: dict[str, Any]
    request: Request
    needs_allow: bool  # cross-account: the resource policy must grant it too


def _json(statement: dict[str, Any]) -> str:
    return json.dumps(statement, separators=(",", ":"))


def _parsed(text: str | None, what: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        return parse_policy(text, what=what)
    except MergeError:
        return None  # reported by the preflight's own *-policy-invalid findings


def _s3_context(account: str, principal: str) -> dict[str, Any]:
    # S3 replication and Batch Operations call S3 over TLS as the role's session
    return {"aws:SecureTransport": True, "aws:PrincipalAccount": account, "aws:PrincipalArn": principal}


def _kms_context(inputs: PlanInputs, principal: str, context_arn: str) -> dict[str, Any]:
    account = inputs.source_account.id
    return {
        **_s3_context(account, principal),
        "kms:CallerAccount": account,
        "kms:ViaService": via_service(destination_region(inputs), inputs.partition),
        "kms:EncryptionContext:aws:s3:arn": context_arn,
    }


def _object(bucket_arn: str, prefix: str) -> str:
    return f"{bucket_arn}/{prefix}{SAMPLE_KEY}"


def _destination_checks(inputs: PlanInputs, role: str) -> Iterator[Check]:
    dst = inputs.destination
    where = f"the bucket policy of {dst.bucket.name}"
    ours = destination_policy_statements(inputs, role)
    try:
        merged = merge_bucket_policy(dst.policy, ours, family=_family(inputs), bucket=dst.bucket.name,
                                     proven=inputs.statement_fingerprints, adopt=inputs.options.adopt).policy
    except MergeError:
        return
    actions = ["s3:ReplicateObject", "s3:ReplicateTags"]
    if inputs.options.delete_markers:
        actions.append("s3:ReplicateDelete")
    if owner_override(inputs):
        actions.append("s3:ObjectOwnerOverrideToBucketOwner")
    resource = _object(destination_bucket_arn(inputs), inputs.options.prefix)
    for action in actions:
        request = Request(role, action, resource, _s3_context(inputs.source_account.id, role))
        yield Check(where, merged, request, inputs.cross_account)


def _replica_contexts(inputs: PlanInputs) -> list[tuple[str, bool]]:
    """(encryption context, with Bucket Key) of the replicas S3 will write with a KMS key."""
    bucket = destination_bucket_arn(inputs)
    objects = _object(bucket, inputs.options.prefix)
    if inputs.destination.encryption.bucket_key_enabled:
        return [(bucket, True)]
    if replicas_use_bucket_key(inputs):
        return [(bucket, True), (objects, False)]
    return [(objects, False)]


def _key_checks(inputs: PlanInputs, role: str) -> Iterator[Check]:
    key = replica_key_arn(inputs)
    facts = inputs.replica_key
    if key and facts is not None and facts.policy is not None:
        where = f"the key policy of {key}"
        try:
            merged = merge_key_policy(
                facts.policy, destination_kms_statements(inputs, role), family=_family(inputs), key=key,
                proven=inputs.statement_fingerprints, adopt=inputs.options.adopt,
            ).policy
        except MergeError:
            merged = None
        if merged is not None:
            for context_arn, bucket_key in _replica_contexts(inputs):
                for action in replica_key_actions(inputs):
                    if action == "kms:Decrypt" and not bucket_key:
                        continue
                    request = Request(role, action, key, _kms_context(inputs, role, context_arn))
                    yield Check(where, merged, request, True)
    default = default_key_arn_for_replicas(inputs)
    described = inputs.destination.default_kms_key
    if default and described is not None and (policy := _parsed(described.policy, f"the key policy of {default}")):
        bucket_key = inputs.destination.encryption.bucket_key_enabled
        context_arn = destination_bucket_arn(inputs) if bucket_key else _object(destination_bucket_arn(inputs), inputs.options.prefix)
        for action in default_key_actions(inputs):
            request = Request(role, action, default, _kms_context(inputs, role, context_arn))
            yield Check(f"the key policy of {default} (the default encryption key of {inputs.destination.bucket.name})",
                        policy, request, True)


def _source_checks(inputs: PlanInputs, role: str, batch: str) -> Iterator[Check]:
    src = inputs.source
    where = f"the bucket policy of {src.bucket.name}"
    policy = _parsed(src.policy, where)
    if policy is None:
        return
    account = inputs.source_account.id
    objects = _object(source_bucket_arn(inputs), inputs.options.prefix)
    for action, resource in (
        ("s3:GetReplicationConfiguration", source_bucket_arn(inputs)),
        ("s3:ListBucket", source_bucket_arn(inputs)),
        ("s3:GetObjectVersionForReplication", objects),
        ("s3:GetObjectVersionAcl", objects),
        ("s3:GetObjectVersionTagging", objects),
    ):
        yield Check(where, policy, Request(role, action, resource, _s3_context(account, role)), False)
    if inputs.options.replicate_existing:
        for action, resource in (
            ("s3:InitiateReplication", objects),
            ("s3:GetReplicationConfiguration", source_bucket_arn(inputs)),
            ("s3:PutInventoryConfiguration", source_bucket_arn(inputs)),
        ):
            yield Check(where, policy, Request(batch, action, resource, _s3_context(account, batch)), False)


def _family(inputs: PlanInputs) -> str:
    return sid_family(inputs.source_account.id, inputs.source.bucket.name, inputs.destination.bucket.name)


def checks(inputs: PlanInputs) -> list[Check]:
    """Every request we can foresee, with the policy it meets (deterministic order)."""
    role, batch = replication_role_arn(inputs), batch_role_arn(inputs)
    found = list(_destination_checks(inputs, role)) if inputs.destination.exists else []
    found += list(_key_checks(inputs, role))
    if inputs.source.exists:
        found += list(_source_checks(inputs, role, batch))
    return found


def _who(request: Request) -> str:
    resource = request.resource.replace(SAMPLE_KEY, "*")  # every object under the rule's prefix
    return f"{request.action} on {resource} by {request.principal}"


def access_findings(inputs: PlanInputs) -> list[Finding]:
    """Blocking when a policy denies (or, cross-account, does not grant) a request; warning when
    a Deny's condition cannot be evaluated. One finding per denying statement."""
    findings: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    missing: dict[tuple[str, str, str], list[str]] = {}
    for check in checks(inputs):
        decision = evaluate(check.policy, check.request)
        if decision.effect == "deny" and decision.statement is not None:
            quoted = _json(decision.statement)
            if (check.where, quoted, "deny") in seen:
                continue
            seen.add((check.where, quoted, "deny"))
            sid = json.dumps(decision.statement.get("Sid", "(no Sid)"))
            findings.append(Finding(
                id="policy-denies-replication",
                severity="blocking",
                message=f"Statement {sid} of {check.where} denies {_who(check.request)}: replication would fail "
                f"with AccessDenied (FAILED replicas). The statement: {quoted}",
                fix=f"With the owning account's profile, narrow that statement in {check.where} so that it does not "
                f"apply to {check.request.principal} (exclude it with a condition such as aws:PrincipalArn), "
                "or remove it; then plan again.",
            ))
            continue
        for statement in decision.unevaluated:
            quoted = _json(statement)
            if (check.where, quoted, "unknown") in seen:
                continue
            seen.add((check.where, quoted, "unknown"))
            findings.append(Finding(
                id="policy-deny-not-evaluated",
                severity="warning",
                message=f"Statement {json.dumps(statement.get('Sid', '(no Sid)'))} of {check.where} is a Deny with a "
                f"condition this tool cannot evaluate; it may deny {_who(check.request)}. The statement: {quoted}",
                fix=f"Check that statement's condition against requests from {check.request.principal} made by S3 "
                "(over TLS, from the source account), or test with a canary object after apply.",
            ))
        if decision.effect == "implicit" and check.needs_allow and "key policy" in check.where:
            missing.setdefault((check.where, check.request.resource, check.request.principal), []).append(
                check.request.action
            )
    for (where, key, principal), actions in missing.items():
        wanted = list(dict.fromkeys(actions))
        grant = {
            "Sid": "AllowS3xrepReplicationRole", "Effect": "Allow",
            "Principal": {"AWS": principal}, "Action": wanted, "Resource": "*",
        }
        findings.append(Finding(
            id="key-policy-missing-grant",
            severity="blocking",
            message=f"{where[0].upper()}{where[1:]} does not allow {', '.join(wanted)} on {key} by {principal}: "
            "replicas S3 encrypts with that key would fail (an identity policy alone cannot use a key whose "
            "policy does not allow it).",
            fix=f"With the key owner's profile, add to {where} a statement such as {_json(grant)} "
            "(or make SSE-S3 the destination's default encryption), then plan again.",
        ))
    return findings
