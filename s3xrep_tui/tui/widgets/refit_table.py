"""A DataTable that draws again once its auto-width columns have been re-measured.

DataTable widens auto-width columns when it goes idle after
``update_cell(update_width=True)``, but its render caches are keyed by an
update counter that the re-measuring does not advance (Textual 8.2). A row
drawn between the update and the idle keeps the old column width, its new
text cut off, until something else changes the table: an identity's fix
showed as "✗ configure" on the accounts screen. One more (same-value) cell
update right after the re-measuring advances the counter, and the next frame
draws every row at its new width. Tables whose columns are all fixed
(``FixedTable``) never re-measure and do not need this.
"""

from __future__ import annotations

from typing import Any

from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


class RefitTable(DataTable):
    _refit = False  # a re-measure is due at the next idle

    def update_cell(self, row_key: RowKey | str, column_key: ColumnKey | str, value: Any, *,
                    update_width: bool = False) -> None:
        super().update_cell(row_key, column_key, value, update_width=update_width)
        self._refit = self._refit or update_width

    def on_idle(self) -> None:
        # Runs just before DataTable's own idle handler (subclass first), which re-measures;
        # a call_next callback runs right after the idle handlers.
        if self._refit:
            self._refit = False
            self.call_next(self._redraw)

    def _redraw(self) -> None:
        if self.row_count and self.columns:
            origin = Coordinate(0, 0)
            self.update_cell_at(origin, self.get_cell_at(origin))
