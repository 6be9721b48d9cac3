"""A Batch Replication job that reads the source's S3 Inventory report instead of generating its manifest.

"Creating an S3 Batch Operations job" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html):
the manifest may be an existing CSV-formatted inventory report: ``Spec.Format``
``S3InventoryReport_CSV_20161130``, ``Location`` its manifest.json and that object's ETag. Only CSV
reports qualify, so the report used is the newest complete one of a CSV, all-versions, whole-bucket
configuration of the source (s3xrep's own inventory is Parquet, for verify). A manifest is not
filtered by replication status the way the generator is: versions already COMPLETED are replicated
again, and null versions (an empty version id in the report) fail their tasks
("Converting empty version ID strings in Amazon S3 Inventory reports to null strings").
"""

from __future__ import annotations

from typing import Any

from .models import Finding, PlanInputs
from .names import bucket_arn

INVENTORY_MANIFEST_FORMAT = "S3InventoryReport_CSV_20161130"


def _report(inputs: PlanInputs) -> dict[str, Any] | None:
    options = inputs.options
    if not (options.backfill_from_inventory and options.replicate_existing):
        return None
    return inputs.source_inventory_manifest


def inventory_manifest(inputs: PlanInputs) -> dict[str, Any] | None:
    """The create_job ``Manifest`` member naming the report (None: the job generates its manifest)."""
    report = _report(inputs)
    if report is None:
        return None
    return {"Spec": {"Format": INVENTORY_MANIFEST_FORMAT},
            "Location": {"ObjectArn": f"{bucket_arn(report['bucket'], inputs.partition)}/{report['key']}",
                         "ETag": report["etag"]}}


def manifest_objects_arn(inputs: PlanInputs) -> str | None:
    """What the Batch role reads: the report's folder (its manifest.json and data files), nothing else."""
    report = _report(inputs)
    if report is None:
        return None
    base = str(report["key"]).rsplit("/", 2)[0]  # <prefix>/<bucket>/<config>/<stamp>/manifest.json
    return f"{bucket_arn(report['bucket'], inputs.partition)}/{base}/*"


def backfill_findings(inputs: PlanInputs) -> list[Finding]:
    options = inputs.options
    if not (options.backfill_from_inventory and options.replicate_existing):
        return []
    report = inputs.source_inventory_manifest
    if report is None:
        return [Finding(id="backfill-inventory-none", severity="warning",
                        message=f"{inputs.source.bucket.name} has no complete CSV inventory report yet (Batch "
                        "Operations reads only CSV-formatted reports): the Batch job generates its manifest.",
                        fix="add a daily all-versions CSV inventory of the source, and plan again after its first "
                        "report; or leave out --backfill-from-inventory")]
    return [Finding(id="backfill-inventory", severity="info",
                    message=f"The Batch job reads the inventory report of {report.get('as_of', '?')} "
                    f"(s3://{report['bucket']}/{report['key']}): every version it lists is replicated, those already "
                    "COMPLETED again, and versions written since are left to live replication.",
                    fix="leave out --backfill-from-inventory to let the job select NONE/FAILED versions itself")]
