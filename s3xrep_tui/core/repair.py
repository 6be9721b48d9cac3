"""Repair: what verify found missing, as a Batch Replication CSV manifest and its job (pure).

From verify's results: the versions a Batch Replication job can still bring over
(manifest rows) and those it cannot by design, each with its reason:

* out of the rule's scope, or a storage class replication skips (verify's own reasons);
* a replica (ReplicationStatus REPLICA) when the plan's ``existing_statuses`` does not select REPLICA;
* SSE-KMS-encrypted when no rule to the destination opts in (``SseKmsEncryptedObjects``);
* replicated once, then deleted by version id on the destination (``DstObjectHardDeleted``:
  Batch Replication never redoes it; AWS: S3 User Guide, "Replication failure reasons");
* a destination version with the same id but other content (replication never overwrites it).

The manifest is AWS's ``S3BatchOperations_CSV_20180820`` with ``Fields: [Bucket, Key, VersionId]``:
no header, one version a line, the key URL-encoded ("Specifying a manifest", S3 User Guide,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html#specify-batchjob-manifest).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from .batch_job import client_request_token
from .names import Partition, bucket_arn
from .policy_parts import policy
from .verify import KMS_ALGORITHMS, Outcome, Result, rules_to

MANIFEST_FORMAT = "S3BatchOperations_CSV_20180820"
MANIFEST_FIELDS = ("Bucket", "Key", "VersionId")
REPAIRABLE = frozenset({Outcome.MISSING, Outcome.DELETE_MARKER_MISSING})
BY_DESIGN = frozenset({Outcome.OUT_OF_SCOPE, Outcome.NOT_ELIGIBLE})
MISMATCHES = frozenset({Outcome.SIZE_MISMATCH, Outcome.ETAG_MISMATCH, Outcome.KIND_MISMATCH})
POLICY_NAME = "s3xrep-repair-manifest"
MAX_DESCRIPTION = 256


@dataclass(frozen=True)
class Row:
    """One manifest line: a source version to replicate."""

    bucket: str
    key: str
    version_id: str

    def as_dict(self) -> dict[str, str]:
        return {"bucket": self.bucket, "key": self.key, "version_id": self.version_id}


@dataclass(frozen=True)
class NotRepairable:
    """A version verify flagged that a replication job cannot bring over, and why."""

    key: str
    version_id: str
    outcome: str
    reason: str
    by_design: bool = True  # False: something to fix by hand (a mismatched replica)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "version_id": self.version_id, "outcome": self.outcome, "reason": self.reason,
                "by_design": self.by_design}


@dataclass(frozen=True)
class SourceFacts:
    """What a HEAD of the source version says (None: unknown)."""

    replication_status: str | None = None
    encryption: str | None = None


def kms_opted_in(configuration: Mapping[str, Any] | None, destination_bucket: str) -> bool:
    """Does an enabled rule to the destination replicate SSE-KMS objects (``SseKmsEncryptedObjects`` Enabled)?"""
    for rule in rules_to(configuration, destination_bucket):
        criteria = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
        if criteria.get("Status") == "Enabled":
            return True
    return False


def triage(
    results: Iterable[Result],
    source_bucket: str,
    *,
    statuses: Iterable[str] = ("NONE", "FAILED"),
    kms_replicated: bool = True,
    facts_of: Callable[[Result], SourceFacts] | None = None,
) -> tuple[list[Row], list[NotRepairable]]:
    """verify's results -> (manifest rows, versions not repairable with their reasons).

    Every repairable version appears once (a repeated (key, version id) is kept once);
    ``facts_of`` (a HEAD of the source version) is only asked about repairable ones.
    """
    selected = {s.upper() for s in statuses}
    rows: list[Row] = []
    skipped: list[NotRepairable] = []
    seen: set[tuple[str, str]] = set()
    for result in results:
        ident = (result.key, result.version_id)
        if ident in seen:
            continue
        outcome = result.outcome
        if outcome in BY_DESIGN:
            seen.add(ident)
            skipped.append(NotRepairable(result.key, result.version_id, outcome.value, result.reason))
            continue
        if outcome in MISMATCHES:
            seen.add(ident)
            skipped.append(NotRepairable(
                result.key, result.version_id, outcome.value,
                f"{result.reason}; replication never overwrites a version already on the destination: delete that "
                "destination version (as the destination account) and run repair again", by_design=False))
            continue
        if outcome not in REPAIRABLE:
            continue
        seen.add(ident)
        facts = facts_of(result) if facts_of is not None else SourceFacts()
        if (facts.replication_status or "").upper() == "REPLICA" and "REPLICA" not in selected:
            skipped.append(NotRepairable(
                result.key, result.version_id, outcome.value,
                "a replica itself (ReplicationStatus REPLICA): the plan's existing statuses do not select REPLICA "
                "(add REPLICA to --existing-statuses to replicate replicas)"))
            continue
        if (facts.replication_status or "").upper() in ("COMPLETED", "COMPLETE") and result.source is not None \
                and not result.source.is_delete_marker:
            skipped.append(NotRepairable(
                result.key, result.version_id, outcome.value,
                "replicated once (COMPLETED), then deleted by version id on the destination: Batch Replication "
                "never re-replicates it (DstObjectHardDeleted); copy it in place on the source (a new version that "
                "replicates), or restore the replica by hand"))
            continue
        if facts.encryption in KMS_ALGORITHMS and not kms_replicated:
            skipped.append(NotRepairable(
                result.key, result.version_id, outcome.value,
                f"{facts.encryption}-encrypted, and no rule to the destination replicates SSE-KMS objects "
                "(SourceSelectionCriteria SseKmsEncryptedObjects is not Enabled)"))
            continue
        rows.append(Row(source_bucket, result.key, result.version_id))
    return rows, skipped


# -- the manifest -----------------------------------------------------------------------------------


def encode_key(key: str) -> str:
    """A key as the CSV manifest wants it: URL-encoded (UTF-8), ``/`` kept."""
    return quote(key, safe="/")


def manifest_csv(rows: Iterable[Row]) -> bytes:
    """``Bucket,Key,VersionId`` lines, no header, keys URL-encoded (so commas, quotes, newlines are safe)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in rows:
        writer.writerow([row.bucket, encode_key(row.key), row.version_id])
    return out.getvalue().encode("utf-8")


