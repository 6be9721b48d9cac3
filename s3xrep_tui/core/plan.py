"""The plan: preflight findings, every document, and the ordered steps ``apply`` runs.

Order follows what each call needs to exist first (AWS: S3 User Guide, "Setting up live
replication"): versioning on both buckets, the roles in the
source account, the destination KMS key policy and bucket policy, the source's
replication configuration, then the Batch Replication job. Each step is judged
against the facts: ``create`` when the thing is absent, ``update`` when it
differs, ``no-op`` when it already holds, so a re-run converges.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from . import alarms
from . import documents as docs
from .inventory_backfill import backfill_findings
from .inventory_plan import plan_inventory
from .merge import MergeError, PolicyMerge, ReplicationMerge, merge_bucket_policy, merge_key_policy, merge_replication
from .models import BucketFacts, Finding, Plan, PlanInputs, RoleFacts, Side, Step, StepAction
from .names import sid_family
from .ownership import MANAGED_TAG, MANAGED_VALUE, role_tags, tagged_ours
from .policy_json import dump_policy
from .preflight import preflight
from .replication_rule import replica_modifications_findings
from .statement_findings import statement_findings

_POLICY_NAME_BAD = re.compile(r"[^\w+=,.@-]")


def plan_id(inputs: PlanInputs) -> str:
    """Stable for one migration (same buckets, accounts and rule), so re-runs share a journal."""
    o = inputs.options
    key = ":".join(
        (
            inputs.source_account.id,
            inputs.source.bucket.name,
            inputs.destination_account.id,
            inputs.destination.bucket.name,
            o.rule_id_for(inputs.destination.bucket.name),
        )
    )
    return f"{inputs.source.bucket.name}-to-{inputs.destination.bucket.name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def inline_policy_name(inputs: PlanInputs, kind: str) -> str:
    """Our inline policy's name: one per destination, so a shared role keeps others' policies.

    In a fleet (``options.migration_id``) one role serves many sources: the name says the source too.
    """
    name = f"s3xrep-{kind}-to-{inputs.destination.bucket.name}"
    if inputs.options.migration_id:
        name = f"s3xrep-{kind}-{inputs.source.bucket.name}-to-{inputs.destination.bucket.name}"
        if len(name) > 128:  # two long bucket names: cut, and keep it unique with a hash
            name = f"{name[:119]}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return _POLICY_NAME_BAD.sub("-", name)[:128]


def _role_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _as_finding(error: MergeError) -> Finding:
    return Finding(id=error.finding_id, severity="blocking", message=error.message, fix=error.fix)


def _ordered(findings: list[Finding]) -> tuple[Finding, ...]:
    """Blocking first; one finding per id (preflight and the merges can both see a problem)."""
    unique = {f.id: f for f in reversed(findings)}
    return tuple(sorted(reversed(unique.values()), key=lambda f: ("blocking", "warning", "info").index(f.severity)))


class _Steps:
    """Collects steps with ids in order."""

    def __init__(self) -> None:
        self.items: list[Step] = []

    def add(self, account: Side, call: str, action: StepAction, summary: str, request: dict[str, Any], document: str | None = None) -> None:
        step_id = f"{len(self.items) + 1:02d}-{call.split('.', 1)[1].replace('_', '-')}"
        self.items.append(
            Step(id=step_id, account=account, call=call, action=action, summary=summary, request=request, document=document)
        )


def _versioning_steps(inputs: PlanInputs, steps: _Steps) -> None:
    sides: tuple[tuple[Side, BucketFacts, str], ...] = (
        ("source", inputs.source, inputs.source_account.id),
        ("destination", inputs.destination, inputs.destination_account.id),
    )
    for side, facts, account in sides:
        if not facts.exists:
            continue
        action: StepAction = "no-op" if facts.versioned else ("update" if facts.versioning == "Suspended" else "create")
        steps.add(
            side,
            "s3.put_bucket_versioning",
            action,
            f"Enable versioning on {facts.bucket.name} (irreversible: it can only be suspended later)"
            if action != "no-op"
            else f"Versioning already enabled on {facts.bucket.name}",
            {
                "Bucket": facts.bucket.name,
                "VersioningConfiguration": {"Status": "Enabled"},
                "ExpectedBucketOwner": account,
            },
        )


def _role_steps(
    steps: _Steps,
    *,
    facts: RoleFacts | None,
    name: str,
    trust: dict[str, Any] | None,
    trust_doc: str | None,
    policy: dict[str, Any],
    policy_doc: str,
    policy_name: str,
    purpose: str,
    adopt: bool = False,
    tags: list[dict[str, str]] | None = None,
) -> None:
    """create_role (or fix its trust), then put our inline policy; each judged against the role as it is."""
    exists = bool(facts and facts.exists)
    if trust is not None:
        if not exists:
            steps.add(
                "source",
                "iam.create_role",
                "create",
                f"Create role {name} for {purpose}",
                {
                    "RoleName": name,
                    "AssumeRolePolicyDocument": dump_policy(trust),
                    "Description": f"s3xrep: {purpose}",
                    "Tags": tags or role_tags(),  # our proof of ownership, whoever creates it (apply or an export)
                },
                trust_doc,
            )
        else:
            assert facts is not None  # exists says so; for the type checker
            same = facts.trust_policy == trust
            # adopted (--adopt) and not tagged yet: apply journals the role, then tags it ours
            untagged = adopt and not tagged_ours(facts)
            summary = f"Role {name} already trusted as needed" if same else f"Set who may assume role {name}"
            if untagged:
                summary = f"Tag role {name} {MANAGED_TAG}={MANAGED_VALUE} (its trust, policies and tags journaled " + (
                    "first); trust already as needed" if same else "first) and set who may assume it")
            steps.add(
                "source",
                "iam.update_assume_role_policy",
                "no-op" if same and not untagged else "update",
                summary,
                {"RoleName": name, "PolicyDocument": dump_policy(trust)},
                trust_doc,
            )
    current = facts.inline_policies.get(policy_name) if exists and facts else None
    action: StepAction = "create" if current is None else ("no-op" if current == policy else "update")
    steps.add(
        "source",
        "iam.put_role_policy",
        action,
        f"Grant role {name} the {purpose} permissions (inline policy {policy_name})",
        {"RoleName": name, "PolicyName": policy_name, "PolicyDocument": dump_policy(policy)},
        policy_doc,
    )


def _all_role_steps(
    inputs: PlanInputs, steps: _Steps, documents: dict[str, Any], *, reusing: bool, role_arn: str, our_role: str,
    batch_role: str,
) -> None:
    """The replication role (ours, or the one the source already uses) and, unless one role does both, Batch's."""
    o = inputs.options
    if reusing:
        _role_steps(
            steps,
            facts=None if o.single_role else _existing_role_facts(inputs, role_arn),
            name=_role_name(role_arn),
            trust=None,
            trust_doc=None,
            policy=documents["replication_role_policy"],
            policy_doc="replication_role_policy",
            policy_name=inline_policy_name(inputs, "replication"),
            purpose="replication (the role the source already replicates with)",
        )
    else:
        _role_steps(
            steps,
            facts=inputs.replication_role,
            name=_role_name(our_role),
            trust=documents["replication_role_trust_policy"],
            trust_doc="replication_role_trust_policy",
            policy=documents["replication_role_policy"],
            policy_doc="replication_role_policy",
            policy_name=inline_policy_name(inputs, "replication"),
            purpose="replication and Batch Replication" if o.single_role else "replication",
            adopt=o.adopt,
            tags=role_tags(plan_id(inputs)),
        )
    if not o.single_role and o.replicate_existing:
        _role_steps(
            steps,
            facts=inputs.batch_role,
            name=_role_name(batch_role),
            trust=documents["batch_role_trust_policy"],
            trust_doc="batch_role_trust_policy",
            policy=documents["batch_role_policy"],
            policy_doc="batch_role_policy",
            policy_name=inline_policy_name(inputs, "batch"),
            purpose="Batch Replication",
            adopt=o.adopt,
            tags=role_tags(plan_id(inputs)),
        )


