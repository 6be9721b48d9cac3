"""One account's buckets: a row per bucket, facts filled in place as they arrive.

Built for 10,000 rows: columns have fixed widths (adding a row measures
nothing), rows are added in chunks between frames (no frame waits for the whole
list), facts update single cells with ``update_cell`` (never a rebuild), and the
table tells the screen which rows are visible (``WindowChanged``) so facts are
read for those only.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer

from ...aws.browse import BucketEntry, BucketSummary
from .. import frozen_heap
from .fixed_table import FixedTable
from .keyed_table import KeyedTable, shorten

# (key, label, width)
COLUMNS: tuple[tuple[str, str, int], ...] = (  # 98 columns of text + padding: fits a 120-column terminal
    ("use", "use", 3),
    ("name", "bucket", 25),
    ("region", "region", 10),
    ("versioning", "versioning", 10),
    ("ownership", "ownership", 9),
    ("encryption", "encryption", 22),
    ("lock", "Obj Lock", 8),
    ("replication", "replication", 11),
)
WIDTHS = {key: width for key, _, width in COLUMNS}
FIRST_CHUNK = 100  # a screenful at once: the first rows paint on the next frame
CHUNK = 250  # then this many per frame (~15 ms of CPU): a frame plus a full garbage collection stays under 100 ms
LOOKAHEAD = 5  # rows past the visible ones whose facts are worth reading already

PENDING = Text("…", style="dim")
OWNERSHIP_LABELS = {"BucketOwnerEnforced": "enforced", "BucketOwnerPreferred": "preferred", "ObjectWriter": "writer",
                    "": "unset"}


def _problem(summary: BucketSummary, fact: str) -> Text | None:
    error = summary.problems.get(fact) or summary.problems.get("bug")
    if error is None:
        return None
    return Text("✗ denied" if error.code == "AccessDenied" else "✗ error", style="red")


def encryption_label(summary: BucketSummary) -> str:
    algorithm = summary.encryption
    if algorithm == "":
        return "none"
    if algorithm == "AES256":
        return "SSE-S3"
    # SSE-KMS: the key's alias when it has one, else the start of its id
    if algorithm in ("aws:kms", "aws:kms:dsse"):
        kind = "KMS" if algorithm == "aws:kms" else "DSSE"
        if summary.kms_alias:
            return f"{kind} {summary.kms_alias.removeprefix('alias/')}"
        if summary.kms_key:
            return f"{kind} {summary.kms_key.rsplit('/', 1)[-1][:8]}…"
        return f"{kind} aws/s3"  # the AWS managed key
    return str(algorithm)


def lock_label(summary: BucketSummary) -> str:
    lock = summary.object_lock
    if lock is None or not lock.enabled:
        return "off"
    if not lock.default_mode:
        return "on"
    mode = {"GOVERNANCE": "GOV", "COMPLIANCE": "COMP"}.get(lock.default_mode, lock.default_mode)
    period = f"{lock.default_days}d" if lock.default_days else f"{lock.default_years}y" if lock.default_years else ""
    return f"{mode} {period}".strip()


def replication_label(rules: int) -> str:
    return "none" if rules == 0 else f"{rules} rule" + ("s" if rules > 1 else "")


class _BulkLoading:
    """No full garbage collection rescans a big table: none while it loads, none after.

    While chunks are being added the collector is off and each chunk ends with a
    collection of the young generations only (a few ms: cyclic garbage is still
    freed). When a table has added its last chunk the collector is back on and the
    table holds the frozen heap (:mod:`..frozen_heap`) until it leaves the screen.
    """

    def __init__(self) -> None:
        self.tables: set[int] = set()
        self.was_enabled = True

    def enter(self, table: object) -> None:
        if not self.tables:
            self.was_enabled = gc.isenabled()
            gc.disable()
        self.tables.add(id(table))

    def leave(self, table: object, *, loaded: bool = True) -> None:
        if id(table) in self.tables:
            self.tables.discard(id(table))
            if not self.tables and self.was_enabled:
                gc.collect(1)
                gc.enable()
            if loaded:
                frozen_heap.hold(table)

    def unmounted(self, table: object) -> None:
        self.leave(table, loaded=False)  # leaving mid-load: nothing of it to keep
        frozen_heap.release(table)


_bulk = _BulkLoading()


@dataclass
class BucketRow:
    """One row's model: the listing entry, its facts once read, and its role."""

    entry: BucketEntry
    summary: BucketSummary | None = None
    use: str = ""  # "SRC" / "DST"

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def region(self) -> str | None:
        return (self.summary.region if self.summary else None) or self.entry.region

    def cells(self) -> list[Text]:
        return [self.cell(key) for key, _, _ in COLUMNS]

    def cell(self, column: str) -> Text:
        if column == "use":
            return Text(self.use, style="bold")
        if column == "name":
            return Text(shorten(self.name, WIDTHS["name"]))
        s = self.summary
        if column == "region":
            if s is not None and not s.exists:
                return Text("gone", style="red")
            if self.region:
                return Text(self.region)
            return (_problem(s, "region") or PENDING) if s else PENDING
        if s is None:
            return PENDING
        if not s.exists or "region" in s.problems:
            return Text("")
        fact = {"versioning": "versioning", "ownership": "ownership", "encryption": "encryption",
                "lock": "object_lock", "replication": "replication"}[column]
        problem = _problem(s, fact)
        if problem is not None:
            return problem
        if column == "versioning":
            status = s.versioning or ""
            style = {"Enabled": "green", "Suspended": "yellow"}.get(status, "dim")
            return Text("off" if status == "Unversioned" else status, style=style)
        if column == "ownership":
            label = OWNERSHIP_LABELS.get(s.ownership or "", s.ownership or "")
            return Text(label, style="" if s.ownership else "dim")
        if column == "encryption":
            return Text(shorten(encryption_label(s), WIDTHS["encryption"]))
        if column == "lock":
            label = lock_label(s)
            return Text(label, style="dim" if label == "off" else "")
        rules = s.replication_rules or 0
        return Text(replication_label(rules), style="dim" if rules == 0 else "bold")

    def haystack(self) -> str:
        """What the filter matches: the name, and the region once known."""
        return f"{self.name} {self.region or ''}".lower()


