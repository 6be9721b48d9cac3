"""Read-only mode is enforced in the AWS layer, not only hidden in the UI.

apply's read-only mode is proven in tests/aws/test_apply_sandbox.py and through the
CLI in tests/commands/test_apply_command.py (items.py); here: the other writes the
screens offer (confirm, cancel and re-prioritise a Batch job, the canary) refuse in
the AWS layer itself, and the monitor's backend passes the app's mode down to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from s3xrep_tui.aws.canary import run_canary
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.jobs import cancel_job, confirm_job, set_priority
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox

from .conftest import state

SRC, DST = "ro-legacy-media", "ro-platform-media"


@pytest.fixture(scope="module")
def applied(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A migration applied (its Batch job created), journaled in a module data directory."""
    from tests.apply_world import World, foreign_policy

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("S3XREP_DATA_DIR", str(tmp_path_factory.mktemp("read-only-data")))
        accounts = {A: sandbox.clients(A), B: sandbox.clients(B)}
        accounts[A]("s3").create_bucket(Bucket=SRC)
        accounts[A]("s3").put_object(Bucket=SRC, Key="a.txt", Body=b"a")
        accounts[B]("s3").create_bucket(Bucket=DST)
        original = json.dumps(foreign_policy(DST, "Other"))
        accounts[B]("s3").put_bucket_policy(Bucket=DST, Policy=original)
        world = World(sandbox, accounts, SRC, DST, SRC, original)
        result = world.apply()
        assert result.ok and result.job_id
        yield {"job_id": result.job_id, "plan_id": result.plan_id}


def test_read_only_is_refused_by_the_aws_layer_for_every_write_the_screens_offer(
    applied: dict[str, Any], sandbox: Sandbox
) -> None:
    clients = {A: sandbox.clients(A), B: sandbox.clients(B)}
    job_id = applied["job_id"]
    before = state(sandbox)
    refused = []
    for write in (
        lambda: confirm_job(clients[A], A, "us-east-1", job_id, read_only=True),
        lambda: cancel_job(clients[A], A, "us-east-1", job_id, read_only=True),
        lambda: set_priority(clients[A], A, "us-east-1", job_id, 99, read_only=True),
        lambda: run_canary(clients[A], clients[B], SRC, DST, timeout=5, read_only=True),
    ):
        with pytest.raises(AwsError) as caught:
            write()
        refused.append(caught.value)
    assert all(e.code == "ReadOnly" and e.message.startswith("read-only mode: refusing to") for e in refused)
    assert all("leave read-only mode" in e.fix for e in refused)
    assert state(sandbox) == before


def test_the_monitor_passes_read_only_mode_down_to_the_aws_layer(applied: dict[str, Any], sandbox: Sandbox) -> None:
    """The job detail screen hides its keys in read-only mode; the backend refuses anyway."""
    import threading

    from s3xrep_tui.aws.jobs import describe_job
    from s3xrep_tui.tui.screens.monitor import MonitorBackend, MonitorContext

    clients = sandbox.clients(A)
    fake_app = SimpleNamespace(read_only=True, clients=lambda side="source": clients if side == "source" else sandbox.clients(B))
    backend = MonitorBackend(fake_app)
    job = describe_job(clients, A, "us-east-1", applied["job_id"])
    before = state(sandbox)
    for action in (lambda: backend.confirm(job), lambda: backend.cancel(job), lambda: backend.set_priority(job, 5)):
        with pytest.raises(AwsError, match="read-only mode"):
            action()
    context = MonitorContext(account_id=A, region="us-east-1", plan_id=applied["plan_id"], source_bucket=SRC,
                             destination_bucket=DST, rule_id=f"s3xrep-to-{DST}", prefix="")
    with pytest.raises(AwsError, match="read-only mode: refusing to put a canary object"):
        backend.canary(context, lambda _: None, threading.Event())
    assert state(sandbox) == before
