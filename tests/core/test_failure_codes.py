"""core.failure_codes: every code of the reference has a meaning and a fix; job reasons are recognised by text."""

from __future__ import annotations

import pytest

from s3xrep_tui.core.failure_codes import (
    ACTIVE,
    ALL_JOB_STATUSES,
    DEFAULT_FIX,
    FAILURE_CODES,
    TERMINAL,
    describe,
    fix_for,
    is_terminal,
    job_failure_fix,
    job_failure_for,
    meaning_for,
)

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html (the failure-code vocabulary) and
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-batch-operations.html
REFERENCE_CODES = ["AssumeRoleNotPermitted", "DstBucketNotFound", "DstBucketObjectLockConfigMissing", "DstBucketUnversioned", "DstDelObjNotPermitted", "DstKmsKeyInvalidState", "DstKmsKeyNotFound", "DstMultipartInitNotPermitted", "DstMultipartPartUploadNotPermitted", "DstMultipartCompleteNotPermitted", "DstObjectHardDeleted", "DstPutAclNotPermitted", "DstPutLegalHoldNotPermitted", "DstPutObjectNotPermitted", "DstPutTaggingNotPermitted", "DstVersionNotFound", "InitiateReplicationNotPermitted", "SrcBucketInvalidRegion", "DstBucketInvalidRegion", "SrcBucketNotFound", "SrcBucketReplicationConfigMissing", "SrcGetAclNotPermitted", "SrcGetObjectNotPermitted", "SrcGetTaggingNotPermitted", "SrcHeadObjectNotPermitted", "SrcKmsKeyInvalidState", "SrcObjectNotEligible", "SrcVersionNotFound"]


@pytest.mark.parametrize("code", REFERENCE_CODES)
def test_every_reference_code_has_a_meaning_and_a_fix(code: str) -> None:
    entry = FAILURE_CODES[code]
    assert entry.code == code and entry.meaning and entry.fix
    assert fix_for(code) == entry.fix != DEFAULT_FIX
    assert fix_for(code.lower()) == entry.fix  # case does not matter
    assert describe(code) is entry


def test_well_known_fixes() -> None:
    assert fix_for("DstPutObjectNotPermitted").startswith(
        "the destination bucket policy (or the role policy) does not allow s3:ReplicateObject for the replication "
        "role: re-apply the plan's destination bucket policy")
    assert "s3:InitiateReplication" in fix_for("InitiateReplicationNotPermitted")
    assert "Batch Copy" in fix_for("DstObjectHardDeleted")
    assert "source bucket's region" in fix_for("SrcBucketInvalidRegion")


def test_unknown_codes_get_a_sensible_default() -> None:
    assert fix_for("SomethingNew") == DEFAULT_FIX
    assert fix_for(None) == fix_for("") == DEFAULT_FIX
    assert meaning_for("SomethingNew") == "unknown failure code 'SomethingNew'"
    assert describe("SomethingNew").fix == DEFAULT_FIX
    # families AWS may extend
    assert "destination bucket policy" in fix_for("DstPutSomethingNewNotPermitted")
    assert "replication role" in fix_for("SrcGetSomethingNewNotPermitted")
    assert "KMS" in fix_for("DstKmsKeyDisabledSomehow")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Reading the manifest is forbidden: AccessDenied", "ManifestForbidden"),
        ("Unable to get the manifest object's ETag", "ManifestForbidden"),
        ("Manifest generation found no keys matching the filter criteria.", "ManifestEmpty"),
        ("The job report could not be written to your report bucket. Please check your permissions.",
         "ReportNotWritable"),
        ("ManifestGenerationNoKeysFound", "ManifestEmpty"),
        ("TaskFailureThresholdExceeded", "TaskFailureThreshold"),
        ("ManifestNotReadable", "ManifestForbidden"),
    ],
)
def test_job_level_reasons_are_recognised_by_text_or_code(text: str, key: str) -> None:
    failure = job_failure_for(text)
    assert failure is not None and failure.key == key
    assert fix_for(text) == failure.fix


def test_job_failure_fix_prefers_the_reason_then_the_code() -> None:
    assert "s3:PutObject" in job_failure_fix("Whatever", "The job report could not be written to your report bucket.")
    assert job_failure_fix("AssumeRoleNotPermitted", "could not assume the role") == fix_for("AssumeRoleNotPermitted")
    assert job_failure_fix("NewCode", "new text") == DEFAULT_FIX
    assert job_failure_for("") is None and job_failure_for("all good") is None


def test_job_statuses() -> None:
    assert TERMINAL == {"Complete", "Failed", "Cancelled"}
    assert ACTIVE | TERMINAL == ALL_JOB_STATUSES and not ACTIVE & TERMINAL
    assert "Completing" in ACTIVE and not is_terminal("Completing")
    assert all(is_terminal(s) for s in TERMINAL)
    assert not is_terminal(None) and not is_terminal("Suspended")
