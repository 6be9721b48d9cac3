"""Read-only inspection: buckets, roles and keys as the facts the plan is built from.

Nothing here writes to AWS. Every bucket call carries ``ExpectedBucketOwner``
and goes to a client in the bucket's own region. Errors that mean "not
configured" become facts; anything that prevents planning becomes an
:class:`~s3xrep_tui.aws.errors.AwsError`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from ..core import alarms
from ..core.models import (
    Account,
    AlarmFacts,
    Bucket,
    BucketFacts,
    EncryptionFacts,
    KmsKeyFacts,
    MigrationOptions,
    ObjectLockFacts,
    PlanInputs,
    RoleFacts,
)
from ..core.names import check_bucket_name, partition_for_region
from ..core.plan import plan_id
from ..core.policy_json import load_policy
from ..core.statement_proof import proven_statements
from .clients import Clients
from .errors import ACCESS_DENIED_CODES, AwsError, error_code, explain, who
from .identity import caller_identity, profile_of
from .inspect_inventory import with_inventory_facts
from .journal import Journal

T = TypeVar("T")

# Reads of one bucket are independent; against real S3 (tens of ms each) running
# them side by side is several times faster than one after another.
_BUCKET_READ_WORKERS = 8
_GATHER_WORKERS = 6

_KMS_UNREADABLE = ACCESS_DENIED_CODES | {"NotFoundException", "KMSInvalidStateException", "InvalidArnException"}


# -- regions ---------------------------------------------------------------------------------------


def _normalise_location(constraint: str | None) -> str:
    """``get_bucket_location``'s LocationConstraint as a region code."""
    if not constraint:
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return constraint


def _head(s3: Any, bucket: str, owner: str, profile: str | None) -> tuple[int, str | None, ClientError | None]:
    """(HTTP status, region if S3 said, the error) of ``head_bucket``."""
    try:
        answer = s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=owner)
    except ClientError as exc:
        meta = exc.response.get("ResponseMetadata") or {}
        headers = meta.get("HTTPHeaders") or {}
        status = int(meta.get("HTTPStatusCode") or 0) or _status_from_code(error_code(exc))
        return status, headers.get("x-amz-bucket-region"), exc
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"s3.head_bucket on bucket {bucket!r}") from exc
    headers = (answer.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    return 200, answer.get("BucketRegion") or headers.get("x-amz-bucket-region"), None


def _status_from_code(code: str) -> int:
    return int(code) if code.isdigit() else 0


def _location(clients: Clients, bucket: str, owner: str, profile: str | None) -> str | None:
    """The legacy way: ``get_bucket_location`` (None when it cannot be read)."""
    try:
        answer = clients("s3").get_bucket_location(Bucket=bucket, ExpectedBucketOwner=owner)
    except ClientError:
        return None
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"s3.get_bucket_location on bucket {bucket!r}") from exc
    return _normalise_location(answer.get("LocationConstraint"))


def _locate(clients: Clients, bucket: str, owner: str) -> tuple[int, str | None, ClientError | None]:
    """Status of ``head_bucket`` in the bucket's own region, and that region.

    Asks in the default region first; S3 answers with the region (``BucketRegion``
    or, on 301/400/403, the ``x-amz-bucket-region`` header). When the first answer
    was not a 200 from the bucket's own region, asks again there so that a 403
    really is about this bucket and this owner.
    """
    profile = profile_of(clients)
    s3 = clients("s3")
    status, region, exc = _head(s3, bucket, owner, profile)
    if status == 404:
        return status, None, exc
    if region is None:
        region = _location(clients, bucket, owner, profile)
    if region is not None and status != 200 and region != s3.meta.region_name:
        status, again, exc = _head(clients("s3", region), bucket, owner, profile)
        region = again or region
    return status, region, exc


def _not_owned(bucket: str, owner: str, profile: str | None) -> AwsError:
    # A 403 from head_bucket has no body: S3 does not say whether the owner check
    # failed or the identity lacks s3:ListBucket, so the message says both.
    return AwsError(
        f"bucket {bucket!r} is not owned by account {owner} (the account of {who(profile)}), "
        "or access to it is denied",
        f"pick a bucket of account {owner}, or the profile of the account that owns {bucket!r} "
        "(if it is in that account, grant s3:ListBucket on it)",
        "BucketOwnedByAnotherAccount",
    )


