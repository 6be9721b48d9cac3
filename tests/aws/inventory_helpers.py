"""Inventories on both sides of a sandbox pair, configured with boto3 and delivered on demand."""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.core.inventory_plan import INVENTORY_FIELDS, INVENTORY_ID
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT


def delivery_policy(reports: str, source: str, account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "InventoryDelivery", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{reports}/*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"},
                      "StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"}}}]})


def configure(s3: Any, bucket: str, account: str, reports: str | None = None) -> str:
    """Our inventory configuration on ``bucket``, delivered to ``reports`` (made, with its policy)."""
    reports = reports or f"{bucket}-inv"
    s3.create_bucket(Bucket=reports)
    s3.put_bucket_policy(Bucket=reports, Policy=delivery_policy(reports, bucket, account))
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id=INVENTORY_ID, InventoryConfiguration={
        "Id": INVENTORY_ID, "IsEnabled": True, "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Daily"},
        "OptionalFields": list(INVENTORY_FIELDS),
        "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{reports}", "Format": "Parquet",
                                                "AccountId": account}}})
    return reports


def configure_pair(setup: Any) -> None:
    configure(setup.s3a, setup.src, SOURCE_ACCOUNT)
    configure(setup.s3b, setup.dst, DESTINATION_ACCOUNT)


def deliver_pair(sandbox: Any, setup: Any) -> None:
    for bucket in (setup.src, setup.dst):
        deliveries = sandbox.deliver_inventory(bucket)
        assert deliveries and all(d.refused is None for d in deliveries), deliveries
