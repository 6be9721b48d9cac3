"""Shared world for the Monitor and Verify screen tests: the demo sandbox, a plan applied through the
app's AWS layer (journaled, so the monitor knows the job as ours), and helpers to drive the screens.

Import the fixtures by name into a test module. The world is module-scoped (one sandbox per
module: moto is process-global).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.apply import Backoff, apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.profiles import ProfileInfo
from s3xrep_tui.core.models import Account, MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.state import Choice, Identity
from tests.sandbox.helpers import wait_for

SIZE = (120, 40)
SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
SOURCE_PROFILE, DESTINATION_PROFILE = "s3xrep-demo-source", "s3xrep-demo-destination"
OPTIONS = MigrationOptions(report_bucket="acme-legacy-batch-reports")
FAST = Backoff(total=0.1, first=0.005)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("monitor-data") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("S3XREP_DATA_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("monitor") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def applied(world: Sandbox) -> dict[str, Any]:
    """The plan applied with apply_plan (journaled in the data dir); its job id; the job not awaited
    (it runs at 300 tasks a second, a few seconds: the first test watches it move)."""
    world.batch.task_rate = 300.0
    clients = {"source": world.clients(SOURCE_ACCOUNT), "destination": world.clients(DESTINATION_ACCOUNT)}
    plan = build_plan(gather_inputs(clients["source"], clients["destination"], SOURCE, DESTINATION, OPTIONS))
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    result = apply_plan(plan, clients, backoff=FAST, options=OPTIONS)
    assert result.ok, result.summary()
    assert result.job_id
    return {"plan": plan, "job_id": result.job_id, "clients": clients}


@pytest.fixture
def demo_config(aws_env: Path, world: Sandbox, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sandbox's two profiles as the AWS config file (AWS_CONFIG_FILE, set by aws_env); the module's
    data directory (where the plan's journal is) instead of the per-test one."""
    monkeypatch.setenv("S3XREP_DATA_DIR", str(data_dir))
    aws_env.write_text(world.config_text())
    return aws_env


def choice(profile: str, account: str) -> Choice:
    info = ProfileInfo(profile, "static", "us-east-1")
    return Choice(info, Identity("resolved", Account(id=account, arn=f"arn:aws:iam::{account}:user/s3xrep-sandbox-admin")))


def prepare(app: S3xrepApp, plan: Any) -> None:
    """The flow's state after Apply, set directly."""
    app.source = choice(SOURCE_PROFILE, SOURCE_ACCOUNT)
    app.destination = choice(DESTINATION_PROFILE, DESTINATION_ACCOUNT)
    app.source_bucket, app.destination_bucket = SOURCE, DESTINATION
    app.options = OPTIONS
    app.plan = plan


def wait_job(world: Sandbox, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    s3control = world.clients(SOURCE_ACCOUNT)("s3control")

    def ended() -> dict | None:
        job = s3control.describe_job(AccountId=SOURCE_ACCOUNT, JobId=job_id)["Job"]
        return job if job["Status"] in ("Complete", "Failed", "Cancelled") else None

    return wait_for(ended, timeout=timeout, what=f"job {job_id} to end")


def create_job(world: Sandbox, plan: Any, description: str, **overrides: Any) -> str:
    """Another job like the plan's (a new token), e.g. ``ConfirmationRequired=True``."""
    request = copy.deepcopy(plan.documents["batch_job"])
    request.update(ClientRequestToken=str(uuid.uuid4()), Description=description, **overrides)
    return world.clients(SOURCE_ACCOUNT)("s3control").create_job(**request)["JobId"]


def without_replication_grant(world: Sandbox) -> Callable[[], None]:
    """Drop the destination bucket policy's replication statement; returns the undo."""
    s3 = world.clients(DESTINATION_ACCOUNT)("s3")
    original = s3.get_bucket_policy(Bucket=DESTINATION)["Policy"]
    kept = json.loads(original)
    kept["Statement"] = [s for s in kept["Statement"] if "ReplicateObject" not in json.dumps(s.get("Action"))]
    s3.put_bucket_policy(Bucket=DESTINATION, Policy=json.dumps(kept))
    return lambda: s3.put_bucket_policy(Bucket=DESTINATION, Policy=original)


async def until(pilot: Any, predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Let the event loop run (messages from the workers arrive) until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.05)
