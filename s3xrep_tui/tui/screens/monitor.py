"""Step 6: watch the backfill and live replication.

Three thread workers, each driving a :class:`~s3xrep_tui.tui.poller.Poller`:

* **jobs**: the Batch Replication jobs of the source account and region. The
  first poll lists every job AWS keeps; later polls list only the unfinished
  ones and describe a job once when it leaves that list (its final state), so
  terminal jobs are never polled again; jobs this app created (remembered per
  plan, :mod:`s3xrep_tui.aws.job_memory`, including those the apply journal
  recorded) are described if no listing shows them. When every job has ended
  the loop stops (``r`` starts it again).
* **replication**: a ReplicationStatus sample of the source bucket and the
  rule's CloudWatch metrics, compared without their time window so an idle rule
  backs off; at most every 10 s. The sample HEADs only versions whose status can
  still change: those seen COMPLETED or REPLICA are remembered for 5 minutes
  (``r`` forgets them), so a replicated bucket costs a listing per sample, not
  a couple of hundred HEADs.
* **canary**: ``k`` puts a canary object and times its replication (the
  result is recorded for the plan's report).

``w`` writes the migration report (HTML, as ``s3xrep report``) in a thread
worker and shows where it went.

Each poll starts only after the previous one returned; ``i`` cycles the
interval (2 s ... 60 s, off), ``p`` switches polling off and on, ``r`` polls
now. Throttling and network errors show "retrying" and clear themselves. A
job that ends, or replication that starts failing, raises a toast and rings
the terminal bell.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker, get_current_worker

from ...aws import results
from ...aws.alarm_status import AlarmStatus, FailureEvent, merge_events
from ...aws.canary import CanaryProgress, CanaryResult
from ...aws.errors import AwsError
from ...aws.jobs import JobSummary
from ...aws.replication_status import ReplicationHealth
from ...core.humanize import duration
from ...core.text import safe
from .. import frozen_heap
from ..monitor_backend import JobsSource, MonitorBackend, MonitorContext  # re-exported: tests import them here
from ..poller import Poller, PollState, PollStateChanged
from ..widgets.alarms_panel import AlarmsPanel
from ..widgets.canary_panel import CanaryPanel
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from ..widgets.jobs_table import JobsTable
from ..widgets.replication_panel import ReplicationPanel
from .base import AppScreen
from .job_detail import JobDetailScreen

log = logging.getLogger(__name__)

INTERVALS: tuple[float | None, ...] = (2.0, 5.0, 10.0, 30.0, 60.0, None)
DEFAULT_INTERVAL = 5.0
# The replication sample is ~200 HEADs: never more often than this, whatever the jobs' interval.
REPLICATION_MIN_INTERVAL = 10.0
_generations = itertools.count(1)


def interval_text(interval: float | None) -> str:
    if interval is None:
        return "off"
    return f"{interval:g}s" if interval < 60 else duration(interval)


def replication_signature(health: ReplicationHealth) -> tuple:
    """What matters in a replication poll, without the metrics' moving time window."""
    metrics = health.metrics
    return (health.state, health.lines, health.sample,
            None if metrics is None else tuple(series.values for series in metrics.series))


# ---------------------------------------------------------------------------------------- the screen


