"""AWS behaviour moto 5.2.5 lacks, emulated in front of it, to test our side over HTTP.

moto ignores ``ExpectedBucketOwner`` and does not implement Request Payment.
The two middlewares below answer like S3 does (403 with an empty body and the
``x-amz-bucket-region`` header for HEAD; AccessDenied XML otherwise; the
``RequestPaymentConfiguration`` document) so the real request/response path of
inspect_bucket and gather_inputs is exercised.
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.wrappers import Response

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.inspect import bucket_region, gather_inputs, inspect_bucket
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.sandbox.server import Call, Forward, s3_error

from .conftest import DEST_ID, SOURCE_ID, Accounts

_payers: dict[str, str] = {}


def _bucket_home(bucket: str) -> tuple[str, str] | None:
    """(owner account, region) of a bucket in moto's backend."""
    from moto.s3.models import s3_backends

    found = s3_backends.bucket_accounts.get(bucket)
    if found is None:
        return None
    partition, account = found
    return account, s3_backends[account][partition].buckets[bucket].region_name


def expected_owner(call: Call, forward: Forward) -> Response:
    expected = call.request.headers.get("x-amz-expected-bucket-owner")
    if call.service == "s3" and not call.is_s3control and call.bucket and expected:
        home = _bucket_home(call.bucket)
        if home is not None and home[0] != expected:
            if call.method == "HEAD":
                return Response(status=403, headers={"x-amz-bucket-region": home[1]})
            return s3_error("AccessDenied", "Access Denied", 403)
    return forward()


def request_payment(call: Call, forward: Forward) -> Response:
    if call.service == "s3" and call.bucket and not call.key and "requestPayment" in call.args:
        if call.method == "PUT":
            _payers[call.bucket] = "Requester" if b"Requester" in call.body else "BucketOwner"
            return Response(status=200)
        if call.method == "GET":
            payer = _payers.get(call.bucket, "BucketOwner")
            return Response(
                '<?xml version="1.0" encoding="UTF-8"?>\n<RequestPaymentConfiguration '
                f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>{payer}</Payer></RequestPaymentConfiguration>',
                content_type="application/xml",
            )
    return forward()


SANDBOX_MIDDLEWARES = [expected_owner, request_payment]


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
