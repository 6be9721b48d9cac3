"""The monitor's AWS side: what it watches, every call it makes, and the jobs poll.

Its own module so that the monitor and the job detail screens (which open each
other) both import it, and neither imports the other to get it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..aws import job_memory, results
from ..aws.alarm_status import AlarmStatus, alarm_status, has_alarms
from ..aws.canary import CanaryProgress, CanaryResult, run_canary
from ..aws.completion_reports import ReportSummary, read_report_summary
from ..aws.errors import AwsError
from ..aws.jobs import (
    REPLICATE_OPERATION,
    UNFINISHED_STATUSES,
    JobDetail,
    JobSummary,
    cancel_job,
    confirm_job,
    describe_job,
    list_jobs,
    set_priority,
)
from ..aws.replication_status import (
    ReplicationHealth,
    SettledStatuses,
    replication_status,
)

if TYPE_CHECKING:
    from .app import S3xrepApp


@dataclass(frozen=True)
class MonitorContext:
    """What the monitor watches: the source account/region's jobs, the plan's buckets and rule."""

    account_id: str
    region: str | None
    plan_id: str | None = None
    source_bucket: str | None = None
    destination_bucket: str | None = None
    rule_id: str | None = None
    prefix: str = ""


class MonitorBackend:
    """Every AWS call the monitor and job detail screens make, with the app's clients.

    Methods run in thread workers. Tests and the screenshots pass a stand-in
    with the same methods.
    """

    metrics_window = 3 * 3600
    metrics_period = 300
    sample_size = 200
    _settled: SettledStatuses | None = None  # final statuses the replication samples have seen

    def __init__(self, app: S3xrepApp) -> None:
        self.app = app

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.app, "read_only", False))

    def context(self) -> MonitorContext:
        app = self.app
        source = app.source
        if source is None or not source.account_id:
            raise AwsError("no resolved source identity: the jobs live in the source account",
                           "press Esc until the accounts screen and choose the source", "NoIdentity")
        plan = app.plan
        region = (plan.source.region if plan is not None else getattr(app, "resumed_region", None)) or (
            source.profile.region)
        destination = app.destination_bucket or (plan.destination.name if plan is not None else None)
        return MonitorContext(
            account_id=source.account_id,
            region=region,
            plan_id=plan.id if plan is not None else getattr(app, "resumed_plan_id", None),
            source_bucket=app.source_bucket or (plan.source.name if plan is not None else None),
            destination_bucket=destination,
            rule_id=app.options.rule_id_for(destination) if destination else None,
            prefix=app.options.prefix,
        )

    def _clients(self, side: str = "source") -> Any:
        return self.app.clients(side)

    def mine(self, context: MonitorContext) -> frozenset[str]:
        if not context.plan_id:
            return frozenset()
        return frozenset(job.job_id for job in job_memory.sync_from_journal(context.plan_id))

    def list_jobs(self, context: MonitorContext, statuses: tuple[str, ...] | None = None) -> list[JobSummary]:
        return list_jobs(self._clients(), context.account_id, context.region, statuses,
                         operation=REPLICATE_OPERATION)

    def describe(self, context: MonitorContext, job_id: str, grace: float = 0.0) -> JobDetail:
        return describe_job(self._clients(), context.account_id, context.region, job_id, not_found_grace=grace)

    def replication(self, context: MonitorContext) -> ReplicationHealth:
        if not (context.source_bucket and context.destination_bucket and context.rule_id):
            raise AwsError("no buckets chosen: nothing to sample", "choose the buckets (and plan) first", "NoBuckets")
        if self._settled is None:
            self._settled = SettledStatuses()
        return replication_status(self._clients(), context.source_bucket, context.destination_bucket,
                                  context.rule_id, region=context.region, prefix=context.prefix,
                                  sample_size=self.sample_size, window=self.metrics_window,
                                  period=self.metrics_period, settled=self._settled)

    def alarms(self, context: MonitorContext) -> AlarmStatus:
        """The plan's alarms (its journal names them) and the failure events in its inbox queue."""
        if not context.plan_id or not has_alarms(context.plan_id):  # nothing to ask AWS about
            return AlarmStatus()
        return alarm_status(self._clients(), context.plan_id, region=context.region)

    def forget_settled(self) -> None:
        """The next replication sample asks about every version again (``r``)."""
        self._settled = None

    def canary(self, context: MonitorContext, progress: Callable[[CanaryProgress], None],
               cancel: threading.Event) -> CanaryResult:
        if not (context.source_bucket and context.destination_bucket):
            raise AwsError("no buckets chosen: the canary needs both", "choose the buckets first", "NoBuckets")
        return run_canary(self._clients("source"), self._clients("destination"), context.source_bucket,
                          context.destination_bucket, prefix=context.prefix or None, progress=progress,
                          cancel=cancel, timeout=900.0, read_only=self.read_only)

    def write_report(self, context: MonitorContext) -> tuple[Path, str]:
        """The migration report of the context's plan as HTML in ``data_dir()/reports``: (path, status)."""
        from ..aws.migration_report import (
            default_report_path,
            gather_report,
            render,
            write_report_file,
        )

        plan_id = context.plan_id or results.find_plan_id(
            context.source_bucket or "", context.destination_bucket or "", source_account=context.account_id,
            rule_id=context.rule_id)
        if not plan_id:
            raise AwsError("no applied plan for these buckets: nothing to report on",
                           "apply the plan first (the report reads its journal)", "UnknownPlan")
        report = gather_report(plan_id, clients=self._clients())
        path = write_report_file(default_report_path(plan_id, "html"), render(report, "html"))
        return path, report.status

    def report(self, job: JobDetail) -> ReportSummary | None:
        return read_report_summary(self._clients(), job, region=job.region or None)

    def confirm(self, job: JobSummary) -> str:
        return confirm_job(self._clients(), job.account_id, job.region or None, job.job_id,
                           read_only=self.read_only).status

    def cancel(self, job: JobSummary) -> str:
        return cancel_job(self._clients(), job.account_id, job.region or None, job.job_id,
                          read_only=self.read_only).status

    def set_priority(self, job: JobSummary, priority: int) -> int:
        return set_priority(self._clients(), job.account_id, job.region or None, job.job_id, priority,
                            read_only=self.read_only)


