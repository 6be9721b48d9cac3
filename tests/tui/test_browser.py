"""The prefix browser on the demo sandbox: descend, versions with a delete marker, up, pages on demand."""

from __future__ import annotations

import gc
from pathlib import Path

from textual.widgets import Static

from s3xrep_tui.sandbox.emulator import Sandbox
from s3xrep_tui.tui import frozen_heap
from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.browser import MAX_PAGES, BrowserScreen
from s3xrep_tui.tui.widgets.object_table import EARLIER, MORE

from .test_buckets import (  # noqa: F401
    SIZE,
    SOURCE,
    SOURCE_PROFILE,
    choice,
    demo_config,
    open_buckets,
    sandbox,
    settle,
    text_of,
)

ARCHIVE = "acme-legacy-archive"
MEDIA = "acme-legacy-media"


def keys(screen: BrowserScreen) -> list[str]:
    return [key.value for key in screen.table.rows]  # type: ignore[misc]


def row(screen: BrowserScreen, key: str) -> dict[str, str]:
    table = screen.table
    return {column.value: cell.plain for column, cell in zip(table.columns, table.get_row(key), strict=True)}


async def highlight(pilot, screen: BrowserScreen, key: str) -> None:  # type: ignore[no-untyped-def]
    screen.table.move_cursor(row=screen.table.get_row_index(key))
    await pilot.pause()


async def test_enter_opens_the_browser_descends_into_photos_and_backspace_goes_up(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        buckets = await open_buckets(pilot)
        buckets.table("source").move_to(MEDIA)
        await pilot.press("enter")
        await pilot.pause()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        assert keys(screen) == ["p:docs/", "p:logs/", "p:photos/", "p:videos/"]
        await highlight(pilot, screen, "p:photos/")
        await pilot.press("enter")
        await settle(pilot)
        assert keys(screen) == ["p:photos/2019/", "p:photos/2020/", "p:photos/2021/", "p:photos/2022/", "p:photos/2023/"]
        assert text_of(screen.query_one("#crumb", Static)).strip().startswith(f"s3://{MEDIA}/photos/")
        await pilot.press("enter")  # photos/2019/
        await settle(pilot)
        await pilot.press("enter")  # photos/2019/events/
        await settle(pilot)
        first = row(screen, keys(screen)[0])
        assert first["name"].startswith("IMG_") and first["class"] == "STANDARD" and first["size"].endswith("KiB")
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert screen.prefix == "photos/" and screen.table.highlighted_key == "p:photos/2019/"
        await pilot.press("backspace")
        await settle(pilot)
        assert screen.table.highlighted_key == "p:photos/"  # the cursor lands where we came from
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is buckets


async def test_versions_of_an_archive_key_show_the_delete_marker_and_replication_status(
    demo_config: Path, sandbox: Sandbox
) -> None:
    s3 = sandbox.clients(SOURCE)("s3")
    key = s3.list_object_versions(Bucket=ARCHIVE)["DeleteMarkers"][0]["Key"]  # e.g. reports/2019/item-0000.csv
    top, sub, _ = key.split("/")
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await open_buckets(pilot)
        app.push_screen(BrowserScreen("source", ARCHIVE, "us-east-1", SOURCE))
        await pilot.pause()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, BrowserScreen)
        for step in (f"p:{top}/", f"p:{top}/{sub}/"):
            await highlight(pilot, screen, step)
            await pilot.press("enter")
            await settle(pilot)
        assert f"o:{key}" not in keys(screen)  # its latest version is a delete marker: not a current object
        await pilot.press("v")  # show deleted keys too
        await settle(pilot)
        assert row(screen, f"o:{key}")["class"] == "deleted (marker)"
        for step in (f"o:{key}",):
            await highlight(pilot, screen, step)
            await pilot.press("enter")
            await settle(pilot)
        assert screen.key == key and "versions" in text_of(screen.query_one("#crumb", Static))
        versions = keys(screen)
        newest = row(screen, versions[0])
        assert newest["marker"] == "delete marker" and newest["latest"] == "✓" and newest["replication"] == "—"
        assert len(versions) >= 2 and all(row(screen, v)["marker"] == "" for v in versions[1:])
        # the replication status is read for the highlighted version only
        assert all(row(screen, v)["replication"] == "" for v in versions[1:])
        await highlight(pilot, screen, versions[1])
        await pilot.pause(0.2)  # the head is asked after a short pause on the row
        await settle(pilot)
        assert row(screen, versions[1])["replication"] == "none"  # nothing replicates this bucket yet
        assert all(row(screen, v)["replication"] == "" for v in versions[2:])
        await pilot.press("backspace")
        await pilot.pause()
        assert screen.key is None and screen.table.highlighted_key == f"o:{key}"  # the listing, kept in memory