def read_manifest(data: bytes) -> list[Row]:
    """The rows of a manifest :func:`manifest_csv` wrote (keys decoded)."""
    return [Row(cells[0], unquote(cells[1]), cells[2])
            for cells in csv.reader(io.StringIO(data.decode("utf-8"))) if cells]


def manifest_key(report_prefix: str | None, plan_id: str, stamp: str, round_no: int) -> str:
    """A round's manifest: ``PREFIX/repair/PLAN/`` (the report prefix, else ``s3xrep``), per run and round."""
    base = (report_prefix or "").strip("/") or "s3xrep"
    return f"{base}/repair/{plan_id}/{stamp}-round{round_no}.csv"


def manifest_read_policy(bucket: str, key: str, partition: Partition = "aws", *,
                         by_version: bool = False) -> dict[str, Any]:
    """The Batch role's least privilege to read the manifest: exactly that object (and its version)."""
    actions = ["s3:GetObject"] + (["s3:GetObjectVersion"] if by_version else [])
    return policy([{"Sid": "S3xrepRepairReadManifest", "Effect": "Allow", "Action": actions,
                    "Resource": f"arn:{partition}:s3:::{bucket}/{key}"}])


def repair_description(source_bucket: str, destination_bucket: str, stamp: str, round_no: int) -> str:
    return f"s3xrep repair: {source_bucket} -> {destination_bucket} ({stamp} round {round_no})"[:MAX_DESCRIPTION]


def repair_job_request(
    plan_job: Mapping[str, Any],
    *,
    manifest_bucket: str,
    manifest_key: str,
    etag: str,
    version_id: str | None,
    description: str,
    partition: Partition = "aws",
) -> dict[str, Any]:
    """``create_job`` of the repair: the plan's job (account, role, report, priority) with a CSV manifest."""
    location: dict[str, Any] = {"ObjectArn": f"{bucket_arn(manifest_bucket, partition)}/{manifest_key}",
                                "ETag": etag.strip('"')}
    if version_id and version_id != "null":
        location["ObjectVersionId"] = version_id
    request: dict[str, Any] = {
        "AccountId": plan_job["AccountId"],
        "ConfirmationRequired": False,
        "Operation": {"S3ReplicateObject": {}},
        "Report": dict(plan_job.get("Report") or {"Enabled": False}),
        "Manifest": {"Spec": {"Format": MANIFEST_FORMAT, "Fields": list(MANIFEST_FIELDS)}, "Location": location},
        "Priority": plan_job.get("Priority", 10),
        "RoleArn": plan_job["RoleArn"],
        "Description": description,
    }
    request["ClientRequestToken"] = client_request_token(request)
    return request
