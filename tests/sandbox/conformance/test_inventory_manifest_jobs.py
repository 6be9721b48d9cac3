"""Batch Replication jobs whose manifest is an S3 Inventory report (``S3InventoryReport_CSV_20161130``),
driven by the stock AWS CLI.

"Creating an S3 Batch Operations job", Specifying a manifest
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html): an existing
CSV-formatted S3 Inventory report can be the manifest: the job names its manifest.json and that
object's ETag (JobManifestLocation, https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestLocation.html;
JobManifestSpec: S3BatchOperations_CSV_20180820 | S3InventoryReport_CSV_20161130,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestSpec.html).
"Converting empty version ID strings in Amazon S3 Inventory reports to null strings"
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/inventory-configure-bops.html): a job fails
the tasks of versions whose version id is an empty string.
"""

from __future__ import annotations

import json

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT

from ..helpers import make_setup, policy, rule, wait_for
from .conftest import as_json
from .test_csv_manifest import BATCH_TRUST, _ended
from .test_inventory import FIELDS, delivery_policy

SPEC = {"Format": "S3InventoryReport_CSV_20161130"}


def _inventory(s, fmt: str) -> dict:
    s.s3a.create_bucket(Bucket=f"{s.src}-inv")
    s.s3a.put_bucket_policy(Bucket=f"{s.src}-inv", Policy=delivery_policy(f"{s.src}-inv", s.src))
    s.s3a.put_bucket_inventory_configuration(Bucket=s.src, Id="inv", InventoryConfiguration={
        "Id": "inv", "IsEnabled": True, "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Daily"},
        "OptionalFields": FIELDS, "Destination": {"S3BucketDestination": {
            "Bucket": f"arn:aws:s3:::{s.src}-inv", "Format": fmt, "AccountId": SOURCE_ACCOUNT}}})
    [delivery] = s.sandbox.deliver_inventory(s.src)
    assert delivery.refused is None
    head = s.s3a.head_object(Bucket=f"{s.src}-inv", Key=delivery.manifest_key)
    return {"ObjectArn": f"arn:aws:s3:::{s.src}-inv/{delivery.manifest_key}", "ETag": head["ETag"].strip('"')}


def _job(aws, s, location: dict) -> str:
    arn = s.iam.create_role(RoleName=f"{s.src}-batch", AssumeRolePolicyDocument=json.dumps(BATCH_TRUST))["Role"]["Arn"]
    s.iam.put_role_policy(RoleName=f"{s.src}-batch", PolicyName="b", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:InitiateReplication", "Resource": f"arn:aws:s3:::{s.src}/*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{s.src}-inv/*"}))
    return aws("s3control", "create-job", "--account-id", SOURCE_ACCOUNT, "--no-confirmation-required",
               "--operation", as_json({"S3ReplicateObject": {}}), "--report", as_json({"Enabled": False}),
               "--manifest", as_json({"Spec": SPEC, "Location": location}), "--priority", "10",
               "--role-arn", arn)["JobId"]


def test_a_csv_inventory_report_is_a_manifest_of_every_version_it_lists(aws, sandbox):
    s = make_setup(sandbox, src="invm-src", dst="invm-dst", replicate=False)
    keys = ["a.txt", "b c+é.txt"]
    versions = [(k, s.s3a.put_object(Bucket=s.src, Key=k, Body=body)["VersionId"]) for k in keys for body in (b"1", b"22")]
    s.put_rules(rule(s.dst))  # the objects predate the rule: only a Batch job replicates them
    job = _ended(sandbox.clients(SOURCE_ACCOUNT)("s3control"), _job(aws, s, _inventory(s, "CSV")))
    assert job["Status"] == "Complete" and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 4
    for key, version in versions:
        assert s.s3b.head_object(Bucket=s.dst, Key=key, VersionId=version)["ReplicationStatus"] == "REPLICA"


def test_a_parquet_report_cannot_be_a_manifest(aws, sandbox):
    s = make_setup(sandbox, src="invp-src", dst="invp-dst")
    s.s3a.put_object(Bucket=s.src, Key="x", Body=b"x")
    job = _ended(sandbox.clients(SOURCE_ACCOUNT)("s3control"), _job(aws, s, _inventory(s, "Parquet")))
    assert job["Status"] == "Failed" and job["FailureReasons"][0]["FailureCode"] == "InvalidManifest"
    assert "CSV-formatted" in job["FailureReasons"][0]["FailureReason"]


def test_an_empty_version_id_fails_its_task(aws, sandbox):
    s = make_setup(sandbox, src="invn-src", dst="invn-dst", replicate=False)
    s.s3a.put_bucket_versioning(Bucket=s.src, VersioningConfiguration={"Status": "Suspended"})
    s.s3a.put_object(Bucket=s.src, Key="null-version", Body=b"n")  # version id "null": empty in the report
    s.s3a.put_bucket_versioning(Bucket=s.src, VersioningConfiguration={"Status": "Enabled"})
    s.s3a.put_object(Bucket=s.src, Key="versioned", Body=b"v")
    s.put_rules(rule(s.dst))
    job = _ended(sandbox.clients(SOURCE_ACCOUNT)("s3control"), _job(aws, s, _inventory(s, "CSV")))
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 1 and job["ProgressSummary"]["NumberOfTasksFailed"] == 1
    wait_for(lambda: s.s3b.list_object_versions(Bucket=s.dst, Prefix="versioned").get("Versions"), what="the replica")
    assert not s.s3b.list_object_versions(Bucket=s.dst, Prefix="null-version").get("Versions")
