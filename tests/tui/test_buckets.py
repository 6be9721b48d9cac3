"""The Buckets screen, driven with Pilot against the demo sandbox (its seed's buckets and facts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import DataTable, Input, Select, Static

from s3xrep_tui.aws.browse import BucketEntry, BucketSummary
from s3xrep_tui.aws.profiles import ProfileInfo
from s3xrep_tui.core.models import Account
from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui import app as app_module
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.buckets import BucketsScreen, Pane
from s3xrep_tui.tui.screens.create_bucket import CreateBucketScreen
from s3xrep_tui.tui.state import Choice, Identity
from s3xrep_tui.tui.widgets.bucket_table import BucketTable
from s3xrep_tui.tui.widgets.context_bar import ContextBar
from s3xrep_tui.tui.widgets.profile_table import ProfileTable

SIZE = (120, 40)
SOURCE, DESTINATION = "111111111111", "222222222222"
SOURCE_PROFILE, DESTINATION_PROFILE = "s3xrep-demo-source", "s3xrep-demo-destination"
SEED_SOURCE = ["acme-legacy-media", "acme-legacy-archive", "acme-legacy-secure", "acme-legacy-records",
               "acme-legacy-batch-reports"]
SEED_DESTINATION = ["acme-platform-media", "acme-platform-reports"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    box = Sandbox(seed="demo", replication_delay=0.05, config_path=tmp_path_factory.mktemp("sandbox") / "aws-config")
    box.start()
    yield box
    box.stop()


@pytest.fixture
def demo_config(aws_env: Path, sandbox: Sandbox) -> Path:
    """The sandbox's two profiles as the AWS config file (AWS_CONFIG_FILE, set by aws_env)."""
    aws_env.write_text(sandbox.config_text())
    return aws_env


def choice(profile: str, account: str, endpoint: str | None = None) -> Choice:
    info = ProfileInfo(profile, "static", "us-east-1", endpoint_url=endpoint)
    return Choice(info, Identity("resolved", Account(id=account, arn=f"arn:aws:iam::{account}:user/s3xrep-sandbox-admin")))


def text_of(widget: Static) -> str:
    lines = widget.render_lines(Region(0, 0, widget.outer_size.width, widget.outer_size.height))
    return "\n".join(line.text.rstrip() for line in lines)


def header(app: S3xrepApp) -> str:
    return " ".join(text_of(static) for static in app.screen.query_one(ContextBar).query(Static))


def cells(screen: BucketsScreen, side: str, name: str) -> dict[str, str]:
    table = screen.table(side)  # type: ignore[arg-type]
    return {column.value: cell.plain for column, cell in zip(table.columns, table.get_row(name), strict=True)}


def shown(screen: BucketsScreen, side: str) -> list[str]:
    return [key.value for key in screen.table(side).rows]  # type: ignore[arg-type]


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Let listings, the visible-rows debounce (50 ms) and the fact workers finish."""
    for _ in range(4):
        await pilot.pause(0.06)
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_buckets(pilot, source: str = SOURCE_PROFILE, destination: str = DESTINATION_PROFILE) -> BucketsScreen:  # type: ignore[no-untyped-def]
    """The flow's state after the accounts step, set directly; then the buckets screen, settled."""
    app = pilot.app
    accounts = {SOURCE_PROFILE: SOURCE, DESTINATION_PROFILE: DESTINATION}
    app.source = choice(source, accounts[source])
    app.destination = choice(destination, accounts[destination])
    app.goto("buckets")
    await pilot.pause()
    await settle(pilot)
    assert isinstance(app.screen, BucketsScreen)
    return app.screen


async def test_enter_on_accounts_opens_buckets_with_each_accounts_buckets_and_facts(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(ProfileTable)
        table.move_to(f"profile:{SOURCE_PROFILE}")
        await pilot.press("s")
        table.move_to(f"profile:{DESTINATION_PROFILE}")
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")  # both resolved: confirm and go on
        await pilot.pause()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BucketsScreen)
        assert shown(screen, "source") == SEED_SOURCE
        assert shown(screen, "destination") == SEED_DESTINATION
        media = cells(screen, "source", "acme-legacy-media")
        assert (media["region"], media["versioning"], media["ownership"], media["encryption"]) == (
            "us-east-1", "off", "unset", "none")
        assert cells(screen, "source", "acme-legacy-archive")["versioning"] == "Enabled"
        assert cells(screen, "source", "acme-legacy-secure")["encryption"] == "KMS acme-legacy-secure"
        assert cells(screen, "source", "acme-legacy-records")["lock"] == "GOV 30d"
        assert cells(screen, "source", "acme-legacy-records")["replication"] == "none"
        platform = cells(screen, "destination", "acme-platform-media")
        assert (platform["versioning"], platform["ownership"]) == ("Enabled", "enforced")
        assert "source s3xrep-demo-source · 111111111111" in header(app)
        assert "source bucket not chosen" in header(app)
        await pilot.press("escape")  # back to the accounts screen, which kept the confirmation
        await pilot.pause()
        assert app.screen is app.accounts and app.accounts.confirmed


