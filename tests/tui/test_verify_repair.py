# ruff: noqa: F811  (pytest fixtures imported from test_monitor_support)
"""The Verify screen's repair key: shown only while versions are missing, a preview with the typed
confirmation, the Batch job in a worker, the before/after counts in the screen's body."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.repair import RepairConfirm
from s3xrep_tui.tui.screens.verify import VerifyScreen
from tests.sandbox.helpers import head_status, wait_for
from tests.tui.test_monitor_support import (  # noqa: F401  (fixtures)
    DESTINATION,
    SIZE,
    SOURCE,
    applied,
    choice,
    data_dir,
    demo_config,
    prepare,
    until,
    wait_job,
    world,
)

KEY = "photos/repair-me.jpg"


def _failed_version(world: Sandbox) -> str:
    """A new source version whose live replication FAILED (the destination denied it for a moment)."""
    s3a, s3b = world.clients(SOURCE_ACCOUNT)("s3"), world.clients(DESTINATION_ACCOUNT)("s3")
    kept = s3b.get_bucket_policy(Bucket=DESTINATION)["Policy"]
    denied = json.loads(kept)
    denied["Statement"].append({"Sid": "TestBlock", "Effect": "Deny", "Principal": "*",
                                "Action": "s3:ReplicateObject", "Resource": f"arn:aws:s3:::{DESTINATION}/*"})
    s3b.put_bucket_policy(Bucket=DESTINATION, Policy=json.dumps(denied))
    version = s3a.put_object(Bucket=SOURCE, Key=KEY, Body=b"jpeg")["VersionId"]
    wait_for(lambda: head_status(s3a, SOURCE, KEY, version) == "FAILED", timeout=30, what="the version to FAIL")
    s3b.put_bucket_policy(Bucket=DESTINATION, Policy=kept)
    return version


async def _idle(screen: VerifyScreen, pilot: Any) -> None:
    await asyncio.wait_for(screen.app.workers.wait_for_complete(), 120)
    await until(pilot, lambda: screen.state != "running" and not screen.repairing, timeout=60, what="the screen idle")
    await pilot.pause()


async def test_the_repair_key_replicates_the_missing_version_after_the_typed_confirmation(
    demo_config: Path, world: Sandbox, applied: dict[str, Any]
) -> None:
    wait_job(world, applied["job_id"])
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        prepare(app, applied["plan"])
        screen = VerifyScreen()
        await app.push_screen(screen)
        await _idle(screen, pilot)
        assert screen.report is not None
        clean = screen.report.summary.mattering == 0
        assert screen.check_action("repair", ()) is (False if clean else True)  # hidden while nothing is missing

        version = _failed_version(world)
        await pilot.press("r")
        await _idle(screen, pilot)
        assert screen.check_action("repair", ()) is True
        await pilot.press("p")
        confirm = await until(pilot, lambda: isinstance(app.screen, RepairConfirm) and app.screen, timeout=60,
                              what="the repair preview")
        counts = str(confirm.query_one("#repair-counts").render())
        assert "1 to replicate" in counts
        assert f"{SOURCE},photos/repair-me.jpg,{version}" in str(confirm.query_one("#repair-manifest").render())
        assert "S3BatchOperations_CSV_20180820" in str(confirm.query_one("#repair-request").render())
        await pilot.press(*"wrong", "enter")  # the input has the focus
        assert isinstance(app.screen, RepairConfirm)  # a wrong name starts nothing
        confirm.query_one("#confirm-input").value = SOURCE
        await pilot.press("enter")
        await until(pilot, lambda: screen.repair_result is not None, timeout=90, what="the repair's result")
        result = screen.repair_result
        assert result.clean, result.as_dict()
        assert (result.before, result.after, result.repaired) == (1, 0, 1)
        body = str(screen.query_one("#verify-export").render())
        assert "before 1" in body and "after 0" in body and "undo with" in body
        head = world.clients(DESTINATION_ACCOUNT)("s3").head_object(Bucket=DESTINATION, Key=KEY, VersionId=version)
        assert head["ReplicationStatus"] == "REPLICA"
