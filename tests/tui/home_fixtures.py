"""Fixed migrations for the pictures of the home, undo and stakeholder screens (tests and screenshots).

A journal written record by record with fixed times and ids (each record's
checksum computed as the journal computes it), results with fixed times, and
for the undo and stakeholder screens their AWS answers pinned: the undo
screen's worker posts a fixed dry run, the stakeholder view polls a backend
that returns fixed jobs. Their Pilot tests (test_home, test_undo_screen,
test_stakeholder) run on the real sandbox instead; these exist so two runs
draw the same picture.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from s3xrep_tui import storage
from s3xrep_tui.aws import results
from s3xrep_tui.aws.jobs import JobSummary, Progress
from s3xrep_tui.aws.journal import CHECKSUM, journal_path, record_checksum
from s3xrep_tui.aws.migrations import Migration, migration
from s3xrep_tui.aws.replication_status import ReplicationHealth
from s3xrep_tui.aws.reports import FailureGroup, ReportSummary
from s3xrep_tui.aws.undo import UndoItem, UndoResult
from s3xrep_tui.tui.messages_home import UndoAnswered
from s3xrep_tui.tui.screens.monitor import MonitorContext
from s3xrep_tui.tui.screens.stakeholder import StakeholderScreen
from s3xrep_tui.tui.screens.undo import UndoScreen

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

    def _undo_in_thread(self, run: int, dry_run: bool, read_only: bool) -> None:  # type: ignore[override]
        result = UndoResult(self.migration.plan_id, self.migration.journal_path, list(PREVIEW), dry_run=dry_run)
        self.post_message(UndoAnswered(run, dry_run, result))


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
