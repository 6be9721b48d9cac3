"""S3 Batch Operations (S3ReplicateObject) in the sandbox, over HTTP with real boto3 clients."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.clients import Clients

from .helpers import wait_for

A = "111111111111"
B = "222222222222"
REGION = "us-east-1"
TERMINAL = {"Complete", "Failed", "Cancelled"}


# ---------------------------------------------------------------------------- the world


@dataclass
class Env:
    endpoint: str
    a: Clients
    b: Clients
    batch: Any
    engine: Any
    metrics: Any = None

    def s3control(self, region: str = REGION) -> Any:
        return self.a("s3control", region)

    def describe(self, job_id: str, region: str = REGION) -> dict[str, Any]:
        return self.s3control(region).describe_job(AccountId=A, JobId=job_id)["Job"]

    def wait_status(self, job_id: str, statuses: set[str] | str, timeout: float = 10.0) -> dict[str, Any]:
        wanted = {statuses} if isinstance(statuses, str) else statuses
        return wait_for(
            lambda: (job := self.describe(job_id))["Status"] in wanted and job, timeout, f"job {job_id} in {wanted}"
        )


@pytest.fixture
def env(sandbox: Any) -> Env:
    """The core engineer's ``sandbox`` fixture (a fresh Sandbox per test) seen through both accounts."""
    a, b = (Clients(_session(sandbox, account), endpoint_url=sandbox.endpoint_url) for account in (A, B))
    return Env(sandbox.endpoint_url, a, b, sandbox.batch, sandbox.engine, sandbox.metrics)


_SESSIONS: dict[tuple[str, str], boto3.Session] = {}


def _session(sandbox: Any, account: str) -> boto3.Session:
    """One boto3 Session per account for the whole run: its loader caches the service models, which
    makes a fresh sandbox's clients ~10x cheaper to build (the sandbox's keys are the same on every start)."""
    key, secret = sandbox.credentials(account)
    session = _SESSIONS.get((account, key))
    if session is None:
        session = _SESSIONS[(account, key)] = boto3.Session(
            aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION
        )
    return session


# ---------------------------------------------------------------------------- setup helpers


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


TRUST_BATCH = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "batchoperations.s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@dataclass
class World:
    src: str
    dst: str
    report: str
    role_arn: str
    rule_id: str


