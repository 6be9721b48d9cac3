"""The Monitor and Job detail screens on a stand-in backend: fixed jobs, a frozen clock.

Fifty jobs updated in place; a job ending raises a toast and the bell; SVG snapshots in a
deterministic state (fixed times, polling off). Update after an intended change:
``pytest tests/tui/test_monitor_fake.py --snapshot-update``.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from s3xrep_tui.aws.canary import CanaryCheck, CanaryProgress, CanaryResult
from s3xrep_tui.aws.completion_reports import FailureGroup, ReportSummary
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.jobs import (
    FailureReason,
    JobDetail,
    JobSummary,
    Progress,
    ReportLocation,
)
from s3xrep_tui.aws.replication_status import (
    MetricSeries,
    RuleMetrics,
    StatusSample,
    summarize,
)
from s3xrep_tui.core.failure_codes import fix_for, meaning_for
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.job_detail import JobDetailScreen
from s3xrep_tui.tui.screens.monitor import MonitorBackend, MonitorContext, MonitorScreen
from s3xrep_tui.tui.widgets.canary_panel import CanaryPanel
from s3xrep_tui.tui.widgets.jobs_table import JobsTable
from tests.tui.test_monitor_support import DESTINATION, SIZE, SOURCE, choice, until

A, B = "111111111111", "222222222222"
T0 = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
NOW = T0 + timedelta(minutes=42, seconds=17)
CONTEXT = MonitorContext(A, "us-east-1", "acme-legacy-media-to-acme-platform-media-0123abcd", SOURCE, DESTINATION,
                         f"s3xrep-to-{DESTINATION}")


def job(n: int, status: str, total: int, succeeded: int, failed: int = 0, active: int = 0, *, minutes: int = 0,
        ended: int | None = None, description: str = "", priority: int = 10) -> JobSummary:
    return JobSummary(
        job_id=f"{n:08d}-4f1c-4d2b-9a7e-5c3b2a1d0e9f", status=status, account_id=A, region="us-east-1",
        description=description or f"s3xrep: backfill part {n}", operation="S3ReplicateObject", priority=priority,
        created=T0 + timedelta(minutes=minutes), terminated=None if ended is None else T0 + timedelta(minutes=ended),
        progress=Progress(total, succeeded, failed, active),
    )


DEMO_JOBS = [
    job(1, "Active", 48_210, 31_904, 12, 1210, minutes=2, description="s3xrep: acme-legacy-media backfill"),
    job(2, "Complete", 3_250, 3_247, 3, 14, minutes=1, ended=2, description="s3xrep: retry FAILED objects"),
    job(3, "Suspended", 0, 0, 0, 0, minutes=40, description="s3xrep: awaiting confirmation", priority=20),
    job(4, "Cancelled", 1_200, 400, 0, 60, minutes=0, ended=1, description="nightly copy (not ours)"),
]
MINE = frozenset({DEMO_JOBS[0].job_id, DEMO_JOBS[1].job_id, DEMO_JOBS[2].job_id})


def series(name: str, stat: str, unit: str, values: list[float]) -> MetricSeries:
    stamps = tuple(T0 + timedelta(minutes=5 * i) for i in range(len(values)))
    return MetricSeries(name, stat, unit, stamps, tuple(values), tuple(values))


def health() -> Any:
    sample = StatusSample(SOURCE, "", 200, completed=171, pending=23, failed=0, absent=6, truncated=True)
    ramp = [0, 4, 9, 20, 41, 66, 80, 72, 60, 44, 31, 23]
    metrics = RuleMetrics(
        SOURCE, DESTINATION, CONTEXT.rule_id or "", "us-east-1", T0, NOW, 300,
        latency=series("ReplicationLatency", "Maximum", "Seconds", [3, 5, 8, 12, 15, 22, 30, 26, 18, 12, 9, 7]),
        bytes_pending=series("BytesPendingReplication", "Maximum", "Bytes", [v * 2.5e6 for v in ramp]),
        operations_pending=series("OperationsPendingReplication", "Maximum", "Count", [float(v) for v in ramp]),
        operations_failed=series("OperationsFailedReplication", "Sum", "Count", [0.0] * 12),
    )
    return summarize(sample, metrics)


class FakeBackend(MonitorBackend):
    """The monitor's AWS side, answered from memory; counts the calls."""

    def __init__(self, jobs: list[JobSummary], mine: frozenset[str] = frozenset(), read_only: bool = False) -> None:
        self.jobs = {j.job_id: j for j in jobs}
        self._mine = mine
        self._read_only = read_only
        self.calls: list[str] = []
        self.lock = threading.Lock()
        self.canary_gate = threading.Event()  # the canary waits for it (a test opens it)
        self.canary_gate.set()

    @property
    def read_only(self) -> bool:
        return self._read_only

    def context(self) -> MonitorContext:
        return CONTEXT

    def mine(self, context: MonitorContext) -> frozenset[str]:
        return self._mine

    def list_jobs(self, context: MonitorContext, statuses: tuple[str, ...] | None = None) -> list[JobSummary]:
        with self.lock:
            self.calls.append("list-unfinished" if statuses else "list")
            return [j for j in self.jobs.values() if not statuses or j.status in statuses]

    def describe(self, context: Any, job_id: str, grace: float = 0.0) -> JobDetail:
        with self.lock:
            self.calls.append("describe")
            summary = self.jobs[job_id]
        fields = {f.name: getattr(summary, f.name) for f in dataclasses.fields(JobSummary)}
        failures = (FailureReason("", "Reading the manifest is forbidden: AccessDenied",
                                  "the Batch role may not read the manifest", "grant s3:GetObject on the manifest"),
                    ) if summary.status == "Failed" else ()
        return JobDetail(**fields, arn=f"arn:aws:s3:us-east-1:{A}:job/{job_id}",
                         status_reason="" if summary.status != "Suspended" else "awaiting confirmation",
                         failure_reasons=failures, confirmation_required=summary.status == "Suspended",
                         role_arn=f"arn:aws:iam::{A}:role/s3xrep-batch-acme-legacy-media",
                         report=ReportLocation(True, "acme-legacy-batch-reports", "s3xrep/batch-reports"),
                         manifest=f"generated from bucket {SOURCE}")

    def replication(self, context: MonitorContext) -> Any:
        self.calls.append("replication")
        return health()

    def report(self, job: JobDetail) -> ReportSummary | None:
        code = "DstPutObjectNotPermitted"
        group = FailureGroup(code, 3, ("photos/denied-0.jpg", "photos/denied-1.jpg"), (403,),
                             "Access Denied", meaning_for(code), fix_for(code))
        return ReportSummary(job.progress.succeeded, job.progress.failed, (group,) if job.progress.failed else (),
                             location="s3://acme-legacy-batch-reports/s3xrep/batch-reports/job-x/manifest.json",
                             files=1)

    def canary(self, context: MonitorContext, progress: Callable[[CanaryProgress], None],
               cancel: threading.Event) -> CanaryResult:
        progress(CanaryProgress("put", 0.0))
        progress(CanaryProgress("waiting", 0.5, "PENDING"))
        self.canary_gate.wait(10)
        return CanaryResult("replicated", SOURCE, DESTINATION, key=".s3xrep-canary/x", version_id="v1",
                            rule_id=CONTEXT.rule_id, replication_status="COMPLETED", seconds_to_replicate=4.2,
                            seconds=5.0, checks=[CanaryCheck("replica", True), CanaryCheck("bytes", True)])

    def confirm(self, job: JobSummary) -> str:
        raise AwsError("not in this test", "", "Test")

    cancel = confirm


