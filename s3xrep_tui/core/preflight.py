"""Preflight: everything we can tell from the facts before writing anything.

``preflight(inputs)`` returns findings, blocking first, then warnings, then
info; stable within a severity. Each finding has a stable kebab-case ``id``,
a ``message`` that names the bucket (and account) and the fact, and a ``fix``
that says exactly what to do. Pure: works from ``PlanInputs`` alone
(AWS: S3 User Guide, "Requirements and considerations for replication").
"""

from __future__ import annotations

from .access_check import access_findings
from .merge import MAX_REPLICATION_RULES, MergeError, is_v1_rule, parse_policy, rule_destination
from .models import BucketFacts, Finding, PlanInputs, Severity
from .names import role_arn
from .ownership import ownership_findings

_RANK: dict[Severity, int] = {"blocking": 0, "warning": 1, "info": 2}
_ARCHIVE_CLASSES = ("GLACIER", "DEEP_ARCHIVE")


def _where(facts: BucketFacts, account: str | None = None) -> str:
    """``s3://name (account 111111111111, us-east-1)`` for messages."""
    details = [f"account {account or facts.owner_account_id}"]
    if facts.bucket.region:
        details.append(facts.bucket.region)
    return f"{facts.bucket.name} ({', '.join(details)})"


def _role_key(arn: str) -> tuple[str, str]:
    """(account, name) of a role ARN, ignoring its path: ``role/service-role/x`` and ``role/x`` name the same role."""
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) == 6 else ""
    name = parts[5].rsplit("/", 1)[-1] if len(parts) == 6 else arn
    return account, name


