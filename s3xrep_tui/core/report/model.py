"""The report's model: what a migration report holds, as frozen dataclasses, and its constants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..estimate_model import Estimate

STATUSES = ("complete", "in progress", "failed", "unknown", "undone")
UNDONE = frozenset({"restored", "deleted", "cancelled"})  # undo statuses that took a write back
FINISHED = "finished"  # the status once s3xrep finish recorded the end (not one _status gives: it comes after)
FIRST_DIFFERENCES = 10
FIRST_EXPECTED = 5
_MISSING = ("missing", "delete-marker-missing")
_MISMATCHED = ("size-mismatch", "etag-mismatch", "kind-mismatch")
_REPLICATED = ("replicated", "delete-marker-replicated")


@dataclass(frozen=True)
class Endpoint:
    bucket: str
    account_id: str = ""
    region: str = ""
    profile: str | None = None


@dataclass(frozen=True)
class AppliedDocument:
    """One write of the journal: what was there before, what apply wrote, and what became of it."""

    step: str
    call: str
    side: str  # source | destination
    account_id: str
    target: str
    ts: str
    before: Any
    after: Any
    applied: bool  # a done entry confirms it
    undo: str | None = None  # the last undo status for it (restored, deleted, failed, ...)
    finished: str | None = None  # what s3xrep finish did about it (same words; "note": it stays)

    @property
    def had_before(self) -> bool:
        return self.before is not None

    @property
    def state(self) -> str:
        if self.finished in UNDONE:
            return "removed by finish"
        if self.finished == "note":
            return "kept by finish"
        if self.undo in UNDONE:
            return f"undone ({self.undo})"
        if not self.applied:
            return "sent, never confirmed"
        return "applied"


@dataclass(frozen=True)
class ReplicationScope:
    """Our rule of the source's replication configuration, as applied."""

    rule_id: str
    status: str = ""
    priority: int | None = None
    prefix: str | None = None  # None: no prefix in the filter
    tags: tuple[tuple[str, str], ...] = ()
    delete_markers: bool = False
    storage_class: str | None = None  # None: same as the source object
    replica_kms_key: str | None = None
    kms_objects: bool = False  # SourceSelectionCriteria.SseKmsEncryptedObjects
    owner_override: bool = False
    destination_account: str | None = None
    rtc: bool = False
    metrics: bool = False
    role: str = ""
    destination_bucket: str = ""


@dataclass(frozen=True)
class Failure:
    """Failed tasks (or a job-level failure reason) sharing a code, with the fix."""

    code: str
    count: int | None
    fix: str = ""
    meaning: str = ""
    message: str = ""
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobView:
    job_id: str
    found: bool = True  # False: AWS no longer knows it
    error: str = ""  # it could not be read
    status: str = ""
    outcome: str = ""
    description: str = ""
    created: str = ""
    ended: str = ""
    total: int = 0
    succeeded: int = 0
    failed: int = 0
    elapsed_active: int = 0
    duration: float | None = None  # seconds from creation to end (or now)
    rate: float | None = None  # tasks per second while active
    status_reason: str = ""
    reasons: tuple[Failure, ...] = ()  # job-level FailureReasons
    failures: tuple[Failure, ...] = ()  # failed tasks by code, from the completion report
    report_location: str = ""
    report_note: str = ""  # why the failures by code are not shown

    @property
    def terminal(self) -> bool:
        return self.status in ("Complete", "Failed", "Cancelled")


@dataclass(frozen=True)
class VerifyView:
    at: str
    ok: bool
    compared: int
    replicated: int
    missing: int
    mismatched: int
    mattering: int
    expected: int
    source_versions: int = 0
    destination_versions: int = 0
    source_bytes: int = 0
    destination_bytes: int = 0
    seconds: float = 0.0
    prefix: str = ""
    differences: tuple[Mapping[str, Any], ...] = ()
    expected_items: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CanaryView:
    at: str
    ok: bool
    status: str
    seconds_to_replicate: float | None = None
    seconds: float = 0.0
    message: str = ""
    rule_id: str = ""
    key: str = ""
    replication_status: str = ""
    checks: tuple[tuple[str, bool, str], ...] = ()
    failure_code: str = ""
    fix: str = ""


@dataclass(frozen=True)
class FinishView:
    """The journal's record of ``s3xrep finish``: when, and each element's fate (element, account, action, why)."""

    at: str
    rows: tuple[tuple[str, str, str, str], ...] = ()
    cut_over_at: str = ""  # the cut-over record's time; "" when finished with --not-cut-over

    def of(self, *actions: str) -> tuple[tuple[str, str, str, str], ...]:
        return tuple(row for row in self.rows if row[2] in actions)


@dataclass(frozen=True)
class MigrationReport:
    plan_id: str
    generated_at: str
    source: Endpoint
    destination: Endpoint
    status: str
    reasons: tuple[str, ...] = ()  # why the status is what it is
    attention: tuple[str, ...] = ()  # what a reader should know that does not change the status
    first_write: str = ""
    last_applied: str = ""
    job_end: str = ""
    scope: ReplicationScope | None = None
    documents: tuple[AppliedDocument, ...] = ()
    jobs: tuple[JobView, ...] = ()
    verify: VerifyView | None = None
    canary: CanaryView | None = None
    finish: FinishView | None = None  # set once finished: the report is then the final migration record
    notes: tuple[str, ...] = field(default_factory=tuple)
    estimate: Estimate | None = None  # the cost and time estimate made with the plan, before apply
    estimate_at: str = ""

    @property
    def complete(self) -> bool:
        return self.status in ("complete", FINISHED)

    @property
    def verify_differences(self) -> int:
        return self.verify.mattering if self.verify is not None else 0

    @property
    def ok(self) -> bool:
        """Complete, and the last verification (if any) found nothing that matters."""
        return self.complete and self.verify_differences == 0

    @property
    def title(self) -> str:
        return f"Migration report: {self.source.bucket} → {self.destination.bucket}"
