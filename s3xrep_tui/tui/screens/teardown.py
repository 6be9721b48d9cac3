"""What the undo and finish screens share: a dry run, the typed confirmation, then the real run row by row.

A teardown screen first runs its command's dry run (it reads the current
state, changes nothing, journals nothing) and lists each entry with its live
state and why. Typing the source bucket's name (the apply screen's
:class:`ConfirmApply`) starts the real run, whose rows then change one by one
as the AWS layer reports them (:class:`TeardownScreen.ItemDone`); the run's end
(:class:`TeardownScreen.Answered`) repaints the list, the summary and the
confirmation. Read-only mode refuses the real run in the AWS layer (the
preview still runs). No error reaches the screen as a traceback: each is one
line with its fix (:func:`error_line`).

A subclass names its command (:attr:`VERB`, also the prefix of the widgets'
ids), its columns and cells, the blocking call (:meth:`_call`) and the texts
that differ; its own messages subclass the two here, so each screen's
messages stay classes of that screen.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from ...aws.errors import AwsError, explain
from ...aws.journal import JournalDamaged
from ...aws.migrations import Migration
from ...core.text import safe
from ..widgets.confirm_apply import ConfirmApply
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from ..widgets.footer import Footer
from .base import AppScreen

log = logging.getLogger(__name__)
_runs = itertools.count(1)

Progress = Callable[[Any], None]


def error_line(exc: Exception, verb: str, plan_id: str,
               plain: tuple[type[Exception], ...] = (FileNotFoundError,)) -> str:
    """``exc`` as one line with its fix; anything not ours (nor one of ``plain``) is also logged with its traceback."""
    command = verb.lower()
    if isinstance(exc, JournalDamaged):
        lines = ", ".join(f"line {d.line} ({d.reason})" for d in exc.damaged)
        return (f"the journal {exc.path} is damaged ({lines}): {command} does not start, nothing was changed "
                f"(fix: look at those lines; `s3xrep {command} --skip-record LINE` goes on without them)")
    if isinstance(exc, plain):
        return str(exc)
    if not isinstance(exc, AwsError):
        log.exception("%s of %s failed", command, plan_id)
    failure = exc if isinstance(exc, AwsError) else explain(exc)
    return failure.message + (f" (fix: {failure.fix})" if failure.fix else "")


class TeardownScreen(AppScreen):
    class Answered(Message):
        """A dry run or a real run ended: ``result`` or ``error`` (one line)."""

        def __init__(self, run: int, dry_run: bool, result: Any = None, error: str = "") -> None:
            super().__init__()
            self.run = run
            self.dry_run = dry_run
            self.result = result
            self.error = error

    class ItemDone(Message):
        """One journaled write dealt with while the real run goes on."""

        def __init__(self, run: int, item: Any) -> None:
            super().__init__()
            self.run = run
            self.item = item

    VERB: ClassVar[str] = ""  # "Undo": the confirmation's verb, the texts' subject; "undo-…" the widgets' ids
    READING = ""  # the confirmation's line while the dry run reads
    RUNNING = ""  # the confirmation's line while the real run goes on
    DONE = ""  # ... after a real run that did everything
    NOT_DONE = ""  # ... after one that left something
    BUSY = ""  # the notice when Escape is pressed while the real run goes on
    PREVIEW_TAIL = ""  # the end of the summary's preview line
    FLAGS: ClassVar[tuple[str, ...]] = ()  # actions besides reload that only run while nothing runs

    # The subclass's own messages (subclasses of Answered and ItemDone), posted by the worker.
    ANSWERED: ClassVar[type[Answered]] = Answered
    ITEM_DONE: ClassVar[type[ItemDone]] = ItemDone

    def __init__(self, migration: Migration) -> None:
        super().__init__()
        self.migration = migration
        self.listed: dict[str, Any] = {}  # row key → the entry shown there (items or rows, by the subclass's name)
        self.preview: Any = None
        self.result: Any = None
        self.error = ""
        self.running = False
        self.run = 0
        self.prefix = self.VERB.lower()  # the widgets' ids: undo-summary, -items, -detail, -confirm
        self.column_keys: list[str] = []  # the table's column keys, in the order _cells gives the cells

    # --- what a subclass says ------------------------------------------------------------------

    def _columns(self, width: int) -> list[tuple[str, str, int]]:
        """(key, label, width) of each column at a terminal ``width`` columns wide."""
        raise NotImplementedError

    def _call(self, dry_run: bool, progress: Progress | None) -> Any:
        """The blocking run (in a thread): its result, or an exception :meth:`_error_text` says in one line."""
        raise NotImplementedError

    def _error_text(self, exc: Exception) -> str:
        return error_line(exc, self.VERB, self.migration.plan_id)

    def _show_result(self, result: Any) -> None:
        """Every entry of a run's result into the table."""
        raise NotImplementedError

    def _show_item(self, item: Any) -> None:
        """One entry the real run reported as it went."""
        raise NotImplementedError

    def _cells(self, entry: Any) -> list[Text]:
        raise NotImplementedError

    def _detail(self, entry: Any) -> Text:
        raise NotImplementedError

    def _not_ready(self) -> str | None:
        """After a dry run without error: why the confirmation stays closed (before read-only), or None."""
        return None

    def _running_line(self) -> str:
        return f"{self.VERB}ing…"

    def _preview_lines(self, text: Text, preview: Any) -> None:
        """Lines of the preview's own (warnings, blockers) below the summary's preview line."""

    # --- the widgets ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE or self.VERB, demo=self.s3xrep.demo, trail=("Migrations",), migration=self.migration)
        yield Static(id=f"{self.prefix}-summary")
        yield FixedTable(id=f"{self.prefix}-items", cursor_type="row")
        yield Static(id=f"{self.prefix}-detail")
        yield ConfirmApply(self.migration.source_bucket or "?", verb=self.VERB, id=f"{self.prefix}-confirm")
        yield Footer()

    @property
    def table(self) -> FixedTable:
        return self.query_one(f"#{self.prefix}-items", FixedTable)

    @property
    def confirm(self) -> ConfirmApply:
        return self.query_one(ConfirmApply)

    def on_mount(self) -> None:
        for key, label, size in self._columns(self.app.size.width):
            self.table.add_column(label, key=key, width=size)
            self.column_keys.append(key)
        self.query_one(f"#{self.prefix}-detail").border_title = "why"
        self.confirm.freeze(self.READING)
        self.action_reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("confirm_typed", "to_items"):
            return self.is_mounted and self.focused is self.confirm.input
        if action == "reload" or action in self.FLAGS:
            return None if self.running else True
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # Enter and Tab act only in the confirmation field

    async def action_confirm_typed(self) -> None:
        await self.confirm.input.action_submit()

    def action_to_items(self) -> None:
        self.table.focus()

    # --- the runs ------------------------------------------------------------------------------

    def action_reload(self) -> None:
        if not self.running:
            self._start(dry_run=True)

    def _start(self, *, dry_run: bool) -> None:
        self.run = next(_runs)
        self.running = not dry_run
        self.error = ""
        if dry_run:
            self._clear()
        self._paint_summary()
        self._in_thread(self.run, dry_run)

    def _clear(self) -> None:
        self.listed.clear()
        self.table.clear()

    @work(thread=True, exclusive=True, group="teardown", exit_on_error=False)
    def _in_thread(self, run: int, dry_run: bool) -> None:
        worker = get_current_worker()
        result, error = None, ""

        def told(item: Any) -> None:
            self.post_message(self.ITEM_DONE(run, item))

        try:
            result = self._call(dry_run, None if dry_run else told)
        except Exception as exc:  # AwsError, a refusal, anything boto3 raises: one line, never a traceback
            error = self._error_text(exc)
        if not worker.is_cancelled:
            self.post_message(self.ANSWERED(run, dry_run, result, error))

    @on(ItemDone)
    def _item_done(self, message: TeardownScreen.ItemDone) -> None:
        if message.run == self.run:
            self._show_item(message.item)
            self._paint_summary()

    @on(Answered)
    def _answered(self, message: TeardownScreen.Answered) -> None:
        if message.run != self.run:
            return
        self.running = False
        self.error = message.error
        if message.result is not None:
            self._show_result(message.result)
            if message.dry_run:
                self.preview = message.result
            else:
                self.result = message.result
        self._paint_summary()
        self._paint_detail()
        self._set_confirm(message.dry_run)

    def _set_confirm(self, after_dry_run: bool) -> None:
        why_not = None if self.error or not after_dry_run else self._not_ready()
        if self.error:
            self.confirm.freeze(f"{self.VERB} cannot start (see above): r previews again.")
        elif not after_dry_run:
            self.confirm.freeze(self.DONE if self.result and self.result.ok else self.NOT_DONE)
        elif why_not is not None:
            self.confirm.freeze(why_not)
        elif self.s3xrep.read_only:
            self.confirm.freeze(f"Read-only mode: {self.VERB.lower()} writes, so it is refused "
                                "(the list above is the dry run).")
        else:
            self.confirm.thaw()
            self.confirm.input.focus()

    @on(ConfirmApply.Confirmed)
    def _confirmed(self, event: ConfirmApply.Confirmed) -> None:
        event.stop()
        if self.running or self.preview is None:
            return
        self.confirm.freeze(self.RUNNING)
        self._start(dry_run=False)

    # --- painting ------------------------------------------------------------------------------

    def _show(self, key: str, entry: Any) -> None:
        cells = self._cells(entry)
        if key in self.listed:
            for column, cell in zip(self.column_keys, cells, strict=True):
                self.table.update_cell(key, column, cell)
        else:
            self.table.add_row(*cells, key=key)
        self.listed[key] = entry
        self._paint_detail()

    def _paint_summary(self) -> None:
        m = self.migration
        text = Text.assemble((f"{self.VERB} ", "bold"), (m.plan_id, "bold"),
                             f": {m.source_bucket} → {m.destination_bucket}\n")
        if self.error:
            text.append(f"✗ {safe(self.error)}", style="red")
        elif self.running:
            text.append(self._running_line(), style="bold")
        elif self.result is not None:
            text.append(f"Done: {self.result.summary()}", style="green" if self.result.ok else "yellow")
        elif self.preview is not None:
            text.append(f"Preview (dry run, nothing changed): {self.preview.summary()}{self.PREVIEW_TAIL}")
            self._preview_lines(text, self.preview)
        else:
            text.append("Reading the journal and the current state…", style="dim")
        self.query_one(f"#{self.prefix}-summary", Static).update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.table:
            self._paint_detail()

    def _paint_detail(self) -> None:
        row = self.table.cursor_row
        keys = list(self.listed)
        detail = self.query_one(f"#{self.prefix}-detail", Static)
        if not keys or not 0 <= row < len(keys):
            detail.update(Text("Nothing listed yet.", style="dim"))
        else:
            detail.update(self._detail(self.listed[keys[row]]))

    def action_back(self) -> None:
        if self.running:
            self.notify(self.BUSY, severity="warning")
            return
        self.app.pop_screen()


__all__ = ["Progress", "TeardownScreen", "error_line"]
