"""The shell around every screen: the command palette, read-only mode, the breadcrumb and ``?`` help.

Driven with Pilot on the demo sandbox (module-scoped, from ``test_options_support``):
the palette's entries follow the state (an entry is offered only when it can
run, or says why), running one navigates; ``READ-ONLY`` is in the header of
every screen of the flow while it is on (``--read-only`` or the palette); the
breadcrumb's highlighted step is the screen's place in the flow; help lists the
keys a user acts on, not widget internals. Nothing reaches stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Static

from s3xrep_tui import cli
from s3xrep_tui.core.models import Finding
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.apply import ApplyScreen
from s3xrep_tui.tui.screens.browser import BrowserScreen
from s3xrep_tui.tui.screens.buckets import BucketsScreen
from s3xrep_tui.tui.screens.help import HelpScreen, binding_rows
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.screens.options import OptionsScreen
from s3xrep_tui.tui.screens.preview import ExportScreen, PreviewScreen
from s3xrep_tui.tui.screens.verify import VerifyScreen
from s3xrep_tui.tui.widgets.context_bar import READ_ONLY_BADGE, Breadcrumb, ContextBar

from .test_options_support import (  # noqa: F401 - fixtures
    DESTINATION_BUCKET,
    SIZE,
    SOURCE_BUCKET,
    demo,
    demo_app,
    notifications,
    sandbox,
    settle,
    text_of,
)

FLOW_STEPS = ["buckets", "options", "preview", "apply", "monitor", "verify"]
# What Textual's own widgets and screens bind, that help must not list.
INTERNALS = ("Cursor up", "Cursor down", "Cursor left", "Cursor right", "Page up", "Page down", "Copy selected text",
             "focus next", "focus previous", "Focus Next", "Focus Previous", "Scroll up", "Scroll down", "Scroll home",
             "Scroll end", "Scroll pageup", "Scroll pagedown", "Top", "Bottom", "Home", "End")


def titles(app: S3xrepApp) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


def command(app: S3xrepApp, title: str) -> Any:
    return next(c for c in app.get_system_commands(app.screen) if c.title == title)


def header(app: S3xrepApp) -> str:
    bar = app.screen.query_one(ContextBar)
    return " ".join(text_of(static) for static in bar.query(Static) if static.display)


def shown(screen: Screen) -> bool:
    """The screen is mounted with its context bar (a pushed screen composes a moment later)."""
    return screen.is_mounted and bool(screen.query(ContextBar)) and screen.query_one(ContextBar).is_mounted


def current_step(screen: Screen) -> str:
    """The highlighted step of the screen's breadcrumb (the span drawn in reverse)."""
    text = screen.query_one(Breadcrumb).crumb()
    spans = [text.plain[span.start:span.end].strip() for span in text.spans if "reverse" in str(span.style)]
    assert len(spans) == 1, spans
    return spans[0]


def crumb(screen: Screen) -> str:
    return screen.query_one(Breadcrumb).crumb().plain


