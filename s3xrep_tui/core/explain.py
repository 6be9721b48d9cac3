"""One short human line per policy statement: what it lets whom do, where."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .names import bucket_from_arn

_SERVICES = {
    "s3.amazonaws.com": "S3 replication",
    "batchoperations.s3.amazonaws.com": "S3 Batch Operations",
}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _unescape(text: str) -> str:
    # IAM's literal-character variables back to the characters a human typed
    return text.replace("${*}", "*").replace("${?}", "?").replace("${$}", "$")


def _short_resource(resource: str) -> str:
    resource = _unescape(resource)
    if resource == "*":
        return "this key"
    if ":kms:" in resource:
        return "KMS key " + resource.rsplit("/", 1)[-1]
    if ":s3:::" in resource:
        return bucket_from_arn(resource)
    return resource


def _who(principal: Any) -> str:
    if principal is None:
        return "the role"
    if principal == "*":
        return "anyone"
    if isinstance(principal, dict):
        names: list[str] = []
        for arn in _as_list(principal.get("AWS")):
            if ":role/" in arn:
                names.append("role " + arn.rsplit("/", 1)[-1])
            elif arn.endswith(":root"):
                names.append("account " + arn.split(":")[4])
            else:
                names.append(arn)
        names += [_SERVICES.get(s, s) for s in _as_list(principal.get("Service"))]
        if names:
            return " and ".join(names)
    return str(principal)


def _replicate(actions: set[str], where: str) -> str:
    what = "write replicas" if "s3:ReplicateObject" in actions else "replicate"
    extras = []
    if "s3:ReplicateTags" in actions:
        extras.append("their tags")
    if "s3:ReplicateDelete" in actions:
        extras.append("delete markers")
    text = what + (f" (and {' and '.join(extras)})" if extras else "") + f" into {where}"
    if "s3:ObjectOwnerOverrideToBucketOwner" in actions:
        text += ", handing their ownership to the bucket's account"
    return text


def _read_versions(actions: set[str], where: str) -> str:
    extras = [
        label
        for action, label in (
            ("s3:GetObjectVersionAcl", "ACLs"),
            ("s3:GetObjectVersionTagging", "tags"),
            ("s3:GetObjectRetention", "retention"),
            ("s3:GetObjectLegalHold", "legal holds"),
        )
        if action in actions
    ]
    text = "read object versions for replication" if "s3:GetObjectVersionForReplication" in actions else "read"
    if extras:
        text += " (with " + ", ".join(extras) + ")"
    return f"{text} from {where}"


def _read_config(actions: set[str], where: str) -> str:
    parts = []
    if "s3:GetReplicationConfiguration" in actions:
        parts.append(f"read the replication configuration of {where}")
    if "s3:ListBucket" in actions:
        parts.append(f"list {where}" if not parts else "list it")
    return " and ".join(parts)


def _files(actions: set[str], where: str) -> str:
    if actions == {"s3:PutObject"}:
        return f"write reports into {where}"
    if "s3:PutObject" in actions:
        return f"write and read back files in {where}"
    return f"read files in {where}"


def _kms(actions: set[str], where: str) -> str:
    verbs = []
    if actions & {"kms:Encrypt", "kms:GenerateDataKey"}:
        verbs.append("encrypt")
    if "kms:Decrypt" in actions:
        verbs.append("decrypt")
    return f"{' and '.join(verbs)} with {where}"


_GROUPS: list[tuple[frozenset[str], Callable[[set[str], str], str]]] = [
    (
        frozenset(
            {"s3:ReplicateObject", "s3:ReplicateTags", "s3:ReplicateDelete", "s3:ObjectOwnerOverrideToBucketOwner"}
        ),
        _replicate,
    ),
    (
        frozenset(
            {
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:GetObjectRetention",
                "s3:GetObjectLegalHold",
            }
        ),
        _read_versions,
    ),
    (frozenset({"s3:GetReplicationConfiguration", "s3:ListBucket"}), _read_config),
    (frozenset({"s3:InitiateReplication"}), lambda a, w: f"start replication of existing objects in {w}"),
    (frozenset({"s3:PutInventoryConfiguration"}), lambda a, w: f"generate an object list (inventory) of {w}"),
    (frozenset({"s3:GetBucketVersioning"}), lambda a, w: f"check that {w} is versioned"),
    (frozenset({"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}), _files),
    (frozenset({"kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"}), _kms),
]


def _condition_text(condition: dict[str, Any] | None) -> str:
    if not condition:
        return ""
    values: dict[str, list[str]] = {}
    for block in condition.values():
        if isinstance(block, dict):
            for key, value in block.items():
                values.setdefault(key, []).extend(str(v) for v in _as_list(value))
    parts = []
    if via := values.pop("kms:ViaService", None):
        parts.append("only through " + " or ".join(via))
    if context := values.pop("kms:EncryptionContext:aws:s3:arn", None):
        parts.append("for " + " or ".join(_short_resource(c) for c in context))
    parts += [f"when {key} is {' or '.join(vals)}" for key, vals in values.items()]
    return " (" + ", ".join(parts) + ")"


def explain_statement(statement: dict[str, Any]) -> str:
    """E.g. ``Lets role s3xrep-repl-x write replicas (and their tags) into acme-platform-media/*``."""
    actions = {str(a) for a in _as_list(statement.get("Action"))}
    principal = statement.get("Principal")
    allow = statement.get("Effect", "Allow") == "Allow"
    if actions == {"sts:AssumeRole"} and isinstance(principal, dict) and "Service" in principal:
        line = f"Lets {_who(principal)} assume this role"
        return line if allow else line.replace("Lets", "Forbids", 1)
    where = ", ".join(_short_resource(r) for r in _as_list(statement.get("Resource"))) or "(no resource)"
    phrases: list[str] = []
    remaining = set(actions)
    for group, render in _GROUPS:
        hit = remaining & group
        if hit:
            phrases.append(render(hit, where))
            remaining -= hit
    if remaining:
        phrases.append(f"use {', '.join(sorted(remaining))} on {where}")
    who = _who(principal)
    head = f"Lets {who} " if allow else f"Denies {who} the right to "
    return head + "; ".join(phrases) + _condition_text(statement.get("Condition"))
