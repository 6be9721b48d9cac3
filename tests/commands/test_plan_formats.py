"""``s3xrep plan --format``: text, json, and the exports, written where ``--out`` says; exit codes as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import hcl2
import pytest

from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox

SOURCE = f"{PROFILES['source']}:acme-legacy-media"
DEST = f"{PROFILES['destination']}:acme-platform-media"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("formats") / "aws-config"
    with Sandbox(seed="demo", config_path=config) as running:
        yield running


@pytest.fixture
def env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Sandbox:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(sandbox.config_path))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return sandbox


def _plan(capsys, *args: str, source: str = SOURCE, dest: str = DEST) -> tuple[int, str, str]:
    code = main(["plan", "--source", source, "--dest", dest, "--report-bucket", "acme-legacy-batch-reports", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["cloudformation", "terraform"])
def test_multi_file_exports_need_out_and_fail_before_reading_aws(capsys, fmt: str) -> None:
    # no sandbox and an unknown profile: the usage check comes first
    code, out, err = _plan(capsys, "--format", fmt, source="no-such-profile:a-bucket")
    assert code == 2 and out == ""
    assert err.strip() == f"s3xrep plan: --format {fmt} writes several files: give --out DIR"


def test_json_and_another_format_disagree(capsys) -> None:
    code, _, err = _plan(capsys, "--json", "--format", "terraform", "--out", "x")
    assert code == 2 and "disagree" in err


def test_an_unknown_format_is_a_usage_error(capsys) -> None:
    assert main(["plan", "--source", SOURCE, "--dest", DEST, "--format", "pulumi"]) == 2
    assert "invalid choice: 'pulumi'" in capsys.readouterr().err


def test_format_json_is_the_json_output(env: Sandbox, capsys) -> None:
    code, as_format, _ = _plan(capsys, "--format", "json")
    assert code == 0
    code, as_flag, _ = _plan(capsys, "--json")
    assert json.loads(as_format) == json.loads(as_flag)


def test_text_with_out_still_writes_the_documents(env: Sandbox, capsys, tmp_path: Path) -> None:
    code, out, _ = _plan(capsys, "--out", str(tmp_path))
    assert code == 0 and out.startswith("Plan ")
    assert json.loads((tmp_path / "replication_configuration.json").read_text())["Rules"]


def test_aws_cli_without_out_prints_the_script(env: Sandbox, capsys) -> None:
    code, out, _ = _plan(capsys, "--format", "aws-cli")
    assert code == 0
    assert out.startswith("#!/usr/bin/env bash\n") and "aws s3control create-job" in out
    assert f'SOURCE_PROFILE="${{SOURCE_PROFILE-{PROFILES["source"]}}}"' in out


def test_terraform_is_written_where_out_says(env: Sandbox, capsys, tmp_path: Path) -> None:
    code, out, _ = _plan(capsys, "--format", "terraform", "--out", str(tmp_path / "tf"))
    assert code == 0
    assert out.splitlines() == [f"wrote {tmp_path / 'tf' / 'main.tf'}", f"wrote {tmp_path / 'tf' / 'batch_job.json'}"]
    parsed = hcl2.loads((tmp_path / "tf" / "main.tf").read_text())
    kinds = {kind.strip('"') for entry in parsed["resource"] for kind in entry}
    assert {"aws_iam_role", "aws_iam_role_policy", "aws_s3_bucket_versioning", "aws_s3_bucket_policy",
            "aws_s3_bucket_replication_configuration"} <= kinds


def test_cloudformation_writes_a_template_per_account(env: Sandbox, capsys, tmp_path: Path) -> None:
    code, out, _ = _plan(capsys, "--format", "cloudformation", "--out", str(tmp_path))
    assert code == 0
    written = {Path(line.removeprefix("wrote ")).name for line in out.splitlines()}
    assert {"source-account.cfn.yaml", "destination-account.cfn.yaml", "replication_configuration.json", "batch_job.json",
            "alarms.json"} == written  # the alarm steps are commands too (issue 18), their requests in one file


def test_the_script_is_written_executable(env: Sandbox, capsys, tmp_path: Path) -> None:
    code, out, _ = _plan(capsys, "--format", "aws-cli", "--out", str(tmp_path))
    assert code == 0 and out.strip() == f"wrote {tmp_path / 's3xrep-migrate.sh'}"
    assert (tmp_path / "s3xrep-migrate.sh").stat().st_mode & 0o111


@pytest.mark.parametrize("fmt", ["aws-cli", "cloudformation", "terraform"])
def test_a_blocked_plan_exports_nothing_and_exits_3(env: Sandbox, capsys, tmp_path: Path, fmt: str) -> None:
    code, out, err = _plan(capsys, "--format", fmt, "--out", str(tmp_path / "x"),
                           dest=f"{PROFILES['destination']}:acme-no-such-bucket")
    assert code == 3
    assert "BLOCKING" in out and f"nothing exported as {fmt}: the plan is blocked" in err
    assert not (tmp_path / "x").exists()
