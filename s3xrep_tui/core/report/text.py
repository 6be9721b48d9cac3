"""Text both renderings share: times, durations, figures and rows, before any escaping."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from ..humanize import duration, size
from ..humanize import rate_text as humane_rate
from .building import _when
from .model import Endpoint, FinishView, JobView, MigrationReport, ReplicationScope, VerifyView


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


def finish_intro(finish: FinishView) -> str:
    """One sentence for the top of a finished migration's record."""
    cut = (f"cut over {time_text(finish.cut_over_at)}" if finish.cut_over_at
           else "finished without a cut-over record (--not-cut-over)")
    return (f"Finished {time_text(finish.at)}; {cut}. The replication plumbing is down; every object and every "
            "foreign rule and statement stays. This report is the final record of the migration.")


def finish_sections(finish: FinishView) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(title, [(element, account, why)]) for what was removed, what stays, and what could not be removed."""
    sections = [("What was removed", finish.of("removed", "gone")), ("What stays", finish.of("stays")),
                ("Not removed", finish.of("not removed", "failed"))]
    return [(title, [(e, a, w) for e, a, _, w in rows]) for title, rows in sections if rows or title != "Not removed"]