class JobsSource:
    """The jobs poll: callable, stateful (what it has seen), terminal jobs never asked about twice."""

    def __init__(self, backend: MonitorBackend, context: MonitorContext, grace: float = 5.0) -> None:
        self.backend = backend
        self.context = context
        self.grace = grace
        self.known: dict[str, JobSummary] = {}
        self.full = True  # the next poll lists every job (first poll, or r)
        self.mine: frozenset[str] = frozenset()
        self.missing: set[str] = set()  # remembered ids no listing or describe shows (expired, other region)

    def __call__(self) -> tuple[JobSummary, ...]:
        context, backend = self.context, self.backend
        self.mine = backend.mine(context)
        if self.full:
            listed = backend.list_jobs(context)
            self.known.update({job.job_id: job for job in listed})
            self.full = False
        else:
            running = {job.job_id: job for job in backend.list_jobs(context, UNFINISHED_STATUSES)}
            for job_id, job in list(self.known.items()):
                if not job.terminal and job_id not in running:  # it ended since the last poll: once, in full
                    self.known[job_id] = backend.describe(context, job_id).summary
            self.known.update(running)
        for job_id in self.mine - self.known.keys() - self.missing:
            try:
                self.known[job_id] = backend.describe(context, job_id, self.grace).summary
            except AwsError as exc:
                if exc.code != "NotFound":
                    raise
                self.missing.add(job_id)
        return tuple(sorted(self.known.values(), key=lambda j: j.job_id))

    @staticmethod
    def all_ended(jobs: tuple[JobSummary, ...]) -> bool:
        return bool(jobs) and all(job.terminal for job in jobs)
