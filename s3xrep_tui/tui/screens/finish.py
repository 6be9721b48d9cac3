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

from typing import Any

from rich.text import Text
from textual.binding import Binding

from ...aws.finish import FinishBlocked, FinishResult, finish, why
from ...aws.migrations import Migration
from ...core.finish import FinishRow, action_of, element_of
from ...core.text import safe
from .teardown import Progress, TeardownScreen, error_line

STYLES = {"remove": "cyan", "removed": "green", "gone": "dim", "stays": "yellow", "not removed": "bold yellow",
          "failed": "bold red"}


class FinishScreen(TeardownScreen):
    class FinishAnswered(TeardownScreen.Answered):
        """A preview (``dry_run``) or a real finish ended: ``result`` (a FinishResult) or ``error`` (one line)."""

    class FinishItemDone(TeardownScreen.ItemDone):
        """One journaled write taken down (or kept, skipped, failed) while the real finish runs."""

    ANSWERED, ITEM_DONE = FinishAnswered, FinishItemDone

    TITLE = "Finish"
    VERB = "Finish"
    READING = "Reading what finish would remove (a dry run: nothing is changed)…"
    RUNNING = "Finishing: each row changes as its element comes down…"
    DONE = "Finished: the report is now the migration's final record."
    NOT_DONE = "Some elements were not removed (see why): r previews what is left."
    BUSY = "Finish is running: it ends on its own (each element is journaled as it goes)."
    PREVIEW_TAIL = ". The data stays."
    FLAGS = ("flag",)

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
        super().__init__(migration)
        self.preview: FinishResult | None = None
        self.result: FinishResult | None = None
        self.flags = {"not_cut_over": False, "allow_pending": False}

    @property
    def rows(self) -> dict[str, FinishRow]:
        """The elements listed, by row key: what goes and what stays."""
        return self.listed

    def action_flag(self, flag: str) -> None:
        if self.running:
            return
        self.flags[flag] = not self.flags[flag]
        self.action_reload()

    def _columns(self, width: int) -> list[tuple[str, str, int]]:
        element = max(24, min(60, width - 52))
        return [("action", "Action", 11), ("account", "Account", 11), ("element", "Element", element),
                ("why", "Why", max(16, width - element - 30))]

    def _call(self, dry_run: bool, progress: Progress | None) -> FinishResult:
        clients = {"source": self.s3xrep.clients("source"), "destination": self.s3xrep.clients("destination")}
        return finish(self.migration.plan_id, clients, dry_run=dry_run, not_cut_over=self.flags["not_cut_over"],
                      allow_pending=self.flags["allow_pending"], progress=progress)

    def _error_text(self, exc: Exception) -> str:
        return error_line(exc, self.VERB, self.migration.plan_id, plain=(FileNotFoundError, FinishBlocked))

    def _show_result(self, result: FinishResult) -> None:
        self._clear()
        for number, row in enumerate(result.rows):
            self._show(f"row {number}", row)

    def _show_item(self, item: Any) -> None:
        self._show(f"write {item.ref}", FinishRow(element_of(item.call, item.target), item.account,
                                                  action_of(item.status), why(item)))

    def _cells(self, row: FinishRow) -> list[Text]:
        return [Text(row.action, style=STYLES.get(row.action, "")), Text(row.account),  # AWS names made visible:
                Text(safe(row.element), overflow="ellipsis", no_wrap=True),  # a Sid or rule ID is theirs
                Text(safe(row.why), overflow="ellipsis", no_wrap=True)]

    def _detail(self, row: FinishRow) -> Text:
        return Text.assemble((row.action, STYLES.get(row.action, "")), f" · {row.account} · ",
                             (safe(row.element), "bold"), "\n", safe(row.why))

    def _not_ready(self) -> str | None:
        preview = self.preview
        if preview is None or preview.already_finished or preview.undone:  # else record it, even if all is gone
            return "Nothing to do: " + (preview.summary() if preview else "no preview")
        if preview.blockers:
            return "Blocked (see above): c finishes without a cut-over, p despite PENDING versions."
        return None

    def _preview_lines(self, text: Text, preview: FinishResult) -> None:
        for warning in preview.warnings:
            text.append(f"\n! {safe(warning)}", style="yellow")
        for message, fix in preview.blockers:
            text.append(f"\n✗ {safe(message)}", style="red")
            text.append(f" (fix: {safe(fix)})")


__all__ = ["STYLES", "FinishScreen"]