class MonitorScreen(AppScreen):
    class JobsPolled(Message):
        """The jobs of the source account and region as of this poll (``changed``: not the same as last time)."""

        def __init__(self, generation: int, jobs: tuple[JobSummary, ...], changed: bool, mine: frozenset[str]) -> None:
            super().__init__()
            self.generation = generation
            self.jobs = jobs
            self.changed = changed
            self.mine = mine

    class ReplicationPolled(Message):
        def __init__(self, generation: int, health: ReplicationHealth) -> None:
            super().__init__()
            self.generation = generation
            self.health = health

    class AlarmsPolled(Message):
        def __init__(self, generation: int, status: AlarmStatus) -> None:
            super().__init__()
            self.generation = generation
            self.status = status

    class CanaryProgressed(Message):
        def __init__(self, run: int, progress: CanaryProgress) -> None:
            super().__init__()
            self.run = run
            self.progress = progress

    class CanaryFinished(Message):
        def __init__(self, run: int, result: CanaryResult | None, error: AwsError | None = None) -> None:
            super().__init__()
            self.run = run
            self.result = result
            self.error = error

    TITLE = "Monitor"

    BINDINGS = [
        Binding("enter", "open_job", "Job detail"),
        Binding("r", "refresh", "Refresh now"),
        Binding("i", "cycle_interval", "Interval"),
        Binding("p", "toggle_polling", "Polling on/off"),
        Binding("k", "canary", "Canary"),
        Binding("v", "verify", "Verify"),
        Binding("w", "write_report", "Write report"),
        Binding("escape", "back", "Back", show=False),
        Binding("S", "app.stakeholder", "Stakeholder view", show=False),
    ]
    FOOTER_FIRST = ("v", "w", "enter", "k")

    DEFAULT_CSS = """
    MonitorScreen #poll-status { height: 1; padding: 0 1; background: $boost; }
    MonitorScreen #monitor-message { height: auto; max-height: 2; padding: 0 1; display: none; }
    MonitorScreen #monitor-message.-shown { display: block; }
    MonitorScreen #jobs-problem { display: none; height: auto; padding: 0 1; }
    MonitorScreen #jobs-problem.-shown { display: block; }
    MonitorScreen JobsTable { height: 1fr; min-height: 6; }
    MonitorScreen #bottom { height: auto; }
    MonitorScreen ReplicationPanel { width: 3fr; }
    MonitorScreen CanaryPanel { width: 2fr; }
    """

    def __init__(
        self,
        *,
        backend: MonitorBackend | None = None,
        interval: float | None = DEFAULT_INTERVAL,
        clock: Callable[[], datetime] | None = None,
        notify_bell: bool = True,
    ) -> None:
        """``interval``: seconds between polls (None: off); ``clock``: "now" for elapsed times (tests freeze it)."""
        super().__init__()
        self._backend = backend
        self.interval = interval
        self._last_interval = interval or DEFAULT_INTERVAL
        self.clock = clock or (lambda: datetime.now(UTC))
        self.notify_bell = notify_bell
        self.context: MonitorContext | None = None
        self.pollers: dict[str, Poller[Any]] = {}
        self.workers_by_loop: dict[str, Worker[Any]] = {}
        self.generations: dict[str, int] = {}
        self.states: dict[str, PollState] = {}
        self.jobs_source: JobsSource | None = None
        self.health: ReplicationHealth | None = None
        self.notifications: list[str] = []  # what was announced (toast + bell), for the tests
        self._canary_run = 0
        self._canary_cancel: threading.Event | None = None
        self._seen_jobs = False
        self._seen_alarms = False
        self.alarms: AlarmStatus | None = None  # the journal's alarms as CloudWatch has them (issue 18)
        self.failure_events: list[FailureEvent] = []  # the newest ones read from our inbox, kept across polls

    @property
    def backend(self) -> MonitorBackend:
        if self._backend is None:
            self._backend = MonitorBackend(self.s3xrep)
        return self._backend

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=getattr(self.app, "demo", False), show_buckets=True)
        yield Static(id="poll-status")
        yield Static(id="jobs-problem")
        yield Static(id="monitor-message")  # what w wrote, where (a path is read later: not only a toast)
        yield JobsTable(clock=self.clock, id="jobs")
        yield AlarmsPanel(id="alarms")
        with Horizontal(id="bottom"):
            yield ReplicationPanel(id="replication")
            yield CanaryPanel(id="canary")
        yield Footer()

    @property
    def table(self) -> JobsTable:
        return self.query_one(JobsTable)

    def on_mount(self) -> None:
        self.table.focus()
        try:
            self.context = self.backend.context()
        except AwsError as exc:
            self._problem(exc)
            self._paint_status()
            return
        self.table.border_title = f"jobs · account {self.context.account_id} · {self.context.region or 'default region'}"
        # the jobs first: the replication sample (a few hundred requests) and the alarms start once the
        # jobs' first answer is in (see _poll_state), so on a slow link the table is not kept waiting
        self.start_loop("jobs")
        self.set_interval(1.0, self.table.tick)
        self._paint_status()

    def on_unmount(self) -> None:
        for poller in self.pollers.values():
            poller.stop()
        if self._canary_cancel is not None:
            self._canary_cancel.set()
        frozen_heap.release(self)

    # --- the poll loops ---------------------------------------------------------------------

    def start_loop(self, loop: str) -> None:
        """(Re)start a poll loop in a thread worker; messages of the previous one are dropped."""
        if self.context is None:
            return
        old = self.pollers.pop(loop, None)
        if old is not None:
            old.stop()
        generation = self.generations[loop] = next(_generations)
        if loop == "jobs":
            self.jobs_source = JobsSource(self.backend, self.context)
            if self.table.jobs:  # keep what the table knows: only new answers repaint it
                self.jobs_source.known.update(self.table.jobs)
            poller: Poller[Any] = Poller(self.jobs_source, interval=self.interval, is_terminal=JobsSource.all_ended)
        elif loop == "alarms":
            context = self.context
            poller = Poller(lambda: self.backend.alarms(context), interval=self._interval_for(loop))
        else:
            context = self.context
            poller = Poller(lambda: self.backend.replication(context), interval=self._interval_for(loop),
                            key=replication_signature)
        self.pollers[loop] = poller
        self.workers_by_loop[loop] = self.run_worker(
            lambda: self._poll_in_thread(loop, generation, poller),
            name=f"monitor poll ({loop})", group=f"poll:{loop}", exclusive=True, thread=True, exit_on_error=False,
        )

    def _start_the_other_loops(self) -> None:
        for loop in ("replication", "alarms"):
            if loop not in self.pollers and (loop != "alarms" or (self.context and self.context.plan_id)):
                self.start_loop(loop)

    def _poll_in_thread(self, loop: str, generation: int, poller: Poller[Any]) -> None:
        worker = get_current_worker()

        def on_value(value: Any, changed: bool) -> None:
            if loop == "jobs":
                source = self.jobs_source
                mine = source.mine if source is not None else frozenset()
                self.post_message(self.JobsPolled(generation, value, changed, mine))
            elif loop == "alarms":
                self.post_message(self.AlarmsPolled(generation, value))
            else:
                self.post_message(self.ReplicationPolled(generation, value))

        try:
            poller.run(on_value, lambda state: self.post_message(PollStateChanged(loop, generation, state)),
                       cancelled=lambda: worker.is_cancelled)
        except Exception:  # a bug in a callback: logged, shown as an error state, never a traceback on screen
            log.exception("the %s poll loop crashed", loop)
            if not worker.is_cancelled:
                error = AwsError(f"the {loop} poll stopped on a bug", "see the log file; r starts it again", "Bug")
                self.post_message(PollStateChanged(loop, generation, PollState("error", error=error)))

    @on(PollStateChanged)
    def _poll_state(self, message: PollStateChanged) -> None:
        if message.generation != self.generations.get(message.loop):
            return
        self.states[message.loop] = message.state
        if message.loop == "jobs" and message.state.status != "polling":
            self._start_the_other_loops()
        if message.loop == "replication" and message.state.status in ("retrying", "error") and message.state.error:
            error = message.state.error
            if isinstance(error, AwsError) and error.code == "NoBuckets":
                self.query_one(ReplicationPanel).show_problem(Text(error.message, style="dim"))
        if message.loop == "alarms" and message.state.status in ("retrying", "error") and message.state.error:
            error = message.state.error
            self.query_one(AlarmsPanel).show_problem(error.message if isinstance(error, AwsError) else str(error))
        self._paint_status()

    @on(AlarmsPolled)
    def _alarms_polled(self, message: MonitorScreen.AlarmsPolled) -> None:
        if message.generation != self.generations.get("alarms"):
            return
        before = {a.name: a.state for a in (self.alarms.alarms if self.alarms else [])}
        self.alarms = message.status
        self.failure_events = merge_events(self.failure_events, message.status.events)
        self.query_one(AlarmsPanel).show(message.status, self.failure_events)
        for alarm in message.status.alarms:  # a change to ALARM is announced (toast and bell), as job ends are
            if alarm.state == "ALARM" and before.get(alarm.name, "OK") != "ALARM" and (before or self._seen_alarms):
                self.announce(safe(f"alarm {alarm.name}: ALARM ({alarm.metric})"), "error")
        self._seen_alarms = True

    @on(JobsPolled)
    def _jobs_polled(self, message: MonitorScreen.JobsPolled) -> None:
        if message.generation != self.generations.get("jobs"):
            return
        self._problem(None)
        if not self._seen_jobs:  # s3control's model is loaded now: keep it out of full collections
            frozen_heap.hold(self)
        before = dict(self.table.jobs)
        if message.changed or message.mine != self.table.mine:
            self.table.show(message.jobs, message.mine)
        if self._seen_jobs:
            for job in message.jobs:
                old = before.get(job.job_id)
                if old is not None and not old.terminal and job.terminal:
                    self._job_ended(job)
        self._seen_jobs = True
        self._paint_status()

    @on(ReplicationPolled)
    def _replication_polled(self, message: MonitorScreen.ReplicationPolled) -> None:
        if message.generation != self.generations.get("replication"):
            return
        previous, self.health = self.health, message.health
        if previous is None:  # s3's and CloudWatch's models are loaded now: likewise
            frozen_heap.hold(self)
        self.query_one(ReplicationPanel).show(message.health)
        if message.health.state == "failing" and (previous is None or previous.state != "failing"):
            lines = [line for line in message.health.lines if "FAILED" in line or "failed" in line]
            self.announce(f"replication is failing: {lines[0] if lines else 'see the replication panel'}", "error")

    def _job_ended(self, job: JobSummary) -> None:
        name = job.description or job.job_id
        tasks = f"{job.progress.succeeded:,} succeeded, {job.progress.failed:,} failed"
        severity = "information" if job.succeeded else ("warning" if job.status == "Cancelled" else "error")
        self.announce(f"job {name} {job.outcome} ({tasks})", severity)

    def announce(self, text: str, severity: str = "information") -> None:
        """A toast and the terminal bell (CloudShell and tmux pass BEL on)."""
        self.notifications.append(text)
        self.app.notify(text, title="s3xrep monitor", severity=severity, timeout=8)  # type: ignore[arg-type]
        if self.notify_bell:
            self.app.bell()

    # --- status line -------------------------------------------------------------------------

    def _problem(self, error: AwsError | None) -> None:
        widget = self.query_one("#jobs-problem", Static)
        if error is None:
            widget.set_class(False, "-shown")
            return
        widget.update(Text.assemble(("✗ ", "red"), error.message, "\n  ", ("fix: ", "bold"), error.fix))
        widget.set_class(True, "-shown")

    def status_text(self) -> Text:
        text = Text()
        jobs = self.table.jobs
        ours = sum(1 for job_id in jobs if job_id in self.table.mine)
        running = sum(1 for job in jobs.values() if not job.terminal)
        text.append(f"{len(jobs)} job" + ("s" if len(jobs) != 1 else ""), style="bold")
        text.append(f" ({running} running, {ours} ● ours)" if jobs else "")
        text.append(" · polling ")
        text.append(interval_text(self.interval), style="bold")
        state = self.states.get("jobs")
        if state is not None:
            text.append(" · ")
            text.append_text(self._state_text(state))
        replication = self.states.get("replication")
        if replication is not None and replication.status in ("retrying", "error"):
            text.append(" · replication ")
            text.append_text(self._state_text(replication))
        return text

    def _state_text(self, state: PollState) -> Text:
        if state.status == "retrying":
            reason = state.error.message if isinstance(state.error, AwsError) else type(state.error).__name__
            after = f", next try in {state.delay:.0f}s" if state.delay is not None else ""
            return Text(f"retrying (attempt {state.failures}{after}): {reason}", style="bold yellow")
        if state.status == "error":
            error = state.error
            message = f"{error.message} — fix: {error.fix}" if isinstance(error, AwsError) else str(error)
            return Text(f"error: {message}", style="bold red")
        if state.status == "done":
            return Text("every job has ended: not polling (r polls again)", style="green")
        if state.status == "polling":
            return Text("polling…", style="cyan")
        if state.status == "off":
            return Text("automatic polling off: r polls now", style="dim")
        if state.status == "waiting" and state.delay is not None:
            slower = " (nothing changed: slower)" if state.unchanged else ""
            return Text(f"next poll in {state.delay:.0f}s{slower}", style="dim")
        return Text(state.status, style="dim")

    def _paint_status(self) -> None:
        self.query_one("#poll-status", Static).update(self.status_text())

    # --- actions ------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Poll now: a full listing of the jobs (new ones appear), and the replication sample."""
        if self.context is None:
            try:
                self.context = self.backend.context()
            except AwsError as exc:
                self._problem(exc)
                return
            self._problem(None)
        self.backend.forget_settled()  # the sample asks about every version again
        for loop in ("jobs", "replication", *(("alarms",) if self.context.plan_id else ())):
            poller = self.pollers.get(loop)
            worker = self.workers_by_loop.get(loop)
            if poller is None or worker is None or worker.is_finished or poller.stopped:
                self.start_loop(loop)
                continue
            if loop == "jobs" and self.jobs_source is not None:
                self.jobs_source.full = True
            poller.poll_now()

    def set_polling_interval(self, interval: float | None) -> None:
        self.interval = interval
        if interval is not None:
            self._last_interval = interval
        for loop, poller in self.pollers.items():
            poller.set_interval(self._interval_for(loop))
        self._paint_status()

    def _interval_for(self, loop: str) -> float | None:
        if loop == "replication" and self.interval is not None:
            return max(self.interval, REPLICATION_MIN_INTERVAL)
        return self.interval

    def action_cycle_interval(self) -> None:
        index = INTERVALS.index(self.interval) if self.interval in INTERVALS else -1
        self.set_polling_interval(INTERVALS[(index + 1) % len(INTERVALS)])
        self.notify(f"polling every {interval_text(self.interval)}" if self.interval else "automatic polling off",
                    timeout=2)

    def action_toggle_polling(self) -> None:
        self.set_polling_interval(None if self.interval is not None else self._last_interval)

    def action_open_job(self) -> None:
        job = self.table.selected_job
        if job is None:
            return
        self.app.push_screen(JobDetailScreen(job, backend=self.backend, interval=self.interval or DEFAULT_INTERVAL,
                                             clock=self.clock, mine=job.job_id in self.table.mine))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_job()

    def action_verify(self) -> None:
        self.s3xrep.goto("verify")

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_write_report(self) -> None:
        context = self.context
        if context is None:
            self.app.notify("no source identity: nothing to report on", severity="warning", timeout=4)
            return
        self.run_worker(lambda: self._report_in_thread(context), name="report", group="report", exclusive=True,
                        thread=True, exit_on_error=False)

    def _report_in_thread(self, context: MonitorContext) -> None:
        try:
            path, status = self.backend.write_report(context)
        except AwsError as exc:
            text, severity = f"no report: {exc.message} (fix: {exc.fix})", "error"
        except Exception as exc:  # the unknown plan, a file that cannot be written, a bug
            log.exception("the report could not be written")
            text, severity = f"no report: {type(exc).__name__}: {exc}", "error"
        else:
            text, severity = f"report written ({status}): {path}", "information"
        self.app.call_from_thread(self._show_message, text, severity)

    def _show_message(self, text: str, severity: str) -> None:
        message = self.query_one("#monitor-message", Static)
        message.add_class("-shown")
        message.update(Text(text, style="red" if severity == "error" else ""))

    # --- the canary -------------------------------------------------------------------------------

    def action_canary(self) -> None:
        panel = self.query_one(CanaryPanel)
        if panel.running or self.context is None:
            return
        self._canary_run += 1
        run, context = self._canary_run, self.context
        cancel = self._canary_cancel = threading.Event()
        panel.start()
        self.run_worker(lambda: self._canary_in_thread(run, context, cancel), name="canary", group="canary",
                        exclusive=True, thread=True, exit_on_error=False)

    def _canary_in_thread(self, run: int, context: MonitorContext, cancel: threading.Event) -> None:
        worker = get_current_worker()

        def progress(step: CanaryProgress) -> None:
            if not worker.is_cancelled:
                self.post_message(self.CanaryProgressed(run, step))

        try:
            result = self.backend.canary(context, progress, cancel)
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.CanaryFinished(run, None, exc))
            return
        except Exception as exc:
            log.exception("the canary crashed")
            if not worker.is_cancelled:
                self.post_message(self.CanaryFinished(run, None, AwsError(f"the canary failed: {type(exc).__name__}: {exc}",
                                                                     "see the log file", "Bug")))
            return
        results.record_canary_for(result.as_dict(), context.plan_id, source_account=context.account_id)
        if not worker.is_cancelled:
            self.post_message(self.CanaryFinished(run, result))

    @on(CanaryProgressed)
    def _canary_progressed(self, message: MonitorScreen.CanaryProgressed) -> None:
        if message.run == self._canary_run:
            self.query_one(CanaryPanel).advance(message.progress)

    @on(CanaryFinished)
    def _canary_finished(self, message: MonitorScreen.CanaryFinished) -> None:
        if message.run != self._canary_run:
            return
        self.query_one(CanaryPanel).finish(message.result, message.error)
        if message.result is not None and not message.result.ok:
            self.announce(f"the canary did not replicate: {message.result.status}", "error")
