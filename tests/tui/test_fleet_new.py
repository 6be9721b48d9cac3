"""A fleet migration from the TUI by keys on the demo world (issue 20's done-when), at 80x24: the map typed and
its pairs shown before use (one picked out), the preview with every pair's estimate and the fleet's total,
apply with ONE typed confirmation (each pair's state live), the fleet board: backfill done, every pair
verified, the report, and undo of the whole migration. Then the new screens at 160x48."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.clients import clients_for
from s3xrep_tui.core.fleet import shared_role_names
from s3xrep_tui.demo_sandbox import DEMO_SEED
from s3xrep_tui.sandbox.emulator import PROFILES, SIMULATOR_NOTE
from s3xrep_tui.sandbox.seed_fleet import FLEET
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.demo import DemoEnvironment
from s3xrep_tui.tui.screens.buckets import BucketsScreen
from s3xrep_tui.tui.screens.fleet import FleetScreen
from s3xrep_tui.tui.screens.fleet_apply import FleetApplyScreen
from s3xrep_tui.tui.screens.fleet_new import FleetNewScreen, suggest_map
from s3xrep_tui.tui.screens.fleet_preview import ConfirmFleetApply, FleetCostScreen, FleetPreviewScreen, changes
from s3xrep_tui.tui.screens.home import HomeScreen

from .migration_world import isolated_sandbox, until
from .screen_fit import cramped_boxes, screen_text

MAP = "acme-legacy-*=acme-platform-*"


@pytest.fixture(scope="module")
def demo_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The world ``s3xrep --demo`` starts (its seed), fast, with nothing applied yet."""
    with isolated_sandbox(tmp_path_factory, "fleet-new", seed=DEMO_SEED) as (sandbox, root):
        yield {"sandbox": sandbox, "root": root}


def _app(world: dict[str, Any]) -> S3xrepApp:
    sandbox = world["sandbox"]
    app = S3xrepApp(demo=True, start_sandbox=lambda: DemoEnvironment(str(sandbox.config_path), dict(PROFILES),
                                                                       lambda: None, SIMULATOR_NOTE))
    app.animation_level = "none"
    return app


async def _to_new_fleet(app: S3xrepApp, pilot: Any) -> FleetNewScreen:
    await until(pilot, lambda: app.sandbox is not None and app.identities_ready(), "both demo identities")
    if not isinstance(app.screen, HomeScreen):  # the first launch: no migration yet, so Accounts, then Buckets
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, BucketsScreen), "the buckets screen")
    await pilot.press("m")  # on Buckets, or on the home screen a later launch opens on
    await until(pilot, lambda: isinstance(app.screen, FleetNewScreen), "the new fleet screen")
    screen = app.screen
    assert isinstance(screen, FleetNewScreen)
    await pilot.press(*MAP, "enter")
    await until(pilot, lambda: screen.found is not None and len(screen.found.pairs) == 6, "the map's six pairs")
    await pilot.pause()
    return screen


def test_suggest_map_turns_one_pair_into_its_pattern() -> None:
    assert suggest_map("acme-legacy-media", "acme-platform-media") == MAP
    assert suggest_map("old.logs.eu", "new.logs.eu") == "old.*=new.*"
    assert suggest_map("alpha", "beta") == "" and suggest_map(None, "x") == "" and suggest_map("a-b", "a-b") == ""


