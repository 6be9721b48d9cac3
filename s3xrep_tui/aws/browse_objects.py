"""Browsing inside a bucket: one prefix level, one key's versions, one version's head, a page at a time.

Each call returns one page and the token of the next, so a prefix with a
million keys costs one request to open. Every call carries
``ExpectedBucketOwner`` when the owner is known and goes to a client in the
bucket's region; failures are :class:`~s3xrep_tui.aws.errors.AwsError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .bucket_access import with_owner
from .clients import Clients
from .errors import error_code, explain
from .identity import profile_of

LEVEL_PAGE_SIZE = 200


@dataclass(frozen=True)
class ObjectEntry:
    key: str
    size: int
    last_modified: datetime | None
    storage_class: str
    deleted: bool = False  # the latest version is a delete marker (listed with ``list_level_versions`` only)


@dataclass(frozen=True)
class Level:
    """One page of one prefix: the sub-prefixes and objects S3 returned, and the token of the next page."""

    prefix: str
    prefixes: list[str]
    objects: list[ObjectEntry]
    next_token: Any  # ContinuationToken, or (KeyMarker, VersionIdMarker) for list_level_versions; None: last page
    token: Any = None  # the token this page was asked with (None: the first page)


def _object_call(clients: Clients, region: str | None, method: str, what: str, **kwargs: Any) -> dict[str, Any]:
    profile = profile_of(clients)
    try:
        return getattr(clients("s3", region), method)(**kwargs)
    except Exception as exc:
        raise explain(exc, profile=profile, what=what) from exc


def list_level(
    clients: Clients,
    bucket: str,
    region: str | None,
    prefix: str,
    token: str | None = None,
    page_size: int = LEVEL_PAGE_SIZE,
    *,
    owner: str | None = None,
) -> Level:
    """One page of ``prefix`` (``list_objects_v2`` with ``Delimiter="/"``): one request, never more."""
    kwargs = with_owner({"Bucket": bucket, "Prefix": prefix, "Delimiter": "/", "MaxKeys": page_size}, owner)
    if token:
        kwargs["ContinuationToken"] = token
    answer = _object_call(clients, region, "list_objects_v2", f"s3.list_objects_v2 on s3://{bucket}/{prefix}", **kwargs)
    prefixes = [p["Prefix"] for p in answer.get("CommonPrefixes") or []]
    objects = [
        ObjectEntry(o["Key"], int(o.get("Size") or 0), o.get("LastModified"), o.get("StorageClass") or "STANDARD")
        for o in answer.get("Contents") or []
    ]
    next_token = answer.get("NextContinuationToken") if answer.get("IsTruncated") else None
    return Level(prefix, prefixes, objects, next_token, token)


def list_level_versions(
    clients: Clients,
    bucket: str,
    region: str | None,
    prefix: str,
    marker: tuple[str, str] | None = None,
    page_size: int = LEVEL_PAGE_SIZE,
    *,
    owner: str | None = None,
) -> Level:
    """One page of ``prefix`` from ``list_object_versions`` (Delimiter "/"): deleted keys included.

    A key appears once per page, as its latest version (``deleted`` when that is a
    delete marker); its older versions are ``list_versions``' business.
    """
    kwargs = with_owner({"Bucket": bucket, "Prefix": prefix, "Delimiter": "/", "MaxKeys": page_size}, owner)
    if marker:
        kwargs["KeyMarker"], kwargs["VersionIdMarker"] = marker
    answer = _object_call(clients, region, "list_object_versions",
                          f"s3.list_object_versions on s3://{bucket}/{prefix}", **kwargs)
    prefixes = [p["Prefix"] for p in answer.get("CommonPrefixes") or []]
    latest: dict[str, ObjectEntry] = {}
    for item in answer.get("Versions") or []:
        if item.get("IsLatest"):
            latest[item["Key"]] = ObjectEntry(item["Key"], int(item.get("Size") or 0), item.get("LastModified"),
                                              item.get("StorageClass") or "STANDARD")
    for item in answer.get("DeleteMarkers") or []:
        if item.get("IsLatest"):
            latest[item["Key"]] = ObjectEntry(item["Key"], 0, item.get("LastModified"), "", deleted=True)
    next_marker = None
    if answer.get("IsTruncated"):
        next_marker = (answer.get("NextKeyMarker") or "", answer.get("NextVersionIdMarker") or "")
    return Level(prefix, prefixes, [latest[key] for key in sorted(latest)], next_marker, marker)


@dataclass(frozen=True)
class VersionEntry:
    key: str
    version_id: str
    is_latest: bool
    size: int | None  # None for a delete marker
    last_modified: datetime | None
    delete_marker: bool
    storage_class: str | None = None


@dataclass(frozen=True)
class VersionsPage:
    key: str
    versions: list[VersionEntry]
    next_marker: tuple[str, str] | None  # (KeyMarker, VersionIdMarker) of the next page of this key
    marker: tuple[str, str] | None = None


def list_versions(
    clients: Clients,
    bucket: str,
    region: str | None,
    key: str,
    marker: tuple[str, str] | None = None,
    page_size: int = LEVEL_PAGE_SIZE,
    *,
    owner: str | None = None,
) -> VersionsPage:
    """One page of the versions and delete markers of exactly ``key``, newest first."""
    kwargs = with_owner({"Bucket": bucket, "Prefix": key, "MaxKeys": page_size}, owner)
    if marker:
        kwargs["KeyMarker"], kwargs["VersionIdMarker"] = marker
    answer = _object_call(clients, region, "list_object_versions", f"s3.list_object_versions on s3://{bucket}/{key}",
                          **kwargs)
    versions: list[tuple[int, VersionEntry]] = []
    other_key = False  # a longer key sharing the prefix: listing is sorted by key, so this key is done
    for order, item in enumerate(answer.get("Versions") or []):
        if item["Key"] != key:
            other_key = True
            continue
        versions.append((order, VersionEntry(key, item.get("VersionId") or "null", bool(item.get("IsLatest")),
                                             int(item.get("Size") or 0), item.get("LastModified"), False,
                                             item.get("StorageClass"))))
    for order, item in enumerate(answer.get("DeleteMarkers") or []):
        if item["Key"] != key:
            other_key = True
            continue
        versions.append((order, VersionEntry(key, item.get("VersionId") or "null", bool(item.get("IsLatest")), None,
                                             item.get("LastModified"), True)))
    epoch = datetime.min
    versions.sort(key=lambda pair: (not pair[1].is_latest, -(_timestamp(pair[1].last_modified or epoch)), pair[0]))
    next_marker = None
    if answer.get("IsTruncated") and not other_key and answer.get("NextKeyMarker") == key:
        next_marker = (key, answer.get("NextVersionIdMarker") or "")
    return VersionsPage(key, [v for _, v in versions], next_marker, marker)


def _timestamp(when: datetime) -> float:
    try:
        return when.timestamp()
    except (OverflowError, ValueError, OSError):
        return float("-inf")


@dataclass(frozen=True)
class ObjectHead:
    """``head_object`` of one version: what the versions view shows for it."""

    key: str
    version_id: str | None
    replication_status: str | None  # PENDING | COMPLETED | FAILED | REPLICA | None (not replicated)
    size: int | None = None
    storage_class: str | None = None
    encryption: str | None = None
    kms_key: str | None = None
    delete_marker: bool = False


def head(
    clients: Clients, bucket: str, region: str | None, key: str, version_id: str | None = None, *,
    owner: str | None = None,
) -> ObjectHead:
    """The replication status (and a few headers) of one version: one ``head_object``."""
    kwargs = with_owner({"Bucket": bucket, "Key": key}, owner)
    if version_id and version_id != "null":
        kwargs["VersionId"] = version_id
    profile = profile_of(clients)
    try:
        answer = clients("s3", region).head_object(**kwargs)
    except ClientError as exc:
        headers = (exc.response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
        if headers.get("x-amz-delete-marker") == "true" or error_code(exc) in ("405", "MethodNotAllowed"):
            return ObjectHead(key, version_id, None, delete_marker=True)
        raise explain(exc, profile=profile, what=f"s3.head_object on s3://{bucket}/{key}") from exc
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"s3.head_object on s3://{bucket}/{key}") from exc
    return ObjectHead(
        key,
        answer.get("VersionId") or version_id,
        answer.get("ReplicationStatus"),
        answer.get("ContentLength"),
        answer.get("StorageClass") or "STANDARD",
        answer.get("ServerSideEncryption"),
        answer.get("SSEKMSKeyId"),
    )
