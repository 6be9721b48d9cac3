"""Profiles: listed from temp config files without touching credentials, resolved against moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.profiles import (
    describe_ambient,
    explain_identity,
    list_profiles,
    resolve_identity,
)
from s3xrep_tui.sandbox.server import SandboxApp, SandboxServer

CONFIG = """\
[default]
region = eu-west-1

[profile keys]
aws_access_key_id = AKIAEXAMPLEKEYS00001
aws_secret_access_key = do-not-show-this-secret
region = us-east-2
endpoint_url = http://127.0.0.1:9

[profile sso-legacy]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111111111111
sso_role_name = Admin

[profile sso-new]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnly
region = eu-central-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile role-on-sso]
role_arn = arn:aws:iam::333333333333:role/migrate
source_profile = sso-new

[profile role-mfa]
role_arn = arn:aws:iam::333333333333:role/migrate
source_profile = keys
mfa_serial = arn:aws:iam::111111111111:mfa/ops

[profile role-missing-source]
role_arn = arn:aws:iam::333333333333:role/migrate
source_profile = nope

[profile role-ec2]
role_arn = arn:aws:iam::333333333333:role/migrate
credential_source = Ec2InstanceMetadata

[profile helper]
credential_process = sh -c "echo helper is broken >&2; exit 3"

[profile region-only]
region = ap-south-1
"""

CREDENTIALS = """\
[creds-only]
aws_access_key_id = AKIAEXAMPLEKEYS00002
aws_secret_access_key = also-secret
"""


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temp config files, a temp HOME (no SSO token cache) and no ambient credentials."""
    config, credentials = tmp_path / "config", tmp_path / "credentials"
    config.write_text(CONFIG)
    credentials.write_text(CREDENTIALS)
    isolate(monkeypatch, tmp_path, config, credentials)
    return config


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path, config: Path, credentials: Path) -> None:
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    ):
        monkeypatch.delenv(name, raising=False)


def by_name(profiles):
    return {p.name: p for p in profiles}


def test_lists_every_profile_with_its_kind_and_region(aws_files: Path) -> None:
    profiles = by_name(list_profiles())
    assert profiles[None].kind == "ambient"
    assert profiles["keys"].kind == "static"
    assert profiles["keys"].region == "us-east-2"
    assert profiles["keys"].endpoint_url == "http://127.0.0.1:9"
    assert profiles["keys"].endpoint_host == "127.0.0.1"
    assert profiles["sso-legacy"].kind == "sso" and profiles["sso-legacy"].via == "https://corp.awsapps.com/start"
    assert profiles["sso-new"].kind == "sso" and profiles["sso-new"].via == "corp"
    assert profiles["sso-new"].region == "eu-central-1"
    assert profiles["role-on-sso"].kind == "assume-role" and profiles["role-on-sso"].via == "sso-new"
    assert profiles["role-ec2"].via == "Ec2InstanceMetadata"
    assert profiles["role-mfa"].mfa and not profiles["role-on-sso"].mfa
    assert profiles["helper"].kind == "process"
    assert profiles["region-only"].kind == "unknown" and profiles["region-only"].region == "ap-south-1"
    assert profiles["creds-only"].kind == "static"  # from the credentials file alone


def test_listing_is_ambient_first_then_file_order_and_never_shows_secrets(aws_files: Path) -> None:
    profiles = list_profiles()
    assert profiles[0].name is None
    assert [p.name for p in profiles[1:4]] == ["default", "keys", "sso-legacy"]
    text = repr(profiles)
    assert "do-not-show-this-secret" not in text and "also-secret" not in text
    assert "AKIAEXAMPLEKEYS" not in text
    assert next(p.name for p in list_profiles(include_ambient=False)) == "default"


def test_listing_does_not_run_credential_processes(aws_files: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    aws_files.write_text(CONFIG + f"\n[profile spy]\ncredential_process = touch {marker}\n")
    assert by_name(list_profiles())["spy"].kind == "process"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("env", "detail"),
    [
        ({"AWS_ACCESS_KEY_ID": "AKIAX"}, "environment variables"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://localhost:1338/latest/meta-data/container/security-credentials"},
         "container credentials (CloudShell, ECS)"),
        ({"AWS_PROFILE": "keys"}, "AWS_PROFILE=keys"),
        ({}, "profile default, then instance role if on EC2"),
    ],
)
def test_the_ambient_chain_is_described_by_what_botocore_would_use(
    aws_files: Path, env: dict[str, str], detail: str
) -> None:
    assert describe_ambient(env).detail.startswith(detail)


