"""The picture of the finish screen at 80x24 and 160x48, from a fixed migration and a fixed dry run.

The migration is the home screenshots' applied one (:mod:`.screenshots_home`);
the finish screen's worker posts :data:`PREVIEW` instead of asking AWS, so two
runs draw the same picture (``python -m s3xrep_tui.screenshots --only finish``).
Its Pilot test (tests/tui/test_finish_screen.py) runs on the real sandbox.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .aws.finish import FinishResult
from .aws.migrations import migration
from .core.finish import FinishRow
from .screenshots_home import JOB, PLAN, home, quiet_app, write_migrations
from .tui.screens.finish import FinishScreen

PICTURES = ("finish",)  # taken at each of screenshots.SIZES

PREVIEW = [
    FinishRow(f"Batch Replication job {JOB}", "source", "stays",
              f"Batch Replication job {JOB} is already Complete: objects it replicated stay in the destination"),
    FinishRow("our rule in the replication configuration of acme-legacy-media", "source", "remove",
              "would delete the replication configuration of acme-legacy-media (only rule s3xrep-to-acme-platform-media "
              "of ours was in it)"),
    FinishRow("our statements in the bucket policy of acme-platform-media", "destination", "remove",
              "would take statement S3xrepReplicationWrite out of the bucket policy (1 other part(s) stay)"),
    FinishRow("statement PlatformReadOnlyAudit in the bucket policy of acme-platform-media", "destination", "stays",
              "not ours (foreign): untouched"),
    FinishRow("every object and version in acme-legacy-media", "source", "stays", "the migration's data"),
    FinishRow("every object and version in acme-platform-media", "destination", "stays", "the migration's data"),
    FinishRow("versioning, encryption, object ownership of acme-platform-media", "destination", "stays",
              "the destination's data policy"),
]
BLOCKERS = [("plan has not been cut over (the journal has no cut-over record)",
             f"run s3xrep cutover {PLAN} first, or pass --not-cut-over (c here)")]


class FixedFinishScreen(FinishScreen):
    """The finish screen with its dry run answered by :data:`PREVIEW` (no AWS)."""

    def _in_thread(self, run: int, dry_run: bool) -> None:  # type: ignore[override]
        result = FinishResult(self.migration.plan_id, self.migration.journal_path, dry_run=dry_run, rows=list(PREVIEW),
                              blockers=list(BLOCKERS))
        self.post_message(FinishScreen.FinishAnswered(run, dry_run, result))


async def finish_screen(pilot: Any) -> None:
    await home(pilot)
    pilot.app.push_screen(FixedFinishScreen(migration(PLAN)))
    while getattr(pilot.app.screen, "preview", None) is None:
        await pilot.pause(0.02)
    await pilot.pause()


async def finish_shots(out: Path, home_dir: Path, shoot: Callable[..., Awaitable[Path]]) -> list[Path]:
    """The finish picture at the size being taken (``shoot`` as :func:`.screenshots_home.home_shots` takes it)."""
    saved = os.environ.get("S3XREP_DATA_DIR")
    os.environ["S3XREP_DATA_DIR"] = str(home_dir / "finish-screens-data")
    try:
        write_migrations()
        written = [await shoot(quiet_app(), out, "finish", finish_screen)]
        await asyncio.sleep(0)
        return written
    finally:  # later groups must not find these journals and open the home
        if saved is None:
            os.environ.pop("S3XREP_DATA_DIR", None)
        else:
            os.environ["S3XREP_DATA_DIR"] = saved
