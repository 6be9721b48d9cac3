"""A DataTable whose columns all have fixed widths and whose rows are one line: nothing to measure.

DataTable measures every cell of every new row when it goes idle (to widen
auto-width columns). With fixed widths that changes nothing, yet it built and
measured 2,400 renderables for each 600-row page of the prefix browser (~80 ms
of CPU a page, bench/browse_million.py). Here only the scrollable size is set;
any auto-width column or row label, or a Textual without the internals this
relies on, gets DataTable's own measuring.

``update_cells`` sets many cells and re-renders only those: DataTable.update_cell bumps an update count
that keys every render cache, so one changed cell re-rendered every visible cell (a fleet board of 200
pairs whose progress and latency all changed drew its poll's frame in up to 110 ms of CPU; 60 ms with this).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

_CACHES = ("_cell_render_cache", "_row_render_cache", "_row_renderable_cache", "_line_cache")


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

    def update_cells(self, changes: Mapping[str, Mapping[str, object]]) -> None:
        """Set ``{row key: {column key: value}}``; only the changed cells are rendered again (CellDoesNotExist
        for an unknown row or column, nothing set). Without the internals relied on: ``update_cell`` each."""
        caches = [getattr(self, name, None) for name in _CACHES]
        if any(cache is None for cache in caches) or not hasattr(self, "_data"):
            for row, cells in changes.items():
                for column, value in cells.items():
                    self.update_cell(row, column, value)
            return
        cells = {(RowKey(row), ColumnKey(column)): value for row, values in changes.items()
                 for column, value in values.items()}
        for row_key, column_key in cells:
            if row_key not in self._row_locations or column_key not in self._column_locations:
                raise CellDoesNotExist(f"No cell exists for row_key={row_key!r}, column_key={column_key!r}.")
        for (row_key, column_key), value in cells.items():
            self._data[row_key][column_key] = value
        rows = {row_key for row_key, _ in cells}
        indexes = {self._row_locations.get(row_key) for row_key in rows}
        cell_cache, row_cache, renderables, lines = caches
        # the keys are DataTable's: (row, column, ...), (row, line, ...), (update count, row index), (y, ...);
        # compared by their strings (a key's own hash is a Python call, and the cell cache holds 10,000)
        names, row_names = {(r.value, c.value) for r, c in cells}, {r.value for r in rows}
        for key in [k for k in cell_cache.keys()  # type: ignore[union-attr]
                    if k[0].value in row_names and (k[0].value, k[1].value) in names]:
            cell_cache.discard(key)  # type: ignore[union-attr]
        for key in [k for k in row_cache.keys() if k[0].value in row_names]:  # type: ignore[union-attr]
            row_cache.discard(key)  # type: ignore[union-attr]
        for key in [k for k in renderables.keys() if k[1] in indexes]:  # type: ignore[union-attr]
            renderables.discard(key)  # type: ignore[union-attr]
        lines.clear()  # type: ignore[union-attr]  (lines are joined from the rows' strips: cheap)
        for index in indexes:
            if index is not None:
                self.refresh_row(index)