def _no_such_bucket(bucket: str) -> AwsError:
    return AwsError(f"bucket {bucket!r} does not exist", "check the bucket name", "NoSuchBucket")


def bucket_region(clients: Clients, bucket: str, expected_owner: str) -> str:
    """The bucket's home region (head_bucket; get_bucket_location as the fallback)."""
    profile = profile_of(clients)
    status, region, exc = _locate(clients, bucket, expected_owner)
    if status == 404:
        raise _no_such_bucket(bucket)
    if region is not None:
        return region
    if status == 403:
        raise _not_owned(bucket, expected_owner, profile)
    if exc is not None:
        raise explain(exc, profile=profile, what=f"s3.head_bucket on bucket {bucket!r}") from exc
    raise AwsError(
        f"the region of bucket {bucket!r} could not be determined (head_bucket gave none, get_bucket_location failed)",
        f"grant s3:GetBucketLocation on {bucket!r} to {who(profile)}",
        "BucketRegionUnknown",
    )


# -- buckets ---------------------------------------------------------------------------------------


class _Reader:
    """One bucket's reads: ExpectedBucketOwner, the bucket's region, absent -> None."""

    def __init__(self, clients: Clients, bucket: str, owner: str, region: str) -> None:
        self.s3 = clients("s3", region)
        self.bucket = bucket
        self.owner = owner
        self.profile = profile_of(clients)

    def __call__(self, method: str, absent: str | None = None) -> dict[str, Any] | None:
        try:
            answer = getattr(self.s3, method)(Bucket=self.bucket, ExpectedBucketOwner=self.owner)
        except ClientError as exc:
            if absent is not None and error_code(exc) == absent:
                return None
            raise explain(exc, profile=self.profile, what=f"s3.{method} on bucket {self.bucket!r}") from exc
        except Exception as exc:
            raise explain(exc, profile=self.profile, what=f"s3.{method} on bucket {self.bucket!r}") from exc
        answer.pop("ResponseMetadata", None)
        return answer


_BUCKET_READS: tuple[tuple[str, str | None], ...] = (
    ("get_bucket_versioning", None),
    ("get_bucket_ownership_controls", "OwnershipControlsNotFoundError"),
    ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
    ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
    ("get_bucket_request_payment", None),
    ("get_bucket_replication", "ReplicationConfigurationNotFoundError"),
    ("get_bucket_policy", "NoSuchBucketPolicy"),
    ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
)


def _run_all(tasks: list[Callable[[], T]], workers: int) -> list[T]:
    """Run ``tasks`` side by side; results in order; the first failure (in order) is raised."""
    if len(tasks) <= 1 or workers <= 1:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=min(workers, len(tasks)), thread_name_prefix="s3xrep-inspect") as pool:
        futures = [pool.submit(task) for task in tasks]
        return [future.result() for future in futures]


