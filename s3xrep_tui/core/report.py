"""The migration report: one page for a stakeholder, in Markdown or self-contained HTML.

Pure: :func:`build_report` takes what other modules already produce, as plain
data, and :func:`render_markdown` / :func:`render_html` turn the
:class:`MigrationReport` into text.

* ``entries``: the plan's apply journal (``aws.journal.read_journal(...).entries``):
  every write with its before/after documents, its ``done`` and ``undo`` entries.
* ``jobs``: one dict per Batch job the plan created::

      {"job_id", "account_id", "region",
       "detail": JobDetail.to_dict() or None,       # None: not found or not readable
       "report": ReportSummary.to_dict() or None,   # the completion report by failure code
       "report_error": str or None, "error": str or None,
       "missing": bool}                             # AWS no longer knows the job (90 days)

* ``verify`` / ``canary``: the newest result entries of ``aws.results``
  (``{"ts", "result": VerifyReport.as_dict() | CanaryResult.as_dict()}``) or None.

The status is one of ``complete``, ``in progress``, ``failed``, ``unknown``
(a job could not be read) or ``undone`` (the replication configuration was
rolled back), with the reasons. :attr:`MigrationReport.ok` is False when the
migration is not complete or the last verification found differences that matter.

Every value is escaped: HTML with ``html.escape``; Markdown with code spans
(fenced as long as needed) for names and backslash escapes for free text, so a
bucket tag holding ``<script>`` stays text in both.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .humanize import duration, size
from .humanize import rate_text as humane_rate

__all__ = [
    "AppliedDocument",
    "CanaryView",
    "Endpoint",
    "Failure",
    "JobView",
    "MigrationReport",
    "ReplicationScope",
    "VerifyView",
    "build_report",
    "render_html",
    "render_markdown",
]

STATUSES = ("complete", "in progress", "failed", "unknown", "undone")
UNDONE = frozenset({"restored", "deleted", "cancelled"})  # undo statuses that took a write back
FIRST_DIFFERENCES = 10
FIRST_EXPECTED = 5
_MISSING = ("missing", "delete-marker-missing")
_MISMATCHED = ("size-mismatch", "etag-mismatch", "kind-mismatch")
_REPLICATED = ("replicated", "delete-marker-replicated")


# ---------------------------------------------------------------------------------------- the model


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

    @property
    def had_before(self) -> bool:
        return self.before is not None

    @property
    def state(self) -> str:
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
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def complete(self) -> bool:
        return self.status == "complete"

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


# ---------------------------------------------------------------------------------------- building


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    if isinstance(text, datetime):
        value = text
    else:
        try:
            value = datetime.fromisoformat(str(text))
        except ValueError:
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _bucket_of(target: Any) -> str:
    text = str(target or "")
    return text.split(" ", 1)[1].split(" ", 1)[0] if text.startswith("bucket ") else ""


def _arn_bucket(arn: Any) -> str:
    text = str(arn or "")
    return text.split(":::", 1)[1].split("/", 1)[0] if ":::" in text else text


def _documents(entries: list[Mapping[str, Any]]) -> list[AppliedDocument]:
    done = {e["ref"] for e in entries if e.get("kind") == "done" and "ref" in e}
    undone = {e["ref"]: str(e.get("status") or "") for e in entries if e.get("kind") == "undo" and "ref" in e}
    return [
        AppliedDocument(
            step=str(e.get("step") or ""),
            call=str(e.get("call") or ""),
            side=str(e.get("account") or ""),
            account_id=str(e.get("account_id") or ""),
            target=str(e.get("target") or ""),
            ts=str(e.get("ts") or ""),
            before=e.get("before"),
            after=e.get("after"),
            applied=e.get("id") in done,
            undo=undone.get(e.get("id")),
        )
        for e in entries
        if e.get("kind") == "write"
    ]


def _our_rule(configuration: Any, destination_bucket: str) -> Mapping[str, Any] | None:
    if not isinstance(configuration, Mapping):
        return None
    rules = [r for r in configuration.get("Rules") or () if isinstance(r, Mapping)]
    to_destination = [r for r in rules if not destination_bucket
                      or _arn_bucket((r.get("Destination") or {}).get("Bucket")) == destination_bucket]
    ours = [r for r in to_destination if str(r.get("ID") or "").startswith("s3xrep")]
    chosen = ours or to_destination or rules
    return chosen[0] if chosen else None


def _scope(documents: list[AppliedDocument], destination_bucket: str) -> ReplicationScope | None:
    writes = [d for d in documents if d.call == "s3.put_bucket_replication" and d.applied and d.undo not in UNDONE]
    if not writes:
        writes = [d for d in documents if d.call == "s3.put_bucket_replication"]
    if not writes:
        return None
    configuration = writes[-1].after
    rule = _our_rule(configuration, destination_bucket)
    if rule is None:
        return None
    filter_ = rule.get("Filter") or {}
    both = filter_.get("And") or {}
    prefix = filter_.get("Prefix", both.get("Prefix", rule.get("Prefix")))
    tags = [filter_["Tag"]] if isinstance(filter_.get("Tag"), Mapping) else list(both.get("Tags") or ())
    destination = rule.get("Destination") or {}

    def status_of(value: Any) -> bool:
        return str((value or {}).get("Status") or "") == "Enabled"

    priority = rule.get("Priority")
    return ReplicationScope(
        rule_id=str(rule.get("ID") or ""),
        status=str(rule.get("Status") or ""),
        priority=int(priority) if isinstance(priority, int | float | str) and str(priority).isdigit() else None,
        prefix=None if prefix is None else str(prefix),
        tags=tuple((str(t.get("Key", "")), str(t.get("Value", ""))) for t in tags if isinstance(t, Mapping)),
        delete_markers=status_of(rule.get("DeleteMarkerReplication")),
        storage_class=destination.get("StorageClass") or None,
        replica_kms_key=(destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID") or None,
        kms_objects=status_of((rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects")),
        owner_override=(destination.get("AccessControlTranslation") or {}).get("Owner") == "Destination",
        destination_account=destination.get("Account") or None,
        rtc=status_of(destination.get("ReplicationTime")),
        metrics=status_of(destination.get("Metrics")),
        role=str(configuration.get("Role") or "") if isinstance(configuration, Mapping) else "",
        destination_bucket=_arn_bucket(destination.get("Bucket")),
    )


def _failure(item: Mapping[str, Any], count_key: str | None = "count", message_key: str = "message") -> Failure:
    return Failure(
        code=str(item.get("code") or ""),
        count=int(item.get(count_key) or 0) if count_key else None,
        fix=str(item.get("fix") or ""),
        meaning=str(item.get("meaning") or ""),
        message=str(item.get(message_key) or ""),
        examples=tuple(str(x) for x in item.get("examples") or ()),
    )


def _job(item: Mapping[str, Any]) -> JobView:
    job_id = str(item.get("job_id") or "")
    detail = item.get("detail")
    if not isinstance(detail, Mapping):
        return JobView(job_id=job_id, found=not item.get("missing"), error=str(item.get("error") or ""))
    progress = detail.get("progress") or {}
    report = item.get("report") if isinstance(item.get("report"), Mapping) else None
    note = str(item.get("report_error") or "")
    if report is None and not note:
        note = ("the completion report is written when the job ends" if not detail.get("terminal")
                else "no completion report (disabled, or no task ran)")
    location = detail.get("report") or {}
    where = ""
    if isinstance(location, Mapping) and location.get("enabled") and location.get("bucket"):
        prefix = str(location.get("prefix") or "").strip("/")
        where = f"s3://{location['bucket']}/{prefix + '/' if prefix else ''}job-{job_id}/"
    return JobView(
        job_id=job_id,
        status=str(detail.get("status") or ""),
        outcome=str(detail.get("outcome") or ""),
        description=str(detail.get("description") or ""),
        created=str(detail.get("created") or ""),
        ended=str(detail.get("terminated") or ""),
        total=int(progress.get("total") or 0),
        succeeded=int(progress.get("succeeded") or 0),
        failed=int(progress.get("failed") or 0),
        elapsed_active=int(progress.get("elapsed_active") or 0),
        duration=detail.get("elapsed_seconds"),
        rate=progress.get("rate"),
        status_reason=str(detail.get("status_reason") or ""),
        reasons=tuple(_failure(r, None, "reason") for r in detail.get("failure_reasons") or ()),
        failures=tuple(_failure(g) for g in (report or {}).get("groups") or ()),
        report_location=str((report or {}).get("location") or where),
        report_note=note if report is None else "",
    )


def _counts(result: Mapping[str, Any], names: Iterable[str]) -> int:
    counts = result.get("counts") or {}
    return sum(int(counts.get(name) or 0) for name in names)


def _verify(entry: Mapping[str, Any] | None) -> VerifyView | None:
    if not entry or not isinstance(entry.get("result"), Mapping):
        return None
    r = entry["result"]
    source, destination = r.get("source") or {}, r.get("destination") or {}
    return VerifyView(
        at=str(entry.get("ts") or ""),
        ok=bool(r.get("ok")),
        compared=int(r.get("compared") or 0),
        replicated=_counts(r, _REPLICATED),
        missing=_counts(r, _MISSING),
        mismatched=_counts(r, _MISMATCHED),
        mattering=int(r.get("differences_that_matter") or 0),
        expected=int(r.get("expected_differences") or 0),
        source_versions=int(source.get("versions") or 0),
        destination_versions=int(destination.get("versions") or 0),
        source_bytes=int(source.get("bytes") or 0),
        destination_bytes=int(destination.get("bytes") or 0),
        seconds=float(r.get("seconds") or 0.0),
        prefix=str(r.get("prefix") or ""),
        differences=tuple(r.get("differences") or ())[:FIRST_DIFFERENCES],
        expected_items=tuple(r.get("expected") or ())[:FIRST_EXPECTED],
        notes=tuple(str(n) for n in r.get("notes") or ()),
    )


def _canary(entry: Mapping[str, Any] | None) -> CanaryView | None:
    if not entry or not isinstance(entry.get("result"), Mapping):
        return None
    r = entry["result"]
    return CanaryView(
        at=str(entry.get("ts") or ""),
        ok=bool(r.get("ok")),
        status=str(r.get("status") or ""),
        seconds_to_replicate=r.get("seconds_to_replicate"),
        seconds=float(r.get("seconds") or 0.0),
        message=str(r.get("message") or ""),
        rule_id=str(r.get("rule_id") or ""),
        key=str(r.get("key") or ""),
        replication_status=str(r.get("replication_status") or ""),
        checks=tuple((str(c.get("name") or ""), bool(c.get("ok")), str(c.get("detail") or ""))
                     for c in r.get("checks") or () if isinstance(c, Mapping)),
        failure_code=str(r.get("failure_code") or ""),
        fix=str(r.get("fix") or ""),
    )


def _endpoints(plan_id: str, documents: list[AppliedDocument], scope: ReplicationScope | None,
               verify: Mapping[str, Any] | None, canary: Mapping[str, Any] | None,
               profiles: Mapping[str, str | None]) -> tuple[Endpoint, Endpoint]:
    found: dict[str, dict[str, str]] = {"source": {}, "destination": {}}
    for doc in documents:
        known_of_side = found.get(doc.side)
        if known_of_side is None:
            continue
        if doc.account_id:
            known_of_side.setdefault("account", doc.account_id)
        if _bucket_of(doc.target):
            known_of_side.setdefault("bucket", _bucket_of(doc.target))
    for doc in documents:  # the replication configuration sits on the source bucket, whatever came first
        if doc.call == "s3.put_bucket_replication" and _bucket_of(doc.target):
            found["source"]["bucket"] = _bucket_of(doc.target)
    if scope is not None and scope.destination_bucket:
        found["destination"].setdefault("bucket", scope.destination_bucket)
    if scope is not None and scope.destination_account:
        found["destination"].setdefault("account", scope.destination_account)
    result = (verify or {}).get("result") or {}
    for side in ("source", "destination"):
        known = result.get(side) or {}
        for key in ("bucket", "account", "region"):
            if known.get(key):
                found[side].setdefault(key, str(known[key]))
    canary_result = (canary or {}).get("result") or {}
    for side, key in (("source", "source_bucket"), ("destination", "destination_bucket")):
        if canary_result.get(key):
            found[side].setdefault("bucket", str(canary_result[key]))
    if "-to-" in plan_id:  # <source>-to-<destination>-<hash>: the last resort for a name
        head = plan_id.rsplit("-", 1)[0]
        found["source"].setdefault("bucket", head.split("-to-", 1)[0])
        found["destination"].setdefault("bucket", head.split("-to-", 1)[1])
    return tuple(  # type: ignore[return-value]
        Endpoint(bucket=found[side].get("bucket", "?"), account_id=found[side].get("account", ""),
                 region=found[side].get("region", ""), profile=profiles.get(side))
        for side in ("source", "destination")
    )


def _latest_per_target(documents: list[AppliedDocument]) -> list[AppliedDocument]:
    latest: dict[tuple[str, str, str], AppliedDocument] = {}
    for doc in documents:
        latest[(doc.side, doc.call, doc.target)] = doc
    return list(latest.values())


def _status(documents: list[AppliedDocument], jobs: list[JobView], verify: VerifyView | None,
            canary: CanaryView | None) -> tuple[str, list[str], list[str]]:
    reasons: dict[str, list[str]] = {status: [] for status in STATUSES}
    attention: list[str] = []
    if not documents:
        reasons["in progress"].append("nothing applied yet: the journal has no writes")
    if any(d.call == "s3.put_bucket_replication" and d.undo in UNDONE for d in _latest_per_target(documents)):
        reasons["undone"].append("the replication configuration was undone (s3xrep undo)")
    for doc in _latest_per_target(documents):
        if not doc.applied and doc.undo not in UNDONE:
            reasons["failed"].append(f"apply did not finish: {doc.call} on {doc.target} was sent but never confirmed")
    job_end: datetime | None = None
    for job in jobs:
        if not job.found:
            attention.append(f"Batch job {job.job_id} is no longer known to AWS (jobs disappear 90 days after they "
                             "end): its figures cannot be shown")
            continue
        if job.error:
            reasons["unknown"].append(f"Batch job {job.job_id} could not be read: {job.error}")
            continue
        ended = _when(job.ended)
        if ended is not None and (job_end is None or ended > job_end):
            job_end = ended
        if job.status == "Failed":
            why = f": {job.reasons[0].message or job.reasons[0].code}" if job.reasons else ""
            reasons["failed"].append(f"Batch job {job.job_id} failed{why}")
        elif job.status == "Cancelled":
            reasons["failed"].append(f"Batch job {job.job_id} was cancelled after {job.succeeded:,} of {job.total:,} "
                                     "tasks")
        elif job.status == "Complete" and job.failed:
            reasons["failed"].append(f"Batch job {job.job_id}: {job.failed:,} of {job.total:,} tasks failed")
        elif not job.terminal:
            done = f" ({job.succeeded + job.failed:,} of {job.total:,} tasks)" if job.total else ""
            reasons["in progress"].append(f"Batch job {job.job_id} is {job.outcome or job.status}{done}")
    if verify is None:
        attention.append("not verified yet: run s3xrep verify (the report shows its last result)")
    elif verify.mattering:
        at = _when(verify.at)
        if job_end is not None and at is not None and at < job_end:
            reasons["in progress"].append(f"the last verification ({verify.mattering:,} differences that matter) ran "
                                          "before the Batch job ended: run s3xrep verify again")
        else:
            reasons["failed"].append(f"verify found {verify.mattering:,} version(s) missing or mismatched")
    if canary is None:
        attention.append("no canary yet: run s3xrep canary to time live replication")
    elif not canary.ok:
        attention.append(f"the last canary did not replicate: {canary.status}"
                         + (f" ({canary.message})" if canary.message else ""))
    for status in ("undone", "failed", "unknown", "in progress"):
        if reasons[status]:
            return status, reasons[status] + [r for s in ("failed", "unknown", "in progress") if s != status
                                              for r in reasons[s]], attention
    return "complete", [], attention


def build_report(
    plan_id: str,
    entries: Iterable[Mapping[str, Any]],
    *,
    jobs: Iterable[Mapping[str, Any]] = (),
    verify: Mapping[str, Any] | None = None,
    canary: Mapping[str, Any] | None = None,
    profiles: Mapping[str, str | None] | None = None,
    generated_at: str = "",
    notes: Iterable[str] = (),
) -> MigrationReport:
    """The report of one plan from its journal entries, job dicts and latest verify/canary results."""
    entries = [e for e in entries if isinstance(e, Mapping)]
    documents = _documents(entries)
    destination_hint = next((_bucket_of(d.target) for d in documents if d.side == "destination"
                             and _bucket_of(d.target)), "")
    if not destination_hint and isinstance((verify or {}).get("result"), Mapping):
        destination_hint = str(((verify or {})["result"].get("destination") or {}).get("bucket") or "")
    scope = _scope(documents, destination_hint)
    source, destination = _endpoints(plan_id, documents, scope, verify, canary, profiles or {})
    job_views = [_job(j) for j in jobs]
    verify_view, canary_view = _verify(verify), _canary(canary)
    status, reasons, attention = _status(documents, job_views, verify_view, canary_view)
    regions = {"source": source.region, "destination": destination.region}
    for doc in entries:
        side = doc.get("account")
        if doc.get("kind") == "write" and side in regions and not regions[side] and doc.get("region"):
            regions[side] = str(doc["region"])
    source = Endpoint(source.bucket, source.account_id, regions["source"], source.profile)
    destination = Endpoint(destination.bucket, destination.account_id, regions["destination"], destination.profile)
    applied = [d.ts for d in documents if d.applied]
    ends = [e for e in (_when(j.ended) for j in job_views) if e is not None]
    return MigrationReport(
        plan_id=plan_id,
        generated_at=generated_at,
        source=source,
        destination=destination,
        status=status,
        reasons=tuple(reasons),
        attention=tuple(attention),
        first_write=min((d.ts for d in documents), default=""),
        last_applied=max(applied, default=""),
        job_end=max(ends).isoformat() if ends else "",
        scope=scope,
        documents=tuple(documents),
        jobs=tuple(job_views),
        verify=verify_view,
        canary=canary_view,
        notes=tuple(notes),
    )


# ---------------------------------------------------------------------------------------- shared text


def time_text(value: Any) -> str:
    """``2026-11-24 22:44:47 UTC``; the text as given when it is no time; ``-`` when empty."""
    moment = _when(value)
    if moment is None:
        return str(value) if value else "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration_text(seconds: float | None) -> str:
    return duration(seconds)


def rate_text(rate: float | None) -> str:
    return humane_rate(rate, "objects")


def bytes_text(n: int) -> str:
    return size(n, grouping=True)


def seconds_text(value: float | None) -> str:
    return "-" if value is None else f"{float(value):.2f}s"


def _endpoint_text(endpoint: Endpoint) -> list[tuple[str, bool]]:
    """(text, is_code) pieces: ``bucket`` (account ``id``, region, profile ``p``)."""
    pieces: list[tuple[str, bool]] = [(endpoint.bucket, True)]
    extra: list[tuple[str, bool]] = []
    if endpoint.account_id:
        extra += [("account ", False), (endpoint.account_id, True)]
    if endpoint.region:
        extra += [(", " if extra else "", False), (endpoint.region, False)]
    if endpoint.profile:
        extra += [(", profile " if extra else "profile ", False), (endpoint.profile, True)]
    if extra:
        pieces += [(" (", False), *extra, (")", False)]
    return pieces


def _job_figures(job: JobView) -> list[tuple[str, str]]:
    """One job's figures, the same rows in Markdown and HTML."""
    rows = [
        ("Objects", f"{job.total:,} total, {job.succeeded:,} succeeded, {job.failed:,} failed"),
        ("Created", time_text(job.created)),
        ("Ended", time_text(job.ended) if job.ended else "not yet"),
        ("Duration", f"{duration_text(job.duration)} (active {duration_text(job.elapsed_active)})"),
        ("Rate", rate_text(job.rate)),
    ]
    if job.status_reason:
        rows.append(("Reason", job.status_reason))
    return rows


