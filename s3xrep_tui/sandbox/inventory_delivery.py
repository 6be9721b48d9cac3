"""S3 Inventory reports, written into the destination bucket in AWS's documented layout (moto writes none).

"Locating your inventory list" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html)::

    <prefix>/<source-bucket>/<config-id>/YYYY-MM-DDTHH-MMZ/manifest.json
    <prefix>/<source-bucket>/<config-id>/YYYY-MM-DDTHH-MMZ/manifest.checksum   (MD5 of manifest.json)
    <prefix>/<source-bucket>/<config-id>/data/<uuid>.parquet
    <prefix>/<source-bucket>/<config-id>/hive/dt=YYYY-MM-DD-HH-MM/symlink.txt

The Parquet columns are the page's all-versions names (``bucket, key, version_id,
is_latest, is_delete_marker`` and one per optional field); a null version id is
an empty string, as the page says. Delivery needs the destination bucket's policy
to let ``s3.amazonaws.com`` put the report ("Granting permissions for S3 Inventory
and S3 analytics", https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html):
it is evaluated here with the ``aws:SourceAccount`` / ``aws:SourceArn`` /
``s3:x-amz-acl`` context S3 sends, and a report the policy refuses is not written.

Only Parquet is written (what s3xrep configures); CSV and ORC configurations are skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..core.policy_eval import Request, evaluate
from .inventory import InventoryConfigurations
from .listing import newest_first, sorted_names
from .moto_access import find_bucket, is_delete_marker, s3_backend

log = logging.getLogger(__name__)

_STRING = pa.string()
#: optional field -> (column, arrow type, Parquet schema line) ("Locating your inventory list", Parquet example)
FIELD_COLUMNS: dict[str, tuple[str, Any, str]] = {
    "Size": ("size", pa.int64(), "optional int64 size"),
    "LastModifiedDate": ("last_modified_date", pa.timestamp("ms"), "optional int64 last_modified_date (TIMESTAMP_MILLIS)"),
    "ETag": ("e_tag", _STRING, "optional binary e_tag (UTF8)"),
    "StorageClass": ("storage_class", _STRING, "optional binary storage_class (UTF8)"),
    "IsMultipartUploaded": ("is_multipart_uploaded", pa.bool_(), "optional boolean is_multipart_uploaded"),
    "ReplicationStatus": ("replication_status", _STRING, "optional binary replication_status (UTF8)"),
    "EncryptionStatus": ("encryption_status", _STRING, "optional binary encryption_status (UTF8)"),
    "ChecksumAlgorithm": ("checksum_algorithm", _STRING, "optional binary checksum_algorithm (UTF8)"),
}
_ENCRYPTION = {"AES256": "SSE-S3", "aws:kms": "SSE-KMS", "aws:kms:dsse": "DSSE-KMS"}


@dataclass(frozen=True)
class Delivery:
    """One report written (or refused: ``refused`` says why)."""

    source_bucket: str
    config_id: str
    destination_bucket: str
    manifest_key: str | None = None
    rows: int = 0
    refused: str | None = None


def _stamp(now: dt.datetime) -> tuple[str, str]:
    return now.strftime("%Y-%m-%dT%H-%MZ"), now.strftime("%Y-%m-%d-%H-%M")


def _rows(bucket: Any, config: dict[str, Any], status_of: Any) -> tuple[dict[str, list[Any]], list[str]]:
    all_versions = config["IncludedObjectVersions"] == "All"
    fields = [f for f in config.get("OptionalFields") or () if f in FIELD_COLUMNS]
    columns = ["bucket", "key"] + (["version_id", "is_latest", "is_delete_marker"] if all_versions else [])
    columns += [FIELD_COLUMNS[f][0] for f in fields]
    data: dict[str, list[Any]] = {c: [] for c in columns}
    prefix = (config.get("Filter") or {}).get("Prefix") or ""
    store = bucket.keys
    for name in sorted_names(store):
        if not name.startswith(prefix):
            continue
        versions = newest_first(dict.get(store, name) or [])
        if not all_versions:
            versions = versions[:1] if versions and not is_delete_marker(versions[0]) else []
        for position, version in enumerate(versions):
            marker = is_delete_marker(version)
            vid = str(version.version_id)
            data["bucket"].append(bucket.name)
            data["key"].append(name)
            if all_versions:
                data["version_id"].append("" if vid == "null" else vid)
                data["is_latest"].append(position == 0)
                data["is_delete_marker"].append(marker)
            etag = None if marker else str(version.etag).strip('"')
            values = {
                "Size": None if marker else int(version.size),
                "LastModifiedDate": version.last_modified,
                "ETag": etag,
                "StorageClass": None if marker else (version.storage_class or "STANDARD"),
                "IsMultipartUploaded": None if marker else "-" in (etag or ""),
                "ReplicationStatus": None if marker else (status_of(bucket.name, name, vid) or ""),
                "EncryptionStatus": None if marker else _ENCRYPTION.get(version.encryption or "AES256", "SSE-S3"),
                "ChecksumAlgorithm": None if marker else (version.checksum_algorithm or ""),
            }
            for f in fields:
                data[FIELD_COLUMNS[f][0]].append(values[f])
    return data, fields


def _parquet(data: dict[str, list[Any]], fields: list[str]) -> tuple[bytes, str]:
    arrow_fields = [pa.field("bucket", _STRING, nullable=False), pa.field("key", _STRING, nullable=False)]
    schema_lines = ["required binary bucket (UTF8)", "required binary key (UTF8)"]
    if "version_id" in data:
        arrow_fields += [pa.field("version_id", _STRING), pa.field("is_latest", pa.bool_()),
                         pa.field("is_delete_marker", pa.bool_())]
        schema_lines += ["optional binary version_id (UTF8)", "optional boolean is_latest",
                         "optional boolean is_delete_marker"]
    for f in fields:
        column, kind, line = FIELD_COLUMNS[f]
        arrow_fields.append(pa.field(column, kind))
        schema_lines.append(line)
    table = pa.table({f.name: pa.array(data[f.name], f.type) for f in arrow_fields}, schema=pa.schema(arrow_fields))
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="snappy")
    return buffer.getvalue(), "message s3.inventory { " + "; ".join(schema_lines) + ";}"


def _delivery_allowed(destination: Any, source: Any, key: str) -> str | None:
    """None when the destination's bucket policy lets S3 Inventory write ``key``; else why not."""
    if destination.policy is None:
        return f"the bucket policy of {destination.name} does not let s3.amazonaws.com put inventory reports"
    document = json.loads(destination.policy)
    request = Request(principal="s3.amazonaws.com", action="s3:PutObject",
                      resource=f"arn:aws:s3:::{destination.name}/{key}",
                      context={"aws:SourceAccount": source.account_id, "aws:SourceArn": f"arn:aws:s3:::{source.name}",
                               "s3:x-amz-acl": "bucket-owner-full-control"})
    if not evaluate(document, request).allowed:
        return f"the bucket policy of {destination.name} does not let s3.amazonaws.com put {key}"
    return None


