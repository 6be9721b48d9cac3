"""Batch Operations completion reports: find, stream, parse and summarise by failure code.

Layout (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-examples-reports.html)::

    s3://REPORT_BUCKET/<Prefix>/job-<JobId>/manifest.json
    s3://REPORT_BUCKET/<Prefix>/job-<JobId>/results/<hash>.csv

The CSVs have no header. ``ReportSchema`` says ``Bucket, Key, VersionId,
TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage`` but AWS's own sample
rows put the HTTP code *before* the error code, and versionless jobs leave the
version column out, so :func:`parse_row` locates the task status and the
3-digit HTTP field instead of trusting positions.

A report can list billions of tasks: rows are streamed from S3 line by line
and :func:`summarize` keeps counters plus the first few examples per code.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from typing import Any

from ..core.failure_codes import fix_for, meaning_for
from ..core.names import bucket_from_arn
from .clients import Clients
from .errors import AwsError, error_code, explain
from .identity import profile_of
from .jobs import JobDetail

__all__ = [
    "FailureGroup",
    "ReportFile",
    "ReportManifest",
    "ReportRow",
    "ReportSummary",
    "find_report",
    "iter_report_rows",
    "iter_rows",
    "parse_row",
    "read_report_summary",
    "summarize",
]

TASK_STATUSES = ("succeeded", "failed")
DEFAULT_EXAMPLES = 5
_CHUNK = 256 * 1024


@dataclass(frozen=True)
class ReportRow:
    """One task of the report."""

    bucket: str
    key: str
    version_id: str | None
    status: str  # succeeded | failed (lower case as AWS writes it)
    http_status: int | None
    error_code: str
    message: str

    @property
    def failed(self) -> bool:
        return self.status != "succeeded"


@dataclass(frozen=True)
class ReportFile:
    status: str  # TaskExecutionStatus: succeeded | failed
    bucket: str
    key: str
    md5: str = ""


@dataclass(frozen=True)
class ReportManifest:
    """``manifest.json`` of a completion report."""

    bucket: str
    key: str
    format: str
    schema: str
    created: str
    files: tuple[ReportFile, ...]


@dataclass(frozen=True)
class FailureGroup:
    """Failed tasks sharing an error code."""

    code: str
    count: int
    examples: tuple[str, ...]  # "key" or "key?versionId=..." of the first few
    http_statuses: tuple[int, ...]
    message: str  # the first result message seen for the code
    meaning: str
    fix: str


@dataclass(frozen=True)
class ReportSummary:
    succeeded: int
    failed: int
    groups: tuple[FailureGroup, ...]  # most frequent code first
    failed_only: bool = False  # the report lists failed tasks only (ReportScope FailedTasksOnly)
    location: str = ""  # s3://bucket/.../manifest.json
    files: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return self.succeeded + self.failed

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["total"] = self.total
        return data


# ---------------------------------------------------------------------------------------- parsing


def _is_http(cell: str) -> bool:
    return len(cell) == 3 and cell.isdigit() and cell[0] in "12345"


def parse_row(cells: list[str]) -> ReportRow | None:
    """One CSV row in any of the layouts seen in the wild; None for an empty or unreadable row.

    ``bucket,key,[versionId,]status,(http,errorCode|errorCode,http),message...``
    """
    cells = list(cells)
    if len(cells) < 3 or not any(c.strip() for c in cells):
        return None
    status_at = next((i for i in (2, 3) if i < len(cells) and cells[i].strip().lower() in TASK_STATUSES), None)
    if status_at is None:  # no recognisable status column: find the HTTP field anywhere after the key
        http_at = next((i for i in range(2, len(cells)) if _is_http(cells[i].strip())), None)
        if http_at is None:
            return None
        status_at = http_at - 1
        status = "succeeded" if cells[http_at].startswith("2") else "failed"
    else:
        status = cells[status_at].strip().lower()
    version = cells[2] if status_at == 3 else None
    rest = [c.strip() for c in cells[status_at + 1 :]]
    http: int | None = None
    code = ""
    message_from = 0
    if rest and _is_http(rest[0]):  # AWS's sample rows: http, code, message
        http, code, message_from = int(rest[0]), (rest[1] if len(rest) > 1 else ""), 2
    elif len(rest) > 1 and _is_http(rest[1]):  # ReportSchema order: code, http, message
        http, code, message_from = int(rest[1]), rest[0], 2
    elif rest:
        code, message_from = rest[0], 1
    message = ",".join(cells[status_at + 1 + message_from :]).strip()
    return ReportRow(
        bucket=cells[0],
        key=cells[1],
        version_id=version or None,
        status=status,
        http_status=http,
        error_code=code,
        message=message,
    )


def iter_rows(lines: Iterable[str]) -> Iterator[ReportRow]:
    """Parse header-less report CSV text (an iterable of lines, e.g. an open file)."""
    for cells in csv.reader(lines):
        row = parse_row(cells)
        if row is not None:
            yield row


def summarize(rows: Iterable[ReportRow], *, examples: int = DEFAULT_EXAMPLES, failed_only: bool = False,
              location: str = "", files: int = 0, warnings: Iterable[str] = ()) -> ReportSummary:
    """Counts and failures grouped by code, in one pass, keeping only ``examples`` keys per code."""
    succeeded = failed = 0
    counts: dict[str, int] = {}
    samples: dict[str, list[str]] = {}
    statuses: dict[str, set[int]] = {}
    messages: dict[str, str] = {}
    for row in rows:
        if not row.failed:
            succeeded += 1
            continue
        failed += 1
        code = row.error_code or (f"HTTP {row.http_status}" if row.http_status else "Unknown")
        counts[code] = counts.get(code, 0) + 1
        kept = samples.setdefault(code, [])
        if len(kept) < examples:
            kept.append(row.key + (f"?versionId={row.version_id}" if row.version_id else ""))
        if row.http_status is not None:
            statuses.setdefault(code, set()).add(row.http_status)
        if code not in messages and row.message:
            messages[code] = row.message
    groups = tuple(
        FailureGroup(
            code=code,
            count=count,
            examples=tuple(samples.get(code, ())),
            http_statuses=tuple(sorted(statuses.get(code, ()))),
            message=messages.get(code, ""),
            meaning=meaning_for(code),
            fix=fix_for(code),
        )
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )
    return ReportSummary(succeeded, failed, groups, failed_only, location, files, tuple(warnings))


# ---------------------------------------------------------------------------------------- S3


def _lines(body: Any, digest: Any = None) -> Iterator[str]:
    """UTF-8 lines of a streaming body, split on b"\\n" only (keys may hold other line breaks)."""
    pending = b""
    while True:
        chunk = body.read(_CHUNK)
        if not chunk:
            break
        if digest is not None:
            digest.update(chunk)
        pending += chunk
        *complete, pending = pending.split(b"\n")
        for line in complete:
            yield line.decode("utf-8", errors="replace") + "\n"
    if pending:
        yield pending.decode("utf-8", errors="replace")


def _s3_error(exc: BaseException, clients: Clients, what: str) -> AwsError:
    code = error_code(exc)
    if code in ("NoSuchKey", "404", "NotFound"):
        error = AwsError(
            f"{what}: the report is not there",
            "a report is written only when the job ends and at least one task ran; check the job's Report "
            "bucket and prefix",
            "ReportNotFound",
        )
        error.__cause__ = exc
        return error
    return explain(exc, profile=profile_of(clients), what=what)


def find_report(clients: Clients, job: JobDetail, *, region: str | None = None) -> ReportManifest | None:
    """The report's ``manifest.json``, or None when the job has no report (disabled, not ended,
    no task ran). Raises AwsError when it cannot be read (permissions, bucket gone)."""
    report = job.report
    if report is None or not report.enabled or not report.bucket:
        return None
    key = report.manifest_key(job.job_id)
    what = f"s3.get_object s3://{report.bucket}/{key}"
    kwargs: dict[str, Any] = {"Bucket": report.bucket, "Key": key}
    if report.expected_owner:
        kwargs["ExpectedBucketOwner"] = report.expected_owner
    s3 = clients("s3", region or job.region or None)
    try:
        body = s3.get_object(**kwargs)["Body"]
        try:
            document = json.loads(body.read())
        finally:
            body.close()
    except Exception as exc:
        if error_code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise _s3_error(exc, clients, what) from exc
    if not isinstance(document, dict):
        raise AwsError(f"{what}: not a report manifest", "check the report location of the job", "BadReport")
    files = tuple(
        ReportFile(
            status=str(item.get("TaskExecutionStatus") or "").lower(),
            bucket=bucket_from_arn(str(item.get("Bucket") or report.bucket)),
            key=str(item.get("Key") or ""),
            md5=str(item.get("MD5Checksum") or ""),
        )
        for item in document.get("Results") or ()
        if item.get("Key")
    )
    return ReportManifest(
        bucket=report.bucket,
        key=key,
        format=str(document.get("Format") or ""),
        schema=str(document.get("ReportSchema") or ""),
        created=str(document.get("ReportCreationDate") or ""),
        files=files,
    )


def iter_report_rows(clients: Clients, manifest: ReportManifest, *, region: str | None = None,
                     expected_owner: str | None = None, warnings: list[str] | None = None) -> Iterator[ReportRow]:
    """Stream every row of every result file (one line at a time; nothing is kept).

    When ``warnings`` is a list, a file whose MD5 differs from the manifest's adds a line to it.
    """
    s3 = clients("s3", region)
    for item in manifest.files:
        kwargs: dict[str, Any] = {"Bucket": item.bucket, "Key": item.key}
        if expected_owner:
            kwargs["ExpectedBucketOwner"] = expected_owner
        what = f"s3.get_object s3://{item.bucket}/{item.key}"
        try:
            body = s3.get_object(**kwargs)["Body"]
        except Exception as exc:
            raise _s3_error(exc, clients, what) from exc
        digest = hashlib.md5(usedforsecurity=False) if item.md5 else None
        try:
            yield from iter_rows(_lines(body, digest))
        except AwsError:
            raise
        except Exception as exc:
            raise _s3_error(exc, clients, what) from exc
        finally:
            body.close()
        if digest is not None and warnings is not None and digest.hexdigest() != item.md5.lower():
            warnings.append(f"s3://{item.bucket}/{item.key}: MD5 differs from the report manifest")


def read_report_summary(clients: Clients, job: JobDetail, *, region: str | None = None,
                        examples: int = DEFAULT_EXAMPLES) -> ReportSummary | None:
    """Find, stream and summarise the job's completion report; None when there is none (yet)."""
    region = region or job.region or None
    manifest = find_report(clients, job, region=region)
    if manifest is None:
        return None
    report = job.report
    owner = report.expected_owner if report else None
    warnings: list[str] = []
    rows = iter_report_rows(clients, manifest, region=region, expected_owner=owner, warnings=warnings)
    summary = summarize(
        rows,
        examples=examples,
        failed_only=bool(report and report.failed_only),
        location=f"s3://{manifest.bucket}/{manifest.key}",
        files=len(manifest.files),
    )
    if warnings:
        summary = replace(summary, warnings=tuple(warnings))
    return summary

