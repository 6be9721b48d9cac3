"""Undo's guard before ``DeleteRole``: no role goes while a document we wrote still names it.

A role deleted while a bucket policy or replication configuration still names it
leaves that document granting (or using) a principal that is gone; S3 shows it as
an unknown id and a role created later under the same name is not granted. That
happens when undo could not restore such a document (it changed since apply, its
call failed, or its journal record was damaged and skipped), so undo reads every
bucket the journal names, on its own side (and the destinations of our rules),
just before the delete, and keeps the role when it is still named there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .journal import JournalRead

Bucket = tuple[str, str, str | None]  # (side, bucket, region)


def _bucket_of(target: Any) -> str | None:
    parts = str(target or "").split(" ")
    return parts[1] if len(parts) == 2 and parts[0] == "bucket" else None


def journal_buckets(read: JournalRead) -> list[Bucket]:
    """Every bucket the journal's records name, with the side and region it was written in.

    The destinations of the rules we wrote count too (the destination bucket stays
    known when the record of its own policy write is damaged); a foreign rule's
    destination does not: we wrote nothing there, and may not be able to read it.
    """
    found: dict[tuple[str, str], str | None] = {}
    side_region: dict[str, str | None] = {}
    for entry in read.entries:
        side = entry.get("account")
        if side not in ("source", "destination"):
            continue
        if entry.get("region"):
            side_region.setdefault(side, entry["region"])
        bucket = _bucket_of(entry.get("target"))
        if bucket and (found.get((side, bucket)) is None):
            found[(side, bucket)] = entry.get("region")
    for entry in read.writes():
        if entry.get("call") != "s3.put_bucket_replication":
            continue
        for rule in _rules_we_wrote(entry.get("before"), entry.get("after")):
            arn = str((rule.get("Destination") or {}).get("Bucket") or "")
            if arn.startswith("arn:") and ":::" in arn:
                found.setdefault(("destination", arn.split(":::", 1)[1]), None)
    return [(side, bucket, region if region is not None else side_region.get(side))
            for (side, bucket), region in found.items()]


_KINDS = {"s3.put_bucket_policy": "policy", "s3.put_bucket_replication": "replication"}


def originals(read: JournalRead) -> dict[tuple[str, str, str], Any]:
    """(side, bucket, "policy" | "replication") -> the document as it was before apply's first write to it.

    A document back in that state names whatever it named before apply: a role it
    names then is the original state's business, not a grant we left behind.
    """
    found: dict[tuple[str, str, str], Any] = {}
    for entry in read.writes():
        kind = _KINDS.get(str(entry.get("call")))
        bucket = _bucket_of(entry.get("target"))
        if kind and bucket and entry.get("account") in ("source", "destination"):
            found.setdefault((entry["account"], bucket, kind), entry.get("before"))
    return found


def _rules(document: Any) -> list[dict[str, Any]]:
    rules = document.get("Rules") if isinstance(document, dict) else None
    return [rule for rule in rules or [] if isinstance(rule, dict)]


def _rules_we_wrote(before: Any, after: Any) -> list[dict[str, Any]]:
    """The rules of ``after`` that the write added or changed (foreign rules are kept as they were)."""
    kept = {json.dumps(rule, sort_keys=True) for rule in _rules(before)}
    return [rule for rule in _rules(after) if json.dumps(rule, sort_keys=True) not in kept]


def _strings(document: Any) -> Iterator[str]:
    if isinstance(document, str):
        yield document
    elif isinstance(document, dict):
        for value in document.values():
            yield from _strings(value)
    elif isinstance(document, list):
        for value in document:
            yield from _strings(value)


def names_role(document: Any, role: str, account_id: str | None) -> bool:
    """True when ``document`` (a parsed policy or configuration) holds the ARN of role ``role``."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            pass
    for text in _strings(document):
        if ":role/" not in text or text.rsplit("/", 1)[-1] != role:
            continue
        if account_id is None or f":iam::{account_id}:" in text:
            return True
    return False
