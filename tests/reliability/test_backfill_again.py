"""Apply, undo, new objects, apply again: the second apply starts a NEW Batch job that backfills them.

The job's ``ClientRequestToken`` names one intended job: a retry of the same job
(an interrupted run) sends the same token, a new backfill a new one. Before the
fix the token was a hash of the request, so the second apply got the first,
already Complete, job back from S3, called it "created", and nothing written in
between was ever replicated. Driven end to end through the CLI on the sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import World, get_or_none
from tests.sandbox.helpers import wait_for

from .conftest import DST_PROFILE, SRC_PROFILE

TERMINAL = ("Complete", "Failed", "Cancelled")


def _apply(w: World, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[str, str | None]:
    argv = ["apply", "--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}",
            "--report-bucket", w.report, "--yes", *extra]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    found = re.search(r"Batch Replication job: (\S+)", out)
    return out, found.group(1) if found else None


def _finished(sandbox: Sandbox, job_id: str) -> dict[str, Any]:
    s3c = sandbox.clients(A)("s3control")
    job: dict[str, Any] = {}

    def ended() -> bool:
        job.update(s3c.describe_job(AccountId=A, JobId=job_id)["Job"])
        return job["Status"] in TERMINAL

    wait_for(ended, timeout=30, what=f"job {job_id} to end")
    return job


def _in_destination(w: World, key: str) -> bool:
    return get_or_none(lambda: w.accounts[B]("s3").head_object(Bucket=w.dst, Key=key), "404", "NoSuchKey") is not None


def _plan_id(out: str) -> str:
    return re.search(r"Plan id: (\S+)", out).group(1)  # type: ignore[union-attr]


def test_apply_undo_new_objects_apply_again_starts_a_new_job_that_replicates_them(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    w = world("again")
    out, first = _apply(w, capsys)
    assert first is not None and f"Batch Replication job {first} created" in out
    assert _finished(sandbox, first)["Status"] == "Complete"
    assert all(_in_destination(w, f"photos/{i}.jpg") for i in range(3))

    assert main(["undo", _plan_id(out), "--yes"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    w.assert_undone()
    for i in range(2):  # no replication rule now: these stay NONE
        w.s3a().put_object(Bucket=w.src, Key=f"later/{i}.txt", Body=b"later")
    assert not _in_destination(w, "later/0.txt")

    out, second = _apply(w, capsys)
    assert second is not None and second != first, out
    assert f"{first} ended" in out and "Complete" in out  # it says what became of the earlier job
    job = _finished(sandbox, second)
    assert job["Status"] == "Complete" and job["ProgressSummary"]["NumberOfTasksFailed"] == 0
    statuses = job["ManifestGenerator"]["S3JobManifestGenerator"]["Filter"]["ObjectReplicationStatuses"]
    assert sorted(statuses) == ["FAILED", "NONE"]
    wait_for(lambda: all(_in_destination(w, f"later/{i}.txt") for i in range(2)), timeout=30,
             what="the objects written between undo and the second apply to reach the destination")
    for i in range(2):
        head = w.s3a().head_object(Bucket=w.src, Key=f"later/{i}.txt")
        assert head.get("ReplicationStatus") == "COMPLETED"


def test_a_rerun_after_the_job_ended_makes_no_new_job_unless_asked_then_a_fresh_one(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    w = world("rerun")
    out, first = _apply(w, capsys)
    assert first is not None
    _finished(sandbox, first)

    out, again = _apply(w, capsys)  # the same plan run again: converges, no duplicate job
    assert again == first and len(w.jobs()) == 1
    assert f"{first} already ended (Complete" in out and "--backfill-again" in out

    out, fresh = _apply(w, capsys, "--backfill-again")
    assert fresh is not None and fresh != first and len(w.jobs()) == 2
    assert f"{first} ended" in out and f"Batch Replication job {fresh} created" in out
    # everything is COMPLETED already: the generated manifest is empty, and S3 fails such a job (0 tasks)
    job = _finished(sandbox, fresh)
    assert job["Status"] in TERMINAL and job["ProgressSummary"]["NumberOfTasksSucceeded"] == 0
