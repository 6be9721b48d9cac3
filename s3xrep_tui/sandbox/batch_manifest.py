"""Job manifests: generated from a source bucket (``S3JobManifestGenerator``) or
read from a user-supplied ``S3BatchOperations_CSV_20180820`` object.

Everything reads moto's S3 backend directly (no HTTP round trips), which is
what makes manifests of thousands of versions cheap.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from ..core.names import bucket_from_arn
from .moto_access import bucket_owner, find_bucket, is_delete_marker, s3_backend

NO_KEYS_REASON = "Manifest generation found no keys matching the filter criteria."
MANIFEST_FORBIDDEN_REASON = "Reading the manifest is forbidden: AccessDenied"


class JobFailure(Exception):
    """A job-level failure: the job goes Failing -> Failed with this FailureCode/FailureReason."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass
class Task:
    bucket: str
    key: str
    version_id: str | None  # None: the manifest named no version (current version is used)
    missing_version: bool = False  # the CSV has a VersionId column but this row left it empty


# ---------------------------------------------------------------------------- moto access


def object_from_arn(arn: str) -> tuple[str, str]:
    """``arn:aws:s3:::bucket/key`` -> (bucket, key)."""
    path = bucket_from_arn(arn)
    bucket, _, key = path.partition("/")
    return bucket, key


def put_object(bucket_name: str, key: str, body: bytes) -> Any:
    """Write an object through the bucket owner's backend (SSE-S3, like Batch Operations' outputs)."""
    owner = bucket_owner(bucket_name)
    if owner is None:
        raise KeyError(bucket_name)
    return s3_backend(owner).put_object(bucket_name, key, body, encryption="AES256", disable_notification=True)


def all_versions(bucket: Any) -> list[Any]:
    """Every version and delete marker of a bucket, keys ascending, newest version first."""
    versions = [version for _, key_versions in list(bucket.keys.iterlists()) for version in list(key_versions)]
    versions.sort(key=lambda v: (v.name, -_utc(v.last_modified).timestamp()))
    return versions


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# ---------------------------------------------------------------------------- generator


def replication_status_filter_value(status: str | None) -> str:
    """engine.status(...) -> the vocabulary of ``ObjectReplicationStatuses``."""
    if status is None:
        return "NONE"
    status = status.upper()
    return "COMPLETED" if status == "COMPLETE" else status


def _rule_replicates_delete_markers(rule: dict[str, Any]) -> bool:
    if "Filter" not in rule:  # a V1 rule (Prefix only) replicates delete markers
        return True
    return (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"


def generate(engine: Any, source_bucket: str, filters: dict[str, Any]) -> list[Task]:
    """The versions of ``source_bucket`` a generated manifest lists, filters applied."""
    bucket = find_bucket(source_bucket)
    if bucket is None:
        raise JobFailure("SrcBucketNotFound", f"The source bucket {source_bucket} does not exist.")
    eligible_only = filters.get("EligibleForReplication")
    statuses = filters.get("ObjectReplicationStatuses")
    created_after = filters.get("CreatedAfter")
    created_before = filters.get("CreatedBefore")
    names = filters.get("KeyNameConstraint") or {}
    prefixes = names.get("MatchAnyPrefix") or []
    suffixes = names.get("MatchAnySuffix") or []
    substrings = names.get("MatchAnySubstring") or []
    bigger = filters.get("ObjectSizeGreaterThanBytes")
    smaller = filters.get("ObjectSizeLessThanBytes")
    storage_classes = filters.get("MatchAnyStorageClass")

    tasks: list[Task] = []
    for version in all_versions(bucket):
        key = version.name
        if prefixes and not any(key.startswith(p) for p in prefixes):
            continue
        if suffixes and not any(key.endswith(s) for s in suffixes):
            continue
        if substrings and not any(s in key for s in substrings):
            continue
        created = _utc(version.last_modified)
        if created_after is not None and not created > _utc(created_after):
            continue
        if created_before is not None and not created < _utc(created_before):
            continue
        marker = is_delete_marker(version)
        if not marker:
            if bigger is not None and not version.size > bigger:
                continue
            if smaller is not None and not version.size < smaller:
                continue
            if storage_classes and (version.storage_class or "STANDARD") not in storage_classes:
                continue
            if (version.storage_class or "STANDARD") in ("GLACIER", "DEEP_ARCHIVE"):
                continue  # archived objects never make it into a replication manifest
        elif bigger is not None or smaller is not None or storage_classes:
            continue  # size and storage-class filters only match objects
        version_id = version.version_id
        rule = engine.matching_rule(source_bucket, key, version_id)
        if marker and (rule is None or not _rule_replicates_delete_markers(rule)):
            continue  # AWS replicates delete markers only where the rule does
        if eligible_only and rule is None:
            continue
        if statuses:
            status = replication_status_filter_value(engine.status(source_bucket, key, version_id))
            if status not in statuses:
                continue
        tasks.append(Task(source_bucket, key, version_id))
    return tasks


def manifest_csv(tasks: Iterable[Task]) -> bytes:
    """Rows ``bucket,key,versionId`` with URL-encoded keys (the generated manifest's data file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for task in tasks:
        writer.writerow([task.bucket, quote_plus(task.key, safe="/"), task.version_id or ""])
    return out.getvalue().encode()


# ---------------------------------------------------------------------------- CSV manifest


def read_csv_manifest(data: bytes, fields: list[str]) -> list[Task]:
    """Parse an ``S3BatchOperations_CSV_20180820`` manifest (no header, keys URL-encoded)."""
    if "Bucket" not in fields or "Key" not in fields:
        raise JobFailure("InvalidManifest", "The manifest Fields must include Bucket and Key.")
    has_version = "VersionId" in fields
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JobFailure("InvalidManifest", f"The manifest is not valid UTF-8: {exc}") from exc
    tasks: list[Task] = []
    for row in csv.reader(io.StringIO(text)):
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < len(fields):
            row = row + [""] * (len(fields) - len(row))
        values = dict(zip(fields, row))
        version_id = values.get("VersionId", "").strip() if has_version else None
        # a VersionId column with an empty field fails that task (AWS: "Task failed due to missing VersionId")
        tasks.append(
            Task(values["Bucket"].strip(), unquote_plus(values["Key"]), version_id or None, has_version and not version_id)
        )
    if not tasks:
        raise JobFailure("InvalidManifest", "The manifest contains no objects.")
    return tasks
