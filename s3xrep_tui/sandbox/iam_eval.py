"""A small IAM policy evaluator over moto's IAM backend data.

moto stores roles, trust policies and permission policies but (by default)
checks none of them. The replication emulation needs the answers AWS would
give for a handful of questions: does this role trust ``s3.amazonaws.com``,
do its policies allow ``s3:ReplicateObject`` on ``arn:aws:s3:::DST/key``, does
the destination bucket policy (or a KMS key policy) grant that role?

Simplifications, on purpose: ``Condition`` blocks are treated as satisfied
(the replication service's requests meet the usual ``kms:ViaService`` /
encryption-context conditions; a Deny with a condition therefore always
applies), permission boundaries and SCPs are not evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import unquote

Decision = Literal["allow", "deny", "none"]

_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match: ``*`` any run of characters, ``?`` one character."""
    return bool(_glob(pattern, ignore_case).match(value))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _load(document: str | dict[str, Any] | None) -> dict[str, Any]:
    if document is None:
        return {}
    if isinstance(document, dict):
        return document
    text = document.strip()
    if text.startswith("%7B") or text.startswith("%7b"):
        text = unquote(text)
    try:
        loaded = json.loads(text)
    except (ValueError, TypeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _statements(document: str | dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    for statement in _as_list(_load(document).get("Statement")):
        if isinstance(statement, dict):
            yield statement


def _action_matches(statement: dict[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(glob_match(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return any(glob_match(p, action, ignore_case=True) for p in _as_list(statement.get("Action")))


def _resource_matches(statement: dict[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(glob_match(p, resource) for p in _as_list(statement["NotResource"]))
    if "Resource" not in statement:  # trust policies and some resource policies omit it
        return True
    return any(glob_match(p, resource) for p in _as_list(statement["Resource"]))


def account_of(principal_arn: str) -> str | None:
    """The account id of an IAM ARN (``arn:aws:iam::123456789012:...``), or None."""
    match = re.match(r"^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):", principal_arn)
    return match.group(1) if match else None


def _principal_matches(principal: Any, principal_arn: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    account = account_of(principal_arn)
    for value in _as_list(principal.get("AWS")):
        value = str(value)
        if value == "*" or value == principal_arn:
            return True
        if account and (value == account or value == f"arn:aws:iam::{account}:root"):
            return True
    return any(str(v) == principal_arn for v in _as_list(principal.get("Service")))


def _evaluate(statements: Iterable[dict[str, Any]], matches: Any) -> Decision:
    decision: Decision = "none"
    for statement in statements:
        if not matches(statement):
            continue
        if statement.get("Effect") == "Deny":
            return "deny"
        if statement.get("Effect") == "Allow":
            decision = "allow"
    return decision


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


def role_trusts(account_id: str, role_arn: str, service: str) -> bool:
    """True when the role exists and its trust policy lets ``service`` call sts:AssumeRole."""
    role = find_role(account_id, role_arn)
    if role is None:
        return False

    def matches(statement: dict[str, Any]) -> bool:
        return _action_matches(statement, "sts:AssumeRole") and _principal_matches(statement.get("Principal"), service)

    return _evaluate(_statements(role.assume_role_policy_document), matches) == "allow"


def role_policy_documents(role: Any) -> list[str]:
    documents = [doc for doc in role.policies.values()]
    for policy in list(role.managed_policies.values()):
        for version in policy.versions:
            if version.is_default:
                documents.append(version.document)
    return documents


def role_allows(account_id: str, role_arn: str, action: str, resource: str) -> bool:
    """The role's inline and attached managed policies allow ``action`` on ``resource`` (explicit Deny wins)."""
    role = find_role(account_id, role_arn)
    if role is None:
        return False

    def matches(statement: dict[str, Any]) -> bool:
        return _action_matches(statement, action) and _resource_matches(statement, resource)

    statements = [s for doc in role_policy_documents(role) for s in _statements(doc)]
    return _evaluate(statements, matches) == "allow"


def resource_policy_decision(policy_json: str | bytes | None, principal_arn: str, action: str, resource: str) -> Decision:
    """What a resource policy (bucket policy, key policy) says about this principal doing ``action``.

    ``"deny"`` when a matching Deny applies, ``"allow"`` when a matching Allow
    applies and no Deny, ``"none"`` otherwise (including no policy at all).
    """
    if policy_json is None:
        return "none"
    if isinstance(policy_json, bytes):
        policy_json = policy_json.decode("utf-8", "replace")

    def matches(statement: dict[str, Any]) -> bool:
        if "NotPrincipal" in statement:
            principal_ok = not _principal_matches(statement["NotPrincipal"], principal_arn)
        else:
            principal_ok = _principal_matches(statement.get("Principal"), principal_arn)
        return principal_ok and _action_matches(statement, action) and _resource_matches(statement, resource)

    return _evaluate(_statements(policy_json), matches)
