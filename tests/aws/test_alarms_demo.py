"""The demo's failing object (issue 18): one version of acme-legacy-secure under a key the role is not granted.

Migrating acme-legacy-secure (SSE-KMS objects included, replicas under the destination's key)
replicates its 60 statements and fails on that version with SrcGetObjectNotPermitted: the
failed-operations alarm goes to ALARM and the failure event reaches our inbox, its reason in words.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws.alarm_status import alarm_status
from s3xrep_tui.aws.apply import Backoff, apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox import seed
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.sandbox.helpers import wait_for


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("alarms-demo") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def test_the_demo_failing_version_raises_the_alarm_and_an_event_with_its_reason(
        sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    a, b = sandbox.clients(A), sandbox.clients(B)
    replica_key = b("kms").describe_key(KeyId=seed.REPLICA_KEY_ALIAS)["KeyMetadata"]["Arn"]
    options = MigrationOptions(replica_kms_key=replica_key, report_bucket=seed.SOURCE_REPORTS)
    plan = build_plan(gather_inputs(a, b, seed.SECURE, seed.DEST_MEDIA, options))
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    result = apply_plan(plan, {"source": a, "destination": b}, options=options, backoff=Backoff(total=0.1, first=0.005))
    assert result.ok, [(s.step.call, s.message) for s in result.steps if s.status == "failed"]

    def seen() -> object:
        sandbox.metrics.flush()
        sandbox.alarms.evaluate()
        status = alarm_status(a, plan.id)
        return status if status.any_alarm and status.events else None

    status = wait_for(seen, timeout=30, what="the demo's failure as an alarm and an event")
    (event,) = {e.key: e for e in status.events}.values()
    assert event.key == seed.FAILING_KEY and event.reason == "SrcGetObjectNotPermitted"
    assert event.meaning == "the replication role may not read the source object version"  # the reason in words (core.failure_codes)
    failed = next(x for x in status.alarms if x.metric == "OperationsFailedReplication")
    assert failed.state == "ALARM"
    statuses = {o["Key"]: a("s3").head_object(Bucket=seed.SECURE, Key=o["Key"]).get("ReplicationStatus")
                for o in a("s3").list_objects_v2(Bucket=seed.SECURE, MaxKeys=100)["Contents"]}
    assert statuses.pop(seed.FAILING_KEY) == "FAILED"
    assert set(statuses.values()) == {"COMPLETED"} and len(statuses) == 60
