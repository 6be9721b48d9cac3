"""Inspection against the S3 behaviour moto 5.2.5 lacks, as the sandbox emulates it.

moto ignores ``ExpectedBucketOwner`` and does not implement Request Payment;
the sandbox's ``BucketSettingsMiddleware`` answers like S3 (403 with an empty
body and the ``x-amz-bucket-region`` header for HEAD, AccessDenied XML
otherwise, the stored payer), so the real request/response path of
inspect_bucket and gather_inputs is exercised.
"""

from __future__ import annotations

from typing import Any

import pytest

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.inspect import bucket_region, gather_inputs, inspect_bucket
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.sandbox.bucket_settings import BucketSettingsMiddleware

from .conftest import DEST_ID, SOURCE_ID, Accounts

SANDBOX_MIDDLEWARES = [BucketSettingsMiddleware()]


@pytest.fixture(scope="module")
def world(accounts: Accounts) -> dict[str, Any]:
    a, b = accounts.source("s3"), accounts.dest("s3")
    a.create_bucket(Bucket="em-src")
    a.put_bucket_versioning(Bucket="em-src", VersioningConfiguration={"Status": "Enabled"})
    a.put_bucket_request_payment(Bucket="em-src", RequestPaymentConfiguration={"Payer": "Requester"})
    a.create_bucket(Bucket="em-src-reports")
    b.create_bucket(Bucket="em-dst")
    eu = accounts.dest("s3", "eu-west-1")
    eu.create_bucket(Bucket="em-dst-manifests", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    return {}


def test_requester_pays(accounts: Accounts, world: dict[str, Any]) -> None:
    assert inspect_bucket(accounts.source, "em-src", SOURCE_ID).requester_pays
    assert not inspect_bucket(accounts.source, "em-src-reports", SOURCE_ID).requester_pays


def test_bucket_of_another_account(accounts: Accounts, world: dict[str, Any]) -> None:
    with pytest.raises(AwsError) as info:
        inspect_bucket(accounts.dest, "em-src", DEST_ID)
    error = info.value
    assert error.code == "BucketOwnedByAnotherAccount"
    assert error.message.startswith(f"bucket 'em-src' is not owned by account {DEST_ID}")
    # the region still comes from the 403's x-amz-bucket-region header
    assert bucket_region(accounts.dest, "em-src", DEST_ID) == "us-east-1"


def test_gather_finds_the_owner_of_report_and_manifest_buckets(accounts: Accounts, world: dict[str, Any]) -> None:
    options = MigrationOptions(report_bucket="em-src-reports", manifest_bucket="em-dst-manifests")
    inputs = gather_inputs(accounts.source, accounts.dest, "em-src", "em-dst", options)
    assert inputs.report_bucket is not None and inputs.report_bucket.owner_account_id == SOURCE_ID
    manifest = inputs.manifest_bucket
    assert manifest is not None and manifest.owner_account_id == DEST_ID  # source said 403, destination owns it
    assert manifest.bucket.region == "eu-west-1"
    assert inputs.source.requester_pays


def test_gather_refuses_a_destination_of_the_source_account(accounts: Accounts, world: dict[str, Any]) -> None:
    with pytest.raises(AwsError) as info:
        gather_inputs(accounts.source, accounts.dest, "em-src", "em-src-reports", MigrationOptions())
    assert info.value.code == "BucketOwnedByAnotherAccount"
    assert info.value.message.startswith("destination (the ambient credentials): bucket 'em-src-reports'")
