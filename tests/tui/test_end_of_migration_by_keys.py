"""The end of a migration on the demo, by keys in one app session at 80x24 (issue 18's done-when, in the app).

The demo walked by keys to apply (alarms on by default) and the job's end; then, in the same session: the
monitor shows both alarms OK; the destination denies replicas for a while (as in the console: a Deny
statement on its bucket policy, put and taken back through the sandbox's clients, as the CLI story does),
a new version FAILS and the monitor shows the alarm in ALARM and the failure event with its reason; the
cause fixed, ``v`` verify finds the missing version, ``p`` repair (typed source name) replicates exactly
it; CloudWatch's next minutes bring the alarm back to OK, ``k`` the canary, ``v`` a clean verify, ``g``
the go/no-go checklist all GO, ``c`` the cut-over with the write freeze and the final drain (typed
destination name); the palette's Migrations, ``f`` finish (typed source name): the accounts' IAM roles,
bucket policies, replication and notification configurations, topics, queues and alarms are as they
were before apply, and both buckets' versions as they were before finish.

The way back (``s3xrep cutover --reverse``) has no key in the app: tests/commands/test_whole_story.py
covers it. The alarms are evaluated by the test (the sandbox's evaluation thread is stopped), CloudWatch's
next minutes two minutes ahead instead of waited for; the metrics' period is turned down to a second.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError
from textual.command import CommandList, CommandPalette
from textual.widgets import Input

from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.core.cutover import VERDICT_WORDS
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, SIMULATOR_NOTE, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.demo import DemoEnvironment
from s3xrep_tui.tui.screens import cutover_flow
from s3xrep_tui.tui.screens.cutover import CutoverConfirm, CutoverScreen
from s3xrep_tui.tui.screens.finish import FinishScreen
from s3xrep_tui.tui.screens.home import HomeScreen
from s3xrep_tui.tui.screens.monitor import MonitorScreen
from s3xrep_tui.tui.screens.repair import RepairConfirm
from s3xrep_tui.tui.screens.verify import VerifyScreen
from s3xrep_tui.tui.widgets.canary_panel import CanaryPanel
from tests.apply_world import accounts_view
from tests.sandbox.helpers import head_status, wait_for

from .screen_fit import screen_text
from .test_80x24 import DESTINATION_BUCKET as DESTINATION
from .test_80x24 import SOURCE_BUCKET as SOURCE
from .test_80x24 import footer, walk_the_demo
from .test_monitor_support import until

SIZE = (80, 24)
KEY = "photos/end-of-migration.jpg"


@pytest.fixture
def story(tmp_path: Path, aws_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[
        tuple[Sandbox, Callable[[], DemoEnvironment]]]:
    """``s3xrep --demo``'s start on a fast sandbox whose alarms the test evaluates; stopped at the end."""
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TMUX", raising=False)
    # the checklist's backlog and the final drain read 1-second datapoints, not minutes
    monkeypatch.setattr(cutover_flow, "METRICS_PERIOD", 1)
    sandbox = Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, job_dwell=0.0,
                      config_path=tmp_path / "sandbox" / "aws-config").start()
    try:
        assert sandbox.alarms is not None
        sandbox.alarms.stop()  # evaluated by the test, at the moments it says
        yield sandbox, lambda: DemoEnvironment(str(sandbox.config_path), dict(PROFILES), lambda: None, SIMULATOR_NOTE)
    finally:
        sandbox.stop()


def _accounts_view(sandbox: Sandbox) -> dict[str, Any]:
    return accounts_view(sandbox, ((A, SOURCE), (B, DESTINATION)))


def _versions(sandbox: Sandbox) -> list[list[tuple[str, str]]]:
    found = []
    for account, bucket in ((A, SOURCE), (B, DESTINATION)):
        pages = sandbox.clients(account)("s3").get_paginator("list_object_versions").paginate(Bucket=bucket)
        found.append(sorted((v["Key"], v["VersionId"]) for page in pages for v in page.get("Versions", [])))
    return found


async def _shown(pilot: Any, words: str, what: str, timeout: float = 30.0) -> str:
    """Wait until ``words`` are on the screen; returns the screen's text (the screen in the error otherwise)."""
    app = pilot.app
    try:
        await until(pilot, lambda: words in screen_text(app), timeout=timeout, what=what)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; on screen:\n{screen_text(app)}") from None
    return screen_text(app)


