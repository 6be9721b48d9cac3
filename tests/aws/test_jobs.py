"""aws.jobs against the sandbox over HTTP: list, describe, confirm, cancel, priority, errors with fixes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.jobs import (
    JobDetail,
    JobSummary,
    Progress,
    cancel_job,
    confirm_job,
    describe_job,
    list_jobs,
    set_priority,
)
from s3xrep_tui.core.failure_codes import fix_for

from . import test_jobs_support as support
from .test_jobs_support import REGION, A, clients_of, make_world, wait_for


def wait_status(world: Any, job_id: str, *statuses: str, timeout: float = 10.0) -> JobDetail:
    return wait_for(
        lambda: (job := describe_job(world.clients, A, REGION, job_id)).status in statuses and job,
        timeout, what=f"job {job_id} in {statuses}",
    )


def wait_terminal(world: Any, job_id: str) -> JobDetail:
    return wait_for(lambda: (job := describe_job(world.clients, A, REGION, job_id)).terminal and job,
                    10.0, what=f"job {job_id} to end")


# ---------------------------------------------------------------------------------------- pure


def test_progress_rate_eta_and_fraction() -> None:
    progress = Progress(total=1000, succeeded=380, failed=20, elapsed_active=40)
    assert (progress.done, progress.remaining, progress.fraction) == (400, 600, 0.4)
    assert progress.rate == 10.0
    assert progress.eta_seconds == 60.0
    assert Progress(total=10, elapsed_active=0).rate is None  # nothing ran yet
    assert Progress(total=0, succeeded=0).fraction is None  # total unknown before Preparing ends
    running = JobSummary("j", "Active", progress=progress)
    assert running.eta_seconds == 60.0 and running.outcome == "running"
    assert JobSummary("j", "Complete", progress=progress).eta_seconds is None
    assert JobSummary("j", "Complete", progress=progress).outcome == "completed with failures"
    assert JobSummary("j", "Complete", progress=Progress(3, 3, 0)).succeeded
    # snapshots compare by value: a poller updates a row only when something changed
    assert JobSummary("j", "Active", progress=progress) == JobSummary("j", "Active", progress=progress)
    assert JobSummary("j", "Active", progress=progress) != JobSummary("j", "Active", progress=Progress(1000, 381, 20, 40))
    assert hash(running) == hash(JobSummary("j", "Active", progress=progress))


# ---------------------------------------------------------------------------------------- happy path


def test_a_job_lists_describes_and_completes_with_every_task_succeeded(sandbox: Any) -> None:
    world = make_world(sandbox)
    job_id = world.create_job(description="backfill src->dst")
    listed = {job.job_id: job for job in list_jobs(world.clients, A, REGION)}
    assert job_id in listed
    summary = listed[job_id]
    assert summary.operation == "S3ReplicateObject" and summary.description == "backfill src->dst"
    assert summary.priority == 10 and summary.created is not None
    assert summary.key == (A, REGION, job_id)

    job = wait_terminal(world, job_id)
    assert job.status == "Complete" and job.succeeded and not job.has_failures
    assert job.progress.total == job.progress.succeeded == 3
    assert job.progress.failed == 0
    assert job.terminated is not None and job.eta_seconds is None
    assert job.role_arn == world.batch_role_arn
    assert job.report is not None and job.report.bucket == world.report
    assert job.report.manifest_key(job_id) == f"s3xrep/batch-reports/job-{job_id}/manifest.json"
    assert job.manifest == f"generated from bucket {world.src}"
    assert job.failure_reasons == ()
    # the detail's summary is what the list says once the job has ended
    ended = next(j for j in list_jobs(world.clients, A, REGION, ["Complete"]) if j.job_id == job_id)
    assert ended == job.summary
    data = job.to_dict()
    assert data["outcome"] == "succeeded" and data["progress"]["fraction"] == 1.0
    assert data["created"].startswith("20")


def test_rate_and_eta_while_active(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world(sandbox, keys=tuple(f"k{i:02d}" for i in range(24)))
    # 6 s of Active time: a second of it is seen, then cancelled, long before the last task even on a loaded machine
    monkeypatch.setattr(sandbox.batch, "task_rate", 4.0)
    job_id = world.create_job()
    running = wait_for(
        lambda: (job := describe_job(world.clients, A, REGION, job_id)).status == "Active"
        and job.progress.elapsed_active >= 1 and job.progress.done and job,
        30.0, what="a second of Active time",
    )
    assert running.rate is not None and running.rate > 0
    assert running.eta_seconds is not None and running.eta_seconds >= 0
    assert running.eta_seconds == pytest.approx(running.progress.remaining / running.rate)
    cancel_job(world.clients, A, REGION, job_id)
    ended = wait_terminal(world, job_id)
    assert ended.status == "Cancelled" and ended.progress.done < ended.progress.total


def test_confirmation_required_parks_the_job_until_confirmed(sandbox: Any) -> None:
    world = make_world(sandbox)
    job_id = world.create_job(confirm=True)
    job = wait_status(world, job_id, "Suspended")
    assert job.confirmation_required and job.suspended_cause
    assert job.outcome == "awaiting confirmation" and job.eta_seconds is None
    change = confirm_job(world.clients, A, REGION, job_id)
    assert change.job_id == job_id and change.status == "Ready"
    assert wait_terminal(world, job_id).succeeded
    # confirming again is an illegal transition: an AwsError with a fix, not a ClientError
    with pytest.raises(AwsError) as exc:
        confirm_job(world.clients, A, REGION, job_id)
    assert exc.value.code == "JobStatusException"
    assert "cannot confirm" in exc.value.message and "Suspended" in exc.value.fix


def test_cancel_then_cancel_again(sandbox: Any) -> None:
    world = make_world(sandbox)
    job_id = world.create_job(confirm=True)
    wait_status(world, job_id, "Suspended")
    change = cancel_job(world.clients, A, REGION, job_id, reason="wrong bucket")
    assert change.status in ("Cancelling", "Cancelled")
    job = wait_status(world, job_id, "Cancelled")
    assert job.terminal and job.outcome == "cancelled" and job.status_reason == "wrong bucket"
    with pytest.raises(AwsError) as exc:
        cancel_job(world.clients, A, REGION, job_id)
    assert exc.value.code == "JobStatusException"
    assert "cannot cancel" in exc.value.message and "final" in exc.value.fix


def test_set_priority(sandbox: Any) -> None:
    world = make_world(sandbox)
    job_id = world.create_job(confirm=True, priority=3)
    wait_status(world, job_id, "Suspended")
    assert set_priority(world.clients, A, REGION, job_id, 77) == 77
    assert describe_job(world.clients, A, REGION, job_id).priority == 77
    assert next(j for j in list_jobs(world.clients, A, REGION) if j.job_id == job_id).priority == 77
    with pytest.raises(AwsError) as exc:
        set_priority(world.clients, A, REGION, job_id, -1)
    assert exc.value.code == "InvalidPriority"
    cancel_job(world.clients, A, REGION, job_id)


def test_list_follows_next_token_and_filters(sandbox: Any) -> None:
    world = make_world(sandbox)
    ids = [world.create_job(confirm=True, description=f"job {i}") for i in range(3)]
    for job_id in ids:
        wait_status(world, job_id, "Suspended")
    paged = list_jobs(world.clients, A, REGION, ["Suspended"], page_size=1)  # three pages
    assert sorted(j.job_id for j in paged) == sorted(ids)
    assert all(j.status == "Suspended" for j in paged)
    assert list_jobs(world.clients, A, REGION, ["Complete"]) == []
    assert list_jobs(world.clients, A, REGION, operation="S3PutObjectTagging") == []
    assert list_jobs(world.clients, A, "eu-west-1") == []  # jobs are regional
    for job_id in ids:
        cancel_job(world.clients, A, REGION, job_id)


# ---------------------------------------------------------------------------------------- errors


def test_unknown_job_is_not_found_with_a_fix(sandbox: Any) -> None:
    world = make_world(sandbox)
    with pytest.raises(AwsError) as exc:
        describe_job(world.clients, A, REGION, str(uuid.uuid4()))
    assert exc.value.code == "NotFound"
    assert "not found in account 111111111111, region us-east-1" in exc.value.message
    assert "90 days" in exc.value.fix and "source bucket's region" in exc.value.fix

    job_id = world.create_job(confirm=True)
    with pytest.raises(AwsError) as exc:  # asked in the wrong region
        describe_job(world.clients, A, "eu-west-1", job_id)
    assert exc.value.code == "NotFound" and "eu-west-1" in exc.value.message
    for call in (lambda: cancel_job(world.clients, A, "eu-west-1", job_id),
                 lambda: set_priority(world.clients, A, "eu-west-1", job_id, 1)):
        with pytest.raises(AwsError) as exc:
            call()
        assert exc.value.code == "NotFound"
    cancel_job(world.clients, A, REGION, job_id)


def test_another_accounts_jobs_are_access_denied(sandbox: Any) -> None:
    world = make_world(sandbox)
    job_id = world.create_job(confirm=True)
    other = clients_of(sandbox, "222222222222")
    with pytest.raises(AwsError) as exc:
        describe_job(other, A, REGION, job_id)
    assert exc.value.code == "AccessDenied" and "s3:DescribeJob" in exc.value.message
    cancel_job(world.clients, A, REGION, job_id)


def test_not_found_right_after_creation_is_retried(sandbox: Any) -> None:
    """Registration lag can't happen in the sandbox: the first two DescribeJob calls get the 404 that
    the sandbox itself answers for an unknown job; later calls reach the job."""
    world = make_world(sandbox)
    job_id = world.create_job(confirm=True)
    s3control = world.clients("s3control", REGION)
    unknown = str(uuid.uuid4())
    calls = {"lagging": 2}

    def lag(params: dict[str, Any], **_: Any) -> None:
        if calls["lagging"] > 0:  # ask the sandbox for a job it doesn't have: its real NotFound answer
            calls["lagging"] -= 1
            for field in ("url_path", "url"):
                if field in params:
                    params[field] = params[field].replace(job_id, unknown)

    s3control.meta.events.register("before-call.s3-control.DescribeJob", lag)
    try:
        job = describe_job(world.clients, A, REGION, job_id, not_found_grace=5.0)
        assert job.job_id == job_id and calls["lagging"] == 0
        calls["lagging"] = 1
        with pytest.raises(AwsError) as exc:  # without grace the first NotFound is the answer
            describe_job(world.clients, A, REGION, job_id)
        assert exc.value.code == "NotFound"
    finally:
        s3control.meta.events.unregister("before-call.s3-control.DescribeJob", lag)
    cancel_job(world.clients, A, REGION, job_id)


def test_a_job_level_failure_carries_its_fix(sandbox: Any) -> None:
    world = make_world(sandbox)
    job_id = world.create_job(prefix="nothing-here/")
    job = wait_terminal(world, job_id)
    assert job.status == "Failed" and job.has_failures and job.outcome == "failed"
    (reason,) = job.failure_reasons
    assert reason.code == "ManifestGenerationNoKeysFound"
    assert "Manifest generation found no keys" in reason.reason
    assert "filter" in reason.fix and "GLACIER" in reason.fix
    assert reason.fix != fix_for("SomethingUnknown")


def test_report_location_without_report() -> None:
    job = JobDetail.from_api({"JobId": "j", "Status": "Active", "Operation": {"S3ReplicateObject": {}},
                              "Report": {"Enabled": False}})
    assert job.operation == "S3ReplicateObject"
    assert job.report is not None and not job.report.enabled


sandbox = support.sandbox  # the fixture: a fresh Sandbox per test
