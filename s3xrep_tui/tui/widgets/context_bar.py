"""The bar on top of every screen: where we are, and who source and destination are.

It watches the app's ``source`` and ``destination`` so any screen that
composes it stays current without being told.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Static

from ..state import Choice

DEMO_BADGE = "DEMO · simulated AWS"


def describe_choice(role: str, choice: Choice | None) -> Text:
    text = Text()
    text.append(f"{role} ", style="bold")
    if choice is None:
        text.append("not chosen", style="dim")
        return text
    profile = choice.profile
    text.append(profile.label)
    identity = choice.identity
    if identity.account is not None:
        text.append(f" · {identity.account.id}")
    elif identity.state == "failed":
        text.append(" · failed", style="red")
    else:
        text.append(" · resolving…", style="dim")
    text.append(f" · {profile.region}" if profile.region else " · no region", style="" if profile.region else "dim")
    return text


class ContextBar(Widget):
    DEFAULT_CSS = """
    ContextBar { height: 2; background: $panel; padding: 0 1; }
    ContextBar Horizontal { height: 1; }
    ContextBar #title { width: 1fr; text-style: bold; }
    ContextBar #demo { width: auto; background: $warning; color: $text; text-style: bold; padding: 0 1; }
    ContextBar #choices { height: 1; }
    """

    def __init__(self, title: str, demo: bool) -> None:
        super().__init__()
        self._title = title
        self._demo = demo

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(f"s3xrep · {self._title}", id="title")
            if self._demo:
                yield Static(DEMO_BADGE, id="demo")
        yield Static(id="choices")

    def on_mount(self) -> None:
        self.watch(self.app, "source", self._paint, init=False)
        self.watch(self.app, "destination", self._paint, init=False)
        self._paint()

    def _paint(self, _: object = None) -> None:
        app = self.app
        text = describe_choice("source", getattr(app, "source", None))
        text.append("    ")
        text.append_text(describe_choice("destination", getattr(app, "destination", None)))
        self.query_one("#choices", Static).update(text)
