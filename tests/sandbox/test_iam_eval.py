"""The small IAM evaluator: wildcards, principals, explicit Deny."""

from __future__ import annotations

import json

from s3xrep_tui.sandbox import iam_eval
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT

from .helpers import S3_TRUST, policy

ROLE = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3-repl"


def test_glob_match():
    assert iam_eval.glob_match("s3:Replicate*", "s3:replicateobject", ignore_case=True)
    assert not iam_eval.glob_match("arn:aws:s3:::dst/*", "arn:aws:s3:::dst")
    assert iam_eval.glob_match("arn:aws:s3:::dst*", "arn:aws:s3:::dst-attacker/x")  # why the blog's pattern is too broad
    assert iam_eval.glob_match("arn:aws:s3:::d?t/[x]", "arn:aws:s3:::dst/[x]")


def test_resource_policy_principals_and_deny():
    res = "arn:aws:s3:::dst/k"
    allow = {"Effect": "Allow", "Action": "s3:ReplicateObject", "Resource": "arn:aws:s3:::dst/*"}
    assert iam_eval.resource_policy_decision(None, ROLE, "s3:ReplicateObject", res) == "none"
    for principal in ({"AWS": ROLE}, {"AWS": [ROLE]}, {"AWS": SOURCE_ACCOUNT}, {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:root"}, "*"):
        assert iam_eval.resource_policy_decision(policy({**allow, "Principal": principal}), ROLE, "s3:ReplicateObject", res) == "allow"
    assert iam_eval.resource_policy_decision(policy({**allow, "Principal": {"AWS": "999999999999"}}), ROLE,
                                             "s3:ReplicateObject", res) == "none"
    denied = policy({**allow, "Principal": {"AWS": ROLE}}, {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    assert iam_eval.resource_policy_decision(denied, ROLE, "s3:ReplicateObject", res) == "deny"
    service = policy({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert iam_eval.resource_policy_decision(service, "s3.amazonaws.com", "sts:AssumeRole", "*") == "allow"


def test_role_trust_and_policies(sandbox):
    iam = sandbox.clients(SOURCE_ACCOUNT)("iam")
    arn = iam.create_role(RoleName="r", Path="/service-role/", AssumeRolePolicyDocument=json.dumps(S3_TRUST))["Role"]["Arn"]
    managed = iam.create_policy(PolicyName="m", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "s3:Replicate*", "Resource": "arn:aws:s3:::dst/*"}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="r", PolicyArn=managed)
    iam.put_role_policy(RoleName="r", PolicyName="deny-tags", PolicyDocument=policy(
        {"Effect": "Deny", "Action": "s3:ReplicateTags", "Resource": "*"}))
    assert iam_eval.role_trusts(SOURCE_ACCOUNT, arn, "s3.amazonaws.com")
    assert not iam_eval.role_trusts(SOURCE_ACCOUNT, arn, "batchoperations.s3.amazonaws.com")
    assert iam_eval.role_allows(SOURCE_ACCOUNT, arn, "s3:ReplicateObject", "arn:aws:s3:::dst/a/b")
    assert not iam_eval.role_allows(SOURCE_ACCOUNT, arn, "s3:ReplicateTags", "arn:aws:s3:::dst/a")
    assert not iam_eval.role_allows(SOURCE_ACCOUNT, arn, "s3:ReplicateObject", "arn:aws:s3:::other/a")
    assert not iam_eval.role_allows(SOURCE_ACCOUNT, arn.replace("/r", "/missing"), "s3:ReplicateObject", "arn:aws:s3:::dst/a")
