"""--backfill-from-inventory on the sandbox: the Batch job reads the source's CSV inventory report instead of
generating its manifest, its role reads exactly that report's folder, and every listed version replicates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import FAST
from tests.aws.inventory_helpers import delivery_policy
from tests.sandbox.helpers import wait_for


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0,
                 config_path=tmp_path / "aws-config") as running:
        yield running


def _plan(clients, options):
    return build_plan(gather_inputs(clients["source"], clients["destination"], "bf-src", "bf-dst", options))


def test_the_job_reads_the_csv_inventory_report_and_replicates_what_it_lists(sandbox: Sandbox) -> None:
    clients = {"source": sandbox.clients(A), "destination": sandbox.clients(B)}
    s3a, s3b = clients["source"]("s3"), clients["destination"]("s3")
    for s3, bucket in ((s3a, "bf-src"), (s3a, "bf-reports"), (s3b, "bf-dst")):
        s3.create_bucket(Bucket=bucket)
    s3a.put_bucket_versioning(Bucket="bf-src", VersioningConfiguration={"Status": "Enabled"})
    versions = [s3a.put_object(Bucket="bf-src", Key=f"k{i}", Body=b"x" * i)["VersionId"] for i in range(3)]
    options = MigrationOptions(backfill_from_inventory=True)
    without = _plan(clients, options)
    assert "ManifestGenerator" in without.documents["batch_job"]
    assert any(f.id == "backfill-inventory-none" and f.severity == "warning" for f in without.findings)

    s3a.put_bucket_policy(Bucket="bf-reports", Policy=delivery_policy("bf-reports", "bf-src", A))
    s3a.put_bucket_inventory_configuration(Bucket="bf-src", Id="csv", InventoryConfiguration={
        "Id": "csv", "IsEnabled": True, "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Daily"},
        "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::bf-reports", "Format": "CSV", "AccountId": A}}})
    [delivery] = sandbox.deliver_inventory("bf-src")
    plan = _plan(clients, options)
    job = plan.documents["batch_job"]
    assert "ManifestGenerator" not in job and job["Manifest"]["Spec"] == {"Format": "S3InventoryReport_CSV_20161130"}
    assert job["Manifest"]["Location"]["ObjectArn"] == f"arn:aws:s3:::bf-reports/{delivery.manifest_key}"
    statements = {s["Sid"]: s for s in plan.documents["batch_role_policy"]["Statement"]}
    read = next(s for sid, s in statements.items() if sid.endswith("ReadInventoryManifest"))
    assert read["Resource"] == "arn:aws:s3:::bf-reports/bf-src/csv/*"
    assert not any(sid.endswith("GenerateManifest") for sid in statements)  # nothing generated, nothing granted

    result = apply_plan(plan, clients, options=options, backoff=FAST)
    assert result.ok, [(s.step.id, s.message) for s in result.steps if s.status == "failed"]
    ended = wait_for(lambda: next((j for j in sandbox.batch.jobs() if j.get("Status") in ("Complete", "Failed")), None),
                     timeout=30, what="the backfill job")
    assert ended["Status"] == "Complete", ended
    for i, version in enumerate(versions):
        assert s3b.head_object(Bucket="bf-dst", Key=f"k{i}", VersionId=version)["ReplicationStatus"] == "REPLICA"
