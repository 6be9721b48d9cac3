"""Undo of the cut-over's write freeze: exactly our statement out, changes made since then kept,
a statement with our Sid that the journal did not write left alone (skipped)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws.cutover_run import FREEZE_CALL, freeze
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.core.models import Account, Bucket, Plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox

ROLE = f"arn:aws:iam::{A}:role/s3xrep-repl-uf-src"
KEEP = {"Sid": "Keep", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{B}:root"}, "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::uf-src/*"}
LATER = {**KEEP, "Sid": "AddedAfterTheFreeze", "Action": "s3:GetObjectVersion"}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    with Sandbox(seed="empty", replication_delay=0.05, config_path=tmp_path / "aws-config") as sandbox:
        s3 = sandbox.clients(A)("s3")
        s3.create_bucket(Bucket="uf-src")
        s3.put_bucket_policy(Bucket="uf-src", Policy=json.dumps({"Version": "2012-10-17", "Statement": [KEEP]}))
        yield sandbox


def _plan(plan_id: str) -> Plan:
    return Plan(id=plan_id, source_account=Account(id=A), destination_account=Account(id=B),
                source=Bucket(name="uf-src", region="us-east-1"), destination=Bucket(name="uf-dst", region="us-east-1"),
                findings=(), steps=(), documents={"replication_configuration": {"Role": ROLE}})


def _statements(world: Sandbox) -> list[dict]:
    return json.loads(world.clients(A)("s3").get_bucket_policy(Bucket="uf-src")["Policy"])["Statement"]


def test_undo_lifts_only_the_freeze_and_keeps_a_later_change(world: Sandbox) -> None:
    clients = {"source": world.clients(A), "destination": world.clients(B)}
    plan = _plan("uf-src-to-uf-dst-00000001")
    assert "denied to all but" in freeze(plan, clients)
    frozen = _statements(world)
    assert frozen[0] == KEEP and frozen[1]["Effect"] == "Deny"
    writes = Journal(plan.id).read().writes()
    assert [w["call"] for w in writes] == [FREEZE_CALL] and writes[0]["statement"] == frozen[1]
    world.clients(A)("s3").put_bucket_policy(Bucket="uf-src", Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": frozen + [LATER]}))  # someone changes the policy meanwhile
    dry = undo(plan.id, clients, dry_run=True)
    assert [i.status for i in dry.items] == ["would-restore"]
    result = undo(plan.id, clients)
    assert [i.status for i in result.items] == ["restored"], result.items
    assert _statements(world) == [KEEP, LATER]
    assert [i.status for i in undo(plan.id, clients).items] == []  # settled: not looked at again


def test_a_changed_statement_with_our_sid_is_not_removed(world: Sandbox) -> None:
    clients = {"source": world.clients(A), "destination": world.clients(B)}
    plan = _plan("uf-src-to-uf-dst-00000002")
    freeze(plan, clients)
    changed = _statements(world)
    changed[1]["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(f"arn:aws:iam::{A}:user/someone")
    world.clients(A)("s3").put_bucket_policy(Bucket="uf-src", Policy=json.dumps({"Statement": changed}))
    item = undo(plan.id, clients).items[0]
    assert item.status == "skipped" and "refusing" in item.message
    assert _statements(world) == changed
