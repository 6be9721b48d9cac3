"""Replication and Batch Operations failure codes: what each means and how to fix it.

Pure data and lookups (no I/O). Sources: AWS's S3 User Guide, "Replication failure
reasons" (the failure-code vocabulary of replication events, Batch completion
reports and ``OperationFailedReplication``) and "Troubleshooting replication".

``fix_for(code)`` always answers: unknown codes get a sensible default.
``job_failure_for(text)`` recognises the job-level failure reasons that
``describe_job`` returns as free text ("Reading the manifest is forbidden…").
``is_terminal(status)`` with ``TERMINAL`` / ``ACTIVE`` job status sets.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACTIVE",
    "ALL_JOB_STATUSES",
    "FAILURE_CODES",
    "JOB_FAILURES",
    "TERMINAL",
    "FailureCode",
    "JobFailure",
    "describe",
    "fix_for",
    "is_terminal",
    "job_failure_fix",
    "job_failure_for",
    "job_failure_meaning",
    "meaning_for",
]


@dataclass(frozen=True)
class FailureCode:
    code: str
    meaning: str
    fix: str


_REPLICATION_ROLE = "the replication role"
_REAPPLY_ROLE = "re-apply the plan's replication role policy"
_REAPPLY_DEST_POLICY = "re-apply the plan's destination bucket policy"

_CODES: tuple[FailureCode, ...] = (
    # --- who may act -------------------------------------------------------------
    FailureCode(
        "AssumeRoleNotPermitted",
        "S3 could not assume the replication (or Batch) role",
        "the role's trust policy must allow s3.amazonaws.com (and batchoperations.s3.amazonaws.com for the "
        "Batch role) with matching conditions: re-apply the plan's role trust policy",
    ),
    FailureCode(
        "InitiateReplicationNotPermitted",
        "the Batch Replication role may not start replication of the source objects",
        "grant s3:InitiateReplication on arn:aws:s3:::SOURCE/* to the Batch Replication role: "
        "re-apply the plan's Batch role policy",
    ),
    # --- destination -----------------------------------------------------------------
    FailureCode(
        "DstBucketNotFound",
        "the destination bucket does not exist (or the name in the rule is wrong)",
        "check the rule's Destination.Bucket ARN and that the bucket exists in the destination account",
    ),
    FailureCode(
        "DstBucketUnversioned",
        "versioning is not enabled (or was suspended) on the destination bucket",
        "enable versioning on the destination bucket (put_bucket_versioning Status=Enabled)",
    ),
    FailureCode(
        "DstBucketObjectLockConfigMissing",
        "the source uses Object Lock but the destination bucket has no Object Lock configuration",
        "enable Object Lock on the destination bucket (it must have been created with it) or exclude locked objects",
    ),
    FailureCode(
        "DstBucketInvalidRegion",
        "the Batch job runs in a region other than the buckets' region",
        "create the job (and describe it) in the source bucket's region",
    ),
    FailureCode(
        "DstPutObjectNotPermitted",
        "the destination refused the replica write (s3:ReplicateObject)",
        "the destination bucket policy (or the role policy) does not allow s3:ReplicateObject for the replication "
        "role: re-apply the plan's destination bucket policy (with owner override also "
        "s3:ObjectOwnerOverrideToBucketOwner in both)",
    ),
    FailureCode(
        "DstDelObjNotPermitted",
        "the destination refused a replicated delete marker (s3:ReplicateDelete)",
        f"allow s3:ReplicateDelete for {_REPLICATION_ROLE} in the role policy and the destination bucket policy: "
        f"{_REAPPLY_DEST_POLICY}",
    ),
    FailureCode(
        "DstPutTaggingNotPermitted",
        "the destination refused the replica's tags (s3:ReplicateTags)",
        f"allow s3:ReplicateTags for {_REPLICATION_ROLE} in the role policy and the destination bucket policy: "
        f"{_REAPPLY_DEST_POLICY}",
    ),
    FailureCode(
        "DstPutAclNotPermitted",
        "the destination refused the replica's ACL or ownership change",
        "allow s3:ObjectOwnerOverrideToBucketOwner (owner override) in the role and destination bucket policies, "
        "or set the destination to BucketOwnerEnforced",
    ),
    FailureCode(
        "DstPutLegalHoldNotPermitted",
        "the destination refused the replica's Object Lock legal hold",
        "allow s3:PutObjectLegalHold on the destination for the replication role (role and bucket policy)",
    ),
    FailureCode(
        "DstPutRetentionNotPermitted",
        "the destination refused the replica's Object Lock retention",
        "allow s3:PutObjectRetention on the destination for the replication role (role and bucket policy)",
    ),
    FailureCode(
        "DstMultipartInitNotPermitted",
        "the destination refused to start a multipart replica upload",
        f"allow s3:ReplicateObject for {_REPLICATION_ROLE} on the destination: {_REAPPLY_DEST_POLICY}",
    ),
    FailureCode(
        "DstMultipartPartUploadNotPermitted",
        "the destination refused a part of a multipart replica upload",
        f"allow s3:ReplicateObject for {_REPLICATION_ROLE} on the destination: {_REAPPLY_DEST_POLICY}",
    ),
    FailureCode(
        "DstMultipartCompleteNotPermitted",
        "the destination refused to complete a multipart replica upload",
        f"allow s3:ReplicateObject for {_REPLICATION_ROLE} on the destination: {_REAPPLY_DEST_POLICY}",
    ),
    FailureCode(
        "DstMultipartUploadNotPermitted",
        "the destination refused a multipart replica upload",
        f"allow s3:ReplicateObject for {_REPLICATION_ROLE} on the destination: {_REAPPLY_DEST_POLICY}",
    ),
    FailureCode(
        "DstKmsKeyInvalidState",
        "the destination KMS key (ReplicaKmsKeyID) is disabled or pending deletion",
        "enable the destination KMS key (or point ReplicaKmsKeyID at a usable key)",
    ),
    FailureCode(
        "DstKmsKeyNotFound",
        "the destination KMS key (ReplicaKmsKeyID) does not exist or is not visible to the role",
        "check ReplicaKmsKeyID (a full key ARN in the destination region) and the key policy's grant to the role",
    ),
    FailureCode(
        "DstKmsKeyNotPermitted",
        "the replication role may not encrypt with the destination KMS key",
        "allow kms:Encrypt and kms:GenerateDataKey for the replication role in the role policy and the destination "
        "key policy: re-apply the plan's KMS key policy statements",
    ),
    FailureCode(
        "DstObjectHardDeleted",
        "the destination version was deleted by version id; Batch Replication will not write it again",
        "copy the object in place on the source (Batch Copy) to create a new version that replicates live",
    ),
    FailureCode(
        "DstVersionNotFound",
        "the replica version to update is not on the destination",
        "re-replicate the object (Batch Replication with ObjectReplicationStatuses COMPLETED) or copy it in place",
    ),
    # --- source --------------------------------------------------------------------------
    FailureCode(
        "SrcBucketNotFound",
        "the source bucket does not exist (or is not visible to the role)",
        "check the source bucket name and that the job runs in the source account",
    ),
    FailureCode(
        "SrcBucketInvalidRegion",
        "the Batch job runs in a region other than the source bucket's",
        "create the job (and describe it) from the source bucket's region",
    ),
    FailureCode(
        "SrcBucketReplicationConfigMissing",
        "the source bucket has no replication configuration",
        "apply the plan's replication configuration to the source bucket before running Batch Replication",
    ),
    FailureCode(
        "SrcObjectNotEligible",
        "the object matches no replication rule (prefix/tag filter, or SSE-KMS not opted in)",
        "widen the rule's filter, enable SseKmsEncryptedObjects with a ReplicaKmsKeyID, or ignore it if intended",
    ),
    FailureCode(
        "SrcGetObjectNotPermitted",
        "the replication role may not read the source object version",
        f"allow s3:GetObjectVersionForReplication on the source objects for {_REPLICATION_ROLE}: {_REAPPLY_ROLE}; "
        "foreign-owned objects also need READ for the bucket owner",
    ),
    FailureCode(
        "SrcGetAclNotPermitted",
        "the replication role may not read the source object's ACL",
        f"allow s3:GetObjectVersionAcl on the source objects for {_REPLICATION_ROLE}: {_REAPPLY_ROLE}",
    ),
    FailureCode(
        "SrcGetTaggingNotPermitted",
        "the replication role may not read the source object's tags",
        f"allow s3:GetObjectVersionTagging on the source objects for {_REPLICATION_ROLE}: {_REAPPLY_ROLE}",
    ),
    FailureCode(
        "SrcGetLegalHoldNotPermitted",
        "the replication role may not read the source object's legal hold",
        f"allow s3:GetObjectLegalHold on the source objects for {_REPLICATION_ROLE}",
    ),
    FailureCode(
        "SrcGetRetentionNotPermitted",
        "the replication role may not read the source object's retention",
        f"allow s3:GetObjectRetention on the source objects for {_REPLICATION_ROLE}",
    ),
    FailureCode(
        "SrcHeadObjectNotPermitted",
        "the replication role may not read the source object's metadata",
        f"allow s3:GetObjectVersionForReplication (and s3:GetObjectVersion) on the source objects: {_REAPPLY_ROLE}",
    ),
    FailureCode(
        "SrcKmsKeyInvalidState",
        "the source object's KMS key is disabled or pending deletion",
        "enable the source KMS key, then retry with Batch Replication (ObjectReplicationStatuses FAILED)",
    ),
    FailureCode(
        "SrcKmsKeyNotPermitted",
        "the replication role may not decrypt with the source object's KMS key",
        "allow kms:Decrypt for the replication role in the role policy and the source key policy",
    ),
    FailureCode(
        "SrcVersionNotFound",
        "the source object version no longer exists (deleted after the manifest was made)",
        "nothing to replicate: ignore, or regenerate the manifest",
    ),
    FailureCode(
        "SrcObjectArchived",
        "the source object is in GLACIER / DEEP_ARCHIVE and cannot be replicated",
        "restore it (or copy it to another storage class) first; archived objects are not replicated",
    ),
    # --- request level (tasks and jobs) ---------------------------------------------------------
    FailureCode(
        "AccessDenied",
        "access was denied",
        "check the role's permissions, the bucket policies, and any explicit Deny (SCP, VPC endpoint or IP "
        "conditions, permission boundary)",
    ),
    FailureCode(
        "InvalidRequest",
        "S3 rejected the request (for manifests: often a missing VersionId; use 'null' for pre-versioning objects)",
        "read the result message; for manifests give version ids for all rows (or none) and 'null' where needed",
    ),
    FailureCode(
        "NoSuchKey",
        "the object listed in the manifest does not exist",
        "regenerate the manifest (use a manifest generator) so it lists current versions",
    ),
    FailureCode(
        "NoSuchVersion",
        "the object version listed in the manifest does not exist",
        "regenerate the manifest (use a manifest generator) so it lists existing versions",
    ),
    FailureCode(
        "SlowDown",
        "S3 throttled the request",
        "retry later or lower the job's request rate (fewer concurrent jobs on the bucket)",
    ),
    FailureCode(
        "InternalError",
        "S3 had an internal error",
        "retry the failed tasks (Batch Replication with ObjectReplicationStatuses FAILED)",
    ),
)

FAILURE_CODES: dict[str, FailureCode] = {entry.code: entry for entry in _CODES}
_BY_LOWER = {code.lower(): entry for code, entry in FAILURE_CODES.items()}

DEFAULT_FIX = (
    "look the code up in the S3 replication troubleshooting guide; most failures are permission gaps in the "
    "replication role, the destination bucket policy or a KMS key policy: re-apply the plan and retry the "
    "failed objects with Batch Replication (ObjectReplicationStatuses FAILED)"
)


def _lookup(code: str | None) -> FailureCode | None:
    if not code:
        return None
    text = str(code).strip()
    return FAILURE_CODES.get(text) or _BY_LOWER.get(text.lower())


def fix_for(code: str | None) -> str:
    """The fix for a failure code (replication, Batch task or job-level); a sensible default otherwise."""
    entry = _lookup(code)
    if entry is not None:
        return entry.fix
    job = job_failure_for(code or "")
    if job is not None:
        return job.fix
    family = _family(code)
    if family is not None:
        return family.fix
    return DEFAULT_FIX


def _family(code: str | None) -> FailureCode | None:
    """Codes AWS adds over time follow a pattern: Dst*NotPermitted, Src*NotPermitted, *Kms*."""
    text = str(code or "")
    if "Kms" in text:
        side = "destination" if text.startswith("Dst") else "source"
        return FailureCode(text, f"a problem with the {side} KMS key",
                           f"check the {side} KMS key (enabled, right region) and that its key policy and the "
                           "replication role allow kms:Decrypt (source) / kms:Encrypt and kms:GenerateDataKey "
                           "(destination)")
    if text.startswith("Dst") and text.endswith("NotPermitted"):
        return FailureCode(text, "the destination refused a replication write",
                           "the destination bucket policy (or the role policy) does not allow the replication "
                           f"role this action: {_REAPPLY_DEST_POLICY}")
    if text.startswith("Src") and text.endswith("NotPermitted"):
        return FailureCode(text, "the replication role may not read from the source",
                           f"allow the replication role to read the source objects: {_REAPPLY_ROLE}")
    return None


def meaning_for(code: str | None) -> str:
    """One line saying what a failure code means ("unknown failure code X" when unknown)."""
    entry = _lookup(code)
    if entry is not None:
        return entry.meaning
    job = job_failure_for(code or "")
    if job is not None:
        return job.meaning
    family = _family(code)
    if family is not None:
        return family.meaning
    return f"unknown failure code {code!r}" if code else "no failure code given"


def describe(code: str | None) -> FailureCode:
    """The entry for ``code``, or a generic one carrying the code, its meaning and the default fix."""
    entry = _lookup(code)
    if entry is not None:
        return entry
    return FailureCode(str(code or ""), meaning_for(code), fix_for(code))


# --- job-level failure reasons (describe_job FailureReasons / StatusUpdateReason) ---------------------


@dataclass(frozen=True)
class JobFailure:
    """A job-level failure recognised by text (``needles`` are lowercase substrings)."""

    key: str
    needles: tuple[str, ...]
    meaning: str
    fix: str
    codes: tuple[str, ...] = ()  # FailureCode values describe_job uses for it


JOB_FAILURES: tuple[JobFailure, ...] = (
    JobFailure(
        "ManifestForbidden",
        ("reading the manifest is forbidden", "unable to get the manifest object's etag"),
        "the job could not read its manifest",
        "give the Batch role s3:GetObject (and s3:GetObjectVersion) on the manifest; do not use an SSE-KMS "
        "encrypted CSV manifest; check the manifest objects' ownership (BucketOwnerEnforced)",
        ("ManifestNotReadable", "ManifestForbidden"),
    ),
    JobFailure(
        "ManifestEmpty",
        ("manifest generation found no keys", "no keys matching the filter"),
        "the manifest generator found no objects matching the filter",
        "check the job's filter (prefix, statuses, dates), that objects are not all in GLACIER/DEEP_ARCHIVE, "
        "that the job runs in the source bucket's region, and that the role has s3:PutInventoryConfiguration",
        ("ManifestGenerationNoKeysFound", "ManifestEmpty"),
    ),
    JobFailure(
        "ReportNotWritable",
        ("job report could not be written", "report could not be written", "unable to write the report"),
        "the job could not write its completion report",
        "give the Batch role s3:PutObject on the report bucket and prefix, and make sure the report bucket has "
        "no Object Lock default retention",
        ("ReportNotWritable",),
    ),
    JobFailure(
        "ManifestNotFound",
        ("manifest not found", "the manifest could not be found", "nosuchkey"),
        "the job's manifest object does not exist",
        "check the manifest location (bucket, key, ETag) and that it is in the source bucket's region",
        ("ManifestNotFound",),
    ),
    JobFailure(
        "ManifestETagMismatch",
        ("does not match the etag", "etag mismatch"),
        "the manifest object changed since the job was created (its ETag differs)",
        "create the job again with the manifest's current ETag (from head_object, without quotes)",
        ("ManifestETagMismatch",),
    ),
    JobFailure(
        "InvalidManifest",
        ("manifest fields must", "manifest is not valid", "manifest contains no objects"),
        "the manifest could not be parsed",
        "give a CSV manifest with Bucket,Key[,VersionId] columns (URL-encoded keys, UTF-8), or use a manifest "
        "generator",
        ("InvalidManifest",),
    ),
    JobFailure(
        "ManifestNotWritable",
        ("generated manifest could not be written",),
        "the generated manifest could not be written to the manifest bucket",
        "give the Batch role s3:PutObject on the manifest bucket and prefix (same region as the source), "
        "or set EnableManifestOutput to false",
        ("ManifestNotWritable",),
    ),
    JobFailure(
        "ExpectedBucketOwnerMismatch",
        ("is not owned by account",),
        "a bucket of the job is not owned by the account given as ExpectedBucketOwner",
        "check the bucket names and the ExpectedBucketOwner / ExpectedManifestBucketOwner account ids",
        ("ExpectedBucketOwnerMismatch",),
    ),
    JobFailure(
        "TaskFailureThreshold",
        ("failure rate", "task failure threshold", "exceeded the task failure"),
        "more than half of the tasks failed after at least 1,000 ran, so the whole job failed",
        "read the completion report's failure codes, fix their cause, then run Batch Replication again with "
        "ObjectReplicationStatuses FAILED",
        ("TaskFailureThresholdExceeded",),
    ),
    JobFailure(
        "ConfirmationRequired",
        ("awaiting confirmation", "requires confirmation", "confirmation required"),
        "the job waits for confirmation (ConfirmationRequired was not sent as false)",
        "confirm it: s3xrep jobs confirm JOB_ID (update_job_status RequestedJobStatus=Ready)",
    ),
    JobFailure(
        "InvalidRegion",
        ("invalidregion", "invalid region", "different region"),
        "the job runs in a region other than the source bucket's",
        "create the job (and describe it) from the source bucket's region",
    ),
)


def job_failure_for(text: str | None) -> JobFailure | None:
    """The job-level failure a free-text reason (or code) describes, if recognisable."""
    if not text:
        return None
    lowered = str(text).lower()
    stripped = lowered.strip()
    for failure in JOB_FAILURES:
        if failure.key.lower() == stripped or stripped in (c.lower() for c in failure.codes):
            return failure
    for failure in JOB_FAILURES:
        if any(needle in lowered for needle in failure.needles):
            return failure
    return None


def job_failure_fix(code: str | None, reason: str | None = None) -> str:
    """The fix for one of describe_job's FailureReasons: by its text first, then by its code."""
    for text in (reason, code):
        job = job_failure_for(text)
        if job is not None:
            return job.fix
    return fix_for(code)


def job_failure_meaning(code: str | None, reason: str | None = None) -> str:
    for text in (reason, code):
        job = job_failure_for(text)
        if job is not None:
            return job.meaning
    return meaning_for(code)


# --- job statuses ---------------------------------------------------------------------------------

ALL_JOB_STATUSES: frozenset[str] = frozenset(
    {"Active", "Cancelled", "Cancelling", "Complete", "Completing", "Failed", "Failing", "New", "Paused",
     "Pausing", "Preparing", "Ready", "Suspended"}
)
TERMINAL: frozenset[str] = frozenset({"Complete", "Failed", "Cancelled"})
# Not terminal: still moving (or waiting, like Suspended) and worth polling. Completing is transitional.
ACTIVE: frozenset[str] = ALL_JOB_STATUSES - TERMINAL


def is_terminal(status: str | None) -> bool:
    """Complete, Failed and Cancelled are final; everything else (Completing included) may still change."""
    return status in TERMINAL