async def test_the_map_screen_without_aws_waits_for_identities_and_says_what_is_wrong(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No identity chosen: it waits (bounded) and says so; then a map that does not parse, one that matches
    nothing, and space on a source without a destination each say why, in a line (fixed bucket lists)."""
    from s3xrep_tui.screenshots_fleet import FixedPlanner, chosen_identity
    from s3xrep_tui.tui.screens import fleet_new

    monkeypatch.setattr(fleet_new, "IDENTITY_TIMEOUT", 0.3)
    app = S3xrepApp()
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = FleetNewScreen(FixedPlanner())  # type: ignore[arg-type]
        app.push_screen(screen)
        await until(pilot, lambda: "Waiting for a source and a destination" in screen.status, "the wait said")
        await until(pilot, lambda: "No fleet without both identities" in screen.status, "the bounded wait")
        app.source = chosen_identity("acme-legacy", "111111111111")
        app.destination = chosen_identity("acme-platform", "222222222222")
        await pilot.press(*"acme-legacy-*")
        assert "is not SOURCE=DESTINATION" in screen_text(app)
        await pilot.press(*"=nothing-*")
        await until(pilot, lambda: screen.found is not None, "the match")
        assert not screen.found.pairs and "matches no listed source bucket" in screen.status  # type: ignore[union-attr]
        screen.map_input.value = MAP
        await until(pilot, lambda: screen.found is not None and len(screen.found.pairs) == 6, "the six pairs")
        screen.table.focus()
        screen.table.move_cursor(row=6)  # acme-legacy-archive: no acme-platform-archive
        await pilot.press("space")
        assert "has no destination bucket" in screen.status and len(screen.in_use) == 6
        for row in range(6):
            screen.table.move_cursor(row=row)
            await pilot.press("space")
        await pilot.press("p")
        assert "No pair in use" in screen.status and isinstance(app.screen, FleetNewScreen)


async def test_a_fleet_by_keys_at_80x24_plan_estimate_apply_backfill_verify_report_undo(
        demo_world: dict[str, Any]) -> None:
    app = _app(demo_world)
    async with app.run_test(size=(80, 24)) as pilot:
        new = await _to_new_fleet(app, pilot)
        text = screen_text(app)
        assert "6 pair(s) in use · 4 without a destination" in text, text
        assert "acme-legacy-orders" in text and "acme-platform-orders" in text and "no dest" in text
        assert "p Preview" in text.splitlines()[-1], text.splitlines()[-1]
        assert not cramped_boxes(app)
        new.table.move_cursor(row=[p.source_bucket for p in new.found.pairs].index("acme-legacy-media"))
        await pilot.press("space")  # the demo's single pair stays out: the fleet is the five
        assert [p.source_bucket for p in new.in_use] == sorted(f"acme-legacy-{n}" for n in FLEET)
        assert "5 pair(s) in use · 1 skipped" in screen_text(app)

        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, FleetPreviewScreen), "the fleet preview")
        preview = app.screen
        assert isinstance(preview, FleetPreviewScreen)
        await until(pilot, lambda: preview.fleet is not None, "the fleet planned", timeout=60)
        await pilot.pause()
        fleet = preview.fleet
        assert fleet is not None and not fleet.blocked and len(fleet.pairs) == 5
        text = screen_text(app)
        assert f"Migration {fleet.id} · 5 pairs" in text, text
        assert "ESTIMATE One-time $" in text and "Backfill" in text, text
        assert all(f"acme-legacy-{n}" in text for n in FLEET), text
        assert text.count("$") >= 6  # the total and every pair's one-time cost
        assert "Across pairs: no findings" in text and "a Apply" in text.splitlines()[-1], text
        assert not cramped_boxes(app)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, FleetCostScreen), "the whole estimate")
        await pilot.pause()
        text = screen_text(app)
        assert "Cost and time of the whole fleet" in text and "ESTIMATE, not a quote" in text, text
        await pilot.press("escape")

        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmFleetApply), "the one confirmation")
        await pilot.press(*"wrong", "enter")  # a wrong id starts nothing
        await until(pilot, lambda: app.screen is preview, "back on the preview")
        assert "Not confirmed" in preview.status
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmFleetApply), "the confirmation again")
        await pilot.pause()
        text = screen_text(app)
        writes = sum(changes(p) for p in fleet.pairs)
        assert f"Apply migration {fleet.id}: {writes} change(s) to 5 pair(s), 3 pairs" in text, text
        assert "Type the migration id to apply" in text and not cramped_boxes(app)
        await pilot.press(*fleet.id, "enter")
        await until(pilot, lambda: isinstance(app.screen, FleetApplyScreen), "the fleet's apply")
        run = app.screen
        assert isinstance(run, FleetApplyScreen)
        await until(pilot, lambda: run.result is not None, "every pair applied", timeout=120)
        await pilot.pause()
        assert run.result is not None and run.result.ok, [o.message for o in run.result.outcomes]
        text = screen_text(app)
        assert "5 pairs · 5 applied · 0 running · 0 failed" in text and text.count("applied") >= 6, text
        assert "b Board" in text.splitlines()[-1] and not cramped_boxes(app)

        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, FleetScreen), "the fleet board")
        board = app.screen
        assert isinstance(board, FleetScreen) and board.record.id == fleet.id
        assert not any(getattr(s, "FLEET_DRAFT", False) for s in app.screen_stack)  # Esc goes back to Buckets
        await until(pilot, lambda: board.polls > 0 and all(r.job is not None and r.job.terminal
                                                            for r in board.rows.values()), "every backfill", timeout=90)
        await pilot.pause()
        assert "5 pairs · 5 applied · backfill 100%" in screen_text(app)
        await pilot.press("V")
        await until(pilot, lambda: "verified 5 of 5 pair(s)" in board.status, "every pair verified", timeout=90)
        await pilot.press("R")
        await until(pilot, lambda: "report of every pair written" in board.status, "the report", timeout=60)
        report = Path(board.status.rsplit(": ", 1)[1]).read_text()
        assert f"# Migration {fleet.id}" in report and all(f"acme-legacy-{n}" in report for n in FLEET)
        await pilot.press("U", *fleet.id, "enter")
        await until(pilot, lambda: "undone 5 of 5 pair(s)" in board.status, "the migration undone", timeout=90)
        await until(pilot, lambda: all(r.state == "undone" for r in board.rows.values()), "every row undone")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, BucketsScreen), "back on the buckets screen")
    iam = clients_for(PROFILES["source"])("iam")
    assert not {r["RoleName"] for r in iam.list_roles()["Roles"]} & set(shared_role_names(fleet.id))
    s3 = clients_for(PROFILES["source"])("s3")
    assert all("ReplicationConfiguration" not in _replication(s3, f"acme-legacy-{n}") for n in FLEET)


def _delete_bucket(s3: Any, bucket: str) -> None:
    """Every version and delete marker (the first test's replicas), then the bucket."""
    listed = s3.list_object_versions(Bucket=bucket)
    doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
              for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]
    if doomed:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})
    s3.delete_bucket(Bucket=bucket)


