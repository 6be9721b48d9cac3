"""S3 Inventory as part of a plan: our configuration, its reports bucket and the delivery policy statement.

"Amazon S3 Inventory" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html):
an all-versions report adds ``IsDeleteMarker`` (and ``version_id``, ``is_latest``)
by itself; the optional fields are what verification compares. The reports
bucket must be in the source bucket's Region, and its policy must let
``s3.amazonaws.com`` put the report ("Granting permissions for S3 Inventory and
S3 analytics", https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html).
"""

from __future__ import annotations

INVENTORY_ID = "s3xrep-all-versions"
#: the optional fields verification reads (IsDeleteMarker comes with IncludedObjectVersions=All)
INVENTORY_FIELDS = ("Size", "LastModifiedDate", "ETag", "IsMultipartUploaded", "StorageClass", "ReplicationStatus",
                    "EncryptionStatus", "ChecksumAlgorithm")