async def _polled_until(pilot: Any, done: Callable[[], bool], what: str, *, evaluate: Callable[[], Any],
                        key: str = "r", timeout: float = 30.0) -> None:
    """Evaluate the alarms and press ``key`` (poll or measure now) until ``done``, bounded."""
    deadline = time.monotonic() + timeout
    while True:
        evaluate()
        await pilot.press(key)
        try:
            await until(pilot, done, timeout=0.5, what=what)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; on screen:\n{screen_text(pilot.app)}") from None


def _deny_replicas(sandbox: Sandbox) -> Callable[[], None]:
    """The destination's bucket policy denies replica writes (a console edit); returns the fix."""
    s3b = sandbox.clients(B)("s3")
    kept = s3b.get_bucket_policy(Bucket=DESTINATION)["Policy"]
    denied = json.loads(kept)
    denied["Statement"].append({"Sid": "Blocked", "Effect": "Deny", "Principal": "*", "Action": "s3:ReplicateObject",
                                "Resource": f"arn:aws:s3:::{DESTINATION}/*"})
    s3b.put_bucket_policy(Bucket=DESTINATION, Policy=json.dumps(denied))
    return lambda: s3b.put_bucket_policy(Bucket=DESTINATION, Policy=kept)  # exactly as apply left it


async def _a_failure_seen_in_the_monitor(pilot: Any, sandbox: Sandbox, monitor: MonitorScreen) -> str:
    """Both alarms OK; a version FAILS; ``r`` until the alarm and the event are on screen. Its version id."""
    alarms = sandbox.alarms
    assert alarms is not None
    await _polled_until(pilot, lambda: "✓ OK failed-replication" in screen_text(pilot.app)
                        and "✓ OK replication-latency" in screen_text(pilot.app), "both alarms OK",
                        evaluate=alarms.evaluate)
    assert "no failure events" in screen_text(pilot.app)
    fix = _deny_replicas(sandbox)
    try:
        s3a = sandbox.clients(A)("s3")
        version = s3a.put_object(Bucket=SOURCE, Key=KEY, Body=b"jpeg")["VersionId"]
        wait_for(lambda: head_status(s3a, SOURCE, KEY, version) == "FAILED", timeout=30, what="the version to FAIL")
        await _polled_until(pilot, lambda: "✗ ALARM failed-replication" in screen_text(pilot.app)
                            and KEY in screen_text(pilot.app), "the alarm and the failure event on screen",
                            evaluate=alarms.evaluate)
    finally:
        fix()  # the cause fixed
    text = screen_text(pilot.app)
    assert "alarms · ALARM" in text and "the destination" in text, text  # the event's reason in words
    assert any("ALARM" in n for n in monitor.notifications)
    return version


async def _verify_finds_and_repair_replicates(pilot: Any, sandbox: Sandbox, version: str) -> None:
    """``v``: verify finds the one missing version; ``p``, the source's name typed: repair replicates it."""
    app = pilot.app
    await pilot.press("v")
    verify = await until(pilot, lambda: isinstance(app.screen, VerifyScreen) and app.screen, what="verify")
    await until(pilot, lambda: verify.state not in ("idle", "running"), timeout=90, what="the verification")
    assert verify.report is not None and verify.report.summary.mattering == 1, verify.report.summary
    await _shown(pilot, "1 difference(s) that matter", "verify's verdict")
    await until(pilot, lambda: "p Repair" in footer(app), what="p Repair in the footer")
    await pilot.press("p")
    confirm = await until(pilot, lambda: isinstance(app.screen, RepairConfirm) and app.screen, timeout=60,
                          what="the repair preview")
    await _shown(pilot, "1 to replicate", "the repair's counts")
    assert f"{SOURCE},{KEY},{version}" in str(confirm.query_one("#repair-manifest").render())
    await pilot.press(*SOURCE, "enter")  # the confirmation's input has the focus
    await until(pilot, lambda: verify.repair_result is not None, timeout=90, what="the repair's result")
    result = verify.repair_result
    assert result.clean and (result.before, result.after, result.repaired) == (1, 0, 1), result.as_dict()
    await _shown(pilot, "before 1 · after 0 · 1 of 1 replicated by 1 job(s)", "the before and after counts")
    s3c = sandbox.clients(A)("s3control")
    (job,) = [j for j in s3c.list_jobs(AccountId=A)["Jobs"] if j.get("Description", "").startswith(
        f"s3xrep repair: {SOURCE} ")]
    arn = s3c.describe_job(AccountId=A, JobId=job["JobId"])["Job"]["Manifest"]["Location"]["ObjectArn"]
    bucket, manifest = arn.split(":::", 1)[1].split("/", 1)
    body = sandbox.clients(A)("s3").get_object(Bucket=bucket, Key=manifest)["Body"].read().decode()
    rows = [[b, unquote(k), v] for b, k, v in csv.reader(io.StringIO(body))]
    assert rows == [[SOURCE, KEY, version]], rows  # exactly the missing version
    head = sandbox.clients(B)("s3").head_object(Bucket=DESTINATION, Key=KEY, VersionId=version)
    assert head["ReplicationStatus"] == "REPLICA"


