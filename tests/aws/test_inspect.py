"""inspect_bucket / bucket_region / inspect_role / describe_kms_key against moto over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.inspect import (
    _encryption,
    bucket_region,
    describe_kms_key,
    inspect_bucket,
    inspect_role,
)

from .conftest import DEST_ID, SOURCE_ID, Accounts, account_clients

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
INLINE = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "S3xrepRead", "Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication"],
                   "Resource": "arn:aws:s3:::src-full/*"}],
}
POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Existing", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                   "Resource": ["arn:aws:s3:::dst-full", "arn:aws:s3:::dst-full/*"],
                   "Condition": {"Bool": {"aws:SecureTransport": "false"}}}],
})
LIFECYCLE = [{"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}]


@pytest.fixture(scope="module")
def world(accounts: Accounts) -> dict[str, Any]:
    """Buckets, roles and keys in both accounts, created once per module."""
    a, b = accounts.source("s3"), accounts.dest("s3")
    # source account
    a.create_bucket(Bucket="src-plain")
    a.create_bucket(Bucket="src-full")
    a.put_bucket_versioning(Bucket="src-full", VersioningConfiguration={"Status": "Enabled"})
    key = accounts.source("kms").create_key(Description="src default")["KeyMetadata"]
    a.put_bucket_encryption(
        Bucket="src-full",
        ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["KeyId"]},
            "BucketKeyEnabled": True,
        }]},
    )
    a.put_bucket_ownership_controls(
        Bucket="src-full", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    a.put_bucket_lifecycle_configuration(Bucket="src-full", LifecycleConfiguration={"Rules": LIFECYCLE})
    iam = accounts.source("iam")
    role = iam.create_role(RoleName="existing-repl", AssumeRolePolicyDocument=json.dumps(TRUST),
                           Path="/service-role/")["Role"]
    iam.put_role_policy(RoleName="existing-repl", PolicyName="s3xrep-repl", PolicyDocument=json.dumps(INLINE))
    iam.put_role_policy(RoleName="existing-repl", PolicyName="other", PolicyDocument=json.dumps(TRUST | {
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}))
    iam.create_role(RoleName="bare-role", AssumeRolePolicyDocument=json.dumps(TRUST))
    a.put_bucket_replication(
        Bucket="src-full",
        ReplicationConfiguration={"Role": role["Arn"], "Rules": [{
            "ID": "someone-elses-rule", "Priority": 3, "Status": "Enabled",
            "Filter": {"Prefix": "logs/"},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {"Bucket": "arn:aws:s3:::dst-full", "Account": DEST_ID, "StorageClass": "STANDARD_IA"},
        }]},
    )
    a.create_bucket(Bucket="src-lock", ObjectLockEnabledForBucket=True)
    a.put_object_lock_configuration(
        Bucket="src-lock",
        ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
                                 "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 30}}},
    )
    a.create_bucket(Bucket="src-payer")
    a.put_bucket_request_payment(Bucket="src-payer", RequestPaymentConfiguration={"Payer": "Requester"})
    a.put_bucket_encryption(
        Bucket="src-payer",
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]},
    )
    eu = accounts.source("s3", "eu-west-1")
    eu.create_bucket(Bucket="src-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    eu.put_bucket_versioning(Bucket="src-eu", VersioningConfiguration={"Status": "Suspended"})
    # destination account
    b.create_bucket(Bucket="dst-full")
    b.put_bucket_versioning(Bucket="dst-full", VersioningConfiguration={"Status": "Enabled"})
    b.put_bucket_policy(Bucket="dst-full", Policy=POLICY)
    b.put_bucket_encryption(
        Bucket="dst-full",
        # the source account's key: the destination account cannot describe it
        ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}}]},
    )
    b.create_bucket(Bucket="dst-plain")
    dest_key = accounts.dest("kms").create_key(Description="replica key")["KeyMetadata"]
    return {"source_key": key, "dest_key": dest_key, "role": role}


def test_plain_bucket_reads_as_defaults(accounts: Accounts, world: dict[str, Any]) -> None:
    facts = inspect_bucket(accounts.source, "src-plain", SOURCE_ID)
    assert facts.exists and facts.owner_account_id == SOURCE_ID
    assert facts.bucket.region == "us-east-1"
    assert facts.versioning == "Unversioned" and not facts.mfa_delete
    assert facts.object_ownership is None  # OwnershipControlsNotFoundError
    # moto has no default SSE-S3 (AWS has since 2023): ServerSideEncryptionConfigurationNotFoundError
    assert facts.encryption.algorithm is None and facts.default_kms_key is None
    assert not facts.object_lock.enabled
    assert not facts.requester_pays  # moto omits Payer for the default; AWS says BucketOwner
    assert facts.replication is None and facts.policy is None and facts.lifecycle_rules == ()


def test_configured_source_bucket(accounts: Accounts, world: dict[str, Any]) -> None:
    facts = inspect_bucket(accounts.source, "src-full", SOURCE_ID)
    assert facts.versioning == "Enabled"
    assert facts.object_ownership == "BucketOwnerEnforced"
    assert facts.encryption.algorithm == "aws:kms"
    assert facts.encryption.kms_key_id == world["source_key"]["KeyId"]
    assert facts.encryption.bucket_key_enabled
    key = facts.default_kms_key
    assert key is not None and key.arn == world["source_key"]["Arn"]
    assert key.manager == "CUSTOMER" and key.state == "Enabled" and key.region == "us-east-1"
    assert key.account_id == SOURCE_ID
    assert json.loads(key.policy or "{}")["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{SOURCE_ID}:root"}
    assert facts.lifecycle_rules[0]["ID"] == "expire-tmp"
    assert facts.lifecycle_rules[0]["Expiration"] == {"Days": 7}
    replication = facts.replication
    assert replication is not None and "ResponseMetadata" not in replication
    assert replication["Role"] == world["role"]["Arn"]  # keeps the /service-role/ path
    (rule,) = replication["Rules"]
    assert rule["ID"] == "someone-elses-rule" and rule["Priority"] == 3
    assert rule["Destination"] == {"Bucket": "arn:aws:s3:::dst-full", "Account": DEST_ID, "StorageClass": "STANDARD_IA"}
    # moto quirk: GetBucketReplication answers Filter {"Prefix": ""} and
    # DeleteMarkerReplication Disabled whatever was put (real S3 returns what was
    # stored: Prefix "logs/", Enabled). We assert what moto returns.
    assert rule["Filter"] == {"Prefix": ""}
    assert rule["DeleteMarkerReplication"] == {"Status": "Disabled"}


def test_destination_bucket_policy_text_and_foreign_key(accounts: Accounts, world: dict[str, Any]) -> None:
    facts = inspect_bucket(accounts.dest, "dst-full", DEST_ID)
    assert facts.owner_account_id == DEST_ID and facts.versioning == "Enabled"
    assert facts.policy is not None and json.loads(facts.policy) == json.loads(POLICY)
    # The default key belongs to the source account: describing it from the
    # destination fails (moto: NotFoundException; AWS: usually AccessDenied) and
    # becomes facts with manager None instead of a crash.
    key = facts.default_kms_key
    assert key is not None and key.arn == world["source_key"]["Arn"] and key.manager is None
    assert key.account_id == SOURCE_ID


def test_object_lock_bucket(accounts: Accounts, world: dict[str, Any]) -> None:
    facts = inspect_bucket(accounts.source, "src-lock", SOURCE_ID)
    assert facts.object_lock.enabled
    assert facts.object_lock.default_mode == "GOVERNANCE" and facts.object_lock.default_days == 30
    assert facts.object_lock.default_years is None
    assert facts.versioning == "Enabled"  # Object Lock turns versioning on


def test_requester_pays_and_aws_managed_default_key(accounts: Accounts, world: dict[str, Any]) -> None:
    facts = inspect_bucket(accounts.source, "src-payer", SOURCE_ID)
    # moto quirk (5.2.5): PutBucketRequestPayment / GetBucketRequestPayment are not
    # implemented; the PUT answers 200 and changes nothing, the GET answers without
    # a Payer. Requester Pays is tested with an emulating middleware in
    # test_emulated.py; here we only pin moto's behaviour.
    assert not facts.requester_pays
    assert facts.encryption.algorithm == "aws:kms" and facts.encryption.kms_key_id is None
    # SSE-KMS without a key id is the AWS managed key aws/s3: stated, not described
    # (describing alias/aws/s3 would create that key).
    assert facts.default_kms_key is not None
    assert facts.default_kms_key.manager == "AWS"
    assert facts.default_kms_key.arn == f"arn:aws:kms:us-east-1:{SOURCE_ID}:alias/aws/s3"


def test_bucket_in_another_region(accounts: Accounts, world: dict[str, Any]) -> None:
    assert bucket_region(accounts.source, "src-eu", SOURCE_ID) == "eu-west-1"
    facts = inspect_bucket(accounts.source, "src-eu", SOURCE_ID)
    assert facts.bucket.region == "eu-west-1" and facts.versioning == "Suspended"
    assert accounts.source("s3", "eu-west-1").meta.region_name == "eu-west-1"


def test_missing_bucket(accounts: Accounts, world: dict[str, Any]) -> None:
    facts = inspect_bucket(accounts.dest, "no-such-bucket-s3xrep", DEST_ID)
    assert not facts.exists
    assert facts.owner_account_id == DEST_ID and facts.bucket.region is None
    with pytest.raises(AwsError) as info:
        bucket_region(accounts.dest, "no-such-bucket-s3xrep", DEST_ID)
    assert info.value.code == "NoSuchBucket"


def test_moto_ignores_expected_bucket_owner(accounts: Accounts, world: dict[str, Any]) -> None:
    # moto quirk (5.2.5): ExpectedBucketOwner is not checked at all; AWS answers
    # 403. Documented here so the day moto starts checking, this test says so.
    facts = inspect_bucket(accounts.dest, "src-plain", DEST_ID)
    assert facts.exists and facts.owner_account_id == DEST_ID  # wrong, but what moto allows


def test_wrong_expected_owner_maps_the_403_shape(endpoint: str) -> None:
    """AWS's answer to head_bucket with a foreign ExpectedBucketOwner, via Stubber."""
    clients = account_clients(endpoint, SOURCE_ID)  # fresh clients: the stub must not leak
    s3 = clients("s3")
    with Stubber(s3) as stub:
        # HEAD errors have no body: botocore makes the code the status ("403").
        stub.add_client_error(
            "head_bucket", service_error_code="403", service_message="Forbidden", http_status_code=403,
            expected_params={"Bucket": "someone-elses", "ExpectedBucketOwner": SOURCE_ID},
            response_meta={"HTTPHeaders": {"x-amz-bucket-region": "us-east-1"}},
        )
        with pytest.raises(AwsError) as info:
            inspect_bucket(clients, "someone-elses", SOURCE_ID)
        stub.assert_no_pending_responses()
    error = info.value
    assert error.code == "BucketOwnedByAnotherAccount"
    assert "'someone-elses'" in error.message and SOURCE_ID in error.message
    assert "access" in error.message  # honest: a 403 may also be a plain AccessDenied
    assert "\n" not in error.message and "\n" not in error.fix