def prepared_app() -> S3xrepApp:
    app = S3xrepApp()
    return app


async def open_monitor(pilot: Any, backend: FakeBackend, *, bell: list[int] | None = None) -> MonitorScreen:
    app = pilot.app
    app.source = choice("s3xrep-demo-source", A)
    app.destination = choice("s3xrep-demo-destination", B)
    app.source_bucket, app.destination_bucket = SOURCE, DESTINATION
    if bell is not None:
        app.bell = lambda: bell.append(1)  # type: ignore[method-assign]
    screen = MonitorScreen(backend=backend, interval=None, clock=lambda: NOW)
    await app.push_screen(screen)
    await until(pilot, lambda: len(screen.query_one(JobsTable).jobs) == len(backend.jobs), what="the jobs")
    await until(pilot, lambda: screen.health is not None and screen.states.get("jobs") is not None
                and screen.states["jobs"].status in ("off", "done"), what="the first polls")
    await pilot.pause()
    return screen


async def test_fifty_jobs_are_updated_cell_by_cell(capfd: Any) -> None:
    jobs = [job(n, "Active", 10_000, 100 * n, 0, 10 + n, minutes=n % 30) for n in range(50)]
    backend = FakeBackend(jobs, mine=frozenset(j.job_id for j in jobs[:5]))
    bell: list[int] = []
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(pilot, backend, bell=bell)
        table = screen.query_one(JobsTable)
        assert table.row_count == 50
        rows_before = list(table.rows)
        updates = table.cell_updates
        # one job advances, one ends: only their changed cells are touched
        moving = dataclasses.replace(jobs[7], progress=Progress(10_000, 9_000, 0, 100))
        ended = dataclasses.replace(jobs[3], status="Complete", terminated=NOW,
                                    progress=Progress(10_000, 10_000, 0, 200))
        backend.jobs[moving.job_id], backend.jobs[ended.job_id] = moving, ended
        screen.pollers["jobs"].poll_now()  # what the timer does (r would list everything again)
        await until(pilot, lambda: table.jobs[ended.job_id].status == "Complete", what="the next poll")
        await pilot.pause()
        assert list(table.rows) == rows_before  # same rows, same order: nothing rebuilt
        assert 0 < table.cell_updates - updates <= 12
        assert any("succeeded" in text for text in screen.notifications) and bell == [1]
        # the ended job is described once, then never again; the other 49 come from the unfinished listing
        assert backend.calls.count("describe") == 1 and backend.calls.count("list-unfinished") == 1
        calls = len(backend.calls)
        screen.pollers["jobs"].poll_now()
        await until(pilot, lambda: "list-unfinished" in backend.calls[calls:], what="another poll")
        await pilot.pause()
        assert "describe" not in backend.calls[calls:]
    assert capfd.readouterr().err == ""


