"""Applying a fleet: every pair's state live, a few pairs at a time (``aws.fleet_apply.apply_fleet``).

One row per pair: waiting, running (its latest step), applied, or FAILED with AWS's reason; a failed pair
does not stop the others. ``x`` cancels (pairs not started stay unstarted; a step in flight finishes).
When every pair has ended, ``b`` (or Enter) opens the fleet board of the migration, where the backfill
is watched, every pair verified and reported, and the whole migration undone.
"""

from __future__ import annotations

import threading

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from ...aws.apply import ApplyEvent
from ...aws.fleet_apply import FleetResult
from ...aws.fleet_store import load
from ...core.fleet import FleetPlan, PairPlan
from ...core.text import safe
from ..fleet_planner import FleetPlanner
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from ..widgets.footer import Footer
from .base import AppScreen
from .fleet import FleetScreen

STYLES = {"waiting": "dim", "running": "yellow", "applied": "green", "FAILED": "bold red", "cancel": "yellow"}


def step_text(event: ApplyEvent) -> str:
    """``[03/11] s3.put_bucket_policy done``: the pair's latest step, in a cell."""
    word = {"start": "…", "waiting": "waiting", "info": "note"}.get(event.status, event.status)
    return f"{event.position} {event.step.call} {word}"


class FleetApplyScreen(AppScreen):
    class PairEvent(Message):
        def __init__(self, index: int, event: ApplyEvent) -> None:
            super().__init__()
            self.index = index
            self.event = event

    class Applied(Message):
        def __init__(self, result: FleetResult | None, error: str = "") -> None:
            super().__init__()
            self.result = result
            self.error = error

    TITLE = "Fleet apply"
    FLEET_DRAFT = True

    BINDINGS = [
        Binding("b", "board", "Board"),
        Binding("enter", "board", "Board", show=False),
        Binding("x", "cancel", "Cancel"),
        Binding("escape", "back", "Back"),
    ]
    FOOTER_FIRST = ("b", "x", "escape")

    DEFAULT_CSS = """
    FleetApplyScreen #fleet-run-totals { height: 1; padding: 0 1; text-style: bold; text-wrap: nowrap;
                                         text-overflow: ellipsis; }
    FleetApplyScreen #fleet-run-table { height: 1fr; min-height: 4; }
    FleetApplyScreen #fleet-run-status { height: auto; max-height: 8; padding: 0 1; }
    """

    def __init__(self, fleet: FleetPlan, planner: FleetPlanner) -> None:
        super().__init__()
        self.fleet = fleet
        self.planner = planner
        self.states: dict[int, str] = {p.index: "waiting" for p in fleet.pairs}
        self.steps: dict[int, str] = {p.index: "" for p in fleet.pairs}
        self.reasons: dict[int, str] = {}  # why a pair failed, in AWS's words
        self.result: FleetResult | None = None
        self.running = False
        self.status = ""
        self._cancel = threading.Event()

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations", "New fleet"), sides=False)
        yield Static(id="fleet-run-totals")
        yield FixedTable(id="fleet-run-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="fleet-run-status")
        yield Footer(compact=True)

    @property
    def table(self) -> FixedTable:
        return self.query_one("#fleet-run-table", FixedTable)

    def on_mount(self) -> None:
        width = self.app.size.width
        name = max(18, (width - 3 - 9 - 10) * 2 // 5)
        step = max(20, width - 3 - 9 - 10 - name)
        for key, label, size in (("index", "#", 3), ("pair", "Source", name), ("state", "State", 9),
                                 ("step", "Latest step", step)):
            self.table.add_column(label, key=key, width=size)
        for pair in self.fleet.pairs:
            self.table.add_row(Text(str(pair.index)), Text(safe(pair.spec.source_bucket), no_wrap=True,
                               overflow="ellipsis"), Text("waiting", style="dim"), Text(""), key=str(pair.index))
        self.table.focus()
        self.running = True
        self.refresh_bindings()
        self._paint_totals()
        self.say(f"Applying {len(self.fleet.pairs)} pairs, {self.planner.workers} at a time; each pair journaled.")
        self._apply()

    def on_unmount(self) -> None:
        self._cancel.set()  # the app is closing: the pairs not started yet are not started

    @work(thread=True, exclusive=True, group="fleet-apply", exit_on_error=False)
    def _apply(self) -> None:
        def relay(pair: PairPlan, event: ApplyEvent) -> None:
            self.post_message(self.PairEvent(pair.index, event))

        try:
            result = self.planner.apply(self.fleet, relay, self._cancel)
        except Exception as exc:  # noqa: BLE001  apply_fleet never raises for AWS; anything else: one line
            self.post_message(self.Applied(None, safe(str(exc))))
            return
        self.post_message(self.Applied(result))

    @on(PairEvent)
    def _pair_event(self, message: FleetApplyScreen.PairEvent) -> None:
        if self.states.get(message.index) == "waiting":
            self._set(message.index, "running")
        self.steps[message.index] = step_text(message.event)
        if message.event.status == "failed":  # AWS's reason, kept for the row once the pair has ended
            event = message.event
            self.reasons[message.index] = f"{event.step.call}: {event.message}" + (
                f" (fix: {event.fix})" if event.fix else "")
        self.table.update_cell(str(message.index), "step", Text(safe(self.steps[message.index]), no_wrap=True,
                                                                  overflow="ellipsis"))

    @on(Applied)
    def _applied(self, message: FleetApplyScreen.Applied) -> None:
        self.running = False
        self.result = message.result
        self.refresh_bindings()
        if message.result is None:
            self.say(f"The apply stopped: {message.error}", "red")
            return
        for outcome in message.result.outcomes:
            index = outcome.pair.index
            cancelled = outcome.error is not None and outcome.error.startswith("cancelled")
            self._set(index, "applied" if outcome.ok else ("cancel" if cancelled else "FAILED"))
            if not outcome.ok:
                self.reasons.setdefault(index, outcome.message)
                self.table.update_cell(str(index), "step", Text(safe(self.reasons[index]), style="red", no_wrap=True,
                                                                  overflow="ellipsis"))
        failed = message.result.failed
        done = len(message.result.outcomes) - len(failed)
        text = f"migration {safe(self.fleet.id)}: {done} of {len(self.fleet.pairs)} pair(s) applied"
        if failed:
            first = failed[0].pair
            self.say(f"{text}, {len(failed)} failed\npair {first.index} "
                     f"{safe(first.spec.source_bucket)}: {safe(self.reasons[first.index])}\nb: the fleet board · "
                     "Esc, r, a: plan and apply again (each pair converges)", "red")
        else:
            self.say(f"{text} · b: the fleet board (backfill, verify, report, undo)", "green")

    def _set(self, index: int, state: str) -> None:
        self.states[index] = state
        self.table.update_cell(str(index), "state", Text(state, style=STYLES.get(state, "")))
        self._paint_totals()

    def _paint_totals(self) -> None:
        counts = {state: sum(1 for s in self.states.values() if s == state) for state in STYLES}
        self.query_one("#fleet-run-totals", Static).update(Text(
            f"{len(self.states)} pairs · {counts['applied']} applied · {counts['running']} running · "
            f"{counts['FAILED']} failed · {counts['waiting']} waiting", no_wrap=True, overflow="ellipsis"))

    def say(self, text: str, style: str = "") -> None:
        self.status = text
        self.query_one("#fleet-run-status", Static).update(Text(text, style=style))

    # --- keys ---------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "board":
            return None if self.running else True
        if action == "cancel":
            return True if self.running and not self._cancel.is_set() else None
        return True

    def action_cancel(self) -> None:
        if self.running:
            self._cancel.set()
            self.refresh_bindings()
            self.say("Cancelling: the pairs not started stay unstarted; the steps in flight finish.", "yellow")

    def action_back(self) -> None:
        if self.running:
            self.say("The apply is running: x cancels it first.", "yellow")
            return
        self.app.pop_screen()

    def action_board(self) -> None:
        if self.running:
            return
        try:
            record = load(self.fleet.id)
        except (OSError, ValueError) as exc:
            self.say(f"The migration's record could not be read: {safe(str(exc))}", "red")
            return
        app = self.app
        while getattr(app.screen, "FLEET_DRAFT", False) and len(app.screen_stack) > 1:
            app.pop_screen()  # the new-fleet screens are done with: Esc on the board goes back to where they opened
        app.push_screen(FleetScreen(record))
