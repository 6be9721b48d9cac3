"""S3 Batch Operations jobs (``s3control``): list, describe, confirm, cancel, re-prioritise.

Everything here is synchronous and returns frozen dataclasses: two snapshots of
the same job compare equal when nothing changed, so a poller (the monitor
screen) can update a row only when ``old != new`` and a cell only when that
field differs. Rates and ETAs are computed from AWS's own counters (tasks done
over ``ElapsedTimeInActiveSeconds``), not from wall-clock time between polls,
so they need no history and survive a restart.

Jobs are regional: they live in the account and region of the ``s3control``
client that created them (the source bucket's region). Every failure is an
:class:`AwsError` with a fix.

AWS: S3 User Guide, "Tracking job status and completion reports"; S3 Control API Reference,
DescribeJob, ListJobs, UpdateJobStatus and UpdateJobPriority.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ..core.failure_codes import TERMINAL, job_failure_fix, job_failure_meaning
from ..core.names import bucket_from_arn
from .backoff import Backoff, GaveUp, send_with_backoff
from .clients import Clients
from .errors import ACCESS_DENIED_CODES, AwsError, error_code, explain
from .identity import caller_identity, profile_of

__all__ = [
    "NOT_FOUND_CODES",
    "UNFINISHED_STATUSES",
    "FailureReason",
    "JobDetail",
    "JobSummary",
    "Progress",
    "ReportLocation",
    "StatusChange",
    "account_of",
    "cancel_job",
    "confirm_job",
    "describe_job",
    "list_jobs",
    "set_priority",
]

NOT_FOUND_CODES = frozenset({"NotFoundException", "NoSuchJob", "NoSuchJobException"})
# list_jobs' filter for "still running or waiting"
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-list-jobs.html)
UNFINISHED_STATUSES: tuple[str, ...] = (
    "New", "Preparing", "Suspended", "Ready", "Active", "Pausing", "Paused", "Completing", "Cancelling", "Failing",
)
REPLICATE_OPERATION = "S3ReplicateObject"

_PERMISSIONS = {
    "ListJobs": "s3:ListJobs",
    "DescribeJob": "s3:DescribeJob",
    "UpdateJobStatus": "s3:UpdateJobStatus",
    "UpdateJobPriority": "s3:UpdateJobPriority",
}
_RETENTION = "jobs disappear 90 days after they end"
_REGION_FIX = "describe from the source bucket's region (jobs are regional: pass --region) with the source account's credentials"


# ---------------------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Progress:
    """``ProgressSummary``: task counters and the seconds the job has spent Active."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    elapsed_active: int = 0  # Timers.ElapsedTimeInActiveSeconds

    @property
    def done(self) -> int:
        return self.succeeded + self.failed

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.done)

    @property
    def fraction(self) -> float | None:
        """Share of tasks attempted, 0..1 (None while the total is unknown, i.e. before Preparing ends)."""
        return min(1.0, self.done / self.total) if self.total else None

    @property
    def rate(self) -> float | None:
        """Tasks per second while Active (None until the job has run a task for a second)."""
        if self.elapsed_active <= 0 or self.done <= 0:
            return None
        return self.done / self.elapsed_active

    @property
    def eta_seconds(self) -> float | None:
        """Seconds of Active time left at the current rate (None when unknown)."""
        rate = self.rate
        if rate is None or not self.total:
            return None
        return self.remaining / rate

    @staticmethod
    def from_api(summary: dict[str, Any] | None) -> Progress:
        summary = summary or {}
        timers = summary.get("Timers") or {}
        return Progress(
            total=int(summary.get("TotalNumberOfTasks") or 0),
            succeeded=int(summary.get("NumberOfTasksSucceeded") or 0),
            failed=int(summary.get("NumberOfTasksFailed") or 0),
            elapsed_active=int(timers.get("ElapsedTimeInActiveSeconds") or 0),
        )


