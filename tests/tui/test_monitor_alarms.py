# ruff: noqa: F811  (pytest fixtures imported from test_monitor_support)
"""The monitor's alarms panel (issue 18 item 1), by keys with Pilot at 80x24 on the demo sandbox.

The applied plan has its alarms (on by default). The alarms read OK; then the destination's
grant is taken away, a new object fails, and after ``r`` the screen says ALARM in words and
lists the failure event with its reason in words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from tests.sandbox.helpers import wait_final
from tests.tui.screen_fit import screen_text
from tests.tui.test_monitor_support import (  # noqa: F401  (fixtures)
    SOURCE,
    applied,
    data_dir,
    demo_config,
    prepare,
    until,
    wait_job,
    without_replication_grant,
    world,
)


async def test_the_monitor_shows_each_alarm_state_in_words_and_the_failure_event_with_its_reason(
        demo_config: Path, world: Sandbox, applied: dict[str, Any]) -> None:
    wait_job(world, applied["job_id"])
    app = S3xrepApp()
    async with app.run_test(size=(80, 24)) as pilot:
        prepare(app, applied["plan"])
        screen = MonitorScreen(interval=0.2, notify_bell=False)
        await app.push_screen(screen)
        await until(pilot, lambda: "✓ OK replication-latency" in screen_text(app), what="both alarms OK on screen")
        text = screen_text(app)
        assert "✓ OK failed-replication" in text and "✓ OK replication-latency" in text, text
        assert "no failure events" in text, text

        restore = without_replication_grant(world)
        try:
            s3 = world.clients(SOURCE_ACCOUNT)("s3")
            version = s3.put_object(Bucket=SOURCE, Key="photos/alarm-demo.jpg", Body=b"x")["VersionId"]
            assert wait_final(s3, SOURCE, "photos/alarm-demo.jpg", version) == "FAILED"

            async def alarmed() -> bool:
                world.metrics.flush()
                world.alarms.evaluate()
                return bool(screen.alarms and screen.alarms.any_alarm and screen.failure_events)

            for _ in range(100):  # r polls now; each round lets the workers answer
                await pilot.press("r")
                if await alarmed():
                    break
                await pilot.pause(0.1)
            await until(pilot, lambda: "✗ ALARM" in screen_text(app) and "photos/alarm-demo.jpg" in screen_text(app),
                        what="the alarm and the event on screen")
        finally:
            restore()
        text = screen_text(app)
        assert "✗ ALARM failed-replication" in text, text  # the state as a word and a mark, not a colour
        assert "alarms · ALARM" in text
        assert "photos/alarm-demo.jpg" in text and "the destination" in text, text  # the reason in words
        assert any("ALARM" in n for n in screen.notifications)
