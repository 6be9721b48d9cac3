"""Undo's handlers for what a job left: a Batch Replication job cancelled, an object we uploaded deleted.

A mixin of :class:`.undo._Undoer` (it uses its ``call``, ``client``, ``read``,
``dry_run`` and ``clients``); kept apart so undo.py stays small.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .errors import error_code, explain
from .identity import profile_of
from .undo_records import Skip, UndoStatus

RUNNING_JOB_STATUSES = frozenset({"Active", "Ready", "Preparing", "New", "Suspended", "Paused", "Completing", "Pausing"})
# On their way to an end state by themselves: S3 refuses to cancel them (JobStatusException).
ENDING_JOB_STATUSES = frozenset({"Completing", "Cancelling", "Failing"})


class JobUndo:
    """``job`` and ``uploaded_object``, for a class that has ``call``, ``client``, ``read``, ``dry_run``."""

    read: Any
    dry_run: bool
    clients: Any

    def call(self, entry: dict[str, Any], what: str, send: Any, absent: tuple[str, ...] = ()) -> Any:
        raise NotImplementedError

    def client(self, entry: dict[str, Any], service: str) -> Any:
        raise NotImplementedError

    def _changed(self, what: str) -> Skip:
        raise NotImplementedError

    def job(self, entry: dict[str, Any], job_id: str | None) -> tuple[UndoStatus, str, str]:
        request = entry.get("after") or {}
        account = request.get("AccountId") or entry.get("account_id")
        s3c = self.client(entry, "s3control")
        if not job_id:  # crashed between create_job and its "done" line: look for it by description
            token: str | None = None
            while job_id is None:
                kwargs: dict[str, Any] = {"AccountId": account, "JobStatuses": sorted(RUNNING_JOB_STATUSES)}
                if token:
                    kwargs["NextToken"] = token
                page = self.call(entry, "s3control.list_jobs", lambda kwargs=kwargs: s3c.list_jobs(**kwargs))
                job_id = next((j["JobId"] for j in page.get("Jobs") or []
                               if j.get("Description") == request.get("Description")), None)
                token = page.get("NextToken")
                if not token:
                    break
            if not job_id:
                return "unchanged", "no running Batch Replication job of this plan found", ""
        answer = self.call(entry, f"s3control.describe_job {job_id}",
                           lambda: s3c.describe_job(AccountId=account, JobId=job_id), absent=("NotFoundException",))
        if answer is None:
            return "note", f"Batch Replication job {job_id} no longer exists", ""
        status = answer["Job"].get("Status")
        if status not in RUNNING_JOB_STATUSES or status in ENDING_JOB_STATUSES:
            return (
                "note",
                f"Batch Replication job {job_id} is already {status}: objects it replicated stay in the destination",
                "",
            )
        if self.dry_run:
            return "would-cancel", f"would cancel Batch Replication job {job_id} ({status})", ""
        try:
            s3c.update_job_status(AccountId=account, JobId=job_id, RequestedJobStatus="Cancelled",
                                  StatusUpdateReason="s3xrep undo")
        except ClientError as exc:
            if error_code(exc) != "JobStatusException":
                raise explain(exc, profile=profile_of(self.clients[entry["account"]]),
                              what=f"s3control.update_job_status {job_id}") from exc
            # it moved on meanwhile (finished, or already cancelling): say where it is now
            now = self.call(entry, f"s3control.describe_job {job_id}",
                            lambda: s3c.describe_job(AccountId=account, JobId=job_id))["Job"].get("Status")
            if now in RUNNING_JOB_STATUSES and now not in ENDING_JOB_STATUSES:
                raise explain(exc, profile=profile_of(self.clients[entry["account"]]),
                              what=f"s3control.update_job_status {job_id}") from exc
            return "note", f"Batch Replication job {job_id} is already {now}: objects it replicated stay", ""
        except BotoCoreError as exc:
            raise explain(exc, profile=profile_of(self.clients[entry["account"]]),
                          what=f"s3control.update_job_status {job_id}") from exc
        return (
            "cancelled",
            f"Batch Replication job {job_id} cancelled (it was {status}); objects already replicated stay",
            "",
        )


    def uploaded_object(self, entry: dict[str, Any]) -> tuple[UndoStatus, str, str]:
        """An object we uploaded (repair's manifest): delete exactly the version we wrote, if it is still ours."""
        after = entry.get("after") or {}
        bucket, key = after.get("Bucket"), after.get("Key")
        result = (self.read.done().get(entry["id"]) or {}).get("result") or {}
        version, etag = result.get("VersionId"), result.get("ETag")
        what = f"object s3://{bucket}/{key}"
        if not version and not etag:
            return "unchanged", f"{what}: the upload never finished (nothing recorded as written)", ""
        s3 = self.client(entry, "s3")
        which = {"VersionId": version} if version and version != "null" else {}
        head = self.call(entry, f"s3.head_object on {what}",
                         lambda: s3.head_object(Bucket=bucket, Key=key, **which),
                         absent=("404", "NoSuchKey", "NoSuchVersion", "NotFound"))
        if head is None:
            return "unchanged", f"{what} is already gone", ""
        if etag and head.get("ETag") != etag:
            raise self._changed(what)
        if self.dry_run:
            return "would-delete", f"would delete {what} (uploaded by s3xrep repair)", ""
        self.call(entry, f"s3.delete_object on {what}", lambda: s3.delete_object(Bucket=bucket, Key=key, **which))
        return "deleted", f"{what} deleted (uploaded by s3xrep repair)", ""
