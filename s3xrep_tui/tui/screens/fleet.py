"""The fleet board: one row per pair of a fleet migration, polled in the background.

Each row: the pair, its state (from its journal), the backfill's progress and failures (its Batch
job), the live replication latency (the rule's ReplicationLatency metric, when metrics are on) and
the last verify. ``s`` sorts (by pair, state, progress, failures, latency, verify), ``/`` filters,
Enter opens today's monitor for the highlighted pair and ``v`` its verify; ``V`` verifies every pair,
``R`` writes the migration's one report, ``U`` undoes the whole migration (the id typed to confirm),
``S`` the fleet's totals for a projector. A poll updates only the cells that changed, so a board of
200 pairs stays cheap to draw; after the first poll the heap is frozen out of full collections (a
full pass over it stalled a frame 0.1-0.2 s of CPU, bench/fleet_bench.py).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from ...aws.fleet_report import percent
from ...aws.fleet_status import PairStatus, totals
from ...aws.fleet_store import FleetRecord, list_fleets
from ...aws.migrations import migration
from ...core.text import safe
from .. import frozen_heap
from ..fleet_backend import FleetBackend, FleetDone, FleetPolled
from ..resume import identities_for, reopen_profiles, resume
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from ..widgets.footer import Footer
from .base import AppScreen
from .fleet_totals import FleetTotalsScreen

if TYPE_CHECKING:
    from ..app import S3xrepApp

POLL_SECONDS = 3.0
RESUME_TIMEOUT = 60.0
SORTS = ("pair", "state", "progress", "failures", "latency", "verify")


WIDE = 120  # from here the pair column names both buckets; below it the source (the status line says the rest)
_SHORT_STATUS = {"New": "new", "Preparing": "prep", "Ready": "ready", "Active": "active", "Suspended": "suspend",
                 "Pausing": "pausing", "Paused": "paused", "Cancelling": "cancel"}


def columns_for(width: int) -> list[tuple[str, str, int]]:
    """(key, label, width): 80 columns and up; the pair's column takes what the others leave."""
    pair = max(18, min(80, width - 58))
    return [("index", "#", 3), ("pair", "Pair" if width >= WIDE else "Source", pair), ("state", "State", 9),
            ("progress", "Backfill", 8), ("failures", "Fail", 5), ("latency", "Latency", 7), ("verify", "Verify", 7)]


def _verify_text(row: PairStatus) -> Text:
    if row.verify_ok is None:
        return Text("never", style="dim")
    return Text("OK", style="green") if row.verify_ok else Text("DIFFERS", style="red")


def cells(row: PairStatus, wide: bool = True) -> dict[str, Text]:
    job = row.job
    progress = "-"
    if job is not None:
        progress = percent(row.progress).strip() if row.progress is not None else _SHORT_STATUS.get(job.status, "-")
        if job.terminal:
            progress = "done" if job.succeeded else ("partial" if job.status == "Complete" else job.status[:8])
    state = {"not applied": "pending", "undo partial": "undo part"}.get(row.state, row.state) if not row.error else "error"
    style = {"undone": "dim", "undo part": "yellow", "error": "red", "pending": "dim"}.get(state, "")
    name = f"{row.pair.source_bucket} → {row.pair.destination_bucket}" if wide else row.pair.source_bucket
    return {
        "index": Text(str(row.pair.index)),
        "pair": Text(safe(name), no_wrap=True, overflow="ellipsis"),
        "state": Text(state[:9], style=style),
        "progress": Text(progress, style="green" if progress == "done" else ""),
        "failures": Text(f"{row.failures:,}" if job else "-", style="red" if row.failures else ""),
        "latency": Text("-" if row.latency is None else f"{row.latency:.0f}s"),
        "verify": _verify_text(row),
    }


def sort_key(name: str) -> Any:
    order = {"applied": 0, "undo partial": 1, "not applied": 2, "undone": 3}
    return {
        "pair": lambda r: r.pair.index,
        "state": lambda r: (order.get(r.state, 4), r.pair.index),
        "progress": lambda r: (r.progress if r.progress is not None else -1.0, r.pair.index),
        "failures": lambda r: (-r.failures, r.pair.index),
        "latency": lambda r: (-(r.latency or 0.0), r.pair.index),
        "verify": lambda r: ({False: 0, None: 1, True: 2}[r.verify_ok], r.pair.index),
    }[name]


