"""The domain model: who, which buckets, what is there now, what the user wants.

``BucketFacts`` is what ``s3xrep_tui.aws.inspect`` reads from AWS; everything in
``core`` works from these models alone, so it is deterministic and testable
without a network.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .names import (
    MAX_PREFIX_LENGTH,
    MAX_RULE_ID_LENGTH,
    Partition,
    bucket_arn,
    check_account_id,
    check_bucket_name,
    fit_role_name,
    partition_for_region,
    role_name_problems,
)

Versioning = Literal["Enabled", "Suspended", "Unversioned"]
ObjectOwnership = Literal["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]
ReplicationStatusFilter = Literal["NONE", "FAILED", "COMPLETED", "REPLICA"]
Severity = Literal["blocking", "warning", "info"]
Side = Literal["source", "destination"]
StepAction = Literal["create", "update", "no-op"]

# Storage classes that make sense as a replication target (the model also lists
# OUTPOSTS, SNOW, EXPRESS_ONEZONE and the FSx classes, which do not).
STORAGE_CLASSES = (
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Account(_Model):
    """An AWS account as resolved through STS."""

    id: str
    partition: Partition = "aws"
    arn: str | None = None  # the caller identity's ARN, for display

    @field_validator("id")
    @classmethod
    def _twelve_digits(cls, value: str) -> str:
        return check_account_id(value)


class Bucket(_Model):
    """A bucket by name and home region (``None`` region means not known yet)."""

    name: str
    region: str | None = None

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_bucket_name(value)

    @property
    def partition(self) -> Partition:
        return partition_for_region(self.region)

    @property
    def arn(self) -> str:
        return bucket_arn(self.name, self.partition)


class EncryptionFacts(_Model):
    """Default encryption (``get_bucket_encryption`` rule 0)."""

    algorithm: Literal["AES256", "aws:kms", "aws:kms:dsse", "aws:fsx"] | None = None
    kms_key_id: str | None = None  # as configured: key id, key ARN or alias
    bucket_key_enabled: bool = False
    blocked_encryption_types: tuple[str, ...] = ()  # e.g. ("SSE-C",)

    @property
    def uses_kms(self) -> bool:
        return self.algorithm in ("aws:kms", "aws:kms:dsse")


class KmsKeyFacts(_Model):
    """A KMS key as ``describe_key`` and ``get_key_policy`` see it."""

    arn: str
    manager: Literal["AWS", "CUSTOMER"] | None = None  # None: could not be described
    region: str | None = None
    state: str | None = None  # Enabled, Disabled, PendingDeletion, ...
    policy: str | None = None  # the 'default' key policy, JSON text as returned

    @property
    def account_id(self) -> str | None:
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 and parts[4] else None


class ObjectLockFacts(_Model):
    enabled: bool = False
    default_mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = None
    default_days: int | None = None
    default_years: int | None = None


class RoleFacts(_Model):
    """An IAM role in the source account, if it exists."""

    name: str
    exists: bool = False
    arn: str | None = None  # as returned by get_role (keeps its path)
    trust_policy: dict[str, Any] | None = None
    inline_policies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    attached_policies: tuple[str, ...] = ()  # managed policy ARNs
    tags: dict[str, str] = Field(default_factory=dict)  # our s3xrep:managed-by tag proves it is ours


class BucketFacts(_Model):
    """Everything about one bucket that the plan depends on."""

    bucket: Bucket
    owner_account_id: str
    exists: bool = True
    versioning: Versioning = "Unversioned"
    mfa_delete: bool = False
    object_ownership: ObjectOwnership | None = None  # None: never set (acts as ObjectWriter)
    encryption: EncryptionFacts = EncryptionFacts()
    default_kms_key: KmsKeyFacts | None = None  # described when the default is SSE-KMS
    object_lock: ObjectLockFacts = ObjectLockFacts()
    requester_pays: bool = False
    replication: dict[str, Any] | None = None  # ReplicationConfiguration as returned, or None
    policy: str | None = None  # bucket policy JSON text as returned, or None (NoSuchBucketPolicy)
    lifecycle_rules: tuple[dict[str, Any], ...] = ()
    object_count: int | None = None  # CloudWatch's daily NumberOfObjects (None: not read / not published yet)

    @property
    def versioned(self) -> bool:
        return self.versioning == "Enabled"

    @property
    def owner_enforced(self) -> bool:
        return self.object_ownership == "BucketOwnerEnforced"


# S3's object tagging limits (10 tags of keys up to 128 and values up to 256 characters); a Batch job
# report's Prefix is at most 512 (botocore's s3control model); XML 1.0 has no other control characters.
MAX_OBJECT_TAGS, MAX_TAG_KEY_LENGTH, MAX_TAG_VALUE_LENGTH = 10, 128, 256
MAX_REPORT_PREFIX_LENGTH = 512
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class MigrationOptions(_Model):
    """What the user chose on the options screen or the ``plan`` command line."""

    # scope
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    # what replicates and how
    delete_markers: bool = False
    storage_class: str | None = None
    rtc: bool = False
    metrics: bool = False
    replica_kms_key: str | None = None  # full key ARN in the destination region
    priority: int | None = None  # None: the lowest unused priority
    rule_id: str | None = None  # None: derived from the destination bucket
    # roles
    single_role: bool = False
    replication_role_name: str | None = None
    batch_role_name: str | None = None
    replace_existing_role: bool = False  # the source already names another role
    adopt: bool = False  # take over a foreign rule/role with our name (old content journaled first)
    # existing objects (Batch Replication)
    replicate_existing: bool = True
    existing_statuses: tuple[ReplicationStatusFilter, ...] = ("NONE", "FAILED")
    report_bucket: str | None = None  # None: no completion report
    report_prefix: str = "s3xrep/batch-reports"
    report_failed_only: bool = False
    manifest_bucket: str | None = None  # None: the generated manifest is not kept
    manifest_prefix: str = "s3xrep/batch-manifests"
    job_priority: int = 10
    # S3 Inventory (issue 19): reports both sides' buckets, for verify --inventory and a backfill from them
    inventory: Literal["auto", "on", "off"] = "auto"  # auto: on from INVENTORY_AUTO_OBJECTS objects
    inventory_source_bucket: str | None = None  # the source account's reports bucket (source Region)
    inventory_destination_bucket: str | None = None  # the destination account's (destination Region)
    inventory_prefix: str = "s3xrep/inventory"
    backfill_from_inventory: bool = False  # the Batch job reads the source inventory's manifest
    # alarms while it runs (issue 18 item 1; core.alarms builds the documents): replication metrics on our rule,
    # an SNS topic (or the user's topic, or EventBridge), S3 replication events to it, two CloudWatch alarms
    alarms: bool = True
    alarm_failed_threshold: int = 0  # ALARM when more operations than this fail in a minute
    alarm_latency_seconds: int = 900  # ALARM when ReplicationLatency (Maximum) is above this
    alarm_email: str | None = None  # an e-mail subscription to the topic (the address confirms it)
    alarm_topic_arn: str | None = None  # an existing topic to use (no topic is created)
    alarm_eventbridge: bool = False  # S3 events to EventBridge instead of an SNS topic

    @field_validator("alarm_failed_threshold", "alarm_latency_seconds")
    @classmethod
    def _alarm_threshold(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"alarm threshold {value} is negative: give 0 or more")
        return value

    @field_validator("alarm_email")
    @classmethod
    def _alarm_email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise ValueError(f"alarm e-mail {value!r} is not an e-mail address (name@example.com)")
        return value

    @field_validator("alarm_topic_arn")
    @classmethod
    def _alarm_topic(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}", value):
            raise ValueError(f"alarm topic {value!r} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
        return value
    # cut-over and the way back (issue 18.4): sync metadata changes made to replicas back to the source;
    # None: as our deployed rule has it (the way back or the user may have turned it on), True/False: asked
    replica_modifications: bool | None = None
    # fleet (issue 20): the migration this pair belongs to; its roles are shared by the pairs of a source
    # account, so our inline policies are named for the source too (core.plan.inline_policy_name)
    migration_id: str | None = None

    @field_validator("prefix")
    @classmethod
    def _prefix_length(cls, value: str) -> str:
        if len(value) > MAX_PREFIX_LENGTH:
            raise ValueError(
                f"prefix is {len(value)} characters; S3 replication filters allow at most {MAX_PREFIX_LENGTH}"
            )
        return value

    @field_validator("rule_id")
    @classmethod
    def _rule_id_length(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("rule ID is empty: give an ID or leave it out to use s3xrep-to-DEST")
        if value is not None and len(value) > MAX_RULE_ID_LENGTH:
            raise ValueError(
                f"rule ID is {len(value)} characters; S3 allows at most {MAX_RULE_ID_LENGTH} for a replication rule ID"
            )
        return value

    @field_validator("priority")
    @classmethod
    def _rule_priority(cls, value: int | None) -> int | None:
        if value is not None and not 0 <= value <= 2_147_483_647:
            raise ValueError(
                f"rule priority {value} is not allowed; S3 takes a priority from 0 to 2147483647 "
                "(leave it out to use the lowest unused one)"
            )
        return value

    @field_validator("prefix", "rule_id", "report_prefix", "manifest_prefix")
    @classmethod
    def _xml_characters(cls, value: str | None) -> str | None:
        # S3's XML bodies cannot carry these (S3 answers MalformedXML after the other writes were made)
        if value is not None and (bad := _XML_FORBIDDEN.search(value)):
            raise ValueError(f"{value!r} holds the control character {bad.group()!r}, which S3's XML requests "
                             "cannot carry: remove it")
        return value

    @field_validator("report_prefix")
    @classmethod
    def _report_prefix_length(cls, value: str) -> str:
        if len(value) > MAX_REPORT_PREFIX_LENGTH:
            raise ValueError(f"report prefix is {len(value)} characters; S3 Batch Operations allows at most "
                             f"{MAX_REPORT_PREFIX_LENGTH} for a job report's prefix")
        return value

    @field_validator("tags")
    @classmethod
    def _tag_limits(cls, value: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        if len(value) > MAX_OBJECT_TAGS:
            raise ValueError(f"{len(value)} tags given; an S3 object has at most {MAX_OBJECT_TAGS} tags, so a "
                             "filter on more matches nothing: keep at most 10")
        for key, tag_value in value:
            if len(key) > MAX_TAG_KEY_LENGTH:
                raise ValueError(f"tag key {key[:20]!r}... is {len(key)} characters; S3 allows at most "
                                 f"{MAX_TAG_KEY_LENGTH} for a tag key")
            if len(tag_value) > MAX_TAG_VALUE_LENGTH:
                raise ValueError(f"the value of tag {key!r} is {len(tag_value)} characters; S3 allows at most "
                                 f"{MAX_TAG_VALUE_LENGTH} for a tag value")
            if bad := _XML_FORBIDDEN.search(key + tag_value):
                raise ValueError(f"tag {key!r} holds the control character {bad.group()!r}, which S3's XML "
                                 "requests cannot carry: remove it")
        return value

    @field_validator("tags")
    @classmethod
    def _unique_tag_keys(cls, value: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
        keys = [key for key, _ in value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(
                f"tag key {', '.join(repr(k) for k in repeated)} is given more than once; S3 requires the tag keys "
                "of a replication filter to be unique: keep one value per key"
            )
        return value

    @field_validator("storage_class")
    @classmethod
    def _known_storage_class(cls, value: str | None) -> str | None:
        if value is not None and value not in STORAGE_CLASSES:
            raise ValueError(f"storage class {value!r} is not one of {', '.join(STORAGE_CLASSES)}")
        return value

    @field_validator("replica_kms_key")
    @classmethod
    def _key_is_arn(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("arn:"):
            raise ValueError(
                f"replica KMS key {value!r} must be a full key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): "
                "aliases and bare ids resolve in the source account, not the destination's"
            )
        return value

    @field_validator("report_bucket", "manifest_bucket", "inventory_source_bucket", "inventory_destination_bucket")
    @classmethod
    def _valid_bucket(cls, value: str | None) -> str | None:
        return None if value is None else check_bucket_name(value)

    @field_validator("replication_role_name", "batch_role_name")
    @classmethod
    def _valid_role_name(cls, value: str | None) -> str | None:
        if value is not None and (problems := role_name_problems(value)):
            raise ValueError(f"role name {value!r}: {problems[0]}")
        return value

    @field_validator("existing_statuses")
    @classmethod
    def _statuses_present(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("choose at least one replication status for existing objects (NONE, FAILED, ...)")
        return tuple(dict.fromkeys(value))

    @field_validator("job_priority")
    @classmethod
    def _priority_range(cls, value: int) -> int:
        if not 0 <= value <= 2_147_483_647:
            raise ValueError("job priority must be between 0 and 2147483647")
        return value

    @model_validator(mode="after")
    def _delete_markers_without_tags(self) -> MigrationOptions:
        if self.delete_markers and self.tags:
            raise ValueError(
                "delete-marker replication cannot be used with a tag filter (S3 rejects it): "
                "drop --delete-markers or the tags"
            )
        return self

    @property
    def metrics_enabled(self) -> bool:
        """RTC needs replication metrics (S3 rejects RTC without them); so do replication events and alarms."""
        return self.metrics or self.rtc or self.alarms

    def rule_id_for(self, destination: str) -> str:
        return self.rule_id or f"s3xrep-to-{destination}"[:MAX_RULE_ID_LENGTH]

    def replication_role_for(self, source: str) -> str:
        if self.replication_role_name:
            return self.replication_role_name
        return fit_role_name("s3xrep-repl-" if not self.single_role else "s3xrep-", source)

    def batch_role_for(self, source: str) -> str:
        if self.single_role:
            return self.replication_role_for(source)
        return self.batch_role_name or fit_role_name("s3xrep-batch-", source)


class AlarmFacts(_Model):
    """What the alarm steps (core.alarms) find in the source account; read by aws.inspect when alarms are on."""

    topic_exists: bool = False
    topic_policy: dict[str, Any] | None = None  # the topic's Policy attribute, parsed
    alarms: dict[str, dict[str, Any]] = Field(default_factory=dict)  # our alarm names found -> their settings
    subscribed: tuple[str, ...] = ()  # endpoints subscribed to the topic
    inbox_exists: bool = False  # our SQS queue for failure events


class PlanInputs(_Model):
    """Everything the plan is computed from: identities, facts and options."""

    source_account: Account
    destination_account: Account
    source: BucketFacts
    destination: BucketFacts
    options: MigrationOptions = MigrationOptions()
    replication_role: RoleFacts | None = None
    batch_role: RoleFacts | None = None
    replica_key: KmsKeyFacts | None = None  # options.replica_kms_key, described
    report_bucket: BucketFacts | None = None
    manifest_bucket: BucketFacts | None = None
    rule_fingerprints: tuple[str, ...] = ()  # of rules this plan's journal says an earlier apply wrote
    statement_fingerprints: tuple[str, ...] = ()  # of policy statements it wrote (core.statement_proof)
    # S3 Inventory (issue 19): the reports buckets, and our configuration on each bucket as it is (None: absent)
    source_inventory_reports: BucketFacts | None = None
    destination_inventory_reports: BucketFacts | None = None
    source_inventory: dict[str, Any] | None = None
    destination_inventory: dict[str, Any] | None = None
    source_inventory_manifest: dict[str, Any] | None = None  # the newest complete report: key, etag (a backfill's)
    # alarms: the source's notification configuration as read (None: none or not read), and the fingerprints
    # of the entries this plan's journal says an earlier apply wrote (core.notification_merge)
    source_notifications: dict[str, Any] | None = None
    notification_fingerprints: tuple[str, ...] = ()
    alarm_facts: AlarmFacts | None = None  # None: not read (each alarm step is judged at apply)

    @property
    def cross_account(self) -> bool:
        return self.source_account.id != self.destination_account.id

    @property
    def partition(self) -> Partition:
        return self.source_account.partition


class Finding(_Model):
    """One preflight result: what is wrong, where, and how to fix it."""

    id: str
    severity: Severity
    message: str
    fix: str


class Step(_Model):
    """One call ``apply`` will make, in order, with the account whose session makes it."""

    id: str
    account: Side
    call: str  # "s3.put_bucket_versioning", "iam.create_role", ...
    action: StepAction
    summary: str  # one line for humans
    request: dict[str, Any]  # the keyword arguments of the call
    document: str | None = None  # the name of the document it writes, if any


class Plan(_Model):
    """The whole migration: findings, documents and ordered steps."""

    id: str
    source_account: Account
    destination_account: Account
    source: Bucket
    destination: Bucket
    findings: tuple[Finding, ...]
    documents: dict[str, Any]
    steps: tuple[Step, ...]
    # per document: Sids in our family the plan kept as someone else's (not proven ours, core.merge's
    # ``unproven``); apply writes the others, so a kept one its owner removes meanwhile stays removed
    kept_sids: dict[str, tuple[str, ...]] = {}

    @property
    def blocked(self) -> bool:
        return any(f.severity == "blocking" for f in self.findings)