async def test_slash_filters_both_panes_and_escape_clears(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"media")
        await pilot.pause()
        assert shown(screen, "source") == ["acme-legacy-media"]
        assert shown(screen, "destination") == ["acme-platform-media"]
        assert "1 of 5 buckets" in screen.query_one("#source-pane").border_title
        await pilot.press("enter")  # back to the table, filter kept
        assert isinstance(app.focused, BucketTable)
        assert cells(screen, "source", "acme-legacy-media")["versioning"] == "off"  # facts survive the rebuild
        await pilot.press("escape")
        await pilot.pause()
        assert shown(screen, "source") == SEED_SOURCE
        assert isinstance(app.screen, BucketsScreen)  # Esc cleared the filter; it did not leave


async def test_s_and_d_choose_the_buckets_and_the_header_shows_them(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        screen.table("source").move_to("acme-legacy-archive")
        await pilot.press("s", "tab")
        assert app.focused is screen.table("destination")
        screen.table("destination").move_to("acme-platform-media")
        await pilot.press("d")
        await pilot.pause()
        assert (app.source_bucket, app.destination_bucket) == ("acme-legacy-archive", "acme-platform-media")
        assert "source bucket s3://acme-legacy-archive" in header(app)
        assert "destination bucket s3://acme-platform-media" in header(app)
        assert cells(screen, "source", "acme-legacy-archive")["use"] == "SRC"
        assert cells(screen, "destination", "acme-platform-media")["use"] == "DST"
        assert "press c to continue" in text_of(screen.query_one("#hint", Static))


async def test_the_same_bucket_on_both_sides_is_refused_with_the_reason(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        # one account on both sides: both panes list the same buckets
        screen = await open_buckets(pilot, SOURCE_PROFILE, SOURCE_PROFILE)
        assert shown(screen, "destination") == SEED_SOURCE
        screen.table("source").move_to("acme-legacy-archive")
        screen.table("destination").move_to("acme-legacy-archive")
        await pilot.press("s", "d")
        await pilot.pause()
        assert app.source_bucket == "acme-legacy-archive" and app.destination_bucket is None
        hint = text_of(screen.query_one("#hint", Static))
        assert "already the source" in hint and "different destination" in hint
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen  # nothing to continue with


async def test_c_continues_to_the_options_step_only_when_both_are_chosen(
    demo_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class OptionsStub(Screen):
        pass

    monkeypatch.setattr(app_module, "FLOW", {**app_module.FLOW, "options": (__name__, "OptionsStub")})
    globals()["OptionsStub"] = OptionsStub
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is screen
        screen.choose_bucket("source", "acme-legacy-media")
        screen.choose_bucket("destination", "acme-platform-media")
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, OptionsStub)


async def test_n_creates_a_versioned_destination_bucket_after_checking_the_name(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        screen.choose_bucket("source", "acme-legacy-media")
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CreateBucketScreen)
        assert form.query_one("#region", Select).value == "us-east-1"  # the source bucket's region
        assert "BucketOwnerEnforced" in text_of(form.query_one("#note", Static))
        await pilot.press(*"Bad_Name", "enter")
        await pilot.pause()
        rules = text_of(form.query_one("#rules", Static))
        assert "may only contain lowercase letters, digits, dots and hyphens" in rules
        assert app.screen is form  # nothing was sent
        form.query_one("#name", Input).value = "acme-legacy-media"  # valid, but taken by the source account
        await pilot.press("enter")
        await form.workers.wait_for_complete()
        await pilot.pause()
        assert "is taken" in text_of(form.query_one("#status", Static)) and app.screen is form
        form.query_one("#name", Input).value = "acme-platform-replica"
        await pilot.pause()
        assert "valid bucket name" in text_of(form.query_one("#rules", Static))
        await pilot.press("enter")
        await form.workers.wait_for_complete()
        await pilot.pause()
        await settle(pilot)
        assert app.screen is screen
        assert "acme-platform-replica" in shown(screen, "destination")
        row = cells(screen, "destination", "acme-platform-replica")
        assert (row["versioning"], row["ownership"], row["use"]) == ("Enabled", "enforced", "DST")
        assert app.destination_bucket == "acme-platform-replica"
        assert "BucketOwnerEnforced" in text_of(screen.query_one("#hint", Static))


async def test_a_listing_error_is_shown_in_its_pane_with_the_fix(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        config = demo_config.read_text()
        # the destination profile points at a port nothing listens on
        broken = config.replace("[profile s3xrep-demo-destination]", "[profile s3xrep-demo-destination]\n# broken")
        lines = broken.split("\n")
        start = lines.index("# broken")
        for i in range(start, len(lines)):
            if lines[i].startswith("endpoint_url"):
                lines[i] = "endpoint_url = http://127.0.0.1:9"
                break
        demo_config.write_text("\n".join(lines))
        screen = await open_buckets(pilot)
        problem = text_of(screen.query_one("#destination-problem", Static))
        assert "does not answer" in problem and "fix:" in problem
        assert shown(screen, "source") == SEED_SOURCE  # the other pane is unaffected


def bulk_names(count: int) -> list[str]:
    return [f"bulk-{i:05d}" for i in range(count)]


def listed(pane: Pane, names: list[str]) -> BucketsScreen.BucketsListed:
    """The source pane's whole listing, arriving as one answer."""
    return BucketsScreen.BucketsListed("source", pane.generation, [BucketEntry(n) for n in names], done=True)


async def test_ten_thousand_buckets_fill_in_place_without_rebuilding(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        pane, table = screen.panes["source"], screen.table("source")
        names = bulk_names(10_000)
        updates: list[tuple[object, str]] = []
        real_update = DataTable.update_cell

        def counting_update(self, row_key, column_key, value, *, update_width=False):  # type: ignore[no-untyped-def]
            updates.append((row_key, column_key))
            return real_update(self, row_key, column_key, value, update_width=update_width)

        table.update_cell = counting_update.__get__(table)  # type: ignore[method-assign]
        rebuilds = table.rebuilds
        screen.post_message(listed(pane, names))
        while table.adding or table.row_count < 10_005:  # added a chunk per frame
            await pilot.pause()
        assert table.rebuilds == rebuilds  # appended, never rebuilt
        await settle(pilot)
        # only the rows on screen (and a few below) had their facts read, not 10,000
        assert pane.loader is not None and pane.loader.requests <= 5 + 30
        before = len(updates)
        for name in names[:1000]:
            screen.post_message(BucketsScreen.BucketFactsLoaded("source", pane.generation, BucketSummary(
                name, SOURCE, region="eu-west-1", versioning="Enabled", ownership="BucketOwnerEnforced",
                encryption="AES256", replication_rules=2)))
        await pilot.pause()
        await pilot.pause()
        assert table.rebuilds == rebuilds and table.row_count == 10_005
        assert len(updates) - before == 6 * 1000  # six fact cells per row, each updated in place
        assert cells(screen, "source", "bulk-00999")["replication"] == "2 rules"
        # the filter works on the in-memory list
        screen.query_one("#filter", Input).value = "bulk-0999"
        await pilot.pause()
        while table.adding:
            await pilot.pause()
        assert shown(screen, "source") == [f"bulk-{i:05d}" for i in range(9990, 10_000)]


async def test_a_loaded_table_is_frozen_out_of_full_collections_until_it_leaves(demo_config: Path) -> None:
    """A full collection rescanning 10k rows stalls a frame 0.2 s; loaded rows are frozen instead."""
    import gc

    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        pane, table = screen.panes["source"], screen.table("source")
        screen.post_message(listed(pane, bulk_names(2_000)))
        while table.adding or table.row_count < 2_005:
            await pilot.pause()
            if table.adding:
                assert not gc.isenabled()  # no collection of any generation sneaks in between chunks
        await settle(pilot)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 50_000  # the rows and their cells are out of the collector's scans
    assert gc.get_freeze_count() == 0  # the tables left: what they leave behind is collectable again


async def test_the_buckets_screen_writes_nothing_to_stderr(demo_config: Path, capfd: pytest.CaptureFixture[str]) -> None:
    capfd.readouterr()
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_buckets(pilot)
        await pilot.press("s", "tab", "d", "slash", "x", "escape", "r")
        await settle(pilot)
        await pilot.press("tab", "enter")
        await pilot.pause()
        await settle(pilot)
        await pilot.press("enter", "backspace", "escape")
        await settle(pilot)
        assert app.screen is screen
    assert capfd.readouterr().err == ""
