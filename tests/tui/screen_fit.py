"""What a screen looks like at a given size, for the layout tests: its text, and the boxes too small to read.

No tests here. ``screen_text`` is every character on the screen, row by row,
as the compositor draws it (toasts included). ``cramped_boxes`` walks the
widget tree of the current screen and names every box the user must read
(a widget with a border, or one that scrolls) that is shown with fewer than
``MIN_ROWS`` content rows while it has more content than that: a box drawn
with zero rows, or a two-row window on a long document, is a layout bug; a
two-line note in a two-row box is not.
"""

from __future__ import annotations

import io

from rich.console import Console
from textual.app import App
from textual.containers import ScrollableContainer
from textual.errors import NoWidget
from textual.scroll_view import ScrollView
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Footer, Input, Select, Switch, Tabs
from textual.widgets._toast import Toast, ToastRack

MIN_ROWS = 3
# Controls and chrome: bordered or scrolling, but not a box of content the user reads.
NOT_BOXES = (Button, Checkbox, Footer, Input, Select, Switch, Tabs, Toast, ToastRack)


def screen_text(app: App) -> str:
    """The screen as plain text, one line per row (trailing spaces kept off)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, force_terminal=True,
                      color_system=None, legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def _shown(widget: Widget) -> bool:
    """Displayed, and so is every ancestor (a hidden tab's pane is display: none)."""
    node: object = widget
    while isinstance(node, Widget):
        if not node.display or not node.visible:
            return False
        node = node.parent
    return True


def _bordered(widget: Widget) -> bool:
    return any(edge[0] not in ("", "none", "hidden") for edge in widget.styles.border)


def _content_rows(widget: Widget) -> int:
    """Rows of content the widget has (all of them, shown or not)."""
    if isinstance(widget, (ScrollableContainer, ScrollView)):
        return widget.virtual_size.height
    if widget.children:
        return sum(child.outer_size.height for child in widget.children if child.display)
    width = max(1, widget.content_region.width)
    return widget.get_content_height(widget.content_region.size, widget.app.size, width)


def _visible_rows(app: App, widget: Widget) -> int:
    """Content rows of ``widget`` on screen (what its parents clip off is not shown)."""
    try:
        geometry = app.screen.find_widget(widget)
    except NoWidget:
        return 0
    visible = geometry.region.intersection(geometry.clip)
    gutter = widget.styles.gutter
    return max(0, visible.height - gutter.top - gutter.bottom) if visible.width > gutter.width else 0


def cramped_boxes(app: App, min_rows: int = MIN_ROWS) -> list[str]:
    """``Class#id: N rows of M`` for each box on the current screen the user cannot read (see the module)."""
    cramped = []
    for widget in app.screen.walk_children(Widget):
        if isinstance(widget, NOT_BOXES) or any(isinstance(a, NOT_BOXES) for a in widget.ancestors):
            continue
        if not (_bordered(widget) or isinstance(widget, (ScrollableContainer, ScrollView))):
            continue
        if not _shown(widget):
            continue
        rows = _visible_rows(app, widget)
        has = _content_rows(widget)
        if has == 0 and not widget.border_title:
            continue  # holds nothing (an empty container), nothing to read
        if rows < min(min_rows, max(has, 1)):
            name = type(widget).__name__ + (f"#{widget.id}" if widget.id else "")
            cramped.append(f"{name}: {rows} rows of {has}")
    return cramped
