"""``s3xrep --read-only CMD`` (the global flag) writes nothing, whatever the command, on the sandbox.

The flag sets the process's read-only mode, enforced where clients are built
(aws/clients.py), so commands without their own check (undo, jobs) refuse too;
"nothing written" is :func:`state` read back equal before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from s3xrep_tui.aws.read_only import process_read_only
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import World
from tests.sandbox.helpers import wait_for

from .conftest import DST_PROFILE, SRC_PROFILE, state


def _both(w: World) -> list[str]:
    return ["--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}"]


def test_global_read_only_apply_yes_writes_nothing_like_the_subcommand_flag(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("ro-cli-apply")
    before = state(sandbox)
    runs = {}
    for name, argv in {
        "global": ["--read-only", "apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1"],
        "subcommand": ["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1", "--read-only"],
    }.items():
        code = main(argv)
        out, err = capsys.readouterr()
        runs[name] = (code, [line for line in out.splitlines() if "FAILED" in line], err.splitlines())
        assert not process_read_only()  # the mode ends with the command
    code, failed, err = runs["global"]
    assert code == 1 and len(err) == 1 and err[0].startswith("s3xrep apply: step 01-put-bucket-versioning failed")
    assert failed and "read-only mode: refusing to send s3.put_bucket_versioning" in failed[0]
    assert runs["subcommand"] == runs["global"]
    assert state(sandbox) == before


def test_global_read_only_canary_puts_nothing(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("ro-cli-canary")
    assert w.apply().ok  # replication on: the canary would put (and delete) an object
    # the backfill's completion report lands in the report bucket when the job ends: let it, first
    wait_for(lambda: w.jobs() and all(j["Status"] in ("Complete", "Failed", "Cancelled") for j in w.jobs()),
             timeout=60, what="the backfill job to end")
    before = state(sandbox)
    code = main(["--read-only", "canary", *_both(w), "--timeout", "5"])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.strip().splitlines()) == 1 and "read-only" in err, err
    assert state(sandbox) == before


def test_global_read_only_reaches_commands_without_their_own_check(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """undo and jobs cancel never had a read-only check: the clients refuse their first write."""
    w = world("ro-cli-undo")
    assert main(["apply", *_both(w), "--report-bucket", w.report, "--yes", "--iam-wait", "0.1"]) == 0  # journaled
    out, _ = capsys.readouterr()
    said = dict(line.split(": ", 1) for line in out.splitlines() if line.startswith(("Plan id: ", "Batch Replication job: ")))
    plan_id, job_id = said["Plan id"], said["Batch Replication job"].split()[0]
    before = state(sandbox)
    code = main(["--read-only", "undo", plan_id, "--yes"])
    out, err = capsys.readouterr()
    assert code == 1 and "read-only: refused" in out, out + err
    code = main(["--read-only", "jobs", "--profile", SRC_PROFILE, "--region", "us-east-1", "--account-id", A,
                 "cancel", job_id])
    _, err = capsys.readouterr()
    assert code == 1 and len(err.strip().splitlines()) == 1 and "read-only: refused s3control:UpdateJobStatus" in err
    assert state(sandbox) == before
    # and reads still work under the flag
    code = main(["--read-only", "plan", *_both(w), "--report-bucket", w.report, "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and "refused" not in out + err, err
    assert state(sandbox) == before
