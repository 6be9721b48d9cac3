"""The Options form's Metrics switch says what the plan does: on (and held) while Alarms or RTC needs the metrics.

The plan enables replication metrics when alarms or RTC are on
(``MigrationOptions.metrics_enabled``); the switch used to read "off" then. Driven
by keys with Pilot on the demo sandbox; every assertion reads what is drawn, and
checks it against the options the screen would plan with.
"""

from __future__ import annotations

from textual.widgets import Static, Switch

from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui.screens.options import OptionsScreen

from .test_options_support import (  # noqa: F401 - fixtures
    SIZE,
    demo,
    demo_app,
    judged,
    open_options,
    sandbox,
    text_of,
)


def metrics_row(screen: OptionsScreen) -> tuple[str, bool, bool]:
    """The Metrics row as drawn: its hint's words, the switch's position, whether it can be changed."""
    switch = screen.query_one("#opt-metrics", Switch)
    return " ".join(text_of(screen.query_one("#hint-metrics", Static)).split()), switch.value, not switch.disabled


def planned_metrics(screen: OptionsScreen) -> bool:
    assert screen.requested is not None
    return screen.requested.metrics_enabled


async def test_metrics_show_on_and_held_while_alarms_are_on_and_the_choice_comes_back(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        # Alarms are on by default: the plan enables metrics, and the switch says so
        assert metrics_row(screen) == ("on replication metrics: Alarms need them", True, False)
        assert planned_metrics(screen) and screen.requested is not None and not screen.requested.metrics
        screen.query_one("#opt-alarms", Switch).focus()
        await pilot.press("space")  # Alarms off: the Metrics switch is the user's again, and it was off
        await judged(pilot)
        assert metrics_row(screen) == ("off replication metrics in CloudWatch", False, True)
        assert not planned_metrics(screen)
        await pilot.press("shift+tab", "space")  # onto Metrics (it takes the focus again), on
        await judged(pilot)
        assert screen.focused is screen.query_one("#opt-metrics", Switch)
        assert metrics_row(screen) == ("on replication metrics in CloudWatch", True, True)
        await pilot.press("shift+tab", "space")  # RTC on: metrics held on again, RTC is why
        await judged(pilot)
        assert metrics_row(screen) == ("on replication metrics: RTC needs them", True, False)
        await pilot.press("space")  # RTC off: the choice made on Metrics (on) comes back
        await judged(pilot)
        assert metrics_row(screen) == ("on replication metrics in CloudWatch", True, True)
        assert planned_metrics(screen) and screen.requested is not None and screen.requested.metrics
        await pilot.press("tab", "space")  # Metrics off again; the plan follows what is shown
        await judged(pilot)
        assert metrics_row(screen) == ("off replication metrics in CloudWatch", False, True)
        assert not planned_metrics(screen)
