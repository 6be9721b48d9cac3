"""The fleet's preview: every pair planned (reads only), with its cost and time estimate and its findings.

At the top the migration and the fleet's total (one-time and monthly cost, the backfill's time: an
estimate, from CloudWatch's daily storage metrics and the AWS prices); one row per pair (changes,
findings, objects, one-time cost, backfill); below, the findings across pairs and the highlighted pair's
own. ``c`` shows the whole estimate (line items, prices, assumptions), ``r`` plans again, ``a`` applies
every pair after ONE typed confirmation, the migration id (``screens/fleet_apply.py`` runs it).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from ...commands.fleet import estimate_lines
from ...core.estimate_model import Estimate
from ...core.estimate_text import money, summary_line
from ...core.fleet import FleetPlan, PairPlan
from ...core.fleet_pairs import PairsFile
from ...core.humanize import duration, size
from ...core.models import Finding
from ...core.text import safe
from ..fleet_planner import FleetPlanner
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from ..widgets.footer import Footer
from .base import AppScreen
from .fleet_apply import FleetApplyScreen

WIDE = 120  # from here the pair column names both buckets


def changes(pair: PairPlan) -> int:
    return sum(1 for s in pair.plan.steps if s.action != "no-op")


def _findings_cell(findings: tuple[Finding, ...]) -> Text:
    blocking = sum(1 for f in findings if f.severity == "blocking")
    if blocking:
        return Text(f"{blocking} BLOCK", style="bold red")
    warnings = sum(1 for f in findings if f.severity == "warning")
    return Text(f"{warnings} warn", style="yellow") if warnings else Text("none", style="dim")


def row_cells(pair: PairPlan, estimate: Estimate | None, wide: bool) -> list[Text]:
    name = f"{pair.spec.source_bucket} → {pair.spec.destination_bucket}" if wide else pair.spec.source_bucket
    objects = "?" if estimate is None or estimate.objects is None else f"{estimate.objects:,}"
    return [Text(str(pair.index)), Text(safe(name), no_wrap=True, overflow="ellipsis"), Text(str(changes(pair))),
            _findings_cell(pair.plan.findings), Text(objects),
            Text(money(estimate.one_time) if estimate else "?"),
            Text(duration(estimate.backfill_seconds) if estimate else "?")]


def head_text(fleet: FleetPlan) -> Text:
    total: Estimate | None = fleet.estimate_hook.get("total")
    shared = sum(1 for r in fleet.roles if len(r.pairs) > 1)
    text = Text.assemble((f"Migration {safe(fleet.id)}", "bold"),
                         f" · {len(fleet.pairs)} pairs · {sum(changes(p) for p in fleet.pairs)} changes"
                         f" · {shared} shared role(s)")
    if total is not None:
        objects = "?" if total.objects is None else f"{total.objects:,}"
        when = f", {total.storage_as_of}" if total.storage_as_of else ""
        text.append(f"\nESTIMATE {summary_line(total)}")
        text.append(f"\n  {objects} objects, {size(total.bytes)} (CloudWatch{when}) · c: every line item", style="dim")
    if fleet.blocked:
        text.append("\nBLOCKED: fix the BLOCKING findings below, then r to plan again", style="bold red")
    return text


def _finding_lines(findings: tuple[Finding, ...], indent: str = "") -> Text:
    text = Text()
    for f in sorted(findings, key=lambda f: f.severity != "blocking"):
        style = {"blocking": "bold red", "warning": "yellow"}.get(f.severity, "dim")
        text.append(f"{indent}{f.severity.upper() if f.severity == 'blocking' else f.severity}: ", style=style)
        text.append(safe(f.message) + "\n")
        text.append(f"{indent}  fix: {safe(f.fix)}\n", style="dim")
    return text


def detail_text(fleet: FleetPlan, pair: PairPlan | None, estimate: Estimate | None) -> Text:
    """The findings across pairs, then the highlighted pair: its plan, its estimate, its findings."""
    text = Text("Across pairs: ", style="bold")
    text.append("no findings\n" if not fleet.findings else "\n")
    text.append_text(_finding_lines(fleet.findings, "  "))
    if pair is None:
        return text
    text.append(f"Pair {pair.index}: ", style="bold")
    text.append(f"{safe(pair.spec.source_bucket)} → {safe(pair.spec.destination_bucket)} · "
                f"plan {safe(pair.plan.id)} · lane {pair.lane}\n")
    if estimate is not None:
        text.append(f"  {summary_line(estimate)} (estimate)\n")
    text.append("  no findings\n" if not pair.plan.findings else "")
    text.append_text(_finding_lines(pair.plan.findings, "  "))
    return text


class FleetCostScreen(AppScreen):
    """The whole estimate: the fleet's line items, prices and assumptions, then one line per pair."""

    TITLE = "Fleet cost"
    FLEET_DRAFT = True
    BINDINGS = [Binding("escape", "app.pop_screen", "Back"), Binding("c", "app.pop_screen", "Back", show=False)]
    DEFAULT_CSS = """
    FleetCostScreen #fleet-cost { height: 1fr; scrollbar-size-vertical: 1; }
    FleetCostScreen #fleet-cost Static { width: auto; padding: 0 0 0 1; }
    """

    def __init__(self, fleet: FleetPlan) -> None:
        super().__init__()
        self.fleet = fleet

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations", "New fleet"), sides=False)
        with VerticalScroll(id="fleet-cost"):  # the lines are laid out for 78 columns: kept whole, never re-wrapped
            yield Static(Text(safe("\n".join(estimate_lines(self.fleet)).strip("\n"), newlines=True), no_wrap=True))
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#fleet-cost").focus()


