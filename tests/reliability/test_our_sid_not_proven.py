"""A statement in our Sid family naming our role is ours only when the journal proves we wrote it.

Someone may write a statement with our Sid prefix and our (tagged) role's ARN: its Sid and principal
say nothing about who wrote it. On the sandbox, over HTTP:

* one with the Sid we write, other content: the plan blocks (``policy-statement-not-ours``) and
  apply is refused before its first write; ``--adopt`` replaces it, and undo puts it back;
* one with a Sid we do not write: the plan keeps it with a finding, apply leaves it exactly as it
  was, a later apply with other options too, and finish leaves it;
* ours, proven by the journal, is replaced when the options change; edited by someone after we
  wrote it, it is no longer proven: the next plan blocks instead of overwriting the edit.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.core.models import MigrationOptions, Plan
from s3xrep_tui.core.names import sid_family
from s3xrep_tui.core.ownership import role_tags
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import FAST, World


def _plan(w: World, **options: Any) -> Plan:
    c = w.clients
    return build_plan(gather_inputs(c["source"], c["destination"], w.src, w.dst,
                                    MigrationOptions(report_bucket=w.report, **options)))


def _apply(w: World, plan: Plan, **options: Any) -> None:
    from s3xrep_tui.aws.apply import apply_plan
    result = apply_plan(plan, w.clients, options=MigrationOptions(report_bucket=w.report, **options), backoff=FAST)
    assert result.ok, result.summary()


def _role_arn(w: World) -> str:
    return f"arn:aws:iam::{A}:role/s3xrep-repl-{w.src}"


def _squat(w: World, sid_kind: str, actions: list[str]) -> dict[str, Any]:
    """Add a statement in our Sid family that names our role, written by someone else."""
    statement = {"Sid": sid_family(A, w.src, w.dst) + sid_kind, "Effect": "Allow",
                 "Principal": {"AWS": _role_arn(w)}, "Action": actions, "Resource": f"arn:aws:s3:::{w.dst}/*"}
    policy = w.dst_policy() or {"Version": "2012-10-17", "Statement": []}
    policy["Statement"].append(statement)
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(policy))
    return statement


def _our_role_first(w: World) -> None:
    """Our tagged role exists already (made by an export, say): the statement's principal is ours."""
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    w.iam().create_role(RoleName=f"s3xrep-repl-{w.src}", AssumeRolePolicyDocument=json.dumps(trust),
                        Tags=role_tags())


def test_foreign_statement_with_our_sid_blocks_and_adopt_replaces_it(world: Any) -> None:
    w = world("sq-same")
    _our_role_first(w)
    theirs = _squat(w, "ReplicateObjects", ["s3:ReplicateObject", "s3:GetObject"])
    before = w.s3b().get_bucket_policy(Bucket=w.dst)["Policy"]

    plan = _plan(w)
    ids = {f.id: f for f in plan.findings}
    assert "policy-statement-not-ours" in ids and ids["policy-statement-not-ours"].severity == "blocking"
    assert "--adopt" in ids["policy-statement-not-ours"].fix
    assert plan.blocked
    assert w.s3b().get_bucket_policy(Bucket=w.dst)["Policy"] == before

    adopting = _plan(w, adopt=True)
    assert not adopting.blocked, [f.id for f in adopting.findings if f.severity == "blocking"]
    assert "policy-statement-adopted" in {f.id for f in adopting.findings}
    _apply(w, adopting, adopt=True)
    assert theirs not in (w.dst_policy() or {})["Statement"]
    assert undo(adopting.id, w.clients, backoff=FAST).ok
    assert w.dst_policy() == json.loads(before)  # theirs back as it was


def test_foreign_statement_in_our_family_is_kept_by_apply_reapply_and_finish(world: Any) -> None:
    w = world("sq-extra")
    _our_role_first(w)
    theirs = _squat(w, "Audit", ["s3:GetObject"])

    plan = _plan(w)
    assert not plan.blocked, [f.id for f in plan.findings if f.severity == "blocking"]
    kept = {f.id: f for f in plan.findings}.get("policy-statement-kept")
    assert kept is not None and theirs["Sid"] in kept.message
    _apply(w, plan)
    assert theirs in (w.dst_policy() or {})["Statement"]

    _apply(w, _plan(w, delete_markers=True), delete_markers=True)  # ours changes; theirs does not
    statements = (w.dst_policy() or {})["Statement"]
    assert theirs in statements
    assert any("s3:ReplicateDelete" in s["Action"] for s in statements if s["Sid"].endswith("ReplicateObjects"))

    from s3xrep_tui.aws.finish import finish
    finish(plan.id, w.clients, backoff=FAST, not_cut_over=True, allow_pending=True)
    assert theirs in (w.dst_policy() or {}).get("Statement", [])


def test_our_statement_edited_after_apply_is_no_longer_ours(world: Any) -> None:
    w = world("sq-edit")
    _apply(w, w.plan())
    policy = w.dst_policy()
    assert policy is not None
    ours = next(s for s in policy["Statement"] if s["Sid"].endswith("ReplicateObjects"))
    ours["Action"] = [*ours["Action"], "s3:GetObject"]  # someone's edit
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(policy))

    again = _plan(w, delete_markers=True)
    assert "policy-statement-not-ours" in {f.id for f in again.findings}
    with pytest.raises(ValueError, match="blocked"):
        _apply(w, again, delete_markers=True)
    assert ours in (w.dst_policy() or {})["Statement"]


def test_the_go_no_go_checks_our_statements_not_a_foreign_one_in_our_family(world: Any) -> None:
    """Its owner removing the foreign statement kept in the plan is no reason to hold the cut-over."""
    from s3xrep_tui.aws.cutover import measure

    w = world("sq-cut")
    _our_role_first(w)
    theirs = _squat(w, "Audit", ["s3:GetObject"])
    plan = _plan(w)
    _apply(w, plan)
    policy = w.dst_policy() or {}
    policy["Statement"] = [s for s in policy["Statement"] if s != theirs]
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(policy))
    c = w.clients
    inputs = gather_inputs(c["source"], c["destination"], w.src, w.dst, MigrationOptions(report_bucket=w.report))
    checklist = measure(plan, inputs, c, options=MigrationOptions(report_bucket=w.report), sample=10)
    item = next(i for i in checklist.items if i.id == "destination")
    assert item.verdict == "go", item.blocks
    assert "1 of 1 statement(s)" in item.measured


def test_a_kept_statement_its_owner_removes_before_apply_is_not_written_back(world: Any) -> None:
    """Between plan and apply, the owner of a statement the plan kept (not ours) removes it: apply
    writes only ours, so it does not come back, and no journal entry makes it look ours later."""
    w = world("sq-gone")
    _our_role_first(w)
    theirs = _squat(w, "Audit", ["s3:GetObject"])
    plan = _plan(w)
    assert "policy-statement-kept" in {f.id for f in plan.findings}
    policy = w.dst_policy() or {}
    policy["Statement"] = [s for s in policy["Statement"] if s != theirs]
    w.s3b().put_bucket_policy(Bucket=w.dst, Policy=json.dumps(policy))
    _apply(w, plan)
    assert theirs not in (w.dst_policy() or {})["Statement"]
