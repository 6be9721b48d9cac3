"""SVG snapshots of the Accounts screen and the help screen in a fixed state.

The config is fixed (account ids, session names); the endpoint's port is never
rendered (only its host), so the pictures do not depend on the run.
Update after an intended change: ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from s3xrep_tui.tui.app import S3xrepApp
from s3xrep_tui.tui.widgets.profile_table import ProfileTable

SIZE = (120, 40)


def all_settled(screen: object) -> bool:
    """Every profile listed and each identity resolved or failed."""
    rows = getattr(screen, "rows", None)
    return bool(rows) and all(row.identity.state in ("resolved", "failed") for row in rows.values())


async def accounts_chosen(pilot) -> None:  # type: ignore[no-untyped-def]
    """Source and destination chosen and confirmed, the failing SSO profile highlighted."""
    app = pilot.app
    deadline = time.monotonic() + 20
    while not all_settled(app.screen):
        assert time.monotonic() < deadline, "timed out waiting for every identity to resolve or fail"
        await pilot.pause(0.02)
    await pilot.pause()
    table = app.screen.query_one(ProfileTable)
    table.move_to("profile:acme-legacy")
    await pilot.press("s")
    table.move_to("profile:acme-platform")
    await pilot.press("d", "enter")  # confirms and opens the buckets screen
    await pilot.pause()
    await pilot.press("escape")  # back to the accounts, confirmed
    await pilot.pause()
    table.move_to("profile:corp-sso")
    await pilot.pause()


async def help_open(pilot) -> None:  # type: ignore[no-untyped-def]
    await accounts_chosen(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


def test_accounts_screen(snap_compare, write_profiles: Callable[[], Path]) -> None:  # type: ignore[no-untyped-def]
    write_profiles()
    assert snap_compare(S3xrepApp(), terminal_size=SIZE, run_before=accounts_chosen)


def test_help_screen(snap_compare, write_profiles: Callable[[], Path]) -> None:  # type: ignore[no-untyped-def]
    write_profiles()
    assert snap_compare(S3xrepApp(), terminal_size=SIZE, run_before=help_open)
