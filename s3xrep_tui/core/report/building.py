"""Building the report from the journal, the jobs and the latest verify and canary results (plain data in)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..estimate_model import estimate_from_dict
from .model import (
    _MISMATCHED,
    _MISSING,
    _REPLICATED,
    FINISHED,
    FIRST_DIFFERENCES,
    FIRST_EXPECTED,
    STATUSES,
    UNDONE,
    AppliedDocument,
    CanaryView,
    Endpoint,
    Failure,
    JobView,
    MigrationReport,
    ReplicationScope,
    VerifyView,
)
from .record import finish_view


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
    undone = {e["ref"]: str(e.get("status") or "") for e in entries
              if e.get("kind") == "undo" and "ref" in e and e.get("by") != "finish"}
    finished = {e["ref"]: str(e.get("status") or "") for e in entries
                if e.get("kind") == "undo" and "ref" in e and e.get("by") == "finish"}
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
            finished=finished.get(e.get("id")),
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
    estimate: Mapping[str, Any] | None = None,
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
    finish = finish_view(entries)
    if finish is not None:  # the final record: what was true when it ended stays worth reading
        status, reasons, attention = FINISHED, [], [*reasons, *attention]
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
        finish=finish,
        notes=tuple(notes),
        **_estimate(estimate),
    )


def _estimate(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """The report's estimate fields from the plan's newest ``estimate`` result entry (none: nothing)."""
    result = (entry or {}).get("result")
    if not isinstance(result, Mapping):
        return {}
    return {"estimate": estimate_from_dict(result), "estimate_at": str((entry or {}).get("ts") or "")}