def _encryption(answer: dict[str, Any] | None) -> EncryptionFacts:
    rules = ((answer or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    if not rules:
        return EncryptionFacts()
    rule = rules[0]
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    blocked = (rule.get("BlockedEncryptionTypes") or {}).get("EncryptionType") or ()
    return EncryptionFacts(
        algorithm=default.get("SSEAlgorithm"),
        kms_key_id=default.get("KMSMasterKeyID"),
        bucket_key_enabled=bool(rule.get("BucketKeyEnabled", False)),
        blocked_encryption_types=tuple(blocked),
    )


def _object_lock(answer: dict[str, Any] | None) -> ObjectLockFacts:
    config = (answer or {}).get("ObjectLockConfiguration") or {}
    if config.get("ObjectLockEnabled") != "Enabled":
        return ObjectLockFacts()
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    return ObjectLockFacts(
        enabled=True,
        default_mode=retention.get("Mode"),
        # S3 sends one of Days/Years (each at least 1); moto sends both, the unset one as 0
        default_days=retention.get("Days") or None,
        default_years=retention.get("Years") or None,
    )


def _default_key(clients: Clients, encryption: EncryptionFacts, region: str, owner: str) -> KmsKeyFacts | None:
    if not encryption.uses_kms:
        return None
    if not encryption.kms_key_id:
        # SSE-KMS without a key id means the AWS managed key aws/s3. Describing
        # "alias/aws/s3" would create that key if it does not exist yet (KMS does
        # that for predefined aliases), so it is stated rather than read.
        partition = partition_for_region(region)
        return KmsKeyFacts(arn=f"arn:{partition}:kms:{region}:{owner}:alias/aws/s3", manager="AWS", region=region)
    return describe_kms_key(clients, encryption.kms_key_id, region=region)


def inspect_bucket(clients: Clients, bucket: str, expected_owner: str) -> BucketFacts:
    """Everything the plan needs to know about ``bucket``, read as ``expected_owner``.

    Raises ``ValueError`` for a name that breaks S3's naming rules (nothing is sent).
    """
    check_bucket_name(bucket)
    profile = profile_of(clients)
    status, region, exc = _locate(clients, bucket, expected_owner)
    if status == 404:
        return BucketFacts(bucket=Bucket(name=bucket), owner_account_id=expected_owner, exists=False)
    if status == 403:
        raise _not_owned(bucket, expected_owner, profile)
    if status != 200 and exc is not None:
        raise explain(exc, profile=profile, what=f"s3.head_bucket on bucket {bucket!r}") from exc
    if region is None:
        region = bucket_region(clients, bucket, expected_owner)  # raises the reason
    read = _Reader(clients, bucket, expected_owner, region)
    answers = dict(
        zip(
            (method for method, _ in _BUCKET_READS),
            _run_all([(lambda m=method, a=absent: read(m, a)) for method, absent in _BUCKET_READS], _BUCKET_READ_WORKERS),
        )
    )
    versioning = answers["get_bucket_versioning"] or {}
    ownership_rules = ((answers["get_bucket_ownership_controls"] or {}).get("OwnershipControls") or {}).get("Rules") or []
    encryption = _encryption(answers["get_bucket_encryption"])
    payer = (answers["get_bucket_request_payment"] or {}).get("Payer")
    replication = answers["get_bucket_replication"]
    policy = answers["get_bucket_policy"]
    lifecycle = answers["get_bucket_lifecycle_configuration"]
    return BucketFacts(
        bucket=Bucket(name=bucket, region=region),
        owner_account_id=expected_owner,
        exists=True,
        versioning=versioning.get("Status") or "Unversioned",
        mfa_delete=versioning.get("MFADelete") == "Enabled",
        object_ownership=ownership_rules[0].get("ObjectOwnership") if ownership_rules else None,
        encryption=encryption,
        default_kms_key=_default_key(clients, encryption, region, expected_owner),
        object_lock=_object_lock(answers["get_object_lock_configuration"]),
        requester_pays=payer == "Requester",
        replication=(replication or {}).get("ReplicationConfiguration"),
        policy=(policy or {}).get("Policy"),
        lifecycle_rules=tuple((lifecycle or {}).get("Rules") or ()),
    )


# -- IAM and KMS -----------------------------------------------------------------------------------


def _policy_document(document: Any) -> dict[str, Any]:
    """IAM policy documents come URL-encoded; botocore already decodes them to dicts."""
    return load_policy(document or "{}")


def inspect_role(clients: Clients, name: str) -> RoleFacts:
    """The role ``name`` in the account of ``clients``: ARN, trust and inline policies."""
    profile = profile_of(clients)
    iam = clients("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchEntity":
            return RoleFacts(name=name, exists=False)
        raise explain(exc, profile=profile, what=f"iam.get_role {name!r}") from exc
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"iam.get_role {name!r}") from exc
    inline: dict[str, dict[str, Any]] = {}
    try:
        for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
            for policy_name in page.get("PolicyNames", []):
                try:
                    answer = iam.get_role_policy(RoleName=name, PolicyName=policy_name)
                except ClientError as exc:
                    if error_code(exc) == "NoSuchEntity":  # deleted between list and get
                        continue
                    raise
                inline[policy_name] = _policy_document(answer["PolicyDocument"])
    except ClientError as exc:
        raise explain(exc, profile=profile, what=f"inline policies of role {name!r}") from exc
    except AwsError:
        raise
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"inline policies of role {name!r}") from exc
    attached, tags = _attached_and_tags(iam, name, profile)
    trust = role.get("AssumeRolePolicyDocument")
    return RoleFacts(
        name=name,
        exists=True,
        arn=role.get("Arn"),
        trust_policy=_policy_document(trust) if trust is not None else None,
        inline_policies=inline,
        attached_policies=attached,
        tags=tags,
    )


def _attached_and_tags(iam: Any, name: str, profile: str | None) -> tuple[tuple[str, ...], dict[str, str]]:
    """Managed policies attached to role ``name`` and its tags: a role is ours only with our tag."""
    try:
        attached = tuple(
            policy.get("PolicyArn", "?")
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
            for policy in page.get("AttachedPolicies", [])
        )
        tags = {
            tag["Key"]: tag.get("Value", "")
            for page in iam.get_paginator("list_role_tags").paginate(RoleName=name)
            for tag in page.get("Tags", [])
        }
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"attached policies and tags of role {name!r}") from exc
    return attached, tags


