# ruff: noqa: F811  (pytest fixtures imported from test_monitor_support)
"""The cut-over screen, reached from Verify with ``g``: the go/no-go checklist in words, at 80x24 and
160x48, and the cut-over with the write freeze after the destination bucket's name is typed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.canary import run_canary
from s3xrep_tui.aws.cutover_run import lift_freeze_now
from s3xrep_tui.aws.results import record_canary
from s3xrep_tui.core.cutover import VERDICT_WORDS
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens import cutover_flow
from s3xrep_tui.tui.screens.cutover import CutoverConfirm, CutoverScreen
from s3xrep_tui.tui.screens.verify import VerifyScreen
from tests.tui.screen_fit import cramped_boxes, screen_text
from tests.tui.test_monitor_support import (  # noqa: F401  (fixtures)
    DESTINATION,
    SOURCE,
    applied,
    data_dir,
    demo_config,
    prepare,
    until,
    wait_job,
    world,
)

WORDS = {"GO", "BLOCKED", "UNKNOWN", "N/A"}


async def _to_cutover(app: S3xrepApp, pilot: Any, plan: Any) -> CutoverScreen:
    prepare(app, plan)
    verify = VerifyScreen()
    await app.push_screen(verify)
    await asyncio.wait_for(app.workers.wait_for_complete(), 120)
    await until(pilot, lambda: verify.state != "running", timeout=60, what="verify to finish")
    await pilot.pause()
    # the key is in the Verify screen's footer once it ended (while it runs, s Stop comes first)
    await until(pilot, lambda: "g Go/no-go" in screen_text(app).splitlines()[-1], what="g in the footer")
    await pilot.press("g")
    screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="the cut-over")
    await until(pilot, lambda: screen.checklist is not None and screen.state == "idle", timeout=90,
                what="the checklist")
    return screen


def _cells(screen: CutoverScreen) -> list[list[str]]:
    table = screen.query_one("#checklist")
    return [[str(cell) for cell in table.get_row(key)] for key in table.rows]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_checklist_says_each_verdict_in_a_word_and_what_blocks(
    demo_config: Path, world: Sandbox, applied: dict[str, Any], size: tuple[int, int]
) -> None:
    wait_job(world, applied["job_id"])
    app = S3xrepApp()
    async with app.run_test(size=size) as pilot:
        screen = await _to_cutover(app, pilot, applied["plan"])
        rows = _cells(screen)
        assert [row[0] for row in rows if row[0] not in WORDS] == []  # never colour alone
        assert len(rows) == 6
        (alarms,) = [row for row in rows if row[1].startswith("Alarms")]  # the demo plan has its two alarms
        assert "of 2" in alarms[2] and alarms[0] in WORDS, alarms
        verdict = str(screen.query_one("#cutover-verdict").render())
        assert verdict.startswith("GO") or verdict.startswith("NO-GO")
        if not screen.checklist.go:
            blocks = str(screen.query_one("#cutover-blocks").render())
            assert all(item.label in blocks for item in screen.checklist.blocking)
        await until(pilot, lambda: "r Check again" in screen_text(app).splitlines()[-1], what="the footer drawn")
        text = screen_text(app)
        assert "c Cut over" in text.splitlines()[-1] and "r Check again" in text.splitlines()[-1], text
        assert cramped_boxes(app) == []

        def drawn(item: Any) -> bool:  # the verdict word and the item on one row, whatever the size
            return any(VERDICT_WORDS[item.verdict] in line and item.label[:12] in line
                       for line in screen_text(app).splitlines())

        # the footer can be painted a frame before the table's rows (a loaded machine shows the gap)
        await until(pilot, lambda: all(drawn(item) for item in screen.checklist.items),
                    what=f"every item drawn with its verdict word:\n{screen_text(app)}")
        await pilot.press("f")
        assert screen.freeze is False and "OFF" in str(screen.query_one("#cutover-status").render())


async def test_cut_over_with_the_freeze_after_the_typed_destination_name(
    demo_config: Path, world: Sandbox, applied: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the demo plan has metrics on (its alarms need them): the drain reads 1-second datapoints, not minutes
    monkeypatch.setattr(cutover_flow, "METRICS_PERIOD", 1)
    wait_job(world, applied["job_id"])
    clients = applied["clients"]
    canary = run_canary(clients["source"], clients["destination"], SOURCE, DESTINATION, timeout=60)
    assert canary.ok, canary.as_dict()
    record_canary(applied["plan"].id, canary.as_dict())
    app = S3xrepApp()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _to_cutover(app, pilot, applied["plan"])
        assert screen.check_action("cutover", ()) is True, [i.as_dict() for i in screen.checklist.blocking]
        await pilot.press("c")
        confirm = await until(pilot, lambda: isinstance(app.screen, CutoverConfirm) and app.screen,
                              what="the confirmation")
        assert "Deny" in str(confirm.query_one("#cutover-freeze-doc").render())
        await pilot.press(*"wrong", "enter")
        assert isinstance(app.screen, CutoverConfirm)  # a wrong name starts nothing
        confirm.query_one("#confirm-input").value = DESTINATION
        await pilot.press("enter")
        await until(pilot, lambda: screen.outcome is not None, timeout=120, what="the cut-over")
        text, ok = screen.outcome
        assert ok, text
        assert str(screen.query_one("#cutover-status").render()).startswith("DONE")
    s3a = world.clients(SOURCE_ACCOUNT)("s3")
    with pytest.raises(ClientError) as refused:
        s3a.put_object(Bucket=SOURCE, Key="after-cutover.txt", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    assert "lifted" in lift_freeze_now(applied["plan"], clients)
    assert s3a.put_object(Bucket=SOURCE, Key="after-cutover.txt", Body=b"x")["VersionId"]
    assert world.clients(DESTINATION_ACCOUNT)("s3").head_bucket(Bucket=DESTINATION)
