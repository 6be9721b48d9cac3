"""The Options screen, driven with Pilot on the demo sandbox; and its form's parsing, without a screen."""

from __future__ import annotations

from textual.widgets import Checkbox, Input, Select, Static, Switch

from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui.screens.options import DEBOUNCE_SECONDS, OptionsScreen, gather_key
from s3xrep_tui.tui.screens.preview import PreviewScreen
from s3xrep_tui.tui.widgets.findings_list import FindingsList
from s3xrep_tui.tui.widgets.options_form import FIELDS, OptionsForm, parse_values

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

VERSIONING = "Versioning is not enabled on the source bucket acme-legacy-media"


def error_text(screen: OptionsScreen, field: str) -> str:
    widget = screen.query_one(f"#err-{field}", Static)
    return " ".join(text_of(widget).split()) if widget.has_class("-shown") else ""


def status_text(screen: OptionsScreen) -> str:
    return " ".join(text_of(screen.query_one("#status", Static)).split())


def findings(screen: OptionsScreen) -> str:
    return screen.query_one(FindingsList).plain


# --- the form's parsing (no screen) --------------------------------------------------------------


def raw(**changes: object) -> dict[str, object]:
    values = {name: getattr(MigrationOptions(), name) for name in FIELDS}
    values.update(tags="", priority="", job_priority="10", storage_class="", replica_kms_key="", rule_id="",
                  replication_role_name="", batch_role_name="", report_bucket="", manifest_bucket="")
    values.update(changes)
    return values


def test_the_defaults_parse_to_the_default_options() -> None:
    parsed = parse_values(raw())
    assert parsed.options == MigrationOptions() and parsed.errors == {}


def test_text_is_turned_into_values_and_what_cannot_be_says_so() -> None:
    parsed = parse_values(raw(tags=" team=media , env = prod ,", priority="7", storage_class="STANDARD_IA",
                              report_bucket="acme-legacy-batch-reports"))
    assert parsed.options is not None
    assert parsed.options.tags == (("team", "media"), ("env", "prod"))
    assert (parsed.options.priority, parsed.options.storage_class) == (7, "STANDARD_IA")
    bad = parse_values(raw(tags="team", priority="high", job_priority="", existing_statuses=()))
    assert bad.options is None
    assert "is not KEY=VALUE" in bad.errors["tags"]
    assert bad.errors["priority"] == "'high' is not a whole number"
    assert bad.errors["job_priority"] == "enter a number (default 10)"
    assert bad.errors["existing_statuses"].startswith("choose at least one replication status")


def test_s3s_limits_are_shown_beside_their_fields() -> None:
    bad = parse_values(raw(rule_id="r" * 300, priority="-5", tags="team=a, team=b"))
    assert bad.options is None
    assert "rule ID is 300 characters; S3 allows at most 255" in bad.errors["rule_id"]
    assert "S3 takes a priority from 0 to 2147483647" in bad.errors["priority"]
    assert "tag key 'team' is given more than once" in bad.errors["tags"]


def test_a_model_rule_is_shown_beside_the_fields_it_is_about_and_counted_once() -> None:
    parsed = parse_values(raw(tags="team=media", delete_markers=True))
    assert parsed.options is None
    assert parsed.errors["delete_markers"] == parsed.errors["tags"]
    assert parsed.errors["delete_markers"].startswith("delete-marker replication cannot be used with a tag filter")
    assert parsed.problem_count == 1


# --- the screen ----------------------------------------------------------------------------------


