"""Undo an applied migration from the app: the same preview and typed confirmation as apply.

Opened from the home screen (``u``) once the migration's identities are
resolved. It first runs undo's dry run (:func:`s3xrep_tui.aws.undo.undo` with
``dry_run=True``: it reads the current state, changes nothing and journals
nothing) and lists, per journaled write, what would be restored, deleted,
cancelled or skipped and why. Typing the source bucket's name (the apply
screen's :class:`ConfirmApply`) starts the real undo, whose rows then change
state one by one as the AWS layer reports them. Read-only mode refuses the real
undo in the AWS layer (the preview still runs). A damaged journal is refused
with the lines named, as ``s3xrep undo`` does (exit 3 there). No error reaches
the screen as a traceback: each is one line with its fix.
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
from ...aws.journal import JournalDamaged
from ...aws.migrations import Migration
from ...aws.undo import UndoItem, UndoResult, undo
from ..widgets.confirm_apply import ConfirmApply
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from .base import AppScreen

log = logging.getLogger(__name__)
_runs = itertools.count(1)

STYLES = {"restored": "green", "deleted": "green", "cancelled": "green", "unchanged": "dim", "note": "yellow",
          "skipped": "yellow", "failed": "bold red", "would-restore": "cyan", "would-delete": "cyan",
          "would-cancel": "cyan"}


def item_key(item: UndoItem) -> str:
    return item.ref


class UndoScreen(AppScreen):
    class UndoAnswered(Message):
        """A dry run (``preview``) or a real undo ended: ``result`` (an UndoResult) or ``error`` (one line)."""

        def __init__(self, run: int, dry_run: bool, result: Any = None, error: str = "") -> None:
            super().__init__()
            self.run = run
            self.dry_run = dry_run
            self.result = result
            self.error = error

    class UndoItemDone(Message):
        """One journaled write undone (or skipped, failed) while the real undo runs."""

        def __init__(self, run: int, item: Any) -> None:
            super().__init__()
            self.run = run
            self.item = item

    TITLE = "Undo"

    BINDINGS = [
        Binding("r", "reload", "Preview again"),
        Binding("escape", "back", "Back"),
        # In the confirmation field letters type: these say (and do) what works there.
        Binding("enter", "confirm_typed", "Undo", priority=True),
        Binding("tab", "to_items", "To the list", priority=True),
    ]
    FOOTER_FIRST = ("enter", "tab", "escape")

    DEFAULT_CSS = """
    UndoScreen #undo-summary { height: auto; padding: 0 1; }
    UndoScreen #undo-items { height: 1fr; min-height: 4; }
    UndoScreen #undo-detail { height: auto; min-height: 5; max-height: 8; border: round $primary; padding: 0 1; }
    UndoScreen ConfirmApply #confirm-label { width: 1fr; max-width: 64; }
    UndoScreen ConfirmApply Input { width: 28; }
    """

    def __init__(self, migration: Migration) -> None:
        super().__init__()
        self.migration = migration
        self.items: dict[str, UndoItem] = {}
        self.preview: UndoResult | None = None
        self.result: UndoResult | None = None
        self.error = ""
        self.running = False
        self.run = 0

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations",), migration=self.migration)
        yield Static(id="undo-summary")
        yield FixedTable(id="undo-items", cursor_type="row")
        yield Static(id="undo-detail")
        yield ConfirmApply(self.migration.source_bucket or "?", verb="Undo", id="undo-confirm")
        yield Footer()

    @property
    def table(self) -> FixedTable:
        return self.query_one("#undo-items", FixedTable)

    @property
    def confirm(self) -> ConfirmApply:
        return self.query_one(ConfirmApply)

    def on_mount(self) -> None:
        width = self.app.size.width
        what = max(25, min(40, width - 60))  # s3.put_bucket_replication whole at 80 columns
        for key, label, size in (("status", "Would / did", 13), ("account", "Account", 11),
                                 ("what", "What", what), ("why", "Why", max(20, width - what - 36))):
            self.table.add_column(label, key=key, width=size)
        self.query_one("#undo-detail").border_title = "why"
        self.confirm.freeze("Reading what undo would do (a dry run: nothing is changed)…")
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("confirm_typed", "to_items"):
            return self.is_mounted and self.focused is self.confirm.input
        if action == "reload":
            return None if self.running else True
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # Enter and Tab act only in the confirmation field

    async def action_confirm_typed(self) -> None:
        await self.confirm.input.action_submit()

    def action_to_items(self) -> None:
        self.table.focus()

    # --- the runs ----------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.running:
            return
        self._start(dry_run=True)

    def _start(self, *, dry_run: bool) -> None:
        self.run = next(_runs)
        self.running = not dry_run
        self.error = ""
        if dry_run:
            self.items.clear()
            self.table.clear()
        self._paint_summary()
        self._undo_in_thread(self.run, dry_run)

    @work(thread=True, exclusive=True, group="undo", exit_on_error=False)
    def _undo_in_thread(self, run: int, dry_run: bool) -> None:
        worker = get_current_worker()
        try:
            clients = {"source": self.s3xrep.clients("source"), "destination": self.s3xrep.clients("destination")}
            result = undo(self.migration.plan_id, clients, dry_run=dry_run,
                          progress=None if dry_run else lambda item: self.post_message(self.UndoItemDone(run, item)))
        except JournalDamaged as exc:
            lines = ", ".join(f"line {d.line} ({d.reason})" for d in exc.damaged)
            error = (f"the journal {exc.path} is damaged ({lines}): undo does not start, nothing was changed "
                     "(fix: look at those lines; `s3xrep undo --skip-record LINE` goes on without them)")
            result = None
        except FileNotFoundError as exc:
            error, result = f"{exc}", None
        except Exception as exc:  # AwsError and anything boto3 raises: one line, never a traceback
            if not isinstance(exc, AwsError):
                log.exception("undo of %s failed", self.migration.plan_id)
            failure = exc if isinstance(exc, AwsError) else explain(exc)
            error = failure.message + (f" (fix: {failure.fix})" if failure.fix else "")
            result = None
        else:
            error = ""
        if not worker.is_cancelled:
            self.post_message(self.UndoAnswered(run, dry_run, result, error))

    @on(UndoItemDone)
    def _item_done(self, message: UndoScreen.UndoItemDone) -> None:
        if message.run == self.run:
            self._show_item(message.item)
            self._paint_summary()

    @on(UndoAnswered)
    def _answered(self, message: UndoScreen.UndoAnswered) -> None:
        if message.run != self.run:
            return
        self.running = False
        self.error = message.error
        if message.result is not None:
            for item in message.result.items:
                self._show_item(item)
            if message.dry_run:
                self.preview = message.result
            else:
                self.result = message.result
        self._paint_summary()
        self._paint_detail()
        self._set_confirm(message.dry_run)

    def _set_confirm(self, after_dry_run: bool) -> None:
        if self.error:
            self.confirm.freeze("Undo cannot start (see above): r previews again.")
        elif not after_dry_run:
            self.confirm.freeze("Undone." if self.result and self.result.ok
                                else "Some writes were not restored (see why): r previews what is left.")
        elif not self.items:
            self.confirm.freeze("Nothing to undo: every write of this plan is already undone.")
        elif self.s3xrep.read_only:
            self.confirm.freeze("Read-only mode: undo writes, so it is refused (the list above is the dry run).")
        else:
            self.confirm.thaw()
            self.confirm.input.focus()

    @on(ConfirmApply.Confirmed)
    def _confirmed(self, event: ConfirmApply.Confirmed) -> None:
        event.stop()
        if self.running or self.preview is None:
            return
        self.confirm.freeze("Undoing: each row changes as its write is restored…")
        self._start(dry_run=False)

    # --- painting ------------------------------------------------------------------------------

    def _show_item(self, item: UndoItem) -> None:
        key = item_key(item)
        cells = [Text(item.status, style=STYLES.get(item.status, "")), Text(item.account),
                 Text(item.call, overflow="ellipsis", no_wrap=True),
                 Text(item.message, overflow="ellipsis", no_wrap=True)]
        if key in self.items:
            for column, cell in zip(("status", "account", "what", "why"), cells, strict=True):
                self.table.update_cell(key, column, cell)
        else:
            self.table.add_row(*cells, key=key)
        self.items[key] = item
        self._paint_detail()

    def _paint_summary(self) -> None:
        m = self.migration
        text = Text.assemble(("Undo ", "bold"), (m.plan_id, "bold"), f": {m.source_bucket} → {m.destination_bucket}\n")
        if self.error:
            text.append(f"✗ {self.error}", style="red")
        elif self.running:
            text.append(f"Undoing… {len(self.items)} write(s) so far", style="bold")
        elif self.result is not None:
            text.append(f"Done: {self.result.summary()}", style="green" if self.result.ok else "yellow")
        elif self.preview is not None:
            counts = self.preview.summary()
            text.append(f"Preview (dry run, nothing changed): {counts}. Newest write first.")
        else:
            text.append("Reading the journal and the current state…", style="dim")
        self.query_one("#undo-summary", Static).update(text)

    @on(DataTable.RowHighlighted, "#undo-items")
    def _highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._paint_detail()

    def _paint_detail(self) -> None:
        row = self.table.cursor_row
        keys = list(self.items)
        if not keys or not 0 <= row < len(keys):
            self.query_one("#undo-detail", Static).update(Text("Nothing listed yet.", style="dim"))
            return
        item = self.items[keys[row]]
        text = Text.assemble((item.status, STYLES.get(item.status, "")), f" · {item.account} · {item.call} on ",
                             (item.target, "bold"), "\n", item.message)
        if item.fix:
            text.append("\nfix: ", style="bold")
            text.append(item.fix)
        self.query_one("#undo-detail", Static).update(text)

    def action_back(self) -> None:
        if self.running:
            self.notify("The undo is running: it ends on its own (each write is journaled as it goes).",
                        severity="warning")
            return
        self.app.pop_screen()
