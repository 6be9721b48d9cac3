"""The pictures of the cut-over screen (the go/no-go checklist) at 80x24 and 160x48, from a fixed checklist.

The screen's measurer is pinned to :func:`checklist`: two items still block (a Batch job's
backlog draining, an alarm in ALARM) so the picture shows every verdict word and what blocks.
Its Pilot tests (tests/tui/test_cutover_screen.py) run on the real sandbox instead.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .core import cutover as judge
from .core.cutover import Checklist
from .core.models import Account, Bucket, MigrationOptions, Plan
from .tui.app import S3xrepApp
from .tui.screens.cutover import CutoverScreen

PICTURES = ("cutover",)
SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
PLAN = Plan(id=f"{SOURCE}-to-{DESTINATION}-0c0ffee1", source_account=Account(id="111111111111"),
            destination_account=Account(id="222222222222"), source=Bucket(name=SOURCE, region="us-east-1"),
            destination=Bucket(name=DESTINATION, region="us-east-1"), findings=(), steps=(),
            documents={"replication_configuration": {"Role": "arn:aws:iam::111111111111:role/s3xrep-repl-acme-legacy-media"}})


def checklist(_: Any = None) -> Checklist:
    verify = {"ts": "2026-12-03T17:40:00+00:00", "result": {"ok": True}}
    canary = {"ts": "2026-12-03T17:45:00+00:00", "result": {"ok": True, "seconds_to_replicate": 4.2}}
    items = [
        judge.backlog_item(734_003_200, 412, metrics_enabled=True),
        judge.failed_item(0, 1000, truncated=True),
        judge.verify_item(verify, now=NOW, max_age=24 * 3600),
        judge.canary_item(canary, goal=900),
        judge.alarms_item(["s3xrep-acme-legacy-media-failed", "s3xrep-acme-legacy-media-latency"],
                          {"s3xrep-acme-legacy-media-failed": "OK", "s3xrep-acme-legacy-media-latency": "ALARM"}),
        judge.destination_item(judge.DestinationFacts("Enabled", None, "aws:kms", "Enabled"), planned_policy=None,
                               planned_sids=[], replica_key=None),
    ]
    return judge.checklist(PLAN.id, SOURCE, DESTINATION, items, measured_at=NOW)


async def _wait(pilot: Any, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"screenshots: waited {timeout:.0f}s for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def cutover(pilot: Any) -> None:
    app = pilot.app
    app.source_bucket, app.destination_bucket = SOURCE, DESTINATION
    screen = CutoverScreen(measurer=checklist, target=(PLAN, {}, MigrationOptions(), False))
    app.push_screen(screen)
    await _wait(pilot, lambda: screen.checklist is not None and screen.state == "idle", "the checklist")


async def cutover_shots(out: Path, home_dir: Path, shoot: Callable[..., Awaitable[Path]]) -> list[Path]:
    """:data:`PICTURES` at the size being taken; ``shoot(app, out, name, drive)`` takes one."""
    app = S3xrepApp()
    app.animation_level = "none"
    return [await shoot(app, out, "cutover", cutover)]