def _verify_figures(v: VerifyView) -> list[tuple[str, str]]:
    """The verification's counts, the same rows in Markdown and HTML."""
    return [
        ("Compared", f"{v.compared:,}"),
        ("Replicated", f"{v.replicated:,}"),
        ("Missing", f"{v.missing:,}"),
        ("Mismatched", f"{v.mismatched:,}"),
        ("Expected differences", f"{v.expected:,}"),
        ("Source", f"{v.source_versions:,} ({bytes_text(v.source_bytes)})"),
        ("Destination", f"{v.destination_versions:,} ({bytes_text(v.destination_bytes)})"),
    ]


def _scope_rows(scope: ReplicationScope) -> list[tuple[str, list[tuple[str, bool]]]]:
    rows: list[tuple[str, list[tuple[str, bool]]]] = []
    rule = [(scope.rule_id, True), (f" ({scope.status or 'no status'}"
                                    + (f", priority {scope.priority})" if scope.priority is not None else ")"), False)]
    rows.append(("Rule", rule))
    what: list[tuple[str, bool]] = []
    if scope.prefix:
        what += [("keys under ", False), (scope.prefix, True)]
    for key, value in scope.tags:
        what += [(" and tagged " if what else "objects tagged ", False), (f"{key}={value}", True)]
    rows.append(("Scope", what or [("every object of the bucket", False)]))
    rows.append(("Delete markers", [("replicated" if scope.delete_markers else "not replicated", False)]))
    rows.append(("Storage class", [(scope.storage_class, True)] if scope.storage_class
                 else [("same as the source object", False)]))
    if scope.kms_objects:
        kms: list[tuple[str, bool]] = [("SSE-KMS objects replicated, re-encrypted with ", False),
                                       (scope.replica_kms_key or "?", True)]
    else:
        kms = [("SSE-KMS objects not replicated (SSE-S3 and unencrypted objects are)", False)]
    rows.append(("Encryption", kms))
    owner = ("replicas owned by the destination account" if scope.owner_override
             else "replicas keep the source's ownership settings (no owner override)")
    rows.append(("Ownership", [(owner, False)] + ([(" ", False), (scope.destination_account, True)]
                                                  if scope.destination_account and scope.owner_override else [])))
    rows.append(("Replication Time Control", [("on (15-minute SLA, metrics)" if scope.rtc else "off", False)]))
    if scope.role:
        rows.append(("Replication role", [(scope.role, True)]))
    return rows


