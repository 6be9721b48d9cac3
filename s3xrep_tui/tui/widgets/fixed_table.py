"""A DataTable whose columns all have fixed widths and whose rows are one line: nothing to measure.

DataTable measures every cell of every new row when it goes idle (to widen
auto-width columns). With fixed widths that changes nothing, yet it built and
measured 2,400 renderables for each 600-row page of the prefix browser (~80 ms
of CPU a page, bench/browse_million.py). Here only the scrollable size is set;
any auto-width column or row label, or a Textual without the internals this
relies on, gets DataTable's own measuring.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class FixedTable(DataTable):
    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        label_width = getattr(self, "_row_label_column_width", None)
        total_height = getattr(self, "_total_row_height", None)
        rows = [self.rows[key] for key in new_rows if key in self.rows]
        if (label_width is None or total_height is None
                or any(column.auto_width for column in self.columns.values())
                or any(row.label is not None or row.auto_height or row.height != 1 for row in rows)):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values()) + label_width
        self.virtual_size = Size(width, total_height + (self.header_height if self.show_header else 0))
