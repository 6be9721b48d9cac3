"""A new fleet migration: a map such as ``acme-legacy-*=acme-platform-*`` matched against the listed buckets.

The same matcher as ``s3xrep plan --map`` (``core.fleet_pairs``): each ``*`` of the destination takes what
the source's matched, ``PROFILE:`` on either side names another profile (default: the chosen identities).
The pairs it finds are shown as the map is typed, before anything is planned; a source whose destination
does not exist is listed and set aside. Space picks a pair out (or back in); ``p`` plans the pairs in use
and opens the fleet's preview (``screens/fleet_preview.py``). Opened with ``m`` on the Buckets and home
screens, or "New fleet migration" in the palette.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from ...core.fleet_pairs import BucketMap, MapResult, PairsError, PairsFile, PairSpec, expand_map, parse_map
from ...core.text import safe
from ..fleet_planner import FleetPlanner
from ..widgets.context_bar import ContextBar
from ..widgets.fixed_table import FixedTable
from ..widgets.footer import Footer
from .base import AppScreen
from .fleet_preview import FleetPreviewScreen

if TYPE_CHECKING:
    from ..app import S3xrepApp

IDENTITY_TIMEOUT = 60.0  # seconds to wait for both identities (the demo's resolve as the sandbox starts)
_SEPARATORS = "-._"


def suggest_map(source: str | None, destination: str | None) -> str:
    """``acme-legacy-*=acme-platform-*`` from one chosen pair (acme-legacy-media, acme-platform-media): the
    common ending, from a separator on, becomes the ``*``; "" when the two share no such ending."""
    if not source or not destination or source == destination:
        return ""
    common = 0
    while common < min(len(source), len(destination)) and source[-1 - common] == destination[-1 - common]:
        common += 1
    tail = source[len(source) - common:]
    cut = next((i for i, ch in enumerate(tail) if ch in _SEPARATORS), None)
    if cut is None or cut == len(tail) - 1:
        return ""
    star = len(tail) - cut - 1  # what the * takes: the ending after the separator
    return f"{source[:-star]}*={destination[:-star]}*"


class FleetNewScreen(AppScreen):
    class Listed(Message):
        def __init__(self, profile: str | None, names: list[str] | None, error: str = "") -> None:
            super().__init__()
            self.profile = profile
            self.names = names
            self.error = error

    TITLE = "New fleet"
    FLEET_DRAFT = True  # one of the screens of a fleet being planned (the apply screen pops them for the board)

    BINDINGS = [
        Binding("p", "preview", "Preview"),
        Binding("space", "toggle", "Use/skip"),
        Binding("slash", "edit", "Edit map"),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    FOOTER_FIRST = ("p", "space", "slash", "escape")

    DEFAULT_CSS = """
    FleetNewScreen #fleet-map-help { height: auto; padding: 0 1; color: $text-muted; }
    FleetNewScreen #fleet-map { margin: 0 1; }
    FleetNewScreen #fleet-map-summary { height: 1; padding: 0 1; text-style: bold; text-wrap: nowrap;
                                        text-overflow: ellipsis; }
    FleetNewScreen #fleet-map-table { height: 1fr; min-height: 4; }
    FleetNewScreen #fleet-map-status { height: auto; max-height: 2; padding: 0 1; }
    """

    def __init__(self, planner: FleetPlanner | None = None) -> None:
        super().__init__()
        self.planner = planner
        self.listed: dict[str | None, list[str]] = {}
        self.listing: set[str | None] = set()
        self.mapping: BucketMap | None = None
        self.found: MapResult | None = None
        self.skipped: set[str] = set()  # sources picked out of the fleet
        self.status = ""
        self.problem = ""  # why no pair is listed (a map that does not parse, the listing under way)
        self._deadline = 0.0
        self._to_table = False  # Enter was pressed in the map: the list takes the keys once it is filled

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations",))
        yield Static("A map, as `s3xrep plan --map`: each * of the destination takes what the source's matched. "
                     "Enter: the pairs · space: use or skip one · p: plan them", id="fleet-map-help")
        yield Input(value=suggest_map(self.s3xrep.source_bucket, self.s3xrep.destination_bucket),
                    placeholder="SOURCE-*=DESTINATION-*, e.g. acme-legacy-*=acme-platform-*", id="fleet-map")
        yield Static(id="fleet-map-summary")
        yield FixedTable(id="fleet-map-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="fleet-map-status")
        yield Footer(compact=True)

    @property
    def table(self) -> FixedTable:
        return self.query_one("#fleet-map-table", FixedTable)

    @property
    def map_input(self) -> Input:
        return self.query_one("#fleet-map", Input)

    def on_mount(self) -> None:
        if self.planner is None:
            self.planner = FleetPlanner(self.s3xrep)
        self._columns()
        self.map_input.focus()
        self._deadline = time.monotonic() + IDENTITY_TIMEOUT
        self._await_identities()

    # --- the identities and their buckets ---------------------------------------------------------

    def _chosen(self, side: str) -> str | None:
        choice = self.s3xrep.source if side == "source" else self.s3xrep.destination
        return choice.profile.name if choice is not None and choice.ready else None

    def _await_identities(self) -> None:
        """Poll (bounded) until both identities resolve: from the home screen the Accounts screen may still be
        resolving them (in the demo, the sandbox may still be starting)."""
        if not self.is_attached:
            return
        app = self.s3xrep
        if app.identities_ready():
            self._match()
            return
        failed = [c for c in (app.source, app.destination) if c is not None and c.identity.state == "failed"]
        if failed or time.monotonic() > self._deadline:
            why = f"profile {safe(failed[0].profile.name)} did not resolve" if failed else "they did not resolve"
            self.say(f"No fleet without both identities: {why}. Choose them on the Accounts screen (Esc), then "
                     "open this again.", "red")
            return
        chosen = app.source is not None and app.destination is not None
        self.say("Resolving the source and destination identities…" if chosen else
                 "Waiting for a source and a destination identity (chosen on the Accounts screen)…")
        self.set_timer(0.1, self._await_identities)

    def _profiles(self) -> tuple[str | None, str | None]:
        mapping = self.mapping
        source = mapping.source_profile if mapping and mapping.source_profile else self._chosen("source")
        destination = (mapping.destination_profile if mapping and mapping.destination_profile
                       else self._chosen("destination"))
        return source, destination

    def _list(self, profile: str | None) -> None:
        if profile in self.listing:
            return
        self.listing.add(profile)
        self._list_buckets(profile)

    @work(thread=True, group="fleet-list", exit_on_error=False)
    def _list_buckets(self, profile: str | None) -> None:
        worker = get_current_worker()
        try:
            names = self.planner.buckets(profile)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001  AwsError and whatever boto3 raises: one line on the screen
            if not worker.is_cancelled:
                self.post_message(self.Listed(profile, None, safe(str(exc))))
            return
        if not worker.is_cancelled:
            self.post_message(self.Listed(profile, names))

    @on(Listed)
    def _listed(self, message: FleetNewScreen.Listed) -> None:
        self.listing.discard(message.profile)
        if message.names is None:
            self.say(f"The buckets of profile {safe(message.profile or 'default')} could not be listed: "
                     f"{message.error}", "red")
            return
        self.listed[message.profile] = message.names
        self._match()

    # --- matching -----------------------------------------------------------------------------------

    @on(Input.Changed, "#fleet-map")
    def _map_changed(self, _: Input.Changed) -> None:
        self._match()

    @on(Input.Submitted, "#fleet-map")
    def _map_submitted(self, _: Input.Submitted) -> None:
        self._to_table = True  # once the pairs are known (the listing may still be on its way)
        self._match()

    def _match(self) -> None:
        text = self.map_input.value.strip()
        self.found = None
        if not text:
            self.mapping = None
            self._paint("Type a map, e.g. acme-legacy-*=acme-platform-*")
            return
        try:
            self.mapping = parse_map(text)
        except PairsError as exc:
            self.mapping = None
            self._paint(safe(str(exc).removeprefix("--map ")))
            return
        if not self.s3xrep.identities_ready():
            self._paint("")
            return
        source, destination = self._profiles()
        missing = [p for p in dict.fromkeys((source, destination)) if p not in self.listed]
        for profile in missing:
            self._list(profile)
        if missing:
            self._paint("Listing the buckets…")
            return
        self.found = expand_map(self.mapping, self.listed[source], self.listed[destination])
        self._paint("")
        if self._to_table and self.found.pairs:
            self._to_table = False
            self.table.focus()

    # --- drawing ------------------------------------------------------------------------------------

    def _columns(self) -> None:
        table = self.table
        table.clear(columns=True)
        name = max(16, (self.app.size.width - 3 - 8 - 12) // 2)
        for key, label, size in (("index", "#", 3), ("source", "Source", name), ("destination", "Destination", name),
                                 ("use", "Use", 8)):
            table.add_column(label, key=key, width=size)

    @property
    def in_use(self) -> list[PairSpec]:
        pairs = self.found.pairs if self.found is not None else ()
        return [p for p in pairs if p.source_bucket not in self.skipped]

    def _paint(self, problem: str) -> None:
        self.problem = problem
        table = self.table
        keep = table.cursor_row
        table.clear()
        found = self.found
        if found is not None:
            for n, pair in enumerate(found.pairs, start=1):
                used = pair.source_bucket not in self.skipped
                table.add_row(Text(str(n)), Text(safe(pair.source_bucket), no_wrap=True, overflow="ellipsis"),
                              Text(safe(pair.destination_bucket), no_wrap=True, overflow="ellipsis"),
                              Text("use", style="green") if used else Text("skip", style="dim"),
                              key=pair.source_bucket)
            for source, target in found.missing:
                table.add_row(Text("-", style="dim"),
                              Text(safe(source), style="dim", no_wrap=True, overflow="ellipsis"),
                              Text(safe(target), style="dim", no_wrap=True, overflow="ellipsis"),
                              Text("no dest", style="yellow"), key=f"missing:{source}")
            if table.row_count:
                table.move_cursor(row=min(max(keep, 0), table.row_count - 1))
        summary = self.query_one("#fleet-map-summary", Static)
        if found is None:
            summary.update(Text(problem, style="yellow" if problem else ""))
            return
        used = len(self.in_use)
        parts = [f"{used} pair(s) in use"]
        if self.skipped & {p.source_bucket for p in found.pairs}:
            parts.append(f"{len(found.pairs) - used} skipped")
        if found.missing:
            parts.append(f"{len(found.missing)} without a destination (set aside)")
        summary.update(Text(" · ".join(parts), no_wrap=True, overflow="ellipsis"))
        if not found.pairs:
            self.say("The map matches no listed source bucket with a listed destination.", "yellow")
        elif not self.status or self.status.startswith("Waiting"):
            self.say("")

    def say(self, text: str, style: str = "") -> None:
        self.status = text
        self.query_one("#fleet-map-status", Static).update(Text(text, style=style))

    def on_resize(self) -> None:
        if self.is_mounted:
            self._columns()
            self._paint(self.problem)

    # --- keys ---------------------------------------------------------------------------------------

    def action_edit(self) -> None:
        self.map_input.focus()

    def action_toggle(self) -> None:
        if self.found is None or not self.table.row_count:
            return
        key = self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key.value or ""
        if key.startswith("missing:"):
            self.say(f"{safe(key.removeprefix('missing:'))} has no destination bucket: create it, then type the map "
                     "again.", "yellow")
            return
        self.skipped ^= {key}
        self._paint(self.problem)

    @on(DataTable.RowSelected, "#fleet-map-table")
    def _row_selected(self, _: DataTable.RowSelected) -> None:
        self.action_preview()

    def action_preview(self) -> None:
        pairs = self.in_use
        if not pairs:
            self.say("No pair in use: type a map that matches (Enter), or use a skipped pair (space).", "yellow")
            return
        source, destination = self._profiles()
        # every pair names its profiles: the journals, the fleet board and a resume find them again
        specs = tuple(PairSpec(p.source_profile or source, p.source_bucket, p.destination_profile or destination,
                               p.destination_bucket) for p in pairs)
        self.app.push_screen(FleetPreviewScreen(PairsFile(specs), self.planner))  # type: ignore[arg-type]


def open_new_fleet(app: S3xrepApp) -> None:
    app.push_screen(FleetNewScreen())