def test_ambient_region_comes_from_the_environment_then_the_default_profile(
    aws_files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert describe_ambient().region == "eu-west-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "sa-east-1")
    assert describe_ambient().region == "sa-east-1"


def test_an_unparsable_config_is_one_error(aws_files: Path) -> None:
    aws_files.write_text("[profile broken\nregion = x\n")
    with pytest.raises(AwsError) as caught:
        list_profiles()
    assert "cannot be parsed" in caught.value.message


# --- resolving against moto -------------------------------------------------


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = SandboxServer(SandboxApp([]))
    server.start()
    yield server.endpoint_url
    server.stop()


def account_keys(endpoint: str, account: str) -> dict[str, str]:
    """Keys moto maps to ``account`` (from an assumed role in that account)."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/s3xrep-test", RoleSessionName="tests")["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def profile_section(name: str, keys: dict[str, str], region: str, endpoint: str) -> str:
    lines = [f"[profile {name}]", *(f"{k} = {v}" for k, v in keys.items()), f"region = {region}", f"endpoint_url = {endpoint}"]
    return "\n".join(lines) + "\n\n"


def test_resolves_two_accounts_through_sts(aws_files: Path, moto_endpoint: str) -> None:
    aws_files.write_text(
        profile_section("src", account_keys(moto_endpoint, "111111111111"), "us-east-1", moto_endpoint)
        + profile_section("dst", account_keys(moto_endpoint, "222222222222"), "eu-west-1", moto_endpoint)
    )
    source, destination = resolve_identity("src"), resolve_identity("dst")
    assert source.id == "111111111111" and destination.id == "222222222222"
    assert source.partition == "aws"
    assert source.arn and source.arn.startswith("arn:aws:sts::111111111111:assumed-role/s3xrep-test/")


def test_resolves_the_ambient_chain_from_environment_keys(
    aws_files: Path, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = account_keys(moto_endpoint, "444444444444")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys["aws_secret_access_key"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys["aws_session_token"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    assert resolve_identity(None).id == "444444444444"


@pytest.mark.parametrize(
    ("profile", "message", "fix"),
    [
        ("sso-legacy", "SSO session of profile sso-legacy has expired", "aws sso login --profile sso-legacy"),
        ("sso-new", "SSO session", "aws sso login --profile sso-new"),
        # a role on top of SSO: log in with the profile that holds the SSO settings
        ("role-on-sso", "SSO session", "aws sso login --profile sso-new"),
        ("nope", "profile 'nope' is not in", "aws configure list-profiles"),
        ("region-only", "no AWS credentials found for profile 'region-only'", "aws configure --profile region-only"),
        ("role-missing-source", 'source_profile "nope"', "fix profile role-missing-source in"),
        ("helper", "credential source of profile helper failed: helper is broken", "credential_process"),
        ("keys", "STS at 127.0.0.1:9 is not answering", "endpoint_url"),
        ("role-mfa", "needs an MFA code (arn:aws:iam::111111111111:mfa/ops)", "6-digit code"),
        (None, "no AWS credentials found for the ambient credentials", "aws configure"),
    ],
)
def test_failures_are_one_line_with_a_fix(aws_files: Path, profile: str | None, message: str, fix: str) -> None:
    with pytest.raises(AwsError) as caught:
        resolve_identity(profile)
    error = caught.value
    assert message in error.message and fix in error.fix
    assert "\n" not in error.message + error.fix
    assert "do-not-show-this-secret" not in error.message + error.fix


def test_invalid_keys_and_expired_tokens_name_the_profile() -> None:
    def client_error(code: str) -> ClientError:
        return ClientError({"Error": {"Code": code, "Message": "nope"}}, "GetCallerIdentity")

    invalid = explain_identity(client_error("InvalidClientTokenId"), "prod")
    assert "rejected the credentials of profile 'prod'" in invalid.message
    assert "aws configure --profile prod" in invalid.fix
    expired = explain_identity(client_error("ExpiredToken"), "prod")
    assert "expired" in expired.message
    timeout = explain_identity(ReadTimeoutError(endpoint_url="https://sts.us-east-1.amazonaws.com/"), None)
    assert timeout.message == "STS at sts.us-east-1.amazonaws.com is not answering"