def _replication(s3: Any, bucket: str) -> dict[str, Any]:
    try:
        return s3.get_bucket_replication(Bucket=bucket)
    except s3.exceptions.ClientError:
        return {}


async def test_the_new_fleet_screens_at_160x48(demo_world: dict[str, Any]) -> None:
    app = _app(demo_world)
    async with app.run_test(size=(160, 48)) as pilot:
        new = await _to_new_fleet(app, pilot)
        assert not cramped_boxes(app)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, FleetPreviewScreen), "the fleet preview")
        preview = app.screen
        assert isinstance(preview, FleetPreviewScreen)
        await until(pilot, lambda: preview.fleet is not None, "the fleet planned", timeout=60)
        await pilot.pause()
        text = screen_text(app)
        assert len(new.in_use) == 6 and "6 pairs" in text
        assert "acme-legacy-orders → acme-platform-orders" in text, text  # wide: the pair column names both
        assert not cramped_boxes(app)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmFleetApply), "the confirmation")
        await pilot.press("escape")  # nothing applied
        await until(pilot, lambda: app.screen is preview, "back on the preview")


async def test_a_failed_pair_does_not_stop_the_others(demo_world: dict[str, Any]) -> None:
    """The last of the module: a destination bucket deleted between the preview and the apply (as a teammate
    might): that pair FAILED with AWS's reason on its row, every other pair applied."""
    app = _app(demo_world)
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_new_fleet(app, pilot)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, FleetPreviewScreen), "the fleet preview")
        preview = app.screen
        assert isinstance(preview, FleetPreviewScreen)
        await until(pilot, lambda: preview.fleet is not None, "the fleet planned", timeout=60)
        fleet = preview.fleet
        assert fleet is not None and len(fleet.pairs) == 6
        _delete_bucket(clients_for(PROFILES["destination"])("s3"), "acme-platform-logs")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ConfirmFleetApply), "the confirmation")
        await pilot.press(*fleet.id, "enter")
        await until(pilot, lambda: isinstance(app.screen, FleetApplyScreen), "the fleet's apply")
        run = app.screen
        assert isinstance(run, FleetApplyScreen)
        await until(pilot, lambda: run.result is not None, "every pair ended", timeout=120)
        await pilot.pause()
        [logs] = [p.index for p in fleet.pairs if p.spec.source_bucket == "acme-legacy-logs"]
        assert run.states == {p.index: "FAILED" if p.index == logs else "applied" for p in fleet.pairs}
        text = screen_text(app)
        assert "6 pairs · 5 applied · 0 running · 1 failed" in text, text
        assert "5 of 6 pair(s) applied, 1 failed" in run.status and "does not exist" in run.status, run.status
        assert "b Board" in text.splitlines()[-1]