def _document_json(value: Any) -> str:
    if isinstance(value, str):
        text = value
        try:
            value = json.loads(text)
        except ValueError:
            return text
    return json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False)


def _difference_text(item: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (str(item.get("outcome") or ""), str(item.get("key") or ""), str(item.get("version_id") or ""),
            str(item.get("reason") or ""))


def _status_word(report: MigrationReport) -> str:
    return report.status.upper() if report.status != "complete" else "complete"


# ---------------------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*<>\[\]|#!])|((?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md(text: Any) -> str:
    """Free text for Markdown: one line, punctuation that could mark up or open HTML escaped."""
    flat = re.sub(r"\s+", " ", str(text))
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), flat)


def code(text: Any) -> str:
    """A code span holding ``text`` literally (a longer fence when it holds backticks)."""
    flat = " ".join(str(text).split()) or " "
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or longest else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def _md_pieces(pieces: list[tuple[str, bool]]) -> str:
    return "".join(code(text) if is_code else md(text) for text, is_code in pieces)


def _md_fenced(text: str, info: str = "json") -> list[str]:
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", text, fence]


def _md_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(report: MigrationReport) -> str:
    """The report as GitHub-flavoured Markdown (tables, fenced JSON)."""
    out: list[str] = [f"# Migration report: {code(report.source.bucket)} → {code(report.destination.bucket)}", ""]
    out.append(f"**From** {_md_pieces(_endpoint_text(report.source))}  ")
    out.append(f"**To** {_md_pieces(_endpoint_text(report.destination))}  ")
    out.append(f"**Plan** {code(report.plan_id)}")
    out.append("")
    out.append(f"**Status: {md(_status_word(report))}**")
    out += [""] + [f"- {md(reason)}" for reason in report.reasons]
    if report.attention:
        out += [""] + [f"- note: {md(note)}" for note in report.attention]
    if report.reasons or report.attention:
        out.append("")
    out += ["## When", ""]
    out += _md_table(("Event", "Time"), [
        ("First write", md(time_text(report.first_write))),
        ("Last write confirmed", md(time_text(report.last_applied))),
        ("Batch job ended", md(time_text(report.job_end))),
        ("Verified", md(time_text(report.verify.at if report.verify else ""))),
        ("Canary", md(time_text(report.canary.at if report.canary else ""))),
        ("Report generated", md(time_text(report.generated_at))),
    ])
    out += ["", "## What is replicated where", ""]
    if report.scope is None:
        out.append("No replication configuration in the journal.")
    else:
        out += _md_table(("", "Setting"), [(md(label), _md_pieces(pieces)) for label, pieces in
                                           _scope_rows(report.scope)])
    out += ["", f"## Documents applied ({len(report.documents)})", ""]
    if not report.documents:
        out.append("Nothing was written.")
    for number, doc in enumerate(report.documents, start=1):
        out.append(f"### {number}. {code(doc.call)} on {code(doc.target)}")
        out.append("")
        account = f" {code(doc.account_id)}" if doc.account_id else ""
        before = ("a previous document existed (kept in the journal; undo restores it)" if doc.had_before
                  else "nothing existed before")
        out.append(f"{md(doc.side.capitalize())} account{account} · {md(time_text(doc.ts))} · {md(doc.state)} · "
                   f"{md(before)}")
        out.append("")
        if doc.after is not None:
            out += _md_fenced(_document_json(doc.after))
            out.append("")
    out += _md_jobs(report)
    out += _md_verify(report)
    out += _md_canary(report)
    if report.notes:
        out += ["## Notes", ""] + [f"- {md(note)}" for note in report.notes] + [""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _md_jobs(report: MigrationReport) -> list[str]:
    out = ["## Batch Replication job" + ("s" if len(report.jobs) > 1 else ""), ""]
    if not report.jobs:
        return out + ["No Batch Replication job was created (existing objects were not part of the plan).", ""]
    for job in report.jobs:
        if not job.found:
            out += [(f"Job {code(job.job_id)}: no longer found. AWS keeps jobs for 90 days after they end; "
                     "its figures are gone."), ""]
            continue
        if job.error:
            out += [f"Job {code(job.job_id)}: could not be read: {md(job.error)}", ""]
            continue
        out += [f"### Job {code(job.job_id)}: {md(job.status)} ({md(job.outcome)})", ""]
        out += _md_table(("", "Figure"), [(md(a), md(b)) for a, b in _job_figures(job)])
        out.append("")
        for reason in job.reasons:
            out.append(f"- job failure {code(reason.code)}: {md(reason.message)}" + (
                f". Fix: {md(reason.fix)}" if reason.fix else ""))
        if job.reasons:
            out.append("")
        if job.failures:
            out += ["Failed tasks by code:", ""]
            out += _md_table(("Code", "Tasks", "What it means", "Fix", "First keys"), [
                (code(f.code), f"{f.count or 0:,}", md(f.meaning), md(f.fix),
                 ", ".join(code(x) for x in f.examples[:3]) or "-")
                for f in job.failures
            ])
            out.append("")
        elif job.report_note:
            out += [f"Failures by code: {md(job.report_note)}.", ""]
        elif job.failed == 0:
            out += ["No task failed" + (f" (completion report: {code(job.report_location)})."
                                        if job.report_location else "."), ""]
    return out


def _md_verify(report: MigrationReport) -> list[str]:
    out = ["## Verify", ""]
    v = report.verify
    if v is None:
        return out + ["Not verified yet: run `s3xrep verify`.", ""]
    scope = f" under {code(v.prefix)}" if v.prefix else ""
    verdict = "OK, nothing missing or mismatched" if v.ok else "differences that matter"
    out += [f"{md(time_text(v.at))}{scope}: **{verdict}** ({v.compared:,} versions compared in {v.seconds:.1f}s)", ""]
    out += _md_table(("", "Versions"), _verify_figures(v))
    out.append("")
    for note in v.notes:
        out.append(f"- note: {md(note)}")
    if v.notes:
        out.append("")
    for title, items, total in (("First differences that matter", v.differences, v.mattering),
                                ("First expected differences", v.expected_items, v.expected)):
        if not items:
            continue
        out += [f"{title} ({len(items)} of {total:,}):", ""]
        out += _md_table(("Outcome", "Key", "Version", "Why"),
                         [(md(a), code(b), code(c), md(d)) for a, b, c, d in map(_difference_text, items)])
        out.append("")
    return out


def _md_canary(report: MigrationReport) -> list[str]:
    out = ["## Canary", ""]
    c = report.canary
    if c is None:
        return out + ["No canary yet: run `s3xrep canary`.", ""]
    head = (f"replicated in **{seconds_text(c.seconds_to_replicate)}**" if c.status == "replicated"
            else f"**{md(c.status)}**")
    out += [f"{md(time_text(c.at))}: {head}" + (" and the replica checks out" if c.ok else "")
            + (f" (rule {code(c.rule_id)})" if c.rule_id else ""), ""]
    if c.message and not c.ok:
        out += [md(c.message), ""]
    if c.checks:
        out += _md_table(("Check", "Result", "Detail"),
                         [(md(name), "ok" if ok else "FAILED", md(detail)) for name, ok, detail in c.checks])
        out.append("")
    if c.failure_code:
        out += [f"Failure code {code(c.failure_code)}.", ""]
    if c.fix:
        out += [f"Fix: {md(c.fix)}", ""]
    return out


# ---------------------------------------------------------------------------------------- HTML

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328;
       max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.15rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; margin-top: 1.6rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: #f6f8fa; padding: 0 .25em; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f6f8fa; padding: .6rem; border-radius: 4px; overflow-x: auto; white-space: pre-wrap;
      overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: .4rem 0; }
