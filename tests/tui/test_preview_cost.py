"""The Preview's Cost tab at 80x24, on the demo sandbox: what the user reads of the estimate, from the screen's text."""

from __future__ import annotations

import json

from s3xrep_tui.aws import results
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.sandbox.seed import ARCHIVE
from s3xrep_tui.tui.screens.preview import COST_TAB, PreviewScreen
from s3xrep_tui.tui.widgets.cost_panel import CostPanel

from .screen_fit import cramped_boxes, screen_text
from .test_journey import until
from .test_options_support import (  # noqa: F401 - fixtures
    demo,
    demo_app,
    open_options,
    sandbox,
    settle,
)

SMALL = (80, 24)


async def _cost_tab(pilot, demo: Sandbox, source_bucket: str) -> PreviewScreen:  # type: ignore[no-untyped-def]
    await open_options(pilot, demo, source_bucket=source_bucket)
    await pilot.press("p")
    await until(pilot, lambda: isinstance(pilot.app.screen, PreviewScreen), "the preview")
    screen = pilot.app.screen
    assert isinstance(screen, PreviewScreen)
    await pilot.press("dollar_sign")
    await until(pilot, lambda: screen.active_tab == COST_TAB, "the Cost tab")
    await until(pilot, lambda: screen.estimate is not None or screen.query_one(CostPanel).error, "the estimate")
    await pilot.pause()
    return screen


async def test_the_cost_tab_shows_the_estimate_of_millions_of_objects_at_80x24(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await _cost_tab(pilot, demo, ARCHIVE)
        text = screen_text(app)
        assert "$ Cost" in text  # the last tab, after the steps
        assert "ESTIMATE, not a quote" in text
        assert "120,000,000 objects, 96.0 TiB" in text  # CloudWatch's (virtual) daily figures: nothing listed
        assert "One-time $" in text and "Monthly $" in text and "Backfill 9h31m at 3,500 obj/s" in text
        assert "Batch Ops job" in text and "$0.25/job" in text and "$120.00" in text  # 120 million x $1/million
        assert cramped_boxes(app) == []
        # the rest scrolls with the arrows: prices, the rate's source, the assumptions
        for _ in range(30):
            if "Assumptions:" in screen_text(app):
                break
            await pilot.press("down")
            await pilot.pause()
        text = screen_text(app)
        assert "Prices: AWS Price List API" in text and "Assumptions:" in text
        # c copies the estimate as JSON; it was recorded for the report
        await pilot.press("c")
        assert "the estimate" in screen.last_message
        recorded = results.latest(app.plan.id)["estimate"]
        assert recorded is not None and recorded["result"]["objects"] == 120_000_000
        assert json.loads(screen.current_document()[1])["objects"] == 120_000_000


async def test_a_bucket_without_storage_metrics_says_so(demo: Sandbox) -> None:
    demo.clients("111111111111")("s3").create_bucket(Bucket="acme-legacy-brand-new")
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await _cost_tab(pilot, demo, "acme-legacy-brand-new")
        panel = screen.query_one(CostPanel)
        assert panel.estimate is not None and panel.estimate.objects is None
        assert "? objects" in screen_text(app) and "Backfill unknown (no object count)" in screen_text(app)
        await pilot.press("end")
        await pilot.pause()
        assert "no CloudWatch storage metrics for acme-legacy-brand-new" in " ".join(screen_text(app).split())
