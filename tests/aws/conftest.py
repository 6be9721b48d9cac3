"""Fixtures: moto's server over real HTTP and two accounts' Clients.

One server per test module (module scope), reset at start; moto's backends are
process-global, so no server outlives its module. A module may set
``SANDBOX_MIDDLEWARES = [...]`` to put middlewares in front of moto.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from s3xrep_tui.aws.clients import Clients
from s3xrep_tui.sandbox.server import SandboxApp, SandboxServer

SOURCE_ID = "111111111111"
DEST_ID = "222222222222"


def moto_api(endpoint: str, path: str, data: bytes = b"") -> dict:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{path}", data=data, method="POST", headers={"Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body.strip().startswith(b"{") else {}


@pytest.fixture(scope="module")
def endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    server = SandboxServer(SandboxApp(list(getattr(request.module, "SANDBOX_MIDDLEWARES", []))))
    server.start()
    try:
        moto_api(server.endpoint_url, "reset")
        yield server.endpoint_url
    finally:
        server.stop()


def account_clients(endpoint: str, account_id: str, region: str = "us-east-1") -> Clients:
    """Clients whose credentials moto maps to ``account_id`` (via sts.assume_role)."""
    # Keys moto does not know belong to 123456789012; assume_role's credentials
    # are mapped to the account in the role ARN (the role need not exist).
    bootstrap = boto3.Session(aws_access_key_id="AKIAS3XREPTESTBOOT01", aws_secret_access_key="x" * 40,
                              region_name="us-east-1")
    sts = bootstrap.client("sts", endpoint_url=endpoint)
    # RoleSessionName must be at least 2 characters (botocore validates it).
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/any", RoleSessionName="s3xrep-test")["Credentials"]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
    return Clients(session, endpoint_url=endpoint)


@dataclass(frozen=True)
class Accounts:
    source: Clients
    dest: Clients
    source_id: str = SOURCE_ID
    dest_id: str = DEST_ID


@pytest.fixture(scope="module")
def accounts(endpoint: str) -> Accounts:
    return Accounts(account_clients(endpoint, SOURCE_ID), account_clients(endpoint, DEST_ID))
