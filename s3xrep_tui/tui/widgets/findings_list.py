"""Preflight findings, blocking first, each with its fix; or why there are none to show yet.

The text is built by ``render_findings`` (Rich ``Text``, never markup, so a
bucket name or message is never parsed), and the border title counts them.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...core.models import Finding
from ...core.text import safe

BADGES = {
    "blocking": ("✗ BLOCKING", "bold red"),
    "warning": ("▲ warning", "bold yellow"),
    "info": ("• info", "bold cyan"),
}
ORDER = ("blocking", "warning", "info")


def count_line(findings: Sequence[Finding]) -> str:
    """``1 blocking · 2 warnings · 1 info`` (only the severities present; ``no findings``)."""
    parts = []
    for severity in ORDER:
        n = sum(1 for f in findings if f.severity == severity)
        if n:
            parts.append(f"{n} {severity}" + ("s" if n > 1 and severity == "warning" else ""))
    return " · ".join(parts) if parts else "no findings"


def render_findings(findings: Sequence[Finding]) -> Text:
    """Blocking first, then warnings, then info; each message with its fix under it."""
    text = Text()
    ordered = sorted(findings, key=lambda f: ORDER.index(f.severity))
    if not ordered:
        text.append("✓ ", style="bold green")
        text.append("No findings: nothing stands in the way.")
        return text
    for index, finding in enumerate(ordered):
        if index:
            text.append("\n")
        badge, style = BADGES[finding.severity]
        text.append(badge, style=style)
        text.append("  ")
        text.append(safe(finding.message))  # findings quote foreign policies, rules and keys
        text.append("\n   fix: ", style="bold")
        text.append(safe(finding.fix))
    return text


class FindingsList(VerticalScroll):
    """A scrollable panel of findings (or a busy/problem note) with a counting border title."""

    DEFAULT_CSS = """
    FindingsList { border: round $primary; padding: 0 1; height: 1fr; }
    FindingsList.-blocked { border: round $error; }
    FindingsList.-problem { border: round $error; }
    FindingsList > Static { width: 1fr; }
    """

    def __init__(self, title: str = "Preflight", **kwargs) -> None:  # type: ignore[no-untyped-def]
        """``title`` prefixes the counts in the border ("" for the counts alone)."""
        super().__init__(**kwargs)
        self._title = title
        self.plain = ""  # what the panel shows, as plain text (tests, the status line)

    def compose(self) -> ComposeResult:
        yield Static(id="findings-body")

    def on_mount(self) -> None:
        self.border_title = self._title

    def _paint(self, text: Text, title: str, subtitle: str = "") -> None:
        self.plain = text.plain
        self.border_title = title
        self.border_subtitle = subtitle
        self.query_one("#findings-body", Static).update(text)

    def show(self, findings: Sequence[Finding], *, note: str = "") -> None:
        """The findings; ``note`` goes in the bottom border (e.g. ``updating…``)."""
        blocked = any(f.severity == "blocking" for f in findings)
        self.set_class(blocked, "-blocked")
        self.remove_class("-problem")
        counts = count_line(findings)
        self._paint(render_findings(findings), f"{self._title}: {counts}" if self._title else counts, note)

    def show_busy(self, message: str) -> None:
        self.remove_class("-blocked", "-problem")
        self._paint(Text(message, style="dim italic"), self._title or "Preflight", "working…")

    def show_problem(self, message: str, fix: str, *, title: str | None = None) -> None:
        self.remove_class("-blocked")
        self.add_class("-problem")
        text = Text.assemble(("✗ ", "bold red"), safe(message), "\n   ", ("fix: ", "bold"), safe(fix))
        self._paint(text, title or f"{self._title or 'Preflight'}: not available", "")

    def set_note(self, note: str) -> None:
        self.border_subtitle = note
