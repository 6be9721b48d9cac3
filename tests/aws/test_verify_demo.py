"""End to end on the demo seed: the plan applied, the Batch job done, verify finds nothing missing, the canary replicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name

from s3xrep_tui.aws.canary import run_canary
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.verify import VerifyProgress, verify_replication
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.core.verify import Outcome
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from tests.aws.test_verify import SharedSandbox
from tests.sandbox.helpers import wait_for

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedSandbox]:
    config: Path = tmp_path_factory.mktemp("verify-demo") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        sandbox = SharedSandbox(running)
        clients = {"source": sandbox.clients(SOURCE_ACCOUNT), "destination": sandbox.clients(DESTINATION_ACCOUNT)}
        plan = build_plan(gather_inputs(clients["source"], clients["destination"], SOURCE, DESTINATION,
                                        MigrationOptions()))
        assert not plan.blocked
        response: dict[str, Any] = {}
        for step in plan.steps:  # each step's request sent as it stands (the apply executor is elsewhere)
            if step.action == "no-op":
                continue
            service, operation = step.call.split(".")
            client = clients[step.account](service)
            assert operation in {xform_name(op) for op in client.meta.service_model.operation_names}
            response = getattr(client, operation)(**step.request)
        s3control = clients["source"]("s3control")
        wait_for(lambda: s3control.describe_job(AccountId=SOURCE_ACCOUNT, JobId=response["JobId"])["Job"]["Status"]
                 in ("Complete", "Failed", "Cancelled"), timeout=60, what="the Batch Replication job")
        yield sandbox


def test_verify_after_the_batch_job_finds_nothing_missing(applied: SharedSandbox) -> None:
    # the whole media bucket (3,250 objects; six GLACIER ones under logs/): the sandbox answers each
    # listing page in time proportional to the page (sandbox/listing.py), so this takes seconds
    seen: list[VerifyProgress] = []
    report = verify_replication(applied.clients(SOURCE_ACCOUNT), applied.clients(DESTINATION_ACCOUNT),
                                SOURCE, DESTINATION, progress=seen.append)
    summary = report.summary
    assert report.ok, [r.as_dict() for r in summary.differences[:3]]
    assert summary.counts[Outcome.NOT_ELIGIBLE] == 6
    assert summary.counts[Outcome.REPLICATED] == 3244 == summary.destination_versions
    assert summary.compared == summary.source_versions == 3250
    assert [p.source_listed + p.destination_listed for p in seen][-1] == 6494 and seen[-1].done


def test_the_canary_replicates_on_the_demo(applied: SharedSandbox) -> None:
    result = run_canary(applied.clients(SOURCE_ACCOUNT), applied.clients(DESTINATION_ACCOUNT), SOURCE, DESTINATION,
                        timeout=20)
    assert result.ok, result.as_dict()
