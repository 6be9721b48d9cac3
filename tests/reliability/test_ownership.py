"""A rule or role is ours only when proven, never because it carries our default name (issue 14, item 2).

End to end through the CLI on the sandbox, over HTTP:

* a replication rule with the ID ``s3xrep-to-DEST`` but another destination, prefix and
  storage class: ``plan`` exits 3 naming it; ``--rule-id`` adds ours next to it and leaves it
  as it was; ``--adopt`` replaces it (the journal fingerprints what we wrote, so a later plan
  with other options knows the rule is ours), and ``undo`` puts it back byte for byte;
* a role named ``s3xrep-repl-SRC`` trusted by ``ec2.amazonaws.com`` with an inline policy of
  its own: ``plan`` exits 3 naming the role and its principal; ``--role-name`` leaves it
  alone; ``--adopt`` journals its trust, policies and tags, tags it ours, and ``undo`` restores
  all of them;
* a foreign rule with our ID that appears between plan and apply is refused by apply;
* the roles apply creates carry ``s3xrep:managed-by``, so re-planning them is not blocked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.cli import main
from s3xrep_tui.core.ownership import MANAGED_TAG, MANAGED_VALUE
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import World
from tests.reliability.conftest import DST_PROFILE, SRC_PROFILE

EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
BROAD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _args(w: World, *extra: str) -> list[str]:
    return ["--source", f"{SRC_PROFILE}:{w.src}", "--dest", f"{DST_PROFILE}:{w.dst}", "--report-bucket", w.report,
            *extra]


def _plan(capsys: pytest.CaptureFixture[str], w: World, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _run(capsys, "plan", *_args(w, *extra), "--json")
    assert code in (0, 3), err
    return code, json.loads(out)


def _findings(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in plan["findings"]}


def _apply(capsys: pytest.CaptureFixture[str], w: World, *extra: str) -> str:
    code, out, err = _run(capsys, "apply", *_args(w, *extra), "--yes", "--iam-wait", "1")
    assert code == 0, out + err
    return next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("Plan id: "))


def _undo(capsys: pytest.CaptureFixture[str], plan_id: str) -> None:
    code, out, err = _run(capsys, "undo", plan_id, "--yes")
    assert code == 0, out + err


# --- a foreign rule with our ID -------------------------------------------------------------------


def _foreign_rule(w: World) -> dict[str, Any]:
    """Versioned source; a rule ``s3xrep-to-DST`` that replicates logs/ elsewhere as GLACIER."""
    s3a = w.s3a()
    elsewhere = f"else-{w.src}"
    s3a.create_bucket(Bucket=elsewhere)
    for bucket in (w.src, elsewhere):
        s3a.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    config = {
        "Role": f"arn:aws:iam::{A}:role/s3xrep-repl-{w.src}",
        "Rules": [{
            "ID": f"s3xrep-to-{w.dst}", "Priority": 7, "Status": "Enabled", "Filter": {"Prefix": "logs/"},
            "DeleteMarkerReplication": {"Status": "Enabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{elsewhere}", "StorageClass": "GLACIER"},
        }],
    }
    s3a.put_bucket_replication(Bucket=w.src, ReplicationConfiguration=config)
    return w.replication()


def test_a_foreign_rule_with_our_id_blocks_the_plan_naming_it(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("own-rule-block")
    before = _foreign_rule(w)
    code, plan = _plan(capsys, w)
    assert code == 3
    finding = _findings(plan)["replication-rule-id-taken"]
    assert finding["severity"] == "blocking"
    assert all(part in finding["message"] for part in (f"s3xrep-to-{w.dst}", f"else-{w.src}", "'logs/'", "GLACIER"))
    assert "--rule-id" in finding["fix"] and "--adopt" in finding["fix"]
    code, out, err = _run(capsys, "apply", *_args(w), "--yes")
    assert code == 3 and w.replication() == before  # refused before any write


def test_rule_id_adds_ours_next_to_the_foreign_rule_and_undo_leaves_it_as_it_was(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("own-rule-id")
    before = _foreign_rule(w)
    plan_id = _apply(capsys, w, "--rule-id", "mine")
    rules = {r["ID"]: r for r in w.replication()["Rules"]}
    assert set(rules) == {f"s3xrep-to-{w.dst}", "mine"}
    assert rules[f"s3xrep-to-{w.dst}"] == before["Rules"][0]
    _undo(capsys, plan_id)
    assert w.replication() == before


def test_adopt_replaces_the_rule_journaled_and_undo_restores_it(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("own-rule-adopt")
    before = _foreign_rule(w)
    code, plan = _plan(capsys, w, "--adopt")
    assert code == 0 and _findings(plan)["replication-rule-adopted"]["severity"] == "warning"
    plan_id = _apply(capsys, w, "--adopt")
    (rule,) = w.replication()["Rules"]
    assert rule["Destination"]["Bucket"] == f"arn:aws:s3:::{w.dst}" and rule["Priority"] == 7
    writes = [e for e in Journal(plan_id).read().writes() if e["call"] == "s3.put_bucket_replication"]
    assert writes and writes[-1]["before"] == before and writes[-1]["rule_fingerprint"]
    # the journal proves the rule is ours: another plan with other options replaces it without --adopt
    code, plan = _plan(capsys, w, "--prefix", "photos/")
    assert code == 0 and _findings(plan)["replication-rule-replaced"]["severity"] == "info", plan["findings"]
    _undo(capsys, plan_id)
    assert w.replication() == before
    code, plan = _plan(capsys, w)
    assert code == 3 and "replication-rule-id-taken" in _findings(plan)  # theirs again: our fingerprint is not theirs


def test_a_foreign_rule_with_our_id_added_after_the_plan_is_not_replaced_by_apply(
    world: Callable[[str], World]
) -> None:
    w = world("own-rule-race")
    plan = w.plan()
    assert not plan.blocked
    before = _foreign_rule(w)  # someone else's rule with our ID, between plan and apply
    result = w.apply(plan)
    assert result.failed is not None and result.failed.step.call == "s3.put_bucket_replication"
    assert result.error is not None and result.error.code == "RuleNotOurs" and "plan again" in result.error.fix
    assert w.replication() == before


# --- a foreign role with our name -----------------------------------------------------------------


def _foreign_role(w: World) -> dict[str, Any]:
    iam = w.iam()
    name = f"s3xrep-repl-{w.src}"
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(EC2_TRUST), Tags=[{"Key": "team", "Value": "data"}])
    iam.put_role_policy(RoleName=name, PolicyName="broad", PolicyDocument=json.dumps(BROAD))
    return _role_state(w, name)


def _role_state(w: World, name: str) -> dict[str, Any]:
    iam = w.iam()
    return {
        "trust": iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"],
        "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                   for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
        "attached": iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"],
        "tags": iam.list_role_tags(RoleName=name)["Tags"],
    }


def test_a_foreign_role_with_our_name_blocks_the_plan_naming_it_and_its_principal(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("own-role-block")
    before = _foreign_role(w)
    code, plan = _plan(capsys, w)
    assert code == 3
    finding = _findings(plan)["replication-role-name-taken"]
    assert all(part in finding["message"] for part in (f"s3xrep-repl-{w.src}", "ec2.amazonaws.com", "broad"))
    assert "--role-name" in finding["fix"] and "--adopt" in finding["fix"]
    code, _, _ = _run(capsys, "apply", *_args(w), "--yes")
    assert code == 3 and _role_state(w, f"s3xrep-repl-{w.src}") == before


def test_role_name_leaves_the_foreign_role_alone(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("own-role-name")
    before = _foreign_role(w)
    plan_id = _apply(capsys, w, "--role-name", f"mine-{w.src}")
    assert _role_state(w, f"s3xrep-repl-{w.src}") == before
    assert w.replication()["Role"] == f"arn:aws:iam::{A}:role/mine-{w.src}"
    tags = {t["Key"]: t["Value"] for t in w.iam().list_role_tags(RoleName=f"mine-{w.src}")["Tags"]}
    assert tags[MANAGED_TAG] == MANAGED_VALUE  # the roles we create carry our mark
    code, _ = _plan(capsys, w, "--role-name", f"mine-{w.src}")
    assert code == 0  # ... so planning them again is not blocked
    _undo(capsys, plan_id)
    assert _role_state(w, f"s3xrep-repl-{w.src}") == before


def test_adopt_takes_the_role_over_journaled_and_undo_restores_trust_policies_and_tags(
    world: Callable[[str], World], cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = world("own-role-adopt")
    name = f"s3xrep-repl-{w.src}"
    before = _foreign_role(w)
    code, plan = _plan(capsys, w, "--adopt")
    finding = _findings(plan)["replication-role-adopted"]
    assert code == 0 and finding["severity"] == "warning" and "broad" in finding["message"]
    plan_id = _apply(capsys, w, "--adopt")
    now = _role_state(w, name)
    assert "s3.amazonaws.com" in json.dumps(now["trust"]) and "ec2" not in json.dumps(now["trust"])
    assert {t["Key"]: t["Value"] for t in now["tags"]} == {"team": "data", MANAGED_TAG: MANAGED_VALUE}
    (tagged,) = [e for e in Journal(plan_id).read().writes() if e["call"] == "iam.tag_role"]
    assert tagged["before"]["Tags"] == {"team": "data"} and tagged["before"]["InlinePolicies"] == {"broad": BROAD}
    assert tagged["before"]["AssumeRolePolicyDocument"] == EC2_TRUST
    code, _ = _plan(capsys, w)
    assert code == 0  # adopted: ours now, no --adopt needed
    _undo(capsys, plan_id)
    assert _role_state(w, name) == before
    code, plan = _plan(capsys, w)
    assert code == 3 and "replication-role-name-taken" in _findings(plan)  # untagged again: not ours any more
