"""Step 5: apply the plan, one step at a time, with each step's live state.

The plan's steps are a table (#, account, call, target, planned action,
state) updated in place as the executor (``aws.apply.apply_plan``) reports:
waiting (queued), ▶ running, ⧗ waiting for IAM (reason, attempt n/m, delay),
✓ done, = no-op, ✗ failed (its fix under the table), ■ cancelled, – not run.
Below, the highlighted step: what happened to it and the request it sends,
with its document.

Nothing is sent before the source bucket's name is typed exactly (Enter or
the Apply button then starts). The run is a thread worker posting messages
(``messages_apply``); it never touches a widget.

Keys: ``d`` toggles dry run (every call and its document shown, nothing
sent), ``x`` cancels a run (the executor stops at its next safe point; the
journal stays consistent), ``r`` re-runs after a failure or a cancel (every
step re-reads what is deployed, so steps already done become no-ops),
``m`` opens the monitor after a successful apply, ``Esc`` goes back when
nothing runs. Read-only mode and a blocked plan refuse to start, saying why.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from ...aws.apply import ApplyEvent, ApplyResult, Backoff, apply_plan
from ...aws.errors import AwsError, explain
from ...core.models import Plan
from ..flow import FLOW
from ..widgets.apply_steps import ApplyStepsTable, RowState, StepDetail, advance
from ..widgets.confirm_apply import ConfirmApply
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from .base import AppScreen

log = logging.getLogger(__name__)

MONITOR_MODULE = "s3xrep_tui.tui.screens.monitor"
JOB_MEMORY_MODULE = "s3xrep_tui.aws.job_memory"
MONITOR_MISSING = ("The monitor screen is not part of this build yet: follow the job with "
                   "'s3xrep jobs --watch' in another terminal.")
READ_ONLY_REFUSAL = ("Read-only mode: apply writes to both accounts, so it does not start. "
                     "Leave read-only mode to apply; d shows a dry run (nothing is sent).")


@dataclass
class RunState:
    """What the screen shows: one run's rows and how it ended."""

    rows: dict[str, RowState]
    result: ApplyResult | None = None
    error: AwsError | None = None  # the run could not start its steps
    note: str = ""


def sentence(text: str) -> str:
    """``applied: 8 done`` -> ``Applied: 8 done.``"""
    return f"{text[:1].upper()}{text[1:]}." if text else text


def blocked_reason(plan: Plan) -> str:
    blocking = [f for f in plan.findings if f.severity == "blocking"]
    first = blocking[0]
    more = f" (and {len(blocking) - 1} more)" if len(blocking) > 1 else ""
    return f"The plan is blocked: {first.message}{more} Fix: {first.fix}"


def remember_job(plan: Plan, result: ApplyResult) -> str:
    """Mark a job this run created as this app's (``aws.job_memory``, when the build has it)."""
    created = next((r for r in result.steps if r.job_id and r.status == "done"), None)
    if created is None or importlib.util.find_spec(JOB_MEMORY_MODULE) is None:
        return ""
    memory: Any = importlib.import_module(JOB_MEMORY_MODULE)
    try:
        memory.remember(plan.id, created.job_id, account_id=plan.source_account.id,
                        region=plan.source.region or "", description=str(created.step.request.get("Description", "")))
    except Exception as exc:  # noqa: BLE001 - the monitor can still find it in the journal
        log.warning("could not remember job %s of plan %s: %r", created.job_id, plan.id, exc)
        return f"(the job could not be remembered for the monitor: {exc}; it is in the journal)"
    return ""


