"""The Preview screen, driven with Pilot on the demo sandbox from the options screen."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from textual.screen import Screen
from textual.widgets import Input, Static, TabbedContent

from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui import app as app_module
from s3xrep_tui.tui.clipboard import osc52, tmux_passthrough
from s3xrep_tui.tui.screens.options import OptionsScreen
from s3xrep_tui.tui.screens.preview import (
    APPLY_UNAVAILABLE,
    COST_TAB,
    STEPS_TAB,
    ExportScreen,
    PreviewScreen,
)
from s3xrep_tui.tui.widgets.document_view import DocumentView
from s3xrep_tui.tui.widgets.findings_list import FindingsList
from s3xrep_tui.tui.widgets.steps_table import StepsTable

from .test_options_support import (  # noqa: F401 - fixtures
    SIZE,
    demo,
    demo_app,
    judged,
    notifications,
    open_options,
    sandbox,
    settle,
    text_of,
)

POLICY_TAB = "tab-destination_bucket_policy"


async def open_preview(pilot, sandbox: Sandbox, report_bucket: str = "") -> PreviewScreen:  # type: ignore[no-untyped-def]
    options = await open_options(pilot, sandbox)
    if report_bucket:
        options.query_one("#opt-report_bucket", Input).value = report_bucket
        await judged(pilot)
    options.query_one("#opt-rtc").focus()
    await pilot.press("p")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PreviewScreen)
    return screen


def words(text: str) -> str:
    return " ".join(text.split())


async def show(pilot, screen: PreviewScreen, tab_id: str) -> None:  # type: ignore[no-untyped-def]
    """Press the key of ``tab_id`` (its digit; s for Steps, $ for Cost)."""
    await pilot.press(screen.tab_key(tab_id))
    await pilot.pause()
    assert screen.active_tab == tab_id


async def test_the_preview_has_the_findings_then_a_tab_per_document_and_the_steps(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        plan = app.plan
        assert plan is not None and screen.plan is plan
        present = [name for name, document in plan.documents.items() if document is not None]
        assert present == [
            "replication_role_trust_policy", "replication_role_policy", "batch_role_trust_policy",
            "batch_role_policy", "destination_bucket_policy", "replication_configuration", "batch_job",
            "alarms",  # issue 18: the alarms while it runs, one tab
        ]
        assert screen.tab_ids() == [f"tab-{name}" for name in present] + [STEPS_TAB, COST_TAB]
        labels = [str(tab.label) for tab in screen.query_one(TabbedContent).query("ContentTab")]
        assert labels[:2] == ["1 Repl trust", "2 Repl perms"] and labels[-3:] == ["8 Alarms", "s Steps", "$ Cost"]
        assert screen.query_one(FindingsList).border_title == "Findings: 1 warning · 1 info"
        summary = words(text_of(screen.query_one("#summary", Static)))
        assert f"Plan {plan.id}" in summary and "✓ Ready" in summary
        # the first tab: the trust policy, its explanation and a diff saying it is all new
        view = screen.query_one("#doc-replication_role_trust_policy", DocumentView)
        assert json.loads(view.text) == plan.documents["replication_role_trust_policy"]
        assert any("Lets S3 replication assume this role" in line for line in view.lines)
        assert screen.diff_view("replication_role_trust_policy").diff.status == "new"  # type: ignore[union-attr]


async def test_the_bucket_policy_tab_keeps_the_existing_statement_and_adds_ours(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        await show(pilot, screen, POLICY_TAB)
        view = screen.query_one("#doc-destination_bucket_policy", DocumentView)
        sids = [s["Sid"] for s in json.loads(view.text)["Statement"]]
        assert sids[0] == "PlatformReadOnlyAudit" and len(sids) == 2  # no dead GetBucketVersioning grant
        # explanations, one per statement, on screen
        explained = words(text_of(view.query_one(".explain-text", Static)))
        assert "PlatformReadOnlyAudit: Lets role platform-audit read files in acme-platform-media/*" in explained
        assert "Lets role s3xrep-repl-acme-legacy-media write replicas (and their tags) into acme-platform-media/*" in explained
        assert "s3.put_bucket_policy · update" in explained
        # the diff: the audit statement is context, ours are + lines, nothing is removed
        diff = screen.diff_view("destination_bucket_policy")
        assert diff.diff is not None and diff.diff.status == "changed" and diff.diff.removed == 0
        lines = diff.plain.splitlines()
        assert any(line.startswith(" ") and '"Sid": "PlatformReadOnlyAudit"' in line for line in lines)
        added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
        assert any("ReplicateObjects" in line for line in added) and not any("ReadVersioning" in line for line in added)
        assert not any(line.startswith("-") and not line.startswith("---") for line in lines)
        assert diff.border_subtitle.startswith("changed: +")


async def test_the_steps_tab_lists_the_steps_in_order(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        await show(pilot, screen, STEPS_TAB)
        table = screen.query_one(StepsTable)
        plan = app.plan
        assert plan is not None and table.row_count == len(plan.steps) == 16  # 9, and 7 for the alarms (issue 18)
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0] == ["1", "source", "s3.put_bucket_versioning", "create", plan.steps[0].summary]
        assert rows[1][3] == "no-op"
        assert [row[2] for row in rows][-9:] == ["s3.put_bucket_replication", "sns.create_topic",
                                                  "sns.set_topic_attributes", "s3.put_bucket_notification_configuration",
                                                  "cloudwatch.put_metric_alarm", "cloudwatch.put_metric_alarm",
                                                  "sqs.create_queue", "sns.subscribe", "s3control.create_job"]
        await pilot.press("down")
        assert table.cursor_row == 1


async def test_tab_shift_tab_and_digits_switch_tabs_even_in_a_fast_run(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        ids = screen.tab_ids()
        assert screen.active_tab == ids[0]
        await pilot.press("tab")
        assert screen.active_tab == ids[1]
        await pilot.press("shift+tab", "shift+tab")
        assert screen.active_tab == ids[-1]
        await pilot.press("tab", "tab", "tab", "tab", "tab")
        await pilot.pause()
        assert screen.active_tab == ids[4]
        await pilot.press("8")  # the eighth document: the alarms
        assert screen.active_tab == ids[7] == "tab-alarms"
        await pilot.press("s")  # Steps and Cost by letter, however many documents come first
        assert screen.active_tab == STEPS_TAB
        await pilot.press("dollar_sign")
        assert screen.active_tab == ids[-1] == COST_TAB
        await pilot.press("9")  # no ninth document: nothing changes
        assert screen.active_tab == COST_TAB


async def test_c_copies_the_current_document_with_osc_52(demo: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        await show(pilot, screen, POLICY_TAB)
        written: list[str] = []
        driver = app._driver
        assert driver is not None
        monkeypatch.setattr(driver, "write", lambda data: written.append(data))
        monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
        await pilot.press("c")
        expected = json.dumps(app.plan.documents["destination_bucket_policy"], indent=2)  # type: ignore[union-attr]
        assert app.clipboard == expected
        assert osc52(expected) in written  # what the terminal at the far end of SSH receives
        assert tmux_passthrough(osc52(expected)) in written  # and tmux's passthrough form
        assert "Copied destination_bucket_policy" in screen.last_message
        assert "set-clipboard on" in screen.last_message
        await show(pilot, screen, STEPS_TAB)
        await pilot.press("c")
        assert [step["id"] for step in json.loads(app.clipboard)] == [s.id for s in app.plan.steps]  # type: ignore[union-attr]


async def test_e_exports_every_document_0600_in_a_0700_folder(demo: Sandbox, tmp_path: Path) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        plan = app.plan
        assert plan is not None
        await pilot.press("e")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ExportScreen)
        field = modal.query_one(Input)
        assert field.value == f"./s3xrep-{plan.id}"
        out = tmp_path / "exported"
        field.value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        present = {name: doc for name, doc in plan.documents.items() if doc is not None}
        assert sorted(p.name for p in out.iterdir()) == sorted([f"{name}.json" for name in present] + ["plan.json"])
        assert stat.S_IMODE(out.stat().st_mode) == 0o700
        for path in out.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        policy = (out / "destination_bucket_policy.json").read_text()
        assert json.loads(policy) == present["destination_bucket_policy"]
        assert json.loads((out / "plan.json").read_text())["id"] == plan.id
        assert screen.last_message == f"Wrote {len(present) + 1} files to {out} (0600 in a 0700 folder)."
        assert any(str(out) in n for n in notifications(app))
        # Esc in the modal writes nothing
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_a_is_refused_with_the_reason_while_a_finding_blocks(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo, report_bucket="acme-no-such-reports")
        assert app.plan is not None and app.plan.blocked
        assert "✗ BLOCKED" in text_of(screen.query_one("#summary", Static))
        assert screen.query_one(FindingsList).plain.startswith("✗ BLOCKING  The report bucket acme-no-such-reports")
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen
        assert screen.last_refusal.startswith("Apply refused: The report bucket acme-no-such-reports does not exist")
        assert "Fix: Create acme-no-such-reports in account 111111111111" in screen.last_refusal
        assert screen.last_refusal in notifications(app)
        await pilot.press("escape")  # back to the options, where it can be fixed
        await pilot.pause()
        assert isinstance(app.screen, OptionsScreen)


async def test_a_without_an_apply_screen_in_the_build_says_so(demo: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_module.FLOW, "apply", ("s3xrep_tui.tui.screens.no_such_apply_screen", "ApplyScreen"))
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        assert app.plan is not None and not app.plan.blocked
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen
        assert screen.last_refusal == APPLY_UNAVAILABLE
        assert APPLY_UNAVAILABLE in notifications(app)


class FakeApplyScreen(Screen):
    pass


async def test_a_opens_the_apply_screen_when_nothing_blocks(demo: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app_module.FLOW, "apply", (__name__, "FakeApplyScreen"))
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await open_preview(pilot, demo)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, FakeApplyScreen)


async def test_a_whole_session_writes_nothing_to_stderr(
    demo: Sandbox, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    capfd.readouterr()
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        options = await open_options(pilot, demo)
        options.query_one("#opt-report_bucket", Input).value = "acme-no-such-reports"
        await judged(pilot)
        options.query_one("#opt-report_bucket", Input).value = "acme-legacy-batch-reports"
        options.query_one("#opt-replica_kms_key", Input).value = "alias/nope"
        await judged(pilot)
        options.query_one("#opt-replica_kms_key", Input).value = ""
        await pilot.press("enter")
        await settle(pilot)
        for key in ("tab", "tab", "down", "c", "5", "bracketright", "end", "question_mark", "escape"):
            await pilot.press(key)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "out")
        await pilot.press("enter", "a")
        await settle(pilot)
    assert capfd.readouterr().err == ""


def test_preview_snapshot(snap_compare, demo: Sandbox) -> None:  # type: ignore[no-untyped-def]
    """The destination bucket policy tab: explanations, the merged policy and its diff."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_preview(pilot, demo)
        await show(pilot, screen, POLICY_TAB)
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=SIZE, run_before=run_before)


async def test_without_a_plan_the_preview_says_where_to_go(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.goto("preview")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PreviewScreen)
        assert "No plan yet" in text_of(screen.query_one("#empty", Static))
        await pilot.press("a", "c", "e", "tab", "1")
        await pilot.pause()
        assert app.screen is screen and not screen.query(TabbedContent)


async def test_a_diff_opens_at_its_first_change(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_preview(pilot, demo)
        await show(pilot, screen, POLICY_TAB)
        await pilot.pause()
        diff = screen.diff_view("destination_bucket_policy")
        first = diff.first_change_line()
        assert first > 0 and diff.scroll_y == min(first, diff.max_scroll_y)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert diff.scroll_y >= min(first, diff.max_scroll_y)
