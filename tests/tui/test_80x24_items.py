"""At 80x24 (AWS CloudShell's first window): what the user sees on each screen of issue 15, from the screen's text.

The demo sandbox and the way to the options are the options tests' own
(``test_options_support``); every assertion reads what is drawn (the
screen's text, a widget's rendered lines), and every wait is on a condition.
"""

from __future__ import annotations

from textual.widgets import Input

from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.apply import ApplyScreen
from s3xrep_tui.tui.screens.buckets import BucketsScreen
from s3xrep_tui.tui.screens.preview import COST_TAB, STEPS_TAB, PreviewScreen
from s3xrep_tui.tui.widgets.document_view import DocumentView
from s3xrep_tui.tui.widgets.findings_list import FindingsList
from s3xrep_tui.tui.widgets.options_form import OptionsForm

from .screen_fit import cramped_boxes, screen_text
from .test_80x24 import footer, header, json_shown
from .test_journey import until
from .test_options_support import (  # noqa: F401 - fixtures
    DESTINATION_BUCKET,
    SOURCE_BUCKET,
    choice,
    demo,
    demo_app,
    judged,
    open_options,
    sandbox,
    settle,
    text_of,
)

SMALL = (80, 24)


async def open_preview(pilot, demo: Sandbox) -> PreviewScreen:  # type: ignore[no-untyped-def]
    await open_options(pilot, demo)
    await pilot.press("p")
    await until(pilot, lambda: isinstance(pilot.app.screen, PreviewScreen), "the preview")
    await pilot.pause()
    return pilot.app.screen


