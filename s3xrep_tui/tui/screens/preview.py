"""Step 4: the whole plan before anything is written.

Findings first (blocking ones with their fix; while any blocks, ``a`` is
refused with the reason), then one tab per document the plan writes (its
JSON highlighted, a line per statement or rule, a diff against what is
deployed now), a tab of the ordered steps, and a Cost tab: the cost and time
estimate (CloudWatch's storage figures and AWS's prices, read in a worker).

Keys: ``c`` copies the current tab's document (OSC 52, so it reaches the
clipboard of the terminal the user sits at, over SSH too), ``e`` exports all
documents to a private folder, ``a`` goes to apply, ``tab``/``shift+tab`` or
``1``..``9`` (and ``left``/``right`` on the tab bar) switch tabs; arrows and
page keys scroll the JSON, ``[``/``]`` page the diff.

The documents are the product, so they get the rows: below 120 columns the
diff is behind the JSON (``d`` swaps), below 36 rows the statement notes are
too (``n``) and the findings are one summary line (``f`` opens them).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TabbedContent, TabPane, Tabs
from textual.worker import get_current_worker

from ...commands.plan import plan_json, write_documents
from ...core.diff import document_diff
from ...core.models import Plan, PlanInputs
from ...locations import private_dir
from ..clipboard import copy_text
from ..widgets.context_bar import ContextBar
from ..widgets.cost_panel import CostPanel, EstimateReady
from ..widgets.document_view import DocumentView, JsonView, title_of
from ..widgets.findings_list import FindingsList, count_line
from ..widgets.footer import Footer
from ..widgets.json_diff import DiffView
from ..widgets.steps_table import StepsTable
from .base import AppScreen

log = logging.getLogger(__name__)

STEPS_TAB = "tab-steps"
COST_TAB = "tab-cost"  # the cost and time estimate, after the steps
WIDE_COLUMNS = 120  # the diff beside the JSON from here
TALL_ROWS = 36  # the findings and the notes above the JSON from here
APPLY_UNAVAILABLE = "apply screen not available in this build"


def present_documents(plan: Plan) -> dict[str, object]:
    """The documents the plan writes (``None`` means not part of this plan)."""
    return {name: document for name, document in plan.documents.items() if document is not None}


def export_documents(plan: Plan, folder: Path, estimate: Any = None) -> list[Path]:
    """Each document as ``<name>.json`` plus ``plan.json`` (findings, documents, steps), 0600 in a 0700 folder.

    The files are written by ``commands.plan.write_documents`` (the CLI's ``--out``: 0600,
    never through a link planted at a name), into a folder made private first.
    """
    # absolute but not resolved: resolving first would follow every link unchecked, another user's too
    folder = private_dir(Path(os.path.abspath(folder.expanduser())))
    documents = present_documents(plan)
    documents["plan"] = plan_json(plan, estimate)
    write_documents(documents, folder)
    return [folder / f"{name}.json" for name in documents]


def blocking_reason(plan: Plan) -> str:
    blocking = [f for f in plan.findings if f.severity == "blocking"]
    first = blocking[0]
    more = f" (and {len(blocking) - 1} more blocking)" if len(blocking) > 1 else ""
    return f"{first.message}{more} Fix: {first.fix}"


class ExportScreen(ModalScreen[Path | None]):
    """Asks for the folder to export to; Enter writes, Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 90; max-width: 100%; height: auto; border: round $primary; background: $surface; padding: 0 1;
    }
    ExportScreen .note { color: $text-muted; }
    """

    def __init__(self, default: str, count: int) -> None:
        super().__init__()
        self._default = default
        self._count = count

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Export the documents"
            box.border_subtitle = "Enter writes · Esc cancels"
            yield Static(Text(f"{self._count} documents and plan.json, as <name>.json, into the folder:"))
            yield Input(value=self._default, id="folder")
            yield Static(Text("Files are 0600 in a 0700 folder (they name your accounts and roles)."), classes="note")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self.dismiss(Path(value) if value else None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PreviewScreen(AppScreen):
    TITLE = "Accounts › Buckets › Options › Preview"

    BINDINGS = [
        Binding("a", "apply", "Apply"),
        Binding("d", "toggle_view('diff')", "Diff"),
        Binding("n", "toggle_view('notes')", "Notes"),
        Binding("f", "toggle_findings", "Findings"),
        Binding("c", "copy", "Copy"),
        Binding("e", "export", "Export"),
        Binding("tab", "next_tab", "Next tab", priority=True),
        Binding("shift+tab", "previous_tab", "Previous tab", show=False, priority=True),
        *(Binding(str(n), f"show_tab({n})", f"Tab {n}", show=False) for n in range(1, 10)),
        # Steps and Cost by letter: a plan with alarms and inventories has more than nine documents
        Binding("s", f"show_pane('{STEPS_TAB}')", "Steps tab", show=False),
        Binding("dollar_sign", f"show_pane('{COST_TAB}')", "Cost tab", show=False),
        *(Binding(key, f"scroll('{key}')", f"Scroll {key}", show=False)
          for key in ("up", "down", "pageup", "pagedown", "home", "end")),
        Binding("left_square_bracket", "scroll_diff('pageup')", "Diff page up", show=False),
        Binding("right_square_bracket", "scroll_diff('pagedown')", "Diff page down", show=False),
    ]
    FOOTER_FIRST = ("a", "tab", "d", "n", "f")

    DEFAULT_CSS = """
    PreviewScreen #summary { height: auto; max-height: 2; padding: 0 1; background: $boost;
                             text-wrap: nowrap; text-overflow: ellipsis; }
    PreviewScreen #message { height: auto; max-height: 2; padding: 0 1; display: none; }
    PreviewScreen #message.-shown { display: block; }
    PreviewScreen #findings-line { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    PreviewScreen FindingsList { height: auto; max-height: 8; }
    PreviewScreen FindingsList.-opened { max-height: 50%; }
    PreviewScreen TabbedContent { height: 1fr; }
    PreviewScreen TabPane { padding: 0; height: 1fr; }
    PreviewScreen #empty { padding: 1 2; }
    """

    def __init__(self, plan: Plan | None = None, inputs: PlanInputs | None = None) -> None:
        """``plan`` defaults to ``app.plan``; ``inputs`` (what is deployed, for the diffs) to what the
        options screen below built that plan from."""
        super().__init__()
        self._plan = plan
        self._inputs = inputs
        self.last_refusal = ""  # why the last ``a`` was refused (also shown as a notification)
        self.last_message = ""  # the last copy/export report
        self.view_mode = "json"  # what a narrow or short terminal shows of each document (d, n)
        self.findings_open: bool | None = None  # None: open when there is height for them (f toggles)
        self.estimate: Any = None  # core.estimate_model.Estimate, once the worker made it

    @property
    def plan(self) -> Plan | None:
        return self._plan if self._plan is not None else getattr(self.app, "plan", None)

    @property
    def inputs(self) -> PlanInputs | None:
        if self._inputs is not None:
            return self._inputs
        plan = self.plan
        for screen in reversed(self.app.screen_stack):
            inputs = getattr(screen, "plan_inputs", None)
            if isinstance(inputs, PlanInputs) and getattr(screen, "plan", None) is plan:
                return inputs
        return None

    # --- building ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, show_buckets=True)
        plan = self.plan
        if plan is None:
            yield Static(Text("No plan yet: go back (Esc) to the options."), id="empty")
            yield Footer()
            return
        yield Static(self._summary(plan), id="summary")
        yield Static(id="message")  # the last copy or export: a path is read later, not only in a toast
        yield Static(id="findings-line")
        yield FindingsList("Findings", id="findings")
        inputs = self.inputs
        with TabbedContent(id="tabs"):
            number = 0
            for number, (name, document) in enumerate(present_documents(plan).items(), start=1):
                diff = document_diff(name, plan, inputs) if inputs is not None else None
                with TabPane(f"{number} {title_of(name)}", id=f"tab-{name}"):
                    yield DocumentView(name, document, plan, diff, id=f"doc-{name}")
            with TabPane("s Steps", id=STEPS_TAB):
                yield StepsTable(plan.steps, id="steps")
            with TabPane("$ Cost", id=COST_TAB):
                yield CostPanel(id="cost")
        yield Footer()

    def on_mount(self) -> None:
        plan = self.plan
        if plan is None:
            return
        self.query_one(FindingsList).show(plan.findings, note="fix blocking ones on the options screen (Esc)"
                                          if plan.blocked else "")
        self.query_one("#findings-line", Static).update(self._findings_line(plan))
        self.tabs.focus()
        self.fit_layout()
        self._start_estimate(plan)

    # --- the cost and time estimate, read in a worker -----------------------------------------

    def _start_estimate(self, plan: Plan) -> None:
        inputs = self.inputs
        if self.estimate is not None or inputs is None:
            if self.estimate is None:
                self.query_one(CostPanel).show(None, "the plan's inputs are not known here")
            else:
                self.query_one(CostPanel).show(self.estimate)
            return
        self.run_worker(lambda: self._estimate_in_thread(plan, inputs), name="estimate the cost",
                        group="preview-estimate", exclusive=True, thread=True, exit_on_error=False)

    def _estimate_in_thread(self, plan: Plan, inputs: PlanInputs) -> None:
        # boto3 (through aws.estimate) is loaded with the first estimate, not with the screen
        from ...aws import results
        from ...aws.errors import explain
        from ...aws.estimate import estimate_inputs

        worker = get_current_worker()
        plan_id = plan.id
        try:
            estimate = estimate_inputs(self.s3xrep.clients("source"), inputs, plan=plan)
            results.record_estimate(plan_id, estimate.as_dict())
        except Exception as exc:  # a refusal is a note of the estimate; this is anything else: one line, the log
            log.exception("estimating plan %s failed", plan_id)
            error = explain(exc)
            if not worker.is_cancelled:
                self.post_message(EstimateReady(plan_id, None, error.message))
            return
        if not worker.is_cancelled:
            self.post_message(EstimateReady(plan_id, estimate))

    @on(EstimateReady)
    def _estimated(self, message: EstimateReady) -> None:
        plan = self.plan
        if plan is None or message.plan_id != plan.id:
            return
        self.estimate = message.estimate
        self.query_one(CostPanel).show(message.estimate, message.error)

    def on_resize(self) -> None:
        self.fit_layout()

    @property
    def beside(self) -> bool:
        """Width for the diff beside the JSON."""
        return self.size.width >= WIDE_COLUMNS

    @property
    def tall(self) -> bool:
        """Height for the findings and the notes above the JSON."""
        return self.size.height >= TALL_ROWS

    def fit_layout(self) -> None:
        """Fit the findings, notes, JSON and diff to the terminal (see the module's doc)."""
        if self.plan is None or not self.is_mounted:
            return
        opened = self.tall if self.findings_open is None else self.findings_open
        findings = self.query_one(FindingsList)
        findings.display = opened
        findings.set_class(bool(self.findings_open), "-opened")
        self.query_one("#findings-line", Static).display = not opened
        for view in self.query(DocumentView):
            view.fit_layout(beside=self.beside, notes_on_top=self.tall, mode=self.view_mode)
        self.refresh_bindings()

    def _findings_line(self, plan: Plan) -> Text:
        """The findings in one line: their counts and the first that blocks (else warns)."""
        counts = count_line(plan.findings)
        first = next((f for severity in ("blocking", "warning") for f in plan.findings if f.severity == severity), None)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("Findings: ", style="bold")
        text.append(counts, style="bold red" if plan.blocked else "")
        text.append(" · f shows them", style="dim")
        if first is not None:
            text.append(" · ")
            text.append(first.message)
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """d and n only where the diff or the notes are behind the JSON (a narrow or short terminal)."""
        if action == "toggle_view" and self.plan is not None:
            return not (self.beside if parameters == ("diff",) else self.tall)
        if action in ("toggle_view", "toggle_findings") and self.plan is None:
            return False
        return True

    def action_toggle_view(self, mode: str) -> None:
        self.view_mode = "json" if self.view_mode == mode else mode
        self.fit_layout()

    def action_toggle_findings(self) -> None:
        shown = self.query_one(FindingsList).display
        self.findings_open = not shown
        self.fit_layout()

    def _summary(self, plan: Plan) -> Text:
        run = sum(1 for s in plan.steps if s.action != "no-op")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"Plan {plan.id}", style="bold")
        text.append(f" · {plan.source.region or '?'} → {plan.destination.region or '?'}")
        text.append(f" · {len(plan.steps)} steps, {run} to run · {len(present_documents(plan))} documents\n")
        if plan.blocked:
            text.append("✗ BLOCKED", style="bold red")
            text.append(": apply is refused until the blocking findings are fixed (Esc: back to the options).")
        else:
            text.append("✓ Ready", style="bold green")
            text.append(": review each tab, then a to apply · c copies the tab's document · e exports them all.")
        return text

    # --- tabs ------------------------------------------------------------------------------

    def tab_ids(self) -> list[str]:
        return [pane.id for pane in self.query_one(TabbedContent).query(TabPane) if pane.id]

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    @property
    def tabs(self) -> Tabs:
        return self.query_one(TabbedContent).query_one(Tabs)

    def _switch(self, tab_id: str) -> None:
        """Show ``tab_id``. Focus stays on (or goes back to) the tab bar, never into a pane:
        focusing a pane's widget makes TabbedContent switch to that pane a moment later,
        which would undo a fast run of tab presses."""
        self.query_one(TabbedContent).active = tab_id
        focused = self.focused
        if focused is not None and focused is not self.tabs and any(isinstance(a, TabPane) for a in focused.ancestors):
            self.tabs.focus()

    def _active_pane(self) -> TabPane | None:
        active = self.active_tab
        return self.query_one(f"#{active}", TabPane) if active else None

    def _step_tab(self, delta: int) -> None:
        if self.plan is None:
            return
        ids = self.tab_ids()
        index = ids.index(self.active_tab) if self.active_tab in ids else 0
        self._switch(ids[(index + delta) % len(ids)])

    def action_next_tab(self) -> None:
        self._step_tab(1)

    def action_previous_tab(self) -> None:
        self._step_tab(-1)

    def tab_key(self, tab_id: str) -> str:
        """The key that shows ``tab_id``: its digit (documents 1-9), ``s`` for Steps, ``$`` for Cost ('' none)."""
        if tab_id == STEPS_TAB:
            return "s"
        if tab_id == COST_TAB:
            return "dollar_sign"
        documents = [tab for tab in self.tab_ids() if tab not in (STEPS_TAB, COST_TAB)]
        number = documents.index(tab_id) + 1 if tab_id in documents else 0
        return str(number) if 1 <= number <= 9 else ""

    def action_show_pane(self, pane_id: str) -> None:
        if self.plan is not None:
            self._switch(pane_id)

    def action_show_tab(self, number: int) -> None:
        if self.plan is None:
            return
        documents = [tab for tab in self.tab_ids() if tab not in (STEPS_TAB, COST_TAB)]  # digits are documents
        if 1 <= number <= len(documents):
            self._switch(documents[number - 1])

    def action_scroll(self, how: str) -> None:
        """Arrows and page keys scroll the current tab's JSON (move through the steps on Steps)."""
        pane = self._active_pane()
        if pane is None:
            return
        if pane.id == COST_TAB:
            self._scroll(pane.query_one(CostPanel), how)
            return
        if pane.id == STEPS_TAB:
            table = pane.query_one(StepsTable)
            moves = {"up": table.action_cursor_up, "down": table.action_cursor_down,
                     "pageup": table.action_page_up, "pagedown": table.action_page_down,
                     "home": table.action_scroll_top, "end": table.action_scroll_bottom}
            moves.get(how, lambda: None)()
            return
        if self.view_mode == "diff" and not self.beside:
            self._scroll(pane.query_one(DiffView), how)
        elif self.view_mode == "notes" and not self.tall:
            self._scroll(pane.query_one(".explain"), how)
        else:
            self._scroll(pane.query_one(JsonView), how)

    def action_scroll_diff(self, how: str) -> None:
        """``[`` and ``]`` page the current tab's diff."""
        pane = self._active_pane()
        if pane is not None and pane.id not in (STEPS_TAB, COST_TAB):
            self._scroll(pane.query_one(DiffView), how)

    @staticmethod
    def _scroll(view: Any, how: str) -> None:
        actions = {"up": view.scroll_up, "down": view.scroll_down, "pageup": view.scroll_page_up,
                   "pagedown": view.scroll_page_down, "home": view.scroll_home, "end": view.scroll_end,
                   "left": view.scroll_left, "right": view.scroll_right}
        actions[how](animate=False)

    # --- copy, export, apply -----------------------------------------------------------------

    def current_document(self) -> tuple[str, str] | None:
        """(name, text) of what the current tab shows: a document's JSON, or the steps as JSON."""
        plan = self.plan
        if plan is None:
            return None
        active = self.active_tab
        if active == STEPS_TAB:
            return "the steps", json.dumps([step.model_dump() for step in plan.steps], indent=2)
        if active == COST_TAB:
            estimate = self.estimate.as_dict() if self.estimate is not None else None
            return "the estimate", json.dumps(estimate, indent=2)
        view = self.query_one(f"#{active}", TabPane).query_one(DocumentView)
        return view.document_name, view.text

    def action_copy(self) -> None:
        current = self.current_document()
        if current is None:
            return
        name, text = current
        copied = copy_text(self.app, text)
        self.last_message = copied.describe(name)
        self._show_message()
        self.notify(self.last_message, title="Copied")

    def action_export(self) -> None:
        plan = self.plan
        if plan is None:
            return
        default = f"./s3xrep-{plan.id}"
        self.app.push_screen(ExportScreen(default, len(present_documents(plan))), self._export_to)

    def _export_to(self, folder: Path | None) -> None:
        plan = self.plan
        if folder is None or plan is None:
            return
        try:
            written = export_documents(plan, folder, self.estimate)
        except OSError as exc:
            self.last_message = f"Could not write to {folder}: {exc.strerror or exc}"
            self._show_message()
            self.notify(f"{self.last_message}\nfix: choose a folder you can write to (e again)",
                        title="Export failed", severity="error")
            return
        where = written[0].parent if written else folder
        self.last_message = f"Wrote {len(written)} files to {where} (0600 in a 0700 folder)."
        log.info("exported plan %s to %s", plan.id, where)
        self._show_message()
        self.notify(self.last_message, title="Exported")

    def _show_message(self) -> None:
        message = self.query_one("#message", Static)
        message.set_class(bool(self.last_message), "-shown")
        message.update(Text(self.last_message))

    def action_apply(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if plan.blocked:
            self.last_refusal = f"Apply refused: {blocking_reason(plan)}"
            self.notify(self.last_refusal, title="Blocked", severity="error", timeout=10)
            return
        try:
            self.s3xrep.goto("apply")
        except (ImportError, AttributeError, KeyError) as exc:  # the apply screen is not part of this build
            log.warning("goto('apply') failed: %r", exc)
            self.last_refusal = APPLY_UNAVAILABLE
            self.notify(APPLY_UNAVAILABLE, title="Apply", severity="warning")

    # --- for tests and the screenshots ----------------------------------------------------------

    def diff_view(self, name: str) -> DiffView:
        return self.query_one(f"#diff-{name}", DiffView)
