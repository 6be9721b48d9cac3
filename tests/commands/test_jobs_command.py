"""``s3xrep jobs`` end to end: the sandbox's AWS config file, real profiles, real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.jobs import describe_job
from s3xrep_tui.cli import main
from tests.aws import test_jobs_support as support
from tests.aws.test_jobs_support import REGION, A, make_world, wait_for

PROFILE = "s3xrep-demo-source"


@pytest.fixture
def world(sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    return make_world(sandbox)


def jobs(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["jobs", "--profile", PROFILE, *args])
    out, err = capsys.readouterr()
    return code, out, err


def ended(world: Any, job_id: str) -> Any:
    return wait_for(lambda: (j := describe_job(world.clients, A, REGION, job_id)).terminal and j, 10.0)


def test_list_text_and_json(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = jobs(capsys)
    assert (code, err) == (0, "")
    assert out.strip() == f"Batch Operations jobs of account {A} in {REGION}: none"

    job_id = world.create_job(description="backfill demo")
    ended(world, job_id)
    code, out, err = jobs(capsys)
    assert code == 0 and err == ""
    _, columns, row = out.strip().splitlines()
    assert "JOB ID" in columns and "RATE" in columns and "ETA" in columns
    assert job_id in row and "Complete" in row and "3/3 100%" in row and "backfill demo" in row

    code, out, _ = jobs(capsys, "--json")
    document = json.loads(out)
    assert code == 0 and document["account_id"] == A and document["region"] == REGION
    (job,) = document["jobs"]
    assert job["job_id"] == job_id and job["outcome"] == "succeeded" and job["progress"]["succeeded"] == 3

    code, out, _ = jobs(capsys, "--json", "--status", "Active,Suspended")
    assert code == 0 and json.loads(out)["jobs"] == []


def test_show_a_successful_job(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = world.create_job()
    ended(world, job_id)
    code, out, err = jobs(capsys, "show", job_id)
    assert (code, err) == (0, "")
    assert f"Job {job_id}" in out and "Complete (succeeded)" in out
    assert "Report: 3 succeeded, 0 failed" in out and "Every task succeeded." in out
    code, out, _ = jobs(capsys, "show", job_id, "--json")  # options after the action word work too
    document = json.loads(out)
    assert code == 0 and document["job"]["status"] == "Complete"
    assert document["report"]["succeeded"] == 3 and document["report_error"] is None


def test_show_a_job_with_failed_tasks_exits_1_with_codes_and_fixes(sandbox: Any, world: Any,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    world.setup.s3b.delete_bucket_policy(Bucket=world.dst)
    job_id = world.create_job()
    ended(world, job_id)
    code, out, err = jobs(capsys, "show", job_id)
    assert code == 1 and err == ""
    assert "Complete (completed with failures)" in out
    assert "Report: 0 succeeded, 3 failed" in out
    assert "DstPutObjectNotPermitted  3 tasks" in out
    assert "fix: the destination bucket policy (or the role policy) does not allow s3:ReplicateObject" in out
    code, out, _ = jobs(capsys, "--json", "show", job_id)
    groups = json.loads(out)["report"]["groups"]
    assert code == 1 and [(g["code"], g["count"]) for g in groups] == [("DstPutObjectNotPermitted", 3)]
    assert "re-apply the plan's destination bucket policy" in groups[0]["fix"]


def test_show_a_failed_job(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    job_id = world.create_job(prefix="nothing-here/")
    ended(world, job_id)
    code, out, _ = jobs(capsys, "show", job_id)
    assert code == 1
    assert "Failed (failed)" in out and "ManifestGenerationNoKeysFound" in out and "fix:" in out
    assert "Report: none (no task ran)" in out


def test_confirm_priority_cancel(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    parked = world.create_job(confirm=True)
    wait_for(lambda: describe_job(world.clients, A, REGION, parked).status == "Suspended")
    code, out, _ = jobs(capsys, "show", parked)
    assert code == 0 and "awaiting confirmation" in out and f"s3xrep jobs confirm {parked}" in out

    code, out, err = jobs(capsys, "priority", parked, "42")
    assert (code, out.strip(), err) == (0, f"job {parked}: priority 42", "")
    code, out, _ = jobs(capsys, "confirm", parked, "--json")
    assert code == 0 and json.loads(out) == {"job_id": parked, "status": "Ready", "reason": "confirmed with s3xrep"}
    assert ended(world, parked).succeeded and ended(world, parked).priority == 42

    # an illegal transition is one line with its fix, exit 1
    code, out, err = jobs(capsys, "confirm", parked)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"s3xrep jobs: cannot confirm job {parked}")
    assert "(fix: only a Suspended job" in err

    other = world.create_job(confirm=True)
    code, out, _ = jobs(capsys, "cancel", other)
    assert code == 0 and out.startswith(f"job {other}: cancel requested, now Cancel")
    assert ended(world, other).status == "Cancelled"


def confirm_on_poll(world: Any, job_id: str, poll: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count list_jobs calls; confirm the parked job during poll number ``poll``."""
    import s3xrep_tui.aws.jobs as aws_jobs

    wait_for(lambda: describe_job(world.clients, A, REGION, job_id).status == "Suspended")
    real = aws_jobs.list_jobs
    polls: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        polls.append(1)
        answer = real(*args, **kwargs)
        if len(polls) == poll:
            aws_jobs.confirm_job(world.clients, A, REGION, job_id)
        return answer

    monkeypatch.setattr(aws_jobs, "list_jobs", counting)
    return polls


