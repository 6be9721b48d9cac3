"""Step 2: pick the source and destination buckets (or create the destination).

Two panes, one per account. Each pane's names come from a listing worker a
page at a time; the facts of the rows on screen are read by a
:class:`~s3xrep_tui.aws.browse.FactsLoader` (bounded pool) that one thread
worker per pane drives, and each answer updates its row's cells in place.
``r`` starts a new generation: answers of the old one are dropped.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from ...aws.browse import (
    BucketEntry,
    BucketSummary,
    FactsLoader,
    create_bucket,
    list_buckets_pages,
    s3_regions,
)
from ...aws.errors import AwsError
from ..widgets.bucket_table import (
    BucketRow,
    BucketTable,
    encryption_label,
    lock_label,
    replication_label,
)
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from .base import AppScreen
from .create_bucket import CREATED_WITH, CreateBucketScreen

log = logging.getLogger(__name__)

Side = Literal["source", "destination"]
SIDES: tuple[Side, Side] = ("source", "destination")
_generations = itertools.count(1)


@dataclass
class Pane:
    """One account's buckets as the screen knows them, filtered or not."""

    side: Side
    generation: int = 0
    rows: dict[str, BucketRow] = field(default_factory=dict)
    done: bool = False
    error: AwsError | None = None
    loader: FactsLoader | None = None