class BucketTable(FixedTable, KeyedTable):
    """A DataTable showing ``BucketRow`` models, in chunks, updated in place."""

    BINDINGS = [Binding("enter", "screen.open_browser", "Browse")]

    DEFAULT_CSS = """
    BucketTable { height: 1fr; }
    """

    class WindowChanged(Message):
        """The rows on screen changed (scroll, new rows, resize): read their facts."""

        def __init__(self, table: BucketTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> BucketTable:
            return self.table

    def __init__(self, side: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.side = side
        self._order: list[str] = []  # every name this view shows, added or still pending
        self._pending: deque[BucketRow] = deque()
        self._pumping = False
        self._window_timer: Timer | None = None
        self._last_window: tuple[str, ...] = ()
        self.rebuilds = 0  # how many times the rows were replaced (tests count them)
        self._listing = False  # more rows are on their way (pages of a listing): stay in bulk mode between them

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

    # --- rows -----------------------------------------------------------------

    def show(self, rows: Iterable[BucketRow], keep_cursor_on: str | None = None) -> None:
        """Replace the rows (a new listing or a new filter); the first screenful appears at once."""
        self.rebuilds += 1
        self.clear()
        self._order = []
        self._pending.clear()
        self._keep_cursor_on = keep_cursor_on
        self.append(rows)

    def append(self, rows: Iterable[BucketRow]) -> None:
        """Add rows at the end, a chunk per frame."""
        rows = list(rows)
        self._order.extend(row.name for row in rows)
        self._pending.extend(rows)
        if not self._pumping:  # a chunk is already due after the next refresh: one chain of chunks, never two
            self._pump()

    def _pump(self) -> None:
        self._pumping = False
        if not self._pending:
            if not self._listing:
                _bulk.leave(self)
            return
        _bulk.enter(self)
        chunk = FIRST_CHUNK if self.row_count < FIRST_CHUNK else CHUNK
        for _ in range(min(chunk, len(self._pending))):
            row = self._pending.popleft()
            self.add_row(*row.cells(), key=row.name)
        gc.collect(1)
        keep = getattr(self, "_keep_cursor_on", None)
        if keep is not None and keep in self.rows:
            self.move_to(keep)
            self._keep_cursor_on = None
        self.window_changed()
        if self._pending and not self._pumping:
            self._pumping = True
            self.call_after_refresh(self._pump)
        elif not self._pending and not self._listing:
            _bulk.leave(self)

    @property
    def listing(self) -> bool:
        return self._listing

    @listing.setter
    def listing(self, more_coming: bool) -> None:
        """The screen says whether a listing is still sending pages (full collections wait until it is done)."""
        self._listing = more_coming
        if more_coming:
            _bulk.enter(self)
        elif not self._pending:
            _bulk.leave(self)

    def on_unmount(self) -> None:
        self._pending.clear()
        self._listing = False
        _bulk.unmounted(self)

    def paint(self, row: BucketRow, columns: Iterable[str] | None = None) -> None:
        """Update one row's cells in place (no-op when the filter hides it or it is not added yet)."""
        if row.name not in self.rows:
            return
        for key in columns or [key for key, _, _ in COLUMNS]:
            self.update_cell(row.name, key, row.cell(key))

    @property
    def adding(self) -> bool:
        """Rows are still being added (a chunk per frame)."""
        return bool(self._pending)

    @property
    def shown_names(self) -> list[str]:
        return list(self._order)

    # --- the visible window ----------------------------------------------------

    def visible_names(self) -> list[str]:
        """The names on screen now (and a few below), in order."""
        first = max(0, int(self.scroll_y))
        height = max(1, self.scrollable_content_region.height - (self.header_height if self.show_header else 0))
        cursor = self.cursor_row
        names = self._order[first : first + height + LOOKAHEAD]
        if 0 <= cursor < len(self._order) and self._order[cursor] not in names:
            names.insert(0, self._order[cursor])
        return names

    def window_changed(self) -> None:
        """Tell the screen (at most every 50 ms) that other rows may be visible now."""
        if self._window_timer is None:
            self._window_timer = self.set_timer(0.05, self._post_window)

    def _post_window(self) -> None:
        self._window_timer = None
        window = tuple(self.visible_names())
        if window != self._last_window:
            self._last_window = window
            self.post_message(self.WindowChanged(self))

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self.window_changed()

    def on_resize(self) -> None:
        self.window_changed()

    # --- the cursor ------------------------------------------------------------
