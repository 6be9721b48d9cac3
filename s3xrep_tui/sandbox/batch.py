"""S3 Batch Operations (``S3ReplicateObject``, i.e. Batch Replication) for the sandbox.

moto answers every s3control job route with 404, so :class:`BatchOperations`
sits in the sandbox's middleware chain, answers the job routes itself over
botocore's real REST-XML protocol (see :mod:`batch_protocol`) and forwards
everything else. A worker thread moves jobs through AWS's states::

    New -> Preparing -> [Suspended] -> Ready -> Active -> Completing -> Complete
                                         Cancelling -> Cancelled
                                         Failing    -> Failed

``Suspended`` happens when ``ConfirmationRequired`` is true *or absent* (the
AWS pitfall). New, Preparing, Ready and Active each last at least ``dwell``
seconds (AWS's take seconds to minutes): a monitor polling every few seconds
sees each. The wind-down states (Completing, Cancelling, Failing) do not dwell:
AWS's are brief, and a job cannot be cancelled in them.
Tasks run at ``task_rate`` per second while Active; each asks the
replication engine to replicate one version (``engine.replicate_now``). Jobs
live in the caller's account and the region the request was signed for.

Job-level failures (FailureReasons[].FailureCode / FailureReason), chosen to
match the reference's vocabulary where AWS documents one:

=================================  ============================================================
``AssumeRoleNotPermitted``         the role does not trust ``batchoperations.s3.amazonaws.com``
``ReportNotWritable``              report bucket missing, wrong owner, or no s3:PutObject on the
                                   report prefix: "The job report could not be written to your
                                   report bucket. Please check your permissions."
``ManifestNotReadable``            CSV manifest missing / no s3:GetObject: "Reading the manifest
                                   is forbidden: AccessDenied"
``ManifestETagMismatch``           the CSV manifest's ETag differs from Location.ETag
``SrcBucketNotFound``              generator source bucket missing
``SrcBucketInvalidRegion``         generator source bucket in another region than the job
``SrcBucketReplicationConfigMissing``  generator source bucket has no replication configuration
``ExpectedBucketOwnerMismatch``    generator source bucket not owned by ExpectedBucketOwner
``ManifestGenerationNoKeysFound``  "Manifest generation found no keys matching the filter criteria."
``ManifestNotWritable``            EnableManifestOutput but the manifest can't be written
``TaskFailureThresholdExceeded``   >50 % of tasks failed once ``failure_threshold_min_tasks`` ran
=================================  ============================================================
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from werkzeug.wrappers import Response

from s3xrep_tui.core.names import bucket_from_arn
from s3xrep_tui.sandbox import batch_manifest as manifests
from s3xrep_tui.sandbox import iam_eval
from s3xrep_tui.sandbox.batch_manifest import JobFailure, Task
from s3xrep_tui.sandbox.batch_protocol import S3ControlError, error_response, parse_body, respond, route
from s3xrep_tui.sandbox.batch_report import TaskResult, report_prefix, write_report
from s3xrep_tui.sandbox.moto_access import bucket_owner, find_bucket, is_delete_marker, s3_backend
from s3xrep_tui.sandbox.server import Call, Forward

log = logging.getLogger(__name__)

BATCH_SERVICE = "batchoperations.s3.amazonaws.com"
REPORT_NOT_WRITABLE = "The job report could not be written to your report bucket. Please check your permissions."
TERMINAL = frozenset({"Complete", "Cancelled", "Failed"})
ALL_STATUSES = frozenset(
    {
        "Active",
        "Cancelled",
        "Cancelling",
        "Complete",
        "Completing",
        "Failed",
        "Failing",
        "New",
        "Paused",
        "Pausing",
        "Preparing",
        "Ready",
        "Suspended",
    }
)
CANCELLABLE = frozenset({"New", "Preparing", "Suspended", "Ready", "Active", "Pausing", "Paused"})
_ROLE_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):role/.+$")
_FAILURE_RATE_LIMIT = 0.5


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Job:
    account_id: str
    region: str
    job_id: str
    request: dict[str, Any]
    creation_time: datetime
    status: str = "New"
    priority: int = 0
    tags: list[dict[str, str]] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    total: int = 0
    next_task: int = 0
    succeeded: int = 0
    failed: int = 0
    results: list[TaskResult] = field(default_factory=list)
    active_seconds: float = 0.0
    active_since: float | None = None  # time.monotonic() when it last became Active
    termination_date: datetime | None = None
    status_update_reason: str | None = None
    failure_reasons: list[dict[str, str]] = field(default_factory=list)
    suspended_date: datetime | None = None
    suspended_cause: str | None = None
    generated_manifest: dict[str, Any] | None = None
    report_keys: list[str] = field(default_factory=list)
    seen_status: str = "New"  # the status state_since counts from (the worker notices changes)
    state_since: float = field(default_factory=time.monotonic)

    @property
    def confirmation_required(self) -> bool:
        # absent means required: the pitfall AWS users hit (aws-sdk-go-v2#1814)
        return self.request.get("ConfirmationRequired") is not False

    @property
    def role_arn(self) -> str:
        return self.request["RoleArn"]

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:{self.region}:{self.account_id}:job/{self.job_id}"

    def elapsed_active(self) -> float:
        extra = time.monotonic() - self.active_since if self.active_since is not None else 0.0
        return self.active_seconds + extra

    def progress(self) -> dict[str, Any]:
        return {
            "TotalNumberOfTasks": self.total,
            "NumberOfTasksSucceeded": self.succeeded,
            "NumberOfTasksFailed": self.failed,
            "Timers": {"ElapsedTimeInActiveSeconds": int(self.elapsed_active())},
        }


class BatchOperations:
    """Sandbox middleware answering the s3control Batch Operations job routes.

    ``engine`` is the sandbox's ReplicationEngine (``status``, ``matching_rule``,
    ``replicate_now``). ``task_rate`` is tasks per second per Active job.
    ``failure_threshold_min_tasks`` is how many tasks must have run before the
    >50 % failure rule can fail a job (AWS: 1,000). ``dwell`` is the least time
    in New, Preparing, Ready and Active (0: as fast as the work). Permissions are judged by :mod:`iam_eval`, as the
    replication engine judges them.
    """

    def __init__(
        self,
        engine: Any,
        task_rate: float = 50.0,
        *,
        failure_threshold_min_tasks: int = 1000,
        tick: float = 0.02,
        dwell: float = 0.0,
    ) -> None:
        self.engine = engine
        self.task_rate = float(task_rate)
        self.dwell = float(dwell)
        self.failure_threshold_min_tasks = int(failure_threshold_min_tasks)
        self._tick = tick
        self._jobs: dict[tuple[str, str, str], Job] = {}
        self._tokens: dict[tuple[str, str, str], tuple[str, str]] = {}  # -> (fingerprint, job id)
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-batch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._thread = None

    # ------------------------------------------------------------------ middleware

    def __call__(self, call: Call, forward: Forward) -> Response:
        found = route(call)
        if found is None:
            return forward()
        operation, job_id = found
        try:
            account_id = self._account(call)
            region = call.region or "us-east-1"
            handler = getattr(self, f"_op_{operation}")
            return handler(call, account_id, region, job_id)
        except S3ControlError as exc:
            return error_response(exc)

    @staticmethod
    def _account(call: Call) -> str:
        header = call.request.headers.get("x-amz-account-id")
        if not header:
            raise S3ControlError("InvalidRequest", "Missing required header for this request: x-amz-account-id")
        if header != call.account_id:
            raise S3ControlError("AccessDenied", "Access Denied", 403)
        return header

    def _job(self, account_id: str, region: str, job_id: str | None) -> Job:
        job = self._jobs.get((account_id, region, job_id or ""))
        if job is None:
            raise S3ControlError("NotFoundException", "No such job")
        return job

    # ------------------------------------------------------------------ operations

    def _op_CreateJob(self, call: Call, account_id: str, region: str, _: str | None) -> Response:
        request = parse_body("CreateJob", call)
        self._validate_create(request)
        token = request.get("ClientRequestToken") or str(uuid.uuid4())
        fingerprint = json.dumps(
            {k: v for k, v in request.items() if k not in ("ClientRequestToken", "AccountId")},
            sort_keys=True,
            default=str,
        )
        with self._lock:
            previous = self._tokens.get((account_id, region, token))
            if previous is not None:
                if previous[0] != fingerprint:
                    raise S3ControlError(
                        "IdempotencyException",
                        "The ClientRequestToken was already used for a different CreateJob request.",
                    )
                return respond("CreateJob", {"JobId": previous[1]})
            job = Job(
                account_id=account_id,
                region=region,
                job_id=str(uuid.uuid4()),
                request=request,
                creation_time=_now(),
                priority=int(request.get("Priority", 0)),
                tags=list(request.get("Tags") or []),
            )
            self._jobs[(account_id, region, job.job_id)] = job
            self._tokens[(account_id, region, token)] = (fingerprint, job.job_id)
        self._wake.set()
        return respond("CreateJob", {"JobId": job.job_id})

    @staticmethod
    def _validate_create(request: dict[str, Any]) -> None:
        operation = request.get("Operation") or {}
        if list(operation) != ["S3ReplicateObject"]:
            raise S3ControlError(
                "BadRequestException",
                f"The sandbox emulates only the S3ReplicateObject operation, not {sorted(operation) or 'none'}.",
            )
        has_manifest = bool(request.get("Manifest"))
        generator = (request.get("ManifestGenerator") or {}).get("S3JobManifestGenerator")
        if has_manifest == bool(generator):
            raise S3ControlError("BadRequestException", "Specify exactly one of Manifest and ManifestGenerator.")
        if has_manifest:
            spec = request["Manifest"].get("Spec") or {}
            if spec.get("Format") != "S3BatchOperations_CSV_20180820":
                raise S3ControlError(
                    "BadRequestException",
                    f"The sandbox reads only S3BatchOperations_CSV_20180820 manifests, not {spec.get('Format')}.",
                )
            if not spec.get("Fields"):
                raise S3ControlError("BadRequestException", "A CSV manifest needs Spec.Fields.")
        if generator and generator.get("EnableManifestOutput") and not generator.get("ManifestOutputLocation"):
            raise S3ControlError(
                "BadRequestException", "ManifestOutputLocation is required when EnableManifestOutput is true."
            )
        report = request.get("Report") or {}
        if report.get("Enabled") and not (report.get("Bucket") and report.get("Format")):
            raise S3ControlError("BadRequestException", "An enabled Report needs Bucket and Format.")
        if not _ROLE_ARN.match(request.get("RoleArn") or ""):
            raise S3ControlError("BadRequestException", f"Invalid RoleArn: {request.get('RoleArn')}")

    def _op_DescribeJob(self, call: Call, account_id: str, region: str, job_id: str | None) -> Response:
        with self._lock:
            job = self._job(account_id, region, job_id)
            return respond("DescribeJob", {"Job": self._descriptor(job)})

    def _descriptor(self, job: Job) -> dict[str, Any]:
        request = job.request
        descriptor: dict[str, Any] = {
            "JobId": job.job_id,
            "ConfirmationRequired": job.confirmation_required,
            "Description": request.get("Description"),
            "JobArn": job.arn,
            "Status": job.status,
            "Manifest": request.get("Manifest"),
            "Operation": request.get("Operation"),
            "Priority": job.priority,
            "ProgressSummary": job.progress(),
            "StatusUpdateReason": job.status_update_reason,
            "FailureReasons": job.failure_reasons or None,
            "Report": request.get("Report"),
            "CreationTime": job.creation_time,
            "TerminationDate": job.termination_date,
            "RoleArn": job.role_arn,
            "SuspendedDate": job.suspended_date,
            "SuspendedCause": job.suspended_cause,
            "ManifestGenerator": request.get("ManifestGenerator"),
            "GeneratedManifestDescriptor": job.generated_manifest,
        }
        return {k: v for k, v in descriptor.items() if v is not None}

    def _op_ListJobs(self, call: Call, account_id: str, region: str, _: str | None) -> Response:
        wanted = set(call.args.getlist("jobStatuses"))
        unknown = wanted - ALL_STATUSES
        if unknown:
            raise S3ControlError("InvalidRequestException", f"Invalid job status: {sorted(unknown)[0]}")
        try:
            max_results = int(call.args.get("maxResults", 1000))
        except ValueError as exc:
            raise S3ControlError("InvalidRequestException", "maxResults must be a number") from exc
        max_results = max(1, min(max_results, 1000))
        with self._lock:
            jobs = [
                job
                for (acct, reg, _id), job in self._jobs.items()
                if acct == account_id and reg == region and (not wanted or job.status in wanted)
            ]
            jobs.sort(key=lambda j: (j.creation_time, j.job_id), reverse=True)
            start = 0
            token = call.args.get("nextToken")
            if token:
                try:
                    after = base64.urlsafe_b64decode(token.encode()).decode()
                    start = next(i for i, j in enumerate(jobs) if j.job_id == after)
                except (ValueError, StopIteration) as exc:
                    raise S3ControlError("InvalidNextTokenException", "The NextToken is invalid.") from exc
            page = jobs[start : start + max_results]
            result: dict[str, Any] = {"Jobs": [self._list_descriptor(job) for job in page]}
            if start + max_results < len(jobs):
                result["NextToken"] = base64.urlsafe_b64encode(jobs[start + max_results].job_id.encode()).decode()
        return respond("ListJobs", result)

    @staticmethod
    def _list_descriptor(job: Job) -> dict[str, Any]:
        descriptor = {
            "JobId": job.job_id,
            "Description": job.request.get("Description"),
            "Operation": "S3ReplicateObject",
            "Priority": job.priority,
            "Status": job.status,
            "CreationTime": job.creation_time,
            "TerminationDate": job.termination_date,
            "ProgressSummary": job.progress(),
        }
        return {k: v for k, v in descriptor.items() if v is not None}

    def _op_UpdateJobStatus(self, call: Call, account_id: str, region: str, job_id: str | None) -> Response:
        requested = call.args.get("requestedJobStatus")
        reason = call.args.get("statusUpdateReason")
        if requested not in ("Ready", "Cancelled"):
            raise S3ControlError("BadRequestException", f"Invalid RequestedJobStatus: {requested}")
        with self._lock:
            job = self._job(account_id, region, job_id)
            if requested == "Ready":
                if job.status != "Suspended":
                    raise S3ControlError(
                        "JobStatusException", f"Job {job.job_id} can't be moved from {job.status} to Ready."
                    )
                job.status = "Ready"
                job.suspended_date = job.suspended_cause = None
            else:
                if job.status not in CANCELLABLE:
                    raise S3ControlError(
                        "JobStatusException", f"Job {job.job_id} can't be moved from {job.status} to Cancelled."
                    )
                job.status = "Cancelling"
            if reason:
                job.status_update_reason = reason
            result = {"JobId": job.job_id, "Status": job.status, "StatusUpdateReason": job.status_update_reason}
        self._wake.set()
        return respond("UpdateJobStatus", {k: v for k, v in result.items() if v is not None})

    def _op_UpdateJobPriority(self, call: Call, account_id: str, region: str, job_id: str | None) -> Response:
        try:
            priority = int(call.args.get("priority", ""))
        except ValueError as exc:
            raise S3ControlError("BadRequestException", "Priority must be an integer.") from exc
        if not 0 <= priority <= 2147483647:
            raise S3ControlError("BadRequestException", "Priority must be between 0 and 2147483647.")
        with self._lock:
            job = self._job(account_id, region, job_id)
            job.priority = priority
        return respond("UpdateJobPriority", {"JobId": job.job_id, "Priority": priority})

    def _op_GetJobTagging(self, call: Call, account_id: str, region: str, job_id: str | None) -> Response:
        with self._lock:
            job = self._job(account_id, region, job_id)
            return respond("GetJobTagging", {"Tags": list(job.tags)})

    def _op_PutJobTagging(self, call: Call, account_id: str, region: str, job_id: str | None) -> Response:
        tags = parse_body("PutJobTagging", call).get("Tags") or []
        if len(tags) > 50:
            raise S3ControlError("TooManyTagsException", "A job can have at most 50 tags.")
        with self._lock:
            self._job(account_id, region, job_id).tags = list(tags)
        return respond("PutJobTagging", {})

    def _op_DeleteJobTagging(self, call: Call, account_id: str, region: str, job_id: str | None) -> Response:
        with self._lock:
            self._job(account_id, region, job_id).tags = []
        return Response(b"", status=204)

    # ------------------------------------------------------------------ worker

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._tick)
            self._wake.clear()
            try:
                self.step()
            except Exception:  # keep the worker alive; the job that broke is failed below
                log.exception("batch worker step failed")

    def step(self) -> None:
        """Advance every unfinished job once (the worker calls this; tests may too)."""
        with self._lock:
            jobs = sorted(
                (job for job in self._jobs.values() if job.status not in TERMINAL),
                key=lambda j: (-j.priority, j.creation_time),
            )
        for job in jobs:
            try:
                self._advance(job)
            except Exception:
                log.exception("batch job %s failed unexpectedly", job.job_id)
                with self._lock:
                    self._fail(job, "InternalError", "The sandbox failed while running this job; see its log.")

    def _advance(self, job: Job) -> None:
        with self._lock:
            now = time.monotonic()
            if job.status != job.seen_status:
                job.seen_status, job.state_since = job.status, now
            dwelt = now - job.state_since >= self.dwell
            status = job.status
            if not dwelt and status in ("New", "Preparing", "Ready"):  # Active dwells by not finishing early
                return
            if status == "New":
                job.status = "Preparing"
                self._wake.set()
                return  # Preparing's own dwell starts at the next step
        if status == "Preparing":
            self._prepare(job)
        elif status == "Ready":
            with self._lock:
                if job.status == "Ready":
                    job.status = "Active"
                    job.active_since = time.monotonic()
        elif status == "Active":
            self._run_tasks(job, may_finish=dwelt)
        elif status in ("Completing", "Cancelling", "Failing"):
            self._finish(job)

    def _prepare(self, job: Job) -> None:
        try:
            tasks = self._preflight_and_manifest(job)
        except JobFailure as failure:
            with self._lock:
                if job.status == "Preparing":
                    self._fail(job, failure.code, failure.reason)
            return
        with self._lock:
            job.tasks = tasks
            job.total = len(tasks)
            if job.status != "Preparing":  # cancelled meanwhile
                return
            if job.confirmation_required:
                job.status = "Suspended"
                job.suspended_date = _now()
                job.suspended_cause = "AwaitingConfirmation"
            else:
                job.status = "Ready"
        self._wake.set()

    def _fail(self, job: Job, code: str, reason: str) -> None:
        job.failure_reasons.append({"FailureCode": code, "FailureReason": reason})
        self._stop_clock(job)
        job.status = "Failing"
        self._wake.set()

    @staticmethod
    def _stop_clock(job: Job) -> None:
        if job.active_since is not None:
            job.active_seconds += time.monotonic() - job.active_since
            job.active_since = None

    # ------------------------------------------------------------------ preparing

    def _preflight_and_manifest(self, job: Job) -> list[Task]:
        role = job.role_arn
        role_account = _ROLE_ARN.match(role).group(1)  # type: ignore[union-attr]  # validated at create
        source = {"aws:SourceAccount": job.account_id, "aws:SourceArn": job.arn}  # confused-deputy conditions
        if not iam_eval.role_trusts(role_account, role, BATCH_SERVICE, source):
            raise JobFailure(
                "AssumeRoleNotPermitted",
                f"Batch Operations could not assume the role {role}: its trust policy does not allow {BATCH_SERVICE}.",
            )
        self._check_report_writable(job)
        generator = (job.request.get("ManifestGenerator") or {}).get("S3JobManifestGenerator")
        if generator:
            tasks = self._generate(job, generator)
        else:
            tasks = self._read_manifest(job)
        return tasks

    def _check_report_writable(self, job: Job) -> None:
        report = job.request.get("Report") or {}
        if not report.get("Enabled"):
            return
        bucket = bucket_from_arn(report.get("Bucket"))
        owner = bucket_owner(bucket)
        expected = report.get("ExpectedBucketOwner")
        key = f"{report_prefix(report.get('Prefix'), job.job_id)}/manifest.json"
        if owner is None or (expected and expected != owner):
            raise JobFailure("ReportNotWritable", REPORT_NOT_WRITABLE)
        if not self.permitted(job.role_arn, "s3:PutObject", bucket, key):
            raise JobFailure("ReportNotWritable", REPORT_NOT_WRITABLE)

    def _generate(self, job: Job, generator: dict[str, Any]) -> list[Task]:
        source = bucket_from_arn(generator.get("SourceBucket"))
        bucket = find_bucket(source)
        if bucket is None:
            raise JobFailure("SrcBucketNotFound", f"The source bucket {source} does not exist.")
        owner = bucket_owner(source)
        expected = generator.get("ExpectedBucketOwner")
        if expected and expected != owner:
            raise JobFailure(
                "ExpectedBucketOwnerMismatch", f"The source bucket {source} is not owned by account {expected}."
            )
        if bucket.region_name != job.region:
            raise JobFailure(
                "SrcBucketInvalidRegion",
                f"The source bucket {source} is in {bucket.region_name}; create the job in that region "
                f"(this job is in {job.region}).",
            )
        configuration = getattr(self.engine, "configuration", None)  # the engine keeps the config as put
        config = configuration(source) if callable(configuration) else getattr(bucket, "replication", None)
        if not config:
            raise JobFailure(
                "SrcBucketReplicationConfigMissing",
                f"The source bucket {source} has no replication configuration.",
            )
        tasks = manifests.generate(self.engine, source, generator.get("Filter") or {})
        if not tasks:
            raise JobFailure("ManifestGenerationNoKeysFound", manifests.NO_KEYS_REASON)
        if generator.get("EnableManifestOutput"):
            self._write_generated_manifest(job, generator, source, tasks)
        return tasks

    def _write_generated_manifest(
        self, job: Job, generator: dict[str, Any], source: str, tasks: list[Task]
    ) -> None:
        location = generator.get("ManifestOutputLocation") or {}
        bucket = bucket_from_arn(location.get("Bucket"))
        owner = bucket_owner(bucket)
        prefix = (location.get("ManifestPrefix") or "").strip("/")
        base = f"{prefix}/job-{job.job_id}" if prefix else f"job-{job.job_id}"
        expected = location.get("ExpectedManifestBucketOwner")
        if (
            owner is None
            or (expected and expected != owner)
            or not self.permitted(job.role_arn, "s3:PutObject", bucket, f"{base}/manifest.json")
        ):
            raise JobFailure(
                "ManifestNotWritable",
                "The generated manifest could not be written to your manifest bucket. Please check your permissions.",
            )
        data = manifests.manifest_csv(tasks)
        data_key = f"{base}/data/{hashlib.sha1(data).hexdigest()}.csv"
        manifests.put_object(bucket, data_key, data)
        document = {
            "sourceBucket": source,
            "destinationBucket": f"arn:aws:s3:::{bucket}",
            "version": "2021-11-30",
            "creationTimestamp": str(int(time.time() * 1000)),
            "fileFormat": "CSV",
            "fileSchema": "Bucket, Key, VersionId",
            "files": [{"key": data_key, "size": len(data), "MD5checksum": hashlib.md5(data).hexdigest()}],
        }
        stored = manifests.put_object(bucket, f"{base}/manifest.json", json.dumps(document, indent=2).encode())
        with self._lock:
            job.generated_manifest = {
                "Format": "S3InventoryReport_CSV_20211130",
                "Location": {
                    "ObjectArn": f"arn:aws:s3:::{bucket}/{base}/manifest.json",
                    "ObjectVersionId": stored.version_id if stored.version_id != "null" else None,
                    "ETag": stored.etag.strip('"'),
                },
            }
            if job.generated_manifest["Location"]["ObjectVersionId"] is None:
                del job.generated_manifest["Location"]["ObjectVersionId"]

    def _read_manifest(self, job: Job) -> list[Task]:
        manifest = job.request["Manifest"]
        location = manifest.get("Location") or {}
        bucket, key = manifests.object_from_arn(location.get("ObjectArn", ""))
        owner = bucket_owner(bucket)
        version_id = location.get("ObjectVersionId")
        forbidden = JobFailure("ManifestNotReadable", manifests.MANIFEST_FORBIDDEN_REASON)
        if owner is None:
            raise forbidden
        if not self.permitted(job.role_arn, "s3:GetObject", bucket, key):
            raise forbidden
        if version_id and not self.permitted(job.role_arn, "s3:GetObjectVersion", bucket, key):
            raise forbidden
        stored = s3_backend(owner).get_object(bucket, key, version_id)
        if stored is None or is_delete_marker(stored):
            raise forbidden
        expected_etag = (location.get("ETag") or "").strip('"')
        if expected_etag != stored.etag.strip('"'):
            raise JobFailure(
                "ManifestETagMismatch",
                f"The manifest object's ETag {stored.etag.strip(chr(34))} does not match the ETag {expected_etag} "
                "given in the job.",
            )
        return manifests.read_csv_manifest(stored.value, list(manifest["Spec"]["Fields"]))

    # ------------------------------------------------------------------ permissions

    def permitted(self, role_arn: str, action: str, bucket: str, key: str | None = None) -> bool:
        """Would ``role_arn`` be allowed ``action`` on the bucket (or object)? Identity policy
        plus bucket policy, with cross-account rules (both must allow)."""
        match = _ROLE_ARN.match(role_arn)
        role_account = match.group(1) if match else ""
        resource = f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")
        context = {"aws:SecureTransport": True, "aws:PrincipalAccount": role_account, "aws:PrincipalArn": role_arn}
        identity = bool(iam_eval.role_allows(role_account, role_arn, action, resource, context))
        stored = find_bucket(bucket)
        decision = "none"
        if stored is not None and stored.policy:
            policy = stored.policy.decode() if isinstance(stored.policy, bytes) else str(stored.policy)
            decision = iam_eval.resource_policy_decision(policy, role_arn, action, resource, context)
        if decision == "deny":
            return False
        if bucket_owner(bucket) == role_account:
            return identity or decision == "allow"
        return identity and decision == "allow"

    # ------------------------------------------------------------------ active

    def _run_tasks(self, job: Job, *, may_finish: bool = True) -> None:
        with self._lock:
            if job.status != "Active":
                return
            due = int(job.elapsed_active() * self.task_rate) + 1 - job.next_task
            batch = job.tasks[job.next_task : job.next_task + max(0, min(due, 1000))]
        for task in batch:
            result = self._run_task(job, task)
            with self._lock:
                job.next_task += 1
                job.results.append(result)
                if result.succeeded:
                    job.succeeded += 1
                else:
                    job.failed += 1
                ran = job.succeeded + job.failed
                if (
                    ran >= self.failure_threshold_min_tasks
                    and job.failed / ran > _FAILURE_RATE_LIMIT
                    and job.status == "Active"
                ):
                    self._fail(
                        job,
                        "TaskFailureThresholdExceeded",
                        f"Job failed: more than 50% of tasks failed after {ran} tasks ran.",
                    )
                if job.status != "Active":  # cancelled or failed meanwhile
                    return
        with self._lock:
            if job.status == "Active" and job.next_task >= len(job.tasks) and may_finish:
                self._stop_clock(job)
                job.status = "Completing"
                self._wake.set()

    def _run_task(self, job: Job, task: Task) -> TaskResult:
        if task.missing_version:
            return TaskResult(task, False, 400, "InvalidRequest", "Task failed due to missing VersionId")
        owner = bucket_owner(task.bucket)
        if owner is None:
            return TaskResult(task, False, 400, "SrcBucketNotFound", f"The bucket {task.bucket} does not exist.")
        version_id = task.version_id
        if version_id is None:
            current = s3_backend(owner).get_object(task.bucket, task.key)
            if current is None:
                return TaskResult(task, False, 404, "NoSuchKey", "The specified key does not exist.")
            version_id = current.version_id
            task = Task(task.bucket, task.key, version_id)
        if not self.permitted(job.role_arn, "s3:InitiateReplication", task.bucket, task.key):
            return TaskResult(
                task,
                False,
                400,
                "InitiateReplicationNotPermitted",
                f"The role {job.role_arn} is not allowed s3:InitiateReplication on this object.",
            )
        try:
            code = self.engine.replicate_now(task.bucket, task.key, version_id, via_batch=True)
        except Exception:
            log.exception("replicate_now failed on %s/%s?versionId=%s", task.bucket, task.key, version_id)
            return TaskResult(task, False, 500, "InternalError", "The sandbox failed to replicate this object.")
        if code:
            return TaskResult(task, False, 400, code, f"Replication of this object failed: {code}")
        return TaskResult(task, True, 200, "", "Successful")

    # ------------------------------------------------------------------ finishing

    def _finish(self, job: Job) -> None:
        with self._lock:
            status = job.status
            self._stop_clock(job)
            results = list(job.results)
            report = job.request.get("Report") or {}
        if results and report.get("Enabled"):
            try:
                job_keys = write_report(
                    bucket_from_arn(report.get("Bucket")),
                    report.get("Prefix"),
                    job.job_id,
                    results,
                    failed_only=report.get("ReportScope") == "FailedTasksOnly",
                )
            except Exception:
                log.exception("could not write the report of job %s", job.job_id)
                job_keys = []
                if status == "Completing":
                    with self._lock:
                        job.failure_reasons.append({"FailureCode": "ReportNotWritable", "FailureReason": REPORT_NOT_WRITABLE})
                        status = job.status = "Failing"
        else:
            job_keys = []
        final = {"Completing": "Complete", "Cancelling": "Cancelled", "Failing": "Failed"}[status]
        with self._lock:
            job.report_keys = job_keys
            job.status = final
            job.termination_date = _now()

    # ------------------------------------------------------------------ introspection (sandbox UI, tests)

    def jobs(self) -> list[dict[str, Any]]:
        """A snapshot of every job (account, region, id, status, counts, report keys)."""
        with self._lock:
            return [
                {
                    "AccountId": job.account_id,
                    "Region": job.region,
                    "JobId": job.job_id,
                    "Status": job.status,
                    "ProgressSummary": job.progress(),
                    "ReportKeys": list(job.report_keys),
                }
                for job in self._jobs.values()
            ]
