"""The bar on top of every screen: where we are, and who source and destination are.

It watches the app's ``source`` and ``destination`` (and the chosen buckets)
so any screen that composes it stays current without being told. The buckets
line appears once a bucket is chosen, or always with ``show_buckets=True``.

The first line is a breadcrumb of the flow (Accounts › Buckets › … › Verify)
with the current step highlighted. It is derived from the app's screen stack
each time it is drawn (nothing is stored): the current step is the nearest
flow screen at or below the bar's own screen; a screen outside the flow (the
prefix browser, a job's detail) adds its own title after it. Beside it, the
``DEMO`` badge on the sandbox and ``READ-ONLY`` whenever ``app.read_only`` is on.

When the two sides do not fit side by side (80 columns), the bar takes its
compact form: one line per side, its bucket first, so the destination is
never the part that is cut.

Screens outside the flow say so explicitly (the bar never looks at screen
classes): ``trail=("Migrations",)`` replaces the flow's crumb with that trail
and the title (``trail=()``: the title alone, as on the home screen), and
``migration=`` names that journaled migration's buckets, profiles and accounts
as the two sides instead of the app's choices (nothing is chosen yet when a
migration is opened from the home screen); ``sides=False`` draws no sides at
all (the home screen lists many migrations, each with its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from ...aws.migrations import Migration
from ..flow import FLOW, flow_step
from ..state import Choice

DEMO_BADGE = "DEMO · simulated AWS"
READ_ONLY_BADGE = "READ-ONLY"
CRUMB_SEPARATOR = " › "


def crumb_steps(stack: Sequence[Screen], screen: Screen, flow: dict[str, tuple[str, str]]) -> tuple[list[str], str | None]:
    """(the flow steps open in ``stack`` up to ``screen``, the current one) from the bottom of the stack."""
    below = list(stack[: stack.index(screen) + 1]) if screen in stack else [screen]
    opened = [step for step in (flow_step(s, flow) for s in below) if step is not None]
    return opened, (opened[-1] if opened else None)


def describe_crumb(steps: Iterable[str], opened: Sequence[str], current: str | None, extra: str = "",
                   compact: bool = False) -> Text:
    """``Accounts › Buckets › Options …``: the current step highlighted, the others open in the stack plain, the
    rest dim. ``compact``: only the current step and its number (narrow terminals)."""
    steps = list(steps)
    text = Text()
    if compact and current is not None:
        text.append(f" {current.title()} ", style="bold reverse")
        text.append(f" {steps.index(current) + 1}/{len(steps)}", style="dim")
    else:
        for index, step in enumerate(steps):
            if index:
                text.append(CRUMB_SEPARATOR, style="dim")
            if step == current:
                text.append(f" {step.title()} ", style="bold reverse")
            else:
                text.append(step.title(), style="" if step in opened else "dim")
    if extra:
        text.append(" · ", style="dim")
        text.append(extra, style="bold")
    return text


class Breadcrumb(Static):
    """Where the bar's screen is in the flow, recomputed from the screen stack whenever it is drawn."""

    def __init__(self, extra: str = "", trail: Sequence[str] | None = None, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.extra = extra
        self.trail = None if trail is None else tuple(trail)

    def crumb(self, compact: bool = False) -> Text:
        if self.trail is not None:
            text = Text("s3xrep ", style="bold")
            for step in self.trail:
                text.append(step)
                text.append(CRUMB_SEPARATOR, style="dim")
            text.append(f" {self.extra} ", style="bold reverse")
            return text
        screen = self.screen
        opened, current = crumb_steps(self.app.screen_stack, screen, FLOW)
        extra = "" if flow_step(screen, FLOW) else self.extra
        text = Text("s3xrep ", style="bold")
        text.append_text(describe_crumb(FLOW, opened, current, extra, compact=compact))
        return text

    def render(self) -> Text:
        text = self.crumb()
        width = self.content_region.width
        if width and text.cell_len > width:
            text = self.crumb(compact=True)
        text.no_wrap, text.overflow = True, "ellipsis"
        return text


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


def describe_side(role: str, choice: Choice | None, bucket: str | None) -> Text:
    """``destination s3://bucket · profile · account · region``: one side on one line (the compact bar)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{role:<11} ", style="bold")
    if bucket:
        text.append(f"s3://{bucket}")
        text.append(" · ", style="dim")
    chosen = describe_choice(role, choice)
    text.append_text(chosen[len(role) + 1:])
    return text


def describe_recorded(role: str, bucket: str | None, profile: str | None, account: str | None,
                      region: str | None = None, padded: bool = False) -> Text:
    """``source s3://bucket · profile · account · region``: one side as a migration's journal records it."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{role:<11} " if padded else f"{role} ", style="bold")
    text.append(f"s3://{bucket}" if bucket else "bucket unknown", style="" if bucket else "dim")
    for part in (profile, account, region):  # as the flow's bar names a side: profile · account · region
        if part:
            text.append(" · ", style="dim")
            text.append(part)
    return text


def recorded_sides(m: Migration, padded: bool = False) -> tuple[Text, Text]:
    profiles = m.profiles
    return (describe_recorded("source", m.source_bucket, profiles.get("source"), m.source_account, m.region, padded),
            describe_recorded("destination", m.destination_bucket, profiles.get("destination"),
                              m.destination_account, padded=padded))


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
    ContextBar #title { width: 1fr; }
    ContextBar #demo { width: auto; background: $warning; color: $text; text-style: bold; padding: 0 1; }
    ContextBar #read-only { width: auto; background: $error; color: $text; text-style: bold; padding: 0 1;
                            margin-left: 1; display: none; }
    ContextBar #read-only.-shown { display: block; }
    ContextBar #choices { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    ContextBar #buckets { height: 1; display: none; text-wrap: nowrap; text-overflow: ellipsis; }
    ContextBar #buckets.-shown { display: block; }
    """

    def __init__(self, title: str, demo: bool, show_buckets: bool = False, *, trail: Sequence[str] | None = None,
                 migration: Migration | None = None, sides: bool = True) -> None:
        """``title``: shown after the breadcrumb by a screen outside the flow (a flow screen's step says it).
        ``trail``: the crumb before ``title`` instead of the flow's; ``migration``: the sides it names."""
        super().__init__()
        self._title = title
        self._demo = demo
        self._show_buckets = show_buckets
        self._trail = trail
        self._migration = migration
        self._sides = sides

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Breadcrumb(self._title, trail=self._trail, id="title")
            if self._demo:
                yield Static(DEMO_BADGE, id="demo")
            yield Static(READ_ONLY_BADGE, id="read-only")
        if self._sides:
            yield Static(id="choices")
            yield Static(id="buckets")

    def on_mount(self) -> None:
        for name in ("source", "destination", "source_bucket", "destination_bucket"):
            if hasattr(self.app, name):
                self.watch(self.app, name, self._paint, init=False)
        if hasattr(self.app, "read_only"):
            self.watch(self.app, "read_only", self._paint_read_only, init=False)
        self._paint()
        self._paint_read_only()

    def _paint_read_only(self, _: object = None) -> None:
        if not self.is_attached or not self.children:
            return
        self.query_one("#read-only", Static).set_class(bool(getattr(self.app, "read_only", False)), "-shown")

    def _paint(self, _: object = None) -> None:
        if not self._sides:
            return
        if not self.is_attached or not self.children:  # a watcher firing while the screen is being removed
            return
        if self._migration is not None:
            self._paint_migration(self._migration)
            return
        app = self.app
        text = describe_choice("source", getattr(app, "source", None))
        text.append("    ")
        text.append_text(describe_choice("destination", getattr(app, "destination", None)))
        self.query_one("#choices", Static).update(text)
        source_bucket, destination_bucket = getattr(app, "source_bucket", None), getattr(app, "destination_bucket", None)
        buckets = self.query_one("#buckets", Static)
        shown = bool(self._show_buckets or source_bucket or destination_bucket)
        lines = [text, describe_buckets(source_bucket, destination_bucket)] if shown else [text]
        width = self.content_region.width
        if width and any(line.cell_len > width for line in lines):  # compact: one line per side
            source, destination = getattr(app, "source", None), getattr(app, "destination", None)
            self.query_one("#choices", Static).update(describe_side("source", source, source_bucket if shown else None))
            buckets.set_class(True, "-shown")
            buckets.update(describe_side("destination", destination, destination_bucket if shown else None))
            return
        buckets.set_class(shown, "-shown")
        buckets.update(describe_buckets(source_bucket, destination_bucket))

    def _paint_migration(self, m: Migration) -> None:
        """Both sides on one line when they fit, else one line each (the destination never cut first)."""
        source, destination = recorded_sides(m)
        line = source.copy()
        line.append("    ")
        line.append_text(destination)
        width = self.content_region.width
        buckets = self.query_one("#buckets", Static)
        if not width or line.cell_len <= width:
            self.query_one("#choices", Static).update(line)
            buckets.set_class(False, "-shown")
            return
        source, destination = recorded_sides(m, padded=True)
        self.query_one("#choices", Static).update(source)
        buckets.set_class(True, "-shown")
        buckets.update(destination)

    def on_resize(self) -> None:
        self._paint()
