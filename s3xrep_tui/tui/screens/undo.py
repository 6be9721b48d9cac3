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

from rich.text import Text
from textual.binding import Binding

from ...aws.migrations import Migration
from ...aws.undo import UndoItem, UndoResult, undo
from .teardown import Progress, TeardownScreen

STYLES = {"restored": "green", "deleted": "green", "cancelled": "green", "unchanged": "dim", "note": "yellow",
          "skipped": "yellow", "failed": "bold red", "would-restore": "cyan", "would-delete": "cyan",
          "would-cancel": "cyan"}


def item_key(item: UndoItem) -> str:
    return item.ref


class UndoScreen(TeardownScreen):
    class UndoAnswered(TeardownScreen.Answered):
        """A dry run (``preview``) or a real undo ended: ``result`` (an UndoResult) or ``error`` (one line)."""

    class UndoItemDone(TeardownScreen.ItemDone):
        """One journaled write undone (or skipped, failed) while the real undo runs."""

    ANSWERED, ITEM_DONE = UndoAnswered, UndoItemDone

    TITLE = "Undo"
    VERB = "Undo"
    READING = "Reading what undo would do (a dry run: nothing is changed)…"
    RUNNING = "Undoing: each row changes as its write is restored…"
    DONE = "Undone."
    NOT_DONE = "Some writes were not restored (see why): r previews what is left."
    BUSY = "The undo is running: it ends on its own (each write is journaled as it goes)."
    PREVIEW_TAIL = ". Newest write first."

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
        super().__init__(migration)
        self.preview: UndoResult | None = None
        self.result: UndoResult | None = None

    @property
    def items(self) -> dict[str, UndoItem]:
        """The writes listed, by row key (newest first)."""
        return self.listed

    def _columns(self, width: int) -> list[tuple[str, str, int]]:
        what = max(25, min(40, width - 60))  # s3.put_bucket_replication whole at 80 columns
        return [("status", "Would / did", 13), ("account", "Account", 11), ("what", "What", what),
                ("why", "Why", max(20, width - what - 36))]

    def _call(self, dry_run: bool, progress: Progress | None) -> UndoResult:
        clients = {"source": self.s3xrep.clients("source"), "destination": self.s3xrep.clients("destination")}
        return undo(self.migration.plan_id, clients, dry_run=dry_run, progress=progress)

    def _show_result(self, result: UndoResult) -> None:
        for item in result.items:
            self._show_item(item)

    def _show_item(self, item: UndoItem) -> None:
        self._show(item_key(item), item)

    def _cells(self, item: UndoItem) -> list[Text]:
        return [Text(item.status, style=STYLES.get(item.status, "")), Text(item.account),
                Text(item.call, overflow="ellipsis", no_wrap=True),
                Text(item.message, overflow="ellipsis", no_wrap=True)]

    def _detail(self, item: UndoItem) -> Text:
        text = Text.assemble((item.status, STYLES.get(item.status, "")), f" · {item.account} · {item.call} on ",
                             (item.target, "bold"), "\n", item.message)
        if item.fix:
            text.append("\nfix: ", style="bold")
            text.append(item.fix)
        return text

    def _not_ready(self) -> str | None:
        return None if self.items else "Nothing to undo: every write of this plan is already undone."

    def _running_line(self) -> str:
        return f"Undoing… {len(self.items)} write(s) so far"


__all__ = ["STYLES", "UndoScreen", "item_key"]
