"""explain(): real botocore failures (temp config files, no network) become one-line AwsErrors."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, NoRegionError

from s3xrep_tui.aws.clients import Clients
from s3xrep_tui.aws.errors import AwsError, explain
from s3xrep_tui.aws.identity import caller_identity

UNREACHABLE = "http://127.0.0.1:9"  # never contacted: every failure below happens before sending


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty AWS configuration: temp config and credentials files, no ambient credentials."""
    config = tmp_path / "config"
    config.write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                 "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _one_line(error: AwsError) -> None:
    assert error.message and error.fix and error.code
    assert "\n" not in error.message and "\n" not in error.fix
    assert str(error) == error.message


def test_profile_not_found(aws_home: Path) -> None:
    with pytest.raises(Exception) as info:
        boto3.Session(profile_name="nope")
    error = explain(info.value)
    _one_line(error)
    assert error.code == "ProfileNotFound"
    assert error.message == f"profile 'nope' is not in {aws_home / 'config'}"
    assert "aws configure --profile nope" in error.fix


def test_no_credentials(aws_home: Path) -> None:
    clients = Clients(boto3.Session(region_name="us-east-1"), endpoint_url=UNREACHABLE)
    with pytest.raises(AwsError) as info:
        caller_identity(clients)
    _one_line(info.value)
    assert info.value.code == "NoCredentials"
    assert info.value.message == "sts.get_caller_identity: no AWS credentials found for the ambient credentials"


@pytest.mark.parametrize("style", ["sso-session", "legacy"])
def test_sso_token_missing_or_expired(aws_home: Path, style: str) -> None:
    if style == "sso-session":
        settings = "sso_session = corp\n"
        extra = "[sso-session corp]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
    else:
        settings = "sso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
        extra = ""
    (aws_home / "config").write_text(
        "[profile work]\n" + settings + "sso_account_id = 111111111111\nsso_role_name = Admin\n"
        "region = us-east-1\n\n" + extra
    )
    clients = Clients(boto3.Session(profile_name="work"), endpoint_url=UNREACHABLE)
    with pytest.raises(AwsError) as info:
        caller_identity(clients)
    _one_line(info.value)
    assert info.value.code == "SSOTokenExpired"
    assert "profile 'work'" in info.value.message
    assert info.value.fix == "run 'aws sso login --profile work' and try again"


def test_no_region(aws_home: Path) -> None:
    session = boto3.Session(aws_access_key_id="AKIAS3XREPTESTREGION", aws_secret_access_key="x" * 40)
    with pytest.raises(NoRegionError) as info:
        session.client("kms")  # Clients always passes a region; a bare client shows the shape
    error = explain(info.value, profile="dev")
    _one_line(error)
    assert error.code == "NoRegion" and "profile 'dev'" in error.message and "--profile dev" in error.fix


def _client_error(code: str, message: str, operation: str, status: int = 400, **fields: str) -> ClientError:
    # the exception botocore raises (its constructor, not a fake client)
    return ClientError({"Error": {"Code": code, "Message": message, **fields},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize("code", ["ExpiredToken", "ExpiredTokenException"])
def test_expired_token(code: str) -> None:
    error = explain(_client_error(code, "The security token included in the request is expired", "GetCallerIdentity"),
                    profile="prod", what="sts.get_caller_identity")
    _one_line(error)
    assert error.code == code and "expired" in error.message and "profile 'prod'" in error.message


@pytest.mark.parametrize("code", ["InvalidClientTokenId", "SignatureDoesNotMatch", "InvalidAccessKeyId"])
def test_invalid_keys_mapping(code: str) -> None:
    error = explain(_client_error(code, "no", "GetBucketVersioning", 403), profile="prod")
    _one_line(error)
    assert "invalid or expired keys" in error.message and error.code == code


def test_access_denied_names_call_and_permission_without_secrets() -> None:
    leaked = "User: arn:aws:sts::111111111111:assumed-role/x/y (key ASIAABCDEFGHIJKLMNOP) is not authorized"
    error = explain(_client_error("AccessDenied", leaked, "GetBucketReplication", 403),
                    profile="prod", what="s3.get_bucket_replication on bucket 'b'")
    _one_line(error)
    assert error.code == "AccessDenied"
    assert error.message == ("s3.get_bucket_replication on bucket 'b': access denied to GetBucketReplication "
                             "(needs s3:GetReplicationConfiguration) for profile 'prod'")
    assert "ASIAABCDEFGHIJKLMNOP" not in explain(_client_error("Weird", leaked, "X")).message


def test_no_such_bucket_and_generic_fallback() -> None:
    missing = explain(_client_error("NoSuchBucket", "The specified bucket does not exist", "GetBucketPolicy", 404,
                                    BucketName="gone"))
    assert missing.code == "NoSuchBucket" and "'gone'" in missing.message
    other = explain(_client_error("SlowDown", "Please reduce\nyour request rate", "GetBucketVersioning", 503),
                    what="s3.get_bucket_versioning on bucket 'b'")
    _one_line(other)
    assert other.code == "SlowDown"
    assert other.message == ("s3.get_bucket_versioning on bucket 'b': GetBucketVersioning failed with SlowDown: "
                             "Please reduce your request rate")


def test_explain_passes_aws_errors_through_and_within_prefixes() -> None:
    original = AwsError("boom", "fix it", "Own")
    assert explain(original) is original
    wrapped = original.within("source (profile 'a')")
    assert wrapped.message == "source (profile 'a'): boom" and wrapped.code == "Own" and wrapped.fix == "fix it"
