"""The pictures of the home, undo and stakeholder screens at 80x24 and 160x48, from fixed migrations.

A journal written record by record with fixed times and ids (each record's
checksum computed as the journal computes it), results with fixed times, and
for the undo and stakeholder screens their AWS answers pinned: the undo
screen's worker posts a fixed dry run, the stakeholder view polls a backend
that returns fixed jobs. Their Pilot tests (test_home, test_undo_screen,
test_stakeholder) run on the real sandbox instead; these exist so two runs
draw the same picture (``python -m s3xrep_tui.screenshots --only home``, and
tests/tui/test_home_snapshots.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import storage
from .aws import results
from .aws.completion_reports import FailureGroup, ReportSummary
from .aws.jobs import JobSummary, Progress
from .aws.journal import CHECKSUM, journal_path, record_checksum
from .aws.migrations import Migration, migration
from .aws.replication_status import ReplicationHealth
from .aws.undo import UndoItem, UndoResult
from .tui.app import S3xrepApp
from .tui.screens.home import HomeScreen
from .tui.screens.monitor import MonitorContext
from .tui.screens.stakeholder import StakeholderScreen
from .tui.screens.undo import UndoScreen

PICTURES = ("home", "undo", "stakeholder")  # taken at each of screenshots.SIZES

SOURCE_ACCOUNT, DESTINATION_ACCOUNT = "111111111111", "222222222222"
PLAN = "acme-legacy-media-to-acme-platform-media-0c0ffee1"
UNDONE = "acme-legacy-logs-to-acme-platform-logs-0badcafe"
JOB = "5f2c7a10-0000-4000-8000-00000000a11c"


def _write(plan_id: str, records: list[dict[str, Any]]) -> Path:
    lines = []
    for number, fields in enumerate(records, start=1):
        entry = {"ts": f"2026-12-01T09:{number:02d}:00.000+00:00", "plan_id": plan_id, "run": "20261201T090000-abc123",
                 "id": f"20261201T090000-abc123:{number}", **fields}
        entry[CHECKSUM] = record_checksum(entry)
        lines.append(json.dumps(entry, separators=(",", ":")))
    path = journal_path(plan_id)
    storage.write_private(path, "\n".join(lines) + "\n")
    return path


def _write_entry(side: str, call: str, target: str, before: Any, after: Any) -> dict[str, Any]:
    account = SOURCE_ACCOUNT if side == "source" else DESTINATION_ACCOUNT
    return {"kind": "write", "step": call, "call": call, "account": side, "account_id": account,
            "profile": "acme-legacy" if side == "source" else "acme-platform", "region": "us-east-1",
            "target": target, "before": before, "after": after}


def write_migrations() -> list[Migration]:
    """Two journals in ``storage.data_dir()``: one applied with a job and a verify, one undone."""
    rule = {"Rules": [{"ID": "s3xrep-to-acme-platform-media", "Status": "Enabled"}]}
    _write(PLAN, [
        _write_entry("destination", "s3.put_bucket_policy", "bucket acme-platform-media", None, {"Statement": []}),
        _write_entry("source", "s3.put_bucket_replication", "bucket acme-legacy-media", None, rule),
        _write_entry("source", "s3control.create_job", f"job {JOB}", None, {"Description": "s3xrep backfill"}),
        {"kind": "done", "ref": "20261201T090000-abc123:3", "call": "s3control.create_job", "result": {"JobId": JOB}},
    ])
    _write(UNDONE, [
        _write_entry("destination", "s3.put_bucket_policy", "bucket acme-platform-logs", None, {"Statement": []}),
        {"kind": "undo", "ref": "20261201T090000-abc123:1", "status": "deleted", "message": "policy deleted"},
    ])
    results.record_verify(PLAN, {"ok": True, "source": {"versions": 3244, "bytes": 5_368_709_120},
                                 "destination": {"versions": 3244, "bytes": 5_368_709_120}},
                          ts="2026-12-01T10:30:00+00:00")
    for minute, seconds in enumerate((2.1, 3.4, 2.8, 6.5, 4.2, 3.1, 2.4, 8.9, 5.0, 3.3, 2.2, 1.9)):
        results.record_canary(PLAN, {"ok": True, "seconds_to_replicate": seconds}, ts=f"2026-12-01T10:{minute:02d}:00+00:00")
    return [migration(PLAN), migration(UNDONE)]


PREVIEW = [
    UndoItem("r:3", "s3control.create_job", "source", f"job {JOB}", "would-cancel",
             f"would cancel Batch Replication job {JOB} (it is Active); objects already replicated stay"),
    UndoItem("r:2", "s3.put_bucket_replication", "source", "bucket acme-legacy-media", "would-delete",
             "would delete the replication configuration (there was none before apply)"),
    UndoItem("r:1", "s3.put_bucket_policy", "destination", "bucket acme-platform-media", "skipped",
             "the bucket policy changed since apply (a statement was added): not restored, so nothing is clobbered",
             "compare it with the journal's 'before' and restore by hand"),
]


class FixedUndoScreen(UndoScreen):
    """The undo screen with its dry run answered by :data:`PREVIEW` (no AWS)."""

    def on_mount(self) -> None:  # before the base class's: the field is focused after the dry run
        self.confirm.input.cursor_blink = False  # a blinking cursor would make the picture depend on its phase

    def _in_thread(self, run: int, dry_run: bool) -> None:  # type: ignore[override]
        result = UndoResult(self.migration.plan_id, self.migration.journal_path, list(PREVIEW), dry_run=dry_run)
        self.post_message(UndoScreen.UndoAnswered(run, dry_run, result))


class FixedBackend:
    """The monitor backend's answers, pinned: one running job, one ended with failures, healthy replication."""

    def context(self) -> MonitorContext:
        return MonitorContext(SOURCE_ACCOUNT, "us-east-1", PLAN, "acme-legacy-media", "acme-platform-media",
                              "s3xrep-to-acme-platform-media")

    def mine(self, context: MonitorContext) -> frozenset[str]:
        return frozenset({JOB, "old"})

    def list_jobs(self, context: MonitorContext, statuses: Any = None) -> list[JobSummary]:
        created = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
        return [JobSummary(JOB, "Active", SOURCE_ACCOUNT, "us-east-1", "backfill", created=created,
                           progress=Progress(total=3244, succeeded=2100, failed=0, elapsed_active=600)),
                JobSummary("old", "Complete", SOURCE_ACCOUNT, "us-east-1", "first try", created=created,
                           progress=Progress(total=40, succeeded=28, failed=12, elapsed_active=60))]

    def describe(self, context: MonitorContext, job_id: str, grace: float = 0.0) -> Any:
        return job_id

    def report(self, job: Any) -> ReportSummary:
        return ReportSummary(28, 12, (FailureGroup("AccessDenied", 9, (), (403,), "", "", ""),
                                      FailureGroup("NoSuchKey", 3, (), (404,), "", "", "")))

    def replication(self, context: MonitorContext) -> ReplicationHealth:
        return ReplicationHealth("replicating", ())