th, td { border: 1px solid #d0d7de; padding: .2rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.meta { color: #57606a; }
.status { display: inline-block; padding: .15rem .6rem; border-radius: 1rem; font-weight: 600; }
.s-complete { background: #dafbe1; color: #116329; }
.s-in-progress, .s-unknown { background: #fff8c5; color: #7d4e00; }
.s-failed, .s-undone { background: #ffebe9; color: #a40e26; }
.ok { color: #116329; font-weight: 600; }
.bad { color: #a40e26; font-weight: 600; }
details { border: 1px solid #d0d7de; border-radius: 4px; padding: .3rem .6rem; margin: .4rem 0; }
summary { cursor: pointer; }
@media print {
  body { margin: 0; max-width: none; font-size: 11px; }
  h2 { break-after: avoid; }
  table, pre, details { break-inside: avoid; }
  .status { border: 1px solid currentColor; }
}
""".strip()


def e(value: Any) -> str:
    """Escape any value for HTML text or an attribute."""
    return html.escape(str(value), quote=True)


def _html_pieces(pieces: list[tuple[str, bool]]) -> str:
    return "".join(f"<code>{e(text)}</code>" if is_code else e(text) for text, is_code in pieces)


def _html_table(header: tuple[str, ...] | None, rows: list[tuple[str, ...]], numeric: tuple[int, ...] = ()) -> str:
    """Rows of already-escaped cells."""
    parts = ["<table>"]
    if header:
        parts.append("<tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            tag = "th" if header is None and i == 0 else "td"
            klass = ' class="n"' if i in numeric else ""
            cells.append(f"<{tag}{klass}>{cell}</{tag}>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    return "\n".join(parts)


def render_html(report: MigrationReport) -> str:
    """The report as one self-contained, printable HTML page (inline CSS, no script, no external asset)."""
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report.title)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        f"<h1>Migration report: <code>{e(report.source.bucket)}</code> → <code>{e(report.destination.bucket)}</code></h1>",
        (f'<p class="meta">From {_html_pieces(_endpoint_text(report.source))}<br>'
         f"To {_html_pieces(_endpoint_text(report.destination))}<br>"
         f"Plan <code>{e(report.plan_id)}</code></p>"),
        f'<p><span class="status s-{e(report.status.replace(" ", "-"))}">{e(_status_word(report))}</span></p>',
    ]
    if report.reasons:
        out.append("<ul>" + "".join(f"<li>{e(r)}</li>" for r in report.reasons) + "</ul>")
    if report.attention:
        out.append('<ul class="meta">' + "".join(f"<li>note: {e(r)}</li>" for r in report.attention) + "</ul>")
    out.append("<h2>When</h2>")
    out.append(_html_table(None, [
        ("First write", e(time_text(report.first_write))),
        ("Last write confirmed", e(time_text(report.last_applied))),
        ("Batch job ended", e(time_text(report.job_end))),
        ("Verified", e(time_text(report.verify.at if report.verify else ""))),
        ("Canary", e(time_text(report.canary.at if report.canary else ""))),
        ("Report generated", e(time_text(report.generated_at))),
    ]))
    out.append("<h2>What is replicated where</h2>")
    if report.scope is None:
        out.append("<p>No replication configuration in the journal.</p>")
    else:
        out.append(_html_table(None, [(e(label), _html_pieces(pieces)) for label, pieces in _scope_rows(report.scope)]))
    out.append(f"<h2>Documents applied ({len(report.documents)})</h2>")
    if not report.documents:
        out.append("<p>Nothing was written.</p>")
    for number, doc in enumerate(report.documents, start=1):
        before = ("a previous document existed (undo restores it)" if doc.had_before else "nothing existed before")
        out.append(
            f"<details><summary>{number}. <code>{e(doc.call)}</code> on <code>{e(doc.target)}</code> "
            f'<span class="meta">· {e(doc.side)} account {e(doc.account_id)} · {e(time_text(doc.ts))} · '
            f"{e(doc.state)} · {e(before)}</span></summary>"
        )
        if doc.had_before:
            out.append(f"<h3>Before</h3>\n<pre>{e(_document_json(doc.before))}</pre>")
        if doc.after is not None:
            out.append(f"<h3>After</h3>\n<pre>{e(_document_json(doc.after))}</pre>")
        out.append("</details>")
    out += _html_jobs(report)
    out += _html_verify(report)
    out += _html_canary(report)
    if report.notes:
        out.append("<h2>Notes</h2>\n<ul>" + "".join(f"<li>{e(n)}</li>" for n in report.notes) + "</ul>")
    out += [f'<p class="meta">Generated by s3xrep on {e(time_text(report.generated_at))}.</p>', "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _html_jobs(report: MigrationReport) -> list[str]:
    out = ["<h2>Batch Replication job" + ("s" if len(report.jobs) > 1 else "") + "</h2>"]
    if not report.jobs:
        return out + ["<p>No Batch Replication job was created (existing objects were not part of the plan).</p>"]
    for job in report.jobs:
        if not job.found:
            out.append(f"<p>Job <code>{e(job.job_id)}</code>: no longer found. AWS keeps jobs for 90 days after they "
                       "end; its figures are gone.</p>")
            continue
        if job.error:
            out.append(f'<p>Job <code>{e(job.job_id)}</code>: <span class="bad">could not be read</span>: '
                       f"{e(job.error)}</p>")
            continue
        out.append(f"<h3>Job <code>{e(job.job_id)}</code>: {e(job.status)} ({e(job.outcome)})</h3>")
        out.append(_html_table(None, [(e(a), e(b)) for a, b in _job_figures(job)]))
        if job.reasons:
            out.append("<ul>" + "".join(
                f"<li>job failure <code>{e(r.code)}</code>: {e(r.message)}" + (f". Fix: {e(r.fix)}" if r.fix else "")
                + "</li>" for r in job.reasons) + "</ul>")
        if job.failures:
            out.append("<p>Failed tasks by code:</p>")
            out.append(_html_table(("Code", "Tasks", "What it means", "Fix", "First keys"), [
                (f"<code>{e(f.code)}</code>", f"{f.count or 0:,}", e(f.meaning), e(f.fix),
                 ", ".join(f"<code>{e(x)}</code>" for x in f.examples[:3]) or "-")
                for f in job.failures
            ], numeric=(1,)))
        elif job.report_note:
            out.append(f"<p>Failures by code: {e(job.report_note)}.</p>")
        elif job.failed == 0:
            where = f" (completion report: <code>{e(job.report_location)}</code>)" if job.report_location else ""
            out.append(f'<p class="ok">No task failed{where}.</p>')
    return out


def _html_verify(report: MigrationReport) -> list[str]:
    out = ["<h2>Verify</h2>"]
    v = report.verify
    if v is None:
        return out + ["<p>Not verified yet: run <code>s3xrep verify</code>.</p>"]
    scope = f" under <code>{e(v.prefix)}</code>" if v.prefix else ""
    verdict = ('<span class="ok">OK, nothing missing or mismatched</span>' if v.ok
               else '<span class="bad">differences that matter</span>')
    out.append(f"<p>{e(time_text(v.at))}{scope}: {verdict} ({v.compared:,} versions compared in {v.seconds:.1f}s)</p>")
    out.append(_html_table(None, [(e(a), e(b)) for a, b in _verify_figures(v)], numeric=(1,)))
    if v.notes:
        out.append('<ul class="meta">' + "".join(f"<li>note: {e(n)}</li>" for n in v.notes) + "</ul>")
    for title, items, total in (("First differences that matter", v.differences, v.mattering),
                                ("First expected differences", v.expected_items, v.expected)):
        if not items:
            continue
        out.append(f"<p>{e(title)} ({len(items)} of {total:,}):</p>")
        out.append(_html_table(("Outcome", "Key", "Version", "Why"), [
            (e(a), f"<code>{e(b)}</code>", f"<code>{e(c)}</code>", e(d)) for a, b, c, d in map(_difference_text, items)
        ]))
    return out


def _html_canary(report: MigrationReport) -> list[str]:
    out = ["<h2>Canary</h2>"]
    c = report.canary
    if c is None:
        return out + ["<p>No canary yet: run <code>s3xrep canary</code>.</p>"]
    head = (f"replicated in <strong>{e(seconds_text(c.seconds_to_replicate))}</strong>" if c.status == "replicated"
            else f'<span class="bad">{e(c.status)}</span>')
    rule = f" (rule <code>{e(c.rule_id)}</code>)" if c.rule_id else ""
    out.append(f"<p>{e(time_text(c.at))}: {head}{' and the replica checks out' if c.ok else ''}{rule}</p>")
    if c.message and not c.ok:
        out.append(f"<p>{e(c.message)}</p>")
    if c.checks:
        out.append(_html_table(("Check", "Result", "Detail"), [
            (e(name), '<span class="ok">ok</span>' if ok else '<span class="bad">FAILED</span>', e(detail))
            for name, ok, detail in c.checks
        ]))
    if c.failure_code:
        out.append(f"<p>Failure code <code>{e(c.failure_code)}</code>.</p>")
    if c.fix:
        out.append(f"<p>Fix: {e(c.fix)}</p>")
    return out
