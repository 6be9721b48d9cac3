"""One Batch job: status and its reason, failure reasons with fixes, the completion report by failure code.

A :class:`~s3xrep_tui.tui.poller.Poller` describes the job in a thread worker
until it ends; then the completion report is read once and summarised by
failure code, each with what it means and the fix. ``y`` confirms a job that
awaits confirmation, ``x`` cancels, ``p`` sets the priority: each asks first,
and all three are disabled in read-only mode (and when the job's status does
not allow them).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from ...aws.completion_reports import ReportSummary
from ...aws.errors import AwsError
from ...aws.jobs import JobDetail, JobSummary
from ...core.humanize import duration, rate_text
from ...core.text import safe
from ..monitor_backend import MonitorBackend
from ..poller import Poller, PollState, PollStateChanged
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from ..widgets.jobs_table import progress_bar

log = logging.getLogger(__name__)
_generations = itertools.count(1)

CANCELLABLE = frozenset({"New", "Preparing", "Suspended", "Ready", "Active", "Pausing", "Paused"})


class ConfirmAction(ModalScreen[bool]):
    """``y`` does it, ``n`` or Esc does not."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n", "answer(False)", "No"),
                Binding("escape", "answer(False)", "No", show=False)]
    DEFAULT_CSS = """
    ConfirmAction { align: center middle; }
    ConfirmAction > Vertical { width: 70; height: auto; border: round $warning; background: $surface; padding: 1 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text.assemble(self.question, "\n\n", ("y", "bold"), " yes   ", ("n", "bold"), " no"))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PriorityPrompt(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PriorityPrompt { align: center middle; }
    PriorityPrompt > Vertical { width: 60; height: auto; border: round $primary; background: $surface; padding: 1 2; }
    PriorityPrompt #priority-error { color: $error; height: auto; }
    """

    def __init__(self, current: int) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"New priority (0 to 2147483647, higher runs first; now {self.current}); Enter sets it")
            yield Input(str(self.current), type="integer", id="priority")
            yield Static(id="priority-error")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        try:
            value = int(event.value)
        except ValueError:
            value = -1
        if not 0 <= value <= 2147483647:
            self.query_one("#priority-error", Static).update("give a whole number from 0 to 2147483647")
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def head_text(job: JobSummary | JobDetail, now: datetime, mine: bool) -> Text:
    progress = job.progress
    text = Text()
    text.append(safe(job.description or job.job_id), style="bold")
    if mine:
        text.append("  ● created by this app", style="cyan")
    text.append(f"\njob {job.job_id} · account {job.account_id} · {job.region}\n")
    text.append("status ", style="bold")
    text.append(f"{job.status} ({job.outcome})")
    text.append("   ")
    text.append_text(progress_bar(job, 20))
    text.append("\ntasks ", style="bold")
    text.append(f"{progress.succeeded:,} succeeded · ")
    text.append(f"{progress.failed:,} failed", style="red" if progress.failed else "")
    text.append(f" · {progress.total:,} total" if progress.total else " · total not known yet")
    text.append(f"   rate {rate_text(job.rate)} · ETA {duration(job.eta_seconds)} · elapsed {duration(job.elapsed(now))}"
                f" · priority {job.priority}")
    if isinstance(job, JobDetail):
        if job.role_arn:
            text.append("\nrole ", style="bold")
            text.append(job.role_arn)
        if job.manifest:
            text.append("\nmanifest ", style="bold")
            text.append(safe(job.manifest))
        report = job.report
        if report is not None:
            text.append("\nreport ", style="bold")
            text.append(f"s3://{report.bucket}/{report.job_prefix(job.job_id)}/ ({report.scope})"
                        if report.enabled else "none requested (failures are counted, not listed)")
    return text


