"""aws.completion_reports: the header-less report CSV in every layout, the streamed summary, and real reports."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from s3xrep_tui.aws.completion_reports import (
    ReportRow,
    _lines,
    find_report,
    iter_rows,
    parse_row,
    read_report_summary,
    summarize,
)
from s3xrep_tui.aws.jobs import describe_job
from s3xrep_tui.core.failure_codes import fix_for

from . import test_jobs_support as support
from .test_jobs_support import REGION, A, make_world, wait_for

# AWS's sample rows: HTTP code before the error code (despite ReportSchema)
AWS_ORDER = '''\
src-bucket,photos/a.jpg,3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo,succeeded,200,,Successful
src-bucket,photos/b.jpg,Zr2mXN2BLpqP7Vk6VN5ZmEdbYXzhYvTj,failed,400,DstPutObjectNotPermitted,"Replication failed: the destination refused, see policy"
'''
# ReportSchema order: error code, then HTTP code
SCHEMA_ORDER = '''\
src-bucket,"docs/with,comma.txt",v1,failed,InitiateReplicationNotPermitted,403,"Access Denied"
src-bucket,docs/ok.txt,v2,succeeded,,200,Successful
'''
# an unversioned job: no version column
VERSIONLESS = '''\
src-bucket,logs/1.log,succeeded,200,,Successful
src-bucket,logs/2.log,failed,404,NoSuchKey,The specified key does not exist.
src-bucket,logs/3.log,failed,SrcObjectNotEligible,400,Not eligible
'''


def rows(text: str) -> list[ReportRow]:
    return list(iter_rows(io.StringIO(text)))


def test_aws_sample_order() -> None:
    ok, bad = rows(AWS_ORDER)
    assert ok == ReportRow("src-bucket", "photos/a.jpg", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
                           "succeeded", 200, "", "Successful")
    assert bad.failed and bad.http_status == 400 and bad.error_code == "DstPutObjectNotPermitted"
    assert bad.message == "Replication failed: the destination refused, see policy"
    assert bad.version_id == "Zr2mXN2BLpqP7Vk6VN5ZmEdbYXzhYvTj"


def test_report_schema_order_and_quoted_keys() -> None:
    bad, ok = rows(SCHEMA_ORDER)
    assert bad.key == "docs/with,comma.txt" and bad.version_id == "v1"
    assert (bad.http_status, bad.error_code, bad.message) == (403, "InitiateReplicationNotPermitted", "Access Denied")
    assert (ok.status, ok.http_status, ok.error_code) == ("succeeded", 200, "")


def test_rows_without_version_ids() -> None:
    ok, missing, ineligible = rows(VERSIONLESS)
    assert ok.version_id is None and ok.http_status == 200
    assert (missing.key, missing.version_id, missing.http_status, missing.error_code) == ("logs/2.log", None, 404, "NoSuchKey")
    assert (ineligible.http_status, ineligible.error_code) == (400, "SrcObjectNotEligible")


def test_odd_rows() -> None:
    assert parse_row([]) is None
    assert parse_row(["", "", ""]) is None
    assert parse_row(["b", "k"]) is None
    # an empty version column (an object written before versioning) is "no version"
    assert parse_row(["b", "k", "", "failed", "400", "InvalidRequest", "Task failed due to missing VersionId"]).version_id is None
    # a key that looks like a status stays the key
    row = parse_row(["b", "failed", "v9", "succeeded", "200", "", "Successful"])
    assert row is not None and row.key == "failed" and row.status == "succeeded" and row.version_id == "v9"
    # an unquoted message with commas is kept whole
    row = parse_row(["b", "k", "v", "failed", "500", "InternalError", "We encountered", " an internal error"])
    assert row is not None and row.message == "We encountered, an internal error"
    # no status column at all: the HTTP field still tells success from failure
    row = parse_row(["b", "k", "v", "503", "SlowDown", "Please reduce your request rate"])
    assert row is not None and row.failed and row.error_code == "SlowDown" and row.http_status == 503
    # CRLF line endings and a trailing blank line
    assert [r.key for r in rows("b,k1,succeeded,200,,ok\r\nb,k2,failed,400,X,no\r\n\r\n")] == ["k1", "k2"]


def test_summary_groups_by_code_with_fixes() -> None:
    summary = summarize(rows(AWS_ORDER + SCHEMA_ORDER + VERSIONLESS))
    assert (summary.succeeded, summary.failed, summary.total) == (3, 4, 7)
    codes = {g.code: g for g in summary.groups}
    assert set(codes) == {"DstPutObjectNotPermitted", "InitiateReplicationNotPermitted", "NoSuchKey",
                          "SrcObjectNotEligible"}
    group = codes["DstPutObjectNotPermitted"]
    assert group.count == 1 and group.http_statuses == (400,)
    assert group.examples == ("photos/b.jpg?versionId=Zr2mXN2BLpqP7Vk6VN5ZmEdbYXzhYvTj",)
    assert group.fix == fix_for("DstPutObjectNotPermitted")
    assert "s3:ReplicateObject" in group.fix and "destination bucket policy" in group.fix
    assert codes["NoSuchKey"].examples == ("logs/2.log",)
    assert summary.to_dict()["total"] == 7


def test_summary_streams_and_keeps_only_a_few_examples() -> None:
    consumed = {"n": 0}

    def many() -> Iterator[ReportRow]:
        for i in range(20_000):
            consumed["n"] += 1
            code = "DstPutObjectNotPermitted" if i % 4 else "SrcGetObjectNotPermitted"
            yield ReportRow("b", f"k{i}", None, "failed" if i % 2 else "succeeded", 400, code, "m")

    summary = summarize(many(), examples=3)
    assert consumed["n"] == 20_000
    assert (summary.succeeded, summary.failed) == (10_000, 10_000)
    (group,) = summary.groups  # only odd rows failed, all DstPutObjectNotPermitted
    assert group.count == 10_000 and group.examples == ("k1", "k3", "k5")


def test_lines_split_on_newline_only_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    from s3xrep_tui.aws import completion_reports as reports

    monkeypatch.setattr(reports, "_CHUNK", 7)
    text = 'b,"key\u2028with sep",v,failed,400,X,"multi\nline"\nb,k2,v,succeeded,200,,ok'
    parsed = list(iter_rows(_lines(io.BytesIO(text.encode()))))
    assert [(r.key, r.message) for r in parsed] == [("key\u2028with sep", "multi\nline"), ("k2", "ok")]


# ---------------------------------------------------------------------------------------- real reports


def wait_terminal(world: Any, job_id: str) -> Any:
    return wait_for(lambda: (job := describe_job(world.clients, A, REGION, job_id)).terminal and job,
                    10.0, what=f"job {job_id} to end")


def test_a_successful_job_report(sandbox: Any) -> None:
    world = make_world(sandbox)
    job = wait_terminal(world, world.create_job())
    manifest = find_report(world.clients, job)
    assert manifest is not None and manifest.format == "Report_CSV_20180820"
    assert [f.status for f in manifest.files] == ["succeeded"]
    summary = read_report_summary(world.clients, job)
    assert summary is not None
    assert (summary.succeeded, summary.failed, summary.groups, summary.warnings) == (3, 0, (), ())
    assert summary.location == f"s3://{world.report}/s3xrep/batch-reports/job-{job.job_id}/manifest.json"


def test_destination_policy_missing_groups_failures_as_dst_put_object_not_permitted(sandbox: Any) -> None:
    world = make_world(sandbox, dst_policy=False)
    job = wait_terminal(world, world.create_job())
    assert job.status == "Complete" and job.has_failures and job.progress.failed == 3
    summary = read_report_summary(world.clients, job, examples=2)
    assert summary is not None and (summary.succeeded, summary.failed) == (0, 3)
    (group,) = summary.groups
    assert group.code == "DstPutObjectNotPermitted" and group.count == 3 and len(group.examples) == 2
    assert group.http_statuses == (400,)
    assert group.fix == fix_for("DstPutObjectNotPermitted")
    assert "re-apply the plan's destination bucket policy" in group.fix


def test_batch_role_without_initiate_replication_failed_tasks_only(sandbox: Any) -> None:
    world = make_world(sandbox, initiate=False)
    job = wait_terminal(world, world.create_job(scope="FailedTasksOnly"))
    summary = read_report_summary(world.clients, job)
    assert summary is not None and summary.failed_only
    assert (summary.succeeded, summary.failed) == (0, 3)
    (group,) = summary.groups
    assert group.code == "InitiateReplicationNotPermitted"
    assert "s3:InitiateReplication" in group.fix
    assert {e.split("?")[0] for e in group.examples} == {"a.txt", "b.txt", "logs/c.txt"}


def test_no_report_when_no_task_ran(sandbox: Any) -> None:
    world = make_world(sandbox)
    job = wait_terminal(world, world.create_job(prefix="nothing-here/"))
    assert job.status == "Failed"
    assert find_report(world.clients, job) is None
    assert read_report_summary(world.clients, job) is None


sandbox = support.sandbox  # the fixture: a fresh Sandbox per test
