"""The Accounts screen, driven with Pilot against a moto server and temp config files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.command import CommandPalette
from textual.geometry import Region
from textual.widgets import Input, Static

from s3xrep_tui.tui.app import DEFAULT_THEME, TERMINAL_THEME, S3xrepApp
from s3xrep_tui.tui.screens.accounts import AccountsScreen
from s3xrep_tui.tui.screens.buckets import BucketsScreen
from s3xrep_tui.tui.screens.help import HelpScreen
from s3xrep_tui.tui.widgets.context_bar import DEMO_BADGE, ContextBar
from s3xrep_tui.tui.widgets.profile_table import ProfileTable
from s3xrep_tui.tui.widgets.selection_summary import SelectionSummary

from .conftest import DESTINATION, SOURCE

SIZE = (120, 40)
LEGACY, PLATFORM, SSO, AMBIENT = "profile:acme-legacy", "profile:acme-platform", "profile:corp-sso", "ambient"


def text_of(widget: Static) -> str:
    """What the widget shows on screen, as plain text."""
    lines = widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))
    return "\n".join(line.text.rstrip() for line in lines)


def header(app: S3xrepApp) -> str:
    bar = app.screen.query_one(ContextBar)
    return " ".join(text_of(static) for static in bar.query(Static))


def row(app: S3xrepApp, key: str) -> dict[str, str]:
    table = app.screen.query_one(ProfileTable)
    cells = table.get_row(key)
    return {column.value: cell.plain for column, cell in zip(table.columns, cells, strict=True)}


def shown_keys(app: S3xrepApp) -> list[str]:
    table = app.screen.query_one(ProfileTable)
    return [key.value for key in table.rows]


async def settle(app: S3xrepApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Let workers finish and their messages be handled."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def highlight(app: S3xrepApp, pilot, key: str) -> None:  # type: ignore[no-untyped-def]
    app.screen.query_one(ProfileTable).move_to(key)
    await pilot.pause()


async def test_lists_profiles_with_kind_and_region_and_resolves_accounts(write_profiles: Callable[[], Path]) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert shown_keys(app) == [AMBIENT, LEGACY, PLATFORM, SSO]
        legacy = row(app, LEGACY)
        assert (legacy["profile"], legacy["kind"], legacy["region"]) == ("acme-legacy", "static", "us-east-1")
        assert legacy["account"] == SOURCE
        assert legacy["arn"] == "assumed-role/ops/alice"
        assert legacy["status"] == "✓ resolved"
        assert row(app, PLATFORM)["account"] == DESTINATION
        assert (row(app, SSO)["kind"], row(app, SSO)["region"]) == ("sso", "eu-central-1")


async def test_a_failing_profile_shows_its_fix_in_the_table_and_the_detail_line(
    write_profiles: Callable[[], Path],
) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert row(app, SSO)["status"].startswith("✗ run 'aws sso login --prof")
        assert row(app, SSO)["account"] == ""
        await highlight(app, pilot, SSO)
        detail = text_of(app.screen.query_one("#detail", Static))
        assert "the SSO session of profile corp-sso has expired or was never started" in detail
        assert "fix: run 'aws sso login --profile corp-sso'" in detail
        # the ambient chain has no credentials here, and says how to get some
        assert row(app, AMBIENT)["status"].startswith("✗ ")


async def test_s_and_d_choose_source_and_destination_and_the_header_follows(
    write_profiles: Callable[[], Path],
) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "source not chosen" in header(app) and "destination not chosen" in header(app)
        await highlight(app, pilot, LEGACY)
        await pilot.press("s")
        await highlight(app, pilot, PLATFORM)
        await pilot.press("d")
        await pilot.pause()
        text = header(app)
        assert f"source acme-legacy · {SOURCE} · us-east-1" in text
        assert f"destination acme-platform · {DESTINATION} · eu-west-1" in text
        assert row(app, LEGACY)["use"] == "SRC" and row(app, PLATFORM)["use"] == "DST"
        assert app.source and app.source.account_id == SOURCE
        assert DEMO_BADGE not in text


async def test_enter_does_nothing_until_both_resolve_then_opens_the_buckets_and_keeps_the_summary(
    write_profiles: Callable[[], Path],
) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        summary = screen.query_one(SelectionSummary)
        await highlight(app, pilot, LEGACY)
        await pilot.press("s", "enter")
        assert not summary.display and not screen.confirmed  # no destination yet
        await highlight(app, pilot, SSO)
        await pilot.press("d", "enter")
        await pilot.pause()
        assert not summary.display  # the destination does not resolve
        assert "does not resolve" in text_of(screen.query_one("#hint", Static))
        await highlight(app, pilot, PLATFORM)
        await pilot.press("d", "enter")
        await pilot.pause()
        assert isinstance(app.screen, BucketsScreen)  # Enter goes on to the next step
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert summary.display and screen.confirmed
        assert summary.border_subtitle == "next: buckets (Enter)"
        shown = text_of(summary)
        assert f"Cross-account: {SOURCE} replicates into {DESTINATION}." in shown
        # choosing again withdraws the confirmation; same profile twice is the same account
        await highlight(app, pilot, LEGACY)
        await pilot.press("d")
        await pilot.pause()
        assert not summary.display
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BucketsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert f"Same account: both buckets will be in {SOURCE}." in text_of(summary)


async def test_slash_filters_rows_and_escape_clears_the_filter(write_profiles: Callable[[], Path]) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"platform")
        await pilot.pause()
        assert shown_keys(app) == [PLATFORM]
        await pilot.press("enter")  # back to the table, filter kept
        assert isinstance(app.focused, ProfileTable)
        await pilot.press("slash")
        app.screen.query_one("#filter", Input).value = "sso"
        await pilot.pause()
        assert shown_keys(app) == [SSO]  # matches kind as well as names
        await pilot.press("escape")
        await pilot.pause()
        assert shown_keys(app) == [AMBIENT, LEGACY, PLATFORM, SSO]
        assert isinstance(app.focused, ProfileTable)
        assert row(app, LEGACY)["account"] == SOURCE  # rebuilt rows keep their identities


async def test_r_resolves_again_and_a_stale_answer_never_paints_over_a_newer_one(
    write_profiles: Callable[[], Path],
) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, AccountsScreen)
        old_generation = screen.rows[LEGACY].generation
        await pilot.press("r")
        await settle(app, pilot)
        current = screen.rows[LEGACY].generation
        assert current > old_generation
        assert row(app, LEGACY)["account"] == SOURCE
        # a late failure from the first request arrives after the new success
        late = screen.rows[SSO].identity.error
        screen.post_message(AccountsScreen.IdentityResolved(LEGACY, old_generation, None, late))
        await pilot.pause()
        assert row(app, LEGACY)["status"] == "✓ resolved"
        assert screen.rows[LEGACY].generation == current


async def test_question_mark_lists_every_binding_and_escape_closes_it(write_profiles: Callable[[], Path]) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = {(key, what) for key, what, _ in app.screen._rows}
        for expected in [("s", "Source"), ("d", "Destination"), ("r", "Refresh"), ("/", "Filter"),
                         ("?", "Help"), ("^q", "Quit"), (":", "Commands"), ("^p", "Commands"), ("⏎", "Continue")]:
            assert expected in listed, expected
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AccountsScreen)


async def test_command_palette_opens_with_ctrl_p_and_colon_and_offers_the_actions(
    write_profiles: Callable[[], Path],
) -> None:
    write_profiles()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert titles[:4] == ["Choose source", "Choose destination", "Refresh", "Filter profiles"]
        assert {"Help", "Theme", "Terminal colours", "Quit"} <= set(titles)
        for key in ("ctrl+p", "colon"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette), key
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, AccountsScreen)
        # the palette's "Choose source" acts on the highlighted row
        await highlight(app, pilot, PLATFORM)
        next(c for c in app.get_system_commands(app.screen) if c.title == "Choose source").callback()
        await pilot.pause()
        assert app.source and app.source.profile.name == "acme-platform"


async def test_default_theme_is_dark_and_terminal_colours_can_be_chosen(aws_env: Path) -> None:
    aws_env.write_text("")
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == DEFAULT_THEME and app.current_theme.dark
        app.action_terminal_colours()
        await pilot.pause()
        assert app.theme == TERMINAL_THEME and app.current_theme.ansi
    assert S3xrepApp(theme="nord").theme == "nord"
    assert S3xrepApp(theme="no-such-theme").theme == DEFAULT_THEME


async def test_no_profiles_says_how_to_add_one(aws_env: Path) -> None:
    aws_env.write_text("")
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert shown_keys(app) == [AMBIENT]
        await pilot.press("enter")  # nothing chosen: nothing happens
        assert isinstance(app.screen, AccountsScreen) and not app.screen.confirmed


async def test_an_unreadable_config_is_shown_not_raised(aws_env: Path) -> None:
    aws_env.write_text("[profile broken\n")
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        detail = text_of(app.screen.query_one("#detail", Static))
        assert "cannot be parsed" in detail and "fix:" in detail


# --- the demo ---------------------------------------------------------------------


async def test_demo_shows_the_badge_and_preselects_the_sandbox_profiles(
    aws_env: Path, fake_sandbox: Callable[[], object]
) -> None:
    aws_env.write_text(Path(__file__).read_text()[:0])  # an empty real config: the demo must not list it
    app = S3xrepApp(demo=True, start_sandbox=fake_sandbox)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        assert DEMO_BADGE in header(app)  # from the first frame, before the sandbox is up
        await settle(app, pilot)
        assert shown_keys(app) == ["profile:s3xrep-demo-source", "profile:s3xrep-demo-destination"]
        text = header(app)
        assert f"source s3xrep-demo-source · {SOURCE}" in text
        assert f"destination s3xrep-demo-destination · {DESTINATION}" in text
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BucketsScreen)  # on to the buckets, DEMO still shown
        assert DEMO_BADGE in header(app)
        assert app.accounts.confirmed
    assert fake_sandbox.stopped == [True]  # type: ignore[attr-defined]


async def test_demo_reports_a_sandbox_that_does_not_start(aws_env: Path) -> None:
    def broken() -> object:
        raise OSError("address already in use")

    app = S3xrepApp(demo=True, start_sandbox=broken)  # type: ignore[arg-type]
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        detail = text_of(app.screen.query_one("#detail", Static))
        assert "the embedded AWS sandbox did not start (OSError: address already in use)" in detail
        assert "DEMO" in header(app)


async def test_demo_on_the_real_sandbox_resolves_both_accounts(aws_env: Path, tmp_path: Path) -> None:
    from s3xrep_tui.demo_sandbox import start_embedded_sandbox

    app = S3xrepApp(demo=True, start_sandbox=start_embedded_sandbox)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        text = header(app)
        assert f"source s3xrep-demo-source · {SOURCE} · us-east-1" in text
        assert f"destination s3xrep-demo-destination · {DESTINATION} · us-east-1" in text
        assert app.sandbox is not None and Path(app.sandbox.config_path).is_relative_to(tmp_path)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "SIMULATOR" in text_of(app.screen.query_one(".note", Static))
    assert app.sandbox is None  # stopped on exit
