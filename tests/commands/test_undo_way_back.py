"""Undo of the way back after the write freeze was lifted: it converges, and says what it did.

The reverse plan journals the source bucket policy as it found it: the foreign statement and the
cut-over's write freeze. ``cutover --lift-freeze`` (or finish, or the forward undo) then takes the
freeze out, so the policy no longer equals what the reverse wrote. Undo used to skip that policy
("changed since apply") and then keep the reverse role (still named by it): the way back could
not be taken down without editing the policy by hand. The freeze is ours (the forward journal
recorded writing exactly that statement), so its going is not a foreign change: undo takes the
reverse statement out, leaves the freeze lifted, and deletes the reverse role. A foreign change
made since is still never clobbered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.cli import main
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import PROFILES, Sandbox
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import get_or_none

from ..sandbox.helpers import head_status, wait_for

FOREIGN = {"Sid": "ReadersKeepReading", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"},
           "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{bucket}/*"}
FAST = ["--period", "1", "--sample", "200"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("undo-way-back") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, job_dwell=0.0,
                 config_path=config) as running:
        yield running


def _foreign(bucket: str) -> dict[str, Any]:
    return {**FOREIGN, "Resource": f"arn:aws:s3:::{bucket}/*"}


def _policy(s3: Any, bucket: str) -> list[dict[str, Any]] | None:
    text = get_or_none(lambda: s3.get_bucket_policy(Bucket=bucket)["Policy"], "NoSuchBucketPolicy")
    return None if text is None else json.loads(text)["Statement"]


def _cut_over_with_the_way_back(sandbox: Sandbox, src: str, dst: str, capsys: Any) -> tuple[list[str], str]:
    """Apply, cut over with the freeze, and put the way back up; (the pair's arguments, the reverse plan id)."""
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    s3a.create_bucket(Bucket=src)
    s3a.put_bucket_versioning(Bucket=src, VersioningConfiguration={"Status": "Enabled"})
    s3b.create_bucket(Bucket=dst)
    s3a.put_object(Bucket=src, Key="old.txt", Body=b"old")
    s3a.put_bucket_policy(Bucket=src, Policy=json.dumps({"Version": "2012-10-17", "Statement": [_foreign(src)]}))
    pair = ["--source", f"{PROFILES['source']}:{src}", "--dest", f"{PROFILES['destination']}:{dst}", "--metrics",
            "--no-alarms"]
    assert main(["apply", *pair, "--yes", "--iam-wait", "0.1"]) == 0
    wait_for(lambda: head_status(s3a, src, "old.txt") == "COMPLETED", timeout=60, what="the backfill")
    assert main(["verify", *pair[:4]]) == 0 and main(["canary", *pair[:4]]) == 0
    wait_for(lambda: main(["cutover", *pair, *FAST, "--check"]) == 0, timeout=30, what="go")
    assert main(["cutover", *pair, *FAST, "--freeze", "--yes", "--drain-timeout", "30"]) == 0
    assert main(["cutover", *pair, "--reverse", "--yes"]) == 0
    out = capsys.readouterr().out
    reverse_id = next(line.split()[2].rstrip(":") for line in out.splitlines() if line.startswith("Reverse plan"))
    assert len(_policy(s3a, src) or []) == 3  # foreign, the freeze, the reverse grant
    return pair, reverse_id


def _reverse_roles(sandbox: Sandbox) -> list[str]:
    return sorted(r["RoleName"] for r in sandbox.clients(B)("iam").list_roles()["Roles"]
                  if r["RoleName"].startswith("s3xrep"))


def test_undo_of_the_way_back_after_lift_freeze_converges(sandbox: Sandbox, env: Path, capsys: Any) -> None:
    src, dst = "wb-src", "wb-dst"
    s3a, s3b = sandbox.clients(A)("s3"), sandbox.clients(B)("s3")
    pair, reverse_id = _cut_over_with_the_way_back(sandbox, src, dst, capsys)
    assert _reverse_roles(sandbox)  # the way back's role, in the destination account
    assert main(["cutover", *pair, "--lift-freeze", "--yes"]) == 0
    lifted = capsys.readouterr().out
    assert "freeze lifted from wb-src" in lifted and "remove its statement by hand" not in lifted
    assert len(_policy(s3a, src) or []) == 2  # foreign and the reverse grant

    assert main(["undo", reverse_id, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert "would restore the previous bucket policy of wb-src" in dry and "stays lifted" in dry, dry

    code = main(["undo", reverse_id, "--yes"])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "previous bucket policy of wb-src restored" in captured.out and "stays lifted" in captured.out
    assert "changed since apply" not in captured.out
    assert _policy(s3a, src) == [_foreign(src)]  # the reverse grant out, the freeze not put back
    assert s3a.put_object(Bucket=src, Key="writes-again.txt", Body=b"not frozen")["VersionId"]
    assert _reverse_roles(sandbox) == []  # the reverse role went once nothing named it
    assert get_or_none(lambda: s3b.get_bucket_replication(Bucket=dst), "ReplicationConfigurationNotFoundError") is None
    assert s3a.get_bucket_replication(Bucket=src)["ReplicationConfiguration"]["Rules"]  # the forward rule stays
    assert main(["undo", reverse_id, "--yes"]) == 0  # a second undo has nothing left to do


def test_a_foreign_change_since_is_still_never_clobbered(sandbox: Sandbox, env: Path, capsys: Any) -> None:
    src, dst = "wb-src-two", "wb-dst-two"
    s3a = sandbox.clients(A)("s3")
    pair, reverse_id = _cut_over_with_the_way_back(sandbox, src, dst, capsys)
    assert main(["cutover", *pair, "--lift-freeze", "--yes"]) == 0
    edited = (_policy(s3a, src) or []) + [{**_foreign(src), "Sid": "AddedAfterTheLift"}]
    s3a.put_bucket_policy(Bucket=src, Policy=json.dumps({"Version": "2012-10-17", "Statement": edited}))
    capsys.readouterr()
    assert main(["undo", reverse_id, "--yes"]) == 1
    out = capsys.readouterr().out
    assert "bucket policy of wb-src-two changed since apply wrote it" in out
    assert _policy(s3a, src) == edited  # left exactly as it is
