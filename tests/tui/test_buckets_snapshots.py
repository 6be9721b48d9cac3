"""SVG snapshots of the Buckets screen and the prefix browser on the demo sandbox, in a fixed state.

The seed is deterministic (names, sizes, dates); nothing random (version ids,
KMS key ids, ports) is on screen in these states.
Update after an intended change: ``pytest tests/tui/test_buckets_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from pathlib import Path

from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.screens.browser import BrowserScreen

from .test_buckets import SIZE, SOURCE, demo_config, open_buckets, sandbox, settle  # noqa: F401


async def buckets_chosen(pilot) -> None:  # type: ignore[no-untyped-def]
    """Source and destination chosen, the cursor on the Object Lock bucket of the source pane."""
    screen = await open_buckets(pilot)
    screen.choose_bucket("source", "acme-legacy-media")
    screen.choose_bucket("destination", "acme-platform-media")
    screen.table("source").move_to("acme-legacy-records")
    screen.table("source").focus()
    await settle(pilot)


async def browsing_photos(pilot) -> None:  # type: ignore[no-untyped-def]
    """s3://acme-legacy-media/photos/2019/events/ in pages of 12: the first page and "more…"."""
    await buckets_chosen(pilot)
    app = pilot.app
    app.push_screen(BrowserScreen("source", "acme-legacy-media", "us-east-1", SOURCE, page_size=12))
    await pilot.pause()
    await settle(pilot)
    app.screen.open_prefix("photos/2019/events/")
    await settle(pilot)
    await pilot.press("down", "down")
    await pilot.pause()


def test_buckets_screen(snap_compare, demo_config: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(S3xrepApp(), terminal_size=SIZE, run_before=buckets_chosen)


def test_browser_screen(snap_compare, demo_config: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(S3xrepApp(), terminal_size=SIZE, run_before=browsing_photos)
