"""The Verify screen from S3 Inventory reports: ``i`` compares the inventories and the summary says as of when."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from s3xrep_tui.aws.inventory_reports import InventoryReport
from s3xrep_tui.aws.inventory_verify import InventoryVerifyReport
from s3xrep_tui.core.verify import verify_versions
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.verify import VerifyScreen
from tests.tui.test_monitor_support import DESTINATION, SIZE, SOURCE, choice, until
from tests.tui.test_verify_screen import _records, fixed_runner


def _report(bucket: str, hour: int) -> InventoryReport:
    return InventoryReport(bucket, "s3xrep-all-versions", f"{bucket}-inv", "m.json", "etag",
                           datetime(2026, 12, 2, hour, 0, tzinfo=timezone.utc), (), "")


def inventory_runner(*_: Any, limit: int | None = None, **__: Any) -> InventoryVerifyReport:
    source, destination, facts = _records()
    return InventoryVerifyReport(SOURCE, DESTINATION, SOURCE_ACCOUNT, DESTINATION_ACCOUNT, "us-east-1", "us-east-1",
                                 "", verify_versions(source, destination, facts, limit=limit), 0.5, 1,
                                 inventories=(_report(SOURCE, 1), _report(DESTINATION, 2)))


async def test_i_compares_the_inventories_and_shows_their_dates() -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        app.source = choice("s3xrep-demo-source", SOURCE_ACCOUNT)
        app.destination = choice("s3xrep-demo-destination", DESTINATION_ACCOUNT)
        app.source_bucket, app.destination_bucket = SOURCE, DESTINATION
        app._clients = {"s3xrep-demo-source": object(), "s3xrep-demo-destination": object()}  # never called
        screen = VerifyScreen(runner=fixed_runner)
        screen.inventory_runner = inventory_runner
        await app.push_screen(screen)
        await until(pilot, lambda: screen.state == "done", what="the listing verification")
        assert "as of" not in str(screen.query_one("#verify-summary").render())
        await pilot.press("i")
        await until(pilot, lambda: screen.state == "done" and isinstance(screen.report, InventoryVerifyReport),
                    what="the inventory verification")
        await pilot.pause()
        summary = str(screen.query_one("#verify-summary").render())
        assert "source as of 2026-12-02 01:00 UTC" in summary and "destination as of 2026-12-02 02:00 UTC" in summary
        await pilot.press("i")  # back to the listings
        await until(pilot, lambda: screen.state == "done" and not isinstance(screen.report, InventoryVerifyReport),
                    what="the listing verification again")
