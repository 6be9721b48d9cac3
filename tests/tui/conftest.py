"""Fixtures for the TUI tests: isolated AWS env, a moto server, and config files for it.

``aws_env`` points every AWS variable at temp files (and HOME at a temp dir, so
no real SSO token or profile leaks in); ``moto_endpoint`` is a bare moto server
(no emulation) shared by a test module; ``write_profiles`` writes a config
whose keys moto maps to two accounts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest

from s3xrep_tui.sandbox.server import SandboxApp, SandboxServer
from s3xrep_tui.tui.demo import DemoEnvironment

SOURCE, DESTINATION = "111111111111", "222222222222"

AMBIENT_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "S3XREP_THEME",
)

# Failing profiles whose messages hold no temp path or port (the snapshots show them).
FAILING = """\
[profile corp-sso]
sso_session = corp
sso_account_id = 333333333333
sso_role_name = Admin
region = eu-central-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
"""


@pytest.fixture
def aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty AWS world in ``tmp_path``; returns the config file's path (not yet written)."""
    home = tmp_path / "home"
    home.mkdir()
    config = tmp_path / "aws-config"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in AMBIENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return config


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = SandboxServer(SandboxApp([]))
    server.start()
    yield server.endpoint_url
    server.stop()


def account_keys(endpoint: str, account: str, session: str = "alice") -> dict[str, str]:
    """Keys moto maps to ``account``: an assumed role's, fetched now (moto state may have been reset)."""
    sts = boto3.client(
        "sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/ops", RoleSessionName=session)["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def profile_section(name: str, endpoint: str, account: str, region: str) -> str:
    keys = account_keys(endpoint, account)
    body = "\n".join(f"{k} = {v}" for k, v in keys.items())
    return f"[profile {name}]\n{body}\nregion = {region}\nendpoint_url = {endpoint}\n\n"


def profiles_config(endpoint: str) -> str:
    """acme-legacy (111111111111, us-east-1), acme-platform (222222222222, eu-west-1), corp-sso (fails)."""
    return (
        profile_section("acme-legacy", endpoint, SOURCE, "us-east-1")
        + profile_section("acme-platform", endpoint, DESTINATION, "eu-west-1")
        + FAILING
    )


@pytest.fixture
def write_profiles(aws_env: Path, moto_endpoint: str) -> Callable[[], Path]:
    def write() -> Path:
        aws_env.write_text(profiles_config(moto_endpoint))
        return aws_env

    return write


@pytest.fixture
def fake_sandbox(tmp_path: Path, moto_endpoint: str) -> Callable[[], DemoEnvironment]:
    """A ``start_sandbox`` double: a config with the two demo profiles on the moto server."""
    stopped: list[bool] = []

    def start() -> DemoEnvironment:
        path = tmp_path / "sandbox-config"
        path.write_text(
            profile_section("s3xrep-demo-source", moto_endpoint, SOURCE, "us-east-1")
            + profile_section("s3xrep-demo-destination", moto_endpoint, DESTINATION, "us-east-1")
        )
        return DemoEnvironment(
            str(path), {"source": "s3xrep-demo-source", "destination": "s3xrep-demo-destination"},
            lambda: stopped.append(True),
        )

    start.stopped = stopped  # type: ignore[attr-defined]
    return start
