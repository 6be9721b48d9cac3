"""Metadata changes after replication: tags follow the object, and replica modification sync.

AWS (S3 User Guide, "What does Amazon S3 replicate?"): metadata changes made to a source
object after it replicated (its tags, here) are replicated to the replica. By default changes
made to a *replica* are not replicated back; with ``SourceSelectionCriteria.ReplicaModifications``
``Enabled`` on the rule of the replica's bucket, they are (S3 User Guide, "Replicating
metadata changes with replica modification sync"), which is what two-way replication uses.

Loop prevention stays the engine's: a version whose status is ``REPLICA`` is never replicated
again as a new object by any rule (``ReplicationEngine._match``); this module only copies tags
onto the same version id where it already exists, and its own copies are made in moto's
backend, not by a request, so a synced change does not sync again.
"""

from __future__ import annotations

import logging
from typing import Any

from . import iam_eval
from .moto_access import find_bucket, find_version, is_delete_marker, object_tags, s3_backend

log = logging.getLogger(__name__)


def replica_modifications(rule: dict[str, Any]) -> bool:
    criteria = rule.get("SourceSelectionCriteria") or {}
    return (criteria.get("ReplicaModifications") or {}).get("Status") == "Enabled"


def _covers(rule: dict[str, Any], key: str) -> bool:
    flt = rule.get("Filter")
    if flt is None:
        return key.startswith(rule.get("Prefix") or "")
    prefix = (flt.get("And") or {}).get("Prefix") if "And" in flt else flt.get("Prefix")
    return key.startswith(prefix or "")


def _may_replicate_tags(role: str, source_account: str, destination: Any, key: str) -> bool:
    resource = f"arn:aws:s3:::{destination.name}/{key}"
    context: dict[str, str | bool] = {"aws:SecureTransport": True, "aws:PrincipalAccount": source_account,
                                      "aws:PrincipalArn": role}
    if not iam_eval.role_allows(source_account, role, "s3:ReplicateTags", resource, context):
        return False
    decision = iam_eval.resource_policy_decision(destination.policy, role, "s3:ReplicateTags", resource, context)
    return decision == "allow" or (decision == "none" and destination.account_id == source_account)


def sync_tags(engine: Any, bucket_name: str, key: str, version_id: str | None) -> list[str]:
    """After a tagging change on ``bucket/key`` (that version, or the current one): copy its tags to the
    same version in each destination of the bucket's rules that sync it. Returns the buckets updated."""
    bucket = find_bucket(bucket_name)
    config = engine.configuration(bucket_name)
    if bucket is None or config is None:
        return []
    if version_id is None:
        current = bucket.keys.get(key)
        version_id = str(current.version_id) if current is not None else None
    version = find_version(bucket, key, version_id) if version_id else None
    if version is None or is_delete_marker(version):
        return []
    is_replica = engine.status(bucket_name, key, str(version_id)) == "REPLICA"
    tags = object_tags(bucket, version)
    updated: list[str] = []
    for rule in config.get("Rules") or ():
        if rule.get("Status") != "Enabled" or not _covers(rule, key):
            continue
        if is_replica and not replica_modifications(rule):
            continue  # changes to replicas stay there unless replica modification sync is on
        name = str((rule.get("Destination") or {}).get("Bucket", "")).split(":::", 1)[-1]
        destination = find_bucket(name)
        target = find_version(destination, key, str(version_id)) if destination is not None else None
        if destination is None or target is None or is_delete_marker(target):
            continue  # not there (yet): the replication of the version itself carries its tags
        if not _may_replicate_tags(str(config.get("Role") or ""), bucket.account_id, destination, key):
            log.info("tag change of %s/%s not synced to %s: s3:ReplicateTags not allowed", bucket_name, key, name)
            continue
        tagger = s3_backend(destination.account_id).tagger
        tagger.delete_all_tags_for_resource(target.arn)
        if tags:
            tagger.tag_resource(target.arn, [{"Key": k, "Value": v} for k, v in tags.items()])
        updated.append(name)
    return updated