async def test_preview_shows_a_screenful_of_json_in_every_tab_at_80x24(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_preview(pilot, demo)
        for tab in screen.tab_ids():
            await pilot.press(screen.tab_key(tab))
            await until(pilot, lambda tab=tab: screen.active_tab == tab, tab)  # type: ignore[misc]
            await pilot.pause()
            assert cramped_boxes(app) == [], tab
            if tab in (STEPS_TAB, COST_TAB):
                continue
            text = screen_text(app)
            document = screen.query_one(f"#{tab} DocumentView", DocumentView).text
            assert json_shown(text, document, lines=10 if len(document.splitlines()) > 10 else 3), text
        # the findings are one line that opens on f
        assert "Findings: 1 warning · 1 info · f shows them" in screen_text(app)
        await pilot.press("f")
        await pilot.pause()
        assert "▲ warning  Versioning is not enabled" in screen_text(app)
        assert cramped_boxes(app) == []


async def test_preview_d_and_n_show_the_diff_and_the_notes_in_place_of_the_json(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_preview(pilot, demo)
        await pilot.press(str(screen.tab_ids().index("tab-destination_bucket_policy") + 1))
        await pilot.pause()
        assert "d Diff" in footer(app) and "n Notes" in footer(app)
        await pilot.press("d")
        await pilot.pause()
        text = screen_text(app)
        assert "diff vs deployed · d: back to the JSON" in text and '│+      "Sid": "S3xrep' in text, text
        assert cramped_boxes(app) == []
        await pilot.press("n")
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "PlatformReadOnlyAudit: Lets role platform-audit read files" in text
        await pilot.press("n")
        await pilot.pause()
        assert "destination_bucket_policy.json" in screen_text(app)


async def test_options_opens_out_of_the_text_fields_and_p_previews(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_options(pilot, demo)
        assert not isinstance(screen.focused, Input)
        assert "p Preview" in footer(app)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen), "the preview")
        assert app.options.prefix == ""  # the p previewed; it typed nothing into Prefix


async def test_options_tab_from_the_form_reaches_the_fields_by_keys_alone(demo: Sandbox) -> None:
    """The screen's own tab binding (for text fields) must not take Tab away from the form: keys only."""
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_options(pilot, demo)
        assert not isinstance(screen.focused, Input)
        await pilot.press("tab")
        await pilot.pause()
        first = screen.focused
        await pilot.press("tab")
        await pilot.pause()
        assert first is not None and screen.focused is not first, (first, screen.focused)


async def test_options_in_a_text_field_the_footer_and_status_say_which_keys_work(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_options(pilot, demo)
        screen.query_one("#opt-prefix", Input).focus()
        await pilot.pause()
        assert "⏎ Preview" in footer(app) and "tab Next field" in footer(app), footer(app)
        status = screen_text(app).splitlines()[-3:-1]
        assert "Enter: preview" in " ".join(status) and "p or Enter" not in " ".join(status), status
        await pilot.press("p", "enter")  # p types (it is a prefix), Enter previews
        await until(pilot, lambda: isinstance(app.screen, PreviewScreen), "the preview")
        assert app.options.prefix == "p"


async def test_options_preflight_is_readable_and_the_form_fits_at_80x24_and_60x20(demo: Sandbox) -> None:
    for size in (SMALL, (60, 20)):
        app = demo_app(demo)
        async with app.run_test(size=size) as pilot:
            screen = await open_options(pilot, demo)
            panel, form = screen.query_one(FindingsList), screen.query_one(OptionsForm)
            assert panel.content_region.width >= 40 and panel.content_region.height >= 3, panel.region
            assert form.region.right <= size[0], form.region
            assert cramped_boxes(app) == [], size
            assert "Versioning is not enabled" in screen_text(app)


async def test_the_header_shows_the_destination_bucket_and_account_at_80_columns(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        await open_options(pilot, demo)
        top = header(app)
        assert f"destination s3://{DESTINATION_BUCKET}" in top and "222222222222" in top, top
        assert f"source      s3://{SOURCE_BUCKET}" in top and "111111111111" in top, top


async def test_buckets_footer_keeps_c_continue_at_80_columns(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        app.source, app.destination = choice(demo, "source"), choice(demo, "destination")
        app.goto("buckets")
        screen = app.screen
        assert isinstance(screen, BucketsScreen)
        await until(pilot, lambda: all(p.done for p in screen.panes.values()), "both bucket lists")
        screen.choose_bucket("source", SOURCE_BUCKET)
        screen.choose_bucket("destination", DESTINATION_BUCKET)
        await pilot.pause()
        assert footer(app).lstrip().startswith("c Continue"), footer(app)
        assert cramped_boxes(app) == []


async def test_apply_shows_the_typed_name_whole_and_each_step_state_at_80x24(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        await open_preview(pilot, demo)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ApplyScreen), "the apply screen")
        screen = app.screen
        await pilot.press(*SOURCE_BUCKET)
        await pilot.pause()
        assert screen.confirm.input.value == SOURCE_BUCKET
        lines = screen_text(app).splitlines()
        typed = next(line for line in lines if line.lstrip().startswith(SOURCE_BUCKET[:6]))
        assert SOURCE_BUCKET in typed, lines
        heading = next(line for line in lines if line.split()[:2] == ["#", "account"])  # 16 steps: # is 2 wide
        assert heading.split()[-2:] == ["planned", "state"], heading
        assert sum("create   waiting" in line for line in lines) >= 3, lines
        assert "⏎ Apply" in footer(app)
        assert cramped_boxes(app) == []


async def test_checkboxes_and_switches_say_their_state_in_text(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_options(pilot, demo)
        assert text_of(screen.query_one("#opt-status-NONE")).startswith("[x] NONE")
        assert text_of(screen.query_one("#opt-status-COMPLETED")).startswith("[ ] COMPLETED")
        assert text_of(screen.query_one("#hint-delete_markers")).lstrip().startswith("off replicate deletions")
        assert text_of(screen.query_one("#hint-replicate_existing")).lstrip().startswith("on  backfill")
        screen.query_one("#opt-delete_markers").focus()
        await pilot.press("space")
        await pilot.pause()
        assert text_of(screen.query_one("#hint-delete_markers")).lstrip().startswith("on  replicate deletions")


async def test_help_names_no_widget_class(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, AccountsScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(app)
        assert "Continue      in the list" in text, text
        assert "ProfileTable" not in text and "Table" not in text


async def test_preview_copy_says_what_it_copied_in_the_body(demo: Sandbox) -> None:
    app = demo_app(demo)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_preview(pilot, demo)
        await pilot.press("c")
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        assert screen.last_message and screen.last_message.split()[0] in screen_text(app)


def test_preview_snapshot_at_80x24(snap_compare, demo: Sandbox) -> None:  # type: ignore[no-untyped-def]
    """The bucket policy tab at 80x24: the findings in one line, the JSON with the rows (d, n behind it)."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await open_preview(pilot, demo)
        await pilot.press(str(screen.tab_ids().index("tab-destination_bucket_policy") + 1))
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=SMALL, run_before=run_before)


def test_options_snapshot_at_80x24(snap_compare, demo: Sandbox) -> None:  # type: ignore[no-untyped-def]
    """The options at 80x24 as they open: the form focused (not Prefix), the preflight under it."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_options(pilot, demo)
        await pilot.pause()

    assert snap_compare(demo_app(demo), terminal_size=SMALL, run_before=run_before)
