"""The fleet board at 80x24 (issue 20 item 3): a fleet of five pairs planned and applied on the demo,
then, pressing keys: backfilled rows, sort, filter, Enter into one pair's monitor, verify every pair,
the migration's report, the fleet's totals, and undo of the whole migration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.apply import Backoff
from s3xrep_tui.aws.clients import clients_for
from s3xrep_tui.aws.fleet_apply import apply_fleet
from s3xrep_tui.aws.fleet_inspect import FleetClients, plan_fleet
from s3xrep_tui.aws.fleet_store import load
from s3xrep_tui.core.fleet import shared_role_names
from s3xrep_tui.core.fleet_pairs import PairsFile, PairSpec
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.sandbox.emulator import PROFILES, SIMULATOR_NOTE
from s3xrep_tui.sandbox.seed_fleet import FLEET
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.demo import DemoEnvironment
from s3xrep_tui.tui.screens.fleet import FleetScreen
from s3xrep_tui.tui.screens.fleet_totals import FleetTotalsScreen
from s3xrep_tui.tui.screens.home import HomeScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen

from .migration_world import isolated_sandbox, screen_text, until


@pytest.fixture(scope="module")
def fleet_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with isolated_sandbox(tmp_path_factory, "fleet-world", seed="fleet") as (sandbox, root):
        pairs = PairsFile(tuple(PairSpec(PROFILES["source"], f"acme-legacy-{n}", PROFILES["destination"],
                                         f"acme-platform-{n}") for n in FLEET))
        clients = FleetClients()
        fleet = plan_fleet(pairs, MigrationOptions(), clients)
        assert not fleet.blocked and len(fleet.pairs) == 5
        result = apply_fleet(fleet, clients, backoff=lambda: Backoff(total=5, first=0.005))
        assert result.ok, [o.message for o in result.outcomes]
        yield {"sandbox": sandbox, "fleet": fleet, "record": load(fleet.id), "root": root}


def _launcher(world: dict[str, Any]) -> Any:
    sandbox = world["sandbox"]
    return lambda: DemoEnvironment(str(sandbox.config_path), dict(PROFILES), lambda: None, SIMULATOR_NOTE)


def _board(app: S3xrepApp) -> FleetScreen | None:
    return next((s for s in app.screen_stack if isinstance(s, FleetScreen)), None)


async def test_fleet_board_at_80x24_backfill_sort_filter_drill_verify_report_undo(fleet_world: dict[str, Any]) -> None:
    app = S3xrepApp(demo=True, start_sandbox=_launcher(fleet_world))
    app.animation_level = "none"
    mid = fleet_world["fleet"].id
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
        await pilot.press("F")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen), "the fleet board")
        board = app.screen
        assert isinstance(board, FleetScreen)
        await until(pilot, lambda: board.polls > 0 and all(
            r.job is not None and r.job.terminal for r in board.rows.values()), "every pair backfilled", timeout=90)
        await pilot.pause()
        text = screen_text(app)
        assert "5 pairs · 5 applied · backfill 100%" in text, text
        assert text.count("done") >= 5 and "acme-legacy-orders" in text
        assert board.table.row_count == 5

        await pilot.press("s")  # sort: by state, then on
        assert board.sort == "state" and "sorted by state" in board.status
        await pilot.press("slash")
        await pilot.press(*"invoices")
        await until(pilot, lambda: board.table.row_count == 1, "the filter keeping one pair")
        assert board.rows[board.shown[0]].pair.source_bucket == "acme-legacy-invoices"
        await pilot.press("enter")  # back to the table with the filter kept
        await pilot.press("enter")  # drill into that pair's monitor
        await until(pilot, lambda: isinstance(app.screen, MonitorScreen), "the pair's monitor", timeout=60)
        assert (app.source_bucket, app.destination_bucket) == ("acme-legacy-invoices", "acme-platform-invoices")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is board, "back on the board")
        await pilot.press("escape")  # clears the filter
        await until(pilot, lambda: board.table.row_count == 5, "every pair shown again")

        await pilot.press("V")
        await until(pilot, lambda: "verified 5 of 5 pair(s)" in board.status, "every pair verified", timeout=90)
        await until(pilot, lambda: all(r.verify_ok for r in board.rows.values()), "OK in every row")
        await pilot.press("R")
        await until(pilot, lambda: "report of every pair written" in board.status, "the report", timeout=60)
        report = Path(board.status.rsplit(": ", 1)[1]).read_text()
        assert f"# Migration {mid}" in report and all(f"acme-legacy-{n}" in report for n in FLEET)

        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, FleetTotalsScreen), "the fleet totals")
        await pilot.pause()
        assert "100%" in " ".join(d.value for d in app.screen.query("Digits"))
        assert "VERIFIED" in screen_text(app)
        await pilot.press("escape")

        await pilot.press("U")
        await pilot.press(*mid)
        await pilot.press("enter")
        await until(pilot, lambda: "undone 5 of 5 pair(s)" in board.status, "the migration undone", timeout=90)
        await until(pilot, lambda: all(r.state == "undone" for r in board.rows.values()), "every row undone")
    iam = clients_for(PROFILES["source"])("iam")
    names = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert not names & set(shared_role_names(mid))


async def test_fleet_board_fits_80x24_sorts_and_filters_on_fixed_answers() -> None:
    from s3xrep_tui.screenshots_fleet import FixedFleetBackend, record

    app = S3xrepApp()
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        board = FleetScreen(record(), backend=FixedFleetBackend(), poll_seconds=0)
        app.push_screen(board)
        await until(pilot, lambda: board.polls > 0, "the poll")
        await pilot.pause()
        text = screen_text(app)
        assert "6 pairs · 5 applied · backfill 46% (4,560/9,862) · 12 failed · 1 verified" in text, text
        assert all(f"acme-legacy-{n}" in text for n in ("media", "orders", "invoices", "logs", "assets", "backups"))
        assert "DIFFERS" in text and "partial" in text and "pending" in text
        for _ in range(3):  # pair, state, progress, failures
            await pilot.press("s")
        assert board.sort == "failures" and board.shown[0] == 3  # the pair with failures first
        await pilot.press("s", "s")
        assert board.sort == "verify" and board.shown[0] == 3  # differences first
        await pilot.press("slash", *"pending")
        await until(pilot, lambda: board.shown == [6], "only the pair not applied yet")
        await pilot.press("enter", "enter")  # Enter on a pair never applied: says so, opens nothing
        assert "never applied" in board.status and app.screen is board


async def test_a_poll_slower_than_the_interval_still_lands() -> None:
    """200 pairs take longer to poll than the interval: the next tick must not cancel the poll in flight
    (it did: an exclusive worker per tick, so no poll of a large fleet ever landed)."""
    import threading as _threading

    from s3xrep_tui.screenshots_fleet import FixedFleetBackend, record

    class SlowBackend(FixedFleetBackend):
        def status(self, pairs: Any, latency: bool = True) -> list[Any]:
            _threading.Event().wait(0.4)  # a slow account: four interval ticks go by
            return super().status(pairs, latency)

    app = S3xrepApp()
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        board = FleetScreen(record(), backend=SlowBackend(), poll_seconds=0.1)
        app.push_screen(board)
        await until(pilot, lambda: board.polls >= 2, "two polls landing", timeout=15)


async def test_the_board_keeps_its_heap_out_of_full_collections_while_it_is_up() -> None:
    """A full collection over a 200-pair board's heap took a frame 0.2 s of CPU (bench/fleet_bench.py): the
    board freezes the heap once its first poll landed and lets it go when it leaves."""
    import gc

    from s3xrep_tui.screenshots_fleet import FixedFleetBackend, record
    from s3xrep_tui.tui import frozen_heap

    app = S3xrepApp()
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        before = frozen_heap.holders()
        board = FleetScreen(record(), backend=FixedFleetBackend(), poll_seconds=0)
        app.push_screen(board)
        await until(pilot, lambda: board.polls > 0, "the poll")
        assert frozen_heap.holders() == before + 1 and gc.get_freeze_count() > 0
        app.pop_screen()
        await until(pilot, lambda: not board.is_attached, "the board gone")
        assert frozen_heap.holders() == before
