"""gather_inputs end to end against moto; identities; endpoints that fail; invalid keys."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import boto3
import pytest

from s3xrep_tui.aws.clients import Clients
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.identity import caller_identity
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions

from .conftest import DEST_ID, SOURCE_ID, Accounts, moto_api

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "batchoperations.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def world(accounts: Accounts) -> dict[str, Any]:
    a, b = accounts.source("s3"), accounts.dest("s3")
    a.create_bucket(Bucket="g-src")
    a.put_bucket_versioning(Bucket="g-src", VersioningConfiguration={"Status": "Enabled"})
    a.create_bucket(Bucket="g-src-reports")
    b.create_bucket(Bucket="g-dst", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    iam = accounts.source("iam")
    iam.create_role(RoleName="s3xrep-batch-g-src", AssumeRolePolicyDocument=json.dumps(TRUST))
    iam.put_role_policy(RoleName="s3xrep-batch-g-src", PolicyName="s3xrep-batch",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "s3:InitiateReplication", "Resource": "arn:aws:s3:::g-src/*"}]}))
    key = accounts.dest("kms", "eu-west-1").create_key(Description="replica")["KeyMetadata"]
    return {"key": key}


def test_caller_identity(accounts: Accounts) -> None:
    source = caller_identity(accounts.source)
    assert source.id == SOURCE_ID and source.partition == "aws"
    assert source.arn == f"arn:aws:sts::{SOURCE_ID}:assumed-role/any/s3xrep-test"
    assert caller_identity(accounts.dest).id == DEST_ID


def test_gather_inputs_end_to_end(accounts: Accounts, world: dict[str, Any]) -> None:
    options = MigrationOptions(replica_kms_key=world["key"]["Arn"], report_bucket="g-src-reports")
    started = time.perf_counter()
    inputs = gather_inputs(accounts.source, accounts.dest, "g-src", "g-dst", options)
    elapsed = time.perf_counter() - started
    assert inputs.source_account.id == SOURCE_ID and inputs.destination_account.id == DEST_ID
    assert inputs.cross_account and inputs.options == options
    assert inputs.source.versioned and inputs.source.bucket.region == "us-east-1"
    assert inputs.destination.owner_account_id == DEST_ID and inputs.destination.bucket.region == "eu-west-1"
    assert not inputs.destination.versioned
    assert inputs.replication_role is not None and inputs.replication_role.name == "s3xrep-repl-g-src"
    assert not inputs.replication_role.exists
    batch = inputs.batch_role
    assert batch is not None and batch.exists and batch.trust_policy == TRUST
    assert set(batch.inline_policies) == {"s3xrep-batch"}
    key = inputs.replica_key
    assert key is not None and key.manager == "CUSTOMER" and key.region == "eu-west-1" and key.account_id == DEST_ID
    assert inputs.report_bucket is not None and inputs.report_bucket.owner_account_id == SOURCE_ID
    assert inputs.manifest_bucket is None
    assert elapsed < 10, elapsed


def test_gather_single_role_and_no_backfill(accounts: Accounts, world: dict[str, Any]) -> None:
    single = gather_inputs(accounts.source, accounts.dest, "g-src", "g-dst", MigrationOptions(single_role=True))
    assert single.replication_role is not None and single.replication_role == single.batch_role
    assert single.replication_role.name == "s3xrep-g-src"
    live_only = gather_inputs(accounts.source, accounts.dest, "g-src", "g-dst", MigrationOptions(replicate_existing=False))
    assert live_only.batch_role is None and live_only.replica_key is None


def test_gather_with_missing_buckets(accounts: Accounts, world: dict[str, Any]) -> None:
    inputs = gather_inputs(accounts.source, accounts.dest, "g-src", "g-missing-dst",
                           MigrationOptions(manifest_bucket="g-missing-manifests"))
    assert not inputs.destination.exists and inputs.destination.owner_account_id == DEST_ID
    assert inputs.manifest_bucket is not None and not inputs.manifest_bucket.exists
    assert inputs.manifest_bucket.owner_account_id == SOURCE_ID  # tried first; a 404 ends the search


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_endpoint_that_does_not_answer(accounts: Accounts) -> None:
    # Built like every other Clients (5 attempts, standard retries): connection
    # refused fails fast, the whole retry cycle takes about a second here.
    down = Clients(boto3.Session(aws_access_key_id="AKIAS3XREPTESTDOWN01", aws_secret_access_key="s" * 40,
                                 region_name="us-east-1"), endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    started = time.perf_counter()
    with pytest.raises(AwsError) as info:
        gather_inputs(accounts.source, down, "g-src", "g-dst", MigrationOptions())
    assert time.perf_counter() - started < 20
    error = info.value
    assert error.code == "EndpointUnreachable"
    assert error.message.startswith("destination (the ambient credentials): sts.get_caller_identity: the endpoint")
    assert "does not answer" in error.message and "s" * 40 not in error.message


def test_invalid_keys(endpoint: str, accounts: Accounts) -> None:
    # moto accepts any key until authentication is switched on (reset-auth 0).
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    bad = Clients(boto3.Session(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key=secret,
                                region_name="us-east-1"), endpoint_url=endpoint)
    previous = moto_api(endpoint, "reset-auth", b"0")["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]
    try:
        with pytest.raises(AwsError) as info:
            gather_inputs(bad, accounts.dest, "g-src", "g-dst", MigrationOptions())
    finally:
        moto_api(endpoint, "reset-auth", str(previous).encode())
    error = info.value
    assert error.code == "InvalidClientTokenId"
    assert error.message.startswith("source (the ambient credentials): sts.get_caller_identity:")
    assert "invalid or expired keys" in error.message
    assert secret not in error.message + error.fix and "AKIAIOSFODNN7EXAMPLE" not in error.message + error.fix


def test_access_denied_on_one_read_names_the_call_and_permission(endpoint: str, accounts: Accounts,
                                                                  world: dict[str, Any]) -> None:
    from s3xrep_tui.aws.inspect import inspect_bucket

    iam = accounts.source("iam")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="almost", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "s3:GetBucketPolicy", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = Clients(boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                                   region_name="us-east-1"), endpoint_url=endpoint)
    previous = moto_api(endpoint, "reset-auth", b"0")["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]
    try:
        with pytest.raises(AwsError) as info:
            inspect_bucket(reader, "g-src", SOURCE_ID)
    finally:
        moto_api(endpoint, "reset-auth", str(previous).encode())
    error = info.value
    assert error.code == "AccessDenied"
    assert error.message.startswith("s3.get_bucket_policy on bucket 'g-src': access denied to GetBucketPolicy")
    assert "s3:GetBucketPolicy" in error.message and "s3:GetBucketPolicy" in error.fix
    assert key["SecretAccessKey"] not in error.message + error.fix


def test_bad_bucket_names_are_value_errors_before_any_call(accounts: Accounts) -> None:
    down = Clients(boto3.Session(aws_access_key_id="AKIAS3XREPTESTDOWN02", aws_secret_access_key="s" * 40,
                                 region_name="us-east-1"), endpoint_url=f"http://127.0.0.1:{_closed_port()}")
    with pytest.raises(ValueError, match="Bad_Name"):
        gather_inputs(down, down, "g-src", "Bad_Name", MigrationOptions())