def test_watch_polls_until_every_job_has_ended(world: Any, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    job_id = world.create_job(confirm=True)
    polls = confirm_on_poll(world, job_id, 2, monkeypatch)
    code, out, err = jobs(capsys, "--watch", "--interval", "0.02", "--json")
    assert (code, err) == (0, "")
    snapshots = [json.loads(line) for line in out.strip().splitlines()]
    assert len(snapshots) == len(polls) >= 3
    assert [s["jobs"][0]["status"] for s in snapshots[:2]] == ["Suspended", "Suspended"]
    assert snapshots[-1]["jobs"][0]["status"] == "Complete"
    assert all("time" in s for s in snapshots)


def test_watch_exits_1_when_a_watched_job_fails(world: Any, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    world.setup.s3b.delete_bucket_policy(Bucket=world.dst)
    job_id = world.create_job(confirm=True)
    confirm_on_poll(world, job_id, 1, monkeypatch)
    code, out, _ = jobs(capsys, "--watch", "--interval", "0.02")
    assert code == 1
    assert out.startswith("-- ") and "Suspended" in out
    assert "Complete" in out.strip().splitlines()[-1]

    # a job that had already ended before the watch started does not make it fail
    code, out, _ = jobs(capsys, "--watch", "--interval", "0.02")
    assert code == 0 and out.count("-- ") == 1


def test_ctrl_c_during_watch_exits_130_quietly(world: Any, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import s3xrep_tui.commands.jobs as command

    world.create_job(confirm=True)  # never ends by itself

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(command.time, "sleep", interrupted)
    code, out, err = jobs(capsys, "--watch")
    assert code == 130 and err == ""
    assert "Batch Operations jobs" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["priority", "0d9f2b4e-aaaa-bbbb-cccc-123456789012", "high"], "priority 'high' is not an integer"),
        (["priority", "0d9f2b4e-aaaa-bbbb-cccc-123456789012", "-5"], "priority must be between"),
        (["--interval", "0", "--watch"], "interval must be between"),
        (["--status", "Running"], "unknown job status 'Running'"),
        (["show"], "the following arguments are required: JOB_ID"),
        (["show", "not a job id!"], "is not a job id"),
        (["--account-id", "12", "show", "x"], "is not 12 digits"),
        (["--watch", "show", "0d9f2b4e"], "--watch applies to the list"),
    ],
)
def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                              args: list[str], message: str) -> None:
    # rejected before any AWS call: no sandbox, no profile file
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    code, out, err = jobs(capsys, *args)
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_aws_errors_are_one_line_exit_1(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = jobs(capsys, "show", "0d9f2b4e-aaaa-bbbb-cccc-123456789012")
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "not found in account 111111111111, region us-east-1" in err and "90 days" in err
    code, _, err = jobs(capsys, "--region", "eu-west-1", "show", "0d9f2b4e-aaaa-bbbb-cccc-123456789012")
    assert code == 1 and "region eu-west-1" in err
    code, out, err = main(["jobs", "--profile", "no-such-profile"]), *capsys.readouterr()
    assert code == 2 and "no-such-profile" in err and "Traceback" not in err  # a bad argument


sandbox = support.sandbox  # the fixture: a fresh Sandbox per test
