"""Batch Replication jobs with a CSV manifest (``S3BatchOperations_CSV_20180820``), driven by the stock AWS CLI.

"Specifying a manifest" (Creating an S3 Batch Operations job, S3 User Guide,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html#specify-batchjob-manifest):
a CSV manifest has no header, one object a line as bucket, key and (when the
Fields name it) version ID; object keys must be URL-encoded; the job's
``Location`` names the manifest object (``ObjectArn``, optional
``ObjectVersionId``) and its ``ETag``
(JobManifestLocation, https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_JobManifestLocation.html);
Batch Operations reads the manifest with the job's role (s3:GetObject, and
s3:GetObjectVersion for a versioned manifest reference).
"""

from __future__ import annotations

import json
from urllib.parse import quote

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT

from ..helpers import make_setup, policy, rule, wait_for
from .conftest import as_json

BATCH_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "batchoperations.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
FIELDS = {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key", "VersionId"]}


def _role(iam, src: str, manifest_arn: str, *, read: bool) -> str:
    arn = iam.create_role(RoleName="csv-batch", AssumeRolePolicyDocument=json.dumps(BATCH_TRUST))["Role"]["Arn"]
    statements = [{"Effect": "Allow", "Action": "s3:InitiateReplication", "Resource": f"arn:aws:s3:::{src}/*"}]
    if read:  # exactly the manifest object
        statements.append({"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": manifest_arn})
    iam.put_role_policy(RoleName="csv-batch", PolicyName="csv", PolicyDocument=policy(*statements))
    return arn


def _create_job(aws, role: str, location: dict) -> str:
    return aws("s3control", "create-job", "--account-id", SOURCE_ACCOUNT, "--no-confirmation-required",
               "--operation", as_json({"S3ReplicateObject": {}}), "--report", as_json({"Enabled": False}),
               "--manifest", as_json({"Spec": FIELDS, "Location": location}), "--priority", "10",
               "--role-arn", role)["JobId"]


def _ended(s3c, job_id: str) -> dict:
    return wait_for(lambda: (lambda j: j if j["Status"] in ("Complete", "Failed", "Cancelled") else None)(
        s3c.describe_job(AccountId=SOURCE_ACCOUNT, JobId=job_id)["Job"]), timeout=30, what=f"job {job_id} to end")


def test_a_csv_manifest_with_url_encoded_keys_and_version_ids_replicates_exactly_its_versions(aws, sandbox):
    s = make_setup(sandbox, src="csv-src", dst="csv-dst", replicate=False)
    keys = ["plain.txt", "a, b \"q\"/é ü+.txt", "not-listed.txt"]
    versions = {k: s.s3a.put_object(Bucket=s.src, Key=k, Body=k.encode())["VersionId"] for k in keys}
    s.put_rules(rule(s.dst))  # the objects predate the rule: only a Batch job replicates them
    body = "".join(f"{s.src},{quote(k, safe='/')},{versions[k]}\n" for k in keys[:2]).encode()
    put = s.s3a.put_object(Bucket=s.src, Key="manifests/m.csv", Body=body)
    arn = f"arn:aws:s3:::{s.src}/manifests/m.csv"
    role = _role(s.iam, s.src, arn, read=True)
    job_id = _create_job(aws, role, {"ObjectArn": arn, "ObjectVersionId": put["VersionId"], "ETag": put["ETag"]})
    job = _ended(sandbox.clients(SOURCE_ACCOUNT)("s3control"), job_id)
    assert job["Status"] == "Complete"
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 2
    for key in keys[:2]:
        assert s.s3b.head_object(Bucket=s.dst, Key=key, VersionId=versions[key])["ReplicationStatus"] == "REPLICA"
    assert not s.s3b.list_object_versions(Bucket=s.dst, Prefix="not-listed").get("Versions")


def test_a_manifest_whose_etag_differs_or_that_the_role_cannot_read_fails_the_job(aws, sandbox):
    s = make_setup(sandbox, src="csv-src2", dst="csv-dst2")
    version = s.s3a.put_object(Bucket=s.src, Key="x.txt", Body=b"x")["VersionId"]
    put = s.s3a.put_object(Bucket=s.src, Key="m.csv", Body=f"{s.src},x.txt,{version}\n".encode())
    arn = f"arn:aws:s3:::{s.src}/m.csv"
    role = _role(s.iam, s.src, arn, read=False)
    s3c = sandbox.clients(SOURCE_ACCOUNT)("s3control")
    unreadable = _ended(s3c, _create_job(aws, role, {"ObjectArn": arn, "ETag": put["ETag"]}))
    assert unreadable["Status"] == "Failed"
    assert unreadable["FailureReasons"][0]["FailureCode"] == "ManifestNotReadable"
    s.iam.put_role_policy(RoleName="csv-batch", PolicyName="read", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": arn}))
    mismatch = _ended(s3c, _create_job(aws, role, {"ObjectArn": arn, "ETag": "0" * 32}))
    assert mismatch["Status"] == "Failed"
    assert mismatch["FailureReasons"][0]["FailureCode"] == "ManifestETagMismatch"


def test_a_replica_deleted_by_version_id_is_never_re_replicated_not_even_by_a_second_job(aws, sandbox):
    """Replication failure reasons (Troubleshooting replication, S3 User Guide,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-troubleshoot.html): ``DstObjectHardDeleted``,
    Batch Replication does not re-replicate an object whose replica was deleted by version ID from the
    destination. The FAILED status the first job leaves must not let a later job through."""
    s = make_setup(sandbox, src="csv-src3", dst="csv-dst3")
    version = s.s3a.put_object(Bucket=s.src, Key="gone.txt", Body=b"g")["VersionId"]
    wait_for(lambda: s.s3b.list_object_versions(Bucket=s.dst, Prefix="gone.txt").get("Versions"), timeout=30,
             what="the replica")
    s.s3b.delete_object(Bucket=s.dst, Key="gone.txt", VersionId=version)
    put = s.s3a.put_object(Bucket=s.src, Key="m.csv", Body=f"{s.src},gone.txt,{version}\n".encode())
    arn = f"arn:aws:s3:::{s.src}/m.csv"
    role = _role(s.iam, s.src, arn, read=True)
    s3c = sandbox.clients(SOURCE_ACCOUNT)("s3control")
    for _ in range(2):
        job = _ended(s3c, _create_job(aws, role, {"ObjectArn": arn, "ObjectVersionId": put["VersionId"],
                                                  "ETag": put["ETag"]}))
        assert job["ProgressSummary"]["NumberOfTasksFailed"] == 1
    assert not s.s3b.list_object_versions(Bucket=s.dst, Prefix="gone.txt").get("Versions")
