"""``?``: every key that works on the screen underneath, and where it comes from."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(key, what it does, where) for each binding active on ``screen``, screen's own first."""
    app = screen.app
    rows: list[tuple[int, str, str, str]] = []
    for key, active in screen.active_bindings.items():
        binding, node = active.binding, active.node
        if node is app:
            where, order = "everywhere", 2
        elif node is screen:
            where, order = "this screen", 0
        else:
            where, order = node.__class__.__name__, 1
        what = binding.description or binding.action.replace("_", " ")
        rows.append((order, app.get_key_display(binding) or key, what, where))
    rows.sort(key=lambda row: row[0])
    return [(key, what, where) for _, key, what, where in rows]


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
    HelpScreen DataTable { height: auto; max-height: 28; }
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
            note = "ctrl+p or : opens the command palette; / filters, Esc clears the filter."
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
