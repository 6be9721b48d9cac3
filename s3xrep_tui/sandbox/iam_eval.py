"""The sandbox's IAM questions over moto's IAM backend data, answered by ``core.policy_eval``.

moto stores roles, trust policies and permission policies but (by default)
checks none of them. The replication emulation needs the answers AWS would
give for a handful of questions: does this role trust ``s3.amazonaws.com``,
do its policies allow ``s3:ReplicateObject`` on ``arn:aws:s3:::DST/key``, does
the destination bucket policy (or a KMS key policy) grant that role?

Every answer comes from :mod:`s3xrep_tui.core.policy_eval`, the evaluator the
preflight uses too, so the plan's verdict and the sandbox's never disagree.
Conditions are evaluated against the request ``context`` the caller passes
(``kms:EncryptionContext:aws:s3:arn``, ``kms:ViaService``, ``aws:SecureTransport``, ...);
permission boundaries and SCPs are not evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from s3xrep_tui.core import policy_eval
from s3xrep_tui.core.policy_eval import ContextValue, Request, account_of, glob_match
from s3xrep_tui.core.policy_json import load_policy

__all__ = ["account_of", "glob_match", "role_allows", "role_trusts", "resource_policy_decision", "find_role"]

Decision = Literal["allow", "deny", "none"]
Context = Mapping[str, ContextValue]

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")
_DECISIONS: dict[str, Decision] = {"allow": "allow", "deny": "deny", "implicit": "none"}


def _load(document: str | bytes | dict[str, Any] | None) -> dict[str, Any]:
    """A policy as the emulator holds it (dict, JSON, URL-encoded JSON); {} when it is not a JSON object."""
    try:
        loaded = load_policy(document)
    except (ValueError, TypeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _iam_backend(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["global"]


def find_role(account_id: str, role_arn: str) -> Any | None:
    """moto's Role object for ``role_arn`` in ``account_id``, or None."""
    if not _ROLE_ARN.match(role_arn or ""):
        return None
    for role in list(_iam_backend(account_id).roles.values()):
        if role.arn == role_arn:
            return role
    return None


def role_trusts(account_id: str, role_arn: str, service: str, context: Context | None = None) -> bool:
    """True when the role exists and its trust policy lets ``service`` call sts:AssumeRole.

    ``context``: what the service sends (``aws:SourceAccount``, ``aws:SourceArn``), which
    confused-deputy conditions in trust policies test.
    """
    role = find_role(account_id, role_arn)
    if role is None:
        return False
    request = Request(service, "sts:AssumeRole", role_arn, context or {})
    return policy_eval.evaluate(_load(role.assume_role_policy_document), request).allowed


def role_policy_documents(role: Any) -> list[str]:
    documents = [doc for doc in role.policies.values()]
    for policy in list(role.managed_policies.values()):
        for version in policy.versions:
            if version.is_default:
                documents.append(version.document)
    return documents


def role_allows(account_id: str, role_arn: str, action: str, resource: str, context: Context | None = None) -> bool:
    """The role's inline and attached managed policies allow ``action`` on ``resource`` (explicit Deny wins)."""
    role = find_role(account_id, role_arn)
    if role is None:
        return False
    merged = {"Statement": [s for doc in role_policy_documents(role) for s in policy_eval.statements(_load(doc))]}
    request = Request(role_arn, action, resource, context or {})
    return policy_eval.evaluate(merged, request, identity=True).allowed


def resource_policy_decision(
    policy_json: str | bytes | dict[str, Any] | None,
    principal_arn: str,
    action: str,
    resource: str,
    context: Context | None = None,
) -> Decision:
    """What a resource policy (bucket policy, key policy) says about this principal doing ``action``.

    ``"deny"`` when a matching Deny applies, ``"allow"`` when a matching Allow
    applies and no Deny, ``"none"`` otherwise (including no policy at all).
    """
    if policy_json is None:
        return "none"
    request = Request(principal_arn, action, resource, context or {})
    return _DECISIONS[policy_eval.evaluate(_load(policy_json), request).effect]
