"""``s3xrep finish`` on the sandbox, through the CLI: what goes, what stays, and when it refuses.

The source already replicates with a foreign rule and a foreign role (apply
reuses that role and adds our inline policy to it); the destination's policy has
a foreign statement. After finish, the foreign rule, role (its trust, policies,
tags) and statement are exactly as they were before apply, every object is
still in both buckets, and nothing of ours is left.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import foreign_policy, get_or_none

from ..sandbox.helpers import wait_for

SRC_PROFILE, DST_PROFILE = PROFILES["source"], PROFILES["destination"]
HOSTILE_SID = "Evil\x1b]0;pwned\x07"  # a terminal escape in a foreign Sid: shown, never sent to the terminal
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("finish-cmd") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def _world(sandbox: Sandbox, name: str, *, foreign_rule: bool = False) -> tuple[list[str], str, str]:
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    src, dst, rep = f"fn-src-{name}", f"fn-dst-{name}", f"fn-rep-{name}"
    for bucket in (src, rep):
        s3a.create_bucket(Bucket=bucket)
    s3a.put_bucket_versioning(Bucket=src, VersioningConfiguration={"Status": "Enabled"})
    for i in range(3):
        s3a.put_object(Bucket=src, Key=f"k{i}.txt", Body=b"x" * (i + 1))
    s3b.create_bucket(Bucket=dst)
    sids = ("TeamRead", HOSTILE_SID) if foreign_rule else ("TeamRead",)
    s3b.put_bucket_policy(Bucket=dst, Policy=json.dumps(foreign_policy(dst, *sids)))
    if foreign_rule:
        iam = sandbox.clients(A)("iam")
        iam.create_role(RoleName=f"team-dr-{name}", AssumeRolePolicyDocument=json.dumps(TRUST),
                        Tags=[{"Key": "team", "Value": "dr"}])
        iam.put_role_policy(RoleName=f"team-dr-{name}", PolicyName="team-dr", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        s3a.create_bucket(Bucket=f"fn-dr-{name}")
        s3a.put_bucket_versioning(Bucket=f"fn-dr-{name}", VersioningConfiguration={"Status": "Enabled"})
        s3a.put_bucket_replication(Bucket=src, ReplicationConfiguration={
            "Role": f"arn:aws:iam::{A}:role/team-dr-{name}",
            "Rules": [{"ID": "team-dr", "Priority": 5, "Status": "Enabled", "Filter": {"Prefix": "dr/"},
                       "DeleteMarkerReplication": {"Status": "Disabled"},
                       "Destination": {"Bucket": f"arn:aws:s3:::fn-dr-{name}"}}]})
    apply_args = ["--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}", "--report-bucket", rep,
                  "--iam-wait", "0.1"]
    return apply_args, src, dst


def _apply(sandbox: Sandbox, env: Path, apply_args: list[str], src: str, capsys: Any) -> str:
    assert main(["apply", *apply_args, "--yes"]) == 0, capsys.readouterr().err
    s3c = sandbox.clients(A)("s3control")
    wait_for(lambda: all(j["Status"] == "Complete" for j in s3c.list_jobs(AccountId=A)["Jobs"]
                         if src in j.get("Description", "")), timeout=60, what="the backfill")
    journals = sorted((env / "journal").glob(f"{src}-to-*.jsonl"))
    assert len(journals) == 1
    capsys.readouterr()
    return journals[0].stem


def _state(sandbox: Sandbox, src: str, dst: str, name: str) -> dict[str, Any]:
    s3a, s3b, iam = sandbox.clients(A)("s3"), sandbox.clients(B)("s3"), sandbox.clients(A)("iam")
    role = f"team-dr-{name}"
    found = get_or_none(lambda: iam.get_role(RoleName=role)["Role"], "NoSuchEntity")
    return {
        "replication": get_or_none(lambda: s3a.get_bucket_replication(Bucket=src)["ReplicationConfiguration"],
                                   "ReplicationConfigurationNotFoundError"),
        "policy": json.loads(get_or_none(lambda: s3b.get_bucket_policy(Bucket=dst)["Policy"], "NoSuchBucketPolicy")
                             or "null"),
        "foreign_role": found and {
            "trust": found["AssumeRolePolicyDocument"],
            "inline": iam.list_role_policies(RoleName=role)["PolicyNames"],
            "tags": iam.list_role_tags(RoleName=role)["Tags"]},
        "our_roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("s3xrep")),
        "objects": [sorted((v["Key"], v["VersionId"]) for v in s3.list_object_versions(Bucket=b).get("Versions", []))
                    for s3, b in ((s3a, src), (s3b, dst))],
    }


def test_finish_keeps_a_foreign_rule_role_and_statement_and_removes_ours(
        env: Path, sandbox: Sandbox, capsys: Any) -> None:
    apply_args, src, dst = _world(sandbox, "fr", foreign_rule=True)
    before_apply = _state(sandbox, src, dst, "fr")
    plan_id = _apply(sandbox, env, apply_args, src, capsys)
    applied = _state(sandbox, src, dst, "fr")
    assert applied["our_roles"] and len(applied["replication"]["Rules"]) == 2  # the check can fail
    assert main(["finish", plan_id]) == 2  # no terminal, no --yes
    assert main(["finish", plan_id, "--yes"]) == 3
    err = capsys.readouterr().err
    assert "has not been cut over" in err and f"s3xrep cutover {plan_id}" in err and "--not-cut-over" in err
    assert main(["finish", plan_id, "--dry-run", "--not-cut-over"]) == 0
    out = capsys.readouterr().out
    assert "ACTION" in out and "remove" in out and "rule team-dr in the replication configuration" in out
    assert "statement Evil" in out and "\x1b" not in out and "\x07" not in out
    assert _state(sandbox, src, dst, "fr") == applied  # a dry run changes nothing
    assert main(["--read-only", "finish", plan_id, "--not-cut-over"]) == 0  # read-only: the table, no writes
    assert "dry run, nothing is changed" in capsys.readouterr().out
    assert _state(sandbox, src, dst, "fr") == applied
    assert main(["finish", plan_id, "--yes", "--not-cut-over"]) == 0
    captured = capsys.readouterr()
    assert "no cut-over record" in captured.err and "Finished at" in captured.out
    after = _state(sandbox, src, dst, "fr")
    assert after["replication"] == before_apply["replication"]  # the foreign rule, with its role
    assert after["policy"] == before_apply["policy"]
    assert after["foreign_role"] == before_apply["foreign_role"]  # our inline policy is off it again
    assert after["our_roles"] == []
    assert after["objects"] == applied["objects"] and all(after["objects"])
    finish_record = [e for e in Journal(plan_id).read().entries if e["kind"] == "finish"][-1]
    assert finish_record["not_cut_over"] is True and finish_record["complete"] is True
    assert main(["finish", plan_id, "--yes", "--not-cut-over"]) == 0
    assert "nothing to do: the migration was finished at" in capsys.readouterr().out
    # the report is now the final record: when it finished, what went, what stays
    assert main(["report", plan_id, "--format", "md"]) == 0
    report = capsys.readouterr().out
    assert "**Status: FINISHED**" in report and "## Finished" in report and "without a cut-over record" in report
    removed, stays = report.split("### What was removed")[1].split("### What stays")
    assert f"role s3xrep\\-batch\\-{src}" in removed or f"role s3xrep-batch-{src}" in removed
    assert "rule team\\-dr" in stays or "rule team-dr" in stays
    assert "removed by finish" in report
    html_out = env.parent / "final.html"
    assert main(["report", plan_id, "--format", "html", "--out", str(html_out)]) == 0
    assert "<h2>Finished</h2>" in html_out.read_text() and "What stays" in html_out.read_text()


def test_finish_after_undo_has_nothing_to_do(env: Path, sandbox: Sandbox, capsys: Any) -> None:
    apply_args, src, dst = _world(sandbox, "un")
    plan_id = _apply(sandbox, env, apply_args, src, capsys)
    assert main(["undo", plan_id, "--yes"]) == 0, capsys.readouterr().err
    undone = _state(sandbox, src, dst, "un")
    capsys.readouterr()
    assert main(["finish", plan_id, "--yes"]) == 0
    assert "nothing to do: undo already took" in capsys.readouterr().out
    assert _state(sandbox, src, dst, "un") == undone
    assert not [e for e in Journal(plan_id).read().entries if e["kind"] == "finish"]
    path = env / "journal" / f"{plan_id}.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0].replace('"write"', '"wrote"'), *lines[1:]]) + "\n")  # its checksum fails
    assert main(["finish", plan_id, "--yes"]) == 3
    assert "line 1" in capsys.readouterr().err


def test_finish_refuses_while_versions_are_pending(env: Path, sandbox: Sandbox, capsys: Any) -> None:
    apply_args, src, _ = _world(sandbox, "pd")
    assert main(["apply", *apply_args, "--yes", "--no-existing"]) == 0, capsys.readouterr().err
    plan_id = sorted((env / "journal").glob(f"{src}-to-*.jsonl"))[0].stem
    sandbox.engine.replication_delay = 600  # the next write stays PENDING for the rest of the test
    try:
        sandbox.clients(A)("s3").put_object(Bucket=src, Key="late.txt", Body=b"late")
    finally:
        sandbox.engine.replication_delay = 0.05
    capsys.readouterr()
    assert main(["finish", plan_id, "--yes", "--not-cut-over"]) == 3
    assert "still PENDING replication" in capsys.readouterr().err
    assert main(["finish", plan_id, "--yes", "--not-cut-over", "--allow-pending"]) == 0


def test_a_role_a_foreign_rule_still_uses_is_kept_and_named(env: Path, sandbox: Sandbox, capsys: Any) -> None:
    """A rule someone added after apply replicates with the configuration's role, ours: finish keeps that role."""
    apply_args, src, _ = _world(sandbox, "kr")
    plan_id = _apply(sandbox, env, apply_args, src, capsys)
    s3a = sandbox.clients(A)("s3")
    s3a.create_bucket(Bucket="fn-dr-kr")
    s3a.put_bucket_versioning(Bucket="fn-dr-kr", VersioningConfiguration={"Status": "Enabled"})
    config = s3a.get_bucket_replication(Bucket=src)["ReplicationConfiguration"]
    config["Rules"].append({"ID": "team-later", "Priority": 42, "Status": "Enabled", "Filter": {"Prefix": "t/"},
                            "DeleteMarkerReplication": {"Status": "Disabled"},
                            "Destination": {"Bucket": "arn:aws:s3:::fn-dr-kr"}})
    s3a.put_bucket_replication(Bucket=src, ReplicationConfiguration=config)
    assert main(["finish", plan_id, "--yes", "--not-cut-over"]) == 1
    err = capsys.readouterr()
    role = config["Role"].rsplit("/", 1)[1]
    assert f"role {role} is still named by the replication configuration of {src}" in err.out
    assert "run s3xrep finish again" in err.out
    left = s3a.get_bucket_replication(Bucket=src)["ReplicationConfiguration"]
    assert [r["ID"] for r in left["Rules"]] == ["team-later"] and left["Role"] == config["Role"]
    assert sandbox.clients(A)("iam").get_role(RoleName=role)["Role"]["RoleName"] == role
    assert not [e for e in Journal(plan_id).read().entries if e["kind"] == "finish" and e["complete"]]
