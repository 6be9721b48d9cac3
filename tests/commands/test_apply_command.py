"""``s3xrep apply`` and ``s3xrep undo`` through the CLI, on the sandbox's profiles.

The sandbox writes an AWS config with the profiles s3xrep-demo-source and
s3xrep-demo-destination (keys, region, endpoint_url); the commands open them
with ``clients_for`` like any user profile. Each test makes its own buckets.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

SRC_PROFILE, DST_PROFILE = PROFILES["source"], PROFILES["destination"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("cli") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


@pytest.fixture(scope="module")
def accounts(sandbox: Sandbox) -> dict[str, Any]:
    return {A: sandbox.clients(A), B: sandbox.clients(B)}


ORIGINAL = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Other", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::BUCKET/*"}]}


def _buckets(accounts: dict[str, Any], name: str) -> tuple[str, str]:
    src, dst = f"cli-src-{name}", f"cli-dst-{name}"
    accounts[A]("s3").create_bucket(Bucket=src)
    accounts[A]("s3").put_object(Bucket=src, Key="a.txt", Body=b"a")
    accounts[B]("s3").create_bucket(Bucket=dst)
    policy = json.loads(json.dumps(ORIGINAL).replace("BUCKET", dst))
    accounts[B]("s3").put_bucket_policy(Bucket=dst, Policy=json.dumps(policy))
    return src, dst


def _apply(src: str, dst: str, *extra: str) -> int:
    return main(["apply", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}",
                 "--no-existing", "--iam-wait", "0.1", *extra])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_apply_yes_then_again_then_undo(env: Path, accounts: dict, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst = _buckets(accounts, "yes")
    code = main(["apply", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}",
                 "--report-bucket", src, "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.startswith("[03/16] source      iam.create_role") and line.endswith("done: role s3xrep-repl-"
                                                                                         f"{src} created") for line in lines)
    assert "Batch Replication job:" in out
    plan_id = next(line.split(": ", 1)[1] for line in lines if line.startswith("Plan id: "))
    journal = next(line.split(": ", 1)[1] for line in lines if line.startswith("Journal: "))
    assert Path(journal) == env / "journal" / f"{plan_id}.jsonl"
    writes = Journal(plan_id).read().writes()
    assert {w["profile"] for w in writes} == {SRC_PROFILE, DST_PROFILE}  # names only, for undo

    code = main(["apply", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}",
                 "--report-bucket", src, "--yes"])
    out, _ = capsys.readouterr()
    assert code == 0 and "applied: 16 no-op" in out  # 9, and 7 for the alarms (issue 18)

    code = main(["undo", plan_id, "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "deleted" in out and "cannot turn versioning off" in out
    policy = accounts[B]("s3").get_bucket_policy(Bucket=dst)["Policy"]
    assert json.loads(policy)["Statement"] == json.loads(json.dumps(ORIGINAL).replace("BUCKET", dst))["Statement"]
    with pytest.raises(ClientError):
        accounts[A]("s3").get_bucket_replication(Bucket=src)

    code = main(["undo", plan_id, "--yes"])  # nothing left to undo
    out, _ = capsys.readouterr()
    assert code == 0 and "nothing to undo" in out


def test_a_blocked_plan_exits_3_and_changes_nothing(env: Path, accounts: dict, capsys) -> None:
    src, _ = _buckets(accounts, "blocked")
    code = _apply(src, "cli-no-such-destination", "--yes")
    out, err = capsys.readouterr()
    assert code == 3
    assert "BLOCKING" in out and "blocked by preflight" in err and len(err.strip().splitlines()) == 1
    assert "Status" not in accounts[A]("s3").get_bucket_versioning(Bucket=src)


def test_without_yes_and_without_a_terminal_exit_2(env: Path, accounts: dict, capsys, monkeypatch) -> None:
    src, dst = _buckets(accounts, "notty")
    monkeypatch.setattr("sys.stdin", io.StringIO(src + "\n"))
    code = _apply(src, dst)
    _, err = capsys.readouterr()
    assert code == 2 and "--yes" in err and len(err.strip().splitlines()) == 1
    assert "Status" not in accounts[A]("s3").get_bucket_versioning(Bucket=src)


def test_the_typed_confirmation_must_name_the_source_bucket(env: Path, accounts: dict, capsys, monkeypatch) -> None:
    src, dst = _buckets(accounts, "typed")
    monkeypatch.setattr("sys.stdin", _Terminal("not-the-bucket\n"))
    assert _apply(src, dst) == 2
    out, err = capsys.readouterr()
    assert "Steps" in out and "Type the source bucket's name" in out and "nothing was changed" in err
    assert "Status" not in accounts[A]("s3").get_bucket_versioning(Bucket=src)

    monkeypatch.setattr("sys.stdin", _Terminal(src + "\n"))
    assert _apply(src, dst) == 0
    assert accounts[A]("s3").get_bucket_versioning(Bucket=src)["Status"] == "Enabled"


def test_dry_run_prints_each_call_and_document_and_sends_nothing(env: Path, accounts: dict, capsys) -> None:
    src, dst = _buckets(accounts, "dry")
    code = _apply(src, dst, "--dry-run")
    out, _ = capsys.readouterr()
    assert code == 0
    assert "dry run: would send s3.put_bucket_policy" in out and '"Policy":' in out
    assert "document: destination_bucket_policy" in out
    assert "Status" not in accounts[A]("s3").get_bucket_versioning(Bucket=src)
    assert not (env / "journal").exists()


def test_read_only_exits_1_naming_the_refused_write(env: Path, accounts: dict, capsys) -> None:
    src, dst = _buckets(accounts, "ro")
    code = _apply(src, dst, "--read-only")
    out, err = capsys.readouterr()
    assert code == 1
    assert "FAILED: read-only mode: refusing to send s3.put_bucket_versioning" in out
    assert err.startswith("s3xrep apply: step 01-put-bucket-versioning failed") and len(err.strip().splitlines()) == 1


def test_bad_arguments_exit_2(env: Path, capsys) -> None:
    assert main(["apply", "--source", "x", "--dest", f"{DST_PROFILE}:b-b-b"]) == 2
    assert main(["apply", "--source", f"{SRC_PROFILE}:Bad_Bucket", "--dest", f"{DST_PROFILE}:b-b-b", "--yes"]) == 2
    assert main(["undo", "../etc", "--yes"]) == 2
    assert main(["undo", "no-such-plan-1234", "--yes"]) == 2
    _, err = capsys.readouterr()
    assert "no journal for plan no-such-plan-1234" in err


def test_undo_uses_overriding_profiles_and_refuses_the_wrong_account(
    env: Path, accounts: dict, capsys, monkeypatch
) -> None:
    src, dst = _buckets(accounts, "swap")
    assert _apply(src, dst, "--yes") == 0
    out, _ = capsys.readouterr()
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))

    code = main(["undo", plan_id, "--yes", "--source-profile", DST_PROFILE])
    out, err = capsys.readouterr()
    assert code == 1 and "belong to account" in out
    with pytest.raises(ClientError):  # the source side was left alone; nothing deleted with the wrong account
        accounts[B]("iam").get_role(RoleName=f"s3xrep-repl-{src}")
    accounts[A]("iam").get_role(RoleName=f"s3xrep-repl-{src}")

    code = main(["undo", plan_id, "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0 and "would-delete" in out, out + err

    monkeypatch.setattr("sys.stdin", _Terminal("no\n"))  # asked on a terminal: anything but 'undo' cancels
    assert main(["undo", plan_id]) == 2
    accounts[A]("iam").get_role(RoleName=f"s3xrep-repl-{src}")
    monkeypatch.setattr("sys.stdin", _Terminal("undo\n"))
    assert main(["undo", plan_id]) == 0
    out, _ = capsys.readouterr()
    assert "Type 'undo'" in out and "deleted" in out
    with pytest.raises(ClientError):
        accounts[A]("iam").get_role(RoleName=f"s3xrep-repl-{src}")
