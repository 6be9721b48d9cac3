"""S3 Inventory as part of a plan: our configuration, its reports bucket and the delivery policy statement.

"Amazon S3 Inventory" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory.html):
an all-versions report adds ``IsDeleteMarker`` (and ``version_id``, ``is_latest``)
by itself; the optional fields are what verification compares. The reports
bucket must be in the source bucket's Region, and its policy must let
``s3.amazonaws.com`` put the report ("Granting permissions for S3 Inventory and
S3 analytics", https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .merge import MergeError, merge_bucket_policy
from .models import BucketFacts, Finding, PlanInputs, Side, StepAction
from .names import Partition, bucket_arn
from .policy_json import dump_policy

INVENTORY_ID = "s3xrep-all-versions"
#: the optional fields verification reads (IsDeleteMarker comes with IncludedObjectVersions=All)
INVENTORY_FIELDS = ("Size", "LastModifiedDate", "ETag", "IsMultipartUploaded", "StorageClass", "ReplicationStatus",
                    "EncryptionStatus", "ChecksumAlgorithm")
#: ``inventory=auto`` turns the inventory on from this many objects in either bucket: below it a listing
#: verify takes minutes; above it, hours (a ListObjectVersions call per 1,000 versions)
INVENTORY_AUTO_OBJECTS = 1_000_000
DELIVERY_SID = "Inventory"  # our delivery statement's Sid: the plan's Sid family + this + the side


@dataclass(frozen=True)
class InventoryStep:
    account: Side
    call: str
    action: StepAction
    summary: str
    request: dict[str, Any]
    document: str


@dataclass
class InventoryPlan:
    wanted: bool
    why: str
    steps: list[InventoryStep] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    documents: dict[str, Any] = field(default_factory=dict)


def _most_objects(inputs: PlanInputs) -> int | None:
    counts = [c for c in (inputs.source.object_count, inputs.destination.object_count) if c is not None]
    return max(counts) if counts else None


def inventory_wanted(inputs: PlanInputs) -> tuple[bool, str]:
    """Whether the plan adds the inventory steps, and why (for the plan's text)."""
    mode = inputs.options.inventory
    if mode != "auto":
        return mode == "on", f"inventory {mode} (asked)"
    most = _most_objects(inputs)
    if most is None:
        return False, "inventory auto: off (the buckets' object counts are not known yet)"
    on = most >= INVENTORY_AUTO_OBJECTS
    return on, (f"inventory auto: {'on' if on else 'off'} ({most:,} objects; on from {INVENTORY_AUTO_OBJECTS:,}, "
                "CloudWatch's daily NumberOfObjects)")


def inventory_configuration(reports_bucket: str, reports_account: str, prefix: str,
                            partition: Partition = "aws") -> dict[str, Any]:
    """Our configuration: every version, daily, Parquet, the fields verify reads, SSE-S3 reports."""
    destination: dict[str, Any] = {"AccountId": reports_account, "Bucket": bucket_arn(reports_bucket, partition),
                                   "Format": "Parquet", "Encryption": {"SSES3": {}}}
    if prefix.strip("/"):
        destination["Prefix"] = prefix.strip("/")
    return {"Id": INVENTORY_ID, "IsEnabled": True, "IncludedObjectVersions": "All",
            "Schedule": {"Frequency": "Daily"}, "OptionalFields": list(INVENTORY_FIELDS),
            "Destination": {"S3BucketDestination": destination}}


def delivery_statement(family: str, side: Side, reports_bucket: str, prefix: str, bucket: str, account: str,
                       partition: Partition = "aws") -> dict[str, Any]:
    """What S3 Inventory needs to put ``bucket``'s reports: only under our prefix, only for that bucket and account."""
    folder = "/".join(p for p in (prefix.strip("/"), bucket) if p)
    return {
        "Sid": f"{family}{DELIVERY_SID}{side.capitalize()}",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn(reports_bucket, partition)}/{folder}/*",
        "Condition": {"ArnLike": {"aws:SourceArn": bucket_arn(bucket, partition)},
                      "StringEquals": {"aws:SourceAccount": account, "s3:x-amz-acl": "bucket-owner-full-control"}},
    }


def _reports_findings(side: Side, facts: BucketFacts | None, name: str | None, bucket: BucketFacts,
                      account: str, replicated: tuple[str, str]) -> list[Finding]:
    flag = f"--inventory-{side}-bucket"
    if name is None:
        return [Finding(id=f"inventory-{side}-reports-unset", severity="blocking",
                        message=f"The inventory needs a reports bucket in the {side} account ({account}).",
                        fix=f"Pass {flag} (a bucket of account {account} in {bucket.bucket.region or 'its Region'}), "
                        "or --inventory off.")]
    if name in replicated:
        return [Finding(id=f"inventory-{side}-reports-replicated", severity="blocking",
                        message=f"The {side} reports bucket {name} is one of the buckets being replicated: "
                        "its reports would be replicated (and compared) too.",
                        fix=f"Pass another {flag}.")]
    if facts is None or not facts.exists:
        return [Finding(id=f"inventory-{side}-reports-missing", severity="blocking",
                        message=f"The {side} reports bucket {name} does not exist (or is not visible to account "
                        f"{account}).", fix=f"Create {name} in account {account}, or pass another {flag}.")]
    found = []
    if facts.owner_account_id != account:
        found.append(Finding(id=f"inventory-{side}-reports-wrong-owner", severity="blocking",
                             message=f"The {side} reports bucket {name} is owned by account {facts.owner_account_id}, "
                             f"not {account}: verify reads each side's reports with that side's credentials.",
                             fix=f"Pass a {flag} owned by account {account}."))
    if facts.bucket.region and bucket.bucket.region and facts.bucket.region != bucket.bucket.region:
        found.append(Finding(id=f"inventory-{side}-reports-wrong-region", severity="blocking",
                             message=f"The {side} reports bucket {name} is in {facts.bucket.region}; S3 Inventory "
                             f"delivers only to a bucket in the inventoried bucket's Region ({bucket.bucket.region}).",
                             fix=f"Pass a {flag} in {bucket.bucket.region}."))
    return found


def plan_inventory(inputs: PlanInputs, family: str) -> InventoryPlan:
    """The inventory steps of a plan: each side's reports bucket policy (merged by Sid), then its configuration."""
    wanted, why = inventory_wanted(inputs)
    result = InventoryPlan(wanted, why)
    if not wanted:
        return result
    o = inputs.options
    if o.inventory == "auto" and (o.inventory_source_bucket is None or o.inventory_destination_bucket is None):
        # auto never blocks a plan the user did not ask to inventory: it says what would add it
        result.wanted, result.why = False, why + ", but no reports buckets were named"
        result.findings.append(Finding(
            id="inventory-auto-reports-unset", severity="warning",
            message=f"A bucket holds {_most_objects(inputs):,} objects (CloudWatch's daily NumberOfObjects): at "
            "this size verify should read S3 Inventory reports (verify --inventory), not list every version.",
            fix="Pass --inventory-source-bucket and --inventory-destination-bucket (a reports bucket in each "
            "account, in its bucket's Region) to add the inventory, or --inventory off to stop this warning."))
        return result
    replicated = (inputs.source.bucket.name, inputs.destination.bucket.name)
    sides: tuple[tuple[Side, BucketFacts, str, str | None, BucketFacts | None, dict[str, Any] | None], ...] = (
        ("source", inputs.source, inputs.source_account.id, o.inventory_source_bucket,
         inputs.source_inventory_reports, inputs.source_inventory),
        ("destination", inputs.destination, inputs.destination_account.id, o.inventory_destination_bucket,
         inputs.destination_inventory_reports, inputs.destination_inventory),
    )
    for side, bucket, account, name, reports, current in sides:
        problems = _reports_findings(side, reports, name, bucket, account, replicated)
        result.findings += problems
        if problems or name is None or reports is None:
            continue
        statement = delivery_statement(family, side, name, o.inventory_prefix, bucket.bucket.name, account,
                                       inputs.partition)
        try:
            merged = merge_bucket_policy(reports.policy, [statement], family=family, bucket=name,
                                         proven=inputs.statement_fingerprints)
        except MergeError as error:
            result.findings.append(Finding(id=error.finding_id, severity="blocking", message=error.message,
                                           fix=error.fix))
            continue
        policy_doc, config_doc = f"{side}_inventory_reports_policy", f"{side}_inventory_configuration"
        result.documents[policy_doc] = merged.policy
        result.steps.append(InventoryStep(
            side, "s3.put_bucket_policy",
            ("create" if reports.policy is None else "update") if merged.changed else "no-op",
            f"Let S3 Inventory deliver {bucket.bucket.name}'s reports into {name} ({merged.foreign} existing "
            "statement(s) kept)",
            {"Bucket": name, "Policy": dump_policy(merged.policy), "ExpectedBucketOwner": account}, policy_doc))
        config = inventory_configuration(name, account, o.inventory_prefix, inputs.partition)
        result.documents[config_doc] = config
        if current is not None and current != config and not o.adopt:
            result.findings.append(Finding(
                id=f"inventory-{side}-configuration-taken", severity="blocking",
                message=f"{bucket.bucket.name} already has an inventory configuration with Id {INVENTORY_ID} that "
                "differs from ours: refusing to replace a configuration this plan did not write.",
                fix="Delete or rename that configuration, or pass --adopt (its content is journaled first)"))
            continue
        result.steps.append(InventoryStep(
            side, "s3.put_bucket_inventory_configuration",
            "create" if current is None else ("no-op" if current == config else "update"),
            f"Report every version of {bucket.bucket.name} daily (S3 Inventory {INVENTORY_ID}, Parquet) into "
            f"{name}",
            {"Bucket": bucket.bucket.name, "Id": INVENTORY_ID, "InventoryConfiguration": config,
             "ExpectedBucketOwner": account}, config_doc))
    return result