async def run_command(pilot, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open the palette with ctrl+p, type ``title``, and run the best match with Enter."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*title)
    await pilot.pause(0.3)  # the palette searches in a worker
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("down", "enter")
    await settle(pilot)


async def until(pilot, predicate: Callable[[], object], what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def check_help(screen: Screen) -> list[tuple[str, str, str]]:
    rows = binding_rows(screen)
    listed = " | ".join(f"{key} {what}" for key, what, _ in rows)
    for internal in INTERNALS:
        assert not any(what == internal for _, what, _ in rows), (type(screen).__name__, internal, listed)
    assert not any(key in ("↑", "↓", "pgup", "pgdn", "up", "down", "pageup", "pagedown") for key, _, _ in rows), listed
    return rows


async def test_palette_offers_only_what_can_run_and_its_entries_navigate(demo: Sandbox, capfd) -> None:  # type: ignore[no-untyped-def]
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        assert "Buckets" not in titles(app)  # the sandbox is starting: nothing is resolved yet
        await settle(pilot)
        offered = titles(app)
        assert offered[:4] == ["Choose source", "Choose destination", "Refresh", "Filter profiles"]
        assert "Buckets" in offered and "Monitor" in offered  # both demo identities resolved
        for absent in ("Options", "Preview", "Apply", "Export", "Switch source/destination profile"):
            assert absent not in offered, absent
        assert {"Read-only on", "Help", "Theme", "Terminal colours", "Quit"} <= set(offered)

        await run_command(pilot, "Buckets")  # through the real palette: typed, Enter
        buckets = app.screen
        assert isinstance(buckets, BucketsScreen)
        assert "Options" not in titles(app) and "Switch source/destination profile" in titles(app)
        assert command(app, "Refresh").help.startswith("Refresh")
        await until(pilot, lambda: SOURCE_BUCKET in buckets.panes["source"].rows
                    and DESTINATION_BUCKET in buckets.panes["destination"].rows, "both listings")
        buckets.choose_bucket("source", SOURCE_BUCKET)
        buckets.choose_bucket("destination", DESTINATION_BUCKET)
        await pilot.pause()
        offered = titles(app)
        assert "Options" in offered and "Preview" in offered and "Verify" in offered
        assert "Apply" not in offered  # no plan yet

        command(app, "Options").callback()
        await settle(pilot)
        options = app.screen
        assert isinstance(options, OptionsScreen) and options.plan is not None
        assert command(app, "Refresh").help == "Re-inspect (r)"
        assert "Export" not in titles(app)
        command(app, "Preview").callback()
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewScreen) and preview.plan is app.plan
        offered = titles(app)
        assert "Export" in offered and "Apply" in offered and "Refresh" not in offered  # nothing to refresh here
        command(app, "Export").callback()
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is preview

        command(app, "Apply").callback()
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        command(app, "Preview").callback()  # open below: back down the stack to it
        await settle(pilot)
        assert app.screen is preview and not any(isinstance(s, ApplyScreen) for s in app.screen_stack)

        # a plan that blocks: Apply says why instead of opening the apply screen
        plan = app.plan
        assert plan is not None
        app.plan = plan.model_copy(update={"findings": plan.findings + (
            Finding(id="test-block", severity="blocking", message="The bucket is on fire.", fix="Put it out."),)})
        assert "Apply" not in titles(app)
        blocked = command(app, "Apply (blocked)")
        assert "The bucket is on fire." in blocked.help and "Put it out." in blocked.help
        blocked.callback()
        await pilot.pause()
        assert app.screen is preview
        assert any(n.startswith("Apply refused: The bucket is on fire.") for n in notifications(app))
        app.plan = plan
        # another source bucket makes the plan stale: no Apply until a new one is built
        app.source_bucket = "acme-legacy-logs"
        assert not any(t.startswith("Apply") for t in titles(app))
        app.source_bucket = SOURCE_BUCKET

        command(app, "Switch source/destination profile").callback()
        await settle(pilot)
        assert app.screen_stack == [app.accounts]
        assert "Preview" in titles(app)  # the plan is still current: reachable again, through the options
        command(app, "Preview").callback()
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen) and shown(app.screen), "the preview")
        assert [type(s) for s in app.screen_stack] == [AccountsScreen, OptionsScreen, PreviewScreen]
        assert current_step(app.screen) == "Preview"
    assert capfd.readouterr().err == ""


async def test_palette_on_a_fresh_start_offers_no_flow_step(aws_env: Path) -> None:
    aws_env.write_text("")
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        offered = titles(app)
        for step in ("Buckets", "Options", "Preview", "Apply", "Apply (blocked)", "Monitor", "Verify", "Export",
                     "Switch source/destination profile"):
            assert step not in offered, step
        assert offered[-5:] == ["Read-only on", "Help", "Theme", "Terminal colours", "Quit"]


async def test_read_only_badge_on_every_screen_with_the_flag_and_the_toggle(demo: Sandbox, capfd) -> None:  # type: ignore[no-untyped-def]
    app = demo_app(demo)
    app.read_only = True  # what --read-only does (see the cli test below)
    seen: dict[str, str] = {}
    helped: dict[str, list[tuple[str, str, str]]] = {}
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        def look(step: str) -> None:
            screen = app.screen
            assert READ_ONLY_BADGE in header(app), step
            assert "DEMO" in header(app)
            seen[step] = current_step(screen)
            helped[step] = check_help(screen)

        look("accounts")
        await pilot.press("enter")  # the demo profiles are preselected: confirm, buckets open
        await settle(pilot)
        buckets = app.screen
        assert isinstance(buckets, BucketsScreen)
        await until(pilot, lambda: SOURCE_BUCKET in buckets.panes["source"].rows
                    and DESTINATION_BUCKET in buckets.panes["destination"].rows, "both listings")
        look("buckets")
        buckets.table("source").move_to(SOURCE_BUCKET)
        buckets.table("source").focus()
        await pilot.press("enter")  # the prefix browser: not a flow step, its title follows the crumb
        await settle(pilot)
        assert isinstance(app.screen, BrowserScreen)
        assert READ_ONLY_BADGE in header(app)
        assert current_step(app.screen) == "Buckets" and crumb(app.screen).endswith("· Browse (source)")
        check_help(app.screen)
        await pilot.press("escape")
        await pilot.pause()
        buckets.choose_bucket("source", SOURCE_BUCKET)
        buckets.choose_bucket("destination", DESTINATION_BUCKET)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, OptionsScreen)
        look("options")
        app.screen.query_one("#opt-rtc").focus()  # out of the text fields (p would be typed there)
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        look("preview")
        await pilot.press("a")
        await settle(pilot)
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        look("apply")
        assert "READ-ONLY" in text_of(apply.query_one("#summary", Static))
        assert "(read-only: a dry run only)" not in str(titles(app))  # on apply, no Apply entry
        await run_command(pilot, "Read-only off")  # the toggle, through the palette
        assert not app.read_only and READ_ONLY_BADGE not in header(app)
        assert "Read-only on" in titles(app)
        command(app, "Read-only on").callback()
        await pilot.pause()
        assert app.read_only and READ_ONLY_BADGE in header(app)
        command(app, "Monitor").callback()  # its pollers never finish: wait for the screen, not for the workers
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen) and shown(app.screen), "the monitor")
        look("monitor")
        command(app, "Verify").callback()
        await until(pilot, lambda: isinstance(app.screen, VerifyScreen) and shown(app.screen)
                    and app.screen.state != "running", "verify")
        look("verify")
        # every screen below shows it too, and follows the toggle
        for screen in app.screen_stack:
            assert screen.query_one("ContextBar #read-only").display, type(screen).__name__
        app.action_toggle_read_only()
        await pilot.pause()
        for screen in app.screen_stack:
            assert not screen.query_one("ContextBar #read-only").display, type(screen).__name__
    assert seen == {step: step.title() for step in ["accounts", *FLOW_STEPS]}
    assert ("a", "Apply", "this screen") in helped["preview"]
    assert capfd.readouterr().err == ""