def reasons_text(job: JobDetail) -> Text:
    parts: list[Text] = []
    if job.status_reason:
        parts.append(Text.assemble(("status reason ", "bold"), safe(job.status_reason)))
    if job.suspended_cause:
        parts.append(Text.assemble(("suspended because ", "bold"), safe(job.suspended_cause)))
    if job.status == "Suspended":
        parts.append(Text("this job awaits confirmation: y confirms it (it then runs)", style="bold magenta"))
    for reason in job.failure_reasons:
        part = Text.assemble((f"✗ {reason.code or 'failure'}", "bold red"), f": {safe(reason.reason)}")
        if reason.meaning:
            part.append(f"\n  means: {reason.meaning}", style="dim")
        part.append("\n  fix: ", style="bold")
        part.append(reason.fix)
        parts.append(part)
    return Text("\n").join(parts) if parts else Text("no status reason", style="dim")


def report_text(summary: ReportSummary | None, error: AwsError | None, job: JobDetail | None) -> Text:
    if error is not None:
        return Text.assemble(("✗ the completion report cannot be read: ", "red"), error.message, "\n  ",
                             ("fix: ", "bold"), error.fix)
    if summary is None:
        if job is not None and not job.terminal:
            return Text("the completion report is written when the job ends", style="dim")
        if job is not None and (job.report is None or not job.report.enabled):
            return Text("this job writes no completion report", style="dim")
        return Text("no completion report found (yet)", style="dim")
    text = Text()
    text.append("completion report ", style="bold")
    text.append(f"{safe(summary.location)}\n", style="dim")
    scope = " (failed tasks only)" if summary.failed_only else ""
    text.append(f"{summary.succeeded:,} succeeded · {summary.failed:,} failed{scope}")
    if not summary.groups:
        text.append("\n✓ no failed task", style="green")
    for group in summary.groups:
        text.append(f"\n\n✗ {group.code or 'unknown'}", style="bold red")
        text.append(f" × {group.count:,}")
        if group.http_statuses:
            text.append(f" (HTTP {', '.join(str(s) for s in group.http_statuses)})", style="dim")
        if group.meaning:
            text.append(f"\n  means: {group.meaning}")
        text.append("\n  fix: ", style="bold")
        text.append(group.fix)
        if group.examples:
            text.append(f"\n  e.g. {safe(', '.join(group.examples[:3]))}", style="dim")
    for warning in summary.warnings:
        text.append(f"\n! {safe(warning)}", style="yellow")
    return text