async def test_the_form_shows_the_defaults_and_the_findings_of_both_buckets(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        assert screen.query_one("#opt-prefix", Input).value == ""
        assert screen.query_one(OptionsForm).has_focus  # not a text field: p would type into it
        assert screen.query_one("#opt-tags", Input).value == ""
        assert screen.query_one("#opt-replicate_existing", Switch).value is True
        assert screen.query_one("#opt-delete_markers", Switch).value is False
        assert screen.query_one("#opt-storage_class", Select).value == ""
        assert [s for s in ("NONE", "FAILED", "COMPLETED", "REPLICA")
                if screen.query_one(f"#opt-status-{s}", Checkbox).value] == ["NONE", "FAILED"]
        assert screen.query_one("#opt-report_prefix", Input).value == "s3xrep/batch-reports"
        assert screen.query_one("#opt-job_priority", Input).value == "10"
        assert screen.query_one("#opt-replication_role_name", Input).placeholder.startswith("s3xrep-repl-acme-legacy-media")
        assert screen.query_one("#opt-rule_id", Input).placeholder.startswith("s3xrep-to-acme-platform-media")
        # the inspection ran once, in a worker, and its findings are on screen
        assert screen.plan is not None and not screen.plan.blocked
        assert VERSIONING in findings(screen)
        assert "uses BucketOwnerEnforced" in findings(screen)
        panel = screen.query_one(FindingsList)
        assert panel.border_title == "1 warning · 1 info"
        shown = text_of(panel.query_one("#findings-body"))
        assert "▲ warning  Versioning is not enabled" in shown and "fix: Accept the plan's" in shown
        assert "Options valid" in status_text(screen)
        assert "DEMO" in text_of(screen.query_one("ContextBar #demo"))


async def test_a_prefix_over_1024_characters_shows_the_validators_message_and_refuses_the_preview(
    demo: Sandbox,
) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        plan_before = screen.plan
        screen.query_one("#opt-prefix", Input).value = "p" * 1025
        await judged(pilot)
        message = error_text(screen, "prefix")
        assert "prefix is 1025 characters; S3 replication filters allow at most 1024" in message
        assert screen.query_one("#row-prefix").has_class("-invalid")
        assert "1 option to fix" in status_text(screen)
        assert screen.plan is plan_before  # the findings stay those of the last valid options
        assert screen.query_one(FindingsList).border_subtitle == "for the last valid options"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, OptionsScreen)
        assert any("Fix the options first" in n and "prefix is 1025 characters" in n for n in notifications(app))
        screen.query_one("#opt-prefix", Input).value = "photos/"
        await judged(pilot)
        assert error_text(screen, "prefix") == ""
        assert "Options valid" in status_text(screen)


