"""Finish from the app (issue 18 item 5): goes and stays, what blocks, the typed name, the home says finished.

On the demo sandbox with one migration applied by profile and backfilled: from
the home screen ``f`` opens the finish screen at 80x24, which lists what would
be removed and what stays (a dry run: nothing changes) and says the migration
has no cut-over record, with the fix; ``c`` goes on without one; read-only
mode refuses the real finish; typing the source bucket's name and Enter runs
it; the sandbox then has none of our roles, rules or statements, the foreign
statement and every object are still there, and the home screen lists the
migration as finished.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Input

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.finish import FinishScreen
from s3xrep_tui.tui.screens.home import HomeScreen

from .migration_world import DESTINATION, SOURCE, launcher, screen_text, until, world_fixture


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    yield from world_fixture(tmp_path_factory)


def _state(world: dict[str, Any]) -> dict[str, Any]:
    s3a, s3b = world["clients"]["source"]("s3"), world["clients"]["destination"]("s3")
    policy = json.loads(s3b.get_bucket_policy(Bucket=DESTINATION)["Policy"])
    roles = [r["RoleName"] for r in world["clients"]["source"]("iam").list_roles()["Roles"]]
    try:
        rules = [r["ID"] for r in s3a.get_bucket_replication(Bucket=SOURCE)["ReplicationConfiguration"]["Rules"]]
    except s3a.exceptions.ClientError:
        rules = []
    count = sum(page.get("KeyCount", 0) for page in s3b.get_paginator("list_objects_v2").paginate(Bucket=DESTINATION))
    return {"sids": [s.get("Sid") for s in policy["Statement"]], "roles": sorted(r for r in roles if "s3xrep" in r),
            "rules": rules, "replicas": count}


async def open_finish(pilot: Any) -> FinishScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, HomeScreen), "the home screen")
    await pilot.press("f")
    await until(pilot, lambda: isinstance(app.screen, FinishScreen), "the finish screen", timeout=60)
    screen = app.screen
    await until(pilot, lambda: screen.preview is not None or bool(screen.error), "the dry run")
    return screen


async def test_read_only_shows_goes_and_stays_and_refuses_the_finish(world: dict[str, Any]) -> None:
    before = _state(world)
    app = S3xrepApp(demo=True, start_sandbox=launcher(world), read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_finish(pilot)
        assert not screen.error, screen.error
        actions = {row.action for row in screen.rows.values()}
        assert {"remove", "stays"} <= actions
        # the summary's auto height is laid out after the handler that set the preview: wait for the repaint
        await until(pilot, lambda: "has not been cut over" in screen_text(app) and "Blocked" in screen_text(app),
                    "the blocker and the frozen confirmation drawn")
        await pilot.press("c")  # without a cut-over record: previews again
        await until(pilot, lambda: screen.preview is not None and not screen.preview.blockers, "a preview unblocked")
        await until(pilot, lambda: "Read-only mode: finish writes" in screen_text(app), "the read-only refusal")
        assert screen.query_one(Input).disabled
    assert _state(world) == before  # nothing was finished


async def test_finish_from_the_app_at_80x24_then_the_home_says_finished(world: dict[str, Any]) -> None:
    before = _state(world)
    assert before["roles"] and before["rules"]  # the check can fail: ours are there
    app = S3xrepApp(demo=True, start_sandbox=launcher(world))
    app.animation_level = "none"
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_finish(pilot)
        assert screen.preview is not None and screen.preview.blockers  # no cut-over record
        await pilot.press("c")  # the backfill is complete: nothing is PENDING, so that was the only blocker
        await until(pilot, lambda: screen.flags["not_cut_over"] and screen.preview is not None
                    and not screen.preview.blockers, "the preview without blockers")
        await until(pilot, lambda: not screen.query_one(Input).disabled, "the confirmation open")
        text = screen_text(app)
        assert "Preview (dry run, nothing changed)" in text and "remove" in text and "stays" in text
        await pilot.press(*SOURCE, "enter")
        await until(pilot, lambda: screen.result is not None or bool(screen.error), "the finish to end", timeout=90)
        assert screen.result is not None and screen.result.ok, [(r.action, r.element, r.why)
                                                                 for r in screen.rows.values()]
        assert "Finished: the report is now the migration's final record" in screen_text(app)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, HomeScreen) and "finished" in screen_text(app),
                    "the home listing it as finished")
        await pilot.press("f")  # finishing it again: the home says so, nothing opens
        await until(pilot, lambda: "nothing left to remove" in screen_text(app), "the home's answer")
        assert isinstance(app.screen, HomeScreen)
    after = _state(world)
    assert after["roles"] == [] and after["rules"] == []
    assert after["sids"] == [s for s in before["sids"] if not str(s).startswith("S3xrep")] and after["sids"]
    assert after["replicas"] == before["replicas"] > 0
    jobs = world["clients"]["source"]("s3control").list_jobs(AccountId=A)["Jobs"]
    assert all(j["Status"] in ("Complete", "Cancelled", "Failed") for j in jobs)