async def _back_to_ok_and_the_canary(pilot: Any, sandbox: Sandbox) -> None:
    """Esc to the monitor; CloudWatch's next minutes without failures: the alarm OK; ``k`` the canary."""
    app = pilot.app
    await pilot.press("escape")
    monitor = await until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen, what="the monitor")
    alarms = sandbox.alarms
    assert alarms is not None
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(minutes=2)
    await _polled_until(pilot, lambda: "✓ OK failed-replication" in screen_text(app)
                        and "alarms · all OK" in screen_text(app), "the alarm back to OK",
                        evaluate=lambda: alarms.evaluate(now=later))
    assert KEY in screen_text(app)  # the event is still listed
    await pilot.press("k")
    panel = monitor.query_one(CanaryPanel)
    await until(pilot, lambda: panel.result is not None or panel.error is not None, timeout=90, what="the canary")
    assert panel.error is None and panel.result is not None and panel.result.ok, (panel.error, panel.result)


async def _go_and_cut_over(pilot: Any, sandbox: Sandbox, plan_id: str) -> None:
    """``v`` a clean verify, ``g`` every item GO, ``c`` and the destination's name: freeze, drain, verify, record."""
    app = pilot.app
    await pilot.press("v")
    verify = await until(pilot, lambda: isinstance(app.screen, VerifyScreen) and app.screen, what="verify")
    await until(pilot, lambda: verify.state not in ("idle", "running"), timeout=90, what="the verification")
    await _shown(pilot, "✓ every version the rule covers is on the destination", "a clean verify")
    await until(pilot, lambda: "g Go/no-go" in footer(app), what="g in the footer")
    await pilot.press("g")
    screen = await until(pilot, lambda: isinstance(app.screen, CutoverScreen) and app.screen, what="the cut-over")
    await until(pilot, lambda: screen.checklist is not None and screen.state == "idle", timeout=90,
                what="the checklist")
    await _polled_until(pilot, lambda: screen.state == "idle" and screen.checklist is not None and screen.checklist.go,
                        "every item GO", evaluate=lambda: None, timeout=30)  # r: the backlog's last second
    text = await _shown(pilot, "GO every item is green", "the GO verdict")
    assert len(screen.checklist.items) == 6 and all(item.green for item in screen.checklist.items)

    def drawn(item: Any) -> bool:  # the verdict word and the item on one row
        return any(VERDICT_WORDS[item.verdict] in line and item.label[:12] in line
                   for line in screen_text(app).splitlines())

    await until(pilot, lambda: all(drawn(item) for item in screen.checklist.items),
                what=f"every item drawn with GO:\n{text}")
    assert "write freeze: ON" in text, text
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, CutoverConfirm), what="the cut-over's confirmation")
    await _shown(pilot, "Type the destination bucket's name", "the typed confirmation")
    await pilot.press(*DESTINATION, "enter")
    await until(pilot, lambda: screen.outcome is not None, timeout=120, what="the cut-over")
    assert screen.outcome[1], screen.outcome
    await _shown(pilot, "DONE cut-over recorded at", "the cut-over's outcome")
    with pytest.raises(ClientError) as refused:  # the freeze: the source's admin may not write
        sandbox.clients(A)("s3").put_object(Bucket=SOURCE, Key="too-late.txt", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    record = [e for e in Journal(plan_id).read().entries if e["kind"] == "cutover"][-1]
    assert record["frozen"] and record["verify_ok"] and record["drained"]["drained"], record


async def _open_migrations(pilot: Any) -> HomeScreen:
    """The palette (ctrl+p), "Migrations" typed, Enter on the match: the home screen."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(app.screen, CommandPalette), what="the command palette")
    await pilot.press(*"Migrations")
    await _shown(pilot, "Every migration this machine applied", "the Migrations command listed")

    def best_match() -> str:
        found = app.screen.query(CommandList)
        if not found or found.first().highlighted is None:
            return ""
        option = found.first().get_option_at_index(found.first().highlighted)
        return str(getattr(option.prompt, "plain", option.prompt))

    await until(pilot, lambda: best_match().startswith("Migrations"), what="Migrations highlighted")
    await pilot.press("enter")
    home = await until(pilot, lambda: isinstance(app.screen, HomeScreen) and app.screen, what="the home screen")
    await _shown(pilot, f"{SOURCE} → {DESTINATION}", "the migration listed")
    return home


async def _finish(pilot: Any) -> None:
    """``f``: what goes and what stays (no blocker: cut over), the source's name typed, finished."""
    app = pilot.app
    await pilot.press("f")
    screen = await until(pilot, lambda: isinstance(app.screen, FinishScreen) and app.screen, timeout=60,
                         what="the finish screen")
    await until(pilot, lambda: screen.preview is not None or bool(screen.error), timeout=60, what="the dry run")
    assert not screen.error and screen.preview is not None and not screen.preview.blockers, (
        screen.error, screen.preview and screen.preview.blockers)
    await until(pilot, lambda: not screen.query_one(Input).disabled, what="the confirmation open")
    text = await _shown(pilot, "Preview (dry run, nothing changed)", "the preview")
    assert "remove" in text and "stays" in text, text
    await pilot.press(*SOURCE, "enter")
    await until(pilot, lambda: screen.result is not None or bool(screen.error), timeout=90, what="the finish")
    assert screen.result is not None and screen.result.ok, [(r.action, r.element, r.why) for r in screen.rows.values()]
    await _shown(pilot, "Finished: the report is now the migration's final record", "finished")
    await pilot.press("escape")
    await until(pilot, lambda: isinstance(app.screen, HomeScreen) and "finished" in screen_text(app),
                what="the home listing it as finished")


@pytest.mark.e2e
async def test_the_end_of_a_migration_by_keys_at_80x24(
        story: tuple[Sandbox, Callable[[], DemoEnvironment]]) -> None:
    sandbox, start = story
    before = _accounts_view(sandbox)
    app = S3xrepApp(demo=True, start_sandbox=start)
    app.animation_level = "none"
    async with app.run_test(size=SIZE) as pilot:
        walk = await walk_the_demo(app, pilot, big=True)  # accounts ... apply (alarms on), the job's end, verify
        assert not walk.problems, "\n".join(walk.problems)
        assert app.plan is not None
        plan_id = app.plan.id
        await pilot.press("escape")
        monitor = await until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen, what="the monitor")
        version = await _a_failure_seen_in_the_monitor(pilot, sandbox, monitor)
        await _verify_finds_and_repair_replicates(pilot, sandbox, version)
        await _back_to_ok_and_the_canary(pilot, sandbox)
        await _go_and_cut_over(pilot, sandbox, plan_id)
        data = _versions(sandbox)
        await _open_migrations(pilot)
        await _finish(pilot)
    assert _accounts_view(sandbox) == before  # every foreign rule, role, statement, notification; nothing of ours
    assert _versions(sandbox) == data and all(data)  # every object version of both buckets
    assert sandbox.clients(A)("s3").put_object(Bucket=SOURCE, Key="writes-again.txt", Body=b"x")["VersionId"]
    finished = [e for e in Journal(plan_id).read().entries if e["kind"] == "finish"][-1]
    assert finished["complete"] and finished["not_cut_over"] is False