def recorded_rule_fingerprints(plan_id: str) -> tuple[str, ...]:
    """Fingerprints of the rules earlier applies of ``plan_id`` wrote (our proof a rule with our ID is ours)."""
    read = Journal(plan_id).read()
    return tuple(
        dict.fromkeys(
            str(entry["rule_fingerprint"])
            for entry in read.writes()
            if entry.get("call") == "s3.put_bucket_replication" and entry.get("rule_fingerprint")
        )
    )


def recorded_statement_fingerprints(plan_id: str) -> tuple[str, ...]:
    """Fingerprints of the policy statements earlier applies of ``plan_id`` added (core.statement_proof)."""
    read = Journal(plan_id).read()
    taken_back = {ref for ref, e in read.undone().items() if e.get("status") in ("deleted", "restored")}
    return tuple(sorted(proven_statements(read.writes(), taken_back)))


def recorded_notification_fingerprints(plan_id: str) -> tuple[str, ...]:
    """Fingerprints of the notification entries earlier applies of ``plan_id`` wrote (core.notification_merge)."""
    read = Journal(plan_id).read()
    return tuple(dict.fromkeys(
        str(entry["entry_fingerprint"]) for entry in read.writes()
        if entry.get("call") == "s3.put_bucket_notification_configuration" and entry.get("entry_fingerprint")))


def source_notifications(clients: Clients, bucket: str, owner: str, region: str | None) -> dict[str, Any] | None:
    """The bucket's notification configuration (ResponseMetadata dropped); None when it has none."""
    s3 = clients("s3", region)
    try:
        answer = s3.get_bucket_notification_configuration(Bucket=bucket, ExpectedBucketOwner=owner)
    except Exception as exc:
        raise explain(exc, profile=profile_of(clients), what=f"notification configuration of bucket {bucket!r}") from exc
    found = {k: v for k, v in answer.items() if k != "ResponseMetadata" and v not in ([], None)}
    return found or None