async def test_breadcrumb_shows_the_flow_with_the_current_step(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        full = "Accounts › Buckets › Options › Preview › Apply › Monitor › Verify"
        assert " ".join(crumb(app.screen).split()) == f"s3xrep {full}"
        assert current_step(app.screen) == "Accounts"
        app.source_bucket, app.destination_bucket = SOURCE_BUCKET, DESTINATION_BUCKET
        for step in FLOW_STEPS:
            app.navigate(step)
            if step in ("monitor", "verify"):  # the monitor polls until it closes: wait for the screen only
                await until(pilot, lambda step=step: step in type(app.screen).__name__.lower() and shown(app.screen),
                            step)
            else:
                await settle(pilot)
            if step == "options":
                assert isinstance(app.screen, OptionsScreen) and app.screen.plan is not None
                app.plan = app.screen.plan
            assert current_step(app.screen) == step.title(), step
            assert " ".join(crumb(app.screen).split()) == f"s3xrep {full}"
            # the screens below keep their own place
            assert current_step(app.screen_stack[-2]) != step.title()
        assert [current_step(s) for s in app.screen_stack] == ["Accounts", *(s.title() for s in FLOW_STEPS)]
        app.navigate("options")  # back down the stack: the crumb follows
        await pilot.pause()
        assert current_step(app.screen) == "Options" and len(app.screen_stack) == 3


async def test_breadcrumb_is_compact_when_narrow(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot)
        text = text_of(app.screen.query_one(Breadcrumb))
        assert text.startswith("s3xrep") and "Accounts" in text and "1/7" in text and "Verify" not in text


async def open_help(pilot: Any) -> list[tuple[str, str, str]]:
    """Press ? and return the help screen's rows (key, what, where)."""
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(pilot.app.screen, HelpScreen)
    return pilot.app.screen._rows


async def test_help_lists_what_a_user_acts_on(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rows = await open_help(pilot)
        listed = {(key, what) for key, what, _ in rows}
        for expected in [("s", "Source"), ("d", "Destination"), ("r", "Refresh"), ("/", "Filter"),
                         ("⏎", "Continue"), ("?", "Help"), ("^q", "Quit"), ("^p", "Commands"), (":", "Commands")]:
            assert expected in listed, expected
        check_help(app.accounts)
        note = text_of(app.screen.query_one(".note", Static))
        assert "arrows move" in note and "Tab" in note and "command palette" in note
        await pilot.press("escape")
        await pilot.pause()

        app.source_bucket, app.destination_bucket = SOURCE_BUCKET, DESTINATION_BUCKET
        app.goto("options")
        await settle(pilot)
        app.screen.query_one("#opt-rtc").focus()
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        rows = await open_help(pilot)
        listed = {(key, what) for key, what, _ in rows}
        for expected in [("a", "Apply"), ("c", "Copy"), ("e", "Export"), ("tab", "Next tab"),
                         ("shift+tab", "Previous tab"), ("1…9", "Tab 1…9"), ("[", "Diff page up"),
                         ("]", "Diff page down"), ("esc", "Back")]:
            assert expected in listed, (expected, sorted(listed))
        assert not any(what.startswith(("Scroll", "Tab 1", "Copy selected")) and what != "Tab 1…9"
                       for _, what, _ in rows), rows
        check_help(app.screen_stack[-2])


def test_read_only_flag_reaches_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    args = cli.build_parser().parse_args(["--demo", "--read-only"])
    assert args.read_only is True and cli.build_parser().parse_args([]).read_only is False
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("s3xrep_tui.tui.app.run_app", lambda **kwargs: calls.append(kwargs) or 0)
    assert cli._run_app(argparse.Namespace(demo=False, log_file=None, read_only=True)) == 0
    assert calls == [{"demo": False, "log_file": None, "start_sandbox": None, "read_only": True}]
    assert S3xrepApp(read_only=True).read_only and not S3xrepApp().read_only
