"""S3 Inventory in the sandbox: configurations (driven by the stock AWS CLI) and the delivered reports.

Pages followed:
* PutBucketInventoryConfiguration / GetBucketInventoryConfiguration / DeleteBucketInventoryConfiguration /
  ListBucketInventoryConfigurations (Amazon S3 API Reference,
  https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBucketInventoryConfigurations.html): up to 1,000
  configurations a bucket, a list page holds at most 100 and continues with NextContinuationToken.
* "Locating your inventory list" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html):
  manifest.json / manifest.checksum (the MD5 of manifest.json) under YYYY-MM-DDTHH-MMZ, data/ files, and
  hive/dt=YYYY-MM-DD-HH-MM/symlink.txt; manifest keys sourceBucket, destinationBucket (an ARN), version,
  creationTimestamp, fileFormat, fileSchema, files[].key/size/MD5checksum; the Parquet column names.
* "Amazon S3 Inventory" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html): a null
  version id is an empty string in an all-versions report; replication_status is empty when not replicated.
* "Granting permissions for S3 Inventory and S3 analytics" (Bucket policy examples,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html): the destination bucket's
  policy lets s3.amazonaws.com PutObject, conditioned on aws:SourceAccount and aws:SourceArn.
"""

from __future__ import annotations

import hashlib
import io
import json

import pyarrow.parquet as pq

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT

from .conftest import as_json

FIELDS = ["Size", "LastModifiedDate", "ETag", "IsMultipartUploaded", "StorageClass", "ReplicationStatus",
          "EncryptionStatus", "ChecksumAlgorithm"]


def _config(config_id: str = "all-versions", reports: str = "reports", **extra) -> dict:
    return {"Id": config_id, "IsEnabled": True, "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Daily"},
            "OptionalFields": FIELDS,
            "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{reports}", "Format": "Parquet",
                                                    "AccountId": SOURCE_ACCOUNT, "Prefix": "inv"}}, **extra}


