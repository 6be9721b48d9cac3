# ruff: noqa: F811  (pytest fixtures imported from test_monitor_support)
"""The Monitor and Job detail screens, driven with Pilot on the demo sandbox.

The tests run in file order and share one world (a plan applied through the app's AWS layer).
Waiting is on the screens' own workers or on the state their messages leave, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws import clients as clients_module
from s3xrep_tui.aws import job_memory
from s3xrep_tui.core.failure_codes import fix_for
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT, Sandbox
from s3xrep_tui.sandbox.server import SandboxServer
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.job_detail import ConfirmAction, JobDetailScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.widgets.jobs_table import COLUMNS, JobsTable
from tests.sandbox.helpers import wait_final
from tests.tui.test_monitor_support import (  # noqa: F401  (fixtures)
    DESTINATION,
    SIZE,
    SOURCE,
    applied,
    create_job,
    data_dir,
    demo_config,
    prepare,
    until,
    wait_job,
    without_replication_grant,
    world,
)

FAST_POLL = 0.1


def row(screen: MonitorScreen, job_id: str) -> dict[str, str]:
    table = screen.query_one(JobsTable)
    return {key: cell.plain for (key, _, _), cell in zip(COLUMNS, table.get_row(job_id), strict=True)}


def status_line(screen: Any) -> str:
    from textual.widgets import Static

    return str(screen.query_one("#poll-status", Static).render())


async def open_monitor(pilot: Any, plan: Any, interval: float | None = FAST_POLL) -> MonitorScreen:
    app = pilot.app
    prepare(app, plan)
    screen = MonitorScreen(interval=interval)
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def finish(worker: Any, timeout: float = 60.0) -> None:
    await asyncio.wait_for(worker.wait(), timeout)


def s3control_calls(app: S3xrepApp, region: str = "us-east-1") -> list[str]:
    """Every ListJobs/DescribeJob the app's source client sends from now on (a botocore event hook)."""
    calls: list[str] = []
    client = app.clients("source")("s3control", region)
    client.meta.events.register("before-call.s3-control.ListJobs", lambda **_: calls.append("ListJobs"))
    client.meta.events.register("before-call.s3-control.DescribeJob", lambda **_: calls.append("DescribeJob"))
    return calls


