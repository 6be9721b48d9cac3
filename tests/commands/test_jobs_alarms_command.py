"""``s3xrep jobs`` lists each local migration's alarms (state as a word) and recent failure events with reasons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import make_world
from tests.sandbox.helpers import wait_final, wait_for


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("jobs-alarms") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def test_jobs_lists_the_alarms_and_the_failure_events_of_this_accounts_migrations(
        sandbox: Sandbox, env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = make_world(sandbox, {A: sandbox.clients(A), B: sandbox.clients(B)}, "jobsalarm")
    plan = w.plan()
    assert w.apply(plan).ok
    code = main(["jobs", "--profile", "s3xrep-demo-source", "--region", "us-east-1"])
    out = capsys.readouterr().out
    assert code == 0 and f"Alarms of migration {plan.id}:" in out
    assert "failed-replication" in out and "replication-latency" in out

    role = plan.documents["replication_configuration"]["Role"].rsplit("/", 1)[-1]
    iam = w.iam()
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)
    version = w.s3a().put_object(Bucket=w.src, Key="photos/late.jpg", Body=b"late")["VersionId"]
    assert wait_final(w.s3a(), w.src, "photos/late.jpg", version) == "FAILED"

    def listed() -> Any:
        sandbox.metrics.flush()
        sandbox.alarms.evaluate()
        main(["jobs", "--profile", "s3xrep-demo-source", "--region", "us-east-1", "--json"])
        document = json.loads(capsys.readouterr().out)
        (mine,) = [m for m in document["alarms"] if m["plan_id"] == plan.id]
        states = {a["metric"]: a["state"] for a in mine["alarms"]}
        return mine if states.get("OperationsFailedReplication") == "ALARM" and mine["failure_events"] else None

    mine = wait_for(listed, what="the alarm and the event in jobs --json")
    (event,) = mine["failure_events"]
    assert event["key"] == "photos/late.jpg" and event["reason"] == "SrcGetObjectNotPermitted"
    assert event["meaning"] == "the replication role may not read the source object version"
    main(["jobs", "--profile", "s3xrep-demo-source", "--region", "us-east-1"])
    text = capsys.readouterr().out
    assert "ALARM " in text and "FAILED photos/late.jpg" in text
    assert "the replication role may not read the source object version [SrcGetObjectNotPermitted]" in text