def alarm_facts(clients: Clients, inputs: PlanInputs) -> AlarmFacts:
    """The topic, its policy and subscriptions, and our alarms, as they are now (core.alarms judges the steps)."""
    region = alarms.region(inputs)
    profile = profile_of(clients)
    topic = alarms.topic_arn(inputs)
    found: dict[str, Any] = {}
    try:
        if topic is not None:
            sns = clients("sns", region)
            try:
                policy = (sns.get_topic_attributes(TopicArn=topic).get("Attributes") or {}).get("Policy")
            except ClientError as exc:
                if error_code(exc) not in ("NotFound", "NotFoundException"):
                    raise
            else:
                subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic).get("Subscriptions") or []
                found.update(topic_exists=True, topic_policy=load_policy(policy) if policy else None,
                             subscribed=tuple(str(s.get("Endpoint")) for s in subscriptions))
            try:
                clients("sqs", region).get_queue_url(QueueName=alarms.inbox_name(inputs),
                                                     QueueOwnerAWSAccountId=inputs.source_account.id)
                found["inbox_exists"] = True
            except ClientError as exc:
                if error_code(exc) not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                    raise
        names = list(alarms.alarm_names(inputs))
        answer = clients("cloudwatch", region).describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm"])
        found["alarms"] = {a["AlarmName"]: alarms.alarm_settings(a) for a in answer.get("MetricAlarms") or []}
    except Exception as exc:
        raise explain(exc, profile=profile, what="the alarm topic and alarms").within("source") from exc
    return AlarmFacts(**found)


def _arn_region(arn: str) -> str | None:
    parts = arn.split(":")
    return (parts[3] or None) if len(parts) > 5 and parts[0] == "arn" else None


def describe_kms_key(clients: Clients, key: str, *, region: str | None = None) -> KmsKeyFacts:
    """``describe_key`` + the 'default' key policy; unreadable keys give ``manager=None``.

    ``key`` may be a key ARN (its region is used), or a key id / alias resolved in
    ``region`` (default: the session's region) of the account of ``clients``. An
    AWS-managed alias (``alias/aws/...``) is not described: KMS creates the key on
    DescribeKey when it does not exist yet; it is reported as ``manager="AWS"``.
    """
    if "alias/aws/" in key:
        # An AWS-managed key's alias (aws/s3): DescribeKey would CREATE that key in the account
        # when it does not exist yet, a write during a read-only plan. Its name says what it is.
        return KmsKeyFacts(arn=key, manager="AWS", region=_arn_region(key) or region)
    profile = profile_of(clients)
    kms = clients("kms", _arn_region(key) or region)
    try:
        meta = kms.describe_key(KeyId=key)["KeyMetadata"]
    except ClientError as exc:
        if error_code(exc) in _KMS_UNREADABLE:
            return KmsKeyFacts(arn=key, manager=None, region=_arn_region(key) or region)
        raise explain(exc, profile=profile, what=f"kms.describe_key {key!r}") from exc
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"kms.describe_key {key!r}") from exc
    arn = meta.get("Arn") or key
    policy: str | None
    try:
        policy = kms.get_key_policy(KeyId=arn, PolicyName="default").get("Policy")
    except ClientError as exc:
        if error_code(exc) not in _KMS_UNREADABLE:
            raise explain(exc, profile=profile, what=f"kms.get_key_policy {arn!r}") from exc
        policy = None
    except Exception as exc:
        raise explain(exc, profile=profile, what=f"kms.get_key_policy {arn!r}") from exc
    return KmsKeyFacts(
        arn=arn,
        manager=meta.get("KeyManager"),
        region=_arn_region(arn) or region,
        state=meta.get("KeyState"),
        policy=policy,
    )


# -- everything at once ----------------------------------------------------------------------------


def _side(name: str, clients: Clients) -> str:
    return f"{name} ({who(profile_of(clients))})"


