"""aws.migration_report: gathering a migration report (journal, jobs asked of AWS, recorded results) and writing it."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws import migration_report as gather
from s3xrep_tui.aws import results
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.core.report import render_markdown
from tests.core.test_report import JOB, PLAN, canary, journal, verify

NOW = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": 404}},
                       "DescribeJob")


class FakeS3Control:
    def __init__(self, answer: dict | Exception) -> None:
        self.answer = answer
        self.calls: list[dict] = []

    def describe_job(self, **kwargs: Any) -> dict:
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Job": self.answer}


class FakeClients:
    """What describe_job and read_report_summary use of Clients: a callable with a default region."""

    default_region = "us-east-1"

    def __init__(self, s3control: FakeS3Control) -> None:
        self.s3control = s3control
        self.regions: list[str | None] = []

    def __call__(self, service: str, region: str | None = None) -> Any:
        self.regions.append(region)
        assert service == "s3control", service
        return self.s3control


COMPLETE = {
    "JobId": JOB, "Status": "Complete", "Priority": 10, "Operation": {"S3ReplicateObject": {}},
    "ProgressSummary": {"TotalNumberOfTasks": 40, "NumberOfTasksSucceeded": 40, "NumberOfTasksFailed": 0,
                        "Timers": {"ElapsedTimeInActiveSeconds": 4}},
    "CreationTime": dt.datetime(2026, 11, 24, 10, 0, 10, tzinfo=dt.UTC),
    "TerminationDate": dt.datetime(2026, 11, 24, 10, 0, 20, tzinfo=dt.UTC),
    "Report": {"Enabled": False},
}


@pytest.fixture(autouse=True)
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def write_journal(plan: str = PLAN) -> Path:
    """The fixture journal, written as apply writes it (one line per entry)."""
    j = Journal(plan)
    for entry in journal():
        fields = {k: v for k, v in entry.items() if k not in ("ts", "plan_id", "run", "id", "kind")}
        if entry["kind"] == "done":  # refs point at the ids Journal gives
            fields["ref"] = f"{j.run}:{int(entry['ref'].rsplit(':', 1)[1])}"
        j.record(entry["kind"], **fields)
    return j.path


def test_gather_reads_the_job_with_the_journal_s_account_and_region_and_the_latest_results() -> None:
    write_journal()
    results.record_verify(PLAN, verify()["result"])
    results.record_canary(PLAN, canary()["result"])
    s3control = FakeS3Control(COMPLETE)
    clients = FakeClients(s3control)
    report = gather.gather_report(PLAN, clients=clients, now=NOW)  # type: ignore[arg-type]
    assert s3control.calls == [{"AccountId": "111111111111", "JobId": JOB}] and clients.regions == ["us-east-1"]
    assert report.status == "complete" and report.ok and report.generated_at == "2026-11-24T11:00:00+00:00"
    (job,) = report.jobs
    assert (job.total, job.succeeded, job.duration, job.rate) == (40, 40, 10.0, 10.0)
    assert job.report_note == "no completion report (disabled, or no task ran)"
    assert report.verify is not None and report.canary is not None
    assert report.source.profile == "prof-source"


def test_a_job_aws_no_longer_knows_is_reported_as_gone() -> None:
    write_journal()
    results.record_verify(PLAN, verify()["result"])
    clients = FakeClients(FakeS3Control(_error("NoSuchJob")))
    report = gather.gather_report(PLAN, clients=clients, now=NOW)  # type: ignore[arg-type]
    assert report.jobs[0].found is False and report.status == "complete"
    assert "no longer found. AWS keeps jobs for 90 days" in render_markdown(report)


def test_a_job_that_cannot_be_read_is_a_line_of_the_report_not_an_exception() -> None:
    write_journal()
    clients = FakeClients(FakeS3Control(_error("AccessDenied")))
    report = gather.gather_report(PLAN, clients=clients, now=NOW)  # type: ignore[arg-type]
    assert report.status == "unknown"
    assert "access denied to s3control.describe_job" in report.jobs[0].error


def test_without_clients_the_profile_of_the_journal_or_the_override_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    write_journal()
    opened: list[str | None] = []

    def clients_for(profile: str | None) -> FakeClients:
        opened.append(profile)
        return FakeClients(FakeS3Control(COMPLETE))

    monkeypatch.setattr("s3xrep_tui.aws.clients.clients_for", clients_for)
    gather.gather_report(PLAN)
    gather.gather_report(PLAN, source_profile="other")
    assert opened == ["prof-source", "other"]


def test_an_unknown_plan() -> None:
    with pytest.raises(gather.UnknownPlan, match="no plan 'nope'"):
        gather.gather_report("nope")
    with pytest.raises(gather.UnknownPlan, match="not a plan id"):
        gather.gather_report("../etc")


def test_report_files_are_0600_and_a_folder_outside_the_data_directory_is_left_alone(tmp_path: Path,
                                                                                      data: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    target = folder / "r.html"
    target.write_text("old")
    os.chmod(target, 0o644)
    assert gather.write_report_file(target, "<p>new</p>") == target
    assert target.read_text() == "<p>new</p>" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755 and [p.name for p in folder.iterdir()] == ["r.html"]
    inside = gather.write_report_file(gather.default_report_path(PLAN, "html"), "x")
    assert inside == data / "reports" / f"{PLAN}.html"
    assert stat.S_IMODE(inside.parent.stat().st_mode) == 0o700 and stat.S_IMODE(inside.stat().st_mode) == 0o600
