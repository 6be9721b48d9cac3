"""The journal's proof that a policy statement is ours: we wrote that exact statement.

A statement's Sid (our family) and its principal (our tagged role) say nothing about
who wrote it: anyone may write a statement with our Sid prefix naming our role. A
statement is ours when it is in a journaled write's ``after`` and was not in that
write's ``before`` (an apply of this plan added it, and undo did not take it back),
compared by :func:`statement_fingerprint`. Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

POLICY_CALLS = frozenset({"s3.put_bucket_policy", "kms.put_key_policy", "sns.set_topic_attributes"})


def _normal(value: Any) -> Any:
    """A one-element list is the same as its element in IAM's grammar (S3 may store either)."""
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normal(v) for v in value]
        return items[0] if len(items) == 1 else items
    return value


def statement_fingerprint(statement: Mapping[str, Any]) -> str:
    """sha256 of the statement's canonical JSON (sorted keys, one-element lists as their element)."""
    text = json.dumps(_normal(dict(statement)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _statements(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, str):  # sns.set_topic_attributes journals the policy text
        try:
            document = json.loads(document)
        except ValueError:
            return []
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements or [] if isinstance(s, dict)]


def _policy_of(document: Any) -> Any:
    """The policy inside a journaled document (a topic's attributes hold it under ``Policy``)."""
    if isinstance(document, dict) and "Statement" not in document and "Policy" in document:
        return document["Policy"]
    return document


def added_statements(before: Any, after: Any) -> set[str]:
    """Fingerprints of the statements in ``after`` that were not in ``before``."""
    had = {statement_fingerprint(s) for s in _statements(_policy_of(before))}
    return {fp for fp in (statement_fingerprint(s) for s in _statements(_policy_of(after))) if fp not in had}


def proven_statements(writes: Iterable[Mapping[str, Any]], undone: Collection[str] = ()) -> frozenset[str]:
    """Fingerprints of every statement a journaled policy write added, except writes undo took back."""
    found: set[str] = set()
    for entry in writes:
        if entry.get("call") in POLICY_CALLS and entry.get("id") not in undone:
            found |= added_statements(entry.get("before"), entry.get("after"))
    return frozenset(found)
