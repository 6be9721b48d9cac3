"""``s3xrep finish`` after ``s3xrep cutover`` (issue 18 items 3 and 5 together), on the sandbox.

Apply, backfill, verify, canary, cut over with the write freeze; then finish
needs no ``--not-cut-over``: it lifts the freeze (its handler is undo's), takes
our rule, roles and statements down, keeps the foreign statement and every
object, and the report says when the migration was cut over. Skipped until the
cut-over command is in the tree.
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
from tests.apply_world import get_or_none

from ..sandbox.helpers import head_status, wait_for

SRC, DST = "fc-src", "fc-dst"
FOREIGN = {"Sid": "ReadersKeepReading", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
           "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{SRC}/*"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("finish-cutover") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


def _pair() -> list[str]:
    return ["--source", f"{PROFILES['source']}:{SRC}", "--dest", f"{PROFILES['destination']}:{DST}", "--metrics"]


def test_finish_after_a_cut_over_with_the_write_freeze(sandbox: Sandbox, env: Path, capsys: Any) -> None:
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    s3a.create_bucket(Bucket=SRC)
    s3a.put_bucket_versioning(Bucket=SRC, VersioningConfiguration={"Status": "Enabled"})
    s3b.create_bucket(Bucket=DST)
    for index in range(3):
        s3a.put_object(Bucket=SRC, Key=f"old/{index}.txt", Body=b"old")
    s3a.put_bucket_policy(Bucket=SRC, Policy=json.dumps({"Version": "2012-10-17", "Statement": [FOREIGN]}))
    assert main(["apply", *_pair(), "--yes", "--iam-wait", "0.1"]) == 0
    wait_for(lambda: all(head_status(s3a, SRC, f"old/{i}.txt") == "COMPLETED" for i in range(3)), timeout=60,
             what="the backfill")
    plan_id = next(p.stem for p in (env / "journal").iterdir())
    assert main(["verify", *_pair()[:4]]) == 0
    assert main(["canary", *_pair()[:4]]) == 0
    fast = ["--period", "1", "--sample", "200"]
    wait_for(lambda: main(["cutover", *_pair(), *fast, "--check"]) == 0, timeout=30, what="go")
    assert main(["cutover", *_pair(), *fast, "--freeze", "--yes", "--drain-timeout", "30"]) == 0
    assert len(json.loads(s3a.get_bucket_policy(Bucket=SRC)["Policy"])["Statement"]) == 2  # the freeze is on
    versions = [sorted(v["VersionId"] for v in s3.list_object_versions(Bucket=b).get("Versions", []))
                for s3, b in ((s3a, SRC), (s3b, DST))]
    capsys.readouterr()

    assert main(["finish", plan_id, "--yes"]) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    assert "no cut-over record" not in captured.err and "Finished at" in captured.out
    assert "not removed" not in captured.out  # the preview knows the roles the freeze spares go once it is lifted
    assert json.loads(s3a.get_bucket_policy(Bucket=SRC)["Policy"])["Statement"] == [FOREIGN]  # freeze lifted
    assert get_or_none(lambda: s3a.get_bucket_replication(Bucket=SRC), "ReplicationConfigurationNotFoundError") is None
    assert get_or_none(lambda: s3b.get_bucket_policy(Bucket=DST), "NoSuchBucketPolicy") is None  # only ours was there
    assert not [r for r in sandbox.clients(A)("iam").list_roles()["Roles"] if r["RoleName"].startswith("s3xrep")]
    assert [sorted(v["VersionId"] for v in s3.list_object_versions(Bucket=b).get("Versions", []))
            for s3, b in ((s3a, SRC), (s3b, DST))] == versions
    record = [e for e in Journal(plan_id).read().entries if e["kind"] == "finish"][-1]
    assert record["complete"] and record["not_cut_over"] is False
    assert main(["report", plan_id, "--format", "md"]) in (0, 1)
    assert "; cut over " in capsys.readouterr().out
