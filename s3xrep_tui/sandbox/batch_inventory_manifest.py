"""Batch Operations jobs whose manifest is an S3 Inventory report (``S3InventoryReport_CSV_20161130``).

"Creating an S3 Batch Operations job", Specifying a manifest
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html): the job names the
report's ``manifest.json`` (and its ETag); only a CSV-formatted inventory report can be a manifest
(the format's name says so too), so an ORC or Parquet report fails the job. The CSV data files are
GZIP-compressed, their columns named by the manifest's ``fileSchema``, keys URL-encoded
("Amazon S3 Inventory"). In an all-versions report a null version id is an empty string, which Batch
Operations does not take: those tasks fail ("Converting empty version ID strings in Amazon S3 Inventory
reports to null strings", https://docs.aws.amazon.com/AmazonS3/latest/userguide/inventory-configure-bops.html);
the string ``null`` is taken.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable
from urllib.parse import unquote_plus

from .batch_manifest import JobFailure, Task

INVENTORY_MANIFEST_FORMAT = "S3InventoryReport_CSV_20161130"


def read_inventory_manifest(body: bytes, read: Callable[[str, str], bytes | None]) -> list[Task]:
    """Tasks of an inventory report's manifest.json; ``read(bucket, key)`` gives a data file (None: not readable)."""
    try:
        manifest = json.loads(body)
    except ValueError as exc:
        raise JobFailure("InvalidManifest", f"The manifest is not an S3 Inventory manifest.json: {exc}") from exc
    fmt = manifest.get("fileFormat")
    if fmt != "CSV":
        raise JobFailure("InvalidManifest", f"Batch Operations reads CSV-formatted S3 Inventory reports only; this "
                                            f"report is {fmt}.")
    columns = [c.strip() for c in str(manifest.get("fileSchema") or "").split(",")]
    if "Bucket" not in columns or "Key" not in columns:
        raise JobFailure("InvalidManifest", "The inventory report's fileSchema has no Bucket and Key.")
    bucket = str(manifest.get("destinationBucket") or "").split(":::", 1)[-1]
    has_version = "VersionId" in columns
    tasks: list[Task] = []
    for entry in manifest.get("files") or ():
        data = read(bucket, str(entry.get("key")))
        if data is None:
            raise JobFailure("ManifestNotReadable", "Reading the manifest is forbidden: AccessDenied")
        for row in csv.reader(io.StringIO(gzip.decompress(data).decode("utf-8"))):
            values = dict(zip(columns, row))
            version = values.get("VersionId", "") if has_version else None
            tasks.append(Task(values["Bucket"], unquote_plus(values["Key"]), version or None,
                              missing_version=has_version and not version))
    if not tasks:
        raise JobFailure("InvalidManifest", "The manifest contains no objects.")
    return tasks