def stakeholder_screen() -> StakeholderScreen:
    return StakeholderScreen(migration(PLAN), backend=FixedBackend(), interval=3600)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- driving the app


async def _wait(pilot: Any, condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"screenshots: waited {timeout:.0f}s for {what}")
        await pilot.pause(0.02)
    await pilot.pause()


async def home(pilot: Any) -> None:
    await _wait(pilot, lambda: isinstance(pilot.app.screen, HomeScreen), "the home screen")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def undo(pilot: Any) -> None:
    await home(pilot)
    pilot.app.push_screen(FixedUndoScreen(migration(PLAN)))
    screen = pilot.app.screen
    await _wait(pilot, lambda: screen.preview is not None and screen.focused is screen.confirm.input,
                "the dry run and the confirmation field focused")


async def stakeholder(pilot: Any) -> None:
    await home(pilot)
    pilot.app.push_screen(stakeholder_screen())
    await _wait(pilot, lambda: bool(getattr(getattr(pilot.app.screen, "snapshot", None), "jobs", 0)), "the poll")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


DRIVERS: dict[str, Callable[[Any], Awaitable[None]]] = {"home": home, "undo": undo, "stakeholder": stakeholder}


def quiet_app() -> S3xrepApp:
    app = S3xrepApp()
    app.animation_level = "none"
    return app


async def home_shots(out: Path, home_dir: Path, shoot: Callable[..., Awaitable[Path]]) -> list[Path]:
    """Every picture of :data:`PICTURES` at the size being taken, from journals in a data dir of their own under
    ``home_dir``; ``shoot(app, out, name, drive)`` is screenshots' one way of taking a picture."""
    saved = os.environ.get("S3XREP_DATA_DIR")
    os.environ["S3XREP_DATA_DIR"] = str(home_dir / "home-screens-data")
    try:
        write_migrations()
        written = []
        for name in PICTURES:
            written.append(await shoot(quiet_app(), out, name, DRIVERS[name]))
            await asyncio.sleep(0)
        return written
    finally:  # the groups taken after these (the next size's) must not find these journals and open the home
        if saved is None:
            os.environ.pop("S3XREP_DATA_DIR", None)
        else:
            os.environ["S3XREP_DATA_DIR"] = saved
