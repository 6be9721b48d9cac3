"""The prefix browser: one bucket's prefixes, objects and versions, a page at a time.

Opening a prefix costs one ``list_objects_v2`` (Delimiter "/"), whatever its
size; the next page is listed only when asked for (``n``, page down on the
"more…" row, or Enter on it). At most ``MAX_PAGES`` pages are kept: older ones
are dropped and listed again if the user goes back up to them, so memory
stays flat however far one pages. The versions of a key are paged the same
way; the replication status of a version is read (``head_object``) only for
the highlighted one.

Paging churns rows (a page rebuilds the table's few hundred rows), so the
collector's full passes come every few pages; each rescans everything alive,
the app's and botocore's long-lived objects included (~200,000: 0.15-0.3 s of
CPU inside a frame, bench/browse_million.py). What exists when the first page
has arrived (botocore loads its endpoint rules and shapes on the first call,
~45,000 objects) is frozen out of those passes (:mod:`..frozen_heap`) until the
browser closes.
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from ...aws.browse import (
    LEVEL_PAGE_SIZE,
    Level,
    ObjectHead,
    VersionsPage,
    head,
    list_level,
    list_level_versions,
    list_versions,
)
from ...aws.errors import AwsError
from ...core.text import safe
from .. import frozen_heap
from ..widgets.context_bar import ContextBar
from ..widgets.footer import Footer
from ..widgets.object_table import (
    EARLIER,
    MORE,
    ObjectTable,
    object_cells,
    paging_cells,
    prefix_cells,
    replication_cell,
    version_cells,
)
from .base import AppScreen

log = logging.getLogger(__name__)

MAX_PAGES = 3
_generations = itertools.count(1)


@dataclass
class Window:
    """The pages of one listing that are in memory: ``pages[i]`` is page number ``first + i``.

    ``starts[n]`` is the token (or version marker) page ``n`` is listed with;
    that is all that is kept of the pages dropped from memory.
    """

    pages: deque[Any]
    first: int = 0
    starts: list[Any] | None = None
    next: Any = None  # the token of the page after the last one in memory (None: no more)

    def __post_init__(self) -> None:
        if self.starts is None:
            self.starts = [None]


class BrowserScreen(AppScreen):
    class LevelLoaded(Message):
        """A page of a prefix (``level``) or the reason it could not be listed (``error``)."""

        def __init__(self, generation: int, level: Level | None, error: AwsError | None = None,
                     region: str | None = None, page: int = 0) -> None:
            super().__init__()
            self.page = page
            self.generation = generation
            self.level = level
            self.error = error
            self.region = region

    class VersionsLoaded(Message):
        def __init__(self, generation: int, page: VersionsPage | None, error: AwsError | None = None,
                     region: str | None = None, page_number: int = 0) -> None:
            super().__init__()
            self.page_number = page_number
            self.generation = generation
            self.page = page
            self.error = error
            self.region = region

    class HeadLoaded(Message):
        def __init__(self, generation: int, version_id: str, head: ObjectHead | None, error: AwsError | None = None) -> None:
            super().__init__()
            self.generation = generation
            self.version_id = version_id
            self.head = head
            self.error = error

    TITLE = "Browse"

    BINDINGS = [
        Binding("enter", "activate", "Open"),
        Binding("backspace", "up", "Up"),
        Binding("n", "next_page", "Next page"),
        Binding("v", "toggle_deleted", "Deleted keys"),
        Binding("p", "previous_page", "Earlier page", show=False),
        Binding("r", "reload", "Reload"),
        Binding("escape", "app.back", "Back"),
    ]

    DEFAULT_CSS = """
    BrowserScreen #crumb { height: 1; padding: 0 1; background: $boost; text-style: bold; }
    BrowserScreen #problem { display: none; height: auto; padding: 0 1; }
    BrowserScreen #problem.-shown { display: block; }
    BrowserScreen #detail { height: 2; padding: 0 1; background: $boost; }
    """

    def __init__(self, side: str, bucket: str, region: str | None, owner: str | None,
                 page_size: int = LEVEL_PAGE_SIZE) -> None:
        super().__init__()
        self.side = side
        self.bucket = bucket
        self.bucket_region = region
        self.owner = owner
        self.page_size = page_size
        self.prefix = ""
        self.show_deleted = False  # list with list_object_versions: keys whose latest version is a delete marker too
        self.key: str | None = None  # the key whose versions are shown (versions mode)
        self._holding = False  # of the frozen heap, from the first page on
        self.window = Window(deque())
        self.level_window: tuple[str, Window, str | None] | None = None  # the listing to go back to from versions
        self.generation = 0
        self.busy = False
        self.error: AwsError | None = None
        self.heads: dict[str, ObjectHead | AwsError] = {}
        self._head_timer: Timer | None = None
        self._cursor_after_load: str | None = None  # going up: the cursor lands on the prefix we came from
        self.requests = 0  # pages asked for (tests check paging is on demand)

    def compose(self) -> ComposeResult:
        yield ContextBar(f"Browse ({self.side})", demo=self.s3xrep.demo)
        yield Static(id="crumb")
        yield Static(id="problem")
        yield ObjectTable(id="objects")
        yield Static(id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ObjectTable).focus()
        self.open_prefix("")

    def on_unmount(self) -> None:
        frozen_heap.release(self)

    @property
    def table(self) -> ObjectTable:
        return self.query_one(ObjectTable)

    # --- loading ---------------------------------------------------------------------

    def open_prefix(self, prefix: str) -> None:
        self.prefix, self.key = prefix, None
        self.window = Window(deque())
        self.heads = {}
        self._request(0)

    def open_versions(self, key: str) -> None:
        self.level_window = (self.prefix, self.window, self.table.highlighted_key)
        self.key = key
        self.window = Window(deque())
        self.heads = {}
        self._request(0)

    def _request(self, page: int) -> None:
        """List page number ``page`` of the current prefix or key (its start token is known)."""
        assert self.window.starts is not None
        start = self.window.starts[page]
        self.generation = next(_generations)
        self.busy = True
        self.requests += 1
        self._paint_crumb()
        target = partial(self._versions_in_thread, self.key) if self.key is not None else partial(
            self._level_in_thread, self.prefix)
        self.run_worker(
            partial(target, start, page, self.generation),
            name=f"list s3://{self.bucket}/{self.key or self.prefix}",
            group="listing",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _region(self) -> str | None:
        if self.bucket_region is None and self.owner:
            from ...aws.inspect import bucket_region

            self.bucket_region = bucket_region(self.s3xrep.clients(self.side), self.bucket, self.owner)
        return self.bucket_region

    def _level_in_thread(self, prefix: str, token: str | None, page: int, generation: int) -> None:
        worker = get_current_worker()
        try:
            region = self._region()
            lister = list_level_versions if self.show_deleted else list_level
            level = lister(self.s3xrep.clients(self.side), self.bucket, region, prefix, token, self.page_size,
                           owner=self.owner)
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.LevelLoaded(generation, None, exc))
            return
        except Exception as exc:
            log.exception("listing s3://%s/%s crashed", self.bucket, prefix)
            if not worker.is_cancelled:
                self.post_message(self.LevelLoaded(generation, None, AwsError(f"{type(exc).__name__}: {exc}",
                                                                          "see the log file", "Bug")))
            return
        if not worker.is_cancelled:
            self.post_message(self.LevelLoaded(generation, level, region=region, page=page))

    def _versions_in_thread(self, key: str, marker: tuple[str, str] | None, page: int, generation: int) -> None:
        worker = get_current_worker()
        try:
            region = self._region()
            versions = list_versions(self.s3xrep.clients(self.side), self.bucket, region, key, marker,
                                     self.page_size, owner=self.owner)
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.VersionsLoaded(generation, None, exc))
            return
        except Exception as exc:
            log.exception("listing the versions of s3://%s/%s crashed", self.bucket, key)
            if not worker.is_cancelled:
                self.post_message(self.VersionsLoaded(generation, None, AwsError(f"{type(exc).__name__}: {exc}",
                                                                             "see the log file", "Bug")))
            return
        if not worker.is_cancelled:
            self.post_message(self.VersionsLoaded(generation, versions, region=region, page_number=page))

    @on(LevelLoaded)
    def _level_loaded(self, message: BrowserScreen.LevelLoaded) -> None:
        if message.generation != self.generation:
            return
        self._page_arrived(message.level, message.error, message.page,
                           message.level.next_token if message.level else None)

    @on(VersionsLoaded)
    def _versions_loaded(self, message: BrowserScreen.VersionsLoaded) -> None:
        if message.generation != self.generation:
            return
        self._page_arrived(message.page, message.error, message.page_number,
                           message.page.next_marker if message.page else None)

    def _page_arrived(self, page: Level | VersionsPage | None, error: AwsError | None, number: int,
                      next_start: Any) -> None:
        self.busy = False
        self.error = error
        problem = self.query_one("#problem", Static)
        if error is not None or page is None:
            problem.update(Text.assemble(("✗ ", "red"), error.message if error else "nothing came back", "\n  ",
                                         ("fix: ", "bold"), error.fix if error else "press r"))
            problem.add_class("-shown")
            self._paint_crumb()
            return
        problem.remove_class("-shown")
        if not self._holding:  # botocore's models exist now: freeze them with the app
            frozen_heap.hold(self)
            self._holding = True
        window = self.window
        assert window.starts is not None
        cursor_on: str | None = None
        if window.pages and number == window.first + len(window.pages):  # the next page, appended
            window.pages.append(page)
            while len(window.pages) > MAX_PAGES:
                window.pages.popleft()
                window.first += 1
            cursor_on = self._first_key(page)
        elif window.pages and number == window.first - 1:  # an earlier page, prepended
            window.pages.appendleft(page)
            window.first = number
            while len(window.pages) > MAX_PAGES:
                window.pages.pop()
            cursor_on = self._first_key(page)
        else:  # a fresh listing (or a reload)
            window.pages = deque([page])
            window.first = number
            cursor_on, self._cursor_after_load = self._cursor_after_load, None
        last = window.first + len(window.pages) - 1
        if number == last:
            window.next = next_start
            if next_start is not None and len(window.starts) == last + 1:
                window.starts.append(next_start)
        elif len(window.starts) > last + 1:
            window.next = window.starts[last + 1]
        self._paint_rows(cursor_on)

    @staticmethod
    def _first_key(page: Level | VersionsPage) -> str | None:
        if isinstance(page, Level):
            if page.prefixes:
                return "p:" + page.prefixes[0]
            return "o:" + page.objects[0].key if page.objects else None
        return "v:" + page.versions[0].version_id if page.versions else None

    # --- painting ----------------------------------------------------------------------

    def _paint_rows(self, cursor_on: str | None = None) -> None:
        table = self.table
        versions = self.key is not None
        table.set_mode("versions" if versions else "level")
        width = len(table.columns)
        window = self.window
        if window.first > 0:
            table.add_row(*paging_cells(EARLIER, f"↑ earlier entries (page {window.first} and before): Enter or p",
                                        width), key=EARLIER)
        added: set[str] = set()  # a key can end one page of versions and start the next
        for page in window.pages:
            if isinstance(page, Level):
                for prefix in page.prefixes:
                    if "p:" + prefix not in added:
                        added.add("p:" + prefix)
                        table.add_row(*prefix_cells(prefix, self.prefix), key="p:" + prefix)
                for entry in page.objects:
                    if entry.key == self.prefix or "o:" + entry.key in added:  # the prefix's "folder" object
                        continue
                    added.add("o:" + entry.key)
                    table.add_row(*object_cells(entry, self.prefix), key="o:" + entry.key)
            else:
                for version in page.versions:
                    cells = version_cells(version)
                    known = self.heads.get(version.version_id)
                    if isinstance(known, ObjectHead):
                        cells[-1] = replication_cell(known.replication_status)
                    table.add_row(*cells, key="v:" + version.version_id)
        if window.next is not None:
            table.add_row(*paging_cells(MORE, "more… (Enter, n or page down for the next page)", width), key=MORE)
        if cursor_on is not None:
            try:
                table.move_cursor(row=table.get_row_index(cursor_on), scroll=True)
            except Exception:
                pass
        self._paint_crumb()
        self._update_detail()

    def _paint_crumb(self) -> None:
        crumb = Text(f"s3://{self.bucket}/", style="bold")
        path = self.key if self.key is not None else self.prefix
        crumb.append(safe(path))  # keys and prefixes are the other account's: shown, never obeyed
        if self.key is not None:
            crumb.append("  · versions", style="italic")
        elif self.show_deleted:
            crumb.append("  · with deleted keys (v hides them)", style="italic")
        window = self.window
        if window.pages:
            first, last = window.first + 1, window.first + len(window.pages)
            crumb.append(f"   page {first}" if first == last else f"   pages {first}-{last}", style="dim")
            if window.next is not None:
                crumb.append(" of more", style="dim")
        if self.busy:
            crumb.append("   listing…", style="dim")
        self.query_one("#crumb", Static).update(crumb)

    def _update_detail(self) -> None:
        key = self.table.highlighted_key
        detail = self.query_one("#detail", Static)
        if key is None:
            empty = not self.busy and self.error is None and self.window.pages
            detail.update(Text("Nothing here." if empty else "", style="dim"))
            return
        if key.startswith("p:"):
            detail.update(Text.assemble((safe(key[2:]), "bold"), "\nEnter opens it · Backspace goes up"))
        elif key.startswith("o:"):
            detail.update(Text.assemble((safe(key[2:]), "bold"), "\nEnter lists its versions · Backspace goes up"))
        elif key.startswith("v:"):
            version = key[2:]
            known = self.heads.get(version)
            line = Text.assemble((safe(f"{self.key} @ {version}"), "bold"), "\n")
            if isinstance(known, ObjectHead):
                line.append(f"replication {known.replication_status or 'none'}")
                if known.storage_class:
                    line.append(f" · storage class {known.storage_class}")
                if known.encryption:
                    line.append(safe(f" · encryption {known.encryption}"))
            elif isinstance(known, AwsError):
                line.append(f"✗ {known.message} · fix: {known.fix}", style="red")
            else:
                line.append("Backspace returns to the listing", style="dim")
            detail.update(line)
        else:
            detail.update(Text("Enter loads the page", style="dim"))

    # --- keys ---------------------------------------------------------------------------

    def action_activate(self) -> None:
        key = self.table.highlighted_key
        if key is None:
            return
        if key == MORE:
            self.action_next_page()
        elif key == EARLIER:
            self.action_previous_page()
        elif key.startswith("p:"):
            self.open_prefix(key[2:])
        elif key.startswith("o:"):
            self.open_versions(key[2:])

    def action_up(self) -> None:
        if self.key is not None:
            self.key = None
            if self.level_window is not None:
                self.prefix, self.window, cursor_on = self.level_window
                self.level_window = None
                self.generation = next(_generations)  # a version listing still running is not wanted
                self.busy = False
                self.heads = {}
                self._paint_rows(cursor_on)
            else:
                self.open_prefix(self.prefix)
            return
        if not self.prefix:
            return
        parent = self.prefix.rstrip("/").rpartition("/")[0]
        child = self.prefix
        self.open_prefix(parent + "/" if parent else "")
        self._cursor_after_load = "p:" + child

    def action_next_page(self) -> None:
        if self.busy or self.window.next is None:
            return
        self._request(self.window.first + len(self.window.pages))

    def action_previous_page(self) -> None:
        if self.busy or self.window.first == 0:
            return
        self._request(self.window.first - 1)

    def action_toggle_deleted(self) -> None:
        """Show keys whose latest version is a delete marker (listed with list_object_versions), or hide them."""
        if self.key is not None:
            return
        self.show_deleted = not self.show_deleted
        self._cursor_after_load = self.table.highlighted_key
        self.open_prefix(self.prefix)

    def action_reload(self) -> None:
        self.heads = {}
        self.window.pages.clear()
        self._request(self.window.first)

    # --- replication status of the highlighted version -------------------------------------

    @on(DataTable.RowHighlighted)
    def _highlighted(self, _: DataTable.RowHighlighted) -> None:
        self._update_detail()
        key = self.table.highlighted_key
        if self.key is not None and key and key.startswith("v:") and key[2:] not in self.heads:
            if self._head_timer is not None:
                self._head_timer.stop()
            self._head_timer = self.set_timer(0.15, partial(self._read_head, key[2:]))

    def _read_head(self, version_id: str) -> None:
        self._head_timer = None
        if self.key is None or self.table.highlighted_key != "v:" + version_id or version_id in self.heads:
            return
        row = self._version(version_id)
        if row is None or row.delete_marker:
            return
        self._set_replication(version_id, replication_cell(None, "reading"))
        self.run_worker(
            partial(self._head_in_thread, self.key, version_id, self.generation),
            name=f"head {self.key}@{version_id}",
            group="head",
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _version(self, version_id: str) -> Any:
        for page in self.window.pages:
            if isinstance(page, VersionsPage):
                for version in page.versions:
                    if version.version_id == version_id:
                        return version
        return None

    def _head_in_thread(self, key: str, version_id: str, generation: int) -> None:
        worker = get_current_worker()
        try:
            answer = head(self.s3xrep.clients(self.side), self.bucket, self._region(), key, version_id,
                          owner=self.owner)
        except AwsError as exc:
            if not worker.is_cancelled:
                self.post_message(self.HeadLoaded(generation, version_id, None, exc))
            return
        except Exception as exc:
            log.exception("head_object s3://%s/%s crashed", self.bucket, key)
            if not worker.is_cancelled:
                self.post_message(self.HeadLoaded(generation, version_id, None,
                                             AwsError(f"{type(exc).__name__}: {exc}", "see the log file", "Bug")))
            return
        if not worker.is_cancelled:
            self.post_message(self.HeadLoaded(generation, version_id, answer))

    @on(HeadLoaded)
    def _head_loaded(self, message: BrowserScreen.HeadLoaded) -> None:
        if message.generation != self.generation:
            return
        if message.head is not None:
            self.heads[message.version_id] = message.head
            self._set_replication(message.version_id, replication_cell(message.head.replication_status))
        else:
            assert message.error is not None
            self.heads[message.version_id] = message.error
            self._set_replication(message.version_id, replication_cell(None, "error"))
        if self.table.highlighted_key == "v:" + message.version_id:
            self._update_detail()

    def _set_replication(self, version_id: str, cell: Text) -> None:
        if "v:" + version_id in self.table.rows:
            self.table.update_cell("v:" + version_id, "replication", cell)