class ConfirmFleetUndo(ModalScreen[bool]):
    """Type the migration id to undo every pair of it."""

    DEFAULT_CSS = """
    ConfirmFleetUndo { align: center middle; }
    ConfirmFleetUndo > Vertical { width: 70; max-width: 95%; height: auto; border: thick $error; padding: 1 2;
                                  background: $surface; }
    """
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel")]

    def __init__(self, record: FleetRecord) -> None:
        super().__init__()
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Undo all {len(self.record.pairs)} pair(s) of migration {self.record.id}: each pair's "
                         "journal restored, newest first; the shared roles go last.\nType the migration id to go "
                         "on, Esc to cancel.")
            yield Input(placeholder=self.record.id, id="fleet-undo-id")

    @on(Input.Submitted, "#fleet-undo-id")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() == self.record.id)


class FleetScreen(AppScreen):
    TITLE = "Fleet"

    BINDINGS = [
        Binding("enter", "drill('monitor')", "Monitor", priority=True),
        Binding("v", "drill('verify')", "Verify"),
        Binding("s", "sort", "Sort"),
        Binding("slash", "filter", "Filter"),
        Binding("V", "verify_all", "Verify all"),
        Binding("R", "report", "Report"),
        Binding("U", "undo_all", "Undo all"),
        Binding("S", "stakeholder", "Totals", show=False),
        Binding("r", "poll", "Refresh", show=False),
        Binding("escape", "back", "Back"),
    ]
    FOOTER_FIRST = ("enter", "s", "slash", "V", "R", "U", "escape")

    DEFAULT_CSS = """
    FleetScreen #fleet-totals { height: 1; padding: 0 1; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }
    FleetScreen #fleet-filter { display: none; height: 3; }
    FleetScreen #fleet-filter.-shown { display: block; }
    FleetScreen #fleet-table { height: 1fr; min-height: 4; }
    FleetScreen #fleet-status { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def __init__(self, record: FleetRecord, backend: Any = None, *, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__()
        self.record = record
        self.backend = backend
        self.poll_seconds = poll_seconds
        self.rows: dict[int, PairStatus] = {}
        self.shown: list[int] = []  # pair indexes in table order
        self.sort = "pair"
        self.filter_text = ""
        self.status = ""
        self.busy = ""
        self.polls = 0
        self._drawn: dict[int, dict[str, str]] = {}
        self._pending: tuple[Any, str, float] | None = None
        self._polling = False

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations",), sides=False)
        yield Static(id="fleet-totals")
        yield Input(placeholder="filter: part of a bucket name or a state", id="fleet-filter")
        yield FixedTable(id="fleet-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="fleet-status")
        yield Footer(compact=True)

    @property
    def table(self) -> FixedTable:
        return self.query_one("#fleet-table", FixedTable)

    def on_mount(self) -> None:
        if self.backend is None:
            self.backend = FleetBackend(self.s3xrep)
        self.rows = {p.index: PairStatus(p, "…") for p in self.record.pairs}
        self._rebuild()
        self.table.focus()
        self.action_poll()
        if self.poll_seconds:
            self.set_interval(self.poll_seconds, self.action_poll)

    def on_unmount(self) -> None:
        frozen_heap.release(self)

    # --- polling ----------------------------------------------------------------------------------

    def action_poll(self) -> None:
        """A poll unless one is still running: a poll of many pairs may take longer than the interval, and
        starting another would cancel it (an exclusive worker), so none would ever land."""
        if self._polling:
            return
        self._polling = True
        self._poll()

    @work(thread=True, group="fleet-poll", exit_on_error=False)
    def _poll(self) -> None:
        worker = get_current_worker()
        try:
            rows = self.backend.status(self.record.pairs)
        except Exception as exc:  # noqa: BLE001  the board stays; the status line says why
            if not worker.is_cancelled:
                self.post_message(FleetPolled(error=safe(str(exc))))
            return
        if not worker.is_cancelled:
            self.post_message(FleetPolled(rows))

    @on(FleetPolled)
    def _polled(self, message: FleetPolled) -> None:
        self._polling = False
        if message.error:
            self.say(f"poll failed: {message.error}", "red")
            return
        self.polls += 1
        if self.polls == 1:  # the rows and s3control's and CloudWatch's models exist: out of full collections
            frozen_heap.hold(self)
        order_before = list(self.shown)
        for row in message.rows or ():
            self.rows[row.pair.index] = row
        if self._order() != order_before:
            self._rebuild()
        else:
            self._update_cells()
        self._paint_totals()

    # --- drawing ------------------------------------------------------------------------------------

    def _order(self) -> list[int]:
        text = self.filter_text.lower()
        rows = [r for r in self.rows.values() if not text or text in
                f"{r.pair.source_bucket} {r.pair.destination_bucket} {r.state} {cells(r)['state'].plain}".lower()]
        return [r.pair.index for r in sorted(rows, key=sort_key(self.sort))]

    def _rebuild(self) -> None:
        table = self.table
        keep = self.shown[table.cursor_row] if self.shown and 0 <= table.cursor_row < len(self.shown) else None
        table.clear(columns=True)
        for key, label, size in columns_for(self.app.size.width):
            table.add_column(label, key=key, width=size)
        self.shown = self._order()
        self._drawn = {}
        for index in self.shown:
            drawn = cells(self.rows[index], self.app.size.width >= WIDE)
            self._drawn[index] = {k: v.plain for k, v in drawn.items()}
            table.add_row(*drawn.values(), key=str(index))
        if keep in self.shown:
            table.move_cursor(row=self.shown.index(keep))
        self._paint_totals()

    def _update_cells(self) -> None:
        """Only the cells whose text changed, and only those rendered again (a full redraw of 200 rows each
        poll would cost frames)."""
        changes: dict[str, dict[str, Text]] = {}
        for index in self.shown:
            fresh = cells(self.rows[index], self.app.size.width >= WIDE)
            old = self._drawn.get(index, {})
            if changed := {key: text for key, text in fresh.items() if old.get(key) != text.plain}:
                changes[str(index)] = changed
            self._drawn[index] = {k: v.plain for k, v in fresh.items()}
        if changes:
            self.table.update_cells(changes)

    def _paint_totals(self) -> None:
        t = totals(list(self.rows.values()))
        shown = f" · {len(self.shown)} shown" if len(self.shown) != t.pairs else ""
        head = f"{self.record.id}: " if self.app.size.width >= WIDE else ""
        self.query_one("#fleet-totals", Static).update(Text(
            f"{head}{t.pairs} pairs · {t.applied} applied · backfill {percent(t.fraction).strip()} "
            f"({t.objects_done:,}/{t.objects_total:,}) · {t.failures:,} failed · {t.verified} verified{shown}",
            no_wrap=True, overflow="ellipsis"))
        row = self.highlighted if self.is_mounted and self.shown else None
        if row is not None and not self.status:
            self.query_one("#fleet-status", Static).update(Text(
                safe(f"{row.pair.index}: {row.pair.label}  ·  plan {row.pair.plan_id}"), style="dim", no_wrap=True,
                overflow="ellipsis"))

    @on(DataTable.RowHighlighted, "#fleet-table")
    def _row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._paint_totals()

    def on_resize(self) -> None:
        if self.is_mounted and self.rows:
            self._rebuild()

    def say(self, text: str, style: str = "") -> None:
        self.status = text
        self.query_one("#fleet-status", Static).update(Text(text, style=style))

    # --- sorting and filtering ----------------------------------------------------------------------

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._rebuild()
        self.say(f"sorted by {self.sort} (s: next)")

    def action_filter(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        box.add_class("-shown")
        box.focus()

    @on(Input.Changed, "#fleet-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._rebuild()

    @on(Input.Submitted, "#fleet-filter")
    def _filter_done(self, _: Input.Submitted) -> None:
        self.table.focus()

    def action_back(self) -> None:
        box = self.query_one("#fleet-filter", Input)
        if box.has_focus or self.filter_text:
            box.value = ""
            box.remove_class("-shown")
            self.filter_text = ""
            self._rebuild()
            self.table.focus()
            return
        self.app.pop_screen()

    # --- drilling into one pair ---------------------------------------------------------------------

    @property
    def highlighted(self) -> PairStatus | None:
        row = self.table.cursor_row
        return self.rows[self.shown[row]] if self.shown and 0 <= row < len(self.shown) else None

    def action_drill(self, step: str) -> None:
        if isinstance(self.app.focused, Input):  # Enter in the filter box: the filter is done
            self.table.focus()
            return
        row = self.highlighted
        if row is None:
            return
        try:
            m = migration(row.pair.plan_id)
        except (OSError, ValueError):
            m = None
        if m is None or m.writes == 0:
            self.say(f"pair {row.pair.index} ({row.pair.label}) was never applied: nothing to watch yet", "yellow")
            return
        if not m.resumable:
            self.say(f"pair {row.pair.index}: its journal does not name both buckets", "red")
            return
        self._pending = (m, step, time.monotonic() + RESUME_TIMEOUT)
        self.say(f"Opening {row.pair.label}…")
        reopen_profiles(self.s3xrep, m.profiles)
        self.set_timer(0.05, self._poll_resume)

    def _poll_resume(self) -> None:
        if self._pending is None or not self.is_attached:
            return
        m, step, deadline = self._pending
        verdict = identities_for(self.s3xrep, m)
        if verdict is None:
            if time.monotonic() > deadline:
                self._pending = None
                self.say(f"Not opened: the identities did not resolve within {RESUME_TIMEOUT:.0f}s", "red")
            else:
                self.set_timer(0.1, self._poll_resume)
            return
        self._pending = None
        if verdict:
            self.say(f"Not opened: {verdict}", "red")
            return
        self.say("")
        resume(self.s3xrep, m, step)

    # --- the whole migration ------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("verify_all", "report", "undo_all") and self.busy:
            return False
        return True

    def action_verify_all(self) -> None:
        self.busy = "verify"
        self.say(f"verifying {len(self.record.pairs)} pair(s)…")
        self._verify_all()

    @work(thread=True, exclusive=True, group="fleet-action", exit_on_error=False)
    def _verify_all(self) -> None:
        try:
            ok, total = self.backend.verify(self.record, lambda pair, good: None)
        except Exception as exc:  # noqa: BLE001
            self.post_message(FleetDone("verify", f"verify failed: {safe(str(exc))}", False))
            return
        self.post_message(FleetDone("verify", f"verified {ok} of {total} pair(s)", ok == total))

    def action_report(self) -> None:
        self.busy = "report"
        self.say("writing the migration's report…")
        self._report()

    @work(thread=True, exclusive=True, group="fleet-action", exit_on_error=False)
    def _report(self) -> None:
        try:
            path = self.backend.report(self.record)
        except Exception as exc:  # noqa: BLE001
            self.post_message(FleetDone("report", f"report failed: {safe(str(exc))}", False))
            return
        self.post_message(FleetDone("report", f"report of every pair written: {path}", True))

    def action_undo_all(self) -> None:
        def chosen(go: bool | None) -> None:
            if go:
                self.busy = "undo"
                self.say(f"undoing {len(self.record.pairs)} pair(s)…")
                self._undo_all()
            else:
                self.say("undo not confirmed: nothing was changed")

        self.app.push_screen(ConfirmFleetUndo(self.record), chosen)

    @work(thread=True, exclusive=True, group="fleet-action", exit_on_error=False)
    def _undo_all(self) -> None:
        try:
            outcomes = self.backend.undo(self.record, lambda pair, item: None)
        except Exception as exc:  # noqa: BLE001
            self.post_message(FleetDone("undo", f"undo failed: {safe(str(exc))}", False))
            return
        good = sum(1 for o in outcomes if o.ok)
        self.post_message(FleetDone("undo", f"undone {good} of {len(outcomes)} pair(s)", good == len(outcomes)))

    @on(FleetDone)
    def _done(self, message: FleetDone) -> None:
        self.busy = ""
        self.say(message.text, "green" if message.ok else "red")
        self.refresh_bindings()
        self.action_poll()

    def action_stakeholder(self) -> None:
        self.app.push_screen(FleetTotalsScreen(self.record.id, lambda: list(self.rows.values())))


def open_fleet_board(app: S3xrepApp, record: FleetRecord | None = None) -> bool:
    """The board of ``record`` (default: the newest fleet migration); False when this machine has none."""
    if record is None:
        fleets = sorted(list_fleets(), key=lambda r: r.created, reverse=True)
        if not fleets:
            app.notify("No fleet migration on this machine: `s3xrep apply --pairs FILE` makes one.",
                       title="Fleet", severity="warning")
            return False
        record = fleets[0]
    app.push_screen(FleetScreen(record))
    return True