def test_region_from_the_403_header(endpoint: str) -> None:
    clients = account_clients(endpoint, SOURCE_ID)
    with Stubber(clients("s3")) as stub:
        stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403,
                              response_meta={"HTTPHeaders": {"x-amz-bucket-region": "us-east-1"}})
        assert bucket_region(clients, "someone-elses", SOURCE_ID) == "us-east-1"


def test_region_from_a_301_then_owner_checked_in_that_region(endpoint: str) -> None:
    clients = account_clients(endpoint, SOURCE_ID)
    home, eu = clients("s3"), clients("s3", "eu-west-1")
    with Stubber(home) as home_stub, Stubber(eu) as eu_stub:
        home_stub.add_client_error("head_bucket", service_error_code="301", http_status_code=301,
                                   response_meta={"HTTPHeaders": {"x-amz-bucket-region": "eu-west-1"}})
        eu_stub.add_client_error("head_bucket", service_error_code="403", http_status_code=403,
                                 response_meta={"HTTPHeaders": {"x-amz-bucket-region": "eu-west-1"}})
        with pytest.raises(AwsError) as info:
            inspect_bucket(clients, "someone-elses", SOURCE_ID)
    assert info.value.code == "BucketOwnedByAnotherAccount"


@pytest.mark.parametrize(
    ("constraint", "region"), [(None, "us-east-1"), ("EU", "eu-west-1"), ("ap-south-1", "ap-south-1")]
)
def test_location_fallback(endpoint: str, constraint: str | None, region: str) -> None:
    """No region header on the head_bucket error: get_bucket_location, None -> us-east-1, EU -> eu-west-1."""
    clients = account_clients(endpoint, SOURCE_ID)
    home = clients("s3")
    with Stubber(home) as stub:
        stub.add_client_error("head_bucket", service_error_code="400", http_status_code=400)
        stub.add_response("get_bucket_location", {"LocationConstraint": constraint} if constraint else {},
                          {"Bucket": "b-x", "ExpectedBucketOwner": SOURCE_ID})
        if region == "us-east-1":
            assert bucket_region(clients, "b-x", SOURCE_ID) == region
        else:  # then asks head_bucket again in the bucket's own region
            with Stubber(clients("s3", region)) as there:
                there.add_response("head_bucket", {"BucketRegion": region},
                                   {"Bucket": "b-x", "ExpectedBucketOwner": SOURCE_ID})
                assert bucket_region(clients, "b-x", SOURCE_ID) == region
                there.assert_no_pending_responses()
        stub.assert_no_pending_responses()