async def test_the_applied_job_moves_to_complete_on_screen_and_is_remembered_as_ours(
    demo_config: Path, world: Sandbox, applied: dict[str, Any], data_dir: Path
) -> None:
    job_id, plan = applied["job_id"], applied["plan"]
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(pilot, plan)
        await until(pilot, lambda: job_id in screen.query_one(JobsTable).jobs, what="the job on screen")
        seen = {row(screen, job_id)["status"]}
        assert row(screen, job_id)["mine"] == "●"  # the journal says this plan created it

        async def watch() -> None:
            while True:
                seen.add(row(screen, job_id)["status"])
                await pilot.pause(0.02)

        watcher = asyncio.ensure_future(watch())
        try:
            await finish(screen.workers_by_loop["jobs"])  # the loop ends by itself once every job has ended
        finally:
            watcher.cancel()
        await pilot.pause()
        cells = row(screen, job_id)
        assert cells["status"] == "Complete"
        assert seen & {"New", "Preparing", "Ready", "Active"}, seen  # it was seen running first
        assert cells["failed"] == "0" and cells["progress"].endswith("100%")
        assert int(cells["succeeded"].replace(",", "")) > 1000
        assert cells["eta"] == "-" and cells["rate"].endswith("/s") and cells["elapsed"].endswith("s")
        assert any("succeeded" in text for text in screen.notifications)
        assert "every job has ended" in status_line(screen)
    world.batch.task_rate = 5000.0
    # remembered for the plan, privately: a new session marks it without the journal's help
    path = job_memory.memory_path(plan.id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert job_id in {job["job_id"] for job in json.loads(path.read_text())["jobs"]}


async def test_the_poller_stops_on_terminal_jobs_and_r_polls_again(
    demo_config: Path, world: Sandbox, applied: dict[str, Any]
) -> None:
    wait_job(world, applied["job_id"])
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        prepare(app, applied["plan"])
        calls = s3control_calls(app)
        screen = MonitorScreen(interval=FAST_POLL)
        await app.push_screen(screen)
        await finish(screen.workers_by_loop["jobs"])
        first = list(calls)
        assert first and first[0] == "ListJobs"  # one full listing: every job is terminal, nothing else asked
        assert first.count("ListJobs") == 1
        for _ in range(10):  # ten poll intervals later: not one more call
            await pilot.pause(FAST_POLL)
        assert calls == first
        assert screen.states["jobs"].status == "done"
        await pilot.press("r")
        await until(pilot, lambda: len(calls) > len(first), what="r to poll")
        await finish(screen.workers_by_loop["jobs"])
        assert calls[len(first):] == ["ListJobs"]


async def test_the_replication_sample_asks_only_about_statuses_that_can_change_and_r_asks_again(
    demo_config: Path, world: Sandbox, applied: dict[str, Any]
) -> None:
    wait_job(world, applied["job_id"])  # the backfill has replicated what the sample sees
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        prepare(app, applied["plan"])
        heads: list[str] = []
        s3 = app.clients("source")("s3", "us-east-1")
        s3.meta.events.register("before-parameter-build.s3.HeadObject", lambda params, **_: heads.append(params["Key"]))
        screen = MonitorScreen(interval=None)  # no timer: each sample is one we ask for

        def samples() -> int:
            state = screen.states.get("replication")
            return state.polls if state is not None and state.status in ("off", "waiting") else 0

        await app.push_screen(screen)
        await until(pilot, lambda: samples() == 1, what="the first sample")
        first = screen.health.sample
        assert first is not None and first.completed > 0 and len(heads) == first.sampled
        unsettled = first.sampled - first.completed - first.replica
        heads.clear()
        screen.pollers["replication"].poll_now()
        await until(pilot, lambda: samples() == 2, what="the second sample")
        assert len(heads) == unsettled  # COMPLETED versions are not asked about again
        assert screen.health.sample == first
        heads.clear()
        await pilot.press("r")  # poll now: every version again
        await until(pilot, lambda: samples() == 3, what="the sample r asked for")
        assert len(heads) == first.sampled


async def test_a_job_with_failing_tasks_shows_the_failure_codes_and_fixes(
    demo_config: Path, world: Sandbox, applied: dict[str, Any]
) -> None:
    wait_job(world, applied["job_id"])
    source = world.clients(SOURCE_ACCOUNT)("s3")
    restore = without_replication_grant(world)
    try:
        for n in range(3):
            put = source.put_object(Bucket=SOURCE, Key=f"photos/denied-{n}.jpg", Body=b"x" * (n + 1))
            assert wait_final(source, SOURCE, f"photos/denied-{n}.jpg", put["VersionId"]) == "FAILED"
        job_id = create_job(world, applied["plan"], "test: tasks fail")
        wait_job(world, job_id)
    finally:
        restore()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_monitor(pilot, applied["plan"])
        await finish(screen.workers_by_loop["jobs"])
        # the worker is done; its rows reach the table as messages (later, on a loaded machine)
        await until(pilot, lambda: job_id in screen.query_one(JobsTable).jobs and row(screen, job_id)["failed"] == "3",
                    what="the failed job's row")
        cells = row(screen, job_id)
        assert cells["status"] == "Complete" and cells["failed"] == "3"
        assert cells["mine"] == ""  # created behind the app's back
        table = screen.query_one(JobsTable)
        table.move_cursor(row=table.get_row_index(job_id))
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, JobDetailScreen)
        await until(pilot, lambda: detail.report is not None or detail.report_error is not None,
                    what="the completion report")
        assert detail.report_error is None
        groups = {group.code: group for group in detail.report.groups}
        assert groups["DstPutObjectNotPermitted"].count == 3
        text = str(detail.query_one("#job-report").render())
        assert "DstPutObjectNotPermitted" in text and "× 3" in text
        assert " ".join(fix_for("DstPutObjectNotPermitted").split())[:60] in " ".join(text.split())
        # a replication sample over every version sees the FAILED ones: toast and bell
        await pilot.press("escape")
        await pilot.pause()
        screen.backend.sample_size = 5000
        screen.health = None
        screen.start_loop("replication")
        await until(pilot, lambda: screen.health is not None, what="a replication sample")
        assert screen.health.state == "failing"
        await until(pilot, lambda: any("replication is failing" in text for text in screen.notifications),
                    what="the failing toast")