async def test_pages_are_listed_on_demand_and_only_a_few_are_kept(demo_config: Path) -> None:
    app = S3xrepApp()
    async with app.run_test(size=SIZE) as pilot:
        await open_buckets(pilot)
        calls: list[dict] = []

        def record(params: dict, **_: object) -> None:
            calls.append(params)

        client = app.clients("source")("s3", "us-east-1")
        client.meta.events.register("provide-client-params.s3.ListObjectsV2", record)
        try:
            app.push_screen(BrowserScreen("source", MEDIA, "us-east-1", SOURCE, page_size=20))
            await pilot.pause()
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, BrowserScreen)
            await highlight(pilot, screen, "p:logs/")
            screen.open_prefix("logs/app/2019/01/")  # a handful of keys: one page
            await settle(pilot)
            assert MORE not in keys(screen)
            screen.open_prefix("photos/2019/events/")
            await settle(pilot)
            listed = len(calls)
            assert len(keys(screen)) == 21 and keys(screen)[-1] == MORE  # 20 keys and "more…"
            await pilot.press("n")
            await settle(pilot)
            assert len(calls) == listed + 1 and len(keys(screen)) == 41
            screen.table.move_cursor(row=screen.table.row_count - 1)
            await pilot.press("pagedown")  # at the "more…" row: the next page
            await settle(pilot)
            assert len(calls) == listed + 2
            await pilot.press("n")
            await settle(pilot)
            # four pages seen, three kept: the first one was dropped and is offered again
            assert len(calls) == listed + 3 and len(screen.window.pages) == MAX_PAGES
            assert keys(screen)[0] == EARLIER and len(keys(screen)) == 1 + 3 * 20 + (1 if MORE in keys(screen) else 0)
            assert all(call["MaxKeys"] == 20 and call["Prefix"] == "photos/2019/events/" for call in calls[listed:])
            await highlight(pilot, screen, EARLIER)
            await pilot.press("enter")
            await settle(pilot)
            assert screen.window.first == 0 and EARLIER not in keys(screen) and len(calls) == listed + 4
        finally:
            client.meta.events.unregister("provide-client-params.s3.ListObjectsV2", record)


async def test_the_browser_freezes_what_exists_at_its_first_page_and_unfreezes_only_its_own(demo_config: Path) -> None:
    """Paging churns rows: full collections must not rescan the app's long-lived objects (gc.freeze)."""
    app = S3xrepApp()
    other = object()  # another view holding the frozen heap (the bucket table does, once loaded)
    try:
        async with app.run_test(size=SIZE) as pilot:
            app.source = choice(SOURCE_PROFILE, SOURCE)
            app.push_screen(BrowserScreen("source", MEDIA, "us-east-1", SOURCE))
            await pilot.pause()
            await settle(pilot)
            assert keys(app.screen) and gc.get_freeze_count() > 0  # frozen once the first page arrived
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, BrowserScreen) and gc.get_freeze_count() == 0  # the last holder left
            frozen_heap.hold(other)
            app.push_screen(BrowserScreen("source", MEDIA, "us-east-1", SOURCE))
            await pilot.pause()
            await settle(pilot)
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, BrowserScreen) and gc.get_freeze_count() > 0  # still held by the other
            frozen_heap.release(other)
            assert gc.get_freeze_count() == 0
    finally:
        frozen_heap.release(other)
