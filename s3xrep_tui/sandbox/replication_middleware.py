"""The S3 side of the replication emulation: validate and store configurations, watch writes,
refuse what S3 refuses, and add ``x-amz-replication-status`` to reads.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from xml.sax.saxutils import unescape

from werkzeug.wrappers import Response

from .canonical_ids import canonical_user_id
from .moto_access import find_bucket
from .replica_sync import sync_tags
from .replication import ReplicationEngine
from .replication_config import (
    parse_replication_xml,
    replication_xml,
    validate_replication,
)
from .server import Call, Forward, s3_error

_OBJECT_SUBRESOURCES = frozenset(
    {"tagging", "acl", "retention", "legal-hold", "uploadId", "partNumber", "restore", "attributes", "select", "torrent", "uploads"}
)
_MOTO_OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"  # moto's fixed object owner id
_MOTO_LIST_BUCKETS_OWNER = "bcaf1ffd86f41161ca5fb16fd081034f"  # moto's fixed ListBuckets owner id
MSG_SUSPEND_REPLICATING = (
    "A replication configuration is present on this bucket, so you cannot change the versioning state. "
    "To change the versioning state, first delete the replication configuration."
)
MSG_SUSPEND_LOCKED = "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed."


class ReplicationMiddleware:
    """Validation, configuration round-trip, write watching and status headers for S3 calls."""

    def __init__(self, engine: ReplicationEngine) -> None:
        self.engine = engine

    def __call__(self, call: Call, forward: Forward) -> Response:
        if call.service != "s3" or call.is_s3control:
            return forward()
        if not call.bucket:
            response = forward()
            if call.method == "GET" and response.status_code == 200:  # ListBuckets: the caller's owner id
                self._rewrite_owner_ids(response, call.account_id)
            return response
        bucket = find_bucket(call.bucket)
        if call.key is None:
            return self._bucket_call(call, bucket, forward)
        return self._object_call(call, forward)

    # -- bucket-level

    def _bucket_call(self, call: Call, bucket: Any, forward: Forward) -> Response:
        args, method = call.args, call.method
        if "replication" in args:
            if method == "PUT":
                return self._put_replication(call, bucket, forward)
            if method == "GET":
                config = self.engine.configuration(call.bucket or "")
                if config is None or bucket is None:
                    return forward()
                return Response(replication_xml(config, call.bucket or ""), status=200, content_type="application/xml")
            if method == "DELETE":
                response = forward()
                if response.status_code < 300:
                    self.engine.set_configuration(call.bucket or "", None)
                return response
        if "versioning" in args and method == "PUT" and bucket is not None:
            if b"Suspended" in call.body:
                if self.engine.configuration(bucket.name) is not None:
                    return s3_error("InvalidBucketState", MSG_SUSPEND_REPLICATING, 409)
                if bucket.object_lock_enabled:
                    return s3_error("InvalidBucketState", MSG_SUSPEND_LOCKED, 409)
            return forward()
        if "acl" in args and method == "GET" and bucket is not None:  # GetBucketAcl: the bucket owner's id
            response = forward()
            if response.status_code == 200:
                self._rewrite_owner_ids(response, bucket.account_id)
            return response
        if "delete" in args and method == "POST":
            response = forward()
            if response.status_code == 200:
                self._after_delete_objects(call, response)
            return response
        if method == "DELETE" and not args:
            response = forward()
            if response.status_code < 300:
                self.engine.set_configuration(call.bucket or "", None)
            return response
        return forward()

    def _put_replication(self, call: Call, bucket: Any, forward: Forward) -> Response:
        if bucket is None or bucket.versioning_status != "Enabled":
            return forward()  # moto answers NoSuchBucket / "Versioning must be 'Enabled' ..." itself
        try:
            config = parse_replication_xml(call.body)
        except Exception:
            return s3_error("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        error = validate_replication(config, bucket.name)
        if error is not None:
            return error
        response = forward()
        if response.status_code == 200:
            for rule in config["Rules"]:
                if not rule.get("ID"):
                    rule["ID"] = uuid.uuid4().hex  # S3 names unnamed rules
            self.engine.set_configuration(bucket.name, config)
        return response

    def _after_delete_objects(self, call: Call, response: Response) -> None:
        body = response.get_data(as_text=True)
        for block in re.findall(r"<Deleted>(.*?)</Deleted>", body, flags=re.S):
            marker_id = _xml_text(block, "DeleteMarkerVersionId")
            if marker_id and _xml_text(block, "DeleteMarker") == "true" and not _xml_text(block, "VersionId"):
                key = _xml_text(block, "Key")
                if key is not None:
                    self.engine.on_write(call.bucket or "", key, marker_id, call.account_id)

    @staticmethod
    def _rewrite_owner_ids(response: Response, account: str) -> None:
        """ListBuckets, Get{Bucket,Object}Acl: moto's fixed owner ids made ``account``'s canonical id.

        (ListObjectVersions' per-version owners are listing.py's: it answers that call.)
        """
        body = response.get_data(as_text=True).replace(_MOTO_LIST_BUCKETS_OWNER, _MOTO_OWNER)
        if _MOTO_OWNER in body:
            response.set_data(body.replace(_MOTO_OWNER, canonical_user_id(account)))

    # -- object-level

    def _object_call(self, call: Call, forward: Forward) -> Response:
        args, method = call.args, call.method
        subresource = any(name in args for name in _OBJECT_SUBRESOURCES)
        bucket_name, key = call.bucket or "", call.key or ""
        if "tagging" in args and method in ("PUT", "DELETE"):
            response = forward()
            if response.status_code < 300:  # tags follow the object (and a replica's, with ReplicaModifications)
                sync_tags(self.engine, bucket_name, key, args.get("versionId"))
            return response
        if method == "PUT" and not subresource:
            response = forward()  # PutObject or CopyObject
            self._after_write(call, response)
            return response
        if method == "POST" and "uploadId" in args:
            response = forward()  # CompleteMultipartUpload
            self._after_write(call, response)
            return response
        if method == "DELETE" and not subresource and "versionId" not in args:
            response = forward()
            if response.status_code < 300 and response.headers.get("x-amz-delete-marker") == "true":
                version_id = response.headers.get("x-amz-version-id")
                if version_id:
                    self.engine.on_write(bucket_name, key, version_id, call.account_id)
            return response
        if method == "GET" and "acl" in args:
            response = forward()
            if response.status_code == 200:  # GetObjectAcl: the owner of that version, as listings show it
                self._rewrite_owner_ids(response, self._object_owner(bucket_name, key, args.get("versionId")))
            return response
        if method in ("GET", "HEAD") and not subresource:
            response = forward()
            if response.status_code in (200, 206, 304):
                # the null version (written before versioning) comes back without a version id header
                version_id = response.headers.get("x-amz-version-id") or args.get("versionId") or "null"
                status = self.engine.status(bucket_name, key, version_id)
                if status:
                    response.headers["x-amz-replication-status"] = status
            return response
        return forward()

    def _object_owner(self, bucket_name: str, key: str, version_id: str | None) -> str:
        bucket = find_bucket(bucket_name)
        if bucket is None:
            return ""
        if version_id is None:
            current = bucket.keys.get(key)
            version_id = str(current.version_id) if current is not None else "null"
        return self.engine.owner(bucket_name, key, version_id) or bucket.account_id

    def _after_write(self, call: Call, response: Response) -> None:
        if response.status_code != 200:
            return
        version_id = response.headers.get("x-amz-version-id")
        if version_id and version_id != "null":
            self.engine.on_write(call.bucket or "", call.key or "", version_id, call.account_id)
        elif call.bucket and call.key:
            self.engine.record_owner(call.bucket, call.key, "null", call.account_id)


def _xml_text(block: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", block, flags=re.S)
    return unescape(match.group(1), {"&quot;": '"', "&apos;": "'"}) if match else None