def _kms_region(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[2] == "kms" and parts[3] else None


def _enabled_lifecycle_rules(facts: BucketFacts) -> list[str]:
    return [
        str(rule.get("ID") or f"#{index + 1}")
        for index, rule in enumerate(facts.lifecycle_rules)
        if rule.get("Status", "Enabled") != "Disabled"
    ]


def _expiration_rules(facts: BucketFacts) -> list[str]:
    return [
        str(rule.get("ID") or f"#{index + 1}")
        for index, rule in enumerate(facts.lifecycle_rules)
        if rule.get("Status", "Enabled") != "Disabled" and "Expiration" in rule
    ]


class _Findings:
    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(self, id: str, severity: Severity, message: str, fix: str) -> None:  # noqa: A002 - mirrors Finding.id
        self.items.append(Finding(id=id, severity=severity, message=message, fix=fix))

    def sorted(self) -> list[Finding]:
        return sorted(self.items, key=lambda finding: _RANK[finding.severity])


def preflight(inputs: PlanInputs) -> list[Finding]:
    """Every finding for ``inputs``, blocking first, then warning, then info."""
    found = _Findings()
    _identity(inputs, found)
    _versioning(inputs, found)
    _ownership(inputs, found)
    _encryption(inputs, found)
    _object_lock(inputs, found)
    _requester_pays(inputs, found)
    _existing_replication(inputs, found)
    _lifecycle(inputs, found)
    _batch_buckets(inputs, found)
    _destination_policy(inputs, found)
    _replica_options(inputs, found)
    found.items.extend(access_findings(inputs))
    found.items.extend(ownership_findings(inputs))  # a rule or role with our name is ours only when proven
    return found.sorted()


# --------------------------------------------------------------------------- identity and existence


def _usable(facts: BucketFacts, expected_owner: str) -> bool:
    """The bucket exists and belongs to the expected account: its other facts mean something."""
    return facts.exists and facts.owner_account_id == expected_owner


def _identity(inputs: PlanInputs, found: _Findings) -> None:
    sides = (
        ("source", inputs.source, inputs.source_account.id),
        ("destination", inputs.destination, inputs.destination_account.id),
    )
    for side, facts, account in sides:
        name = facts.bucket.name
        if not facts.exists:
            found.add(
                f"{side}-bucket-missing",
                "blocking",
                f"The {side} bucket {name} does not exist (or is not visible to account {account}).",
                f"Check the bucket name, or create it in account {account}: "
                f"aws s3api create-bucket --bucket {name}"
                + (f" --region {facts.bucket.region}" if facts.bucket.region else "")
                + f" (with the {side} account's profile).",
            )
        elif facts.owner_account_id != account:
            found.add(
                f"{side}-bucket-wrong-owner",
                "blocking",
                f"The {side} bucket {name} is owned by account {facts.owner_account_id}, "
                f"not by account {account} of the {side} profile.",
                f"Use a profile of account {facts.owner_account_id} for the {side}, "
                f"or name a bucket that account {account} owns.",
            )
    if inputs.source.bucket.name == inputs.destination.bucket.name:
        found.add(
            "same-bucket",
            "blocking",
            f"The source and the destination are the same bucket, {inputs.source.bucket.name}: "
            "a bucket cannot replicate to itself.",
            "Choose a different destination bucket.",
        )
    if not inputs.cross_account:
        found.add(
            "same-account",
            "info",
            f"Source {inputs.source.bucket.name} and destination {inputs.destination.bucket.name} are both in "
            f"account {inputs.source_account.id}: no destination bucket policy and no owner override will be "
            "written; replication still works with the role's permissions alone.",
            "Nothing to do; if you meant another account, use that account's profile for --dest.",
        )


# --------------------------------------------------------------------------- versioning


def _versioning(inputs: PlanInputs, found: _Findings) -> None:
    sides = (
        ("source", inputs.source, inputs.source_account.id),
        ("destination", inputs.destination, inputs.destination_account.id),
    )
    for side, facts, account in sides:
        if not _usable(facts, account) or facts.versioned:
            continue
        name = facts.bucket.name
        expirations = _expiration_rules(facts)
        lifecycle = (
            f" Its lifecycle rule(s) {', '.join(expirations)} expire objects: once versioned, expiration creates delete "
            "markers and keeps noncurrent versions, so add a NoncurrentVersionExpiration action to them."
            if expirations
            else " Lifecycle Expiration rules then create delete markers and keep noncurrent versions "
            "(add NoncurrentVersionExpiration if you rely on expiry)."
        )
        common = (
            "The plan enables it; this is irreversible (versioning can later only be suspended, never removed)."
            + lifecycle
            + " Wait about 15 minutes after enabling before trusting new writes to replicate."
        )
        fix = (
            f"Accept the plan's put-bucket-versioning on {name}, or enable it yourself first: "
            f"aws s3api put-bucket-versioning --bucket {name} --versioning-configuration Status=Enabled "
            f"(with the {side} account's profile)."
        )
        if facts.versioning == "Suspended":
            found.add(
                f"{side}-versioning-suspended",
                "warning",
                f"Versioning on the {side} bucket {_where(facts, account)} was suspended; replication needs it "
                f"Enabled. {common}",
                fix,
            )
        else:
            found.add(
                f"{side}-versioning-disabled",
                "warning",
                f"Versioning is not enabled on the {side} bucket {_where(facts, account)}; replication needs it "
                f"Enabled. {common}",
                fix,
            )


# --------------------------------------------------------------------------- ownership


def _ownership(inputs: PlanInputs, found: _Findings) -> None:
    dst = inputs.destination
    if not inputs.cross_account or not _usable(dst, inputs.destination_account.id):
        return
    where = _where(dst, inputs.destination_account.id)
    if dst.owner_enforced:
        found.add(
            "destination-owner-enforced",
            "info",
            f"The destination bucket {where} uses BucketOwnerEnforced: replicas are owned by account "
            f"{inputs.destination_account.id} automatically, so no owner override (AccessControlTranslation) is "
            "written.",
            "Nothing to do.",
        )
        return
    setting = dst.object_ownership or "not set (acts as ObjectWriter)"
    found.add(
        "destination-ownership-acls",
        "warning",
        f"Object Ownership on the destination bucket {where} is {setting}: without an owner override, replicas "
        f"would be owned by the source account {inputs.source_account.id} and account "
        f"{inputs.destination_account.id} could not read them. The plan adds the owner override "
        "(AccessControlTranslation Owner=Destination and s3:ObjectOwnerOverrideToBucketOwner).",
        "Accept the owner override, or have the destination owner switch to BucketOwnerEnforced first: "
        f"aws s3api put-bucket-ownership-controls --bucket {dst.bucket.name} "
        "--ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'.",
    )


# --------------------------------------------------------------------------- encryption


def _aws_managed(key_text: str | None) -> bool:
    return bool(key_text) and "alias/aws/s3" in key_text  # type: ignore[operator]


def _replica_key(inputs: PlanInputs, found: _Findings) -> None:
    """The replica KMS key given: customer-managed, in the destination's region, enabled, described, a valid policy."""
    dst = inputs.destination
    dst_region = dst.bucket.region
    key_arn = inputs.options.replica_kms_key
    key = inputs.replica_key
    if not key_arn:
        return
    if (key is not None and key.manager == "AWS") or _aws_managed(key_arn) or (key and _aws_managed(key.arn)):
        found.add(
            "replica-key-aws-managed",
            "blocking",
            f"The replica KMS key {key_arn} for destination {dst.bucket.name} is AWS-managed (aws/s3): "
            "its key policy cannot be changed, so the source account's replication role cannot use it "
            "across accounts.",
            f"Create a customer-managed key in {dst_region or 'the destination region'} in account "
            f"{inputs.destination_account.id} (aws kms create-key) and pass its ARN with --replica-kms-key.",
        )
    key_region = (key.region if key is not None else None) or _kms_region(key_arn)
    if key_region and dst_region and key_region != dst_region:
        found.add(
            "replica-key-wrong-region",
            "blocking",
            f"The replica KMS key {key_arn} is in {key_region}, but the destination bucket {dst.bucket.name} "
            f"is in {dst_region}: S3 encrypts replicas with a key in the destination's region.",
            f"Pass a key from {dst_region} with --replica-kms-key (create one there, or a multi-Region replica "
            f"key in {dst_region}).",
        )
    if key is not None and key.state is not None and key.state != "Enabled":
        found.add(
            "replica-key-not-enabled",
            "blocking",
            f"The replica KMS key {key_arn} for destination {dst.bucket.name} is {key.state}, not Enabled: "
            "replication of KMS-encrypted objects would fail (DstKmsKeyInvalidState).",
            f"Enable it (aws kms enable-key --key-id {key_arn}"
            + ("; cancel-key-deletion first" if key.state == "PendingDeletion" else "")
            + ") with the destination account's profile, or pass another key.",
        )
    if key is None or key.manager is None:
        found.add(
            "replica-key-unverified",
            "warning",
            f"The replica KMS key {key_arn} for destination {dst.bucket.name} could not be described, so its "
            "region, state and owner were not checked (PutBucketReplication does not validate it either).",
            f"Check it with aws kms describe-key --key-id {key_arn} using the destination account's profile "
            "(which needs kms:DescribeKey and kms:GetKeyPolicy on it).",
        )
    if key is not None and key.policy is not None:
        try:
            parse_policy(key.policy, what=f"the key policy of {key_arn}")
        except MergeError as error:
            found.add(
                "replica-key-policy-invalid",
                "blocking",
                f"{error.message} (the replica key for destination {dst.bucket.name}, whose policy the plan "
                "must extend).",
                error.fix,
            )


def _encryption(inputs: PlanInputs, found: _Findings) -> None:
    src, dst, options = inputs.source, inputs.destination, inputs.options
    dst_region = dst.bucket.region
    if _usable(src, inputs.source_account.id) and src.encryption.uses_kms and not options.replica_kms_key:
        kind = "DSSE-KMS" if src.encryption.algorithm == "aws:kms:dsse" else "SSE-KMS"
        found.add(
            "source-kms-without-replica-key",
            "blocking",
            f"The source bucket {_where(src, inputs.source_account.id)} encrypts objects with {kind} by default, "
            "but no replica KMS key was given: S3 silently does not replicate KMS-encrypted objects without one.",
            f"Create a customer-managed KMS key in {dst_region or 'the destination region'} in account "
            f"{inputs.destination_account.id} and pass its full ARN with --replica-kms-key "
            f"(arn:{inputs.partition}:kms:{dst_region or 'REGION'}:{inputs.destination_account.id}:key/KEY_ID).",
        )

    _replica_key(inputs, found)

    if inputs.cross_account and _usable(dst, inputs.destination_account.id) and dst.encryption.uses_kms:
        default_key = dst.default_kms_key
        if (
            not dst.encryption.kms_key_id
            or _aws_managed(dst.encryption.kms_key_id)
            or (default_key is not None and default_key.manager == "AWS")
        ):
            found.add(
                "destination-default-key-aws-managed",
                "warning",
                f"The destination bucket {_where(dst, inputs.destination_account.id)} encrypts by default with the "
                "AWS-managed aws/s3 KMS key, which the source account's replication role cannot use: replicas of "
                "objects that arrive unencrypted would fail to be written.",
                f"Set a customer-managed key (or SSE-S3) as the default encryption of {dst.bucket.name}: aws s3api "
                f"put-bucket-encryption --bucket {dst.bucket.name} --server-side-encryption-configuration "
                "'{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"AES256\"}}]}'.",
            )

    if _usable(dst, inputs.destination_account.id) and "SSE-C" in dst.encryption.blocked_encryption_types:
        found.add(
            "destination-blocks-sse-c",
            "warning",
            f"The destination bucket {_where(dst, inputs.destination_account.id)} blocks SSE-C "
            "(BlockedEncryptionTypes): source objects encrypted with customer-provided keys will not replicate.",
            f"If the source {inputs.source.bucket.name} has SSE-C objects, allow SSE-C on {dst.bucket.name} "
            "(put-bucket-encryption without BlockedEncryptionTypes SSE-C); otherwise nothing to do.",
        )


# --------------------------------------------------------------------------- object lock, requester pays


def _object_lock(inputs: PlanInputs, found: _Findings) -> None:
    src, dst = inputs.source, inputs.destination
    if not (_usable(src, inputs.source_account.id) and _usable(dst, inputs.destination_account.id)):
        return
    if src.object_lock.enabled and not dst.object_lock.enabled:
        found.add(
            "destination-object-lock-missing",
            "blocking",
            f"The source bucket {src.bucket.name} has Object Lock, but the destination bucket "
            f"{_where(dst, inputs.destination_account.id)} does not: replication would fail with "
            "DstBucketObjectLockConfigMissing.",
            f"With the destination account's profile, once {dst.bucket.name} is versioned: aws s3api "
            f"put-object-lock-configuration --bucket {dst.bucket.name} --object-lock-configuration "
            "'{\"ObjectLockEnabled\":\"Enabled\"}' (irreversible: Object Lock can never be disabled).",
        )


def _requester_pays(inputs: PlanInputs, found: _Findings) -> None:
    src, dst = inputs.source, inputs.destination
    if inputs.cross_account and _usable(dst, inputs.destination_account.id) and dst.requester_pays:
        found.add(
            "destination-requester-pays",
            "blocking",
            f"The destination bucket {_where(dst, inputs.destination_account.id)} is Requester Pays: a "
            "cross-account replication destination cannot be.",
            f"With the destination account's profile: aws s3api put-bucket-request-payment --bucket {dst.bucket.name} "
            "--request-payment-configuration Payer=BucketOwner.",
        )
    if _usable(src, inputs.source_account.id) and src.requester_pays:
        found.add(
            "source-requester-pays",
            "info",
            f"The source bucket {_where(src, inputs.source_account.id)} is Requester Pays: the tool's own "
            "list/head/get verification calls pay for their requests (RequestPayer=requester).",
            "Nothing to do; expect request charges for verification in the source account.",
        )


# --------------------------------------------------------------------------- existing replication configuration


def _our_role_arn(inputs: PlanInputs) -> str:
    role = inputs.replication_role
    if role is not None and role.exists and role.arn:
        return role.arn
    name = inputs.options.replication_role_for(inputs.source.bucket.name)
    return role_arn(inputs.source_account.id, name, inputs.partition)


def _existing_replication(inputs: PlanInputs, found: _Findings) -> None:
    src, options = inputs.source, inputs.options
    if not _usable(src, inputs.source_account.id) or not src.replication:
        return
    rules = [rule for rule in src.replication.get("Rules") or [] if isinstance(rule, dict)]
    rule_id = options.rule_id_for(inputs.destination.bucket.name)
    ours = [rule for rule in rules if rule.get("ID") == rule_id]
    others = [rule for rule in rules if rule.get("ID") != rule_id]
    name = src.bucket.name

    v1 = [str(rule.get("ID") or f"#{index + 1}") for index, rule in enumerate(rules) if is_v1_rule(rule)]
    if v1:
        found.add(
            "replication-v1-rules",
            "blocking",
            f"The replication configuration of the source bucket {name} has V1 rules (top-level Prefix, no "
            f"Filter): {', '.join(v1)}. S3 does not allow mixing V1 and V2 rules, and converting them silently "
            "would change their delete-marker behaviour.",
            f"Convert rule(s) {', '.join(v1)} to V2 deliberately (add Filter, Priority and an explicit "
            f"DeleteMarkerReplication) with aws s3api put-bucket-replication --bucket {name}, then plan again.",
        )
    if not ours and len(rules) >= MAX_REPLICATION_RULES:
        found.add(
            "replication-too-many-rules",
            "blocking",
            f"The source bucket {name} already has {len(rules):,} replication rules, S3's limit, and none of them "
            f"is ours ({rule_id}).",
            f"Remove or consolidate unused rules on {name}, or pass --rule-id with the ID of a rule to replace "
            "(and --adopt if this tool did not write it).",
        )
    if options.priority is not None:
        holders = [str(rule.get("ID", "?")) for rule in others if rule.get("Priority") == options.priority]
        if holders:
            found.add(
                "replication-priority-taken",
                "blocking",
                f"Priority {options.priority} is already used by rule {', '.join(holders)} of the source bucket "
                f"{name}'s replication configuration (S3 requires unique priorities).",
                "Choose another --priority, or leave it out to use the lowest unused one.",
            )

    existing_role = src.replication.get("Role")
    ours_arn = _our_role_arn(inputs)
    if not isinstance(existing_role, str) or not existing_role or _role_key(existing_role) == _role_key(ours_arn):
        return
    if not options.replace_existing_role:
        found.add(
            "replication-role-reused",
            "warning",
            f"The source bucket {name} already replicates with role {existing_role}; S3 allows one role per bucket, "
            f"so the plan reuses it and adds our permissions (for {inputs.destination.bucket.name}) to it instead "
            f"of using {ours_arn}.",
            "Accept reusing that role, or pass --replace-role to switch the bucket to our role "
            "(which then also gets the other rules' permissions).",
        )
        return
    destinations = list(dict.fromkeys(d for d in (rule_destination(rule) for rule in others) if d))
    listed = ", ".join(destinations) if destinations else "none"
    found.add(
        "replication-role-replaced",
        "warning",
        f"The source bucket {name} replicates with role {existing_role}; with --replace-role the plan switches it "
        f"to {ours_arn} and grants that role the other rules' destinations: {listed}.",
        (
            f"Make sure the bucket policies (and KMS key policies) of {listed} trust {ours_arn} before applying, "
            "or drop --replace-role to reuse the existing role."
            if destinations
            else "Nothing else replicates from this bucket; nothing to do."
        ),
    )


# --------------------------------------------------------------------------- lifecycle, batch buckets


def _lifecycle(inputs: PlanInputs, found: _Findings) -> None:
    if not inputs.options.replicate_existing:
        return
    sides = (
        ("source", inputs.source, inputs.source_account.id),
        ("destination", inputs.destination, inputs.destination_account.id),
    )
    for side, facts, account in sides:
        if not _usable(facts, account):
            continue
        rules = _enabled_lifecycle_rules(facts)
        if rules:
            found.add(
                f"{side}-lifecycle-during-backfill",
                "warning",
                f"The {side} bucket {_where(facts, account)} has enabled lifecycle rule(s) {', '.join(rules)} while "
                "the Batch Replication backfill runs: AWS recommends disabling them during the job (delete markers "
                "can be replicated before older versions and then expire).",
                f"Disable rule(s) {', '.join(rules)} on {facts.bucket.name} until the backfill job completes "
                "(set Status=Disabled with put-bucket-lifecycle-configuration), or pass --no-existing.",
            )


def _batch_buckets(inputs: PlanInputs, found: _Findings) -> None:
    options = inputs.options
    if not options.replicate_existing:
        return
    src_region = inputs.source.bucket.region
    for kind, facts in (("report", inputs.report_bucket), ("manifest", inputs.manifest_bucket)):
        if facts is None:
            continue
        name = facts.bucket.name
        if not facts.exists:
            found.add(
                f"{kind}-bucket-missing",
                "blocking",
                f"The {kind} bucket {name} does not exist (or is not visible to account {inputs.source_account.id}).",
                f"Create {name} in account {inputs.source_account.id}"
                + (f" in {src_region}" if src_region else "")
                + f", or pass another --{kind}-bucket (or none).",
            )
            continue
        if facts.owner_account_id != inputs.source_account.id:
            found.add(
                f"{kind}-bucket-wrong-owner",
                "blocking",
                f"The {kind} bucket {name} is owned by account {facts.owner_account_id}, not by the source account "
                f"{inputs.source_account.id} that runs the Batch Replication job.",
                f"Pass a --{kind}-bucket owned by account {inputs.source_account.id}.",
            )
        if facts.bucket.region and src_region and facts.bucket.region != src_region:
            found.add(
                f"{kind}-bucket-wrong-region",
                "blocking",
                f"The {kind} bucket {name} is in {facts.bucket.region}, but the source bucket "
                f"{inputs.source.bucket.name} is in {src_region}: the Batch Replication job needs it in the "
                "source's region.",
                f"Pass a --{kind}-bucket in {src_region}.",
            )
        if kind == "report" and facts.object_lock.enabled and facts.object_lock.default_mode:
            found.add(
                "report-bucket-object-lock",
                "warning",
                f"The report bucket {name} has Object Lock default retention ({facts.object_lock.default_mode}): "
                "Batch Operations cannot write the completion report there, although the job itself completes.",
                "Pass a --report-bucket without Object Lock default retention, or leave it out (no report).",
            )


# --------------------------------------------------------------------------- destination policy, replica options


def _destination_policy(inputs: PlanInputs, found: _Findings) -> None:
    dst = inputs.destination
    if not inputs.cross_account or not _usable(dst, inputs.destination_account.id) or dst.policy is None:
        return
    try:
        parse_policy(dst.policy, what=f"the bucket policy of {dst.bucket.name}")
    except MergeError as error:
        found.add("destination-policy-invalid", "blocking", error.message, error.fix)


def _replica_options(inputs: PlanInputs, found: _Findings) -> None:
    options, dst = inputs.options, inputs.destination.bucket.name
    if options.storage_class in _ARCHIVE_CLASSES:
        found.add(
            "storage-class-archive",
            "info",
            f"Replicas in {dst} will be stored as {options.storage_class}: they are not immediately readable "
            "(a restore is needed before reading them).",
            "Nothing to do if that is intended; otherwise choose GLACIER_IR or STANDARD_IA with --storage-class.",
        )
    if options.rtc:
        found.add(
            "rtc-cost",
            "info",
            f"Replication Time Control is on for the rule to {dst}: it costs extra per GB replicated, and the "
            "replication metrics it needs are billed like CloudWatch custom metrics.",
            "Nothing to do if the 15-minute SLA is needed; otherwise drop --rtc.",
        )