class InventoryDelivery:
    """Writes the reports of every enabled Parquet configuration: on demand, and every ``interval`` seconds."""

    def __init__(self, configurations: InventoryConfigurations, status_of: Any, *, interval: float | None = None,
                 clock: Any = None) -> None:
        self.configurations = configurations
        self.status_of = status_of  # (bucket, key, version id) -> ReplicationStatus or None
        self.interval = interval
        self._clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._lock = threading.Lock()  # one delivery at a time
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.deliveries: list[Delivery] = []

    def start(self) -> None:
        if self.interval and self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-inventory", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.wait(self.interval or 60.0):
            try:
                self.deliver()
            except Exception:  # the schedule goes on whatever one report did
                log.exception("inventory delivery failed")

    def deliver(self, bucket: str | None = None, config_id: str | None = None) -> list[Delivery]:
        """Deliver now (the sandbox's control hook): every configuration, or those of ``bucket`` / ``config_id``."""
        with self._lock:
            done = []
            for name in [bucket] if bucket else self.configurations.buckets():
                for config in self.configurations.of(name):
                    if config_id not in (None, config["Id"]) or not config["IsEnabled"]:
                        continue
                    if config["Destination"]["S3BucketDestination"]["Format"] != "Parquet":
                        continue
                    done.append(self._deliver_one(name, config))
            self.deliveries.extend(done)
            return done

    def _deliver_one(self, name: str, config: dict[str, Any]) -> Delivery:
        dest = config["Destination"]["S3BucketDestination"]
        dest_name = str(dest["Bucket"]).split(":::", 1)[-1]
        source, destination = find_bucket(name), find_bucket(dest_name)
        refused = None
        if source is None or destination is None:
            refused = f"bucket {name if source is None else dest_name} does not exist"
        elif dest.get("AccountId") and dest["AccountId"] != destination.account_id:
            refused = f"{dest_name} is not owned by account {dest['AccountId']}"
        elif destination.region_name != source.region_name:
            refused = "the destination bucket must be in the source bucket's Region"
        base = "/".join(p for p in (str(dest.get("Prefix") or "").strip("/"), name, config["Id"]) if p)
        now = self._clock()
        folder, hive = _stamp(now)
        data_key = f"{base}/data/{uuid.uuid4()}.parquet"
        if refused is None:
            refused = _delivery_allowed(destination, source, data_key)
        if refused is not None:
            log.info("inventory %s of %s not delivered: %s", config["Id"], name, refused)
            return Delivery(name, config["Id"], dest_name, refused=refused)
        data, fields = _rows(source, config, self.status_of)
        body, file_schema = _parquet(data, fields)
        manifest = {
            "sourceBucket": name,
            "destinationBucket": f"arn:aws:s3:::{dest_name}",
            "version": "2016-11-30",
            "creationTimestamp": str(int(now.timestamp() * 1000)),
            "fileFormat": "Parquet",
            "fileSchema": file_schema,
            "files": [{"key": data_key, "size": len(body), "MD5checksum": hashlib.md5(body).hexdigest()}],
        }
        manifest_body = json.dumps(manifest, indent=2).encode()
        backend = s3_backend(destination.account_id)
        # data first, the manifest's checksum last: a reader that finds the checksum finds a whole report
        backend.put_object(dest_name, data_key, body, disable_notification=True)
        backend.put_object(dest_name, f"{base}/hive/dt={hive}/symlink.txt",
                           f"s3://{dest_name}/{data_key}\n".encode(), disable_notification=True)
        backend.put_object(dest_name, f"{base}/{folder}/manifest.json", manifest_body, disable_notification=True)
        backend.put_object(dest_name, f"{base}/{folder}/manifest.checksum",
                           hashlib.md5(manifest_body).hexdigest().encode(), disable_notification=True)
        return Delivery(name, config["Id"], dest_name, f"{base}/{folder}/manifest.json", len(data["key"]))
