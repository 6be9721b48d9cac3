"""FixedTable: with fixed widths nothing is measured, and the scrollable size is DataTable's own."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from s3xrep_tui.tui.widgets.fixed_table import FixedTable


class Tables(App[None]):
    def __init__(self, auto_width: bool = False) -> None:
        super().__init__()
        self.auto_width = auto_width

    def compose(self) -> ComposeResult:
        yield FixedTable(id="fixed")
        yield DataTable(id="plain")

    def fill(self) -> None:
        for table in self.query(DataTable):
            table.add_column("key", key="key", width=None if self.auto_width else 30)
            table.add_column("size", key="size", width=8)
            for n in range(300):
                table.add_row(f"photos/{n:05d}.jpg", str(n * 1024), key=f"k{n}")


def count_measuring(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Rows DataTable's own ``_update_dimensions`` measured, per table (FixedTable reaches it only to fall back)."""
    counts = {"fixed": 0, "plain": 0}
    real = DataTable._update_dimensions

    def counting(self: DataTable, new_rows: Any) -> None:
        new_rows = list(new_rows)
        counts[self.id or ""] += len(new_rows)
        real(self, new_rows)

    monkeypatch.setattr(DataTable, "_update_dimensions", counting)
    return counts


async def test_fixed_widths_measure_nothing_and_size_the_table_as_datatable_does(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = count_measuring(monkeypatch)
    app = Tables()
    async with app.run_test(size=(100, 40)) as pilot:
        app.fill()
        await pilot.pause()
        await pilot.pause()
        fixed, plain = app.query_one("#fixed", FixedTable), app.query_one("#plain", DataTable)
        assert plain.virtual_size.height == 301 and fixed.virtual_size == plain.virtual_size
        assert counts["plain"] >= 300 and counts["fixed"] == 0


async def test_an_auto_width_column_is_measured_as_datatable_does(monkeypatch: pytest.MonkeyPatch) -> None:
    counts = count_measuring(monkeypatch)
    app = Tables(auto_width=True)
    async with app.run_test(size=(100, 40)) as pilot:
        app.fill()
        await pilot.pause()
        await pilot.pause()
        fixed, plain = app.query_one("#fixed", FixedTable), app.query_one("#plain", DataTable)
        assert counts["fixed"] >= 300 and fixed.virtual_size == plain.virtual_size


class Pair(Tables):
    CSS = "DataTable { height: 18; }"


def lines(table: DataTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def cached_cells(table: DataTable) -> set[Any]:
    return set(table._cell_render_cache.keys())


async def test_update_cells_paints_what_update_cell_paints_and_renders_only_the_changed_cells() -> None:
    app = Pair()
    async with app.run_test(size=(100, 40)) as pilot:
        app.fill()
        await pilot.pause()
        fixed, plain = app.query_one("#fixed", FixedTable), app.query_one("#plain", DataTable)
        for table in (fixed, plain):
            table.move_cursor(row=3)
        await pilot.pause()
        assert lines(fixed) == lines(plain)
        before = {t.id: cached_cells(t) for t in (fixed, plain)}
        changes = {"k3": {"size": "changed"}, "k5": {"key": "renamed.jpg", "size": "1"}, "k250": {"size": "far"}}
        fixed.update_cells(changes)
        for row, cells in changes.items():
            for column, value in cells.items():
                plain.update_cell(row, column, value)
        await pilot.pause()
        assert lines(fixed) == lines(plain) and "changed" in " ".join(lines(fixed))
        made = {t.id: len(cached_cells(t) - before[t.id]) for t in (fixed, plain)}  # renders under new cache keys
        assert made["fixed"] <= 4 < 30 <= made["plain"], made  # update_cell rendered every visible cell anew
        for table in (fixed, plain):
            table.move_cursor(row=250)  # a row that was off screen when it changed
        await pilot.pause()
        assert lines(fixed) == lines(plain) and "far" in " ".join(lines(fixed))
        with pytest.raises(Exception, match="No cell exists"):
            fixed.update_cells({"nope": {"size": "x"}})