class ApplyScreen(AppScreen):
    # the worker's messages (it never touches a widget); each carries the run it was started for, so
    # what a previous run says after a new one began is dropped
    class ApplyProgress(Message):
        """One event of the executor (start, waiting, info, done, no-op, failed, dry-run, cancelled)."""

        def __init__(self, run: int, event: ApplyEvent) -> None:
            super().__init__()
            self.run = run
            self.event = event


    class ApplyFinished(Message):
        """The run ended; ``note`` says what became of the job memory (empty when nothing to say)."""

        def __init__(self, run: int, result: ApplyResult, note: str = "") -> None:
            super().__init__()
            self.run = run
            self.result = result
            self.note = note


    class ApplyCrashed(Message):
        """The run did not get to its steps: ``error`` says why and how to fix it."""

        def __init__(self, run: int, error: AwsError) -> None:
            super().__init__()
            self.run = run
            self.error = error

    TITLE = "Accounts › Buckets › Options › Preview › Apply"

    BINDINGS = [
        Binding("d", "dry_run", "Dry run"),
        Binding("x", "cancel", "Cancel run"),
        Binding("r", "retry", "Retry"),
        Binding("m", "monitor", "Monitor"),
        Binding("escape", "back", "Back"),
        # In the confirmation field letters type: these say (and do) what works there.
        Binding("enter", "confirm_typed", "Apply", priority=True),
        Binding("tab", "to_steps", "To the steps", priority=True),
    ]
    FOOTER_FIRST = ("enter", "m", "d", "x", "r", "tab")
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]

    DEFAULT_CSS = """
    ApplyScreen #summary { height: auto; padding: 0 1; background: $boost; }
    ApplyScreen #status { height: auto; padding: 0 1; }
    ApplyScreen #status.-failed { background: $error 20%; }
    ApplyScreen #status.-ok { background: $success 15%; }
    ApplyScreen #status.-dry { background: $accent 15%; }
    ApplyScreen #status.-cancelled { background: $warning 20%; }
    ApplyScreen #empty { padding: 1 2; }
    ApplyScreen.-short #summary { max-height: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    ApplyScreen.-short ApplyStepsTable { height: 1fr; }
    ApplyScreen.-short #status { max-height: 3; }
    ApplyScreen.-short ConfirmApply.-frozen > #confirm-label { display: none; }
    ApplyScreen.-short ConfirmApply.-frozen > Horizontal { display: none; }
    """

    def __init__(self, plan: Plan | None = None, *, backoff: Backoff | None = None,
                 readback_timeout: float = 30.0) -> None:
        """``plan`` defaults to ``app.plan``; ``backoff``: how long IAM propagation is waited for
        (``s3xrep apply``'s default: 60 s in all)."""
        super().__init__()
        self._plan = plan
        self.backoff = backoff or Backoff()
        self.readback_timeout = readback_timeout
        self.dry_run = False
        self.running = False
        self.run_number = 0
        self.live: RunState | None = None  # the last real run
        self.dry: RunState | None = None  # the last dry run
        self.last_refusal = ""
        self._cancel: threading.Event | None = None
        self._run_state: RunState | None = None  # what the latest run fills in

    @property
    def plan(self) -> Plan | None:
        return self._plan if self._plan is not None else getattr(self.app, "plan", None)

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.app, "read_only", False))

    # --- building ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, show_buckets=True)
        plan = self.plan
        if plan is None:
            yield Static(Text("No plan to apply: go back (Esc) to the preview."), id="empty")
            yield Footer()
            return
        yield Static(id="summary")
        yield ConfirmApply(plan.source.name, id="confirm")
        yield ApplyStepsTable(plan.steps, id="steps")
        yield Static(id="status")
        yield StepDetail(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self.live = RunState(self._fresh_rows())
        self._paint_summary()
        if plan.blocked:
            self.confirm.freeze(blocked_reason(plan) + " (go back with Esc; d still shows a dry run)")
        if hasattr(self.app, "read_only"):
            self.watch(self.app, "read_only", lambda _: self._paint_summary(), init=False)
        self._paint_status()
        self._paint_detail()
        if plan.blocked:
            self.table.focus()
        else:
            self.confirm.input.focus()

    def on_unmount(self) -> None:
        if self._cancel is not None:  # leaving (or quitting) mid-run: stop at the next safe point
            self._cancel.set()

    def _fresh_rows(self) -> dict[str, RowState]:
        plan = self.plan
        return {step.id: RowState() for step in plan.steps} if plan else {}

    @property
    def confirm(self) -> ConfirmApply:
        return self.query_one(ConfirmApply)

    @property
    def table(self) -> ApplyStepsTable:
        return self.query_one(ApplyStepsTable)

    @property
    def detail(self) -> StepDetail:
        return self.query_one(StepDetail)

    @property
    def shown(self) -> RunState | None:
        return self.dry if self.dry_run else self.live

    # --- painting ---------------------------------------------------------------------------

    def _paint_summary(self) -> None:
        plan = self.plan
        if plan is None:
            return
        run = sum(1 for s in plan.steps if s.action != "no-op")
        text = Text()
        text.append(f"Plan {plan.id}", style="bold")
        text.append(f" · {len(plan.steps)} steps, {run} to run · {plan.source.region or '?'} → "
                    f"{plan.destination.region or '?'}\n")
        if self.dry_run:
            text.append("◇ DRY RUN", style="bold magenta")
            text.append(": each call and its document are shown; nothing is sent. d leaves dry run.")
        elif self.read_only:
            text.append("READ-ONLY", style="bold yellow")
            text.append(": apply will not start (it writes). d shows a dry run.")
        else:
            text.append("Each step re-reads what is deployed and skips what already holds; every write is "
                        "journaled first, so it can be undone.")
        self.query_one("#summary", Static).update(text)

    def _paint_rows(self) -> None:
        shown = self.shown
        if shown is None:
            return
        table = self.table
        for step_id, row in shown.rows.items():
            table.show(step_id, row)
        self._paint_detail()

    def _paint_detail(self) -> None:
        plan, shown = self.plan, self.shown
        if plan is None or shown is None:
            return
        table = self.table
        step = table.highlighted_step
        if step is None:
            self.detail.clear()
            return
        number = table.cursor_row + 1
        self.detail.show(number, len(plan.steps), step, shown.rows[step.id], dry_run=self.dry_run)

    def _paint_status(self) -> None:
        status = self.query_one("#status", Static)
        for name in ("-failed", "-ok", "-dry", "-cancelled"):
            status.remove_class(name)
        text, kind = self._status()
        if kind:
            status.add_class(kind)
        status.update(text)
        self.refresh_bindings()

    def status_text(self) -> str:
        return self._status()[0].plain

    def _status(self) -> tuple[Text, str]:
        plan, shown = self.plan, self.shown
        text = Text()
        if plan is None or shown is None:
            return text, ""
        if self.last_refusal and not self.running:
            text.append(self.last_refusal, style="bold")
            return text, "-failed"
        if self.dry_run:
            if shown.result is None:
                text.append("Dry run…")
                return text, "-dry"
            text.append(f"◇ {sentence(shown.result.summary())}", style="bold")
            text.append(" ↑/↓ show each call and its document below · d leaves dry run.")
            return text, "-dry"
        if self.running:
            current = next(((i, s) for i, s in enumerate(plan.steps, start=1)
                            if shown.rows[s.id].status in ("running", "retrying")), None)
            if current is None:
                text.append("Starting…")
            else:
                index, step = current
                row = shown.rows[step.id]
                text.append(f"Step {index}/{len(plan.steps)} {step.call}: ", style="bold")
                if row.status == "retrying":
                    delay = f", next try in {row.delay:.1f}s" if row.delay is not None else ""
                    text.append(f"{row.message}{delay}", style="yellow")
                else:
                    text.append(row.message or "running")
            if self._cancel is not None and self._cancel.is_set():
                text.append("\nCancelling: the run stops at its next safe point (the current call finishes).")
            else:
                text.append("\nx cancels (the run stops at its next safe point; the journal stays consistent).")
            return text, ""
        if shown.error is not None:
            text.append(f"✗ Apply could not start: {shown.error.message}", style="bold")
            if shown.error.fix:
                text.append(f"\nfix: {shown.error.fix}")
            text.append("\nr tries again.")
            return text, "-failed"
        result = shown.result
        if result is None:
            return text, ""
        failed = result.failed
        if failed is not None:
            error = result.error
            text.append(f"✗ Step {failed.index} {failed.step.call} failed: ", style="bold")
            text.append(error.message if error else failed.message)
            if error and error.fix:
                text.append("\nfix: ", style="bold")
                text.append(error.fix)
            text.append("\nr retries from this step once the cause is fixed (steps already done are checked "
                        "and become no-ops).")
            self._append_journal(text, result)
            return text, "-failed"
        if result.cancelled:
            at = next((r for r in result.steps if r.status == "cancelled"), None)
            where = f" at step {at.index} {at.step.call}" if at else ""
            text.append(f"■ Cancelled{where}. ", style="bold")
            text.append("r continues from there (steps already done become no-ops).")
            self._append_journal(text, result)
            return text, "-cancelled"
        text.append(f"✓ {sentence(result.summary())}", style="bold")
        if result.job_id:
            text.append(f"\nBatch Replication job: {result.job_id}")
        self._append_journal(text, result)
        text.append("\nm opens the monitor.", style="bold")
        if shown.note:
            text.append(f"\n{shown.note}")
        return text, "-ok"

    def _append_journal(self, text: Text, result: ApplyResult) -> None:
        plan = self.plan
        if result.journal_path is not None and result.journal_path.exists() and plan is not None:
            text.append(f"\nJournal: {result.journal_path} · undo with: s3xrep undo {plan.id}")

    @on(DataTable.RowHighlighted, "#steps")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._paint_detail()

    # --- starting ----------------------------------------------------------------------------

    @on(ConfirmApply.Confirmed)
    def _confirmed(self, event: ConfirmApply.Confirmed) -> None:
        event.stop()
        self.start(dry_run=False)

    def refuse(self, reason: str) -> None:
        self.last_refusal = reason
        self.notify(reason, title="Apply refused", severity="error", timeout=10)
        self._paint_status()

    def start(self, *, dry_run: bool) -> bool:
        """Start a run (the caller has the confirmation); False, with the reason shown, when refused."""
        plan = self.plan
        if plan is None:
            return False
        if self.running:
            self.refuse("An apply is already running: wait for it, or x to cancel it.")
            return False
        if not dry_run:
            if self.dry_run:
                self.refuse("Dry run mode: nothing is sent. Press d to leave it, then apply.")
                return False
            if plan.blocked:
                self.refuse(blocked_reason(plan))
                return False
            if self.read_only:
                self.refuse(READ_ONLY_REFUSAL)
                return False
        self.last_refusal = ""
        self.run_number += 1
        state = self._run_state = RunState(self._fresh_rows())
        if dry_run:
            self.dry = state
        else:
            self.live = state
            self.running = True
            self._cancel = threading.Event()
            self.confirm.freeze("Confirmed. x cancels the run.")
            self.table.focus()
        self._paint_rows()
        self._paint_status()
        log.info("apply of plan %s started (run %d, dry_run=%s)", plan.id, self.run_number, dry_run)
        self._run(self.run_number, plan, dry_run, self._cancel if not dry_run else None)
        return True

    @work(thread=True, exclusive=True, group="apply", exit_on_error=False)
    def _run(self, run: int, plan: Plan, dry_run: bool, cancel: threading.Event | None) -> None:
        worker = get_current_worker()

        def progress(event: ApplyEvent) -> None:
            if worker.is_cancelled:
                if cancel is not None:
                    cancel.set()
                return
            self.post_message(self.ApplyProgress(run, event))

        try:
            clients = {} if dry_run else {"source": self.s3xrep.clients("source"),
                                          "destination": self.s3xrep.clients("destination")}
            result = apply_plan(
                plan, clients, progress=progress, dry_run=dry_run, read_only=self.read_only, cancel=cancel,
                backoff=self.backoff, readback_timeout=self.readback_timeout, options=self.s3xrep.options,
            )
        except Exception as exc:  # credentials, a blocked plan, a bug: shown with a fix, logged
            log.exception("apply of plan %s did not run", plan.id)
            error = explain(exc) if not isinstance(exc, (ValueError, RuntimeError)) else AwsError(
                str(exc), "go back and check the accounts and the plan", type(exc).__name__)
            if not worker.is_cancelled:
                self.post_message(self.ApplyCrashed(run, error))
            return
        note = "" if dry_run or not result.ok else remember_job(plan, result)
        log.info("apply of plan %s: %s", plan.id, result.summary())
        if not worker.is_cancelled:
            self.post_message(self.ApplyFinished(run, result, note))

    # --- what the worker says ------------------------------------------------------------------

    def _state_of_run(self, run: int) -> RunState | None:
        """The state the run ``run`` fills in; None for a run a newer one replaced."""
        if run != self.run_number:
            return None
        return self._run_state

    @on(ApplyProgress)
    def _progress(self, message: ApplyScreen.ApplyProgress) -> None:
        message.stop()
        state = self._state_of_run(message.run)
        if state is None:
            return
        event = message.event
        step_id = event.step.id
        state.rows[step_id] = advance(state.rows[step_id], event)
        if state is not self.shown:
            return
        table = self.table
        table.show(step_id, state.rows[step_id])
        if event.status == "start" or (event.status == "failed" and not self.dry_run):
            table.move_cursor(row=event.index - 1)
        if table.highlighted_step is not None and table.highlighted_step.id == step_id:
            self._paint_detail()
        if not self.dry_run:
            self._paint_status()

    @on(ApplyFinished)
    def _finished(self, message: ApplyScreen.ApplyFinished) -> None:
        message.stop()
        state = self._state_of_run(message.run)
        if state is None:
            return
        result = message.result
        state.result, state.note = result, message.note
        for step in result.steps:  # steps never reached say so ("not run")
            if step.status == "not-run":
                state.rows[step.step.id] = RowState("not-run", step.message)
        if not result.dry_run:
            self._end_run()
            if result.ok:
                self.confirm.freeze("Applied.")  # the status below says it all (a toast covered the rows)
            elif result.failed is not None:
                self.confirm.freeze("A step failed: r retries (no need to type the name again).")
            else:
                self.confirm.freeze("Cancelled: r continues.")
        if state is self.shown:
            self._paint_rows()
        self._paint_status()

    @on(ApplyCrashed)
    def _crashed(self, message: ApplyScreen.ApplyCrashed) -> None:
        message.stop()
        state = self._state_of_run(message.run)
        if state is None:
            return
        state.error = message.error
        if state is self.live:
            self._end_run()
            self.confirm.freeze("Apply could not start: r tries again.")
        self._paint_status()

    def _end_run(self) -> None:
        self.running = False
        self._cancel = None

    # --- keys ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.plan is None:
            return action == "back"
        if action in ("confirm_typed", "to_steps"):
            in_field = self.is_mounted and self.focused is self.confirm.input
            return in_field  # Enter with a wrong name says so in the hint, as before
        live = self.live
        if action == "cancel":  # a key that cannot act now is hidden
            return self.running
        if action == "dry_run":
            return None if self.running else True
        if action == "retry":
            ended = live is not None and not self.running and not self.dry_run and (
                live.error is not None or (live.result is not None and not live.result.ok))
            return ended
        if action == "monitor":
            done = live is not None and live.result is not None and live.result.ok and not self.dry_run
            return True if done else None
        return True

    async def action_confirm_typed(self) -> None:
        await self.confirm.input.action_submit()

    def action_to_steps(self) -> None:
        self.table.focus()

    def action_dry_run(self) -> None:
        if self.running or self.plan is None:
            return
        self.dry_run = not self.dry_run
        self._paint_summary()
        if self.dry_run:
            self.start(dry_run=True)
        else:
            self.last_refusal = ""
            self._paint_rows()
            self._paint_status()

    def action_cancel(self) -> None:
        if self.running and self._cancel is not None:
            self._cancel.set()
            log.info("apply cancel requested")
            self._paint_status()

    def action_retry(self) -> None:
        if self.check_action("retry", ()) is not True:
            return
        self.start(dry_run=False)

    def action_monitor(self) -> None:
        if self.check_action("monitor", ()) is not True:
            return
        module = FLOW.get("monitor", (MONITOR_MODULE, ""))[0]
        try:
            missing = importlib.util.find_spec(module) is None
        except ModuleNotFoundError:  # its package is missing too
            missing = True
        if missing:
            self.notify(MONITOR_MISSING, title="Monitor", severity="warning", timeout=10)
            return
        try:
            self.s3xrep.goto("monitor")
        except Exception as exc:  # a broken monitor must not take the apply screen down
            log.exception("opening the monitor failed")
            self.notify(f"The monitor could not open ({type(exc).__name__}: {exc}). {MONITOR_MISSING}",
                        title="Monitor", severity="error", timeout=10)

    def action_back(self) -> None:
        if self.running:
            self.notify("An apply is running: press x to cancel it first (it stops at its next safe point), "
                        "then Esc.", title="Apply running", severity="warning")
            return
        self.app.pop_screen()
