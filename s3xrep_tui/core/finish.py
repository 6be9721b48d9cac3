"""Finish (decommission): which parts of a document are ours, proven by the journal, and what stays.

A finished migration keeps its data and every foreign element; only the
plumbing we wrote comes down. A statement or rule is ours only when the journal
proves it: it is in a write's ``after`` and was not in that write's ``before``
(compared as canonical JSON, a rule without its Priority as
:func:`.ownership.rule_fingerprint` does). One of our Sids or rule IDs whose
content changed since we wrote it is not proven ours: it stays, and is named.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .ownership import rule_fingerprint

Written = tuple[Any, Any]  # (before, after) of one journaled write of a document
CUTOVER_KINDS = frozenset({"cutover", "cut-over"})  # the journal record cut-over writes (issue 18 item 3)
FINISH_KIND = "finish"


@dataclass(frozen=True)
class Stripped:
    """A document with our parts taken out."""

    document: dict[str, Any] | None  # what is left (None: nothing left, delete the document)
    removed: tuple[str, ...] = ()  # labels of our parts taken out
    kept: tuple[str, ...] = ()  # labels of foreign parts left as they are
    changed: tuple[str, ...] = ()  # ours by name, changed since we wrote them: left, and named


@dataclass(frozen=True)
class FinishRow:
    """One line of finish's table: what happens to an element of the migration, and why."""

    element: str
    account: str  # "source" | "destination" | "both"
    action: str  # "remove", "removed", "gone", "stays", "not removed", "failed"
    why: str


def _canon(value: Any) -> str:
    return json.dumps(_normal(value), sort_keys=True, separators=(",", ":"))


def _normal(value: Any) -> Any:
    """A one-element list is the same as its element in IAM's grammar (S3 may store either)."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normal(v) for v in value]
        return items[0] if len(items) == 1 else items
    return value


def _statements(document: Any) -> list[dict[str, Any]]:
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    return [s for s in statements or [] if isinstance(s, dict)]


def _rules(document: Any) -> list[dict[str, Any]]:
    rules = document.get("Rules") if isinstance(document, dict) else None
    return [r for r in rules or [] if isinstance(r, dict)]


def _label(statement: dict[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {sid}" if isinstance(sid, str) and sid else f"statement #{index + 1} (no Sid)"


def _added(written: Iterable[Written], items: Callable[[Any], list[dict[str, Any]]],
           fingerprint: Callable[[dict[str, Any]], str],
           name: Callable[[dict[str, Any]], str | None]) -> tuple[set[str], set[str]]:
    """The fingerprints of the items our writes added (in a write's ``after``, not its ``before``), and their names."""
    ours: set[str] = set()
    names: set[str] = set()
    for before, after in written:
        had = {fingerprint(item) for item in items(before)}
        for item in items(after):
            if fingerprint(item) not in had:
                ours.add(fingerprint(item))
                if (found := name(item)) is not None:
                    names.add(found)
    return ours, names


def strip_policy(current: dict[str, Any] | None, written: Iterable[Written]) -> Stripped:
    """``current`` without the statements our writes added; None when no statement is left."""
    ours, our_sids = _added(written, _statements, _canon,
                            lambda s: s["Sid"] if isinstance(s.get("Sid"), str) else None)
    if current is None:
        return Stripped(None)
    left: list[dict[str, Any]] = []
    removed: list[str] = []
    kept: list[str] = []
    changed: list[str] = []
    for index, statement in enumerate(_statements(current)):
        label = _label(statement, index)
        if _canon(statement) in ours:
            removed.append(label)
            continue
        left.append(statement)
        (changed if statement.get("Sid") in our_sids else kept).append(label)
    if not removed:
        return Stripped(current, (), tuple(kept), tuple(changed))
    document = {**current, "Statement": left} if left else None
    return Stripped(document, tuple(removed), tuple(kept), tuple(changed))


def strip_replication(current: dict[str, Any] | None, written: Sequence[Written]) -> Stripped:
    """``current`` without the rules our writes added; its Role back to the one before ours when rules remain."""
    ours, our_ids = _added(written, _rules, rule_fingerprint, lambda r: str(r["ID"]) if r.get("ID") else None)
    if current is None:
        return Stripped(None)
    left: list[dict[str, Any]] = []
    removed: list[str] = []
    kept: list[str] = []
    changed: list[str] = []
    for rule in _rules(current):
        label = f"rule {rule.get('ID') or '(no ID)'}"
        if rule_fingerprint(rule) in ours:
            removed.append(label)
            continue
        left.append(rule)
        (changed if str(rule.get("ID")) in our_ids else kept).append(label)
    if not removed:
        return Stripped(current, (), tuple(kept), tuple(changed))
    if not left:
        return Stripped(None, tuple(removed), (), ())
    document = {**current, "Rules": left}
    first_before = written[0][0] if written else None
    role_before = first_before.get("Role") if isinstance(first_before, dict) else None
    our_roles = {after.get("Role") for _, after in written if isinstance(after, dict)} - {role_before}
    if role_before and current.get("Role") in our_roles:
        document["Role"] = role_before  # the foreign rules go on with the role they had
    return Stripped(document, tuple(removed), tuple(kept), tuple(changed))


def last_of(entries: Iterable[Mapping[str, Any]], kinds: Iterable[str]) -> Mapping[str, Any] | None:
    """The newest journal record of one of ``kinds``."""
    wanted = set(kinds)
    found = None
    for entry in entries:
        if entry.get("kind") in wanted:
            found = entry
    return found


def cut_over(entries: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The journal's cut-over record (written by ``s3xrep cutover``), if any."""
    return last_of(entries, CUTOVER_KINDS)


def finished(entries: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The record of a finish that removed everything it set out to (``complete``), if any."""
    record = last_of(entries, {FINISH_KIND})
    return record if record is not None and record.get("complete") else None


_ACTIONS = {
    "would-delete": "remove", "would-restore": "remove", "would-cancel": "remove",
    "deleted": "removed", "restored": "removed", "cancelled": "removed",
    "unchanged": "gone", "note": "stays", "skipped": "not removed", "failed": "failed",
}


def action_of(status: str) -> str:
    """Undo's outcome of a write as finish's action word."""
    return _ACTIONS.get(status, status)


def element_of(call: str, target: str) -> str:
    """What a journaled write put in place, as the finish table names it."""
    parts = target.split(" ")
    name = parts[1] if len(parts) > 1 else target
    if call == "s3.put_bucket_policy":
        return f"our statements in the bucket policy of {name}"
    if call == "s3.put_bucket_replication":
        return f"our rule in the replication configuration of {name}"
    if call == "kms.put_key_policy":
        return f"our statements in the key policy of {name}"
    if call == "s3.put_bucket_versioning":
        return f"versioning of {name}"
    if call == "iam.put_role_policy" and len(parts) >= 4:
        return f"inline policy {parts[3]} of role {name}"
    if call == "iam.create_role":
        return f"role {name}"
    if call == "iam.tag_role":
        return f"our tags on role {name}"
    if call == "iam.update_assume_role_policy":
        return f"trust policy of role {name}"
    if call == "s3control.create_job":
        return f"Batch Replication {target}"
    return target or call
