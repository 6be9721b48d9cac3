"""aws.job_memory: the jobs this app created, per plan, in a private file; and the apply journal's jobs."""

from __future__ import annotations

import json
import stat
import threading

import pytest

from s3xrep_tui.aws import job_memory
from s3xrep_tui.aws.journal import Journal
from tests.conftest import data_dir

PLAN = "acme-legacy-media-to-acme-platform-media-0123abcd"


def test_remember_list_forget_in_a_private_file() -> None:
    assert job_memory.remembered(PLAN) == []
    assert job_memory.remember(PLAN, "job-1", account_id="111111111111", region="us-east-1", description="backfill")
    assert not job_memory.remember(PLAN, "job-1")  # once
    assert job_memory.remember(PLAN, "job-2")
    assert [job.job_id for job in job_memory.remembered(PLAN)] == ["job-1", "job-2"]
    first = job_memory.remembered(PLAN)[0]
    assert (first.account_id, first.region, first.description, first.source) == (
        "111111111111", "us-east-1", "backfill", "app")
    path = job_memory.memory_path(PLAN)
    assert path == data_dir() / "jobs" / f"{PLAN}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["plan_id"] == PLAN
    assert job_memory.forget(PLAN, "job-1")
    assert not job_memory.forget(PLAN, "job-1")
    assert job_memory.remembered_ids(PLAN) == {"job-2"}
    assert job_memory.remembered_ids("another-plan") == set()  # per plan


def test_an_unreadable_memory_reads_as_empty_and_is_replaced() -> None:
    path = job_memory.memory_path(PLAN)
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    assert job_memory.remembered(PLAN) == []
    job_memory.remember(PLAN, "job-3")
    assert job_memory.remembered_ids(PLAN) == {"job-3"}


def test_plan_ids_must_be_safe_file_names() -> None:
    with pytest.raises(ValueError):
        job_memory.remember("../../etc/passwd", "job")
    with pytest.raises(ValueError):
        job_memory.remember(PLAN, "")


def test_concurrent_remembers_lose_nothing() -> None:
    threads = [threading.Thread(target=job_memory.remember, args=(PLAN, f"job-{n}")) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert job_memory.remembered_ids(PLAN) == {f"job-{n}" for n in range(20)}


def test_jobs_the_apply_journal_created_are_synced_in() -> None:
    journal = Journal(PLAN)
    write = journal.record("write", step="batch-job", call="s3control.create_job", account="source",
                           account_id="111111111111", profile=None, region="us-east-1", target="job",
                           before=None, after={"Description": "s3xrep: backfill"})
    journal.record("done", ref=write["id"], step="batch-job", call="s3control.create_job", result={"JobId": "job-9"})
    failed = journal.record("write", step="batch-job", call="s3control.create_job", account="source",
                            account_id="111111111111", profile=None, region="us-east-1", target="job",
                            before=None, after={})  # no done entry: the create failed
    assert failed["id"]
    other = journal.record("write", step="versioning", call="s3.put_bucket_versioning", account="source")
    journal.record("done", ref=other["id"], result={})
    found = job_memory.journal_jobs(PLAN)
    assert [(job.job_id, job.account_id, job.region, job.description, job.source) for job in found] == [
        ("job-9", "111111111111", "us-east-1", "s3xrep: backfill", "journal")]
    assert [job.job_id for job in job_memory.sync_from_journal(PLAN)] == ["job-9"]
    assert [job.job_id for job in job_memory.sync_from_journal(PLAN)] == ["job-9"]  # idempotent
    assert job_memory.journal_jobs("no-journal-plan") == []
