"""``s3xrep repair`` on the sandbox: verify's missing versions, and only those, replicated by a CSV-manifest job.

A migration is applied and its Batch job completes; some replicas are then
deleted as the destination account (so verify finds them missing) and one
source version is outside the rule's tag filter (out of scope). Repair must
put exactly the missing versions in its manifest, list the out-of-scope one
with its reason, replicate the rest, and leave verify clean; undo deletes the
manifest object and the inline policy it added.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.cli import main
from s3xrep_tui.core.repair import POLICY_NAME
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

from ..sandbox.helpers import head_status, wait_for

SRC_PROFILE, DST_PROFILE = PROFILES["source"], PROFILES["destination"]
KEYS = ["a.txt", "dir/b, with \"comma\".txt", "é/ü space+plus%.txt", "d.txt", "e.txt"]
HOSTILE = "untagged\x1b]0;pwned\x07\u202e.txt"  # a terminal escape, a bell and a bidi override
BROKEN = KEYS[1:4]  # e.txt: its replica deleted by version id


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("repair") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def _jobs_done(s3c: Any, src: str) -> bool:
    jobs = [j for j in s3c.list_jobs(AccountId=A)["Jobs"] if f" {src} -> " in j.get("Description", "")]
    return bool(jobs) and all(j["Status"] in ("Complete", "Failed", "Cancelled") for j in jobs)


def _args(src: str, dst: str, rep: str) -> list[str]:
    return ["--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}", "--tag", "keep=yes",
            "--report-bucket", rep, "--iam-wait", "0.1"]


def _world(sandbox: Sandbox, name: str) -> tuple[str, str, str, dict[str, str]]:
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    src, dst, rep = f"rp-src-{name}", f"rp-dst-{name}", f"rp-rep-{name}"
    s3a.create_bucket(Bucket=src)
    s3a.create_bucket(Bucket=rep)
    s3b.create_bucket(Bucket=dst)
    s3a.put_bucket_versioning(Bucket=src, VersioningConfiguration={"Status": "Enabled"})  # real version ids
    versions = {}
    for key in KEYS:
        versions[key] = s3a.put_object(Bucket=src, Key=key, Body=key.encode(), Tagging="keep=yes").get("VersionId")
    return src, dst, rep, versions


def _failed_versions(sandbox: Sandbox, src: str, dst: str, keys: list[str]) -> dict[str, str]:
    """New source versions of ``keys`` whose live replication FAILED (the destination denied it for a while)."""
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    kept_policy = s3b.get_bucket_policy(Bucket=dst)["Policy"]
    denied = json.loads(kept_policy)
    denied["Statement"].append({"Sid": "TestBlock", "Effect": "Deny", "Principal": "*", "Action": "s3:ReplicateObject",
                                "Resource": f"arn:aws:s3:::{dst}/*"})
    s3b.put_bucket_policy(Bucket=dst, Policy=json.dumps(denied))
    versions = {key: s3a.put_object(Bucket=src, Key=key, Body=b"again", Tagging="keep=yes")["VersionId"] for key in keys}
    for key in keys:
        wait_for(lambda key=key: head_status(s3a, src, key, versions[key]) == "FAILED", timeout=30,
                 what=f"{key} to FAIL")
    s3b.put_bucket_policy(Bucket=dst, Policy=kept_policy)  # exactly as apply left it
    return versions


def test_repair_replicates_exactly_the_missing_versions_and_lists_the_out_of_scope_one(
        env: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst, rep, _ = _world(sandbox, "e2e")
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    s3c, iam = sandbox.clients(A)("s3control"), sandbox.clients(A)("iam")
    apply_args = _args(src, dst, rep)
    assert main(["apply", *apply_args, "--yes"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    plan_id = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))
    wait_for(lambda: _jobs_done(s3c, src), timeout=30, what="the apply's Batch job to end")
    versions = {k: s3a.head_object(Bucket=src, Key=k)["VersionId"] for k in KEYS}
    wait_for(lambda: all(s3b.list_object_versions(Bucket=dst, Prefix=k).get("Versions") for k in KEYS), timeout=30,
             what="every version on the destination")
    versions.update(_failed_versions(sandbox, src, dst, BROKEN))
    s3b.delete_object(Bucket=dst, Key="e.txt", VersionId=versions["e.txt"])  # a replica deleted by version id
    s3a.put_object(Bucket=src, Key="untagged.txt", Body=b"out of scope")  # no keep=yes: out of the rule's scope
    s3a.put_object(Bucket=src, Key=HOSTILE, Body=b"out of scope too")

    verify = ["verify", "--source", f"{SRC_PROFILE}:{src}", "--dest", f"{DST_PROFILE}:{dst}"]
    assert main(verify) == 1
    assert re.search(rf"missing +{len(BROKEN) + 1}  \(matters\)", capsys.readouterr().out)

    repair_args = [a for a in apply_args if a not in ("--iam-wait", "0.1")]
    code = main(["repair", *repair_args, "--yes", "--wait", "30"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "verify found 4 version(s) missing or mismatched; 3 to replicate, 3 a job cannot replicate" in out
    assert not any(c in out + err for c in "\x1b\x07\u202e"), "AWS text reached the terminal unescaped"
    assert "untagged.txt" in out and "outside the rule's scope" in out
    assert "e.txt" in out and "DstObjectHardDeleted" in out
    assert "Before: 4 missing or mismatched. After: 0 (3 of 3 replicated by 1 job(s))" in out

    jobs = [j for j in s3c.list_jobs(AccountId=A)["Jobs"] if j.get("Description", "").startswith(f"s3xrep repair: {src} ")]
    assert len(jobs) == 1, out
    job = s3c.describe_job(AccountId=A, JobId=jobs[0]["JobId"])["Job"]
    location = job["Manifest"]["Location"]
    bucket, key = location["ObjectArn"].split(":::", 1)[1].split("/", 1)
    assert bucket == rep and key.startswith(f"s3xrep/batch-reports/repair/{plan_id}/")
    body = s3a.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert sorted((r[0], unquote(r[1]), r[2]) for r in rows) == sorted((src, k, versions[k]) for k in BROKEN)
    assert job["ProgressSummary"]["NumberOfTasksSucceeded"] == len(BROKEN)
    for k in BROKEN:
        assert s3b.head_object(Bucket=dst, Key=k, VersionId=versions[k])["ReplicationStatus"] == "REPLICA"
    statement = iam.get_role_policy(RoleName=job["RoleArn"].rsplit("/", 1)[1], PolicyName=POLICY_NAME)[
        "PolicyDocument"]["Statement"][0]
    assert statement["Resource"] == f"arn:aws:s3:::{rep}/{key}"
    assert set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]) <= {
        "s3:GetObject", "s3:GetObjectVersion"}

    assert main(verify) == 1  # only the hard-deleted replica still matters
    assert re.search(r"missing +1  \(matters\)", capsys.readouterr().out)
    assert main(["repair", *repair_args, "--yes"]) == 0  # only versions a job cannot replicate: no new job
    assert "0 to replicate, 3 a job cannot replicate" in capsys.readouterr().out
    assert len([j for j in s3c.list_jobs(AccountId=A)["Jobs"] if j["Description"].startswith(f"s3xrep repair: {src} ")]) == 1

    assert main(["report", plan_id, "--format", "md"]) in (0, 1)  # the repair's writes are in the report's journal
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "s3.put_object" in out
    writes = [w["call"] for w in Journal(plan_id).read().writes()]
    assert writes[-3:] == ["s3.put_object", "iam.put_role_policy", "s3control.create_job"]
    assert main(["undo", plan_id, "--yes"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    with pytest.raises(ClientError):
        s3a.head_object(Bucket=rep, Key=key)
    with pytest.raises(ClientError):
        iam.get_role_policy(RoleName=job["RoleArn"].rsplit("/", 1)[1], PolicyName=POLICY_NAME)


def test_dry_run_previews_the_manifest_and_request_and_sends_nothing(
        env: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst, rep, _ = _world(sandbox, "dry")
    s3b, s3c = sandbox.clients(B)("s3"), sandbox.clients(A)("s3control")
    apply_args = _args(src, dst, rep)
    assert main(["apply", *apply_args, "--yes"]) == 0
    capsys.readouterr()
    wait_for(lambda: all(s3b.list_object_versions(Bucket=dst, Prefix=k).get("Versions") for k in KEYS), timeout=30,
             what="every version on the destination")
    version = _failed_versions(sandbox, src, dst, ["a.txt"])["a.txt"]
    before = len(s3c.list_jobs(AccountId=A)["Jobs"])
    repair_args = [a for a in apply_args if a not in ("--iam-wait", "0.1")]
    assert main(["repair", *repair_args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dry run, nothing is sent" in out and f"{src},a.txt,{version}" in out
    assert '"Format": "S3BatchOperations_CSV_20180820"' in out and '"s3:GetObject"' in out
    assert len(s3c.list_jobs(AccountId=A)["Jobs"]) == before
    assert not sandbox.clients(A)("s3").list_objects_v2(Bucket=rep, Prefix="s3xrep/batch-reports/repair/").get(
        "Contents")
    assert main(["repair", *repair_args, "--dry-run", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["manifest_rows"] == 1 and data["manifest_head"] == [f"{src},a.txt,{version}"]
    assert data["job_request"]["Manifest"]["Spec"]["Fields"] == ["Bucket", "Key", "VersionId"]
    assert main(["repair", *repair_args]) == 2  # no terminal, no --yes
    assert "pass --yes" in capsys.readouterr().err
    for read_only in (["--read-only", "repair", *repair_args, "--yes"], ["repair", *repair_args, "--yes", "--read-only"]):
        assert main(read_only) == 1  # still missing: nothing was sent
        assert "Read-only: nothing is sent" in capsys.readouterr().out
    assert len(s3c.list_jobs(AccountId=A)["Jobs"]) == before
    assert not sandbox.clients(A)("s3").list_objects_v2(Bucket=rep, Prefix="s3xrep/batch-reports/repair/").get(
        "Contents")


def test_repair_of_a_plan_never_applied_is_blocked(env: Path, sandbox: Sandbox, capsys) -> None:
    src, dst, rep, _ = _world(sandbox, "never")
    code = main(["repair", *[a for a in _args(src, dst, rep) if a not in ("--iam-wait", "0.1")], "--yes"])
    assert code == 3
    assert "never applied" in capsys.readouterr().err
    for bad in (["--max-rounds", "0"], ["--wait", "-1"]):
        assert main(["repair", *[a for a in _args(src, dst, rep) if a not in ("--iam-wait", "0.1")], "--yes", *bad]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("s3xrep repair: --")


def test_a_repair_job_still_running_after_wait_is_reported_and_undo_cancels_it(
        env: Path, sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    src, dst, rep, _ = _world(sandbox, "slow")
    s3a, s3c = sandbox.clients(A)("s3"), sandbox.clients(A)("s3control")
    apply_args = _args(src, dst, rep)
    assert main(["apply", *apply_args, "--yes"]) == 0
    plan_id = next(line.split(": ", 1)[1] for line in capsys.readouterr().out.splitlines()
                   if line.startswith("Plan id: "))
    wait_for(lambda: _jobs_done(s3c, src), timeout=30, what="the apply's Batch job to end")
    _failed_versions(sandbox, src, dst, ["a.txt", "d.txt"])
    repair_args = [a for a in apply_args if a not in ("--iam-wait", "0.1")]
    rate = sandbox.batch.task_rate
    sandbox.batch.task_rate = 0.001  # the first task at once, the second in 1,000 s
    try:
        code = main(["repair", *repair_args, "--yes", "--wait", "0", "--max-rounds", "3"])
        out, err = capsys.readouterr()
        assert code == 1, out + err
        assert "follow it with s3xrep jobs" in out and "still missing" in err
        jobs = [j for j in s3c.list_jobs(AccountId=A)["Jobs"] if j["Description"].startswith(f"s3xrep repair: {src} ")]
        assert len(jobs) == 1  # no second round while the first job runs
        assert main(["undo", plan_id, "--yes"]) in (0, 1)
        out = capsys.readouterr().out
        assert f"Batch Replication job {jobs[0]['JobId']} cancelled" in out
        status = s3c.describe_job(AccountId=A, JobId=jobs[0]["JobId"])["Job"]["Status"]
        assert status in ("Cancelling", "Cancelled")
        assert not s3a.list_objects_v2(Bucket=rep, Prefix="s3xrep/batch-reports/repair/").get("Contents")
    finally:
        sandbox.batch.task_rate = rate