async def test_an_alias_as_replica_key_says_it_must_be_an_arn_after_the_debounce(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        judged_values: list[str] = []
        evaluate = screen.evaluate

        def counting() -> None:
            judged_values.append(screen.query_one("#opt-replica_kms_key", Input).value)
            evaluate()

        screen.evaluate = counting  # type: ignore[method-assign]
        screen.query_one("#opt-replica_kms_key", Input).focus()
        keys = "alias/acme-platform-replicas"
        await pilot.press(*keys)
        await pilot.pause(DEBOUNCE_SECONDS + 0.2)
        await settle(pilot)
        # judged once the typing paused, not per key (a loaded machine may pause mid-word)
        assert judged_values and judged_values[-1] == keys and len(judged_values) < len(keys) // 2
        message = error_text(screen, "replica_kms_key")
        assert "must be a full key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)" in message
        assert "aliases and bare ids resolve in the source account" in message


async def test_delete_markers_with_a_tag_show_the_conflict_until_one_goes(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        screen.query_one("#opt-tags", Input).focus()
        await pilot.press(*"team=media")
        await judged(pilot)
        assert screen.requested is not None and screen.requested.tags == (("team", "media"),)
        screen.query_one("#opt-delete_markers", Switch).focus()
        await pilot.press("space")
        await judged(pilot)
        conflict = "delete-marker replication cannot be used with a tag filter (S3 rejects it)"
        assert conflict in error_text(screen, "delete_markers")
        assert conflict in error_text(screen, "tags")
        assert "1 option to fix" in status_text(screen)
        await pilot.press("space")
        await judged(pilot)
        assert error_text(screen, "delete_markers") == "" and error_text(screen, "tags") == ""
        assert screen.plan is not None
        rule = screen.plan.documents["replication_configuration"]["Rules"][0]
        assert rule["Filter"] == {"Tag": {"Key": "team", "Value": "media"}}


async def test_findings_follow_the_options_live_and_only_option_facts_are_read_again(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        facts = screen.inputs
        assert VERSIONING in findings(screen)
        # a change that needs nothing new from AWS: same facts, new plan, at once
        screen.query_one("#opt-rtc", Switch).value = True
        await judged(pilot)
        assert screen.inputs is facts
        assert "Replication Time Control is on" in findings(screen)
        # a report bucket that does not exist: read, and blocking
        report = screen.query_one("#opt-report_bucket", Input)
        report.value = "acme-no-such-reports"
        await judged(pilot)
        assert screen.inputs is not facts
        assert "✗ BLOCKING" in findings(screen)
        assert "The report bucket acme-no-such-reports does not exist" in findings(screen)
        assert "blocked: apply refused until fixed" in status_text(screen)
        # one of the destination account: blocking for another reason
        report.value = "acme-platform-reports"
        await judged(pilot)
        assert "report bucket acme-platform-reports is owned by account 222222222222" in findings(screen)
        # the source account's report bucket: nothing blocks
        report.value = "acme-legacy-batch-reports"
        await judged(pilot)
        assert screen.plan is not None and not screen.plan.blocked
        assert screen.plan.documents["batch_job"]["Report"]["Bucket"] == "arn:aws:s3:::acme-legacy-batch-reports"


async def test_a_stale_inspection_never_paints_over_a_newer_result(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        assert screen.inputs is not None and screen.plan is not None
        current_plan = screen.plan
        old = screen.inputs.model_copy(update={"options": MigrationOptions(report_bucket="acme-no-such-reports")})
        stale = OptionsScreen.InputsGathered(screen.generation - 1, old, build_plan(old))
        screen.post_message(stale)
        await pilot.pause()
        assert screen.plan is current_plan and screen.inputs is not old
        # two inspections in a row: only the last one's answer is shown
        report = screen.query_one("#opt-report_bucket", Input)
        report.value = "acme-no-such-reports"
        screen.flush()
        report.value = "acme-legacy-batch-reports"
        await judged(pilot)
        assert screen.plan is not None and not screen.plan.blocked
        assert screen.plan.documents["batch_job"]["Report"]["Bucket"] == "arn:aws:s3:::acme-legacy-batch-reports"
        assert gather_key(screen.requested, "acme-legacy-media") == screen.inputs_key  # type: ignore[arg-type]


async def test_enter_opens_the_preview_with_the_options_and_plan_set(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        screen.query_one("#opt-prefix", Input).focus()
        await pilot.press(*"photos/")
        await pilot.press("enter")  # judged at once, no waiting for the debounce
        await settle(pilot)
        assert isinstance(app.screen, PreviewScreen)
        assert app.options.prefix == "photos/"
        assert app.plan is screen.plan
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        screen.query_one("#opt-single_role", Switch).focus()
        await pilot.press("space", "p")
        await settle(pilot)  # a new role name to read: the preview opens when the inspection is done
        assert isinstance(app.screen, PreviewScreen)
        assert app.options.single_role is True
        assert app.plan is not None and app.plan.documents["batch_role_policy"] == app.plan.documents["replication_role_policy"]


async def test_r_inspects_both_buckets_again(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        facts = screen.inputs
        screen.query_one("#opt-rtc", Switch).focus()
        await pilot.press("r")
        await settle(pilot)
        assert screen.inputs is not None and screen.inputs is not facts
        assert screen.inputs == facts  # nothing changed in the sandbox


async def test_without_buckets_the_screen_says_what_is_missing(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.goto("options")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OptionsScreen)
        assert "No source or destination bucket chosen yet." in findings(screen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, OptionsScreen)


# --- snapshot ------------------------------------------------------------------------------------


def test_options_snapshot(snap_compare, demo: Sandbox) -> None:  # type: ignore[no-untyped-def]
    """Prefix typed, a report bucket that does not exist (a blocking finding), focus on a switch."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_options(pilot, demo)
        screen.query_one("#opt-prefix", Input).value = "photos/"
        screen.query_one("#opt-report_bucket", Input).value = "acme-no-such-reports"
        await judged(pilot)
        screen.query_one("#opt-delete_markers", Switch).focus()
        screen.query_one("#form").scroll_home(animate=False)
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=SIZE, run_before=run_before)


async def test_the_alarms_switch_is_on_by_default_says_metrics_come_with_it_and_off_leaves_the_alarms_out(
        demo: Sandbox) -> None:
    """Issue 18: alarms are a plan option, on by default, that the app switches off like the CLI's --no-alarms."""
    app = demo_app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_options(pilot, demo)
        assert screen.query_one("#opt-alarms", Switch).value is True
        assert text_of(screen.query_one("#hint-alarms", Static)).split() == "on failure events, 2 alarms; metrics on".split()
        screen.query_one("#opt-alarms", Switch).focus()
        await pilot.press("space")
        await judged(pilot)
        assert screen.requested is not None and screen.requested.alarms is False
        assert text_of(screen.query_one("#hint-alarms", Static)).split()[0] == "off"