def make_world(
    env: Env,
    *,
    keys: list[str] = ("a.txt", "b.txt", "logs/c.txt"),
    replication: bool = True,
    trust: dict[str, Any] = TRUST_BATCH,
    initiate: bool = True,
    report_put: bool = True,
    metrics: bool = False,
    deleted: tuple[str, ...] = (),
    replicate_delete_markers: bool = False,
) -> World:
    s3a, s3b, iam = env.a("s3"), env.b("s3"), env.a("iam")
    src, dst, report = _name("src"), _name("dst"), _name("report")
    for client, bucket in ((s3a, src), (s3b, dst), (s3a, report)):
        client.create_bucket(Bucket=bucket)
    for client, bucket in ((s3a, src), (s3b, dst)):
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key in keys:
        s3a.put_object(Bucket=src, Key=key, Body=f"body of {key}".encode())
    for key in deleted:
        s3a.delete_object(Bucket=src, Key=key)  # a delete marker
    role_name = _name("batchrole")
    role_arn = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:PutInventoryConfiguration"],
            "Resource": f"arn:aws:s3:::{src}",
        },
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{report}/*"},
    ]
    if initiate:
        statements.append({"Effect": "Allow", "Action": "s3:InitiateReplication", "Resource": f"arn:aws:s3:::{src}/*"})
    if report_put:
        statements.append({"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{report}/*"})
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="batch",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )
    rule_id = "to-dst"
    if replication:
        repl_role = iam.create_role(
            RoleName=_name("replrole"),
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}
                    ],
                }
            ),
        )["Role"]
        iam.put_role_policy(
            RoleName=repl_role["RoleName"],
            PolicyName="replicate",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                            "Resource": f"arn:aws:s3:::{src}",
                        },
                        {
                            "Effect": "Allow",
                            "Action": [
                                "s3:GetObjectVersionForReplication",
                                "s3:GetObjectVersionAcl",
                                "s3:GetObjectVersionTagging",
                            ],
                            "Resource": f"arn:aws:s3:::{src}/*",
                        },
                        {
                            "Effect": "Allow",
                            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            "Resource": f"arn:aws:s3:::{dst}/*",
                        },
                    ],
                }
            ),
        )
        s3b.put_bucket_policy(
            Bucket=dst,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": repl_role["Arn"]},
                            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
                            "Resource": f"arn:aws:s3:::{dst}/*",
                        },
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": repl_role["Arn"]},
                            "Action": ["s3:List*", "s3:GetBucketVersioning", "s3:PutBucketVersioning"],
                            "Resource": f"arn:aws:s3:::{dst}",
                        },
                    ],
                }
            ),
        )
        s3a.put_bucket_replication(
            Bucket=src,
            ReplicationConfiguration={
                "Role": repl_role["Arn"],
                "Rules": [
                    {
                        "ID": rule_id,
                        "Priority": 1,
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "DeleteMarkerReplication": {
                            "Status": "Enabled" if replicate_delete_markers else "Disabled"
                        },
                        "Destination": {
                            "Bucket": f"arn:aws:s3:::{dst}",
                            "Account": B,
                            **(
                                {"Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}}
                                if metrics
                                else {}
                            ),
                        },
                    }
                ],
            },
        )
    return World(src, dst, report, role_arn, rule_id)


def create_job(env: Env, world: World, *, region: str = REGION, **overrides: Any) -> str:
    request: dict[str, Any] = {
        "AccountId": A,
        "ConfirmationRequired": False,
        "Operation": {"S3ReplicateObject": {}},
        "Report": {
            "Enabled": True,
            "Bucket": f"arn:aws:s3:::{world.report}",
            "Format": "Report_CSV_20180820",
            "Prefix": "batch-replication",
            "ReportScope": "AllTasks",
        },
        "ManifestGenerator": {
            "S3JobManifestGenerator": {
                "ExpectedBucketOwner": A,
                "SourceBucket": f"arn:aws:s3:::{world.src}",
                "EnableManifestOutput": False,
                "Filter": {"EligibleForReplication": True, "ObjectReplicationStatuses": ["NONE", "FAILED"]},
            }
        },
        "Priority": 10,
        "RoleArn": world.role_arn,
        "Description": "repl existing objects",
    }
    for key, value in overrides.items():
        if value is None:
            request.pop(key, None)
        else:
            request[key] = value
    return env.s3control(region).create_job(**request)["JobId"]


def read_report(env: Env, world: World, job_id: str) -> tuple[dict[str, Any], list[list[str]]]:
    s3 = env.a("s3")
    base = f"batch-replication/job-{job_id}"
    manifest = json.loads(s3.get_object(Bucket=world.report, Key=f"{base}/manifest.json")["Body"].read())
    rows: list[list[str]] = []
    for entry in manifest["Results"]:
        assert entry["Key"].startswith(f"{base}/results/") and entry["Key"].endswith(".csv")
        body = s3.get_object(Bucket=entry["Bucket"], Key=entry["Key"])["Body"].read()
        import hashlib

        assert hashlib.md5(body).hexdigest() == entry["MD5Checksum"]
        rows += list(csv.reader(io.StringIO(body.decode())))
    return manifest, rows


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return exc.value.response["Error"]["Code"]


def versions(s3: Any, bucket: str) -> list[tuple[str, str]]:
    listed = s3.list_object_versions(Bucket=bucket)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []))


# ---------------------------------------------------------------------------- the happy path


def test_generated_manifest_job_completes_and_replicates_every_version(env: Env) -> None:
    # a.txt twice: 4 versions, all written before the replication configuration (status NONE)
    world = make_world(env, keys=["a.txt", "a.txt", "b.txt", "logs/c.txt"])
    job_id = create_job(env, world)

    job = env.wait_status(job_id, TERMINAL)

    assert job["Status"] == "Complete"
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 4
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 4
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 0
    assert isinstance(job["ProgressSummary"]["Timers"]["ElapsedTimeInActiveSeconds"], int)
    assert job["TerminationDate"] >= job["CreationTime"]
    assert job["JobArn"] == f"arn:aws:s3:{REGION}:{A}:job/{job_id}"
    assert job["ConfirmationRequired"] is False
    assert job["Operation"] == {"S3ReplicateObject": {}}
    assert job["RoleArn"] == world.role_arn
    assert job["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"]["ObjectReplicationStatuses"] == [
        "NONE",
        "FAILED",
    ]
    assert "FailureReasons" not in job
    replicated = wait_for(lambda: {k for k, _ in versions(env.b("s3"), world.dst)} >= {"a.txt", "b.txt", "logs/c.txt"})
    assert replicated
    assert len(versions(env.b("s3"), world.dst)) >= 4  # every eligible version, not only current ones

    manifest, rows = read_report(env, world, job_id)
    assert manifest["Format"] == "Report_CSV_20180820"
    assert manifest["ReportSchema"] == "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"
    assert [r["TaskExecutionStatus"] for r in manifest["Results"]] == ["succeeded"]
    assert len(rows) == 4
    source_versions = set(versions(env.a("s3"), world.src))
    assert {(r[1], r[2]) for r in rows} == source_versions
    assert all(r[0] == world.src and r[3] == "succeeded" and r[4] == "200" for r in rows)


def test_a_second_run_filtered_on_none_finds_nothing_and_completed_finds_everything(env: Env) -> None:
    world = make_world(env, keys=["x.txt"])
    first = create_job(env, world)
    assert env.wait_status(first, TERMINAL)["Status"] == "Complete"
    wait_for(lambda: env.engine.status(world.src, "x.txt", versions(env.a("s3"), world.src)[0][1]) == "COMPLETED")

    again = create_job(env, world)
    failed = env.wait_status(again, TERMINAL)
    assert failed["Status"] == "Failed"
    assert failed["FailureReasons"][0]["FailureReason"] == (
        "Manifest generation found no keys matching the filter criteria."
    )
    assert failed["ProgressSummary"]["TotalNumberOfTasks"] == 0

    generator = {
        "S3JobManifestGenerator": {
            "SourceBucket": f"arn:aws:s3:::{world.src}",
            "EnableManifestOutput": False,
            "Filter": {"EligibleForReplication": True, "ObjectReplicationStatuses": ["COMPLETED"]},
        }
    }
    redo = create_job(env, world, ManifestGenerator=generator)
    done = env.wait_status(redo, TERMINAL)
    assert done["Status"] == "Complete"
    assert done["ProgressSummary"]["TotalNumberOfTasks"] == 1


# ---------------------------------------------------------------------------- confirmation, cancel, transitions


@pytest.mark.parametrize("confirmation", [True, None], ids=["ConfirmationRequired-true", "ConfirmationRequired-absent"])
def test_a_job_needing_confirmation_waits_suspended_until_ready(env: Env, confirmation: bool | None) -> None:
    world = make_world(env)
    if confirmation is None:
        sent: list[bytes] = []
        env.s3control().meta.events.register(
            "before-send.s3-control.CreateJob", lambda request, **_: sent.append(request.body)
        )
        job_id = create_job(env, world, ConfirmationRequired=None)
        assert sent and b"ConfirmationRequired" not in sent[-1]  # the flag really was absent on the wire
    else:
        job_id = create_job(env, world, ConfirmationRequired=True)

    job = env.wait_status(job_id, {"Suspended"} | TERMINAL)
    assert job["Status"] == "Suspended"
    assert job["ConfirmationRequired"] is True
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 3  # known once Preparing is over
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 0
    assert "SuspendedDate" in job and job["SuspendedCause"]
    assert not versions(env.b("s3"), world.dst)

    answer = env.s3control().update_job_status(
        AccountId=A, JobId=job_id, RequestedJobStatus="Ready", StatusUpdateReason="confirmed by test"
    )
    assert answer["JobId"] == job_id and answer["Status"] == "Ready"
    assert answer["StatusUpdateReason"] == "confirmed by test"
    job = env.wait_status(job_id, TERMINAL)
    assert job["Status"] == "Complete"
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 3
    assert job["StatusUpdateReason"] == "confirmed by test"


def test_cancel_then_illegal_transitions(env: Env) -> None:
    world = make_world(env)
    job_id = create_job(env, world, ConfirmationRequired=True)
    env.wait_status(job_id, "Suspended")
    s3c = env.s3control()

    answer = s3c.update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Cancelled")
    assert answer["Status"] in ("Cancelling", "Cancelled")
    job = env.wait_status(job_id, TERMINAL)
    assert job["Status"] == "Cancelled"
    assert "TerminationDate" in job
    # no task ran: no report
    listed = env.a("s3").list_objects_v2(Bucket=world.report)
    assert listed.get("KeyCount", 0) == 0

    for requested in ("Ready", "Cancelled"):
        with pytest.raises(ClientError) as exc:
            s3c.update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus=requested)
        assert code(exc) == "JobStatusException"
        assert isinstance(exc.value, s3c.exceptions.JobStatusException)


def test_ready_is_refused_for_a_job_that_needs_no_confirmation(env: Env) -> None:
    world = make_world(env)
    job_id = create_job(env, world)
    env.wait_status(job_id, TERMINAL)
    with pytest.raises(s3c_exceptions(env).JobStatusException):
        env.s3control().update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Ready")


def s3c_exceptions(env: Env) -> Any:
    return env.s3control().exceptions


def test_update_priority(env: Env) -> None:
    world = make_world(env)
    job_id = create_job(env, world, ConfirmationRequired=True, Priority=3)
    answer = env.s3control().update_job_priority(AccountId=A, JobId=job_id, Priority=77)
    assert answer["JobId"] == job_id and answer["Priority"] == 77
    assert env.describe(job_id)["Priority"] == 77
    listed = env.s3control().list_jobs(AccountId=A)["Jobs"]
    assert next(j for j in listed if j["JobId"] == job_id)["Priority"] == 77
    env.s3control().update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Cancelled")


# ---------------------------------------------------------------------------- list, idempotency, not found


def test_list_jobs_filters_on_status_and_pages_with_next_token(env: Env) -> None:
    world = make_world(env)
    suspended = [create_job(env, world, ConfirmationRequired=True, Description=f"page {i}") for i in range(5)]
    for job_id in suspended:
        env.wait_status(job_id, "Suspended")
    s3c = env.s3control()

    seen: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"AccountId": A, "JobStatuses": ["Suspended"], "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = s3c.list_jobs(**kwargs)
        pages += 1
        assert len(page["Jobs"]) <= 2
        for job in page["Jobs"]:
            assert job["Status"] == "Suspended"
            assert job["Operation"] == "S3ReplicateObject"
            assert "ProgressSummary" in job and "CreationTime" in job
        seen += [j["JobId"] for j in page["Jobs"]]
        token = page.get("NextToken")
        if not token:
            break
    assert set(suspended) <= set(seen)
    assert len(seen) == len(set(seen))
    assert pages >= 3

    complete = s3c.list_jobs(AccountId=A, JobStatuses=["Complete"])["Jobs"]
    assert not set(suspended) & {j["JobId"] for j in complete}
    with pytest.raises(ClientError) as exc:
        s3c.list_jobs(AccountId=A, NextToken="not-a-token")
    assert code(exc) == "InvalidNextTokenException"
    for job_id in suspended:
        s3c.update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Cancelled")


def test_client_request_token_is_idempotent(env: Env) -> None:
    world = make_world(env)
    token = str(uuid.uuid4())
    first = create_job(env, world, ClientRequestToken=token, ConfirmationRequired=True)
    again = create_job(env, world, ClientRequestToken=token, ConfirmationRequired=True)
    assert first == again
    with pytest.raises(ClientError) as exc:
        create_job(env, world, ClientRequestToken=token, ConfirmationRequired=True, Priority=99)
    assert code(exc) == "IdempotencyException"
    other = create_job(env, world, ConfirmationRequired=True)  # botocore fills a fresh token
    assert other != first
    for job_id in (first, other):
        env.s3control().update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Cancelled")


def test_unknown_job_other_region_and_other_account(env: Env) -> None:
    world = make_world(env)
    s3c = env.s3control()
    with pytest.raises(s3c.exceptions.NotFoundException) as exc:
        s3c.describe_job(AccountId=A, JobId=str(uuid.uuid4()))
    assert exc.value.response["Error"]["Message"] == "No such job"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    job_id = create_job(env, world, ConfirmationRequired=True)
    with pytest.raises(ClientError) as exc:
        env.s3control("eu-west-1").describe_job(AccountId=A, JobId=job_id)
    assert code(exc) == "NotFoundException"
    assert job_id not in {j["JobId"] for j in env.s3control("eu-west-1").list_jobs(AccountId=A)["Jobs"]}
    with pytest.raises(ClientError) as exc:
        env.s3control("eu-west-1").update_job_priority(AccountId=A, JobId=job_id, Priority=1)
    assert code(exc) == "NotFoundException"

    # account B may not look into account A's jobs
    with pytest.raises(ClientError) as exc:
        env.b("s3control", REGION).describe_job(AccountId=A, JobId=job_id)
    assert code(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        env.b("s3control", REGION).describe_job(AccountId=B, JobId=job_id)
    assert code(exc) == "NotFoundException"
    s3c.update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Cancelled")


def test_job_tagging_round_trip(env: Env) -> None:
    world = make_world(env)
    s3c = env.s3control()
    job_id = create_job(env, world, ConfirmationRequired=True, Tags=[{"Key": "tool", "Value": "s3xrep"}])
    assert s3c.get_job_tagging(AccountId=A, JobId=job_id)["Tags"] == [{"Key": "tool", "Value": "s3xrep"}]
    s3c.put_job_tagging(AccountId=A, JobId=job_id, Tags=[{"Key": "k", "Value": "v"}])
    assert s3c.get_job_tagging(AccountId=A, JobId=job_id)["Tags"] == [{"Key": "k", "Value": "v"}]
    s3c.delete_job_tagging(AccountId=A, JobId=job_id)
    assert s3c.get_job_tagging(AccountId=A, JobId=job_id).get("Tags", []) == []
    s3c.update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Cancelled")


def test_only_s3_replicate_object_is_emulated(env: Env) -> None:
    world = make_world(env)
    with pytest.raises(ClientError) as exc:
        create_job(env, world, Operation={"S3PutObjectTagging": {"TagSet": []}})
    assert code(exc) == "BadRequestException"


# ---------------------------------------------------------------------------- job-level failures


def _fail_no_report_bucket(env: Env, world: World) -> str:
    report = {"Enabled": True, "Bucket": "arn:aws:s3:::no-such-report-bucket-xyz", "Format": "Report_CSV_20180820"}
    return create_job(env, world, Report=report)


def _fail_report_not_allowed(env: Env, _: World) -> str:
    world = make_world(env, report_put=False)
    return create_job(env, world)


def _fail_untrusted_role(env: Env, _: World) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }
    world = make_world(env, trust=trust)
    return create_job(env, world)


def _fail_no_replication(env: Env, _: World) -> str:
    world = make_world(env, replication=False)
    return create_job(env, world)


def _fail_no_keys(env: Env, world: World) -> str:
    generator = {
        "S3JobManifestGenerator": {
            "SourceBucket": f"arn:aws:s3:::{world.src}",
            "EnableManifestOutput": False,
            "Filter": {"EligibleForReplication": True, "KeyNameConstraint": {"MatchAnyPrefix": ["nothing-here/"]}},
        }
    }
    return create_job(env, world, ManifestGenerator=generator)


@pytest.mark.parametrize(
    ("make", "failure_code", "reason"),
    [
        (_fail_no_report_bucket, "ReportNotWritable", "The job report could not be written to your report bucket."),
        (_fail_report_not_allowed, "ReportNotWritable", "The job report could not be written to your report bucket."),
        (_fail_untrusted_role, "AssumeRoleNotPermitted", "batchoperations.s3.amazonaws.com"),
        (_fail_no_replication, "SrcBucketReplicationConfigMissing", "no replication configuration"),
        (_fail_no_keys, "ManifestGenerationNoKeysFound", "Manifest generation found no keys matching the filter"),
    ],
    ids=["report-bucket-missing", "report-put-denied", "role-not-trusted", "no-replication-config", "no-keys"],
)
def test_job_level_failures(env: Env, make: Callable[[Env, World], str], failure_code: str, reason: str) -> None:
    world = make_world(env)
    job_id = make(env, world)
    job = env.wait_status(job_id, TERMINAL)
    assert job["Status"] == "Failed"
    assert job["FailureReasons"][0]["FailureCode"] == failure_code
    assert reason in job["FailureReasons"][0]["FailureReason"]
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == 0
    assert "TerminationDate" in job


# ---------------------------------------------------------------------------- task-level failures


def test_missing_initiate_replication_fails_every_task(env: Env) -> None:
    world = make_world(env, initiate=False)
    job_id = create_job(env, world, Report={
        "Enabled": True,
        "Bucket": f"arn:aws:s3:::{world.report}",
        "Format": "Report_CSV_20180820",
        "Prefix": "batch-replication",
        "ReportScope": "FailedTasksOnly",
    })
    job = env.wait_status(job_id, TERMINAL)
    assert job["Status"] == "Complete"  # Complete means every task was attempted
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 3
    assert "FailureReasons" not in job
    manifest, rows = read_report(env, world, job_id)
    assert [r["TaskExecutionStatus"] for r in manifest["Results"]] == ["failed"]
    assert len(rows) == 3
    for row in rows:
        assert row[3] == "failed"
        http = next(i for i, cell in enumerate(row) if cell.isdigit() and len(cell) == 3)
        assert row[http] == "400"
        assert row[http + 1] == "InitiateReplicationNotPermitted"
    assert not versions(env.b("s3"), world.dst)


def test_a_replication_failure_code_surfaces_in_the_report(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(env)
    real = env.engine.replicate_now

    def flaky(bucket: str, key: str, version_id: str, *, via_batch: bool = True) -> str | None:
        if key == "b.txt":
            return "DstPutObjectNotPermitted"
        return real(bucket, key, version_id, via_batch=via_batch)

    monkeypatch.setattr(env.engine, "replicate_now", flaky)
    job_id = create_job(env, world)
    job = env.wait_status(job_id, TERMINAL)
    assert job["Status"] == "Complete"
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 2
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 1
    manifest, rows = read_report(env, world, job_id)
    assert sorted(r["TaskExecutionStatus"] for r in manifest["Results"]) == ["failed", "succeeded"]
    failed = [r for r in rows if r[3] == "failed"]
    assert len(failed) == 1
    assert failed[0][1] == "b.txt" and failed[0][4:6] == ["400", "DstPutObjectNotPermitted"]
    assert "DstPutObjectNotPermitted" in failed[0][6]


def test_the_engine_failure_code_of_a_real_denial_lands_in_the_report(env: Env) -> None:
    world = make_world(env, keys=["denied.txt"])
    env.b("s3").delete_bucket_policy(Bucket=world.dst)  # account B no longer lets the replication role in
    job = env.wait_status(create_job(env, world), TERMINAL)
    assert job["Status"] == "Complete"
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 1
    _, rows = read_report(env, world, job["JobId"])
    assert rows[0][3:5] == ["failed", "400"]
    engine_code = env.engine.failure_code(world.src, "denied.txt", rows[0][2])
    assert engine_code and rows[0][5] == engine_code
    assert engine_code.startswith("Dst")


def test_more_than_half_failed_after_the_minimum_fails_the_job(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(env.batch, "failure_threshold_min_tasks", 4)
    world = make_world(env, keys=[f"k{i:02d}" for i in range(12)], initiate=False)
    job_id = create_job(env, world)
    job = env.wait_status(job_id, TERMINAL)
    assert job["Status"] == "Failed"
    assert job["FailureReasons"][0]["FailureCode"] == "TaskFailureThresholdExceeded"
    progress = job["ProgressSummary"]
    assert progress["TotalNumberOfTasks"] == 12
    assert progress["NumberOfTasksFailed"] == 4  # stopped as soon as the rule applied
    _, rows = read_report(env, world, job_id)  # a failed job that ran tasks still reports
    assert len(rows) == 4


# ---------------------------------------------------------------------------- CSV manifests and filters


def _upload_manifest(env: Env, world: World, rows: list[list[str]]) -> tuple[str, str]:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    key = f"manifests/{uuid.uuid4().hex}.csv"
    etag = env.a("s3").put_object(Bucket=world.report, Key=key, Body=out.getvalue().encode())["ETag"].strip('"')
    return f"arn:aws:s3:::{world.report}/{key}", etag


def test_csv_manifest_with_url_encoded_keys_and_versions(env: Env) -> None:
    world = make_world(env, keys=["plain.txt", "with space/é+.txt"])
    listed = versions(env.a("s3"), world.src)
    rows = [[world.src, quote_plus(k, safe="/"), v] for k, v in listed]
    arn, etag = _upload_manifest(env, world, rows)
    manifest = {
        "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key", "VersionId"]},
        "Location": {"ObjectArn": arn, "ETag": etag},
    }
    job_id = create_job(env, world, ManifestGenerator=None, Manifest=manifest)
    job = env.wait_status(job_id, TERMINAL)
    assert job["Status"] == "Complete", job
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == 2
    assert job["Manifest"]["Location"]["ETag"] == etag
    assert "with space/é+.txt" in {k for k, _ in versions(env.b("s3"), world.dst)}


def test_csv_manifest_with_a_wrong_etag_fails_the_job(env: Env) -> None:
    world = make_world(env)
    arn, _ = _upload_manifest(env, world, [[world.src, "a.txt"]])
    manifest = {
        "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
        "Location": {"ObjectArn": arn, "ETag": "0" * 32},
    }
    job = env.wait_status(create_job(env, world, ManifestGenerator=None, Manifest=manifest), TERMINAL)
    assert job["Status"] == "Failed"
    assert job["FailureReasons"][0]["FailureCode"] == "ManifestETagMismatch"


def test_csv_manifest_row_without_version_fails_that_task(env: Env) -> None:
    world = make_world(env)
    listed = dict(versions(env.a("s3"), world.src))
    arn, etag = _upload_manifest(env, world, [[world.src, "a.txt", listed["a.txt"]], [world.src, "b.txt", ""]])
    manifest = {
        "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key", "VersionId"]},
        "Location": {"ObjectArn": arn, "ETag": etag},
    }
    job = env.wait_status(create_job(env, world, ManifestGenerator=None, Manifest=manifest), TERMINAL)
    assert job["Status"] == "Complete"
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 1
    _, rows = read_report(env, world, job["JobId"])
    failed = next(r for r in rows if r[3] == "failed")
    assert failed[1] == "b.txt" and failed[5] == "InvalidRequest"
    assert failed[6] == "Task failed due to missing VersionId"


def test_generator_filters_on_names_and_creation_time(env: Env) -> None:
    world = make_world(env, keys=["logs/one.log", "logs/two.txt", "data/three.log", "data/four.csv"])
    now = datetime.now(timezone.utc)

    def job_keys(filter_: dict[str, Any]) -> int:
        generator = {
            "S3JobManifestGenerator": {
                "SourceBucket": f"arn:aws:s3:::{world.src}",
                "EnableManifestOutput": False,
                "Filter": {"EligibleForReplication": True, **filter_},
            }
        }
        job_id = create_job(env, world, ManifestGenerator=generator, ConfirmationRequired=True)
        job = env.wait_status(job_id, {"Suspended", "Failed"})
        if job["Status"] == "Suspended":
            env.s3control().update_job_status(AccountId=A, JobId=job_id, RequestedJobStatus="Cancelled")
        return job["ProgressSummary"]["TotalNumberOfTasks"]

    assert job_keys({"KeyNameConstraint": {"MatchAnyPrefix": ["logs/"]}}) == 2
    assert job_keys({"KeyNameConstraint": {"MatchAnySuffix": [".log"]}}) == 2
    assert job_keys({"KeyNameConstraint": {"MatchAnySubstring": ["r"]}}) == 2
    assert job_keys({"CreatedBefore": now + timedelta(hours=1)}) == 4
    assert job_keys({"CreatedAfter": now + timedelta(hours=1)}) == 0
    assert job_keys({"CreatedAfter": now - timedelta(hours=1), "ObjectReplicationStatuses": ["NONE"]}) == 4


@pytest.mark.parametrize("replicated", [False, True], ids=["markers-not-replicated", "markers-replicated"])
def test_delete_markers_are_listed_only_where_the_rule_replicates_them(env: Env, replicated: bool) -> None:
    world = make_world(env, deleted=("b.txt",), replicate_delete_markers=replicated)
    job = env.wait_status(create_job(env, world), TERMINAL)
    assert job["Status"] == "Complete", job
    assert job["ProgressSummary"]["TotalNumberOfTasks"] == (4 if replicated else 3)
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 0
    markers = env.b("s3").list_object_versions(Bucket=world.dst).get("DeleteMarkers", [])
    assert [m["Key"] for m in markers] == (["b.txt"] if replicated else [])


def test_generated_manifest_output_is_written_and_described(env: Env) -> None:
    world = make_world(env)
    generator = {
        "S3JobManifestGenerator": {
            "SourceBucket": f"arn:aws:s3:::{world.src}",
            "EnableManifestOutput": True,
            "ManifestOutputLocation": {
                "Bucket": f"arn:aws:s3:::{world.report}",
                "ManifestPrefix": "batch-manifests",
                "ManifestFormat": "S3InventoryReport_CSV_20211130",
            },
            "Filter": {"EligibleForReplication": True},
        }
    }
    job = env.wait_status(create_job(env, world, ManifestGenerator=generator), TERMINAL)
    assert job["Status"] == "Complete"
    descriptor = job["GeneratedManifestDescriptor"]
    assert descriptor["Format"] == "S3InventoryReport_CSV_20211130"
    key = descriptor["Location"]["ObjectArn"].split(f"{world.report}/", 1)[1]
    document = json.loads(env.a("s3").get_object(Bucket=world.report, Key=key)["Body"].read())
    data = env.a("s3").get_object(Bucket=world.report, Key=document["files"][0]["key"])["Body"].read().decode()
    assert len(list(csv.reader(io.StringIO(data)))) == 3
