"""``s3xrep cutover`` end to end on the sandbox: apply and backfill, go/no-go, cut-over with the write
freeze and final drain, the way back (replication destination -> source, not again forward), the
freeze taken off by undo's handler and by ``--lift-freeze``; foreign statements kept throughout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.cli import main
from s3xrep_tui.commands.cutover import _applied_reverse
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

from ..sandbox.helpers import head_status, wait_final, wait_for

SRC, DST = "co-src", "co-dst"
FOREIGN = {"Sid": "ReadersKeepReading", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
           "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{SRC}/*"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("cutover") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, job_dwell=0.0,
                 config_path=config) as running:
        yield running


def _pair() -> list[str]:
    # --no-alarms: this story checks the checklist's neutral "no alarms were planned" (the TUI test sees alarms OK)
    return ["--source", f"{PROFILES['source']}:{SRC}", "--dest", f"{PROFILES['destination']}:{DST}", "--metrics",
            "--no-alarms"]


def _fast() -> list[str]:
    return ["--period", "1", "--sample", "200"]


def _policy(s3: Any, bucket: str) -> dict[str, Any]:
    return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])


@pytest.mark.e2e
def test_go_no_go_cutover_with_freeze_and_the_way_back(sandbox: Sandbox, env: Path, capsys: Any) -> None:
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    s3a.create_bucket(Bucket=SRC)
    s3a.put_bucket_versioning(Bucket=SRC, VersioningConfiguration={"Status": "Enabled"})
    s3b.create_bucket(Bucket=DST)
    for index in range(5):
        s3a.put_object(Bucket=SRC, Key=f"old/{index}.txt", Body=b"old")
    s3a.put_bucket_policy(Bucket=SRC, Policy=json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN]}))

    assert main(["apply", *_pair(), "--yes", "--iam-wait", "0.1"]) == 0
    wait_for(lambda: all(head_status(s3a, SRC, f"old/{i}.txt") == "COMPLETED" for i in range(5)), timeout=60,
             what="the backfill")
    plan_id = next(p.stem for p in (env / "journal").iterdir())
    capsys.readouterr()

    # go/no-go: no verify, no canary yet; alarms were never planned (neutral)
    assert main(["cutover", *_pair(), *_fast(), "--check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("NO-GO") and "[BLOCKED] Clean verify" in out and "[BLOCKED] Canary" in out
    assert "[N/A    ] Alarms: no alarms were planned" in out
    assert main(["verify", *_pair()[:4]]) == 0
    assert main(["canary", *_pair()[:4]]) == 0
    capsys.readouterr()
    wait_for(lambda: main(["cutover", *_pair(), *_fast(), "--check"]) == 0, timeout=30, what="go")
    assert capsys.readouterr().out.splitlines()[-7].startswith("GO")

    # the cut-over: freeze, final drain, final verify, recorded
    assert main(["cutover", *_pair(), *_fast(), "--freeze", "--yes", "--drain-timeout", "30"]) == 0
    out = capsys.readouterr().out
    assert "Cut-over recorded" in out and "object writes on co-src denied" in out
    with pytest.raises(ClientError) as refused:
        s3a.put_object(Bucket=SRC, Key="late.txt", Body=b"too late")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    statements = _policy(s3a, SRC)["Statement"]
    assert statements[0] == FOREIGN and statements[1]["Effect"] == "Deny"
    record = [e for e in Journal(plan_id).read().entries if e["kind"] == "cutover"][-1]
    assert record["frozen"] and record["verify_ok"] and record["drained"]["drained"]
    assert {"failed", "canary", "destination", "alarms"} <= set(record["green"])

    # the way back: destination -> source, loop-free, through the freeze (replicas are not s3:PutObject)
    assert main(["cutover", *_pair(), "--reverse", "--replica-modifications", "--yes"]) == 0
    out = capsys.readouterr().out
    synced = {"ReplicaModifications": {"Status": "Enabled"}}
    for s3, bucket in ((s3a, SRC), (s3b, DST)):  # both rules sync replica changes
        rules = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"]
        assert [r.get("SourceSelectionCriteria") for r in rules] == [synced], rules
    reverse_id = next(line.split()[2].rstrip(":") for line in out.splitlines() if line.startswith("Reverse plan"))
    back = s3b.put_object(Bucket=DST, Key="new-in-b.txt", Body=b"written after cut-over")["VersionId"]
    assert wait_final(s3b, DST, "new-in-b.txt", back) == "COMPLETED"
    assert s3a.head_object(Bucket=SRC, Key="new-in-b.txt", VersionId=back)["ReplicationStatus"] == "REPLICA"
    wait_for(lambda: sandbox.engine.pending_count() == 0, what="an empty replication queue")
    assert [v["VersionId"] for v in s3b.list_object_versions(Bucket=DST, Prefix="new-in-b.txt")["Versions"]] == [back]
    # rolling back is the same cut-over the other way: its checklist measures the reverse plan
    back_pair = ["--source", f"{PROFILES['destination']}:{DST}", "--dest", f"{PROFILES['source']}:{SRC}",
                 "--metrics", "--no-existing", "--replica-modifications"]
    main(["cutover", *back_pair, *_fast(), "--check"])
    rollback = capsys.readouterr().out
    assert f"cut-over of {DST} -> {SRC} (plan {reverse_id})" in rollback
    assert "[GO     ] Destination as planned" in rollback and "[GO     ] FAILED versions" in rollback, rollback

    # a tag set on a replica in the destination goes back to the source object (replica modification sync)
    s3b.put_object_tagging(Bucket=DST, Key="old/0.txt", Tagging={"TagSet": [{"Key": "moved", "Value": "yes"}]})
    assert s3a.get_object_tagging(Bucket=SRC, Key="old/0.txt")["TagSet"] == [{"Key": "moved", "Value": "yes"}]
    assert _policy(s3a, SRC)["Statement"][0] == FOREIGN  # the reverse grant merged in, foreign kept
    assert len(_policy(s3a, SRC)["Statement"]) == 3

    # undo knows the freeze (dry run); the reverse comes down with its own undo (while the freeze, which
    # its journal saw, is still there: a whole-policy undo never clobbers a later change)
    assert main(["undo", plan_id, "--dry-run"]) == 0
    assert "would lift the write freeze from co-src" in capsys.readouterr().out
    pair = SimpleNamespace(source=SimpleNamespace(name=SRC), destination=SimpleNamespace(name=DST),
                           source_account=SimpleNamespace(id=A), destination_account=SimpleNamespace(id=B))
    assert _applied_reverse(pair) == reverse_id  # --lift-freeze now would warn about its undo
    assert main(["undo", reverse_id, "--yes"]) == 0
    assert _applied_reverse(pair) is None
    with pytest.raises(ClientError):
        s3b.get_bucket_replication(Bucket=DST)
    assert s3a.get_bucket_replication(Bucket=SRC)["ReplicationConfiguration"]["Rules"]

    # --lift-freeze takes exactly the freeze off: the foreign statement stays, writes work again
    assert main(["cutover", *_pair(), "--lift-freeze", "--yes"]) == 0
    assert _policy(s3a, SRC)["Statement"] == [FOREIGN]
    assert s3a.put_object(Bucket=SRC, Key="late.txt", Body=b"writes again")["VersionId"]
    read = Journal(plan_id).read()
    assert not read.undone()  # the migration is not undone: the home screen must not say so
    assert [e["status"] for e in read.entries if e["kind"] == "freeze-lifted"] == ["restored"]
    assert main(["undo", plan_id, "--dry-run"]) == 0  # a later undo finds the freeze gone
    assert "the write freeze is already gone from co-src" in capsys.readouterr().out


def test_bad_arguments_are_refused_before_any_call(capsys: Any) -> None:
    pair = ["--source", "nobody:bkt-one", "--dest", "nobody:bkt-two"]
    assert main(["cutover", *pair, "--allow-writer", "app-user", "--check"]) == 2
    assert "is not an IAM principal ARN" in capsys.readouterr().err
    assert main(["cutover", *pair, "--check", "--reverse"]) == 2
    assert main(["cutover", *pair, "--freeze"]) == 2  # no terminal to type the name on, no --yes
    assert "pass --yes" in capsys.readouterr().err
