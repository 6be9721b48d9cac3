"""An SVG snapshot of the Apply screen after a dry run, the bucket policy's step highlighted.

Deterministic: a fresh demo world gives the same plan (same id, documents and
steps) every time, a dry run sends nothing and takes no time that shows, and
no temp path or port is on screen.
Update after an intended change: ``pytest tests/tui/test_apply_screen_snapshot.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

from s3xrep_tui.sandbox.emulator import Sandbox

from .test_apply_screen import SIZE, calls, demo_app, finished, open_apply, sandbox  # noqa: F401 - a fixture


def test_apply_screen_after_a_dry_run(snap_compare: Any, sandbox: Sandbox) -> None:  # noqa: F811
    async def dry_run(pilot: Any) -> None:
        screen = await open_apply(pilot, sandbox)
        await pilot.press("tab", "d")
        await finished(pilot, screen)
        screen.table.move_cursor(row=calls(screen).index("s3.put_bucket_policy"))
        await pilot.pause()

    assert snap_compare(demo_app(sandbox), terminal_size=SIZE, run_before=dry_run)
