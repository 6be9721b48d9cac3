"""Shared world for the reliability suite: one sandbox per module, fresh buckets per test.

* ``sandbox``: the embedded AWS (empty seed) for the module, its AWS config
  (profiles ``s3xrep-demo-source`` / ``s3xrep-demo-destination``) in a temp dir.
* ``world(name)``: a source with objects, a destination with a foreign policy
  statement, a report bucket; ``World`` plans, applies and reads the state back.
* ``state(sandbox)``: everything a command could have written, in both accounts
  (buckets and their configuration, object versions, roles and their policies,
  KMS key policies, Batch jobs): "nothing written" is ``state`` equal before and after.
* ``add_middleware`` / ``restart``: faults in front of the sandbox's chain, and the
  server stopped and started again on the same port (the same endpoint URL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws import clients as clients_module
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.server import Middleware, SandboxServer
from tests.apply_world import World, get_or_none, make_world

SRC_PROFILE, DST_PROFILE = PROFILES["source"], PROFILES["destination"]
CALLS = [
    "s3.put_bucket_versioning", "s3.put_bucket_versioning", "iam.create_role", "iam.put_role_policy",
    "iam.create_role", "iam.put_role_policy", "s3.put_bucket_policy", "s3.put_bucket_replication",
    # the alarms (on by default, issue 18)
    "sns.create_topic", "sns.set_topic_attributes", "s3.put_bucket_notification_configuration",
    "cloudwatch.put_metric_alarm", "cloudwatch.put_metric_alarm", "sqs.create_queue", "sns.subscribe",
    "s3control.create_job",
]


@pytest.fixture(scope="module")
def one_attempt() -> Iterator[None]:
    """botocore tries each call once: the faults reach our layer at once (botocore's own retries,
    seconds of jittered backoff, would only delay what is tested). Before any client is made."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clients_module, "_RETRIES", {"total_max_attempts": 1, "mode": "standard"})
        yield


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("reliability") / "sandbox" / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


@pytest.fixture(scope="module")
def accounts(sandbox: Sandbox) -> dict[str, Any]:
    return {A: sandbox.clients(A), B: sandbox.clients(B)}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def cli_env(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> Path:
    """The sandbox's profiles as the only AWS config; no ambient credentials; HOME in tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(var, raising=False)
    return data_dir


# --- faults -------------------------------------------------------------------------------------


@contextmanager
def middleware(sandbox: Sandbox, handler: Middleware) -> Iterator[Middleware]:
    """``handler`` first in the chain while the block runs (it survives a restart: the app is kept)."""
    chain = sandbox._server.app.middlewares  # type: ignore[union-attr]
    chain.insert(0, handler)
    try:
        yield handler
    finally:
        chain.remove(handler)


def stop_server(sandbox: Sandbox) -> tuple[str, int]:
    """Stop the sandbox's HTTP server (the emulation keeps its state); returns where it listened."""
    server = sandbox._server
    assert server is not None and server._server is not None
    host, port = server._server.server_address[:2]
    server.stop()
    return host, port


def start_server(sandbox: Sandbox, host: str, port: int) -> None:
    """The same app (state and middlewares) on the same port: clients reach it at the same URL."""
    old = sandbox._server
    assert old is not None
    restarted = SandboxServer(old.app, host=host, port=port)
    restarted.start()
    sandbox._server = restarted


# --- state ----------------------------------------------------------------------------------------


def state(sandbox: Sandbox) -> dict[str, Any]:
    """Everything a command could have written in either account, read with the sandbox's own keys."""
    snapshot: dict[str, Any] = {}
    cache = sandbox.__dict__.setdefault("_reliability_clients", {})
    for account in (A, B):
        clients = cache.get(account) or cache.setdefault(account, sandbox.clients(account))
        s3, iam, kms = clients("s3"), clients("iam"), clients("kms")
        for bucket in sorted(b["Name"] for b in s3.list_buckets()["Buckets"]):
            policy = get_or_none(lambda s3=s3, b=bucket: s3.get_bucket_policy(Bucket=b)["Policy"], "NoSuchBucketPolicy")
            replication = get_or_none(lambda s3=s3, b=bucket: s3.get_bucket_replication(Bucket=b)["ReplicationConfiguration"],
                               "ReplicationConfigurationNotFoundError")
            versions = s3.list_object_versions(Bucket=bucket)
            snapshot[f"{account}/s3/{bucket}"] = {
                "versioning": s3.get_bucket_versioning(Bucket=bucket).get("Status"),
                "policy": policy,
                "replication": replication,
                "versions": sorted((v["Key"], v["VersionId"]) for v in versions.get("Versions", []))
                + sorted((m["Key"], m["VersionId"]) for m in versions.get("DeleteMarkers", [])),
            }
        for role in iam.list_roles()["Roles"]:
            name = role["RoleName"]
            inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
            snapshot[f"{account}/iam/{name}"] = {
                "trust": role["AssumeRolePolicyDocument"],
                "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"] for p in inline},
            }
        for key in kms.list_keys()["Keys"]:
            snapshot[f"{account}/kms/{key['KeyId']}"] = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
        jobs = clients("s3control").list_jobs(AccountId=account).get("Jobs", [])
        snapshot[f"{account}/jobs"] = sorted(j["JobId"] for j in jobs)
    return snapshot


# --- a fresh migration per test -----------------------------------------------------------------


@pytest.fixture
def world(sandbox: Sandbox, accounts: dict[str, Any]) -> Callable[[str], World]:
    return lambda name: make_world(sandbox, accounts, name)