def _on_side(name: str, clients: Clients, task: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        try:
            return task()
        except AwsError as exc:
            raise exc.within(_side(name, clients)) from exc.__cause__
        except Exception as exc:  # anything explain() did not see yet
            raise explain(exc, profile=profile_of(clients)).within(_side(name, clients)) from exc

    return run


def _inspect_either(
    source: Clients, destination: Clients, bucket: str, source_account: Account, destination_account: Account
) -> BucketFacts:
    """A bucket that may belong to either account: the source's first, then the destination's."""
    try:
        return inspect_bucket(source, bucket, source_account.id)
    except AwsError as exc:
        if exc.code != "BucketOwnedByAnotherAccount" or destination_account.id == source_account.id:
            raise exc.within(_side("source", source)) from exc.__cause__
    try:
        return inspect_bucket(destination, bucket, destination_account.id)
    except AwsError as exc:
        if exc.code != "BucketOwnedByAnotherAccount":
            raise exc.within(_side("destination", destination)) from exc.__cause__
    raise AwsError(
        f"bucket {bucket!r} is owned by neither the source account {source_account.id} nor the destination "
        f"account {destination_account.id}, or neither profile may access it",
        "choose a bucket of the source or the destination account",
        "BucketOwnedByAnotherAccount",
    )


def gather_inputs(
    source: Clients,
    destination: Clients,
    source_bucket: str,
    destination_bucket: str,
    options: MigrationOptions,
    *,
    identity: Callable[[Clients], Account] = caller_identity,
    role: Callable[[Clients, str], RoleFacts] = inspect_role,
) -> PlanInputs:
    """Read everything the plan needs, from both accounts, side by side.

    ``identity`` and ``role`` read who a side is and a role; a fleet passes readers that ask once
    per account and role for all its pairs (``fleet_inspect``).
    Raises ``ValueError`` (before any call) when a bucket name breaks S3's rules,
    :class:`AwsError` naming the side and profile when AWS cannot be read.
    """
    check_bucket_name(source_bucket)
    check_bucket_name(destination_bucket)
    source_account, destination_account = _run_all(
        [
            _on_side("source", source, lambda: identity(source)),
            _on_side("destination", destination, lambda: identity(destination)),
        ],
        2,
    )
    replication_role_name = options.replication_role_for(source_bucket)
    batch_role_name = options.batch_role_for(source_bucket) if options.replicate_existing else None

    tasks: dict[str, Callable[[], Any]] = {
        "source": _on_side("source", source, lambda: inspect_bucket(source, source_bucket, source_account.id)),
        "destination": _on_side(
            "destination", destination, lambda: inspect_bucket(destination, destination_bucket, destination_account.id)
        ),
        "replication_role": _on_side("source", source, lambda: role(source, replication_role_name)),
    }
    if batch_role_name is not None and batch_role_name != replication_role_name:
        tasks["batch_role"] = _on_side("source", source, lambda: role(source, batch_role_name))
    if options.replica_kms_key:
        key = options.replica_kms_key
        tasks["replica_key"] = _on_side("destination", destination, lambda: describe_kms_key(destination, key))
    for field, name in (("report_bucket", options.report_bucket), ("manifest_bucket", options.manifest_bucket)):
        if name:
            tasks[field] = lambda name=name: _inspect_either(  # type: ignore[misc]
                source, destination, name, source_account, destination_account
            )
    for field, name in (("source_inventory_reports", options.inventory_source_bucket),
                        ("destination_inventory_reports", options.inventory_destination_bucket)):
        if name and options.inventory != "off":
            tasks[field] = lambda name=name: _inspect_either(  # type: ignore[misc]  (S3 Inventory, issue 19)
                source, destination, name, source_account, destination_account
            )
    results = dict(zip(tasks, _run_all(list(tasks.values()), _GATHER_WORKERS)))
    if batch_role_name is not None and "batch_role" not in results:
        results["batch_role"] = results["replication_role"]
    inputs = PlanInputs(
        source_account=source_account,
        destination_account=destination_account,
        options=options,
        **results,
    )
    # the inventory's and the alarms' reads need only the buckets' Regions: side by side (a fleet's pair waits
    # for the longest, not for all six one after another)
    later: dict[str, Callable[[], Any]] = {"inventory": lambda: with_inventory_facts(inputs, source, destination)}
    if options.alarms and inputs.source.exists:
        later["source_notifications"] = lambda: source_notifications(
            source, source_bucket, source_account.id, inputs.source.bucket.region)
        later["alarm_facts"] = lambda: alarm_facts(source, inputs)
    read = dict(zip(later, _run_all(list(later.values()), len(later))))
    inputs = read.pop("inventory")
    update: dict[str, Any] = {"rule_fingerprints": recorded_rule_fingerprints(plan_id(inputs)),
                              "statement_fingerprints": recorded_statement_fingerprints(plan_id(inputs)), **read}
    if "alarm_facts" in read:
        update["notification_fingerprints"] = recorded_notification_fingerprints(plan_id(inputs))
    return inputs.model_copy(update=update)
