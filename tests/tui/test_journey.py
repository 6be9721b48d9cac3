"""The whole journey on the demo, from launch to an applied plan whose Batch job completes.

The app is launched in demo mode and starts the embedded sandbox itself, in
its worker (a demo-seeded ``Sandbox`` with fast replication and Batch tasks,
so the run takes seconds rather than minutes). Then only keys, as a user would:
Enter on the accounts; s, Tab, d and c on the buckets; the report bucket typed
on the options and Enter; the preview's findings and its bucket-policy tab; a,
the source bucket's name typed and Enter on the apply; m, and the monitor
shows the job reach Complete. What the user sees is asserted at each step,
and the sandbox's state at the end. Every wait polls a condition with a
timeout; nothing sleeps a fixed time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from s3xrep_tui.sandbox.emulator import (
    DESTINATION_ACCOUNT,
    PROFILES,
    SIMULATOR_NOTE,
    SOURCE_ACCOUNT,
    Sandbox,
)
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.demo import DemoEnvironment
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.apply import ApplyScreen
from s3xrep_tui.tui.screens.buckets import BucketsScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.screens.options import OptionsScreen
from s3xrep_tui.tui.screens.preview import PreviewScreen
from s3xrep_tui.tui.widgets.context_bar import DEMO_BADGE, ContextBar
from s3xrep_tui.tui.widgets.document_view import DocumentView
from s3xrep_tui.tui.widgets.findings_list import FindingsList
from s3xrep_tui.tui.widgets.jobs_table import COLUMNS, JobsTable

from .test_accounts import text_of

SIZE = (120, 40)
SOURCE_BUCKET, DESTINATION_BUCKET = "acme-legacy-media", "acme-platform-media"
REPORT_BUCKET = "acme-legacy-batch-reports"
POLICY_TAB = "tab-destination_bucket_policy"


@pytest.fixture
def launch(tmp_path: Path, aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Callable[[], DemoEnvironment], list[Sandbox]]]:
    """What ``s3xrep --demo`` hands the app, with a fast sandbox; the started sandbox for the end-state checks.

    aws_env's monkeypatch restores AWS_CONFIG_FILE, which the app points at the sandbox's config.
    """
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))  # the apply's journal, the remembered job
    monkeypatch.delenv("TMUX", raising=False)
    started: list[Sandbox] = []

    def start() -> DemoEnvironment:
        sandbox = Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0,
                          config_path=tmp_path / "sandbox" / "aws-config").start()
        started.append(sandbox)
        return DemoEnvironment(str(sandbox.config_path), dict(PROFILES), sandbox.stop, SIMULATOR_NOTE)

    yield start, started
    for sandbox in started:  # the app stops it on exit; a failed test must not leave moto's server behind
        if sandbox.running:
            sandbox.stop()


async def until(pilot: Any, condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Let the app run until ``condition`` holds (checked after each short turn of the event loop)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


def header(app: S3xrepApp) -> str:
    return " ".join(" ".join(text_of(static).split()) for static in app.screen.query_one(ContextBar).query(Static))


def words(widget: Static) -> str:
    return " ".join(text_of(widget).split())


async def test_launch_to_an_applied_plan_whose_job_completes_on_the_monitor(
    launch: tuple[Callable[[], DemoEnvironment], list[Sandbox]], capfd: pytest.CaptureFixture[str]
) -> None:
    start, started = launch
    capfd.readouterr()
    app = S3xrepApp(demo=True, start_sandbox=start)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        # 1. Accounts: the sandbox starts in the app's worker; both demo identities resolve, preselected
        accounts = app.screen
        assert isinstance(accounts, AccountsScreen)
        assert DEMO_BADGE in header(app)
        await until(pilot, lambda: app.sandbox is not None, "the sandbox to start", timeout=60)
        await until(pilot, lambda: accounts._ready(), "both identities to resolve")
        await pilot.pause()
        text = header(app)
        assert f"source s3xrep-demo-source · {SOURCE_ACCOUNT} · us-east-1" in text
        assert f"destination s3xrep-demo-destination · {DESTINATION_ACCOUNT} · us-east-1" in text
        assert "press Enter to confirm" in words(accounts.query_one("#hint", Static))
        await pilot.press("enter")

        # 2. Buckets: each account's buckets; the source and destination chosen with keys
        buckets = app.screen
        assert isinstance(buckets, BucketsScreen)
        await until(pilot, lambda: all(p.done for p in buckets.panes.values())
                    and SOURCE_BUCKET in buckets.table("source").shown_names
                    and DESTINATION_BUCKET in buckets.table("destination").shown_names, "both bucket lists")
        source_table = buckets.table("source")
        assert source_table.has_focus
        for _ in range(source_table.shown_names.index(SOURCE_BUCKET)):
            await pilot.press("down")
        assert source_table.highlighted_key == SOURCE_BUCKET
        await pilot.press("s", "tab")
        destination_table = buckets.table("destination")
        assert destination_table.has_focus
        for _ in range(destination_table.shown_names.index(DESTINATION_BUCKET)):
            await pilot.press("down")
        await pilot.press("d")
        assert (app.source_bucket, app.destination_bucket) == (SOURCE_BUCKET, DESTINATION_BUCKET)
        assert f"s3://{SOURCE_BUCKET} → s3://{DESTINATION_BUCKET}: press c" in words(buckets.query_one("#hint", Static))
        await pilot.press("c")

        # 3. Options: the report bucket typed; the findings follow; Enter opens the preview when they are ready
        options = app.screen
        assert isinstance(options, OptionsScreen)
        await until(pilot, lambda: options.plan is not None and options._plan_is_current(), "the first inspection")
        report = options.query_one("#opt-report_bucket", Input)
        report.focus()
        await pilot.pause()
        await pilot.press(*REPORT_BUCKET)
        assert report.value == REPORT_BUCKET
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen), "the preview to open")
        assert app.options.report_bucket == REPORT_BUCKET

        # 4. Preview: findings first (none blocking), the bucket policy keeps the destination's own statement
        preview = app.screen
        assert isinstance(preview, PreviewScreen)
        await pilot.pause()
        plan = app.plan
        assert plan is not None and not plan.blocked
        assert plan.source.name == SOURCE_BUCKET and plan.destination.name == DESTINATION_BUCKET
        assert "✓ Ready" in words(preview.query_one("#summary", Static))
        findings = preview.query_one(FindingsList)
        assert findings.border_title.startswith("Findings: ") and "blocking" not in findings.border_title
        assert plan.findings and "Findings" in text_of(findings)
        await pilot.press(str(preview.tab_ids().index(POLICY_TAB) + 1))
        await pilot.pause()
        assert preview.active_tab == POLICY_TAB
        policy = preview.query_one("#doc-destination_bucket_policy", DocumentView)
        sids = [statement["Sid"] for statement in json.loads(policy.text)["Statement"]]
        assert sids[0] == "PlatformReadOnlyAudit" and len(sids) == 2  # no dead GetBucketVersioning grant
        assert "PlatformReadOnlyAudit: Lets role platform-audit read files" in words(
            policy.query_one(".explain-text", Static))
        await pilot.press("a")

        # 5. Apply: nothing runs until the source bucket's name is typed; then every step done, a job id shown
        apply = app.screen
        assert isinstance(apply, ApplyScreen)
        await pilot.pause()
        assert apply.confirm.input.has_focus and apply.confirm.button.disabled
        assert apply.run_number == 0
        await pilot.press(*SOURCE_BUCKET)
        assert "Name confirmed" in apply.confirm.hint
        await pilot.press("enter")
        await until(pilot, lambda: apply.live is not None and apply.live.result is not None and not apply.running,
                    "the apply to finish", timeout=120)
        await pilot.pause()
        result = apply.live.result
        assert result.ok, apply.status_text()
        states = [apply.table.state_of(step.id) for step in plan.steps]
        assert all(state.startswith(("✓ done", "= no-op")) for state in states), states
        assert states[-1].startswith("✓ done")  # the Batch Replication job
        job_id = result.job_id
        assert job_id
        status = apply.status_text()
        assert status.startswith("✓ Applied") and f"Batch Replication job: {job_id}" in status
        assert "m opens the monitor" in status
        await pilot.press("m")

        # 6. Monitor: the job this apply created reaches Complete
        monitor = app.screen
        assert isinstance(monitor, MonitorScreen)
        table = monitor.query_one(JobsTable)

        def job_status() -> str:
            if job_id not in table.jobs:
                return ""
            cells = dict(zip((key for key, _, _ in COLUMNS), table.get_row(job_id), strict=True))
            return cells["status"].plain

        await until(pilot, lambda: job_status() == "Complete", "the job to reach Complete on screen", timeout=90)
        cells = {key: cell.plain for (key, _, _), cell in zip(COLUMNS, table.get_row(job_id), strict=True)}
        assert cells["failed"] == "0" and cells["progress"].endswith("100%") and cells["mine"] == "●"
        assert DEMO_BADGE in header(app)

        # the sandbox's end state, read with each account's own keys
        sandbox = started[0]
        source = sandbox.clients(SOURCE_ACCOUNT)
        destination = sandbox.clients(DESTINATION_ACCOUNT)
        job = source("s3control").describe_job(AccountId=SOURCE_ACCOUNT, JobId=job_id)["Job"]
        progress = job["ProgressSummary"]
        assert job["Status"] == "Complete"
        assert progress["NumberOfTasksFailed"] == 0 and progress["NumberOfTasksSucceeded"] > 1000
        assert job["Report"]["Bucket"] == f"arn:aws:s3:::{REPORT_BUCKET}"
        rules = source("s3").get_bucket_replication(Bucket=SOURCE_BUCKET)["ReplicationConfiguration"]["Rules"]
        assert [rule["Destination"]["Bucket"] for rule in rules] == [f"arn:aws:s3:::{DESTINATION_BUCKET}"]
        assert rules[0]["Destination"]["Account"] == DESTINATION_ACCOUNT
        for s3, bucket in ((source("s3"), SOURCE_BUCKET), (destination("s3"), DESTINATION_BUCKET)):
            assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        deployed = json.loads(destination("s3").get_bucket_policy(Bucket=DESTINATION_BUCKET)["Policy"])
        assert [s["Sid"] for s in deployed["Statement"]] == sids
        first = source("s3").list_object_versions(Bucket=SOURCE_BUCKET, MaxKeys=1)["Versions"][0]
        replica = destination("s3").head_object(Bucket=DESTINATION_BUCKET, Key=first["Key"], VersionId=first["VersionId"])
        assert replica["ReplicationStatus"] == "REPLICA"
    assert not started[0].running  # the app stopped its sandbox on exit
    assert capfd.readouterr().err == ""
