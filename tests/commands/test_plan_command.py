"""``s3xrep plan`` end to end: real profiles, moto over HTTP, two accounts, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.cli import main
from tests.aws.conftest import DEST_ID, SOURCE_ID, account_clients, endpoint  # noqa: F401  (fixture)

EXISTING_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PlatformReadOnlyAudit",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{DEST_ID}:root"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::plan-dst-bucket/*",
        }
    ],
}


@pytest.fixture(scope="module")
def profiles(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    """An AWS config with a profile per account, and two buckets to plan between."""
    config = tmp_path_factory.mktemp("aws") / "config"
    sections = []
    for name, account in (("src", SOURCE_ID), ("dst", DEST_ID)):
        clients = account_clients(endpoint, account)
        creds = clients.session.get_credentials()
        sections.append(
            f"[profile {name}]\nregion = us-east-1\nendpoint_url = {endpoint}\n"
            f"aws_access_key_id = {creds.access_key}\naws_secret_access_key = {creds.secret_key}\n"
            f"aws_session_token = {creds.token}\n"
        )
    config.write_text("\n".join(sections))
    source = account_clients(endpoint, SOURCE_ID)("s3")
    source.create_bucket(Bucket="plan-src-bucket")
    dest = account_clients(endpoint, DEST_ID)("s3")
    dest.create_bucket(Bucket="plan-dst-bucket")
    dest.put_bucket_versioning(Bucket="plan-dst-bucket", VersioningConfiguration={"Status": "Enabled"})
    dest.put_bucket_policy(Bucket="plan-dst-bucket", Policy=json.dumps(EXISTING_POLICY))
    return config


@pytest.fixture
def env(profiles: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(profiles))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    for var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    return profiles


def _plan(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["plan", "--source", "src:plan-src-bucket", "--dest", "dst:plan-dst-bucket", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_plan_has_every_document_and_writes_nothing(env: Path, endpoint: str, capsys) -> None:  # noqa: F811
    code, out, err = _plan(capsys, "--json", "--report-bucket", "plan-src-bucket")
    assert code == 0, err
    plan = json.loads(out)
    assert plan["source"] == {"account": SOURCE_ID, "bucket": "plan-src-bucket", "region": "us-east-1"}
    assert plan["destination"]["account"] == DEST_ID
    assert set(plan["documents"]) == {
        "replication_role_trust_policy",
        "replication_role_policy",
        "batch_role_trust_policy",
        "batch_role_policy",
        "destination_bucket_policy",
        "replication_configuration",
        "batch_job",
        "alarms",  # issue 18
    }
    # the foreign statement survives, first and unchanged
    assert plan["documents"]["destination_bucket_policy"]["Statement"][0] == EXISTING_POLICY["Statement"][0]
    ids = {f["id"] for f in plan["findings"]}
    assert "source-versioning-disabled" in ids
    assert [s["call"] for s in plan["steps"]][0] == "s3.put_bucket_versioning"
    assert all({"id", "account", "call", "action"} <= set(s) for s in plan["steps"])
    # plan is read-only: nothing changed on either side
    source = account_clients(endpoint, SOURCE_ID)
    assert "Status" not in source("s3").get_bucket_versioning(Bucket="plan-src-bucket")
    with pytest.raises(ClientError, match="ReplicationConfigurationNotFound"):
        source("s3").get_bucket_replication(Bucket="plan-src-bucket")
    with pytest.raises(ClientError, match="NoSuchEntity"):
        source("iam").get_role(RoleName="s3xrep-repl-plan-src-bucket")
    policy = account_clients(endpoint, DEST_ID)("s3").get_bucket_policy(Bucket="plan-dst-bucket")["Policy"]
    assert json.loads(policy) == EXISTING_POLICY


def test_text_plan_explains_each_statement_and_lists_steps(env: Path, capsys) -> None:
    code, out, _ = _plan(capsys, "--prefix", "photos/", "--delete-markers")
    assert code == 0
    assert "Findings" in out and "Steps" in out
    assert "# Lets the role write replicas" in out
    assert "arn:aws:s3:::plan-dst-bucket/photos/*" in out
    assert "s3:ReplicateDelete" in out


def test_out_writes_each_document(env: Path, tmp_path: Path, capsys) -> None:
    code, _, _ = _plan(capsys, "--out", str(tmp_path / "docs"))
    assert code == 0
    written = {p.stem for p in (tmp_path / "docs").glob("*.json")}
    assert {"replication_configuration", "destination_bucket_policy", "replication_role_policy"} <= written
    assert "destination_kms_key_policy" not in written
    config = json.loads((tmp_path / "docs" / "replication_configuration.json").read_text())
    assert config["Rules"][0]["Destination"]["Bucket"] == "arn:aws:s3:::plan-dst-bucket"


def test_a_blocking_finding_exits_3(env: Path, capsys) -> None:
    code = main(["plan", "--source", "src:plan-src-bucket", "--dest", "dst:no-such-bucket-here"])
    out, _ = capsys.readouterr()
    assert code == 3
    assert "BLOCKING" in out and "no-such-bucket-here" in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["--source", "src:Bad_Bucket", "--dest", "dst:plan-dst-bucket"], "Bad_Bucket"),
        (["--source", "src:plan-src-bucket", "--dest", "dst:plan-dst-bucket", "--tag", "novalue"], "KEY=VALUE"),
        (["--source", "src:plan-src-bucket", "--dest", "dst:plan-dst-bucket", "--tag", "a=b", "--delete-markers"],
         "tag filter"),
        (["--source", "src:plan-src-bucket", "--dest", "dst:plan-dst-bucket", "--storage-class", "COLD"], "COLD"),
        (["--source", "src:plan-src-bucket", "--dest", "dst:plan-dst-bucket", "--replica-kms-key", "alias/x"],
         "full key ARN"),
        (["--source", "plan-src-bucket", "--dest", "dst:plan-dst-bucket"], "PROFILE:BUCKET"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(env: Path, capsys, args: list[str], words: str) -> None:
    assert main(["plan", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def test_an_unknown_profile_is_one_line_and_exit_1(env: Path, capsys) -> None:
    """An unknown profile is a bad argument: exit 2, as the README's table says (the name is older than
    that fix; tests/reliability/items.py refers to it by this name)."""
    code = main(["plan", "--source", "nope:plan-src-bucket", "--dest", "dst:plan-dst-bucket"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "nope" in err and "Traceback" not in err
