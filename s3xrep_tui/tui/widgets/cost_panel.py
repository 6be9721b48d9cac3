"""The Preview's Cost tab: the plan's cost and time estimate, as ``core.estimate_text`` lays it out (78 columns).

The estimate is read in a thread worker (CloudWatch's storage metrics, the Price List API);
until it is back the panel says so, and when it could not be made it says why. Its text is
plain ``rich.text.Text`` (never markup), each line with its control characters made visible:
bucket names and AWS's messages reach the terminal as text.
"""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...core.estimate_model import Estimate
from ...core.estimate_text import HEADING, estimate_lines
from ...core.text import safe

WAITING = "Estimating: reading CloudWatch's daily storage metrics and the AWS Price List API…"


class EstimateReady(Message):
    """A worker's estimate of the plan ``plan_id`` (``error``: why there is none)."""

    def __init__(self, plan_id: str, estimate: Estimate | None, error: str = "") -> None:
        super().__init__()
        self.plan_id = plan_id
        self.estimate = estimate
        self.error = error


class CostPanel(VerticalScroll, can_focus=False):
    """The estimate's lines, scrolled by the Preview's arrow and page keys."""

    DEFAULT_CSS = """
    CostPanel { height: 1fr; padding: 0; scrollbar-size-vertical: 1; }
    CostPanel > Static { width: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.estimate: Estimate | None = None
        self.error = ""
        self.lines: list[str] = [WAITING]

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(Text(WAITING, style="dim"), id="cost-text")

    def show(self, estimate: Estimate | None, error: str = "") -> None:
        self.estimate, self.error = estimate, error
        if estimate is None:
            self.lines = [HEADING, "", f"No estimate: {error or 'nothing to estimate'}"]
        else:
            self.lines = estimate_lines(estimate)
        text = Text(no_wrap=True, overflow="ellipsis")
        for n, line in enumerate(self.lines):
            style = "bold" if n == 0 else ("bold" if line.lstrip().startswith(("One-time", "Item ")) else "")
            if line.lstrip().startswith("!"):
                style = "yellow"
            text.append(safe(line) + "\n", style=style)
        self.query_one("#cost-text", Static).update(text)
