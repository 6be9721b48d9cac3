"""The cut-over screen: the go/no-go checklist, and the cut-over after the typed confirmation.

Opened from the Verify screen (``g``). A thread worker measures the checklist
(:func:`..aws.cutover.measure`, facts read again); each row says its verdict in a word
(GO, BLOCKED, UNKNOWN, N/A) as well as in colour, its measured value and what go needs,
and what blocks is listed under the table. ``f`` turns the write freeze on or off, ``c``
(only while nothing but the backlog and the verify block: the cut-over drains and verifies
itself) asks for the destination bucket's name and runs the cut-over in a worker: the
freeze, the final drain (progress shown), the final verify and the journal's record.
Every string from AWS reaches the screen as plain Text.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ...aws.errors import AwsError
from ...core.cutover import VERDICT_WORDS, Checklist
from ...core.text import safe
from ..widgets.confirm_apply import ConfirmApply
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from ..widgets.jobs_table import shorten
from . import cutover_flow as flow
from .base import AppScreen

_runs = itertools.count(1)
VERDICT_STYLES = {"go": "bold green", "blocked": "bold red", "unknown": "bold yellow", "n/a": "dim"}


def verdict_text(checklist: Checklist) -> Text:
    if checklist.go:
        return Text.assemble(("GO ", "bold green"), f"every item is green: {checklist.source_bucket} -> "
                             f"{checklist.destination_bucket} may cut over")
    blocking = checklist.blocking
    return Text.assemble(("NO-GO ", "bold red"), f"{len(blocking)} item(s) block: "
                         + ", ".join(item.label for item in blocking))


def blocks_text(checklist: Checklist) -> Text:
    text = Text()
    for item in checklist.blocking:
        if text:
            text.append("\n")
        text.append(f"{VERDICT_WORDS[item.verdict]} ", style=VERDICT_STYLES[item.verdict])
        text.append(safe(f"{item.label}: {item.blocks or item.measured}"))
    return text


class CutoverConfirm(ModalScreen[bool]):
    """What the cut-over does, and the destination bucket's name typed to start it."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    CutoverConfirm { align: center middle; }
    CutoverConfirm > VerticalScroll { width: 90%; height: 90%; border: round $warning; padding: 0 1; }
    CutoverConfirm Static { height: auto; }
    """

    def __init__(self, destination: str, steps: str, freeze: dict[str, Any] | None) -> None:
        super().__init__()
        self.destination, self.steps, self.freeze = destination, steps, freeze

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(safe(self.steps, newlines=True)), id="cutover-steps")
            yield ConfirmApply(self.destination, verb="Cut over", id="cutover-confirm")
            if self.freeze is not None:
                yield Static(Text(safe("write freeze statement (merged by Sid):\n" + json.dumps(self.freeze, indent=1),
                                       newlines=True), style="dim"), id="cutover-freeze-doc")

    def on_mount(self) -> None:
        confirm = self.query_one(ConfirmApply)
        confirm.query_one("#confirm-label", Static).update(
            Text.assemble("Type the destination bucket's name (", (self.destination, "bold"), ") to cut over:"))
        confirm.input.placeholder = "destination bucket name"
        confirm.input.focus()

    @on(ConfirmApply.Confirmed)
    def _confirmed(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class CutoverScreen(AppScreen):
    TITLE = "Cut-over"
    BINDINGS = [
        Binding("c", "cutover", "Cut over"),
        Binding("r", "check", "Check again"),
        Binding("f", "toggle_freeze", "Freeze on/off"),
        Binding("escape", "back", "Back"),
    ]
    FOOTER_FIRST = ("c", "r", "f", "escape")
    DEFAULT_CSS = """
    CutoverScreen #cutover-verdict { height: auto; padding: 0 1; border: round $primary-darken-2; }
    CutoverScreen #checklist { height: auto; max-height: 1fr; }
    CutoverScreen #cutover-blocks { height: auto; padding: 0 1; }
    CutoverScreen #cutover-status { height: auto; padding: 0 1; }
    """

    class Measured(Message):
        def __init__(self, run: int, checklist: Checklist | None, error: AwsError | None = None) -> None:
            super().__init__()
            self.run, self.checklist, self.error = run, checklist, error

    class Progressed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Finished(Message):
        def __init__(self, text: str, ok: bool) -> None:
            super().__init__()
            self.text, self.ok = text, ok

    def __init__(self, *, measurer: Callable[[Any], Checklist] | None = None,
                 cutter: Callable[..., tuple[str, bool]] | None = None, freeze: bool = True,
                 target: Any = None) -> None:
        """``measurer(target)`` / ``cutter(target, freeze, say, cancel, checklist)``: the aws work, and
        ``target`` (plan, clients, options, read-only): what they work on (screenshots pin all three)."""
        super().__init__()
        self.target = target
        self.measurer = measurer or flow.measure_now
        self.cutter = cutter or flow.cut_over
        self.freeze = freeze
        self.checklist: Checklist | None = None
        self.state = "idle"  # "measuring" | "idle" | "cutting" | "done"
        self.run_number = 0
        self.cancel: threading.Event | None = None
        self.outcome: tuple[str, bool] | None = None

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=getattr(self.app, "demo", False), show_buckets=True)
        yield Static(Text("measuring the go/no-go checklist…", style="dim"), id="cutover-verdict")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="checklist")
        yield Static(id="cutover-blocks")
        yield Static(id="cutover-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#checklist", DataTable)
        wide = self.app.size.width >= 120
        widths = (9, 24, 44, 60) if wide else (9, 20, 27, 16)
        for (key, label), width in zip((("verdict", "verdict"), ("item", "item"), ("measured", "measured"),
                                        ("limit", "go needs")), widths):
            table.add_column(label, key=key, width=width)
        self._freeze_line()
        self.action_check()

    def on_unmount(self) -> None:
        if self.cancel is not None:
            self.cancel.set()

    def _target(self) -> Any:
        return self.target if self.target is not None else flow.targets(self.s3xrep)

    def _freeze_line(self) -> None:
        if self.state in ("cutting", "done"):
            return
        self.query_one("#cutover-status", Static).update(Text.assemble(
            ("write freeze: ", "bold"), ("ON" if self.freeze else "OFF", "bold"),
            " (f toggles)" + (": object writes on the source denied to all but the replication roles"
                              if self.freeze else "")))

    def action_check(self) -> None:
        if self.state in ("measuring", "cutting"):
            return
        try:
            target = self._target()
        except (ValueError, RuntimeError) as exc:
            self._show_error(AwsError(str(exc), "go back and apply the plan first", "NoPlan"))
            return
        self.state = "measuring"
        self.run_number = run = next(_runs)
        self.refresh_bindings()

        def work() -> None:
            try:
                checklist, error = self.measurer(target), None
            except AwsError as exc:
                checklist, error = None, exc
            except Exception as exc:  # noqa: BLE001  no traceback reaches the screen
                checklist, error = None, AwsError(str(exc), "check the log, then press r", "Unexpected")
            self.post_message(self.Measured(run, checklist, error))

        self.run_worker(work, name="cutover-check", group="cutover", thread=True, exit_on_error=False)

    @on(Measured)
    def _measured(self, message: CutoverScreen.Measured) -> None:
        if message.run != self.run_number:
            return
        self.state = "idle" if self.state != "done" else "done"
        if message.error is not None or message.checklist is None:
            self._show_error(message.error)
        else:
            self.show(message.checklist)
        self.refresh_bindings()

    def show(self, checklist: Checklist) -> None:
        self.checklist = checklist
        self.query_one("#cutover-verdict", Static).update(verdict_text(checklist))
        table = self.query_one("#checklist", DataTable)
        table.clear()
        widths = [column.width for column in table.columns.values()]
        for item in checklist.items:
            table.add_row(Text(VERDICT_WORDS[item.verdict], style=VERDICT_STYLES[item.verdict]),
                          Text(shorten(safe(item.label), widths[1])), Text(shorten(safe(item.measured), widths[2])),
                          Text(shorten(safe(item.limit), widths[3]), style="dim"), key=item.id)
        self.query_one("#cutover-blocks", Static).update(blocks_text(checklist))

    def _show_error(self, error: AwsError | None) -> None:
        error = error or AwsError("the checklist could not be measured", "press r to try again", "Unknown")
        self.query_one("#cutover-verdict", Static).update(Text.assemble(
            ("UNKNOWN ", "bold yellow"), safe(error.message), "\n  ", ("fix: ", "bold"), safe(error.fix)))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cutover":  # shown greyed while something blocks, so the key is known
            ready = self.state == "idle" and self.checklist is not None and flow.may_cut_over(self.checklist)
            return True if ready else None
        if action == "toggle_freeze":
            return self.state in ("idle", "measuring")
        return True

    def action_toggle_freeze(self) -> None:
        self.freeze = not self.freeze
        self._freeze_line()

    def action_cutover(self) -> None:
        if self.checklist is None or not flow.may_cut_over(self.checklist):
            return
        target = self._target()
        plan = target[0]
        steps = flow.steps_text(plan, self.freeze)
        freeze_doc = flow.freeze_document(plan) if self.freeze else None

        measured = self.checklist

        def decided(go: bool | None) -> None:
            if not go:
                return
            self.state = "cutting"
            self.cancel = cancel = threading.Event()
            self.refresh_bindings()
            freeze, checklist = self.freeze, measured

            def say(line: str) -> None:
                self.post_message(self.Progressed(line))

            def work() -> None:
                try:
                    text, ok = self.cutter(target, freeze, say, cancel, checklist)
                except Exception as exc:  # noqa: BLE001  AwsError, a refused merge: one line, no traceback
                    text, ok = flow.one_line(exc), False
                self.post_message(self.Finished(text, ok))

            self.run_worker(work, name="cutover-run", group="cutover", thread=True, exit_on_error=False)

        self.app.push_screen(CutoverConfirm(plan.destination.name, steps, freeze_doc), decided)

    @on(Progressed)
    def _progressed(self, message: CutoverScreen.Progressed) -> None:
        self.query_one("#cutover-status", Static).update(Text(safe(message.text), style="dim"))

    @on(Finished)
    def _finished(self, message: CutoverScreen.Finished) -> None:
        self.state = "done"
        self.outcome = (message.text, message.ok)
        word = ("DONE ", "bold green") if message.ok else ("NOT DONE ", "bold red")
        self.query_one("#cutover-status", Static).update(Text.assemble(word, safe(message.text, newlines=True)))
        self.refresh_bindings()

    def action_back(self) -> None:
        if self.cancel is not None:
            self.cancel.set()
        self.app.pop_screen()
