"""The stakeholder view (issue 15 item 12): the numbers a room reads, at 80x24 and 160x48.

On the demo sandbox with one migration applied (by profile), its Batch job run
to the end, a verify and a canary run and recorded as the app records them:
``S`` on the home screen (and on the monitor) opens the view; it shows the
job's objects copied of the total (read back from the sandbox), 100% in large
digits, the bytes of the last verify, no failures, the VERIFIED badge with its
time, the canary's result and the latency chart; ``h`` switches the projector
theme on and off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Digits, Sparkline

from s3xrep_tui.aws import results
from s3xrep_tui.aws.canary import run_canary
from s3xrep_tui.aws.verify import verify_replication
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.home import HomeScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.screens.stakeholder import StakeholderScreen
from s3xrep_tui.tui.theme import HIGH_CONTRAST

from .migration_world import DESTINATION, SIZES, SOURCE, launcher, screen_text, until, world_fixture


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    for world in world_fixture(tmp_path_factory):
        clients = world["clients"]
        report = verify_replication(clients["source"], clients["destination"], SOURCE, DESTINATION)
        assert results.record_verify_for(report.as_dict()) == world["plan"].id
        canary = run_canary(clients["source"], clients["destination"], SOURCE, DESTINATION, timeout=60)
        assert results.record_canary_for(canary.as_dict()) == world["plan"].id
        world.update(report=report, canary=canary)
        yield world


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
async def test_the_stakeholder_view_shows_the_numbers(world: dict[str, Any], size: tuple[int, int]) -> None:
    total = world["job"]["ProgressSummary"]["TotalNumberOfTasks"]
    app = S3xrepApp(demo=True, start_sandbox=launcher(world))
    app.animation_level = "none"
    async with app.run_test(size=size) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StakeholderScreen), "the stakeholder view", timeout=60)
        screen = app.screen
        await until(pilot, lambda: f"of {total:,} objects copied" in screen_text(app), "the job's numbers")
        await until(pilot, lambda: "Live replication: checking" not in screen_text(app), "the replication sample")
        text = screen_text(app)
        assert f"{total:,} of {total:,} objects copied" in text, text
        assert screen.query_one(Digits).value == "100%"
        assert "(last verify)" in text and "No failures." in text
        assert "✔ VERIFIED" in text and world["report"].ok
        assert "Canary: passed" in text and world["canary"].ok
        assert "Replication latency over time" in text
        assert "· peak" in text, text  # the canary replicated live: CloudWatch has a latency point
        assert screen.query_one(Sparkline).region.height >= 3
        assert f"{SOURCE} → {DESTINATION}" in text
        await pilot.press("h")
        assert app.theme == HIGH_CONTRAST
        await pilot.press("h")
        assert app.theme != HIGH_CONTRAST


async def test_S_on_the_monitor_opens_the_view(world: dict[str, Any]) -> None:
    app = S3xrepApp(demo=True, start_sandbox=launcher(world))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), "the monitor", timeout=60)
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, StakeholderScreen), "the stakeholder view")
        await until(pilot, lambda: "objects copied" in screen_text(app), "the numbers")
        await pilot.press("escape")
        assert isinstance(app.screen, MonitorScreen)
