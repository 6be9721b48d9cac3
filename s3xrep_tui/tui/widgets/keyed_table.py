"""The table base the keyed tables share: rows keyed by a string (a bucket, a profile, an object), and the cut of a cell.

Each table (BucketTable, ProfileTable, ObjectTable) adds its columns and how it
sizes them (FixedTable, RefitTable); moving the cursor to a key and reading the
highlighted key are the same for all, here.
"""

from __future__ import annotations

from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist

from ...core.text import safe


def shorten(text: str, width: int) -> str:
    """``text`` (control characters shown escaped: keys and names are foreign) cut to ``width``."""
    text = safe(text)
    return text if len(text) <= width else text[: width - 1] + "…"


class KeyedTable(DataTable):
    """A DataTable whose rows are keyed by strings."""

    def move_to(self, key: str) -> None:
        """Put the cursor on the row ``key`` (nothing when the filter hides it)."""
        try:
            self.move_cursor(row=self.get_row_index(key), scroll=True)
        except RowDoesNotExist:
            pass

    @property
    def highlighted_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # the cursor beyond the rows while the table is being rebuilt
            return None
