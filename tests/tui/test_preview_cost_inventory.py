"""The Preview's Cost tab prices S3 Inventory and Athena only when the plan has their steps (demo sandbox, 80x24)."""

from __future__ import annotations

from s3xrep_tui.core.estimate import INVENTORY_CALL
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui.widgets.cost_panel import CostPanel

from .screen_fit import screen_text
from .test_options_support import (  # noqa: F401 - fixtures
    SOURCE_BUCKET,
    demo,
    demo_app,
    sandbox,
)
from .test_preview_cost import SMALL, _cost_tab


async def test_a_plan_without_inventory_has_no_inventory_or_athena_in_its_cost(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await _cost_tab(pilot, demo, SOURCE_BUCKET)
        assert screen.plan is not None and not [s for s in screen.plan.steps if s.call == INVENTORY_CALL]
        estimate = screen.query_one(CostPanel).estimate
        assert estimate is not None and "batch.objects" in {item.id for item in estimate.items}
        assert not {"inventory", "athena.scanned"} & {item.id for item in estimate.items}
        for _ in range(30):  # every line of the tab, scrolled through with the arrows
            text = screen_text(app)
            assert "Inventory" not in text and "Athena" not in text, text
            if "Assumptions:" in text:
                break
            await pilot.press("down")
            await pilot.pause()
        assert "Assumptions:" in text
