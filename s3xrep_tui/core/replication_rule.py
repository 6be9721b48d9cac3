"""One V2 replication rule for ``put_bucket_replication`` (AWS: replication-add-config), and its explanation."""

from __future__ import annotations

from typing import Any

from .models import Finding, PlanInputs
from .names import bucket_from_arn
from .policy_parts import destination_bucket_arn, owner_override, replica_key_arn

_FIFTEEN_MINUTES = {"Minutes": 15}  # the only value S3 accepts for RTC and metrics


def rule_filter(inputs: PlanInputs) -> dict[str, Any]:
    """``{"Prefix": p}``, ``{"Tag": ...}`` or ``{"And": ...}``; ``{"Prefix": ""}`` for the whole bucket."""
    prefix = inputs.options.prefix
    tags = [{"Key": key, "Value": value} for key, value in inputs.options.tags]
    if not tags:
        return {"Prefix": prefix}
    if len(tags) == 1 and not prefix:
        return {"Tag": tags[0]}
    both: dict[str, Any] = {"Prefix": prefix} if prefix else {}
    both["Tags"] = tags
    return {"And": both}


def replication_rule(inputs: PlanInputs, priority: int) -> dict[str, Any]:
    """Our rule: V2 schema (Filter + Priority + DeleteMarkerReplication), never ExistingObjectReplication."""
    options = inputs.options
    destination: dict[str, Any] = {"Bucket": destination_bucket_arn(inputs)}
    if inputs.cross_account:
        destination["Account"] = inputs.destination_account.id
    if options.storage_class:
        destination["StorageClass"] = options.storage_class
    if owner_override(inputs):
        destination["AccessControlTranslation"] = {"Owner": "Destination"}
    if key := replica_key_arn(inputs):
        destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": key}
    if options.rtc:
        destination["ReplicationTime"] = {"Status": "Enabled", "Time": dict(_FIFTEEN_MINUTES)}
    if options.metrics_enabled:
        destination["Metrics"] = {"Status": "Enabled", "EventThreshold": dict(_FIFTEEN_MINUTES)}

    rule: dict[str, Any] = {
        "ID": options.rule_id_for(inputs.destination.bucket.name),
        "Priority": priority,
        "Status": "Enabled",
        "Filter": rule_filter(inputs),
        "DeleteMarkerReplication": {"Status": "Enabled" if options.delete_markers else "Disabled"},
    }
    criteria: dict[str, Any] = {}
    if replica_key_arn(inputs):
        criteria["SseKmsEncryptedObjects"] = {"Status": "Enabled"}
    if replica_modifications(inputs):  # V2 rules only (ours always are): replica changes sync back
        criteria["ReplicaModifications"] = {"Status": "Enabled"}
    if criteria:
        rule["SourceSelectionCriteria"] = criteria
    rule["Destination"] = destination
    return rule


def _deployed_sync(inputs: PlanInputs) -> bool:
    """Our rule on the source, as read, syncs replica modifications back."""
    rule_id = inputs.options.rule_id_for(inputs.destination.bucket.name)
    rules = (inputs.source.replication or {}).get("Rules") or []
    ours = next((r for r in rules if isinstance(r, dict) and r.get("ID") == rule_id), {})
    criteria = ours.get("SourceSelectionCriteria") or {}
    return isinstance(criteria, dict) and (criteria.get("ReplicaModifications") or {}).get("Status") == "Enabled"


def replica_modifications(inputs: PlanInputs) -> bool:
    """What the user asked for; asked nothing, what our deployed rule has (a re-apply never turns it off)."""
    asked = inputs.options.replica_modifications
    return _deployed_sync(inputs) if asked is None else asked


def replica_modifications_findings(inputs: PlanInputs) -> list[Finding]:
    """Say so when the rule keeps replica modification sync only because it is deployed."""
    if inputs.options.replica_modifications is not None or not _deployed_sync(inputs):
        return []
    return [Finding(
        id="replica-modifications-kept",
        severity="info",
        message=f"Our rule on {inputs.source.bucket.name} syncs replica modifications back (the way back, or you, "
        "turned it on): the plan keeps it as it is.",
        fix="Pass --no-replica-modifications to turn it off (the preview's diff then shows it going).",
    )]


def _scope(filter_: dict[str, Any] | None, legacy_prefix: str | None) -> str:
    if filter_ is None:
        return f"objects under {legacy_prefix!r}" if legacy_prefix else "every object"
    if "And" in filter_:
        prefix = filter_["And"].get("Prefix", "")
        tags = filter_["And"].get("Tags", [])
    else:
        prefix = filter_.get("Prefix", "")
        tags = [filter_["Tag"]] if "Tag" in filter_ else []
    if not tags:
        return f"objects under {prefix!r}" if prefix else "every object"
    tagged = "tagged " + " and ".join(f"{t.get('Key')}={t.get('Value')}" for t in tags)
    return f"objects under {prefix!r} {tagged}" if prefix else f"objects {tagged}"


def explain_rule(rule: dict[str, Any]) -> str:
    """One line a human understands, e.g. ``Rule s3xrep-to-x (priority 1, enabled): replicates every object to x``."""
    destination = rule.get("Destination", {})
    head = f"Rule {rule.get('ID', '(no id)')} ("
    if "Priority" in rule:
        head += f"priority {rule['Priority']}, "
    head += f"{str(rule.get('Status', 'Enabled')).lower()})"
    target = bucket_from_arn(destination.get("Bucket", "?"))
    if destination.get("Account"):
        target += f" in account {destination['Account']}"
    line = f"{head}: replicates {_scope(rule.get('Filter'), rule.get('Prefix'))} to {target}"
    extras: list[str] = []
    if destination.get("StorageClass"):
        extras.append(f"as {destination['StorageClass']}")
    if rule.get("DeleteMarkerReplication", {}).get("Status") == "Enabled":
        extras.append("with delete markers")
    elif "Filter" in rule:
        extras.append("without delete markers")
    if destination.get("AccessControlTranslation"):
        extras.append("replicas owned by the destination account")
    if key := destination.get("EncryptionConfiguration", {}).get("ReplicaKmsKeyID"):
        extras.append(f"SSE-KMS objects included, re-encrypted with {key}")
    if destination.get("ReplicationTime", {}).get("Status") == "Enabled":
        extras.append("RTC 15 min")
    if destination.get("Metrics", {}).get("Status") == "Enabled":
        extras.append("metrics on")
    if (rule.get("SourceSelectionCriteria") or {}).get("ReplicaModifications", {}).get("Status") == "Enabled":
        extras.append("replica changes synced back")
    if rule.get("ExistingObjectReplication", {}).get("Status") == "Enabled":
        extras.append("asks for existing-object replication (no longer supported)")
    return line + (", " + ", ".join(extras) if extras else "")