def _write_steps(
    inputs: PlanInputs, steps: _Steps, documents: dict[str, Any], *, key_policy: PolicyMerge | None,
    bucket_policy: PolicyMerge | None, replication: ReplicationMerge | None, role_arn: str, rule: dict[str, Any],
) -> None:
    """The key policy, the destination bucket policy, the replication configuration, the Batch job."""
    o = inputs.options
    src, dst = inputs.source, inputs.destination
    src_account, dst_account = inputs.source_account.id, inputs.destination_account.id
    if key_policy is not None and o.replica_kms_key:
        steps.add(
            "destination",
            "kms.put_key_policy",
            "update" if key_policy.changed else "no-op",
            f"Let {_role_name(role_arn)} encrypt replicas with the destination key (merged by Sid)",
            {"KeyId": o.replica_kms_key, "PolicyName": "default", "Policy": dump_policy(key_policy.policy)},
            "destination_kms_key_policy",
        )
    if bucket_policy is not None:
        steps.add(
            "destination",
            "s3.put_bucket_policy",
            ("create" if dst.policy is None else "update") if bucket_policy.changed else "no-op",
            f"Let {_role_name(role_arn)} write replicas into {dst.bucket.name} "
            f"({bucket_policy.foreign} existing statement(s) kept)",
            {"Bucket": dst.bucket.name, "Policy": dump_policy(bucket_policy.policy), "ExpectedBucketOwner": dst_account},
            "destination_bucket_policy",
        )
    if replication is not None:
        steps.add(
            "source",
            "s3.put_bucket_replication",
            ("create" if not src.replication else "update") if replication.changed else "no-op",
            f"Replicate {src.bucket.name} to {dst.bucket.name} with rule {rule['ID']} "
            f"({len(replication.other_rules)} other rule(s) kept)",
            {
                "Bucket": src.bucket.name,
                "ReplicationConfiguration": replication.configuration,
                "ExpectedBucketOwner": src_account,
            },
            "replication_configuration",
        )
    alarms.add_steps(inputs, documents, steps.add)  # before the backfill, so its failures are seen too
    if documents["batch_job"] is not None:
        steps.add(
            "source",
            "s3control.create_job",
            "create",
            f"Start a Batch Replication job for existing objects ({', '.join(o.existing_statuses)})",
            documents["batch_job"],
            "batch_job",
        )


