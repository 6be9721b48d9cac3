"""The source bucket's notification configuration: ours merged in, ours taken out, nothing else touched.

``PutBucketNotificationConfiguration`` replaces the whole configuration (AWS: S3 API
Reference, PutBucketNotificationConfiguration: "This action replaces the existing
notification configuration with the configuration you include in the request body"),
so we always write what is there plus our one entry. The rules, as for the
replication configuration (:mod:`.merge`):

* an entry is OURS only by proof: its ``Id`` starts with ``s3xrep-`` and it equals
  the entry we write, or its fingerprint is in this plan's journal (an earlier apply
  wrote it). Anything else, whatever its Id, is foreign and kept byte for byte, in
  its list and in its place;
* a foreign entry with our Id is a collision: we refuse (no overwrite);
* S3 refuses two entries whose event types and filters overlap ("Configurations
  overlap"): a foreign entry that already receives our event types is reported with
  the fix of using its destination instead;
* ``EventBridgeConfiguration`` is a switch, not an entry: we turn it on when asked,
  and turn it off on removal only when the journal says it was off before.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from .merge import MergeError

OUR_ID_PREFIX = "s3xrep-"
LISTS = ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations")
_TARGET_KEY = {"TopicConfigurations": "TopicArn", "QueueConfigurations": "QueueArn",
               "LambdaFunctionConfigurations": "LambdaFunctionArn"}


@dataclass(frozen=True)
class NotificationMerge:
    configuration: dict[str, Any]
    foreign: int  # entries kept as they were
    replaced: bool  # an entry of ours was there (an older version of it) and is replaced in place
    changed: bool  # False: the result equals the existing configuration


def entry_fingerprint(entry: dict[str, Any]) -> str:
    """sha256 of an entry's canonical JSON (sorted keys, no whitespace): the journal's proof it is ours."""
    return hashlib.sha256(json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def clean(configuration: dict[str, Any] | None) -> dict[str, Any]:
    """The configuration as PutBucketNotificationConfiguration takes it (no ResponseMetadata, no empty lists)."""
    found = {k: v for k, v in (configuration or {}).items() if k != "ResponseMetadata"}
    return {k: v for k, v in found.items() if not (k in LISTS and not v)}


def is_ours(entry: Any, ours: dict[str, Any] | None, fingerprints: Collection[str]) -> bool:
    if not isinstance(entry, dict) or not str(entry.get("Id", "")).startswith(OUR_ID_PREFIX):
        return False
    return (ours is not None and entry == ours) or entry_fingerprint(entry) in fingerprints


def _events_overlap(a: Any, b: Any) -> bool:
    def expand(events: Any) -> set[str]:
        return {str(e) for e in events or []} if isinstance(events, list) else set()

    def covers(x: str, y: str) -> bool:  # "s3:Replication:*" covers every s3:Replication event
        return x == y or (x.endswith(":*") and y.startswith(x[:-1])) or (y.endswith(":*") and x.startswith(y[:-1]))

    return any(covers(x, y) for x in expand(a) for y in expand(b))


def merge_notifications(
    existing: dict[str, Any] | None,
    ours: dict[str, Any] | None,
    *,
    fingerprints: Collection[str] = (),
    eventbridge: bool = False,
    bucket: str = "the source bucket",
) -> NotificationMerge:
    """``existing`` with ``ours`` (a TopicConfigurations entry; None: none) in it, and EventBridge on if asked."""
    original = clean(existing)
    merged = copy.deepcopy(original)
    what = f"the notification configuration of {bucket}"
    foreign = 0
    replaced = False
    placed = ours is None
    for name in LISTS:
        entries = merged.get(name)
        if not isinstance(entries, list):
            continue
        kept: list[Any] = []
        for entry in entries:
            if is_ours(entry, ours, fingerprints):
                if not placed and name == "TopicConfigurations":
                    kept.append(copy.deepcopy(ours))
                    placed, replaced = True, entry != ours
                continue  # an older one of ours (or a duplicate): taken out
            foreign += 1
            if ours is not None and isinstance(entry, dict):
                _refuse_collision(entry, ours, name, what)
            kept.append(entry)
        merged[name] = kept
    if not placed:
        merged.setdefault("TopicConfigurations", []).append(copy.deepcopy(ours))
    if eventbridge:
        merged["EventBridgeConfiguration"] = merged.get("EventBridgeConfiguration") or {}
    merged = clean(merged)
    return NotificationMerge(merged, foreign, replaced, merged != original)


def _refuse_collision(entry: dict[str, Any], ours: dict[str, Any], name: str, what: str) -> None:
    if entry.get("Id") == ours.get("Id"):
        raise MergeError(
            f"{what} already has an entry with Id {str(entry.get('Id'))!r}, the Id this tool uses, but it is not "
            "the entry this tool wrote: refusing to overwrite an entry we did not write",
            fix=f"rename or remove that entry in {what}, or plan with --no-alarms, then run the plan again",
            finding_id="notification-id-collision",
        )
    # ours has no filter, so it matches every key: any foreign entry for one of its events overlaps
    if _events_overlap(entry.get("Events"), ours.get("Events")):
        target = entry.get(_TARGET_KEY[name], "?")
        raise MergeError(
            f"{what} already sends {', '.join(map(str, entry.get('Events') or []))} to {target} (entry "
            f"{str(entry.get('Id'))!r}); S3 refuses a second entry for the same events (\"Configurations overlap\")",
            fix="use that destination: plan with --alarm-topic-arn naming it (or --alarm-eventbridge), or "
            "--no-alarms",
            finding_id="notification-events-overlap",
        )


def remove_ours(
    current: dict[str, Any] | None,
    ours: Collection[dict[str, Any]],
    *,
    fingerprints: Collection[str] = (),
    eventbridge_was_off: bool = False,
) -> dict[str, Any]:
    """``current`` without the entries that are ours (equal to one we wrote, or fingerprinted in the journal).

    Every foreign entry stays exactly where it is. EventBridge is switched off only when
    ``eventbridge_was_off`` (the journal says we switched it on).
    """
    result = copy.deepcopy(clean(current))
    for name in LISTS:
        entries = result.get(name)
        if isinstance(entries, list):
            result[name] = [e for e in entries
                            if not is_ours(e, None, fingerprints) and not any(is_ours(e, o, ()) for o in ours)]
    if eventbridge_was_off:
        result.pop("EventBridgeConfiguration", None)
    return clean(result)
