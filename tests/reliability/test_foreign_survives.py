"""Property (issue 14): whatever is there already, plan + apply + undo leaves every foreign element as it was.

Hypothesis draws the world a migration meets, on the embedded sandbox over HTTP:

* a destination bucket policy of foreign statements: Allow and Deny, ``Principal`` and
  ``NotPrincipal``, Conditions, sometimes one that uses our Sid family with another principal,
  sometimes one in our Sid family naming our role (ours only with the journal's proof);
* a source replication configuration of foreign rules (other destinations, prefixes, storage
  classes, priorities), sometimes one with our rule ID, its Role ours by name or a legacy role;
* roles with our default names (trusted by EC2 or an account, with inline policies and tags
  of their own) and the legacy role;
* with or without ``--adopt``.

Then either the plan is blocked and apply is refused before its first write (nothing changed),
or apply succeeds, every foreign statement, rule and role is exactly as it was (unless the
user adopted it), and undo brings back the policy text, the configuration and every role
byte for byte (the roles apply created are gone again). Versioning stays Enabled and the
Batch job stays cancelled: neither can be undone on AWS, and neither is foreign.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.names import sid_family
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import FAST, get_or_none

_names = itertools.count()

_conditions = st.sampled_from([
    None,
    {"Bool": {"aws:SecureTransport": "false"}},
    {"StringEquals": {"aws:PrincipalAccount": B}},
    {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.0/24"]}},
])
_principals = st.sampled_from([
    ("Principal", {"AWS": f"arn:aws:iam::{B}:root"}),
    ("Principal", "*"),
    ("Principal", {"AWS": [f"arn:aws:iam::{B}:root", f"arn:aws:iam::{A}:root"]}),
    ("Principal", {"Service": "logging.s3.amazonaws.com"}),
    ("NotPrincipal", {"AWS": f"arn:aws:iam::{B}:root"}),
])


@st.composite
def statements(draw: st.DrawFn, bucket: str, sid: str | None) -> dict[str, Any]:
    effect = draw(st.sampled_from(["Allow", "Deny"]))
    key, principal = draw(_principals)
    if key == "NotPrincipal":
        effect = "Deny"  # IAM allows NotPrincipal only with Deny
    on_bucket = draw(st.booleans())
    statement: dict[str, Any] = {"Sid": sid} if sid else {}
    statement |= {
        "Effect": effect,
        key: principal,
        "Action": ["s3:ListBucket"] if on_bucket else draw(st.lists(
            st.sampled_from(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]), min_size=1, max_size=3, unique=True)),
        "Resource": f"arn:aws:s3:::{bucket}" if on_bucket else f"arn:aws:s3:::{bucket}/{draw(st.sampled_from(['', 'logs/']))}*",
    }
    if (condition := draw(_conditions)) is not None:
        statement["Condition"] = condition
    return statement


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    n = next(_names)
    src, dst = f"fs-src-{n}", f"fs-dst-{n}"
    family = sid_family(A, src, dst)
    sids = draw(st.lists(st.text("abcXYZ019", min_size=1, max_size=8), max_size=4, unique=True))
    policy = [draw(statements(dst, sid)) for sid in sids] + [draw(statements(dst, None))] * draw(st.integers(0, 1))
    if draw(st.integers(0, 4)) == 0:  # our Sid family with someone else's principal: a collision
        policy.insert(draw(st.integers(0, len(policy))), draw(statements(dst, family + "Theirs")))
    if draw(st.integers(0, 3)) == 0:  # our Sid family naming our role, written by someone else: not ours
        squat = {"Sid": family + draw(st.sampled_from(["ReplicateObjects", "Audit"])), "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{A}:role/s3xrep-repl-{src}"},
                 "Action": draw(st.sampled_from([["s3:GetObject"], ["s3:ReplicateObject", "s3:PutObject"]])),
                 "Resource": f"arn:aws:s3:::{dst}/*"}
        policy.insert(draw(st.integers(0, len(policy))), squat)
    rules = []
    ids = draw(st.lists(st.text("abcdef-", min_size=1, max_size=6), max_size=3, unique=True))
    if draw(st.booleans()):
        ids.append(f"s3xrep-to-{dst}")  # our ID, someone else's content
    priorities = draw(st.permutations(range(1, 8)))
    for rule_id, priority in zip(ids, priorities, strict=False):
        destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::fs-else-{n}"}
        if (storage := draw(st.sampled_from([None, "GLACIER", "STANDARD_IA"]))) is not None:
            destination["StorageClass"] = storage
        rules.append({
            "ID": rule_id, "Priority": priority, "Status": draw(st.sampled_from(["Enabled", "Disabled"])),
            "Filter": {"Prefix": draw(st.sampled_from(["", "logs/", "a/b/"]))},
            "DeleteMarkerReplication": {"Status": draw(st.sampled_from(["Enabled", "Disabled"]))},
            "Destination": destination,
        })
    role = draw(st.sampled_from([f"s3xrep-repl-{src}", f"legacy-{src}"]))
    roles = {}
    for name in (f"s3xrep-repl-{src}", f"s3xrep-batch-{src}"):
        if draw(st.booleans()):
            trust_principal = draw(st.sampled_from([{"Service": "ec2.amazonaws.com"}, {"AWS": f"arn:aws:iam::{A}:root"}]))
            roles[name] = {
                "trust": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": trust_principal, "Action": "sts:AssumeRole"}]},
                "inline": {draw(st.sampled_from(["broad", "admin"])): {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": draw(st.sampled_from(["s3:*", "*"])), "Resource": "*"}]}},
                "tags": [{"Key": "team", "Value": draw(st.sampled_from(["data", "web"]))}] * draw(st.integers(0, 1)),
            }
    if rules and role.startswith("legacy-"):
        roles[role] = {"trust": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "inline": {"legacy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}}, "tags": []}
    return {
        "src": src, "dst": dst, "elsewhere": f"fs-else-{n}", "report": f"fs-rep-{n}",
        "policy": {"Version": "2012-10-17", "Statement": policy} if policy else None,
        "replication": {"Role": f"arn:aws:iam::{A}:role/{role}", "Rules": rules} if rules else None,
        "roles": roles,
        "adopt": draw(st.booleans()),
    }


def _build(accounts: dict[str, Any], world: dict[str, Any]) -> None:
    s3a, s3b, iam = accounts[A]("s3"), accounts[B]("s3"), accounts[A]("iam")
    for bucket in (world["src"], world["elsewhere"], world["report"]):
        s3a.create_bucket(Bucket=bucket)
    s3a.put_object(Bucket=world["src"], Key="logs/1.txt", Body=b"x")
    s3b.create_bucket(Bucket=world["dst"])
    if world["policy"] is not None:  # minified, so the text undo puts back can be compared byte for byte
        s3b.put_bucket_policy(Bucket=world["dst"], Policy=json.dumps(world["policy"], separators=(",", ":")))
    if world["replication"] is not None:
        for bucket in (world["src"], world["elsewhere"]):
            s3a.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3a.put_bucket_replication(Bucket=world["src"], ReplicationConfiguration=world["replication"])
    for name, role in world["roles"].items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(role["trust"]), Tags=role["tags"])
        for policy, document in role["inline"].items():
            iam.put_role_policy(RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(document))


def _role(iam: Any, name: str) -> str | None:
    role = get_or_none(lambda: iam.get_role(RoleName=name)["Role"], "NoSuchEntity")
    if role is None:
        return None
    return json.dumps({
        "trust": role["AssumeRolePolicyDocument"],
        "inline": {p: iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                   for p in iam.list_role_policies(RoleName=name)["PolicyNames"]},
        "attached": iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"],
        "tags": iam.list_role_tags(RoleName=name)["Tags"],
    })


def _snapshot(accounts: dict[str, Any], world: dict[str, Any]) -> dict[str, Any]:
    s3a, s3b, iam = accounts[A]("s3"), accounts[B]("s3"), accounts[A]("iam")
    src = world["src"]
    replication = get_or_none(lambda: s3a.get_bucket_replication(Bucket=src)["ReplicationConfiguration"],
                              "ReplicationConfigurationNotFoundError")
    return {
        "policy": get_or_none(lambda: s3b.get_bucket_policy(Bucket=world["dst"])["Policy"], "NoSuchBucketPolicy"),
        "replication": replication,
        "roles": {name: _role(iam, name) for name in (f"s3xrep-repl-{src}", f"s3xrep-batch-{src}", f"legacy-{src}")},
        "versioning": s3a.get_bucket_versioning(Bucket=src).get("Status"),
    }


def _dumped(items: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(item) for item in items]  # key order kept: byte for byte, not just equal


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(worlds())
def test_foreign_statements_rules_and_roles_survive_plan_apply_undo(
    sandbox: Sandbox, accounts: dict[str, Any], world: dict[str, Any]
) -> None:
    _build(accounts, world)
    clients = {"source": accounts[A], "destination": accounts[B]}
    options = MigrationOptions(report_bucket=world["report"], adopt=world["adopt"])
    before = _snapshot(accounts, world)
    plan = build_plan(gather_inputs(clients["source"], clients["destination"], world["src"], world["dst"], options))
    blocking = sorted({f.id for f in plan.findings if f.severity == "blocking"})
    event(f"blocked: {', '.join(blocking)}" if blocking else "applied" + (" (adopting)" if world["adopt"] else ""))
    if plan.blocked:
        with pytest.raises(ValueError, match="blocked"):
            apply_plan(plan, clients, options=options, backoff=FAST)
        assert _snapshot(accounts, world) == before  # refused before its first write
        return

    result = apply_plan(plan, clients, options=options, backoff=FAST)
    assert result.ok, result.summary()
    applied = _snapshot(accounts, world)
    family = sid_family(A, world["src"], world["dst"])
    statements = json.loads(applied["policy"])["Statement"]
    ours = {s["Sid"] for s in plan.documents["destination_bucket_policy"]["Statement"]
            if s.get("Sid", "").startswith(family) and s not in (world["policy"] or {}).get("Statement", [])}
    foreign = [s for s in (world["policy"] or {}).get("Statement", [])  # adopted: replaced by ours (journaled)
               if not (world["adopt"] and s.get("Sid") in ours)]
    kept = [s for s in statements if s in foreign]
    assert _dumped(kept) == _dumped(foreign)  # every foreign statement, even in our Sid family: same, same order
    our_id = f"s3xrep-to-{world['dst']}"
    adopted = our_id if world["adopt"] else None  # a rule with our ID is foreign here unless adopted
    foreign_rules = [r for r in (before["replication"] or {}).get("Rules", []) if r["ID"] != adopted]
    assert _dumped([r for r in applied["replication"]["Rules"] if r["ID"] in {f["ID"] for f in foreign_rules}]) \
        == _dumped(foreign_rules)
    for name, state in before["roles"].items():
        if state is None or (world["adopt"] and name.startswith("s3xrep-")):
            continue  # absent before, or the user adopted it (journaled; checked after undo)
        was, now = json.loads(state), json.loads(applied["roles"][name])
        assert (now["trust"], now["tags"], now["attached"]) == (was["trust"], was["tags"], was["attached"]), name
        assert {p: d for p, d in now["inline"].items() if p in was["inline"]} == was["inline"], name

    undone = undo(plan.id, clients, backoff=FAST)
    assert undone.ok, [(i.call, i.status, i.message) for i in undone.items]
    after = _snapshot(accounts, world)
    assert after | {"versioning": None} == before | {"versioning": None}