def _alarm_documents(inputs: PlanInputs, documents: dict[str, Any], findings: list[Finding]) -> None:
    found, problems = alarms.documents(inputs, plan_id(inputs))
    documents.update(found)
    findings.extend(_as_finding(error) for error in problems)


def _policy_merges(inputs: PlanInputs, family: str, role_arn: str, documents: dict[str, Any],
                   findings: list[Finding]) -> tuple[PolicyMerge | None, PolicyMerge | None]:
    """The destination bucket policy and the replica key's policy with our statements merged in (by proven Sid)."""
    o, dst = inputs.options, inputs.destination
    bucket_policy: PolicyMerge | None = None
    statements = docs.destination_policy_statements(inputs, role_arn)
    flagged = {f.id for f in findings}
    if statements and dst.exists and "destination-policy-invalid" not in flagged:
        try:
            bucket_policy = merge_bucket_policy(dst.policy, statements, family=family, bucket=dst.bucket.name,
                                                proven=inputs.statement_fingerprints, adopt=o.adopt)
            findings.extend(statement_findings(bucket_policy, f"the bucket policy of {dst.bucket.name}"))
        except MergeError as error:
            findings.append(_as_finding(error))
    documents["destination_bucket_policy"] = bucket_policy.policy if bucket_policy else None

    key_policy: PolicyMerge | None = None
    kms_statements = docs.destination_kms_statements(inputs, role_arn)
    if kms_statements and o.replica_kms_key and "replica-key-policy-invalid" not in flagged:
        existing_key_policy = inputs.replica_key.policy if inputs.replica_key else None
        try:
            key_policy = merge_key_policy(existing_key_policy, kms_statements, family=family, key=o.replica_kms_key,
                                          proven=inputs.statement_fingerprints, adopt=o.adopt)
            findings.extend(statement_findings(key_policy, f"the key policy of {o.replica_kms_key}"))
        except MergeError as error:
            findings.append(_as_finding(error))
        documents["destination_kms_key_policy"] = key_policy.policy if key_policy else None
    return bucket_policy, key_policy


