"""What the plan's S3 Inventory steps read (issue 19), once the buckets' Regions are known: our
configuration on each bucket, and, for a backfill from the inventory, the source's newest complete report.

Kept apart from ``inspect`` (which calls :func:`with_inventory_facts` last) so that
``inspect`` does not grow, and without ``bucket_access`` (which imports ``inspect``).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..core.inventory_plan import INVENTORY_ID, inventory_wanted
from ..core.models import BucketFacts, PlanInputs
from .clients import Clients
from .errors import AwsError, error_code, explain, who
from .identity import profile_of
from .inventory_reports import NO_CONFIGURATION, find_report
from .storage_metrics import object_count


class _Side:
    """One bucket read as its owner in its Region: what ``inventory_reports.find_report`` needs of a side."""

    def __init__(self, clients: Clients, facts: BucketFacts, side: str) -> None:
        self.bucket, self.owner, self.side = facts.bucket.name, facts.owner_account_id, side
        self.profile = profile_of(clients)
        self.s3 = clients("s3", facts.bucket.region)

    @property
    def where(self) -> str:
        return f"{self.side} ({who(self.profile)})"

    def call(self, method: str, *, absent: str | tuple[str, ...] = (), **kwargs: Any) -> dict[str, Any] | None:
        try:
            return getattr(self.s3, method)(Bucket=self.bucket, ExpectedBucketOwner=self.owner, **kwargs)
        except Exception as exc:
            if isinstance(exc, ClientError) and error_code(exc) in ((absent,) if isinstance(absent, str) else absent):
                return None
            raise explain(exc, profile=self.profile, what=f"s3.{method} on bucket {self.bucket!r}").within(
                self.where) from exc


def our_configuration(side: _Side, *, quiet: bool) -> dict[str, Any] | None:
    """Our inventory configuration as it is (None: absent; also None when ``quiet`` and it cannot be read)."""
    try:
        answer = side.call("get_bucket_inventory_configuration", absent=NO_CONFIGURATION, Id=INVENTORY_ID)
    except AwsError as exc:
        if quiet and exc.code in ("AccessDenied", "NoSuchBucket"):
            return None  # inventory auto: a plan must not fail for a read it may not need
        raise
    return (answer or {}).get("InventoryConfiguration")


def newest_manifest(side: _Side) -> dict[str, Any] | None:
    """The source's newest complete CSV report (what Batch Operations reads), for the job's manifest (None: none)."""
    try:
        report = find_report(side, fmt="CSV")  # type: ignore[arg-type]  (duck-typed: bucket, owner, s3, call, where)
    except AwsError as exc:
        if exc.code == "NoInventory":
            return None
        raise
    return {"bucket": report.reports_bucket, "key": report.manifest_key, "etag": report.manifest_etag,
            "as_of": report.started.isoformat()}


def with_object_counts(inputs: PlanInputs, source: Clients, destination: Clients) -> PlanInputs:
    """``inputs`` with each existing bucket's object count from CloudWatch's daily storage metrics.

    Read only for ``inventory=auto`` (the threshold needs it), and quietly: a profile that may not
    read CloudWatch, or a bucket with no metrics yet, leaves the count unknown (auto stays off and
    says why) rather than failing the plan. Free at any size: no listing.
    """
    if inputs.options.inventory != "auto":
        return inputs
    update: dict[str, Any] = {}
    for field, clients, facts in (("source", source, inputs.source), ("destination", destination, inputs.destination)):
        if facts.exists and facts.object_count is None:
            try:
                count = object_count(clients("cloudwatch", facts.bucket.region), facts.bucket.name)
            except AwsError:
                continue
            if count is not None:
                update[field] = facts.model_copy(update={"object_count": count})
    return inputs.model_copy(update=update) if update else inputs


def with_inventory_facts(inputs: PlanInputs, source: Clients, destination: Clients) -> PlanInputs:
    """``inputs`` with our configuration on each existing bucket (and the source's newest report, when asked)."""
    inputs = with_object_counts(inputs, source, destination)
    options = inputs.options
    update: dict[str, Any] = {}
    if options.backfill_from_inventory and options.replicate_existing and inputs.source.exists:
        update["source_inventory_manifest"] = newest_manifest(_Side(source, inputs.source, "source"))
    if inventory_wanted(inputs)[0]:  # off, or auto below the threshold (or counts unknown): nothing to read
        quiet = options.inventory == "auto"
        for field, clients, facts, side in (("source_inventory", source, inputs.source, "source"),
                                            ("destination_inventory", destination, inputs.destination, "destination")):
            if facts.exists:
                update[field] = our_configuration(_Side(clients, facts, side), quiet=quiet)
    return inputs.model_copy(update=update) if update else inputs
