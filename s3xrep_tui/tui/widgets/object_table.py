"""The prefix browser's table: sub-prefixes and objects of one page, or the versions of one key.

Row keys say what a row is: ``p:<prefix>``, ``o:<key>``, ``v:<version id>``, and the
two paging rows ``EARLIER`` and ``MORE``. Columns have fixed widths, so a page of
rows is added without measuring anything.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from rich.text import Text
from textual.binding import Binding

from ...aws.browse import ObjectEntry, VersionEntry
from ...core.humanize import size
from .fixed_table import FixedTable
from .keyed_table import KeyedTable, shorten

Mode = Literal["level", "versions"]
EARLIER, MORE = "earlier", "more"

LEVEL_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("name", "name", 58),
    ("size", "size", 10),
    ("modified", "modified (UTC)", 19),
    ("class", "storage class", 19),
)
VERSION_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("version", "version id", 36),
    ("latest", "latest", 6),
    ("size", "size", 10),
    ("modified", "modified (UTC)", 19),
    ("marker", "delete marker", 13),
    ("replication", "replication", 14),
)


def human_size(n: int | None) -> str:
    return "" if n is None else size(n)


def when(moment: datetime | None) -> str:
    """UTC: the same on every machine (over SSH the server's zone means nothing to the reader)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def prefix_cells(prefix: str, parent: str) -> list[Text]:
    return [Text(shorten(prefix[len(parent):], 58), style="bold"), Text("dir", style="dim"), Text(""), Text("")]


def object_cells(entry: ObjectEntry, parent: str) -> list[Text]:
    if entry.deleted:
        return [Text(shorten(entry.key[len(parent):], 58), style="strike dim"), Text(""), Text(when(entry.last_modified)),
                Text("deleted (marker)", style="yellow")]
    style = "yellow" if entry.storage_class in ("GLACIER", "DEEP_ARCHIVE") else ""
    return [Text(shorten(entry.key[len(parent):], 58)), Text(human_size(entry.size), justify="right"),
            Text(when(entry.last_modified)), Text(entry.storage_class, style=style)]


def replication_cell(status: str | None, state: str = "") -> Text:
    """``state``: "" (read), "reading", "n/a" (a delete marker), "error"."""
    if state == "reading":
        return Text("reading…", style="dim")
    if state == "n/a":
        return Text("—", style="dim")
    if state == "error":
        return Text("✗ unreadable", style="red")
    if state == "unread":
        return Text("")
    if status is None:
        return Text("none", style="dim")
    style = {"COMPLETED": "green", "COMPLETE": "green", "PENDING": "yellow", "FAILED": "red", "REPLICA": "cyan"}
    return Text(status, style=style.get(status, ""))


def version_cells(version: VersionEntry) -> list[Text]:
    return [
        Text(version.version_id),
        Text("✓" if version.is_latest else "", style="green"),
        Text(human_size(version.size), justify="right"),
        Text(when(version.last_modified)),
        Text("delete marker" if version.delete_marker else "", style="yellow"),
        replication_cell(None, "n/a" if version.delete_marker else "unread"),
    ]


def paging_cells(key: str, label: str, width: int) -> list[Text]:
    cells = [Text(label, style="italic bold")]
    return cells + [Text("") for _ in range(width - 1)]


class ObjectTable(FixedTable, KeyedTable):
    """Enter acts on the highlighted row; page down at the end asks the screen for the next page."""

    BINDINGS = [Binding("enter", "screen.activate", "Open")]

    DEFAULT_CSS = """
    ObjectTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.mode: Mode | None = None

    def set_mode(self, mode: Mode) -> None:
        if mode == self.mode:
            self.clear()
            return
        self.clear(columns=True)
        self.mode = mode
        for key, label, width in (LEVEL_COLUMNS if mode == "level" else VERSION_COLUMNS):
            self.add_column(label, key=key, width=width)

    def action_page_down(self) -> None:
        at_end = self.row_count and self.cursor_row >= self.row_count - 1
        if at_end and self.highlighted_key == MORE:
            self.screen.action_next_page()  # type: ignore[attr-defined]
            return
        super().action_page_down()
