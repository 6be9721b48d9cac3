"""A damaged journal: undo verifies every record first and refuses, unless told which lines to go without.

After a real apply (through the CLI, on the sandbox) one middle line of the
journal is truncated or edited. Before the fix undo exited 0 after silently
skipping the bucket-policy restore, then deleted the roles that the destination
policy, still in place, grants. Now: the checksum per record finds the damage,
undo refuses (exit 3, naming the line) and changes nothing; ``--skip-record``
goes on, keeps every role a policy still names, and exits 1 because not
everything was restored. A dry run is a success when the dry run itself was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from s3xrep_tui.aws.journal import journal_path
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import World, foreign_policy
from tests.sandbox.helpers import wait_for

from .conftest import DST_PROFILE, SRC_PROFILE, state


def _apply(w: World, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["apply", "--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}",
            "--report-bucket", w.report, "--yes"]
    assert main(argv) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    # the job ends (and writes its report) before anything is compared
    wait_for(lambda: all(j["Status"] in ("Complete", "Failed", "Cancelled") for j in w.jobs()), timeout=30,
             what="the Batch job to end")
    return re.search(r"Plan id: (\S+)", out).group(1)  # type: ignore[union-attr]


def _line_of(path: Path, kind: str, call: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        entry = json.loads(line)
        if entry.get("kind") == kind and entry.get("call") == call:
            return number
    raise AssertionError(f"no {kind} {call} in {path}")


def _damage(path: Path, number: int, how: str) -> None:
    lines = path.read_bytes().split(b"\n")
    line = lines[number - 1]
    if how == "truncated":
        lines[number - 1] = line[: len(line) // 2]
    else:  # still valid JSON, but not what was written
        entry = json.loads(line)
        entry["before"] = {"Version": "2012-10-17", "Statement": []}
        lines[number - 1] = json.dumps(entry, separators=(",", ":")).encode()
    path.write_bytes(b"\n".join(lines))


def _undo(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["undo", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("how", ["truncated", "edited"])
def test_undo_refuses_a_journal_with_a_damaged_middle_line_and_skip_record_goes_on_without_it(
    world: Callable[[str], World], sandbox: Sandbox, cli_env: Path, capsys: pytest.CaptureFixture[str], how: str,
) -> None:
    w = world(f"dmg-{how}")
    plan_id = _apply(w, capsys)
    path = journal_path(plan_id)
    number = _line_of(path, "write", "s3.put_bucket_policy")
    assert number < len(path.read_text().splitlines())  # a middle line
    _damage(path, number, how)
    before = state(sandbox)

    for argv in ([plan_id, "--yes"], [plan_id, "--dry-run"]):
        code, out, err = _undo(capsys, *argv)
        assert code == 3, (argv, out, err)
        assert f"line {number} " in err and f"--skip-record {number}" in err and "nothing was changed" in err
    code, _, err = _undo(capsys, plan_id, "--yes", "--skip-record", str(number + 1))
    assert code == 2 and f"line {number + 1} of" in err and "not a damaged record" in err
    assert state(sandbox) == before  # refused: nothing changed

    code, out, err = _undo(capsys, plan_id, "--dry-run", "--skip-record", str(number))
    assert code == 0, err  # the dry run itself succeeded
    assert f"journal line {number} is damaged" in out and state(sandbox) == before

    code, out, err = _undo(capsys, plan_id, "--yes", "--skip-record", str(number))
    assert code == 1, out + err  # not everything was restored
    assert f"journal line {number} is damaged" in out
    assert "not restored" in err or "skipped" in err
    # the policy write was in the damaged line: the policy stays, and so does the role it grants
    policy = w.dst_policy()
    assert policy is not None and any(s.get("Sid", "").startswith("S3xrep") for s in policy["Statement"])
    repl_role = f"s3xrep-repl-{w.src}"
    assert repl_role in w.roles()
    assert re.search(rf"skipped .*role {re.escape(repl_role)} is still named by the bucket policy of {w.dst}", out)
    assert w.replication() is None  # the rest was restored


def test_a_journal_written_by_an_older_version_is_read_unverified_with_a_warning(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    w = world("legacy")
    plan_id = _apply(w, capsys)
    path = journal_path(plan_id)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text("".join(json.dumps({k: v for k, v in e.items() if k != "sha256"}) + "\n" for e in entries))

    code, out, err = _undo(capsys, plan_id, "--yes")
    assert code == 0, out + err
    assert f"{len(entries)} record(s) have no checksum" in err and "unverified" in err
    w.assert_undone()


def test_undo_keeps_a_role_a_changed_policy_still_grants_and_a_dry_run_of_that_still_succeeds(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    w = world("guard")
    plan_id = _apply(w, capsys)
    edited = w.dst_policy()
    assert edited is not None
    edited["Statement"].append(foreign_policy(w.dst, "EditedAfterApply")["Statement"][0])
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(edited))
    repl_role, batch_role = f"s3xrep-repl-{w.src}", f"s3xrep-batch-{w.src}"

    code, out, err = _undo(capsys, plan_id, "--dry-run")
    assert code == 0, out + err
    assert f"role {repl_role} is still named by the bucket policy of {w.dst}" in out
    assert f"would delete role {batch_role}" in out

    code, out, err = _undo(capsys, plan_id, "--yes")
    assert code == 1, out + err
    assert f"role {repl_role} is still named by the bucket policy of {w.dst}" in out
    assert w.roles() == {repl_role} and w.dst_policy() == edited and w.replication() is None
