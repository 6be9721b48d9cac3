"""The ``s3control.create_job`` request of the Batch Replication job for existing objects.

AWS: S3 Control API Reference, CreateJob; S3 User Guide, "Replicating existing objects with Batch Replication".
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .inventory_backfill import inventory_manifest
from .models import BucketFacts, PlanInputs
from .names import bucket_arn
from .policy_parts import folder, source_bucket_arn

# The namespace of our idempotency tokens: uuid5 of the request's canonical JSON (and generation) under it.
TOKEN_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://s3xrep-tui/batch-replication-job")
MAX_DESCRIPTION = 256
# What a fresh backfill after an ended job replicates: never attempted, or failed.
FRESH_BACKFILL_STATUSES = ("NONE", "FAILED")


def _owner(facts: BucketFacts | None, bucket: str, default: str) -> str:
    if facts is not None and facts.bucket.name == bucket:
        return facts.owner_account_id
    return default


def job_description(inputs: PlanInputs) -> str:
    text = f"s3xrep: {inputs.source.bucket.name} -> {inputs.destination.bucket.name} (existing objects)"
    return text[:MAX_DESCRIPTION]


def client_request_token(request: dict[str, Any], generation: int = 0) -> str:
    """One token per intended job: the same request and backfill generation give the same token.

    A retry of one job (an interrupted apply) must send the same token, so S3 answers
    with that job instead of starting a duplicate; a new backfill of the same plan
    (after the earlier job ended) must send a new one, or S3 hands back the old, ended
    job. Generation 0 is the plan's own job; 1, 2, ... the fresh backfills after it.
    """
    rest = {k: v for k, v in request.items() if k != "ClientRequestToken"}
    canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), default=str)
    if generation:
        canonical += f"\nbackfill {generation}"
    return str(uuid.uuid5(TOKEN_NAMESPACE, canonical))


def fresh_backfill_request(request: dict[str, Any], generation: int) -> dict[str, Any]:
    """The plan's job request as backfill ``generation`` (1, 2, ...): objects still NONE or FAILED, a new token."""
    if generation < 1:
        raise ValueError("a fresh backfill is generation 1 or later")
    fresh: dict[str, Any] = json.loads(json.dumps(request, default=str))
    generator = (fresh.get("ManifestGenerator") or {}).get("S3JobManifestGenerator") or {}
    generator.setdefault("Filter", {})["ObjectReplicationStatuses"] = list(FRESH_BACKFILL_STATUSES)
    fresh["ClientRequestToken"] = client_request_token(fresh, generation)
    return fresh


def batch_job_request(inputs: PlanInputs, batch_role_arn: str) -> dict[str, Any]:
    """The full keyword arguments of ``create_job``: generated manifest, S3ReplicateObject, no Tags."""
    options = inputs.options
    source_account = inputs.source_account.id
    part = inputs.partition

    report: dict[str, Any] = {"Enabled": False}
    if options.report_bucket:
        report = {
            "Enabled": True,
            "Bucket": bucket_arn(options.report_bucket, part),
            "Format": "Report_CSV_20180820",
        }
        if folder(options.report_prefix):
            report["Prefix"] = folder(options.report_prefix)
        report["ReportScope"] = "FailedTasksOnly" if options.report_failed_only else "AllTasks"
        report["ExpectedBucketOwner"] = _owner(inputs.report_bucket, options.report_bucket, source_account)

    generator: dict[str, Any] = {
        "ExpectedBucketOwner": source_account,
        "SourceBucket": source_bucket_arn(inputs),
        "EnableManifestOutput": bool(options.manifest_bucket),
    }
    if options.manifest_bucket:
        location: dict[str, Any] = {
            "ExpectedManifestBucketOwner": _owner(inputs.manifest_bucket, options.manifest_bucket, source_account),
            "Bucket": bucket_arn(options.manifest_bucket, part),
        }
        if folder(options.manifest_prefix):
            location["ManifestPrefix"] = folder(options.manifest_prefix)
        location["ManifestEncryption"] = {"SSES3": {}}
        location["ManifestFormat"] = "S3InventoryReport_CSV_20211130"
        generator["ManifestOutputLocation"] = location
    job_filter: dict[str, Any] = {
        "EligibleForReplication": True,
        "ObjectReplicationStatuses": list(options.existing_statuses),
    }
    if options.prefix:
        job_filter["KeyNameConstraint"] = {"MatchAnyPrefix": [options.prefix]}
    generator["Filter"] = job_filter

    request: dict[str, Any] = {
        "AccountId": source_account,
        "ConfirmationRequired": False,  # always explicit: absent means "park the job in Suspended"
        "Operation": {"S3ReplicateObject": {}},
        "Report": report,
        "ManifestGenerator": {"S3JobManifestGenerator": generator},
        "Priority": options.job_priority,
        "RoleArn": batch_role_arn,
        "Description": job_description(inputs),
    }
    manifest = inventory_manifest(inputs)  # S3 Inventory (issue 19): the source's CSV report as the manifest
    if manifest is not None:
        del request["ManifestGenerator"]
        request["Manifest"] = manifest
    request["ClientRequestToken"] = client_request_token(request)
    return request
