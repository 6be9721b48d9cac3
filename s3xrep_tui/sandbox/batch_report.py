"""The Batch Operations completion report (``Report_CSV_20180820``).

Layout, as AWS's documented examples show it::

    <Prefix>/job-<JobId>/manifest.json
    <Prefix>/job-<JobId>/results/<hash>.csv

``manifest.json`` lists the result files; the CSVs have no header and carry
``bucket,key,versionId,taskStatus,httpStatusCode,errorCode,"resultMessage"`` —
the HTTP code *before* the error code, as AWS's own sample rows do (the
``ReportSchema`` string says otherwise).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from s3xrep_tui.sandbox.batch_manifest import Task, put_object

REPORT_SCHEMA = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"


@dataclass(frozen=True)
class TaskResult:
    task: Task
    succeeded: bool
    http_status: int
    error_code: str
    message: str


def report_prefix(prefix: str | None, job_id: str) -> str:
    prefix = (prefix or "").strip("/")
    return f"{prefix}/job-{job_id}" if prefix else f"job-{job_id}"


def results_csv(results: Sequence[TaskResult]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for result in results:
        task = result.task
        writer.writerow(
            [
                task.bucket,
                task.key,
                task.version_id or "",
                "succeeded" if result.succeeded else "failed",
                str(result.http_status),
                result.error_code,
                result.message,
            ]
        )
    return out.getvalue().encode()


def write_report(
    bucket: str, prefix: str | None, job_id: str, results: Sequence[TaskResult], *, failed_only: bool
) -> list[str]:
    """Write the report through moto's backend; returns the keys written (nothing if no task ran)."""
    if not results:
        return []
    base = report_prefix(prefix, job_id)
    rows = [r for r in results if not (failed_only and r.succeeded)]
    entries = []
    written = []
    for status in ("succeeded", "failed"):
        group = [r for r in rows if r.succeeded == (status == "succeeded")]
        if not group:
            continue
        body = results_csv(group)
        digest = hashlib.sha1(f"{job_id}/{status}".encode() + body).hexdigest()
        key = f"{base}/results/{digest}.csv"
        put_object(bucket, key, body)
        written.append(key)
        entries.append(
            {
                "TaskExecutionStatus": status,
                "Bucket": bucket,
                "MD5Checksum": hashlib.md5(body).hexdigest(),
                "Key": key,
            }
        )
    manifest = {
        "Format": "Report_CSV_20180820",
        "ReportCreationDate": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "Results": entries,
        "ReportSchema": REPORT_SCHEMA,
    }
    key = f"{base}/manifest.json"
    put_object(bucket, key, json.dumps(manifest, indent=2).encode())
    written.insert(0, key)
    return written
