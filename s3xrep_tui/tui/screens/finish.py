"""Finish a completed migration from the app: what goes, what stays, then the typed confirmation.

Opened from the home screen (``f``) once the migration's identities are
resolved. It first runs finish's dry run (:func:`s3xrep_tui.aws.finish.finish`
with ``dry_run=True``: it reads the current state, changes nothing, journals
nothing) and lists each element with its account, its action (remove, stays,
gone) and why. What blocks (no cut-over record, versions still PENDING) is
shown above the list with its fix: ``c`` goes on without a cut-over record and
``p`` despite PENDING versions, each previewing again. Typing the source
bucket's name starts the real finish, whose rows change as the AWS layer
reports them. Read-only mode refuses it (the preview still runs). No error
reaches the screen as a traceback: each is one line with its fix.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from ...aws.errors import AwsError, explain
from ...aws.finish import FinishBlocked, FinishResult, finish, why
from ...aws.journal import JournalDamaged
from ...aws.migrations import Migration
from ...core.finish import FinishRow, action_of, element_of
from ...core.text import safe
from ..widgets.confirm_apply import ConfirmApply
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from .base import AppScreen

log = logging.getLogger(__name__)
_runs = itertools.count(1)

STYLES = {"remove": "cyan", "removed": "green", "gone": "dim", "stays": "yellow", "not removed": "bold yellow",
          "failed": "bold red"}


def _error_text(exc: Exception, plan_id: str) -> str:
    if isinstance(exc, JournalDamaged):
        lines = ", ".join(f"line {d.line} ({d.reason})" for d in exc.damaged)
        return (f"the journal {exc.path} is damaged ({lines}): finish does not start, nothing was changed "
                "(fix: look at those lines; `s3xrep finish --skip-record LINE` goes on without them)")
    if isinstance(exc, FileNotFoundError | FinishBlocked):
        return str(exc)
    if not isinstance(exc, AwsError):
        log.exception("finish of %s failed", plan_id)
    failure = exc if isinstance(exc, AwsError) else explain(exc)
    return failure.message + (f" (fix: {failure.fix})" if failure.fix else "")


class FinishScreen(AppScreen):
    class FinishAnswered(Message):
        """A preview (``dry_run``) or a real finish ended: ``result`` (a FinishResult) or ``error`` (one line)."""

        def __init__(self, run: int, dry_run: bool, result: Any = None, error: str = "") -> None:
            super().__init__()
            self.run = run
            self.dry_run = dry_run
            self.result = result
            self.error = error

    class FinishItemDone(Message):
        """One journaled write taken down (or kept, skipped, failed) while the real finish runs."""

        def __init__(self, run: int, item: Any) -> None:
            super().__init__()
            self.run = run
            self.item = item

    TITLE = "Finish"

    BINDINGS = [
        Binding("r", "reload", "Preview"),
        Binding("c", "flag('not_cut_over')", "No cut-over", tooltip="Finish without a cut-over record"),
        Binding("p", "flag('allow_pending')", "Pending ok", tooltip="Finish although versions are PENDING"),
        Binding("escape", "back", "Back"),
        Binding("enter", "confirm_typed", "Finish", priority=True),
        Binding("tab", "to_items", "To the list", priority=True),
    ]
    FOOTER_FIRST = ("enter", "tab", "escape")

    DEFAULT_CSS = """
    FinishScreen #finish-summary { height: auto; max-height: 6; padding: 0 1; }
    FinishScreen #finish-items { height: 1fr; min-height: 4; }
    FinishScreen #finish-detail { height: auto; min-height: 4; max-height: 6; border: round $primary; padding: 0 1; }
    FinishScreen ConfirmApply #confirm-label { width: 1fr; max-width: 64; }
    FinishScreen ConfirmApply Input { width: 28; }
    """

    def __init__(self, migration: Migration) -> None:
        super().__init__()
        self.migration = migration
        self.rows: dict[str, FinishRow] = {}
        self.preview: FinishResult | None = None
        self.result: FinishResult | None = None
        self.error = ""
        self.running = False
        self.run = 0
        self.flags = {"not_cut_over": False, "allow_pending": False}

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations",), migration=self.migration)
        yield Static(id="finish-summary")
        yield FixedTable(id="finish-items", cursor_type="row")
        yield Static(id="finish-detail")
        yield ConfirmApply(self.migration.source_bucket or "?", verb="Finish", id="finish-confirm")
        yield Footer()

    @property
    def table(self) -> FixedTable:
        return self.query_one("#finish-items", FixedTable)

    @property
    def confirm(self) -> ConfirmApply:
        return self.query_one(ConfirmApply)

    def on_mount(self) -> None:
        width = self.app.size.width
        element = max(24, min(60, width - 52))
        for key, label, size in (("action", "Action", 11), ("account", "Account", 11),
                                 ("element", "Element", element), ("why", "Why", max(16, width - element - 30))):
            self.table.add_column(label, key=key, width=size)
        self.query_one("#finish-detail").border_title = "why"
        self.confirm.freeze("Reading what finish would remove (a dry run: nothing is changed)…")
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("confirm_typed", "to_items"):
            return self.is_mounted and self.focused is self.confirm.input
        if action in ("reload", "flag"):
            return None if self.running else True
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # Enter and Tab act only in the confirmation field

    async def action_confirm_typed(self) -> None:
        await self.confirm.input.action_submit()

    def action_to_items(self) -> None:
        self.table.focus()

    def action_flag(self, flag: str) -> None:
        if self.running:
            return
        self.flags[flag] = not self.flags[flag]
        self.action_reload()

    # --- the runs ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if not self.running:
            self._start(dry_run=True)

    def _start(self, *, dry_run: bool) -> None:
        self.run = next(_runs)
        self.running = not dry_run
        self.error = ""
        if dry_run:
            self.rows.clear()
            self.table.clear()
        self._paint_summary()
        self._finish_in_thread(self.run, dry_run)

    @work(thread=True, exclusive=True, group="finish", exit_on_error=False)
    def _finish_in_thread(self, run: int, dry_run: bool) -> None:
        worker = get_current_worker()
        result, error = None, ""
        try:
            clients = {"source": self.s3xrep.clients("source"), "destination": self.s3xrep.clients("destination")}
            def told(item: Any) -> None:
                self.post_message(self.FinishItemDone(run, item))

            result = finish(self.migration.plan_id, clients, dry_run=dry_run, not_cut_over=self.flags["not_cut_over"],
                            allow_pending=self.flags["allow_pending"], progress=None if dry_run else told)
        except Exception as exc:  # AwsError, a blocker, anything boto3 raises: one line, never a traceback
            error = _error_text(exc, self.migration.plan_id)
        if not worker.is_cancelled:
            self.post_message(self.FinishAnswered(run, dry_run, result, error))

    @on(FinishItemDone)
    def _item_done(self, message: FinishScreen.FinishItemDone) -> None:
        if message.run == self.run:
            item = message.item
            self._show_row(f"write {item.ref}", FinishRow(element_of(item.call, item.target), item.account,
                                                          action_of(item.status), why(item)))
            self._paint_summary()

    @on(FinishAnswered)
    def _answered(self, message: FinishScreen.FinishAnswered) -> None:
        if message.run != self.run:
            return
        self.running = False
        self.error = message.error
        result = message.result
        if result is not None:
            self.rows.clear()
            self.table.clear()
            for number, row in enumerate(result.rows):
                self._show_row(f"row {number}", row)
            if message.dry_run:
                self.preview = result
            else:
                self.result = result
        self._paint_summary()
        self._paint_detail()
        self._set_confirm(message.dry_run)

    def _set_confirm(self, after_dry_run: bool) -> None:
        preview = self.preview
        if self.error:
            self.confirm.freeze("Finish cannot start (see above): r previews again.")
        elif not after_dry_run:
            self.confirm.freeze("Finished: the report is now the migration's final record."
                                if self.result and self.result.ok else
                                "Some elements were not removed (see why): r previews what is left.")
        elif preview is None or preview.already_finished or preview.undone:  # else record it, even if all is gone
            self.confirm.freeze("Nothing to do: " + (preview.summary() if preview else "no preview"))
        elif preview.blockers:
            self.confirm.freeze("Blocked (see above): c finishes without a cut-over, p despite PENDING versions.")
        elif self.s3xrep.read_only:
            self.confirm.freeze("Read-only mode: finish writes, so it is refused (the list above is the dry run).")
        else:
            self.confirm.thaw()
            self.confirm.input.focus()

    @on(ConfirmApply.Confirmed)
    def _confirmed(self, event: ConfirmApply.Confirmed) -> None:
        event.stop()
        if self.running or self.preview is None:
            return
        self.confirm.freeze("Finishing: each row changes as its element comes down…")
        self._start(dry_run=False)

    # --- painting ------------------------------------------------------------------------------

    def _show_row(self, key: str, row: FinishRow) -> None:
        cells = [Text(row.action, style=STYLES.get(row.action, "")), Text(row.account),  # AWS names made visible:
                 Text(safe(row.element), overflow="ellipsis", no_wrap=True),  # a Sid or rule ID is theirs
                 Text(safe(row.why), overflow="ellipsis", no_wrap=True)]
        if key in self.rows:
            for column, cell in zip(("action", "account", "element", "why"), cells, strict=True):
                self.table.update_cell(key, column, cell)
        else:
            self.table.add_row(*cells, key=key)
        self.rows[key] = row
        self._paint_detail()

    def _summary_lines(self, text: Text, result: Any) -> None:
        for warning in result.warnings:
            text.append(f"\n! {safe(warning)}", style="yellow")
        for message, fix in result.blockers:
            text.append(f"\n✗ {safe(message)}", style="red")
            text.append(f" (fix: {safe(fix)})")

    def _paint_summary(self) -> None:
        m = self.migration
        text = Text.assemble(("Finish ", "bold"), (m.plan_id, "bold"), f": {m.source_bucket} → {m.destination_bucket}")
        if self.error:
            text.append(f"\n✗ {safe(self.error)}", style="red")
        elif self.running:
            text.append("\nFinishing…", style="bold")
        elif self.result is not None:
            text.append(f"\nDone: {self.result.summary()}", style="green" if self.result.ok else "yellow")
        elif self.preview is not None:
            text.append(f"\nPreview (dry run, nothing changed): {self.preview.summary()}. The data stays.")
            self._summary_lines(text, self.preview)
        else:
            text.append("\nReading the journal and the current state…", style="dim")
        self.query_one("#finish-summary", Static).update(text)

    @on(DataTable.RowHighlighted, "#finish-items")
    def _highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._paint_detail()

    def _paint_detail(self) -> None:
        row_number = self.table.cursor_row
        keys = list(self.rows)
        if not keys or not 0 <= row_number < len(keys):
            self.query_one("#finish-detail", Static).update(Text("Nothing listed yet.", style="dim"))
            return
        row = self.rows[keys[row_number]]
        text = Text.assemble((row.action, STYLES.get(row.action, "")), f" · {row.account} · ",
                             (safe(row.element), "bold"), "\n", safe(row.why))
        self.query_one("#finish-detail", Static).update(text)

    def action_back(self) -> None:
        if self.running:
            self.notify("Finish is running: it ends on its own (each element is journaled as it goes).",
                        severity="warning")
            return
        self.app.pop_screen()