def build_plan(inputs: PlanInputs) -> Plan:
    o = inputs.options
    src, dst = inputs.source, inputs.destination
    src_account = inputs.source_account.id
    family = sid_family(src_account, src.bucket.name, dst.bucket.name)
    findings: list[Finding] = [*preflight(inputs), *replica_modifications_findings(inputs)]
    documents: dict[str, Any] = {}
    steps = _Steps()

    # The replication configuration decides which role replicates: ours, or
    # one the source already uses (kept unless the user asked to replace it).
    our_role = docs.replication_role_arn(inputs)
    rule = docs.replication_rule(inputs, priority=o.priority or 0)
    replication: ReplicationMerge | None = None
    try:
        replication = merge_replication(
            src.replication, rule, role=our_role, replace_role=o.replace_existing_role, priority=o.priority
        )
    except MergeError as error:
        findings.append(_as_finding(error))
    role_arn = replication.role if replication else our_role
    reusing = bool(replication and replication.reused_existing_role)
    also = replication.other_destinations if replication and not reusing else ()

    repl_policy = (
        docs.single_role_policy(inputs, also_destinations=also) if o.single_role else docs.replication_role_policy(inputs, also_destinations=also)
    )
    documents["replication_role_trust_policy"] = None if reusing else docs.replication_trust_policy(inputs)
    documents["replication_role_policy"] = repl_policy
    if o.single_role:
        documents["batch_role_trust_policy"] = documents["replication_role_trust_policy"]
        documents["batch_role_policy"] = repl_policy
    else:
        documents["batch_role_trust_policy"] = docs.batch_trust_policy(inputs)
        documents["batch_role_policy"] = docs.batch_role_policy(inputs)

    # Destination bucket policy (cross-account only) and KMS key policy, merged by Sid.
    bucket_policy, key_policy = _policy_merges(inputs, family, role_arn, documents, findings)

    documents["replication_configuration"] = replication.configuration if replication else None
    batch_role = role_arn if o.single_role else docs.batch_role_arn(inputs)
    documents["batch_job"] = docs.batch_job_request(inputs, batch_role) if o.replicate_existing else None
    _alarm_documents(inputs, documents, findings)

    # The steps, in the order apply runs them.
    _versioning_steps(inputs, steps)
    _all_role_steps(inputs, steps, documents, reusing=reusing, role_arn=role_arn, our_role=our_role,
                    batch_role=batch_role)
    _write_steps(inputs, steps, documents, key_policy=key_policy, bucket_policy=bucket_policy,
                 replication=replication, role_arn=role_arn, rule=rule)
    _add_inventory(inputs, family, steps, documents, findings)

    return Plan(
        id=plan_id(inputs),
        source_account=inputs.source_account,
        destination_account=inputs.destination_account,
        source=src.bucket,
        destination=dst.bucket,
        findings=_ordered(findings),
        documents=documents,
        steps=tuple(steps.items),
        kept_sids={name: merged.unproven for name, merged in (("destination_bucket_policy", bucket_policy),
                                                               ("destination_kms_key_policy", key_policy))
                   if merged is not None and merged.unproven},
    )


def _add_inventory(inputs: PlanInputs, family: str, steps: _Steps, documents: dict[str, Any],
                   findings: list[Finding]) -> None:
    """S3 Inventory on both sides (core.inventory_plan), when the option or the buckets' size asks for it."""
    inventory = plan_inventory(inputs, family)
    if inventory.wanted:  # auto below the threshold says nothing: most buckets never need it
        findings.append(Finding(id="inventory", severity="info", message=inventory.why,
                                fix="--inventory on|off decides it yourself"))
    findings.extend(inventory.findings)
    findings.extend(backfill_findings(inputs))
    documents.update(inventory.documents)
    for step in inventory.steps:
        steps.add(step.account, step.call, step.action, step.summary, step.request, step.document)


def _existing_role_facts(inputs: PlanInputs, arn: str) -> RoleFacts | None:
    """Facts about the role the source already uses, when it happens to be one we inspected."""
    for facts in (inputs.replication_role, inputs.batch_role):
        if facts and facts.exists and facts.arn == arn:
            return facts
    return None