class BucketsScreen(AppScreen):
    class BucketsListed(Message):
        """One page of an account's bucket names (``done``: the last one); or the listing failed (``error``)."""

        def __init__(self, side: str, generation: int, entries: list[BucketEntry], done: bool,
                     error: AwsError | None = None) -> None:
            super().__init__()
            self.side = side
            self.generation = generation
            self.entries = entries
            self.done = done
            self.error = error

    class BucketFactsLoaded(Message):
        def __init__(self, side: str, generation: int, summary: BucketSummary) -> None:
            super().__init__()
            self.side = side
            self.generation = generation
            self.summary = summary

    TITLE = "Buckets"

    BINDINGS = [
        Binding("s", "choose('source')", "Source"),
        Binding("d", "choose('destination')", "Destination"),
        Binding("enter", "open_browser", "Browse"),
        Binding("tab", "switch_pane", "Other pane"),
        Binding("slash", "filter", "Filter"),
        Binding("n", "new_bucket", "New bucket"),
        Binding("r", "refresh", "Refresh"),
        Binding("c", "continue", "Continue"),
        Binding("m", "new_fleet", "New fleet", show=False, tooltip="Many pairs by a map (acme-legacy-*=acme-platform-*)"),
        Binding("escape", "escape", "Back", show=False),
    ]
    FOOTER_FIRST = ("c", "s", "d", "tab")

    DEFAULT_CSS = """
    BucketsScreen #filter { display: none; margin: 0 1; }
    BucketsScreen #filter.-shown { display: block; }
    BucketsScreen .pane { height: 1fr; border: round $primary-darken-2; }
    BucketsScreen .pane:focus-within { border: round $accent; }
    BucketsScreen .problem { display: none; height: auto; padding: 0 1; }
    BucketsScreen .problem.-shown { display: block; }
    BucketsScreen #detail { height: 3; padding: 0 1; background: $boost; }
    BucketsScreen #hint { height: auto; max-height: 2; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.panes: dict[Side, Pane] = {side: Pane(side) for side in SIDES}
        self.filter_text = ""
        self.notice: Text | None = None  # the last refusal or confirmation, until the next action

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, show_buckets=True)
        yield Input(placeholder="filter: bucket name or region (both panes)…", id="filter")
        for side in SIDES:
            with Vertical(classes="pane", id=f"{side}-pane") as pane:
                pane.border_title = self._pane_title(side)
                yield Static(classes="problem", id=f"{side}-problem")
                yield BucketTable(side, id=f"{side}-table")
        yield Static(id="detail")
        yield Static(id="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.table("source").focus()
        self.action_refresh()

    def on_unmount(self) -> None:
        for pane in self.panes.values():
            if pane.loader is not None:
                pane.loader.close()

    def table(self, side: Side) -> BucketTable:
        return self.query_one(f"#{side}-table", BucketTable)

    def _pane_title(self, side: Side) -> str:
        choice = self.s3xrep.source if side == "source" else self.s3xrep.destination
        if choice is None:
            return f"{side}: no identity chosen"
        pane = self.panes[side]
        count = len(pane.rows)
        shown = len(self.table(side).shown_names) if self.is_mounted and pane.rows else count
        counted = f"{count} bucket" + ("s" if count != 1 else "") + ("" if pane.done else "…")
        if self.filter_text and pane.rows:
            counted = f"{shown} of {counted}"
        return f"{side} · {choice.profile.label} · {choice.account_id or '?'} · {counted}"

    # --- listing --------------------------------------------------------------------

    def action_refresh(self) -> None:
        """List both accounts again (facts are read again as rows come into view)."""
        self.notice = None
        for side in SIDES:
            self._load(side)
        self._update_hint()

    def _load(self, side: Side) -> None:
        pane = self.panes[side]
        if pane.loader is not None:
            pane.loader.close()
        pane.generation = next(_generations)
        pane.rows = {}
        pane.done = False
        pane.error = None
        pane.loader = None
        self.table(side).show([])
        self.table(side).listing = False
        self._show_problem(side)
        choice = self.s3xrep.source if side == "source" else self.s3xrep.destination
        if choice is None:
            pane.error = AwsError(f"no {side} identity is chosen", "press Esc and choose one on the accounts screen",
                                  "NoIdentity")
            pane.done = True
            self._show_problem(side)
            return
        self.table(side).listing = True
        self.run_worker(
            partial(self._list_in_thread, side, pane.generation),
            name=f"list buckets ({side})",
            group=f"list:{side}",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _list_in_thread(self, side: Side, generation: int) -> None:
        worker = get_current_worker()
        try:
            clients = self.s3xrep.clients(side)
            for page in list_buckets_pages(clients):
                if worker.is_cancelled:
                    return
                self.post_message(self.BucketsListed(side, generation, page, done=False))
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.BucketsListed(side, generation, [], done=True, error=exc))
            return
        except Exception as exc:  # a bug: shown in the pane, logged, never a traceback on screen
            log.exception("listing the %s buckets crashed", side)
            if not worker.is_cancelled:
                error = AwsError(f"listing buckets failed: {type(exc).__name__}: {exc}", "see the log file", "Bug")
                self.post_message(self.BucketsListed(side, generation, [], done=True, error=error))
            return
        if not worker.is_cancelled:
            self.post_message(self.BucketsListed(side, generation, [], done=True))

    @on(BucketsListed)
    def _listed(self, message: BucketsScreen.BucketsListed) -> None:
        pane = self.panes[message.side]  # type: ignore[index]
        if message.generation != pane.generation:
            return
        side: Side = pane.side
        if message.error is not None:
            pane.error = message.error
            self._show_problem(side)
        fresh = [BucketRow(entry, use=self._use(side, entry.name)) for entry in message.entries
                 if entry.name not in pane.rows]
        for row in fresh:
            pane.rows[row.name] = row
        if fresh:
            self._start_facts(side)
            self.table(side).append(row for row in fresh if self._matches(row))
        if message.done:
            pane.done = True
            self.table(side).listing = False
            if not pane.rows and pane.error is None:
                self._show_problem(side, Text("This account has no buckets" + (
                    ": press n to create the destination." if side == "destination" else ".")))
        self._set_title(side)
        self._update_detail()
        self._update_hint()

    def _show_problem(self, side: Side, text: Text | None = None) -> None:
        widget = self.query_one(f"#{side}-problem", Static)
        error = self.panes[side].error
        if text is None and error is not None:
            text = Text.assemble(("✗ ", "red"), error.message, "\n  ", ("fix: ", "bold"), error.fix)
        widget.update(text or "")
        widget.set_class(text is not None, "-shown")

    def _set_title(self, side: Side) -> None:
        self.query_one(f"#{side}-pane").border_title = self._pane_title(side)

    # --- facts, for the visible rows only ----------------------------------------------

    def _start_facts(self, side: Side) -> None:
        pane = self.panes[side]
        if pane.loader is not None:
            return
        choice = self.s3xrep.source if side == "source" else self.s3xrep.destination
        regions = {name: row.entry.region for name, row in pane.rows.items() if row.entry.region}
        try:
            clients = self.s3xrep.clients(side)
        except AwsError as exc:
            pane.error = exc
            self._show_problem(side)
            return
        pane.loader = FactsLoader(clients, choice.account_id if choice else None, regions=regions)

    def _run_facts(self, side: Side) -> None:
        """A worker that serves the pane's loader until its queue is empty (then it finishes)."""
        pane = self.panes[side]
        if pane.loader is None:
            return
        self.run_worker(
            partial(self._facts_in_thread, side, pane.generation, pane.loader),
            name=f"bucket facts ({side})",
            group=f"facts:{side}",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _facts_in_thread(self, side: Side, generation: int, loader: FactsLoader) -> None:
        worker = get_current_worker()

        def deliver(summary: BucketSummary) -> None:
            if not worker.is_cancelled:
                self.post_message(self.BucketFactsLoaded(side, generation, summary))

        loader.run(deliver, lambda: worker.is_cancelled)

    @on(BucketTable.WindowChanged)
    def _window_changed(self, message: BucketTable.WindowChanged) -> None:
        pane = self.panes[message.table.side]  # type: ignore[index]
        if pane.loader is None:
            return
        for name in message.table.visible_names():
            row = pane.rows.get(name)
            if row is not None and row.entry.region:
                pane.loader.know_region(name, row.entry.region)
        wanted = [name for name in message.table.visible_names() if name in pane.rows and pane.rows[name].summary is None]
        if pane.loader.want(wanted):
            self._run_facts(pane.side)

    @on(BucketFactsLoaded)
    def _facts_loaded(self, message: BucketsScreen.BucketFactsLoaded) -> None:
        pane = self.panes[message.side]  # type: ignore[index]
        if message.generation != pane.generation:
            return
        row = pane.rows.get(message.summary.name)
        if row is None:
            return
        row.summary = message.summary
        self.table(pane.side).paint(row, [key for key in ("region", "versioning", "ownership", "encryption", "lock",
                                                          "replication")])
        if self._highlighted(pane.side) == row.name:
            self._update_detail()

    # --- filter ----------------------------------------------------------------------

    def _matches(self, row: BucketRow, terms: list[str] | None = None) -> bool:
        if terms is None:
            terms = self.filter_text.lower().split()
        if not terms:
            return True
        haystack = row.haystack()
        return all(term in haystack for term in terms)

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("-shown")
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        self._apply_filter()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, _: Input.Submitted) -> None:
        self.table(self._focused_side()).focus()

    def _apply_filter(self) -> None:
        terms = self.filter_text.lower().split()  # once, not once per row (10,000 rows per key typed)
        for side in SIDES:
            table = self.table(side)
            keep = table.highlighted_key
            table.show((row for row in self.panes[side].rows.values() if self._matches(row, terms)),
                       keep_cursor_on=keep)
            self._set_title(side)
        self._update_detail()

    def action_escape(self) -> None:
        field = self.query_one("#filter", Input)
        if field.has_class("-shown") or self.filter_text:
            field.value = ""
            field.remove_class("-shown")
            if self.filter_text:
                self.filter_text = ""
                self._apply_filter()
            self.table(self._focused_side()).focus()
            return
        self.app.pop_screen()

    # --- choosing ---------------------------------------------------------------------

    def _focused_side(self) -> Side:
        focused = self.focused
        if isinstance(focused, BucketTable):
            return focused.side  # type: ignore[return-value]
        return getattr(self, "_last_side", "source")

    def _highlighted(self, side: Side) -> str | None:
        return self.table(side).highlighted_key

    def action_switch_pane(self) -> None:
        other: Side = "destination" if self._focused_side() == "source" else "source"
        self.table(other).focus()

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if isinstance(event.data_table, BucketTable):
            event.data_table.window_changed()
        self._update_detail()

    def on_descendant_focus(self, event) -> None:  # type: ignore[no-untyped-def]
        if isinstance(event.widget, BucketTable):
            self._last_side = event.widget.side
            self._update_detail()

    def _use(self, side: Side, name: str) -> str:
        app = self.s3xrep
        return "SRC" if side == "source" and name == app.source_bucket else (
            "DST" if side == "destination" and name == app.destination_bucket else "")

    def action_choose(self, role: Side) -> None:
        name = self._highlighted(role)
        if name is None:
            return
        app = self.s3xrep
        other = app.destination_bucket if role == "source" else app.source_bucket
        if name == other:
            other_role = "destination" if role == "source" else "source"
            self.notice = Text(
                f"✗ s3://{name} is already the {other_role}: pick a different {role} bucket "
                "(replication copies one bucket into another).",
                style="red",
            )
            self._update_hint()
            return
        if role == "source":
            app.source_bucket = name
        else:
            app.destination_bucket = name
        self.notice = None
        self._mark_uses(role)
        self.refresh_bindings()
        self._update_hint()

    def choose_bucket(self, role: Side, name: str) -> None:
        """Make ``name`` the bucket of ``role`` if it is listed (the cursor moves to it first)."""
        self.table(role).move_to(name)
        self.action_choose(role)

    def _mark_uses(self, side: Side) -> None:
        table = self.table(side)
        for row in self.panes[side].rows.values():
            use = self._use(side, row.name)
            if use != row.use:
                row.use = use
                table.paint(row, ["use"])

    def _ready(self) -> bool:
        app = self.s3xrep
        return bool(app.source_bucket and app.destination_bucket and app.source_bucket != app.destination_bucket)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "continue":
            return True if self._ready() else None
        return True

    def action_continue(self) -> None:
        if not self._ready():
            self._update_hint()
            return
        self.app.goto("options")  # type: ignore[attr-defined]

    def action_new_fleet(self) -> None:
        from .fleet_new import open_new_fleet  # a fleet is a side road of the flow: its screens load when asked

        open_new_fleet(self.s3xrep)

    # --- browsing and creating ----------------------------------------------------------------

    def action_open_browser(self) -> None:
        side = self._focused_side()
        name = self._highlighted(side)
        if name is None:
            return
        from .browser import BrowserScreen

        row = self.panes[side].rows.get(name)
        choice = self.s3xrep.source if side == "source" else self.s3xrep.destination
        self.app.push_screen(BrowserScreen(side, name, row.region if row else None, choice.account_id if choice else None))

    def action_new_bucket(self) -> None:
        app = self.s3xrep
        if app.destination is None or not app.destination.ready:
            self.notice = Text("✗ choose and resolve a destination identity first (Esc to the accounts screen).",
                               style="red")
            self._update_hint()
            return
        source_row = self.panes["source"].rows.get(app.source_bucket or "")
        default_region = (source_row.region if source_row else None) or app.destination.profile.region or "us-east-1"
        owner = app.destination.account_id

        def create(name: str, region: str) -> BucketSummary:
            return create_bucket(app.clients("destination"), name, region, owner)

        def regions() -> list[str]:
            return s3_regions(app.clients("destination"))

        self.app.push_screen(CreateBucketScreen(owner or "?", default_region, create, regions), self._created)

    def _created(self, summary: BucketSummary | None) -> None:
        if summary is None:
            return
        pane = self.panes["destination"]
        row = pane.rows.get(summary.name)
        if row is None:
            row = BucketRow(BucketEntry(summary.name, None, summary.region), summary)
            pane.rows[row.name] = row
            if self._matches(row):
                self.table("destination").append([row])
        else:
            row.summary = summary
        self.table("destination").paint(row)
        self._set_title("destination")
        self.table("destination").focus()
        self.choose_bucket("destination", summary.name)
        if self.s3xrep.destination_bucket == summary.name:
            self.notice = Text(f"✓ created s3://{summary.name} in {summary.region} and chose it as the destination. "
                               + CREATED_WITH, style="green")
        self._update_hint()
        self._update_detail()

    # --- painting ---------------------------------------------------------------------------

    def _update_detail(self) -> None:
        if not self.is_mounted:
            return
        side = self._focused_side()
        name = self._highlighted(side)
        row = self.panes[side].rows.get(name) if name else None
        detail = self.query_one("#detail", Static)
        if row is None:
            detail.update("")
            return
        text = Text.assemble((f"s3://{row.name}", "bold"), f" · {side} account · Enter browses it\n")
        s = row.summary
        if s is None:
            text.append("reading its settings…", style="dim")
        elif not s.exists:
            text.append("✗ this bucket no longer exists (press r to list again)", style="red")
        else:
            parts = [f"region {s.region or '?'}"]
            if s.versioning is not None:
                parts.append(f"versioning {s.versioning}")
            if s.ownership is not None:
                parts.append(f"ownership {s.ownership or 'unset (ObjectWriter)'}")
            if s.encryption is not None:
                parts.append(f"encryption {encryption_label(s).replace('KMS ', 'SSE-KMS ', 1)}")
            if s.object_lock is not None:
                parts.append(f"Object Lock {lock_label(s)}")
            if s.replication_rules is not None:
                parts.append(f"replication {replication_label(s.replication_rules)}")
            text.append(" · ".join(parts))
            if s.kms_key:
                text.append(f"\nKMS key {s.kms_key}", style="dim")
            problem = s.problem
            if problem is not None:
                text.append("\n✗ ", style="red")
                text.append(problem.message)
                text.append(" · fix: ", style="bold")
                text.append(problem.fix)
        detail.update(text)

    def _update_hint(self) -> None:
        if not self.is_mounted:
            return
        self.query_one("#hint", Static).update(self._hint())

    def _hint(self) -> Text:
        if self.notice is not None:
            return self.notice
        app = self.s3xrep
        missing = [f"{key} for the {role}" for key, role, bucket in
                   (("s", "source", app.source_bucket), ("d", "destination", app.destination_bucket)) if not bucket]
        if missing:
            return Text("Highlight a bucket and press " + " and ".join(missing) + " (n creates a destination).")
        return Text(f"s3://{app.source_bucket} → s3://{app.destination_bucket}: press c to continue to the options.",
                    style="bold")
