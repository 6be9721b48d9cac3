"""apply's Batch Replication job step: one job, and one request token, per intended backfill.

A mixin of apply's executor (it uses the executor's ``side``, ``call``, ``write``,
``emit``, ``journal`` and ``backfill_again``). ``create_job`` is sent only when
``list_jobs`` shows no running job with the plan's description and this plan's
journal has no job of its own still running. The request token names one
intended job (``core.batch_job``): an interrupted request (journaled, no "done")
is sent again with its own token, so S3 answers with the job it made then, if it
did; once our job ended, a re-run says so (status and counts) and makes no new
job, unless that job was undone or ``backfill_again`` asks, when a fresh backfill
of the objects still NONE or FAILED gets the next generation's token. A changed
plan request is a new job anyway. A job id S3 answers with that the journal
already knows is never called "created".
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..core.batch_job import fresh_backfill_request
from ..core.models import Step
from .backoff import ABSENT
from .errors import error_code
from .journal import Journal

RUNNING_JOB_STATUSES = ("Active", "Ready", "Preparing", "New", "Suspended", "Paused", "Completing")
TERMINAL_JOB_STATUSES = ("Complete", "Cancelled", "Failed")

JobOutcome = tuple[Any, str, "str | None"]  # ("done" | "no-op", message, job id)


def _role_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _text(exc: ClientError) -> str:
    return str(((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message") or "")


class JobStep:
    """The create_job step; the attributes below are the executor's."""

    journal: Journal
    backfill_again: bool
    side: Any
    call: Any
    write: Any
    emit: Any
    region_of: Any

    def _running_job(self, side: Any, s3c: Any, request: dict[str, Any]) -> dict[str, Any] | None:
        account = request["AccountId"]
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"AccountId": account, "JobStatuses": list(RUNNING_JOB_STATUSES), "MaxResults": 1000}
            if token:
                kwargs["NextToken"] = token
            page = self.call(side, "s3control.list_jobs", lambda kwargs=kwargs: s3c.list_jobs(**kwargs))
            for job in page.get("Jobs") or []:
                if job.get("Description") == request.get("Description") and job.get("Operation", "S3ReplicateObject") == "S3ReplicateObject":
                    return job
            token = page.get("NextToken")
            if not token:
                return None

    def _our_job_writes(self, request: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
        """This plan's journaled create_job writes for the job (same description), oldest first; and the read."""
        read = self.journal.read()
        writes = [e for e in read.writes() if e.get("call") == "s3control.create_job"
                  and (e.get("after") or {}).get("Description") == request.get("Description")]
        return writes, read

    @staticmethod
    def _ended(job_id: str, job: dict[str, Any] | None) -> str:
        if job is None:
            return f"Batch Replication job {job_id} no longer exists (S3 forgets jobs 90 days after they end)"
        summary = job.get("ProgressSummary") or {}
        return (f"Batch Replication job {job_id} ended ({job.get('Status')}: {summary.get('NumberOfTasksSucceeded', 0)} "
                f"succeeded, {summary.get('NumberOfTasksFailed', 0)} failed of {summary.get('TotalNumberOfTasks', 0)})")

    def job_step(self, step: Step) -> JobOutcome:
        side = self.side(step.account)
        request = step.request
        region = self.region_of("source")
        s3c = side.clients("s3control", region)
        running = self._running_job(side, s3c, request)
        if running is not None:
            return ("no-op", f"a Batch Replication job with the same description is already {running.get('Status')}: "
                    f"{running['JobId']}", running["JobId"])
        # One token per intended job: an interrupted request is sent again with its own token (S3 answers
        # with that job if it was made); after our job ended, a new backfill needs a new token.
        writes, read = self._our_job_writes(request)
        known = {((d.get("result") or {}).get("JobId")) for d in read.done().values()} - {None}
        send, note, made = request, "", "created"
        if writes:
            last = writes[-1]
            job_id = ((read.done().get(last["id"]) or {}).get("result") or {}).get("JobId")
            if not job_id:
                if isinstance(last.get("after"), dict) and last["after"].get("ClientRequestToken"):
                    send = last["after"]
                made = "in place"
                note = " (an interrupted run's request sent again with its token: the job S3 made then, if it did)"
            else:
                answer = self.call(
                    side, f"s3control.describe_job {job_id}",
                    lambda: s3c.describe_job(AccountId=request["AccountId"], JobId=job_id),
                    absent=("NotFoundException", "NoSuchJob"),
                )
                job = None if answer is ABSENT else answer["Job"]
                if job is not None and job.get("Status") not in TERMINAL_JOB_STATUSES:
                    return "no-op", f"this plan's Batch Replication job {job_id} is {job.get('Status')}", job_id
                ended = self._ended(job_id, job)
                tokens = {(e.get("after") or {}).get("ClientRequestToken") for e in writes}
                if request.get("ClientRequestToken") not in tokens:  # the plan's request changed: a new job anyway
                    self.emit("info", f"{ended}; the plan's job request changed since: starting it")
                elif last["id"] not in read.undone() and not self.backfill_again:
                    return ("no-op", f"this plan's {ended.replace(' ended (', ' already ended (', 1)}; to backfill "
                            "objects still NONE or FAILED run apply again with --backfill-again", job_id)
                else:
                    generation = len(tokens)
                    send = fresh_backfill_request(request, generation)
                    self.emit("info", f"{ended}: starting a fresh backfill of objects still NONE or FAILED")
                    note = f" (fresh backfill {generation} of objects still NONE or FAILED)"
        role = _role_of(send.get("RoleArn", ""))

        def role_rejected(exc: ClientError) -> str | None:
            code = error_code(exc)
            if code in ("AccessDenied", "AccessDeniedException", "BadRequest", "BadRequestException") and "role" in _text(exc).lower():
                return f"waiting for IAM to propagate role {role}"
            return None

        response = self.write(
            side, step, call=step.call, target=f"job {send.get('Description')}", region=region,
            before=None, after=send, send=lambda: s3c.create_job(**send), retry=role_rejected,
        )
        if response["JobId"] in known:  # never call an old job "created"
            return ("done", f"S3 answered with this plan's earlier Batch Replication job {response['JobId']} "
                    "(same request token): no new job", response["JobId"])
        return "done", f"Batch Replication job {response['JobId']} {made}{note}", response["JobId"]