@dataclass(frozen=True)
class FailureReason:
    """One of describe_job's ``FailureReasons`` (job-level), with what it means and the fix."""

    code: str
    reason: str
    meaning: str
    fix: str

    @staticmethod
    def from_api(item: dict[str, Any]) -> FailureReason:
        code, reason = str(item.get("FailureCode") or ""), str(item.get("FailureReason") or "")
        return FailureReason(code, reason, job_failure_meaning(code, reason), job_failure_fix(code, reason))


@dataclass(frozen=True)
class ReportLocation:
    """Where the job writes its completion report (``Report`` of the job request)."""

    enabled: bool
    bucket: str | None = None  # bucket *name*
    prefix: str = ""
    scope: str = "AllTasks"  # AllTasks | FailedTasksOnly
    format: str = "Report_CSV_20180820"
    expected_owner: str | None = None

    @property
    def failed_only(self) -> bool:
        return self.scope == "FailedTasksOnly"

    def job_prefix(self, job_id: str) -> str:
        prefix = (self.prefix or "").strip("/")
        return f"{prefix}/job-{job_id}" if prefix else f"job-{job_id}"

    def manifest_key(self, job_id: str) -> str:
        """``<Prefix>/job-<JobId>/manifest.json`` (AWS: batch-ops-examples-reports)."""
        return f"{self.job_prefix(job_id)}/manifest.json"

    @staticmethod
    def from_api(report: dict[str, Any] | None) -> ReportLocation | None:
        if not report:
            return None
        return ReportLocation(
            enabled=bool(report.get("Enabled")),
            bucket=bucket_from_arn(report["Bucket"]) if report.get("Bucket") else None,
            prefix=str(report.get("Prefix") or ""),
            scope=str(report.get("ReportScope") or "AllTasks"),
            format=str(report.get("Format") or "Report_CSV_20180820"),
            expected_owner=report.get("ExpectedBucketOwner"),
        )


