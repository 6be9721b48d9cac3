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
import json
import uuid
from typing import Any

from werkzeug.wrappers import Response

from s3xrep_tui.sandbox.batch_inventory_manifest import INVENTORY_MANIFEST_FORMAT
from s3xrep_tui.sandbox.batch_model import _ROLE_ARN, ALL_STATUSES, CANCELLABLE, TERMINAL, Job, _now
from s3xrep_tui.sandbox.batch_protocol import S3ControlError, error_response, parse_body, respond, route
from s3xrep_tui.sandbox.batch_tasks import JobRunner
from s3xrep_tui.sandbox.server import Call, Forward

__all__ = ["ALL_STATUSES", "CANCELLABLE", "TERMINAL", "BatchOperations", "Job"]


class BatchOperations(JobRunner):
    """Sandbox middleware answering the s3control Batch Operations job routes.

    ``engine`` is the sandbox's ReplicationEngine (``status``, ``matching_rule``,
    ``replicate_now``). ``task_rate`` is tasks per second per Active job.
    ``failure_threshold_min_tasks`` is how many tasks must have run before the
    >50 % failure rule can fail a job (AWS: 1,000). ``dwell`` is the least time
    in New, Preparing, Ready and Active (0: as fast as the work). Permissions are judged by :mod:`iam_eval`, as the
    replication engine judges them.
    """

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
            if spec.get("Format") not in ("S3BatchOperations_CSV_20180820", INVENTORY_MANIFEST_FORMAT):
                raise S3ControlError(
                    "BadRequestException",
                    f"The sandbox reads only S3BatchOperations_CSV_20180820 and {INVENTORY_MANIFEST_FORMAT} "
                    f"manifests, not {spec.get('Format')}.",
                )
            if spec.get("Format") == "S3BatchOperations_CSV_20180820" and not spec.get("Fields"):
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
