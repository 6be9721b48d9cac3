"""PutBucketReplication validation moto skips, exact GetBucketReplication round-trip, InvalidBucketState."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT

from .helpers import make_setup, rule

ROLE = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3-repl"


def _error(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.fixture
def s(sandbox):
    return make_setup(sandbox, replicate=False)


def _put(s, *rules, role=ROLE):
    return _error(s.s3a.put_bucket_replication, Bucket=s.src, ReplicationConfiguration={"Role": role, "Rules": list(rules)})


def test_unversioned_source_is_refused(s):
    s.s3a.create_bucket(Bucket="plain-src")
    assert _error(s.s3a.put_bucket_replication, Bucket="plain-src",
                  ReplicationConfiguration={"Role": ROLE, "Rules": [rule(s.dst)]}) == (
        "InvalidRequest", "Versioning must be 'Enabled' on the bucket to apply a replication configuration")


def test_missing_destination_is_refused(s):
    assert _put(s, rule("no-such-bucket")) == ("InvalidRequest", "Destination bucket must exist.")


def test_unversioned_destination_is_refused(s):
    s.s3b.create_bucket(Bucket="plain-dst")
    assert _put(s, rule("plain-dst")) == ("InvalidRequest", "Destination bucket must have versioning enabled.")
    s.s3b.put_bucket_versioning(Bucket="plain-dst", VersioningConfiguration={"Status": "Suspended"})
    assert _put(s, rule("plain-dst")) == ("InvalidRequest", "Destination bucket must have versioning enabled.")


@pytest.mark.parametrize("missing", ["Priority", "DeleteMarkerReplication"])
def test_v2_rule_needs_priority_and_delete_marker_replication(s, missing):
    r = rule(s.dst)
    del r[missing]
    assert _put(s, r) == ("InvalidRequest", f"{missing} must be specified for this version of Cross Region Replication "
                                            "configuration schema. Please refer to S3 Developer Guide for more information.")


def test_v1_rule_cannot_have_delete_marker_replication(s):
    r = {"ID": "v1", "Prefix": "", "Status": "Enabled", "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": f"arn:aws:s3:::{s.dst}"}}
    assert _put(s, r) == ("InvalidRequest", "DeleteMarkerReplication cannot be used for this version of Cross Region "
                                            "Replication configuration schema. Please refer to S3 Developer Guide for more information.")


def test_rtc_without_metrics_is_refused(s):
    r = rule(s.dst, ReplicationTime={"Status": "Enabled", "Time": {"Minutes": 15}})
    assert _put(s, r) == ("InvalidRequest", "Replication destination must contain both ReplicationTime and Metrics or neither.")


@pytest.mark.parametrize("role", [f"arn:aws:iam::{SOURCE_ACCOUNT}:user/someone", "s3-repl", "arn:aws:s3:::bucket"])
def test_role_must_be_an_iam_role_arn(s, role):
    assert _put(s, rule(s.dst), role=role) == ("InvalidArgument", "Invalid Role specified in replication configuration")


def test_tag_filter_with_delete_marker_replication_is_refused(s):
    r = rule(s.dst, flt={"Tag": {"Key": "a", "Value": "b"}}, delete_markers=True)
    assert _put(s, r)[0] == "InvalidRequest"
    assert "Tag filter" in _put(s, r)[1]


def test_duplicate_priorities_and_ids_are_refused(s):
    assert _put(s, rule(s.dst, rule_id="a"), rule(s.dst, rule_id="b"))[1] == "Found duplicate priority 1."
    assert _put(s, rule(s.dst, rule_id="a"), rule(s.dst, rule_id="a", priority=2))[0] == "InvalidArgument"


def test_owner_override_needs_account(s):
    r = rule(s.dst, AccessControlTranslation={"Owner": "Destination"})
    assert _put(s, r)[0] == "InvalidRequest"


def test_nothing_is_stored_when_refused(s):
    _put(s, rule("no-such-bucket"))
    assert _error(s.s3a.get_bucket_replication, Bucket=s.src)[0] == "ReplicationConfigurationNotFoundError"


FULL = {
    "Role": ROLE,
    "Rules": [
        {
            "ID": "media-photos",
            "Priority": 10,
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "photos/", "Tags": [{"Key": "replicate", "Value": "true"},
                                                            {"Key": "team", "Value": "media"}]}},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"},
                                        "ReplicaModifications": {"Status": "Disabled"}},
            "Destination": {
                "Bucket": "arn:aws:s3:::dst-bucket",
                "Account": DESTINATION_ACCOUNT,
                "StorageClass": "STANDARD_IA",
                "AccessControlTranslation": {"Owner": "Destination"},
                "EncryptionConfiguration": {"ReplicaKmsKeyID": f"arn:aws:kms:us-east-1:{DESTINATION_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
                "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
            },
        },
        {"ID": "everything", "Priority": 1, "Status": "Disabled", "Filter": {},
         "DeleteMarkerReplication": {"Status": "Enabled"}, "Destination": {"Bucket": "arn:aws:s3:::dst-bucket"}},
        {"ID": "logs", "Priority": 3, "Status": "Enabled", "Filter": {"Prefix": "logs/"},
         "DeleteMarkerReplication": {"Status": "Enabled"}, "Destination": {"Bucket": "arn:aws:s3:::dst-bucket"}},
        {"ID": "gold", "Priority": 4, "Status": "Enabled", "Filter": {"Tag": {"Key": "tier", "Value": "gold"}},
         "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::dst-bucket"}},
    ],
}


def test_get_bucket_replication_returns_exactly_what_was_put(s):
    s.s3a.put_bucket_replication(Bucket=s.src, ReplicationConfiguration=FULL)
    assert s.s3a.get_bucket_replication(Bucket=s.src)["ReplicationConfiguration"] == FULL


def test_v1_configuration_round_trips_and_unnamed_rules_get_an_id(s):
    v1 = {"Role": ROLE, "Rules": [{"Prefix": "", "Status": "Enabled", "Destination": {"Bucket": f"arn:aws:s3:::{s.dst}"}}]}
    s.s3a.put_bucket_replication(Bucket=s.src, ReplicationConfiguration=v1)
    got = s.s3a.get_bucket_replication(Bucket=s.src)["ReplicationConfiguration"]
    assert got["Rules"][0].pop("ID")
    assert got == v1


def test_delete_bucket_replication(s):
    s.s3a.put_bucket_replication(Bucket=s.src, ReplicationConfiguration={"Role": ROLE, "Rules": [rule(s.dst)]})
    s.s3a.delete_bucket_replication(Bucket=s.src)
    assert _error(s.s3a.get_bucket_replication, Bucket=s.src)[0] == "ReplicationConfigurationNotFoundError"
    s.s3a.put_bucket_versioning(Bucket=s.src, VersioningConfiguration={"Status": "Suspended"})  # allowed again


def test_suspending_versioning_on_a_replicating_source_is_refused(s):
    s.s3a.put_bucket_replication(Bucket=s.src, ReplicationConfiguration={"Role": ROLE, "Rules": [rule(s.dst)]})
    with pytest.raises(ClientError) as info:
        s.s3a.put_bucket_versioning(Bucket=s.src, VersioningConfiguration={"Status": "Suspended"})
    error = info.value.response["Error"]
    assert error["Code"] == "InvalidBucketState"
    assert error["Message"].startswith("A replication configuration is present on this bucket")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert s.s3a.get_bucket_versioning(Bucket=s.src)["Status"] == "Enabled"
    s.s3a.put_bucket_versioning(Bucket=s.src, VersioningConfiguration={"Status": "Enabled"})  # a no-op is fine


def test_expected_bucket_owner_mismatch_is_access_denied(s):
    code, _ = _error(s.s3a.get_bucket_versioning, Bucket=s.dst, ExpectedBucketOwner=SOURCE_ACCOUNT)
    assert code == "AccessDenied"
    assert s.s3b.get_bucket_versioning(Bucket=s.dst, ExpectedBucketOwner=DESTINATION_ACCOUNT)["Status"] == "Enabled"