@dataclass(frozen=True)
class JobSummary:
    """One row of ``list_jobs`` (also the head of a :class:`JobDetail`)."""

    job_id: str
    status: str
    account_id: str = ""
    region: str = ""
    description: str = ""
    operation: str = ""
    priority: int = 0
    created: datetime | None = None
    terminated: datetime | None = None
    progress: Progress = field(default_factory=Progress)

    @property
    def key(self) -> tuple[str, str, str]:
        """(account, region, job id): what identifies a job across polls and restarts."""
        return (self.account_id, self.region, self.job_id)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def succeeded(self) -> bool:
        """AWS's success test: Complete *and* no task failed (Complete only means every task was attempted)."""
        return self.status == "Complete" and self.progress.failed == 0

    @property
    def has_failures(self) -> bool:
        return self.status == "Failed" or self.progress.failed > 0

    @property
    def rate(self) -> float | None:
        return self.progress.rate

    @property
    def eta_seconds(self) -> float | None:
        """None for jobs that are not running (terminal, waiting, paused before any task)."""
        if self.terminal or self.status in ("Suspended", "New", "Preparing"):
            return None
        return self.progress.eta_seconds

    @property
    def outcome(self) -> str:
        """One word or two for people: what the status means for the migration."""
        if self.status == "Complete":
            return "succeeded" if self.progress.failed == 0 else "completed with failures"
        return {
            "Failed": "failed",
            "Cancelled": "cancelled",
            "Suspended": "awaiting confirmation",
            "Paused": "paused",
            "Pausing": "pausing",
            "New": "starting",
            "Preparing": "preparing",
            "Ready": "ready",
            "Active": "running",
            "Completing": "completing",
            "Cancelling": "cancelling",
            "Failing": "failing",
        }.get(self.status, self.status.lower())

    def elapsed(self, now: datetime | None = None) -> float | None:
        """Wall-clock seconds since creation (until termination for ended jobs)."""
        if self.created is None:
            return None
        end = self.terminated or now or datetime.now(UTC)
        return max(0.0, (end - self.created).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, with the derived rate, ETA and outcome."""
        data = _jsonable(asdict(self))
        data["progress"].update(
            done=self.progress.done,
            remaining=self.progress.remaining,
            fraction=self.progress.fraction,
            rate=self.rate,
        )
        data.update(terminal=self.terminal, outcome=self.outcome, eta_seconds=self.eta_seconds,
                    elapsed_seconds=self.elapsed())
        return data

    @staticmethod
    def from_api(job: dict[str, Any], account_id: str = "", region: str = "") -> JobSummary:
        return JobSummary(**_summary_fields(job, account_id, region))


@dataclass(frozen=True)
class JobDetail(JobSummary):
    """``describe_job``: the summary plus reasons, failure reasons with fixes, role, report, manifest."""

    arn: str = ""
    status_reason: str = ""
    failure_reasons: tuple[FailureReason, ...] = ()
    confirmation_required: bool = False
    role_arn: str = ""
    report: ReportLocation | None = None
    suspended_date: datetime | None = None
    suspended_cause: str = ""
    manifest: str = ""  # where the object list comes from, for people
    generated_manifest: str = ""  # ObjectArn of the generated manifest.json, when one was kept

    @property
    def summary(self) -> JobSummary:
        return JobSummary(**{f: getattr(self, f) for f in JobSummary.__dataclass_fields__})

    @staticmethod
    def from_api(job: dict[str, Any], account_id: str = "", region: str = "") -> JobDetail:
        generated = ((job.get("GeneratedManifestDescriptor") or {}).get("Location") or {}).get("ObjectArn") or ""
        return JobDetail(
            **_summary_fields(job, account_id, region),
            arn=str(job.get("JobArn") or ""),
            status_reason=str(job.get("StatusUpdateReason") or ""),
            failure_reasons=tuple(FailureReason.from_api(f) for f in job.get("FailureReasons") or ()),
            confirmation_required=bool(job.get("ConfirmationRequired")),
            role_arn=str(job.get("RoleArn") or ""),
            report=ReportLocation.from_api(job.get("Report")),
            suspended_date=job.get("SuspendedDate"),
            suspended_cause=str(job.get("SuspendedCause") or ""),
            manifest=_manifest_text(job),
            generated_manifest=str(generated),
        )


@dataclass(frozen=True)
class StatusChange:
    """What ``update_job_status`` answered."""

    job_id: str
    status: str
    reason: str = ""


def _summary_fields(job: dict[str, Any], account_id: str, region: str) -> dict[str, Any]:
    operation = job.get("Operation")
    if isinstance(operation, dict):  # describe_job gives the request's structure, list_jobs a name
        operation = next(iter(operation), "")
    return {
        "job_id": str(job.get("JobId") or ""),
        "status": str(job.get("Status") or ""),
        "account_id": account_id,
        "region": region,
        "description": str(job.get("Description") or ""),
        "operation": str(operation or ""),
        "priority": int(job.get("Priority") or 0),
        "created": job.get("CreationTime"),
        "terminated": job.get("TerminationDate"),
        "progress": Progress.from_api(job.get("ProgressSummary")),
    }


def _manifest_text(job: dict[str, Any]) -> str:
    generator = (job.get("ManifestGenerator") or {}).get("S3JobManifestGenerator")
    if generator:
        return f"generated from bucket {bucket_from_arn(generator.get('SourceBucket'))}"
    location = (job.get("Manifest") or {}).get("Location") or {}
    return str(location.get("ObjectArn") or "")


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------- errors


def _region(clients: Clients, region: str | None) -> str:
    return region or clients.default_region or "us-east-1"


def _error(exc: BaseException, clients: Clients, operation: str, account_id: str, region: str,
           job_id: str | None = None, action: str = "") -> AwsError:
    """An AwsError for a failed s3control job call, with the fix that fits it."""
    if isinstance(exc, AwsError):
        return exc
    code = error_code(exc)
    where = f"job {job_id}" if job_id else "Batch Operations jobs"
    place = f"account {account_id}, region {region}"
    response = getattr(exc, "response", None) or {}
    message = str((response.get("Error") or {}).get("Message") or "")

    def make(text: str, fix: str, code_: str) -> AwsError:
        error = AwsError(text, fix, code_)
        error.__cause__ = exc
        return error

    if code in NOT_FOUND_CODES:
        return make(
            f"s3control.{_snake(operation)}: {where} not found in {place}",
            f"check the job id; {_REGION_FIX}; {_RETENTION}",
            "NotFound",
        )
    if code == "JobStatusException":
        return make(
            f"cannot {action or 'change'} {where}: {message or 'illegal status transition'}",
            _TRANSITION_FIX.get(action, "check the job's status with 's3xrep jobs show JOB_ID' first"),
            code,
        )
    if code in ACCESS_DENIED_CODES:
        permission = _PERMISSIONS.get(operation, "the s3control permission")
        return make(
            f"access denied to s3control.{_snake(operation)} on {where} in {place} (needs {permission})",
            f"grant {permission} to this identity, and use the credentials of the account that owns the job "
            "(the source account)",
            "AccessDenied",
        )
    if code in ("TooManyRequestsException", "TooManyRequests", "SlowDown"):
        return make(
            f"s3control.{_snake(operation)} on {where} was throttled ({code})",
            "wait a little and retry; poll less often",
            code,
        )
    return explain(exc, profile=profile_of(clients), what=f"s3control.{_snake(operation)} on {where} in {place}")


_TRANSITION_FIX = {
    "confirm": "only a Suspended job (one awaiting confirmation) can be confirmed; "
    "this one is past that: see its status with 's3xrep jobs show JOB_ID'",
    "cancel": "only a job that has not ended can be cancelled (Complete, Failed and Cancelled are final, "
    "Completing/Failing/Cancelling are already ending)",
}


def _snake(operation: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")


# ---------------------------------------------------------------------------------------- calls


def account_of(clients: Clients) -> str:
    """The account id of ``clients`` (sts.get_caller_identity): s3control needs it on every call."""
    return caller_identity(clients).id


def list_jobs(
    clients: Clients,
    account_id: str,
    region: str | None = None,
    statuses: Iterable[str] | None = None,
    *,
    operation: str | None = None,
    page_size: int = 1000,
) -> list[JobSummary]:
    """Every job AWS keeps in this account and region (unfinished ones and those ended in the last 90 days).

    ``statuses`` filters server-side (``JobStatuses``); ``operation`` (e.g. ``"S3ReplicateObject"``)
    client-side. Follows ``NextToken`` (botocore has no paginator for ListJobs). Newest first.
    """
    region = _region(clients, region)
    s3control = clients("s3control", region)
    kwargs: dict[str, Any] = {"AccountId": account_id, "MaxResults": max(1, min(int(page_size), 1000))}
    if statuses:
        kwargs["JobStatuses"] = list(statuses)
    jobs: list[JobSummary] = []
    seen: set[str] = set()
    try:
        while True:
            page = s3control.list_jobs(**kwargs)
            for item in page.get("Jobs") or ():
                job = JobSummary.from_api(item, account_id, region)
                if job.job_id in seen or (operation and job.operation != operation):
                    continue
                seen.add(job.job_id)
                jobs.append(job)
            token = page.get("NextToken")
            if not token or token == kwargs.get("NextToken"):
                break
            kwargs["NextToken"] = token
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, clients, "ListJobs", account_id, region) from exc
    jobs.sort(key=lambda j: (j.created or datetime.min.replace(tzinfo=UTC), j.job_id), reverse=True)
    return jobs


def describe_job(
    clients: Clients,
    account_id: str,
    region: str | None,
    job_id: str,
    *,
    not_found_grace: float = 0.0,
) -> JobDetail:
    """One job in detail. ``not_found_grace``: seconds to keep retrying NotFoundException (a job
    created moments ago may not be registered yet, AWS: batch-ops-job-status); 0 answers at once."""
    region = _region(clients, region)
    s3control = clients("s3control", region)
    # the one bounded backoff (aws.backoff): waits of 0.05 s doubling to 1 s, for at most the grace
    backoff = Backoff(total=max(0.0, not_found_grace), first=0.05, max_delay=1.0)

    def not_registered(exc: ClientError) -> str | None:
        return "the job is not registered yet" if error_code(exc) in NOT_FOUND_CODES else None

    try:
        answer = send_with_backoff(lambda: s3control.describe_job(AccountId=account_id, JobId=job_id), backoff,
                                   reason=not_registered, on_wait=lambda *_: None, sleep=time.sleep)
    except GaveUp as gave_up:
        raise _error(gave_up.error, clients, "DescribeJob", account_id, region, job_id) from gave_up.error
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, clients, "DescribeJob", account_id, region, job_id) from exc
    return JobDetail.from_api(answer.get("Job") or {}, account_id, region)


def refuse_in_read_only(read_only: bool, what: str, where: str) -> None:
    """Read-only mode is enforced here, in the AWS layer, not only by the screens that hide the keys."""
    if read_only:
        raise AwsError(f"read-only mode: refusing to {what} ({where})",
                       "leave read-only mode to change jobs", "ReadOnly")


def _update_status(clients: Clients, account_id: str, region: str | None, job_id: str, requested: str,
                   reason: str | None, action: str, read_only: bool = False) -> StatusChange:
    refuse_in_read_only(read_only, f"{action} job {job_id}", f"account {account_id}")
    region = _region(clients, region)
    kwargs: dict[str, Any] = {"AccountId": account_id, "JobId": job_id, "RequestedJobStatus": requested}
    if reason:
        kwargs["StatusUpdateReason"] = reason[:256]
    try:
        answer = clients("s3control", region).update_job_status(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, clients, "UpdateJobStatus", account_id, region, job_id, action) from exc
    return StatusChange(str(answer.get("JobId") or job_id), str(answer.get("Status") or ""),
                        str(answer.get("StatusUpdateReason") or ""))


def confirm_job(clients: Clients, account_id: str, region: str | None, job_id: str,
                reason: str | None = "confirmed with s3xrep", *, read_only: bool = False) -> StatusChange:
    """Suspended -> Ready (a job created with ConfirmationRequired, or without the flag).
    ``read_only``: refused with AwsError ``ReadOnly`` before anything is sent."""
    return _update_status(clients, account_id, region, job_id, "Ready", reason, "confirm", read_only)


def cancel_job(clients: Clients, account_id: str, region: str | None, job_id: str,
               reason: str | None = "cancelled with s3xrep", *, read_only: bool = False) -> StatusChange:
    """Stop submitting new tasks (done tasks stay done); the job goes Cancelling -> Cancelled.
    ``read_only``: refused with AwsError ``ReadOnly`` before anything is sent."""
    return _update_status(clients, account_id, region, job_id, "Cancelled", reason, "cancel", read_only)


def set_priority(clients: Clients, account_id: str, region: str | None, job_id: str, priority: int,
                 *, read_only: bool = False) -> int:
    """Change the job's priority (0..2147483647, higher runs first); returns the priority AWS kept.
    ``read_only``: refused with AwsError ``ReadOnly`` before anything is sent."""
    refuse_in_read_only(read_only, f"re-prioritise job {job_id}", f"account {account_id}")
    region = _region(clients, region)
    if not 0 <= int(priority) <= 2147483647:
        raise AwsError(f"priority {priority} is out of range", "give a priority from 0 to 2147483647 (higher first)",
                       "InvalidPriority")
    try:
        answer = clients("s3control", region).update_job_priority(
            AccountId=account_id, JobId=job_id, Priority=int(priority))
    except (ClientError, BotoCoreError) as exc:
        raise _error(exc, clients, "UpdateJobPriority", account_id, region, job_id, "re-prioritise") from exc
    return int(answer.get("Priority", priority))