async def test_confirm_then_cancel_from_the_screen(demo_config: Path, world: Sandbox, applied: dict[str, Any]) -> None:
    plan = applied["plan"]
    generator = json.loads(json.dumps(plan.documents["batch_job"]["ManifestGenerator"]))
    generator["S3JobManifestGenerator"]["Filter"]["ObjectReplicationStatuses"] = ["COMPLETED"]  # plenty of tasks
    world.batch.task_rate = 2.0  # slow enough to cancel half-way
    try:
        job_id = create_job(world, plan, "test: confirm me", ConfirmationRequired=True, ManifestGenerator=generator)
        app = S3xrepApp()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_monitor(pilot, plan)
            await until(pilot, lambda: job_id in screen.query_one(JobsTable).jobs
                        and row(screen, job_id)["status"] == "Suspended", what="the job awaiting confirmation")
            table = screen.query_one(JobsTable)
            table.move_cursor(row=table.get_row_index(job_id))
            await pilot.press("enter")
            await pilot.pause()
            detail = app.screen
            assert isinstance(detail, JobDetailScreen)
            await until(pilot, lambda: detail.detail is not None, what="describe_job")
            assert detail.check_action("confirm_job", ()) is True
            assert detail.check_action("cancel_job", ()) is True
            await pilot.press("y")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmAction)
            await pilot.press("y")
            await until(pilot, lambda: detail.job.status in ("Ready", "Active"), what="the job to run")
            assert detail.check_action("confirm_job", ()) is False  # no longer awaiting confirmation: hidden
            await pilot.press("x")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmAction)
            await pilot.press("n")  # asked first: "no" changes nothing
            await pilot.pause()
            assert detail.job.status in ("Ready", "Active")
            await pilot.press("x", "y")
            await until(pilot, lambda: detail.job.status == "Cancelled", what="the job to be cancelled")
            assert "cancel requested" in detail.last_action
            await pilot.press("escape")
            await until(pilot, lambda: row(screen, job_id)["status"] == "Cancelled", what="the monitor to follow")
            assert any("cancelled" in text for text in screen.notifications)
    finally:
        world.batch.task_rate = 5000.0


async def test_read_only_mode_disables_the_job_actions(
    demo_config: Path, world: Sandbox, applied: dict[str, Any]
) -> None:
    world.batch.task_rate = 2.0
    plan = applied["plan"]
    generator = json.loads(json.dumps(plan.documents["batch_job"]["ManifestGenerator"]))
    generator["S3JobManifestGenerator"]["Filter"]["ObjectReplicationStatuses"] = ["COMPLETED"]
    job_id = create_job(world, plan, "test: read-only", ConfirmationRequired=True, ManifestGenerator=generator)
    try:
        app = S3xrepApp()
        async with app.run_test(size=SIZE) as pilot:
            app.read_only = True
            screen = await open_monitor(pilot, plan)
            await until(pilot, lambda: job_id in screen.query_one(JobsTable).jobs, what="the job")
            table = screen.query_one(JobsTable)
            table.move_cursor(row=table.get_row_index(job_id))
            await pilot.press("enter")
            await pilot.pause()
            detail = app.screen
            assert isinstance(detail, JobDetailScreen)
            await until(pilot, lambda: detail.detail is not None, what="describe_job")
            for action in ("confirm_job", "cancel_job", "priority"):
                assert detail.check_action(action, ()) is None
            await pilot.press("y", "x", "p")
            await pilot.pause()
            assert app.screen is detail  # no question asked, nothing sent
            assert detail.job.status == "Suspended"
            assert "read-only mode" in str(detail.query_one("#job-status").render())
    finally:
        world.clients(SOURCE_ACCOUNT)("s3control").update_job_status(
            AccountId=SOURCE_ACCOUNT, JobId=job_id, RequestedJobStatus="Cancelled")
        world.batch.task_rate = 5000.0


