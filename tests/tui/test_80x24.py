"""The demo flow at 80x24 (AWS CloudShell's first window), 60x20 and 160x48: every box readable, the keys shown.

One walk with keys, as a user would, through every screen: accounts, help,
buckets, the prefix browser, options, each preview tab, apply (typed
confirmation, a real apply on the fast sandbox), the monitor, a job's detail
and verify. At each screen ``cramped_boxes`` must find nothing (no box the
user must read drawn with fewer than three content rows), and at 80x24 what
the user sees is asserted from the screen's text: the destination in the
header, the next step's key in the footer, the document's JSON in every
preview tab, the apply step states uncut, the job id in the body.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.demo import DemoEnvironment
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.apply import ApplyScreen
from s3xrep_tui.tui.screens.buckets import BucketsScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.screens.options import OptionsScreen
from s3xrep_tui.tui.screens.preview import COST_TAB, STEPS_TAB, PreviewScreen
from s3xrep_tui.tui.screens.verify import VerifyScreen
from s3xrep_tui.tui.widgets.document_view import DocumentView

from .screen_fit import cramped_boxes, screen_text
from .test_journey import launch, until  # noqa: F401 - the fast demo sandbox fixture

SOURCE_BUCKET, DESTINATION_BUCKET = "acme-legacy-media", "acme-platform-media"


def footer(app: S3xrepApp) -> str:
    return screen_text(app).splitlines()[-1]


def header(app: S3xrepApp) -> str:
    return "\n".join(screen_text(app).splitlines()[:3])


def json_shown(text: str, document: str, lines: int = 4) -> bool:
    """The first ``lines`` lines of ``document`` are on screen (each line's text less its indent, up to the
    first 30 characters: a long ARN runs off the right edge until scrolled)."""
    wanted = [line.strip()[:30] for line in document.splitlines()[:lines]]
    return all(line in text for line in wanted)


class Walk:
    """Checks each screen as the walk reaches it; ``seen`` names them, ``problems`` lists what failed."""

    def __init__(self, app: S3xrepApp, pilot: Any) -> None:
        self.app, self.pilot = app, pilot
        self.seen: list[str] = []
        self.problems: list[str] = []

    async def check(self, name: str) -> str:
        await self.pilot.pause()
        self.seen.append(name)
        cramped = cramped_boxes(self.app)
        if cramped:
            self.problems.append(f"{name}: {cramped}")
        text = screen_text(self.app)
        if os.environ.get("S3XREP_WALK_DUMP"):  # to look at every screen of the walk: a folder
            width, height = self.app.size
            folder = Path(os.environ["S3XREP_WALK_DUMP"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{width}x{height}-{len(self.seen):02d}-{name.replace(' ', '_')}.txt").write_text(text)
        return text


async def walk_the_demo(app: S3xrepApp, pilot: Any, big: bool) -> Walk:
    """Every screen of the demo flow, with keys; at 80x24 (``big``) what the user sees is asserted too."""
    walk = Walk(app, pilot)
    accounts = app.screen
    assert isinstance(accounts, AccountsScreen)
    await until(pilot, lambda: app.sandbox is not None and accounts._ready(), "both demo identities", timeout=60)
    await walk.check("accounts")
    await pilot.press("question_mark")
    text = await walk.check("help")
    if big:
        assert "ProfileTable" not in text and "Table" not in text, text
    await pilot.press("escape", "enter")

    buckets = app.screen
    assert isinstance(buckets, BucketsScreen)
    await until(pilot, lambda: all(p.done for p in buckets.panes.values())
                and SOURCE_BUCKET in buckets.table("source").shown_names
                and DESTINATION_BUCKET in buckets.table("destination").shown_names, "both bucket lists")
    buckets.table("source").move_to(SOURCE_BUCKET)
    await pilot.press("s", "tab")
    buckets.table("destination").move_to(DESTINATION_BUCKET)
    await pilot.press("d")
    await pilot.pause()
    text = await walk.check("buckets")
    if big:
        assert "c Continue" in footer(app), footer(app)
        assert DESTINATION_BUCKET in header(app), header(app)
    await pilot.press("tab", "enter")  # the source pane: its prefix browser
    await until(pilot, lambda: type(app.screen).__name__ == "BrowserScreen", "the browser")
    await until(pilot, lambda: not app.workers._workers or all(w.is_finished for w in app.workers), "the listing")
    await walk.check("browser")
    await pilot.press("escape", "c")

    options = app.screen
    assert isinstance(options, OptionsScreen)
    await until(pilot, lambda: options.plan is not None and options._plan_is_current(), "the first inspection")
    text = await walk.check("options")
    if big:
        assert DESTINATION_BUCKET in header(app), header(app)
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, PreviewScreen), "the preview")

    preview = app.screen
    assert isinstance(preview, PreviewScreen)
    for tab in preview.tab_ids():
        await pilot.press(preview.tab_key(tab))
        await until(pilot, lambda tab=tab: preview.active_tab == tab, f"tab {tab}")  # type: ignore[misc]
        text = await walk.check(f"preview {tab}")
        if big and tab not in (STEPS_TAB, COST_TAB):
            document = preview.query_one(f"#{tab} DocumentView", DocumentView).text
            assert json_shown(text, document), f"{tab}: no JSON on screen:\n{text}"
    await pilot.press("a")

    apply = app.screen
    assert isinstance(apply, ApplyScreen)
    await pilot.pause()
    await pilot.press(*SOURCE_BUCKET)
    text = await walk.check("apply (confirming)")
    if big:
        assert SOURCE_BUCKET in "\n".join(line for line in text.splitlines() if "to confirm" in line
                                          or "▊" in line), text
    await pilot.press("enter")
    await until(pilot, lambda: apply.live is not None and apply.live.result is not None and not apply.running,
                "the apply", timeout=120)
    text = await walk.check("apply (done)")
    job_id = apply.live.result.job_id if apply.live and apply.live.result else None
    assert job_id
    if big:
        assert "done" in text and "no-op" in text, text
        assert job_id in text, text
    await pilot.press("m")

    monitor = app.screen
    assert isinstance(monitor, MonitorScreen)
    await until(pilot, lambda: job_id in monitor.table.jobs and monitor.table.jobs[job_id].terminal, "the job's end",
                timeout=90)
    text = await walk.check("monitor")
    if big:
        assert "v Verify" in footer(app) and "w Write report" in footer(app), footer(app)
    await pilot.press("enter")
    await until(pilot, lambda: type(app.screen).__name__ == "JobDetailScreen", "the job's detail")
    await until(pilot, lambda: getattr(app.screen, "detail", None) is not None, "the job's description")
    text = await walk.check("job detail")
    if big:
        shown = footer(app)
        assert "Confirm" not in shown and "Cancel job" not in shown and "Priority" not in shown, shown
    await pilot.press("escape", "v")
    verify = app.screen
    assert isinstance(verify, VerifyScreen)
    await until(pilot, lambda: verify.state not in ("idle", "running"), "the verification", timeout=90)
    await walk.check("verify")
    return walk


@pytest.mark.e2e
@pytest.mark.parametrize("size", [(80, 24), (60, 20), (160, 48)], ids=["80x24", "60x20", "160x48"])
async def test_every_screen_of_the_demo_flow_has_readable_boxes(
    launch: tuple[Callable[[], DemoEnvironment], list[Sandbox]], size: tuple[int, int],  # noqa: F811
) -> None:
    start, _ = launch
    app = S3xrepApp(demo=True, start_sandbox=start)
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        walk = await walk_the_demo(app, pilot, big=size == (80, 24))
    assert len(walk.seen) >= 14, walk.seen
    assert not walk.problems, "\n".join(walk.problems)


def test_json_shown_finds_a_document_by_its_first_lines() -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "A"}]}, indent=2)
    assert json_shown('  1 {\n  2   "Version": "2012-10-17",\n  3   "Statement": [\n  4     {', document)
    assert not json_shown("Findings: 1 warning", document)
