"""The pictures of the fleet board (issue 20) at 80x24 and 160x48, from a fixed migration of six pairs, and of
a new fleet's map matched against fixed bucket lists.

The board polls a backend that answers fixed statuses (jobs at fixed progress, one pair with failures,
one never verified), so two runs draw the same picture (``python -m s3xrep_tui.screenshots --only fleet``).
Their Pilot tests (tests/tui/test_fleet_board.py, test_fleet_new.py) run on the real sandbox instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .aws.fleet_status import PairStatus
from .aws.fleet_store import FleetPair, FleetRecord
from .aws.jobs import JobSummary, Progress
from .aws.profiles import ProfileInfo
from .core.models import Account
from .tui.app import S3xrepApp
from .tui.screens.fleet import FleetScreen
from .tui.screens.fleet_new import FleetNewScreen
from .tui.state import Choice, Identity

PICTURES = ("fleet", "fleet-new")
MIGRATION = "acme-move-4f1e2d3c"
_NAMES = ("media", "orders", "invoices", "logs", "assets", "backups")
# (state, job status, done, total, failed, latency seconds, verify ok)
_ROWS: tuple[tuple[str, str, int, int, int, float | None, bool | None], ...] = (
    ("applied", "Complete", 3250, 3250, 0, 4.0, True),
    ("applied", "Active", 820, 1200, 0, 12.0, None),
    ("applied", "Complete", 400, 412, 12, 6.0, False),
    ("applied", "Active", 90, 5000, 0, None, None),
    ("applied", "Preparing", 0, 0, 0, None, None),
    ("not applied", "", 0, 0, 0, None, None),
)


def record() -> FleetRecord:
    pairs = tuple(FleetPair(i + 1, f"acme-legacy-{n}-to-acme-platform-{n}-{i:08x}", "acme-legacy", f"acme-legacy-{n}",
                            "acme-platform", f"acme-platform-{n}", i + 1, ("s3xrep-repl-acme-move",) if i == 0 else ())
                  for i, n in enumerate(_NAMES))
    return FleetRecord(MIGRATION, "2026-12-03T17:00:00+00:00", pairs)


class FixedFleetBackend:
    """The board's answers, pinned."""

    def status(self, pairs: Any, latency: bool = True) -> list[PairStatus]:
        created = datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
        rows = []
        for pair, (state, status, done, total, failed, seconds, ok) in zip(pairs, _ROWS, strict=True):
            job = None if not status else JobSummary(
                f"job-{pair.index}", status, "111111111111", "us-east-1", "backfill", created=created,
                progress=Progress(total=total, succeeded=done - failed, failed=failed, elapsed_active=300))
            verify = None if ok is None else {"ts": "2026-12-03T17:30:00+00:00", "result": {"ok": ok}}
            rows.append(PairStatus(pair, state, job, seconds, verify))
        return rows


async def _wait(pilot: Any, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"screenshots: waited {timeout:.0f}s for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def fleet(pilot: Any) -> None:
    board = FleetScreen(record(), backend=FixedFleetBackend(), poll_seconds=0)
    pilot.app.push_screen(board)
    await _wait(pilot, lambda: board.polls > 0, "the board's poll")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


class FixedPlanner:
    """The new-fleet screen's bucket lists, pinned (the demo's names; one source picked out below)."""

    workers = 3

    def buckets(self, profile: str | None) -> list[str]:
        side = "legacy" if profile == "acme-legacy" else "platform"
        names = (*_NAMES, "archive", "secure") if side == "legacy" else (*_NAMES, "reports")
        return [f"acme-{side}-{n}" for n in names]


def chosen_identity(profile: str, account: str) -> Choice:
    """A resolved identity of ``profile`` in ``account`` (no AWS: the picture and its test pin it)."""
    info = ProfileInfo(profile, "static", "us-east-1")
    return Choice(info, Identity("resolved", Account(id=account, arn=f"arn:aws:iam::{account}:user/admin")))


async def fleet_new(pilot: Any) -> None:
    app = pilot.app
    app.source = chosen_identity("acme-legacy", "111111111111")
    app.destination = chosen_identity("acme-platform", "222222222222")
    screen = FleetNewScreen(FixedPlanner())  # type: ignore[arg-type]
    app.push_screen(screen)
    await _wait(pilot, lambda: screen.is_mounted, "the new fleet screen")
    await pilot.press(*"acme-legacy-*=acme-platform-*", "enter")
    await _wait(pilot, lambda: screen.found is not None and bool(screen.found.pairs), "the map's pairs")
    screen.table.move_cursor(row=4)
    await pilot.press("space")  # the media pair (the single-pair demo's) picked out
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def quiet_app() -> S3xrepApp:
    app = S3xrepApp()
    app.animation_level = "none"
    return app


async def fleet_shots(out: Path, home_dir: Path, shoot: Callable[..., Awaitable[Path]]) -> list[Path]:
    """The board at the size being taken; ``shoot(app, out, name, drive)`` is screenshots' one way of taking one."""
    written = [await shoot(quiet_app(), out, "fleet", fleet), await shoot(quiet_app(), out, "fleet-new", fleet_new)]
    await asyncio.sleep(0)
    return written