async def test_the_sandbox_stopped_mid_poll_shows_retrying_and_recovers(
    demo_config: Path, world: Sandbox, applied: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # one attempt per call: botocore's own retries (seconds of backoff) would only delay what is tested
    monkeypatch.setattr(clients_module, "_RETRIES", {"max_attempts": 1, "mode": "standard"})
    plan = applied["plan"]
    generator = json.loads(json.dumps(plan.documents["batch_job"]["ManifestGenerator"]))
    generator["S3JobManifestGenerator"]["Filter"]["ObjectReplicationStatuses"] = ["COMPLETED"]
    world.batch.task_rate = 2.0  # a job that keeps the poller busy
    job_id = create_job(world, plan, "test: keeps running", ManifestGenerator=generator)
    try:
        app = S3xrepApp()
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_monitor(pilot, plan)
            await until(pilot, lambda: job_id in screen.query_one(JobsTable).jobs, what="the first poll")
            server = world._server
            assert server is not None
            host, port = server._server.server_address[:2]  # type: ignore[union-attr]
            server.stop()  # the sandbox goes away mid-poll
            try:
                await until(pilot, lambda: screen.states["jobs"].status == "retrying", what="retrying")
                assert "retrying" in status_line(screen)
                assert "does not answer" in status_line(screen)
                assert screen.workers_by_loop["jobs"].is_running  # no exception, the loop goes on
            finally:
                restarted = SandboxServer(server.app, host=host, port=port)  # the same port: same endpoint
                restarted.start()
                world._server = restarted
            polls = screen.pollers["jobs"].polls
            await until(pilot, lambda: screen.pollers["jobs"].polls > polls
                        and screen.states["jobs"].status != "retrying", what="the poller to recover by itself")
            assert "retrying" not in status_line(screen).split(" · replication")[0]
            assert row(screen, job_id)["status"] in ("Preparing", "Ready", "Active")
    finally:
        world.clients(SOURCE_ACCOUNT)("s3control").update_job_status(
            AccountId=SOURCE_ACCOUNT, JobId=job_id, RequestedJobStatus="Cancelled")
        world.batch.task_rate = 5000.0


async def test_interval_keys_switch_polling_off_and_on(
    demo_config: Path, world: Sandbox, applied: dict[str, Any]
) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        prepare(app, applied["plan"])
        app.goto("monitor")  # the flow's way in: the default interval
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        assert screen.interval == 5.0
        await pilot.press("i")
        assert screen.interval == 10.0 and screen.pollers["jobs"].interval == 10.0
        assert screen.pollers["replication"].interval == 10.0
        await pilot.press("p")
        assert screen.interval is None and all(p.interval is None for p in screen.pollers.values())
        assert "polling off" in status_line(screen)
        await pilot.press("p")
        assert screen.interval == 10.0
        await pilot.press("v")
        await pilot.pause()
        from s3xrep_tui.tui.screens.verify import VerifyScreen

        assert isinstance(app.screen, VerifyScreen)
        await pilot.press("s", "escape")
        await pilot.pause()
        assert app.screen is screen