def test_blocked_encryption_types_parsed() -> None:
    # moto 5.2.5 drops BlockedEncryptionTypes on GetBucketEncryption, so the
    # parsing is checked on the response shape the S3 model defines.
    facts = _encryption({"ServerSideEncryptionConfiguration": {"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
        "BucketKeyEnabled": False,
        "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
    }]}})
    assert facts.algorithm == "AES256" and facts.blocked_encryption_types == ("SSE-C",)


def test_role_with_inline_policies(accounts: Accounts, world: dict[str, Any]) -> None:
    role = inspect_role(accounts.source, "existing-repl")
    assert role.exists and role.arn == f"arn:aws:iam::{SOURCE_ID}:role/service-role/existing-repl"
    assert role.trust_policy == TRUST  # botocore URL-decodes and parses the JSON already
    assert set(role.inline_policies) == {"s3xrep-repl", "other"}
    assert role.inline_policies["s3xrep-repl"] == INLINE
    bare = inspect_role(accounts.source, "bare-role")
    assert bare.exists and bare.inline_policies == {}


def test_missing_role_and_role_of_the_other_account(accounts: Accounts, world: dict[str, Any]) -> None:
    assert inspect_role(accounts.source, "nope") .exists is False
    assert inspect_role(accounts.dest, "existing-repl").exists is False  # IAM is per account


def test_kms_key_described_or_unreadable(accounts: Accounts, world: dict[str, Any]) -> None:
    dest_key = world["dest_key"]
    facts = describe_kms_key(accounts.dest, dest_key["Arn"])
    assert facts.manager == "CUSTOMER" and facts.state == "Enabled" and facts.region == "us-east-1"
    assert facts.account_id == DEST_ID and json.loads(facts.policy or "{}")["Version"] == "2012-10-17"
    foreign = describe_kms_key(accounts.source, dest_key["Arn"])
    assert foreign.manager is None and foreign.arn == dest_key["Arn"] and foreign.policy is None
    missing = describe_kms_key(accounts.dest, "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-0000-0000-000000000000")
    assert missing.manager is None and missing.region == "eu-west-1"


def test_disabled_key_state(accounts: Accounts, world: dict[str, Any]) -> None:
    kms = accounts.dest("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    facts = describe_kms_key(accounts.dest, key["Arn"])
    assert facts.manager == "CUSTOMER" and facts.state == "Disabled"