def delivery_policy(reports: str, source: str, account: str = SOURCE_ACCOUNT) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "InventoryDelivery", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{reports}/*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"},
                      "StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"}}}]})


def test_configurations_round_trip_list_and_delete_with_the_cli(sandbox, aws, source_clients):
    s3 = source_clients("s3")
    s3.create_bucket(Bucket="inv-src")
    s3.create_bucket(Bucket="reports")
    config = _config(Filter={"Prefix": "data/"})
    aws("s3api", "put-bucket-inventory-configuration", "--bucket", "inv-src", "--id", "all-versions",
        "--inventory-configuration", as_json(config))
    got = aws("s3api", "get-bucket-inventory-configuration", "--bucket", "inv-src", "--id", "all-versions")
    assert got["InventoryConfiguration"] == config  # every field as put (moto's own lose OptionalFields)
    listed = aws("s3api", "list-bucket-inventory-configurations", "--bucket", "inv-src")
    assert listed["InventoryConfigurationList"] == [config] and listed["IsTruncated"] is False
    aws("s3api", "delete-bucket-inventory-configuration", "--bucket", "inv-src", "--id", "all-versions")
    # moto would have deleted the (empty) bucket here
    assert s3.head_bucket(Bucket="inv-src")["ResponseMetadata"]["HTTPStatusCode"] == 200
    missing = aws.fails("s3api", "get-bucket-inventory-configuration", "--bucket", "inv-src", "--id", "all-versions")
    assert missing.code == "NoSuchConfiguration"


def test_invalid_fields_and_a_mismatched_id_are_refused(sandbox, aws, source_clients):
    source_clients("s3").create_bucket(Bucket="inv-src")
    bad = _config(OptionalFields=["Size", "NotAField"])
    refused = aws.fails("s3api", "put-bucket-inventory-configuration", "--bucket", "inv-src", "--id", "all-versions",
                        "--inventory-configuration", as_json(bad))
    assert refused.code == "InvalidArgument" and "NotAField" in refused.stderr
    other = aws.fails("s3api", "put-bucket-inventory-configuration", "--bucket", "inv-src", "--id", "other",
                      "--inventory-configuration", as_json(_config()))
    assert other.code == "InvalidArgument"


def test_a_list_page_holds_100_configurations(sandbox, source_clients):
    s3 = source_clients("s3")
    s3.create_bucket(Bucket="inv-src")
    for n in range(101):
        s3.put_bucket_inventory_configuration(Bucket="inv-src", Id=f"c{n:03}", InventoryConfiguration=_config(f"c{n:03}"))
    first = s3.list_bucket_inventory_configurations(Bucket="inv-src")
    assert len(first["InventoryConfigurationList"]) == 100 and first["IsTruncated"] is True
    rest = s3.list_bucket_inventory_configurations(Bucket="inv-src", ContinuationToken=first["NextContinuationToken"])
    assert [c["Id"] for c in rest["InventoryConfigurationList"]] == ["c100"] and rest["IsTruncated"] is False


def _objects(s3, bucket, prefix):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def test_delivery_writes_the_documented_layout(sandbox, source_clients):
    s3 = source_clients("s3")
    s3.create_bucket(Bucket="inv-src")
    s3.put_bucket_versioning(Bucket="inv-src", VersioningConfiguration={"Status": "Enabled"})
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_policy(Bucket="reports", Policy=delivery_policy("reports", "inv-src"))
    v1 = s3.put_object(Bucket="inv-src", Key="a.txt", Body=b"one")["VersionId"]
    s3.put_object(Bucket="inv-src", Key="a.txt", Body=b"two!")
    s3.delete_object(Bucket="inv-src", Key="a.txt")
    s3.put_bucket_inventory_configuration(Bucket="inv-src", Id="all-versions", InventoryConfiguration=_config())

    [delivery] = sandbox.deliver_inventory("inv-src")
    assert delivery.refused is None and delivery.rows == 3
    keys = _objects(s3, "reports", "inv/inv-src/all-versions/")
    manifest_key = delivery.manifest_key
    assert manifest_key in keys and manifest_key.replace("manifest.json", "manifest.checksum") in keys
    assert any(k.startswith("inv/inv-src/all-versions/hive/dt=") and k.endswith("/symlink.txt") for k in keys)
    body = s3.get_object(Bucket="reports", Key=manifest_key)["Body"].read()
    checksum = s3.get_object(Bucket="reports", Key=manifest_key.replace(".json", ".checksum"))["Body"].read()
    assert checksum.decode() == hashlib.md5(body).hexdigest()
    manifest = json.loads(body)
    assert manifest["sourceBucket"] == "inv-src" and manifest["destinationBucket"] == "arn:aws:s3:::reports"
    assert manifest["version"] == "2016-11-30" and manifest["fileFormat"] == "Parquet"
    assert manifest["creationTimestamp"].isdigit() and manifest["fileSchema"].startswith("message s3.inventory {")
    [entry] = manifest["files"]
    data = s3.get_object(Bucket="reports", Key=entry["key"])["Body"].read()
    assert entry["key"].startswith("inv/inv-src/all-versions/data/") and entry["size"] == len(data)
    assert entry["MD5checksum"] == hashlib.md5(data).hexdigest()
    table = pq.read_table(io.BytesIO(data))
    assert table.column_names == ["bucket", "key", "version_id", "is_latest", "is_delete_marker", "size",
                                  "last_modified_date", "e_tag", "is_multipart_uploaded", "storage_class",
                                  "replication_status", "encryption_status", "checksum_algorithm"]
    rows = table.to_pylist()
    assert [r["is_delete_marker"] for r in rows] == [True, False, False]
    assert rows[0]["is_latest"] and rows[0]["size"] is None
    assert rows[2]["version_id"] == v1 and rows[2]["size"] == 3 and rows[2]["replication_status"] == ""
    assert rows[2]["e_tag"] == hashlib.md5(b"one").hexdigest() and rows[2]["encryption_status"] == "SSE-S3"


def test_a_null_version_id_is_an_empty_string(sandbox, source_clients):
    s3 = source_clients("s3")
    s3.create_bucket(Bucket="inv-src")
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_policy(Bucket="reports", Policy=delivery_policy("reports", "inv-src"))
    s3.put_object(Bucket="inv-src", Key="unversioned", Body=b"x")
    s3.put_bucket_inventory_configuration(Bucket="inv-src", Id="all-versions", InventoryConfiguration=_config())
    [delivery] = sandbox.deliver_inventory("inv-src")
    manifest = json.loads(s3.get_object(Bucket="reports", Key=delivery.manifest_key)["Body"].read())
    data = s3.get_object(Bucket="reports", Key=manifest["files"][0]["key"])["Body"].read()
    assert pq.read_table(io.BytesIO(data)).column("version_id").to_pylist() == [""]


def test_no_report_without_the_delivery_policy(sandbox, source_clients):
    s3 = source_clients("s3")
    s3.create_bucket(Bucket="inv-src")
    s3.create_bucket(Bucket="reports")
    s3.put_bucket_inventory_configuration(Bucket="inv-src", Id="all-versions", InventoryConfiguration=_config())
    [refused] = sandbox.deliver_inventory("inv-src")
    assert refused.refused and "bucket policy" in refused.refused
    s3.put_bucket_policy(Bucket="reports", Policy=delivery_policy("reports", "some-other-bucket"))
    [refused] = sandbox.deliver_inventory("inv-src")
    assert refused.refused  # the SourceArn condition names another bucket
    assert _objects(s3, "reports", "") == []
