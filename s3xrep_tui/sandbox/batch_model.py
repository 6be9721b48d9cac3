"""The sandbox's Batch Operations job model: a job's fields, AWS's job statuses, and its progress summary."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from s3xrep_tui.sandbox.batch_manifest import Task
from s3xrep_tui.sandbox.batch_report import TaskResult

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

