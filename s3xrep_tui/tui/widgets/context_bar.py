"""The bar on top of every screen: where we are, and who source and destination are.

It watches the app's ``source`` and ``destination`` (and the chosen buckets)
so any screen that composes it stays current without being told. The buckets
line appears once a bucket is chosen, or always with ``show_buckets=True``.
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


def describe_buckets(source: str | None, destination: str | None) -> Text:
    text = Text()
    for role, name in (("source bucket", source), ("destination bucket", destination)):
        if text:
            text.append("    ")
        text.append(f"{role} ", style="bold")
        text.append(f"s3://{name}" if name else "not chosen", style="" if name else "dim")
    return text


class ContextBar(Widget):
    DEFAULT_CSS = """
    ContextBar { height: auto; background: $panel; padding: 0 1; }
    ContextBar Horizontal { height: 1; }
    ContextBar #title { width: 1fr; text-style: bold; }
    ContextBar #demo { width: auto; background: $warning; color: $text; text-style: bold; padding: 0 1; }
    ContextBar #choices { height: 1; }
    ContextBar #buckets { height: 1; display: none; }
    ContextBar #buckets.-shown { display: block; }
    """

    def __init__(self, title: str, demo: bool, show_buckets: bool = False) -> None:
        super().__init__()
        self._title = title
        self._demo = demo
        self._show_buckets = show_buckets

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(f"s3xrep · {self._title}", id="title")
            if self._demo:
                yield Static(DEMO_BADGE, id="demo")
        yield Static(id="choices")
        yield Static(id="buckets")

    def on_mount(self) -> None:
        for name in ("source", "destination", "source_bucket", "destination_bucket"):
            if hasattr(self.app, name):
                self.watch(self.app, name, self._paint, init=False)
        self._paint()

    def _paint(self, _: object = None) -> None:
        app = self.app
        text = describe_choice("source", getattr(app, "source", None))
        text.append("    ")
        text.append_text(describe_choice("destination", getattr(app, "destination", None)))
        self.query_one("#choices", Static).update(text)
        source_bucket, destination_bucket = getattr(app, "source_bucket", None), getattr(app, "destination_bucket", None)
        buckets = self.query_one("#buckets", Static)
        buckets.set_class(bool(self._show_buckets or source_bucket or destination_bucket), "-shown")
        buckets.update(describe_buckets(source_bucket, destination_bucket))
