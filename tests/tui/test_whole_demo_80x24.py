"""The whole demo by keys at 80x24, as a CloudShell user meets it (issue 15's done-when).

Accounts, buckets, options, every preview tab (its JSON on screen), apply with the
typed name, the monitor until the job is Complete, the canary, verify; then quit,
relaunch, the Migrations home, resume at the monitor, and undo from the app with
its typed confirmation, the destination's policy read back as it was before apply.
The sandbox is kept between the two launches (as ``migration_world.launcher``
does): what a relaunch finds is what the first run left.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws.clients import clients_for
from s3xrep_tui.sandbox.emulator import PROFILES, SIMULATOR_NOTE, Sandbox
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.demo import DemoEnvironment
from s3xrep_tui.tui.screens.home import HomeScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.screens.undo import UndoScreen
from s3xrep_tui.tui.screens.verify import VerifyScreen
from s3xrep_tui.tui.widgets.canary_panel import CanaryPanel
from s3xrep_tui.tui.widgets.jobs_table import JobsTable

from .screen_fit import cramped_boxes, screen_text
from .test_80x24 import DESTINATION_BUCKET, SOURCE_BUCKET, footer, walk_the_demo
from .test_journey import until

SIZE = (80, 24)


@pytest.fixture
def kept(tmp_path: Path, aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], DemoEnvironment]]:
    """``s3xrep --demo``'s start, but one fast sandbox for every launch, stopped at the end."""
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TMUX", raising=False)
    sandbox = Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0,
                      config_path=tmp_path / "sandbox" / "aws-config").start()
    try:
        yield lambda: DemoEnvironment(str(sandbox.config_path), dict(PROFILES), lambda: None, SIMULATOR_NOTE)
    finally:
        sandbox.stop()


def destination_policy() -> dict:
    s3 = clients_for(PROFILES["destination"])("s3")
    return json.loads(s3.get_bucket_policy(Bucket=DESTINATION_BUCKET)["Policy"])


@pytest.mark.e2e
async def test_the_whole_demo_by_keys_at_80x24_quit_relaunch_resume_and_undo(
        kept: Callable[[], DemoEnvironment]) -> None:
    first = S3xrepApp(demo=True, start_sandbox=kept)
    first.animation_level = "none"
    async with first.run_test(size=SIZE) as pilot:
        walk = await walk_the_demo(first, pilot, big=True)  # accounts ... apply, monitor to the job's end, verify
        assert not walk.problems, "\n".join(walk.problems)
        verify = first.screen
        assert isinstance(verify, VerifyScreen)
        await pilot.press("escape")
        monitor = first.screen
        assert isinstance(monitor, MonitorScreen)
        [job] = [j for j in monitor.query_one(JobsTable).jobs.values() if j.job_id in monitor.query_one(JobsTable).mine]
        assert job.status == "Complete", job
        await pilot.press("k")
        panel = monitor.query_one(CanaryPanel)
        await until(pilot, lambda: panel.result is not None or panel.error is not None, "the canary", timeout=90)
        assert panel.error is None and panel.result is not None and panel.result.ok, (panel.error, panel.result)
        assert "k Canary" in footer(first) or "Canary" in screen_text(first)
        assert not cramped_boxes(first)
        await pilot.press("ctrl+q")
    assert first.return_code in (0, None)

    before = destination_policy()
    assert any(str(s.get("Sid", "")).startswith("S3xrep") or "s3xrep" in json.dumps(s).lower()
               for s in before["Statement"]), "apply granted the replication role in the destination policy"

    again = S3xrepApp(demo=True, start_sandbox=kept)
    again.animation_level = "none"
    async with again.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(again.screen, HomeScreen), "the Migrations home after a relaunch")
        await until(pilot, lambda: f"{SOURCE_BUCKET} → {DESTINATION_BUCKET}" in screen_text(again), "the migration listed")
        text = screen_text(again)
        assert "applied" in text, text
        assert not cramped_boxes(again)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(again.screen, MonitorScreen), "the monitor, resumed", timeout=60)
        monitor = again.screen
        await until(pilot, lambda: bool(monitor.query_one(JobsTable).mine & set(monitor.query_one(JobsTable).jobs)),
                    "the migration's job, as ours", timeout=60)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(again.screen, HomeScreen), "back on the home screen")
        await pilot.press("u")
        await until(pilot, lambda: isinstance(again.screen, UndoScreen), "the undo screen", timeout=60)
        undo = again.screen
        assert isinstance(undo, UndoScreen)
        await until(pilot, lambda: undo.preview is not None or bool(undo.error), "the undo's dry run", timeout=60)
        # the footer shows Enter's "Undo" once the confirmation field has focus and the bindings are redrawn,
        # turns of the event loop after the preview arrived
        await until(pilot, lambda: "would-restore" in screen_text(again) and "Undo" in footer(again),
                    "the preview drawn and Undo in the footer")
        assert not cramped_boxes(again)
        await pilot.press(*SOURCE_BUCKET, "enter")
        await until(pilot, lambda: undo.result is not None or bool(undo.error), "the undo", timeout=90)
        assert undo.result is not None and undo.result.ok, undo.error or [
            (i.call, i.status, i.message) for i in undo.items.values()]
        assert "Undone." in screen_text(again)
    after = destination_policy()
    assert after != before and "s3xrep" not in json.dumps(after).lower()