class JobDetailScreen(Screen):
    class JobDetailPolled(Message):
        def __init__(self, generation: int, job: JobDetail) -> None:
            super().__init__()
            self.generation = generation
            self.job = job

    class ReportRead(Message):
        """The job's completion report summarised by failure code (``summary`` None: no report yet / none)."""

        def __init__(self, job_id: str, summary: ReportSummary | None, error: AwsError | None = None) -> None:
            super().__init__()
            self.job_id = job_id
            self.summary = summary
            self.error = error

    class JobActionDone(Message):
        """confirm / cancel / priority answered (``error`` when AWS refused)."""

        def __init__(self, job_id: str, action: str, message: str, error: AwsError | None = None) -> None:
            super().__init__()
            self.job_id = job_id
            self.action = action
            self.message = message
            self.error = error

    TITLE = "Job"

    BINDINGS = [
        Binding("y", "confirm_job", "Confirm job"),
        Binding("x", "cancel_job", "Cancel job"),
        Binding("p", "priority", "Priority"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "back", "Back", show=False),
    ]

    DEFAULT_CSS = """
    JobDetailScreen #job-head { height: auto; max-height: 50%; padding: 0 1; border: round $primary-darken-2; }
    JobDetailScreen #job-status { height: 1; padding: 0 1; background: $boost; }
    JobDetailScreen #job-reasons { height: auto; padding: 0 1; }
    JobDetailScreen #job-report-box { height: 1fr; min-height: 5; border: round $primary-darken-2; padding: 0 1; }
    """

    def __init__(self, job: JobSummary, *, backend: MonitorBackend, interval: float = 5.0,
                 clock: Callable[[], datetime] | None = None, mine: bool = False) -> None:
        super().__init__()
        self.job: JobSummary | JobDetail = job
        self.backend = backend
        self.interval = interval
        self.clock = clock or (lambda: datetime.now(UTC))
        self.mine = mine
        self.generation = 0
        self.poller: Poller[JobDetail] | None = None
        self.report: ReportSummary | None = None
        self.report_error: AwsError | None = None
        self.report_read_for: str | None = None  # the status the report was read at
        self.poll_state: PollState | None = None
        self.last_action: str = ""

    @property
    def detail(self) -> JobDetail | None:
        return self.job if isinstance(self.job, JobDetail) else None

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.backend, "read_only", False) or getattr(self.app, "read_only", False))

    def compose(self) -> ComposeResult:
        yield ContextBar(f"{self.TITLE} {self.job.job_id}", demo=getattr(self.app, "demo", False))
        yield Static(id="job-head")
        yield Static(id="job-status")
        yield Static(id="job-reasons")
        with VerticalScroll(id="job-report-box") as box:
            box.border_title = "failures by code"
            yield Static(id="job-report")
        yield Footer()

    def on_mount(self) -> None:
        self._paint()
        self.start_polling()

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()

    # --- polling ------------------------------------------------------------------------

    def start_polling(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        self.generation = generation = next(_generations)
        job = self.job
        context = _JobContext(job)
        poller = self.poller = Poller(lambda: self.backend.describe(context, job.job_id, 5.0),
                                      interval=self.interval, is_terminal=lambda d: d.terminal)
        self.run_worker(lambda: self._poll_in_thread(generation, poller), name="job detail poll",
                        group="poll:detail", exclusive=True, thread=True, exit_on_error=False)

    def _poll_in_thread(self, generation: int, poller: Poller[JobDetail]) -> None:
        worker = get_current_worker()
        poller.run(lambda detail, _changed: self.post_message(self.JobDetailPolled(generation, detail)),
                   lambda state: self.post_message(PollStateChanged("detail", generation, state)),
                   cancelled=lambda: worker.is_cancelled)

    @on(PollStateChanged)
    def _state(self, message: PollStateChanged) -> None:
        if message.loop == "detail" and message.generation == self.generation:
            message.stop()
            self.poll_state = message.state
            self._paint_status()

    @on(JobDetailPolled)
    def _polled(self, message: JobDetailScreen.JobDetailPolled) -> None:
        if message.generation != self.generation:
            return
        self.job = message.job
        self._paint()
        self.refresh_bindings()
        if message.job.terminal and self.report_read_for != message.job.status:
            self.report_read_for = message.job.status
            self._read_report(message.job)

    def _read_report(self, job: JobDetail) -> None:
        self.run_worker(lambda: self._report_in_thread(job), name="job report", group="report", exclusive=True,
                        thread=True, exit_on_error=False)

    def _report_in_thread(self, job: JobDetail) -> None:
        worker = get_current_worker()
        try:
            summary = self.backend.report(job)
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.ReportRead(job.job_id, None, exc))
            return
        except Exception as exc:
            log.exception("reading the report of job %s crashed", job.job_id)
            if not worker.is_cancelled:
                self.post_message(self.ReportRead(job.job_id, None, AwsError(
                    f"reading the report failed: {type(exc).__name__}: {exc}", "see the log file", "Bug")))
            return
        if not worker.is_cancelled:
            self.post_message(self.ReportRead(job.job_id, summary))

    @on(ReportRead)
    def _report_read(self, message: JobDetailScreen.ReportRead) -> None:
        if message.job_id != self.job.job_id:
            return
        self.report, self.report_error = message.summary, message.error
        self._paint_report()

    # --- painting -------------------------------------------------------------------------

    def _paint(self) -> None:
        self.query_one("#job-head", Static).update(head_text(self.job, self.clock(), self.mine))
        detail = self.detail
        self.query_one("#job-reasons", Static).update(reasons_text(detail) if detail else Text("reading…", style="dim"))
        self._paint_report()
        self._paint_status()

    def _paint_report(self) -> None:
        self.query_one("#job-report", Static).update(report_text(self.report, self.report_error, self.detail))

    def _paint_status(self) -> None:
        text = Text()
        if self.read_only:
            text.append("read-only mode: confirm, cancel and priority are disabled · ", style="bold yellow")
        state = self.poll_state
        if state is not None:
            if state.status == "retrying":
                reason = state.error.message if isinstance(state.error, AwsError) else type(state.error).__name__
                text.append(f"retrying (attempt {state.failures}): {reason}", style="bold yellow")
            elif state.status == "error":
                error = state.error
                text.append(f"error: {error.message} — fix: {error.fix}" if isinstance(error, AwsError)
                            else f"error: {error}", style="bold red")
            elif state.status == "done":
                text.append("the job has ended: not polling", style="green")
            elif state.status == "waiting" and state.delay is not None:
                text.append(f"next poll in {state.delay:.0f}s", style="dim")
            else:
                text.append(state.status, style="dim")
        if self.last_action:
            text.append(" · " + self.last_action)
        self.query_one("#job-status", Static).update(text)

    # --- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("confirm_job", "cancel_job", "priority"):
            if self.read_only:
                return None  # shown, disabled
            status = self.job.status  # a key the job's status rules out is hidden, not greyed
            if action == "confirm_job" and status != "Suspended":
                return False
            if action == "cancel_job" and status not in CANCELLABLE:
                return False
            if action == "priority" and self.job.terminal:
                return False
        return True

    def action_refresh(self) -> None:
        if self.poller is not None and not self.poller.stopped and not self.job.terminal:
            self.poller.poll_now()
        else:
            self.report_read_for = None
            self.start_polling()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_confirm_job(self) -> None:
        job = self.job
        self.app.push_screen(
            ConfirmAction(f"Confirm job {job.description or job.job_id}? It then runs its "
                          f"{job.progress.total:,} tasks." if job.progress.total else
                          f"Confirm job {job.description or job.job_id}? It then runs."),
            lambda yes: self._act("confirm") if yes else None,
        )

    def action_cancel_job(self) -> None:
        job = self.job
        self.app.push_screen(
            ConfirmAction(f"Cancel job {job.description or job.job_id}? Tasks already done stay done; "
                          "it cannot be resumed."),
            lambda yes: self._act("cancel") if yes else None,
        )

    def action_priority(self) -> None:
        self.app.push_screen(PriorityPrompt(self.job.priority),
                             lambda value: self._act("priority", value) if value is not None else None)

    def _act(self, action: str, value: int | None = None) -> None:
        if self.read_only:  # a modal opened before read-only was switched on
            return
        job = self.job
        self.last_action = f"{action}…"
        self._paint_status()
        self.run_worker(lambda: self._act_in_thread(job, action, value), name=f"job {action}", group="job-action",
                        exclusive=False, thread=True, exit_on_error=False)

    def _act_in_thread(self, job: JobSummary, action: str, value: int | None) -> None:
        worker = get_current_worker()
        try:
            if action == "confirm":
                message = f"confirmed: {self.backend.confirm(job)}"
            elif action == "cancel":
                message = f"cancel requested: {self.backend.cancel(job)}"
            else:
                message = f"priority set to {self.backend.set_priority(job, int(value or 0))}"
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.JobActionDone(job.job_id, action, exc.message, exc))
            return
        if not worker.is_cancelled:
            self.post_message(self.JobActionDone(job.job_id, action, message))

    @on(JobActionDone)
    def _acted(self, message: JobDetailScreen.JobActionDone) -> None:
        if message.error is not None:
            self.last_action = f"{message.action} refused: {message.error.message}"
            self.app.notify(f"{message.error.message}\nfix: {message.error.fix}", severity="error", timeout=8)
        else:
            self.last_action = message.message
            self.app.notify(f"job {self.job.description or self.job.job_id}: {message.message}", timeout=4)
        self._paint_status()
        self.action_refresh()


class _JobContext:
    """The account and region a job lives in, shaped like the monitor's context for ``describe``."""

    def __init__(self, job: JobSummary) -> None:
        self.account_id = job.account_id
        self.region = job.region or None
