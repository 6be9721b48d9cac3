"""``s3xrep plan --format aws-cli`` on the demo sandbox, then the script run with the real AWS CLI.

The script must reach the end state ``apply`` reaches (tests/test_end_to_end.py):
the replication configuration is the plan's (planning again finds only the
Batch job to create, and the same documents), the destination policy keeps its
own statement and has ours, both roles exist with their policies, and the Batch
job runs to completion. A second run changes nothing and gets the same job
back (the plan's client request token).

The sandbox's endpoint is an IP address, where the CLI's s3control host
(``111111111111.127.0.0.1``) cannot resolve: the CLI loads the plugin the
script's note describes (``s3xrep_tui.core.exports.awscli_s3control``), as a
user of such an endpoint would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.cli import main
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.ownership import role_tags
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, PROFILES, SOURCE_ACCOUNT, Sandbox
from tests.sandbox.helpers import wait_for

SOURCE, DESTINATION = "acme-legacy-media", "acme-platform-media"
OPTIONS = MigrationOptions(report_bucket="acme-legacy-batch-reports")
AWS = Path(sys.executable).with_name("aws")  # awscli is in the test extra


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("cli-export") / "aws-config"
    with Sandbox(seed="demo", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def _plan(sandbox: Sandbox) -> Any:
    inputs = gather_inputs(
        sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), SOURCE, DESTINATION, OPTIONS
    )
    return build_plan(inputs)


def _cli_env(sandbox: Sandbox, tmp: Path) -> dict[str, str]:
    config = tmp / "aws-config-with-plugin"
    config.write_text(
        sandbox.config_path.read_text()
        + "\n[plugins]\ns3xrep_s3control = s3xrep_tui.core.exports.awscli_s3control\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
        PATH=f"{AWS.parent}{os.pathsep}{env.get('PATH', '')}",
        IAM_WAIT_SECONDS="20",
        AWS_PAGER="",
    )
    return env


@pytest.fixture(scope="module")
def exported(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    assert AWS.exists(), f"the AWS CLI is not installed beside {sys.executable}"
    out = tmp_path_factory.mktemp("export")
    plan = _plan(sandbox)
    env = {"AWS_CONFIG_FILE": str(sandbox.config_path)}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(out / "no-credentials"))
        for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            mp.delenv(var, raising=False)
        code = main([
            "plan", "--source", f"{PROFILES['source']}:{SOURCE}", "--dest", f"{PROFILES['destination']}:{DESTINATION}",
            "--report-bucket", "acme-legacy-batch-reports", "--format", "aws-cli", "--out", str(out),
        ])
    assert code == 0
    script = out / "s3xrep-migrate.sh"
    assert os.access(script, os.X_OK)
    cli_env = _cli_env(sandbox, out)
    first = subprocess.run(["bash", str(script)], env=cli_env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    job_id = re.search(r"Batch Replication job (\S+) created", first.stdout).group(1)
    return {"plan": plan, "script": script, "env": cli_env, "first": first, "job_id": job_id}


def test_the_script_uses_the_plan_profiles(exported: dict) -> None:
    text = exported["script"].read_text()
    assert f'SOURCE_PROFILE="${{SOURCE_PROFILE-{PROFILES["source"]}}}"' in text
    assert f'DEST_PROFILE="${{DEST_PROFILE-{PROFILES["destination"]}}}"' in text


def test_the_replication_configuration_is_the_plans(sandbox: Sandbox, exported: dict) -> None:
    again = _plan(sandbox)
    assert [(s.call, s.action) for s in again.steps if s.action != "no-op"] == [("s3control.create_job", "create")]
    assert again.documents == exported["plan"].documents
    stored = sandbox.clients(SOURCE_ACCOUNT)("s3").get_bucket_replication(Bucket=SOURCE)["ReplicationConfiguration"]
    assert stored["Role"] == exported["plan"].documents["replication_configuration"]["Role"]


def test_the_destination_policy_keeps_its_statement_and_has_ours(sandbox: Sandbox, exported: dict) -> None:
    policy = json.loads(sandbox.clients(DESTINATION_ACCOUNT)("s3").get_bucket_policy(Bucket=DESTINATION)["Policy"])
    assert policy["Statement"][0]["Sid"] == "PlatformReadOnlyAudit"
    assert policy == exported["plan"].documents["destination_bucket_policy"]


def test_both_roles_exist_with_the_plan_policies(sandbox: Sandbox, exported: dict) -> None:
    iam = sandbox.clients(SOURCE_ACCOUNT)("iam")
    for step in exported["plan"].steps:
        if step.call == "iam.put_role_policy":
            got = iam.get_role_policy(RoleName=step.request["RoleName"], PolicyName=step.request["PolicyName"])
            assert got["PolicyDocument"] == json.loads(step.request["PolicyDocument"])
        if step.call == "iam.create_role":
            role = iam.get_role(RoleName=step.request["RoleName"])["Role"]
            assert role["AssumeRolePolicyDocument"] == json.loads(step.request["AssumeRolePolicyDocument"])


def test_the_roles_it_creates_carry_our_tags(sandbox: Sandbox, exported: dict) -> None:
    """A role made by the export is ours later by its tag, exactly as one apply made (core.ownership)."""
    iam = sandbox.clients(SOURCE_ACCOUNT)("iam")
    created = [s.request["RoleName"] for s in exported["plan"].steps if s.call == "iam.create_role"]
    assert created
    for name in created:
        assert iam.list_role_tags(RoleName=name)["Tags"] == role_tags(exported["plan"].id)


def test_the_batch_job_runs_to_completion(sandbox: Sandbox, exported: dict) -> None:
    s3control = sandbox.clients(SOURCE_ACCOUNT)("s3control")

    def finished() -> dict | None:
        job = s3control.describe_job(AccountId=SOURCE_ACCOUNT, JobId=exported["job_id"])["Job"]
        return job if job["Status"] in ("Complete", "Failed", "Cancelled") else None

    job = wait_for(finished, timeout=60, what="the Batch Replication job to finish")
    assert job["Status"] == "Complete", job.get("FailureReasons")
    assert job["ProgressSummary"]["NumberOfTasksFailed"] == 0
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] > 1000
    assert job["Description"] == exported["plan"].documents["batch_job"]["Description"]


def test_running_it_again_changes_nothing_and_gets_the_same_job(sandbox: Sandbox, exported: dict) -> None:
    second = subprocess.run(["bash", str(exported["script"])], env=exported["env"], capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already exists: not creating it" in second.stdout
    assert f"Batch Replication job {exported['job_id']} created" in second.stdout
    assert [(s.call, s.action) for s in _plan(sandbox).steps if s.action != "no-op"] == [("s3control.create_job", "create")]


def test_the_script_refuses_credentials_of_another_account(sandbox: Sandbox, exported: dict) -> None:
    env = dict(exported["env"], SOURCE_PROFILE=PROFILES["destination"])
    run = subprocess.run(["bash", str(exported["script"])], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert f"account {DESTINATION_ACCOUNT}, not {SOURCE_ACCOUNT}" in run.stderr
