"""A ``core.diff.JsonDiff`` shown with colour: ``+`` green, ``-`` red, hunks cyan."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...core.diff import JsonDiff
from ...core.text import safe

STYLES = {"header": "bold", "hunk": "cyan", "add": "green", "remove": "red", "context": ""}


UNKNOWN = "What is deployed now is not known here (open the preview from the options screen)."


def render_diff(diff: JsonDiff | None, note: str | None = None) -> Text:
    if note is not None:
        return Text(note, style="dim")
    if diff is None:
        return Text(UNKNOWN, style="dim")
    if diff.status == "absent":
        return Text("Nothing deployed, nothing planned.", style="dim")
    text = Text(no_wrap=True, overflow="ignore")
    if diff.status == "unchanged":
        text.append("Unchanged: the plan writes exactly what is deployed.\n", style="bold green")
    for index, line in enumerate(diff.lines):
        if index:
            text.append("\n")
        text.append(safe(line.text), style=STYLES[line.kind])  # JSON keeps C1 and bidi characters raw
    return text


class DiffView(VerticalScroll):
    """Scrollable (both ways) coloured unified diff; ``plain`` holds its text for tests."""

    DEFAULT_CSS = """
    DiffView { border: round $secondary; height: 1fr; overflow-x: auto; }
    DiffView:focus { border: round $accent; }
    DiffView > Static { width: auto; }
    """

    def __init__(self, diff: JsonDiff | None, note: str | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        """``note`` replaces the diff when there is nothing to compare (say why)."""
        super().__init__(**kwargs)
        self.diff = diff
        self.note = note
        self.plain = render_diff(diff, note).plain
        self._opened = False

    def compose(self) -> ComposeResult:
        yield Static(render_diff(self.diff, self.note))

    def on_mount(self) -> None:
        if not self.border_title:  # the document view may have titled it already (with its key)
            self.border_title = "diff vs deployed"
        if self.diff is not None and self.note is None:
            self.border_subtitle = self.diff.summary()

    def on_show(self) -> None:
        """The first time the diff is on screen (its tab shown), open it at the first change."""
        if not self._opened:
            self._opened = True
            self.call_after_refresh(self.scroll_to, y=self.first_change_line(), animate=False)

    def first_change_line(self, context: int = 3) -> int:
        """Where the first +/- line is, less a little context: the diff opens there."""
        if self.diff is None or self.diff.status != "changed":
            return 0
        for index, line in enumerate(self.diff.lines):
            if line.kind in ("add", "remove"):
                return max(0, index - context)
        return 0
