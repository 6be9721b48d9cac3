"""The inventory steps on the sandbox: plan (inventory on) -> apply -> S3 delivers -> verify --inventory
equals listing verify -> apply again is all no-ops -> undo deletes the configurations and restores the policies."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.inventory_verify import verify_from_inventory
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.aws.verify import verify_replication
from s3xrep_tui.core.inventory_plan import INVENTORY_ID
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import FAST, foreign_policy
from tests.sandbox.helpers import wait_for


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0,
                 config_path=tmp_path / "aws-config") as running:
        yield running


def _config(s3: Any, bucket: str) -> Any:
    try:
        return s3.get_bucket_inventory_configuration(Bucket=bucket, Id=INVENTORY_ID)["InventoryConfiguration"]
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchConfiguration"
        return None


def test_plan_apply_deliver_verify_and_undo(sandbox: Sandbox) -> None:
    clients = {"source": sandbox.clients(A), "destination": sandbox.clients(B)}
    s3a, s3b = clients["source"]("s3"), clients["destination"]("s3")
    for s3, bucket in ((s3a, "inv-src"), (s3a, "inv-src-reports"), (s3b, "inv-dst"), (s3b, "inv-dst-reports")):
        s3.create_bucket(Bucket=bucket)
    theirs = json.dumps(foreign_policy("inv-dst-reports", "Theirs"))
    s3b.put_bucket_policy(Bucket="inv-dst-reports", Policy=theirs)
    for i in range(3):
        s3a.put_object(Bucket="inv-src", Key=f"k{i}", Body=b"x" * i)
    options = MigrationOptions(inventory="on", inventory_source_bucket="inv-src-reports",
                               inventory_destination_bucket="inv-dst-reports")
    plan = build_plan(gather_inputs(clients["source"], clients["destination"], "inv-src", "inv-dst", options))
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    result = apply_plan(plan, clients, options=options, backoff=FAST)
    assert result.ok, [(s.step.id, s.message) for s in result.steps if s.status == "failed"]
    assert _config(s3a, "inv-src")["Destination"]["S3BucketDestination"]["Bucket"] == "arn:aws:s3:::inv-src-reports"
    assert _config(s3b, "inv-dst") is not None
    sids = [s["Sid"] for s in json.loads(s3b.get_bucket_policy(Bucket="inv-dst-reports")["Policy"])["Statement"]]
    assert sids[0] == "Theirs" and sids[1].endswith("InventoryDestination")  # merged by Sid, theirs kept

    wait_for(lambda: sandbox.engine.pending_count() == 0 and not [j for j in sandbox.batch.jobs()
             if j.get("Status") not in ("Complete", "Failed", "Cancelled")], timeout=30, what="the backfill")
    deliveries = sandbox.deliver_inventory()
    assert sorted(d.source_bucket for d in deliveries if d.refused is None) == ["inv-dst", "inv-src"], deliveries
    listing = verify_replication(clients["source"], clients["destination"], "inv-src", "inv-dst", limit=None)
    inventory = verify_from_inventory(clients["source"], clients["destination"], "inv-src", "inv-dst", limit=None)
    assert inventory.summary.counts == listing.summary.counts and inventory.ok == listing.ok

    again = build_plan(gather_inputs(clients["source"], clients["destination"], "inv-src", "inv-dst", options))
    assert all(s.action == "no-op" for s in again.steps if "inventory" in (s.document or ""))

    undone = undo(plan.id, clients, backoff=FAST)
    assert undone.ok, undone
    assert _config(s3a, "inv-src") is None and _config(s3b, "inv-dst") is None
    assert s3b.head_bucket(Bucket="inv-dst")  # the sandbox's delete is not moto's DeleteBucket
    assert json.loads(s3b.get_bucket_policy(Bucket="inv-dst-reports")["Policy"]) == json.loads(theirs)


def test_inventory_auto_reads_the_object_count_from_cloudwatch_and_turns_on_above_the_threshold(
        sandbox: Sandbox) -> None:
    """inventory=auto: the plan reads CloudWatch's daily NumberOfObjects (no listing) for each bucket and
    adds the inventory steps from INVENTORY_AUTO_OBJECTS objects (AWS: cloudwatch-monitoring, daily storage
    metrics); a bucket below it, or with no figures yet, plans none."""
    from s3xrep_tui.core.inventory_plan import INVENTORY_AUTO_OBJECTS
    from s3xrep_tui.sandbox.storage_metrics import set_virtual_figures

    clients = {"source": sandbox.clients(A), "destination": sandbox.clients(B)}
    s3a, s3b = clients["source"]("s3"), clients["destination"]("s3")
    for s3, bucket in ((s3a, "big-src"), (s3a, "small-src"), (s3a, "src-reports"), (s3b, "inv-dst"),
                       (s3b, "dst-reports")):
        s3.create_bucket(Bucket=bucket)
    s3a.put_object(Bucket="small-src", Key="k", Body=b"x")
    set_virtual_figures(A, "big-src", INVENTORY_AUTO_OBJECTS * 3, {"StandardStorage": 10**12})
    options = MigrationOptions(inventory_source_bucket="src-reports", inventory_destination_bucket="dst-reports")
    assert options.inventory == "auto"

    def inventory_steps(source_bucket: str) -> tuple[int | None, list[str]]:
        inputs = gather_inputs(clients["source"], clients["destination"], source_bucket, "inv-dst", options)
        plan = build_plan(inputs)
        return inputs.source.object_count, [s.call for s in plan.steps if "inventory" in s.call]

    count, calls = inventory_steps("big-src")
    assert count == INVENTORY_AUTO_OBJECTS * 3
    assert "s3.put_bucket_inventory_configuration" in calls, calls
    count, calls = inventory_steps("small-src")
    assert (count or 0) < INVENTORY_AUTO_OBJECTS and calls == []


def test_inventory_auto_above_the_threshold_without_reports_buckets_warns_and_does_not_block(
        sandbox: Sandbox) -> None:
    from s3xrep_tui.core.inventory_plan import INVENTORY_AUTO_OBJECTS
    from s3xrep_tui.sandbox.storage_metrics import set_virtual_figures

    clients = {"source": sandbox.clients(A), "destination": sandbox.clients(B)}
    clients["source"]("s3").create_bucket(Bucket="big-src")
    clients["destination"]("s3").create_bucket(Bucket="inv-dst")
    set_virtual_figures(A, "big-src", INVENTORY_AUTO_OBJECTS * 2, {"StandardStorage": 10**12})
    plan = build_plan(gather_inputs(clients["source"], clients["destination"], "big-src", "inv-dst",
                                    MigrationOptions()))
    assert not plan.blocked, [f.message for f in plan.findings if f.severity == "blocking"]
    (warning,) = [f for f in plan.findings if f.id == "inventory-auto-reports-unset"]
    assert warning.severity == "warning" and f"{INVENTORY_AUTO_OBJECTS * 2:,} objects" in warning.message
    assert "--inventory-source-bucket" in warning.fix and "--inventory off" in warning.fix
    assert not [s for s in plan.steps if "inventory" in s.call]