async def test_the_monitor_keeps_what_its_first_polls_loaded_out_of_full_collections() -> None:
    """The monitor holds ~200,000 long-lived objects (botocore's models): a full pass stalled a frame 0.15 s."""
    import gc

    from s3xrep_tui.tui import frozen_heap

    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(pilot, FakeBackend(DEMO_JOBS, MINE))
        assert frozen_heap.holders() == 1 and gc.get_freeze_count() > 0
        app.pop_screen()
        await until(pilot, lambda: not screen.is_attached, what="the monitor to leave")
        assert frozen_heap.holders() == 0 and gc.get_freeze_count() == 0


async def test_a_changed_cell_renders_that_cell_only() -> None:
    """The elapsed column ticks every second: only those cells are rendered again, not the whole table
    (DataTable.update_cell invalidates every cached cell; counted here as Rich renders of cells)."""
    from textual.app import App, ComposeResult

    now = [NOW]
    jobs = [job(n, "Active" if n < 3 else "Complete", 1000, 10 * n, minutes=n, ended=None if n < 3 else 40)
            for n in range(20)]

    class TableApp(App):
        def compose(self) -> ComposeResult:
            yield JobsTable(clock=lambda: now[0])

    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(JobsTable)
        table.show(jobs, frozenset())
        await pilot.pause()
        rendered: list[int] = []
        original = app.console.render_lines

        def counting(*args: Any, **kwargs: Any) -> Any:
            rendered.append(1)
            return original(*args, **kwargs)

        app.console.render_lines = counting  # type: ignore[method-assign]
        now[0] += timedelta(seconds=1)
        table.tick()  # the three running jobs' elapsed cells change
        await pilot.pause()
        assert 0 < len(rendered) <= 3 * 2, len(rendered)  # was every visible cell: 21 rows x 11 columns
        for job_id in (j.job_id for j in jobs[:3]):  # and the screen shows the new values
            y = table.header_height + table.get_row_index(job_id)
            shown = table.render_line(y).text
            assert cell_text(table, job_id, "elapsed") in shown, shown


def cell_text(table: JobsTable, job_id: str, column: str) -> str:
    from s3xrep_tui.tui.widgets.jobs_table import cell

    return cell(table.jobs[job_id], column, False, table.clock()).plain.strip()


async def test_the_canary_runs_on_one_key_with_its_timer_and_result() -> None:
    backend = FakeBackend(DEMO_JOBS[:1])
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(pilot, backend)
        panel = screen.query_one(CanaryPanel)
        screen.backend.canary_gate.clear()  # type: ignore[attr-defined]
        await pilot.press("k")
        assert panel.running
        await until(pilot, lambda: "waiting for replication" in str(panel.render()), what="the canary's phase")
        assert "running" in str(panel.render()) and "PENDING" in str(panel.render())
        await pilot.press("k")  # one at a time
        screen.backend.canary_gate.set()  # type: ignore[attr-defined]
        await until(pilot, lambda: panel.result is not None, what="the canary")
        assert not panel.running
        text = str(panel.render())
        assert "replicated in 4.2s" in text


async def snapshot_monitor(pilot: Any) -> None:
    await open_monitor(pilot, FakeBackend(DEMO_JOBS, MINE))
    screen = pilot.app.screen
    table = screen.query_one(JobsTable)
    table.move_cursor(row=0)
    await pilot.pause()


async def snapshot_job_detail(pilot: Any) -> None:
    backend = FakeBackend(DEMO_JOBS, MINE)
    await open_monitor(pilot, backend)
    screen = pilot.app.screen
    table = screen.query_one(JobsTable)
    table.move_cursor(row=table.get_row_index(DEMO_JOBS[1].job_id))
    await pilot.press("enter")
    detail = pilot.app.screen
    assert isinstance(detail, JobDetailScreen)
    await until(pilot, lambda: detail.report is not None and detail.poll_state is not None
                and detail.poll_state.status == "done", what="the detail and its report")
    await pilot.pause()


def test_monitor_screen_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(S3xrepApp(), terminal_size=SIZE, run_before=snapshot_monitor)


def test_job_detail_snapshot(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(S3xrepApp(), terminal_size=SIZE, run_before=snapshot_job_detail)
