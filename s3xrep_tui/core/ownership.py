"""Ownership: a rule or role is ours only when proven, never because of its name.

* a role is ours when it carries our tag (``s3xrep:managed-by=s3xrep-tui``, set
  at CreateRole or when the user adopts it), or when its trust policy is exactly
  the one we would write, nothing is attached and every inline policy has one of
  our inline policy names (a role an export or an older version created);
* a replication rule with our ID is ours when it equals the rule we would write
  (its Priority aside: the merge keeps it), or when its fingerprint was recorded
  in this plan's journal by an earlier apply (``PlanInputs.rule_fingerprints``).

Anything else that carries our name is foreign: preflight blocks, naming it and
offering ``--rule-id`` / ``--role-name`` / ``--batch-role-name``, or ``--adopt``
(apply journals the old content first; undo restores it). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from typing import Any

from . import documents as docs
from .models import Finding, PlanInputs, RoleFacts
from .names import fit_role_name

MANAGED_TAG = "s3xrep:managed-by"
MANAGED_VALUE = "s3xrep-tui"
PLAN_TAG = "s3xrep:plan"
_OUR_POLICY_NAME = re.compile(r"^s3xrep-(replication|batch)-to-[\w+=,.@-]+$")


def role_tags(plan_id: str | None = None) -> list[dict[str, str]]:
    """The tags of a role we create (``Tags`` of CreateRole); the plan id says which migration made it."""
    tags = [{"Key": MANAGED_TAG, "Value": MANAGED_VALUE}]
    if plan_id:
        tags.append({"Key": PLAN_TAG, "Value": plan_id[:256]})
    return tags


def tagged_ours(role: RoleFacts) -> bool:
    return role.tags.get(MANAGED_TAG) == MANAGED_VALUE


def role_is_ours(role: RoleFacts | None, trust: dict[str, Any] | None) -> bool:
    """True when ``role`` is absent, tagged by us, or exactly what we would have written."""
    if role is None or not role.exists or tagged_ours(role):
        return True
    return (
        trust is not None
        and role.trust_policy == trust
        and not role.attached_policies
        and all(_OUR_POLICY_NAME.match(name) for name in role.inline_policies)
    )


def trusted_principals(trust: dict[str, Any] | None) -> list[str]:
    """Who a trust policy lets assume the role, for messages (``ec2.amazonaws.com``, an account ARN, ...)."""
    found: list[str] = []
    statements = (trust or {}).get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            continue
        principal = statement.get("Principal", statement.get("NotPrincipal"))
        values: list[Any] = []
        if isinstance(principal, dict):
            for value in principal.values():
                values.extend(value if isinstance(value, list) else [value])
        elif principal is not None:
            values.append(principal)
        found.extend(str(v) for v in values if str(v) not in found)
    return found


def _shown(text: str) -> str:
    """No control character of a foreign document reaches a terminal (IAM's own rules should exclude them)."""
    return "".join(c if c.isprintable() else "?" for c in text)


def describe_role(role: RoleFacts) -> str:
    """``trusted by ec2.amazonaws.com; inline policies broad; attached ReadOnlyAccess; tags team=data``."""
    parts = [f"trusted by {', '.join(trusted_principals(role.trust_policy)) or 'nobody'}"]
    if role.inline_policies:
        parts.append(f"inline policies {', '.join(sorted(role.inline_policies))}")
    if role.attached_policies:
        parts.append(f"attached {', '.join(role.attached_policies)}")
    if role.tags:
        parts.append(f"tags {', '.join(f'{k}={v}' for k, v in sorted(role.tags.items()))}")
    return _shown("; ".join(parts))


def foreign_inline_policies(role: RoleFacts) -> list[str]:
    return sorted(name for name in role.inline_policies if not _OUR_POLICY_NAME.match(name))


# --------------------------------------------------------------------------- rules


def rule_fingerprint(rule: dict[str, Any]) -> str:
    """sha256 of the rule's canonical JSON (sorted keys, no whitespace), without its Priority."""
    content = {key: value for key, value in rule.items() if key != "Priority"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def rule_is_ours(existing: dict[str, Any], ours: dict[str, Any], fingerprints: Collection[str]) -> bool:
    """A rule with our ID: ours when it is what we would write, or what an earlier apply of this plan wrote."""
    fingerprint = rule_fingerprint(existing)
    return fingerprint == rule_fingerprint(ours) or fingerprint in fingerprints


def describe_rule(rule: dict[str, Any]) -> str:
    """``to arn:aws:s3:::other, prefix logs/, storage class GLACIER, Enabled``."""
    destination: dict[str, Any] = rule["Destination"] if isinstance(rule.get("Destination"), dict) else {}
    filter_ = rule.get("Filter")
    if isinstance(filter_, dict) and set(filter_) - {"Prefix"}:
        scope = f"filter {json.dumps(filter_, sort_keys=True)}"
    else:
        prefix = (filter_ or {}).get("Prefix") if isinstance(filter_, dict) else rule.get("Prefix")
        scope = f"prefix {prefix!r}" if prefix else "every key"
    storage = destination.get("StorageClass") or "as the source"
    return _shown(f"to {destination.get('Bucket', '?')}, {scope}, storage class {storage}, {rule.get('Status', '?')}")


def our_rule_in(configuration: dict[str, Any] | None, inputs: PlanInputs) -> dict[str, Any] | None:
    rule_id = inputs.options.rule_id_for(inputs.destination.bucket.name)
    rules = (configuration or {}).get("Rules") or []
    return next((r for r in rules if isinstance(r, dict) and r.get("ID") == rule_id), None)


# --------------------------------------------------------------------------- findings


_SHORT = {"replication": "s3xrep-repl", "batch": "s3xrep-batch"}


def _name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _reuses_existing_role(inputs: PlanInputs) -> bool:
    """The source already replicates with another role and the plan keeps it: our named role is not written."""
    existing = (inputs.source.replication or {}).get("Role")
    ours = docs.replication_role_arn(inputs)
    return (
        isinstance(existing, str)
        and bool(existing)
        and _name_of(existing) != _name_of(ours)
        and not inputs.options.replace_existing_role
    )


def _rule_findings(inputs: PlanInputs) -> list[Finding]:
    src = inputs.source
    if not (src.exists and src.owner_account_id == inputs.source_account.id):
        return []
    existing = our_rule_in(src.replication, inputs)
    if existing is None:
        return []
    rule_id, name = existing.get("ID"), src.bucket.name
    ours = docs.replication_rule(inputs, priority=0)
    if rule_is_ours(existing, ours, inputs.rule_fingerprints):
        if rule_fingerprint(existing) == rule_fingerprint(ours):
            return []
        return [Finding(
            id="replication-rule-replaced",
            severity="info",
            message=f"The source bucket {name} has our replication rule {rule_id} from an earlier apply (recorded in "
            "this plan's journal); the plan replaces it in place (its priority is kept unless --priority is given).",
            fix="Nothing to do; pass --rule-id to add a separate rule instead.",
        )]
    what = f"The source bucket {name} already has a replication rule {rule_id} ({describe_rule(existing)})"
    if inputs.options.adopt:
        return [Finding(
            id="replication-rule-adopted",
            severity="warning",
            message=f"{what} that this tool did not write. With --adopt the plan replaces it with ours; the whole "
            "replication configuration as it is now is saved in the journal first, and undo puts it back.",
            fix="Drop --adopt and pass --rule-id to keep that rule and add ours next to it.",
        )]
    return [Finding(
        id="replication-rule-id-taken",
        severity="blocking",
        message=f"{what} that this tool did not write (it is not what the plan would write, and this plan's journal "
        "never wrote it): replacing it would silently change what that rule replicates.",
        fix=f"Pass --rule-id with another ID to add our rule next to it, or --adopt to replace {rule_id} with ours "
        "(its old content is journaled first; undo restores it).",
    )]


def _role_findings(inputs: PlanInputs) -> list[Finding]:
    options, source = inputs.options, inputs.source.bucket.name
    candidates: list[tuple[str, RoleFacts | None, dict[str, Any], str]] = []
    if not _reuses_existing_role(inputs):
        trust = docs.replication_trust_policy(inputs)
        candidates.append(("replication", inputs.replication_role, trust, "--role-name"))
    if not options.single_role and options.replicate_existing:
        candidates.append(("batch", inputs.batch_role, docs.batch_trust_policy(inputs), "--batch-role-name"))
    findings: list[Finding] = []
    seen: set[str] = set()
    for kind, role, trust, flag in candidates:
        if role is None or role.name in seen or role_is_ours(role, trust):
            continue
        seen.add(role.name)
        what = (
            f"Role {role.name} already exists in the source account {inputs.source_account.id} "
            f"({describe_role(role)}) and is not ours: it has no {MANAGED_TAG}={MANAGED_VALUE} tag and is not what "
            f"the plan would write"
        )
        if options.adopt:
            kept = foreign_inline_policies(role) + list(role.attached_policies)
            findings.append(Finding(
                id=f"{kind}-role-adopted",
                severity="warning",
                message=f"{what}. With --adopt the plan takes it over for {kind}: its trust policy, policies and tags "
                f"are saved in the journal, then it is tagged {MANAGED_TAG}={MANAGED_VALUE} and trusted as we need; "
                "undo puts them back."
                + (f" It keeps its other policies ({', '.join(kept)}), which still grant what they grant."
                   if kept else ""),
                fix=f"Drop --adopt and pass {flag} with another name to leave {role.name} alone"
                + (f"; or remove {', '.join(kept)} from it yourself." if kept else "."),
            ))
            continue
        findings.append(Finding(
            id=f"{kind}-role-name-taken",
            severity="blocking",
            message=f"{what}: the plan would rewrite its trust policy and add permissions to it.",
            fix=f"Pass {flag} with a name of your own for our {kind} role (for example {flag} "
            f"{fit_role_name(_SHORT[kind] + '2-', source)}), or --adopt to take {role.name} over (its trust "
            "policy, policies and tags are journaled first; undo restores them).",
        ))
    return findings


def ownership_findings(inputs: PlanInputs) -> list[Finding]:
    """Blocking (or, with --adopt, warning) findings for foreign rules and roles that carry our names."""
    return _rule_findings(inputs) + _role_findings(inputs)
