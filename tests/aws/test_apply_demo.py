"""End to end on the demo sandbox: plan, apply, the Batch job completes, apply again, undo.

acme-legacy-media (account A, unversioned, thousands of objects) to
acme-platform-media (account B, versioned, with a bucket policy of its own).
The tests run in file order and share one world.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.apply import ApplyEvent, Backoff, apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox, static_keys
from tests.sandbox.helpers import wait_for

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
OPTIONS = MigrationOptions(report_bucket="acme-legacy-batch-reports")
FAST = Backoff(total=0.1, first=0.005)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("demo-data") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("S3XREP_DATA_DIR", str(path))
        yield path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Iterator[dict[str, Any]]:
    config = tmp_path_factory.mktemp("demo") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as sandbox:
        clients = {"source": sandbox.clients(A), "destination": sandbox.clients(B)}
        original = clients["destination"]("s3").get_bucket_policy(Bucket=DESTINATION)["Policy"]
        yield {"sandbox": sandbox, "clients": clients, "original_policy": original}


def _plan(clients: dict[str, Any]) -> Any:
    return build_plan(gather_inputs(clients["source"], clients["destination"], SOURCE, DESTINATION, OPTIONS))


@pytest.fixture(scope="module")
def applied(world: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(world["clients"])
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    events: list[ApplyEvent] = []
    result = apply_plan(plan, world["clients"], progress=events.append, backoff=FAST, options=OPTIONS)
    return {"plan": plan, "result": result, "events": events}


def test_apply_runs_every_step_in_order_and_the_batch_job_completes(world: dict, applied: dict) -> None:
    plan, result = applied["plan"], applied["result"]
    assert result.ok, result.summary()
    assert [r.step.id for r in result.steps] == [s.id for s in plan.steps]
    statuses = {r.step.call: r.status for r in result.steps}
    assert statuses["s3control.create_job"] == "done" and result.job_id
    # the destination was already versioned: that step holds, nothing written
    assert [r.status for r in result.steps if r.step.call == "s3.put_bucket_versioning"] == ["done", "no-op"]
    # every step reported start then exactly one outcome
    for step in plan.steps:
        kinds = [e.status for e in applied["events"] if e.step.id == step.id and e.status not in ("info", "waiting")]
        assert kinds[0] == "start" and len(kinds) == 2

    s3control = world["clients"]["source"]("s3control")

    def finished() -> dict | None:
        job = s3control.describe_job(AccountId=A, JobId=result.job_id)["Job"]
        return job if job["Status"] in ("Complete", "Failed", "Cancelled") else None

    job = wait_for(finished, timeout=60, what="the Batch Replication job to finish")
    progress = job["ProgressSummary"]
    assert job["Status"] == "Complete", job.get("FailureReasons")
    assert progress["NumberOfTasksFailed"] == 0
    assert progress["NumberOfTasksSucceeded"] == progress["TotalNumberOfTasks"] > 1000


def test_a_second_apply_is_all_no_ops_and_creates_no_second_job(world: dict, applied: dict) -> None:
    again = apply_plan(_plan(world["clients"]), world["clients"], backoff=FAST, options=OPTIONS)
    assert again.ok
    assert {r.status for r in again.steps} == {"no-op"}
    assert again.job_id == applied["result"].job_id
    jobs = world["clients"]["source"]("s3control").list_jobs(AccountId=A)["Jobs"]
    assert len([j for j in jobs if SOURCE in j.get("Description", "")]) == 1


def test_the_journal_is_private_and_holds_no_keys(applied: dict, data_dir: Path) -> None:
    path = applied["result"].journal_path
    assert path == data_dir / "journal" / f"{applied['plan'].id}.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    for account in (A, B):
        key, secret = static_keys(account)
        assert key not in text and secret not in text
    read = Journal(applied["plan"].id).read()
    assert read.problems == []
    policy_write = next(e for e in read.writes() if e["call"] == "s3.put_bucket_policy")
    assert policy_write["account"] == "destination" and policy_write["account_id"] == B
    assert policy_write["before"]["Statement"][0]["Sid"] == "PlatformReadOnlyAudit"


def test_undo_restores_the_destination_policy_exactly_and_removes_what_apply_added(world: dict, applied: dict) -> None:
    clients = world["clients"]
    result = undo(applied["plan"].id, clients)
    assert result.ok, [(i.call, i.status, i.message) for i in result.items]
    restored = clients["destination"]("s3").get_bucket_policy(Bucket=DESTINATION)["Policy"]
    assert json.loads(restored) == json.loads(world["original_policy"])
    with pytest.raises(ClientError, match="ReplicationConfigurationNotFound"):
        clients["source"]("s3").get_bucket_replication(Bucket=SOURCE)
    for role in (f"s3xrep-repl-{SOURCE}", f"s3xrep-batch-{SOURCE}"):
        with pytest.raises(ClientError, match="NoSuchEntity"):
            clients["source"]("iam").get_role(RoleName=role)
    notes = {i.call: i for i in result.items if i.status == "note"}
    assert "cannot turn versioning off" in notes["s3.put_bucket_versioning"].message
    assert "Complete" in notes["s3control.create_job"].message
