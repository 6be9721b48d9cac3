"""The fleet in totals, for a projector: the whole migration's backfill in large digits (``S`` on the board).

Reads the board's rows (the board keeps polling underneath); nothing of its own is sent to AWS.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Digits, ProgressBar, Static

from ...aws.fleet_status import PairStatus, totals
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from .base import AppScreen


class FleetTotalsScreen(AppScreen):
    TITLE = "Fleet totals"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    FleetTotalsScreen #totals-digits { width: auto; margin: 1 2; }
    FleetTotalsScreen #totals-bar { margin: 0 2; }
    FleetTotalsScreen #totals-lines { margin: 1 2; height: auto; }
    """

    def __init__(self, migration_id: str, rows: Callable[[], list[PairStatus]]) -> None:
        super().__init__()
        self.migration_id = migration_id
        self.rows = rows

    def compose(self) -> ComposeResult:
        yield ContextBar(self.TITLE, demo=self.s3xrep.demo, trail=("Migrations", "Fleet"), sides=False)
        yield Digits("--%", id="totals-digits")
        yield ProgressBar(total=100, show_eta=False, id="totals-bar")
        yield Static(id="totals-lines")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.paint()
        self.set_interval(1.0, self.paint)

    def paint(self) -> None:
        t = totals(self.rows())
        fraction = t.fraction
        self.query_one("#totals-digits", Digits).update("--%" if fraction is None else f"{fraction * 100:.0f}%")
        self.query_one("#totals-bar", ProgressBar).update(progress=(fraction or 0.0) * 100)
        verified = "VERIFIED" if t.pairs and t.verified == t.pairs else f"{t.verified} of {t.pairs} verified"
        self.query_one("#totals-lines", Static).update(
            f"Migration {self.migration_id}: {t.pairs} pairs, {t.applied} applied\n"
            f"Objects backfilled: {t.objects_done:,} of {t.objects_total:,}  ·  jobs ended: {t.jobs_done}\n"
            f"Failed objects: {t.failures:,}  ·  {verified}")
