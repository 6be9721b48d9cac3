"""``?``: the keys a user acts on, on the screen underneath and everywhere, and where each comes from.

Widget internals are left out (cursor keys, page keys, copy, focus next and
previous, a text field's editing keys): a single navigation line says what
arrows and Tab do. A screen's own keys come first, then the focused widget's
keys that the footer shows, then the app's.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

# Keys that only move: listed once, in the navigation line, unless a screen gives one a job of its own
# (the buckets' Tab switches panes, the preview's Tab switches documents: those stay).
NAVIGATION_KEYS = frozenset({
    "up", "down", "left", "right", "pageup", "pagedown", "home", "end", "ctrl+home", "ctrl+end",
    "tab", "shift+tab",
})
# Bindings every Textual screen or app has that are no action of ours.
INTERNAL_ACTIONS = frozenset({
    "app.focus_next", "app.focus_previous", "focus_next", "focus_previous", "screen.copy_text", "copy_text",
    "help_quit",
})
MOVING_ACTIONS = ("scroll", "cursor", "page", "focus")

NAVIGATION = ("Navigation: arrows move · Tab / shift+Tab go to the next / previous field or pane · "
              "PgUp PgDn Home End scroll · Esc goes back (or clears a filter)")


def _acted_on(binding: Binding, key: str, from_widget: bool) -> bool:
    """Whether a user acts on ``binding`` (not a widget's cursor, paging, copy or focus internals)."""
    if binding.system or binding.action in INTERNAL_ACTIONS:
        return False
    if from_widget:  # a widget's keys: only those its footer hints show
        return binding.show
    if key in NAVIGATION_KEYS and not binding.show:
        return not binding.action.startswith(MOVING_ACTIONS)
    return True


def _collapse_numbers(rows: list[tuple[int, str, str, str]]) -> list[tuple[int, str, str, str]]:
    """``1 Tab 1`` … ``9 Tab 9`` become one row ``1…9 Tab 1…9``."""
    out: list[tuple[int, str, str, str]] = []
    run: list[tuple[int, str, str, str]] = []

    def pattern(row: tuple[int, str, str, str]) -> str | None:
        match = re.fullmatch(r"(.*?)\s*(\d)", row[2])
        return match.group(1) if match and row[1] == match.group(2) else None

    def flush() -> None:
        if len(run) > 2:
            first, last = run[0], run[-1]
            out.append((first[0], f"{first[1]}…{last[1]}", f"{pattern(first)} {first[1]}…{last[1]}", first[3]))
        else:
            out.extend(run)
        run.clear()

    for row in rows:
        if run and not (pattern(row) is not None and pattern(row) == pattern(run[-1]) and row[3] == run[-1][3]):
            flush()
        if pattern(row) is not None:
            run.append(row)
        else:
            out.append(row)
    flush()
    return out


def widget_place(node: object) -> str:
    """Where a focused widget's key works, in the user's words (never a class name)."""
    return "in the list" if isinstance(node, DataTable) else "in the focused field"


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(key, what it does, where) for each binding a user acts on ``screen``: the screen's own first."""
    app = screen.app
    rows: list[tuple[int, str, str, str]] = []
    for key, active in screen.active_bindings.items():
        binding, node = active.binding, active.node
        if node is app:
            where, order = "everywhere", 2
        elif node is screen:
            where, order = "this screen", 0
        else:
            where, order = widget_place(node), 1
        if not _acted_on(binding, key, from_widget=order == 1):
            continue
        what = binding.description or binding.action.replace("_", " ")
        rows.append((order, app.get_key_display(binding) or key, what, where))
    rows.sort(key=lambda row: row[0])
    return [(key, what, where) for _, key, what, where in _collapse_numbers(rows)]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; max-height: 24; }
    HelpScreen .note { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, rows: list[tuple[str, str, str]], log_path: str | None = None, note: str | None = None) -> None:
        super().__init__()
        self._rows = rows
        self._log_path = log_path
        self._note = note

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Keys"
            box.border_subtitle = "Esc closes"
            yield DataTable(cursor_type="row", show_cursor=False, zebra_stripes=True)
            note = f"{NAVIGATION}.\nctrl+p or : opens the command palette: every action, read-only on/off, theme."
            if self._note:
                note += f"\n{self._note}"
            if self._log_path:
                note += f"\nLog: {self._log_path}"
            yield Static(Text(note), classes="note")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "does", "where")
        for key, what, where in self._rows:
            table.add_row(Text(key, style="bold"), Text(what), Text(where, style="dim"))
        table.focus()