class ConfirmFleetApply(ModalScreen[bool]):
    """Type the migration id to apply every pair of it: the one confirmation of the whole fleet."""

    DEFAULT_CSS = """
    ConfirmFleetApply { align: center middle; }
    ConfirmFleetApply > Vertical { width: 74; max-width: 95%; height: auto; border: thick $error; padding: 1 2;
                                   background: $surface; }
    """
    BINDINGS = [Binding("escape", "dismiss(False)", "Cancel")]

    def __init__(self, fleet: FleetPlan, workers: int) -> None:
        super().__init__()
        self.fleet = fleet
        self.at_once = workers

    def compose(self) -> ComposeResult:
        fleet = self.fleet
        with Vertical():
            yield Static(Text(f"Apply migration {safe(fleet.id)}: {sum(changes(p) for p in fleet.pairs)} change(s) "
                              f"to {len(fleet.pairs)} pair(s), {self.at_once} pairs at a time. Each pair is "
                              "journaled (U on the fleet board undoes them all).\nType the migration id to apply, "
                              "Esc to cancel."))
            yield Input(placeholder=fleet.id, id="fleet-apply-id")

    @on(Input.Submitted, "#fleet-apply-id")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() == self.fleet.id)


class FleetPreviewScreen(AppScreen):
    class Planned(Message):
        def __init__(self, fleet: FleetPlan | None, error: str = "") -> None:
            super().__init__()
            self.fleet = fleet
            self.error = error

    TITLE = "Fleet preview"
    FLEET_DRAFT = True

    BINDINGS = [
        Binding("a", "apply", "Apply"),
        Binding("c", "cost", "Cost"),
        Binding("r", "replan", "Re-plan"),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    FOOTER_FIRST = ("a", "c", "r", "escape")

    DEFAULT_CSS = """
    FleetPreviewScreen #fleet-plan-head { height: auto; max-height: 4; padding: 0 1; }
    FleetPreviewScreen #fleet-plan-table { height: auto; max-height: 50%; min-height: 4; }
    FleetPreviewScreen #fleet-plan-detail { height: 1fr; min-height: 5; border: round $primary; padding: 0 1; }
    FleetPreviewScreen #fleet-plan-status { height: auto; max-height: 2; padding: 0 1; }
    """

    def __init__(self, pairs: PairsFile, planner: FleetPlanner) -> None:
        super().__init__()
        self.pairs = pairs
        self.planner = planner
        self.fleet: FleetPlan | None = None
        self._estimates: dict[int, Estimate] = {}  # by pair index
        self.status = ""

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations", "New fleet"), sides=False)
        yield Static(id="fleet-plan-head")
        yield FixedTable(id="fleet-plan-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="fleet-plan-detail"):
            yield Static(id="fleet-plan-findings")
        yield Static(id="fleet-plan-status")
        yield Footer(compact=True)

    @property
    def table(self) -> FixedTable:
        return self.query_one("#fleet-plan-table", FixedTable)

    def on_mount(self) -> None:
        self.query_one("#fleet-plan-detail").border_title = "findings"
        self.action_replan()

    # --- planning -----------------------------------------------------------------------------------

    def action_replan(self) -> None:
        self.fleet = None
        self.refresh_bindings()
        self.query_one("#fleet-plan-head", Static).update(Text(
            f"Reading {len(self.pairs.pairs)} pair(s): buckets, roles, storage metrics and prices (reads only)…"))
        self._plan()

    @work(thread=True, exclusive=True, group="fleet-plan", exit_on_error=False)
    def _plan(self) -> None:
        worker = get_current_worker()
        try:
            fleet = self.planner.plan(self.pairs)
        except Exception as exc:  # noqa: BLE001  AwsError, PairsError: one line, no traceback
            if not worker.is_cancelled:
                self.post_message(self.Planned(None, safe(str(exc))))
            return
        if not worker.is_cancelled:
            self.post_message(self.Planned(fleet))

    @on(Planned)
    def _planned(self, message: FleetPreviewScreen.Planned) -> None:
        if message.fleet is None:
            self.query_one("#fleet-plan-head", Static).update(Text(f"Not planned: {message.error}", style="red"))
            self.say("r: plan again")
            return
        self.fleet = message.fleet
        estimates: list[Any] = self.fleet.estimate_hook.get("pairs") or []  # in the order of the pairs
        self._estimates = {p.index: e for p, e in zip(self.fleet.pairs, estimates, strict=False)}
        self._paint()
        self.table.focus()
        self.refresh_bindings()
        if self.fleet.blocked:
            self.say("Blocked: nothing can be applied until the BLOCKING findings are fixed.", "red")
        else:
            self.say(f"a: apply all {len(self.fleet.pairs)} pairs (one confirmation) · c: the whole estimate")

    # --- drawing ------------------------------------------------------------------------------------

    def _estimate(self, pair: PairPlan) -> Estimate | None:
        return self._estimates.get(pair.index)

    def _paint(self) -> None:
        fleet = self.fleet
        if fleet is None:
            return
        width = self.app.size.width
        table = self.table
        keep = table.cursor_row
        table.clear(columns=True)
        fixed = (("changes", "Chg", 3), ("findings", "Findings", 8), ("objects", "Objects", 9),
                 ("cost", "One-time", 9), ("backfill", "Backfill", 8))
        name = max(16, width - 3 - sum(w for _, _, w in fixed) - 2 * (len(fixed) + 2) - 2)
        for key, label, size_ in (("index", "#", 3), ("pair", "Pair" if width >= WIDE else "Source", name), *fixed):
            table.add_column(label, key=key, width=size_)
        for pair in fleet.pairs:
            table.add_row(*row_cells(pair, self._estimate(pair), width >= WIDE), key=str(pair.index))
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        self.query_one("#fleet-plan-head", Static).update(head_text(fleet))
        self._paint_detail()

    @property
    def highlighted(self) -> PairPlan | None:
        if self.fleet is None or not self.fleet.pairs:
            return None
        row = self.table.cursor_row
        return self.fleet.pairs[row] if 0 <= row < len(self.fleet.pairs) else None

    def _paint_detail(self) -> None:
        if self.fleet is None:
            return
        pair = self.highlighted
        estimate = self._estimate(pair) if pair is not None else None
        self.query_one("#fleet-plan-findings", Static).update(detail_text(self.fleet, pair, estimate))
        box = self.query_one("#fleet-plan-detail")
        box.border_title = "findings" + (f" · pair {pair.index}" if pair is not None else "")

    @on(DataTable.RowHighlighted, "#fleet-plan-table")
    def _row_highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._paint_detail()

    def on_resize(self) -> None:
        if self.is_mounted:
            self._paint()

    def say(self, text: str, style: str = "") -> None:
        self.status = text
        self.query_one("#fleet-plan-status", Static).update(Text(text, style=style))

    # --- keys ---------------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("apply", "cost"):
            return None if self.fleet is None else True  # shown, dimmed, until the plan is read
        return True

    def action_cost(self) -> None:
        if self.fleet is not None:
            self.app.push_screen(FleetCostScreen(self.fleet))

    def action_apply(self) -> None:
        fleet = self.fleet
        if fleet is None:
            return
        if fleet.blocked:
            self.say("Blocked by preflight: fix the BLOCKING findings (below), then r to plan again.", "red")
            return
        if self.s3xrep.read_only:
            self.say("Read-only mode: nothing is written. Turn it off in the palette (ctrl+p) to apply.", "yellow")
            return

        def confirmed(go: bool | None) -> None:
            if go:
                self.app.push_screen(FleetApplyScreen(fleet, self.planner))
            else:
                self.say("Not confirmed: nothing was changed.", "yellow")

        self.app.push_screen(ConfirmFleetApply(fleet, self.planner.workers), confirmed)
