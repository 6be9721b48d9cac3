"""core.policy_eval against AWS's own rules and examples.

Sources: "Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
by default every request is implicitly denied, an explicit Allow overrides that, and an
explicit Deny in any policy overrides any Allow; "IAM JSON policy elements: Condition
operators" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
several keys in one operator and several operators are ANDed, several values of one key
are ORed, ``...IfExists`` holds when the key is absent, a negated operator holds when the
key is absent; "Single-valued vs. multivalued context keys"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
``ForAllValues`` holds for an absent key, ``ForAnyValue`` does not; "AWS JSON policy
elements: NotPrincipal" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from s3xrep_tui.core.policy_eval import Request, conditions_hold, evaluate, glob_match

ROLE = "arn:aws:iam::111111111111:role/service-role/s3xrep-repl-src"
OBJ = "arn:aws:s3:::dst/photos/1.jpg"
TLS = {"aws:SecureTransport": True, "aws:PrincipalAccount": "111111111111"}


def doc(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**extra: object) -> dict:
    return {"Sid": "Allow", "Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "s3:ReplicateObject",
            "Resource": "arn:aws:s3:::dst/*", **extra}


def req(action: str = "s3:ReplicateObject", resource: str = OBJ, context: dict | None = None,
        principal: str = ROLE) -> Request:
    return Request(principal, action, resource, TLS if context is None else context)


def test_implicit_deny_by_default_then_allow_then_explicit_deny_wins() -> None:
    assert evaluate(doc(), req()).effect == "implicit"
    assert evaluate(doc(allow()), req()).effect == "allow"
    deny = {"Sid": "No", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    decided = evaluate(doc(allow(), deny), req())
    assert decided.effect == "deny" and decided.statement == deny  # the statement that decided
    assert evaluate(doc(deny, allow()), req()).effect == "deny"  # order does not matter


def test_principals_account_root_role_path_and_session() -> None:
    for principal in ({"AWS": ROLE}, {"AWS": [ROLE]}, {"AWS": "111111111111"}, {"AWS": "arn:aws:iam::111111111111:root"},
                      {"AWS": "*"}, "*", {"AWS": "arn:aws:iam::111111111111:role/s3xrep-repl-src"}):
        assert evaluate(doc(allow(Principal=principal)), req()).allowed, principal
    session = "arn:aws:sts::111111111111:assumed-role/s3xrep-repl-src/s3-replication"
    assert evaluate(doc(allow()), req(principal=session)).allowed
    assert evaluate(doc(allow(Principal={"AWS": "222222222222"})), req()).effect == "implicit"
    service = doc({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"})
    assert evaluate(service, Request("s3.amazonaws.com", "sts:AssumeRole", ROLE)).allowed
    assert not evaluate(service, Request("batchoperations.s3.amazonaws.com", "sts:AssumeRole", ROLE)).allowed


def test_not_principal_deny_applies_to_everyone_not_listed() -> None:
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "s3:Replicate*",
            "Resource": "arn:aws:s3:::dst/*"}
    assert evaluate(doc(allow(), deny), req()).effect == "deny"
    assert evaluate(doc(allow(), {**deny, "NotPrincipal": {"AWS": [ROLE]}}), req()).effect == "allow"


def test_not_action_and_not_resource() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "NotAction": "s3:Replicate*", "Resource": "*"}
    assert evaluate(doc(allow(), deny), req()).effect == "allow"
    assert evaluate(doc(allow(Action="s3:*"), deny), req("s3:GetObject")).effect == "deny"
    outside = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "NotResource": "arn:aws:s3:::dst/photos/*"}
    assert evaluate(doc(allow(), outside), req()).effect == "allow"
    assert evaluate(doc(allow(), outside), req(resource="arn:aws:s3:::dst/docs/a")).effect == "deny"


def test_wildcards_case_and_iam_literals() -> None:
    assert glob_match("s3:Replicate*", "s3:replicateobject", ignore_case=True)
    assert not glob_match("arn:aws:s3:::dst/*", "arn:aws:s3:::DST/a")  # resources are case-sensitive
    assert glob_match("arn:aws:s3:::d?t/*", "arn:aws:s3:::dst/a")
    assert glob_match("arn:aws:s3:::dst/a${*}b/*", "arn:aws:s3:::dst/a*b/k")
    assert not glob_match("arn:aws:s3:::dst/a${*}b/*", "arn:aws:s3:::dst/axb/k")


def test_the_tls_only_deny_does_not_apply_to_tls_requests() -> None:
    tls = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert evaluate(doc(allow(), tls), req()).effect == "allow"
    assert evaluate(doc(allow(), tls), req(context={"aws:SecureTransport": False})).effect == "deny"


def test_condition_operators() -> None:
    ctx = {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::dst/photos/1.jpg", "kms:ViaService": "s3.us-east-1.amazonaws.com"}
    assert conditions_hold({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}, ctx)
    assert conditions_hold({"StringEquals": {"KMS:VIASERVICE": ["x", "s3.us-east-1.amazonaws.com"]}}, ctx)  # OR, key case
    assert not conditions_hold({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "aws:x": "y"}}, ctx)  # AND
    assert conditions_hold({"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::dst/*"}}, ctx)
    assert not conditions_hold({"StringLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::dst"}}, ctx)
    assert conditions_hold({"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}, ctx)  # absent key: "not equals" holds
    assert not conditions_hold({"StringEquals": {"aws:SourceVpce": "vpce-1"}}, ctx)
    assert conditions_hold({"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}, ctx)
    assert conditions_hold({"ArnLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::dst/*"}}, ctx)
    assert conditions_hold({"ArnNotLike": {"kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::other/*"}}, ctx)
    assert conditions_hold({"Null": {"aws:SourceVpce": "true"}}, ctx)
    assert not conditions_hold({"Null": {"kms:ViaService": "true"}}, ctx)
    assert conditions_hold({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, ctx)  # absent: holds
    assert not conditions_hold({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, ctx)
    tags = {"aws:TagKeys": ["a", "b"]}
    assert conditions_hold({"ForAnyValue:StringEquals": {"aws:TagKeys": ["b", "z"]}}, tags)
    assert not conditions_hold({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, tags)
    assert conditions_hold({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"})
    assert conditions_hold({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.2.3"})


def test_an_unknown_operator_on_a_deny_is_reported_never_silently_passed() -> None:
    odd = {"Sid": "Odd", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
           "Condition": {"StringMatchesRegex": {"aws:PrincipalArn": ".*"}}}
    decided = evaluate(doc(allow(), odd), req())
    assert decided.effect == "allow" and decided.unevaluated == (odd,)
    # an Allow we cannot evaluate does not allow
    assert evaluate(doc(allow(Condition={"Weird": {"a": "b"}})), req()).effect == "implicit"


# --- properties ------------------------------------------------------------------------------

ACTIONS = ["s3:ReplicateObject", "s3:ReplicateTags", "s3:ReplicateDelete", "s3:GetObject", "kms:Encrypt"]
_effect = st.sampled_from(["Allow", "Deny"])
_action = st.sampled_from(["*", "s3:*", "s3:Replicate*", "kms:*", *ACTIONS])
_resource = st.sampled_from(["*", "arn:aws:s3:::dst/*", "arn:aws:s3:::dst/photos/*", "arn:aws:s3:::other/*"])
_principal = st.sampled_from(["*", {"AWS": ROLE}, {"AWS": "111111111111"}, {"AWS": "222222222222"}])
_condition = st.sampled_from([None, {"Bool": {"aws:SecureTransport": "false"}}, {"Bool": {"aws:SecureTransport": "true"}},
                              {"StringNotEquals": {"aws:PrincipalAccount": "111111111111"}}])
_statement = st.builds(
    lambda e, a, r, p, c: {"Effect": e, "Action": a, "Resource": r, "Principal": p, **({"Condition": c} if c else {})},
    _effect, _action, _resource, _principal, _condition,
)


def _naive(statements: list[dict], request: Request) -> str:
    """AWS's flow chart, written out plainly: any applicable Deny -> deny; any applicable Allow -> allow."""
    def applies(s: dict) -> bool:
        p = s["Principal"]
        principal = p == "*" or p["AWS"] in (ROLE, "111111111111")
        action = s["Action"] in ("*", request.action) or (s["Action"].endswith("*") and request.action.lower().startswith(s["Action"][:-1].lower()))
        resource = s["Resource"] == "*" or (s["Resource"].endswith("*") and request.resource.startswith(s["Resource"][:-1]))
        cond = s.get("Condition")
        # the request is over TLS from account 111111111111: only the "true" TLS condition holds
        holds = cond is None or cond.get("Bool", {}).get("aws:SecureTransport") == "true"
        return principal and action and resource and holds

    if any(applies(s) and s["Effect"] == "Deny" for s in statements):
        return "deny"
    return "allow" if any(applies(s) and s["Effect"] == "Allow" for s in statements) else "implicit"


@given(st.lists(_statement, max_size=6), st.sampled_from(ACTIONS))
def test_matches_the_flow_chart_and_ignores_statement_order(statements: list[dict], action: str) -> None:
    request = req(action, "arn:aws:s3:::dst/photos/1.jpg")
    decided = evaluate(doc(*statements), request)
    assert decided.effect == _naive(statements, request), json.dumps(statements)
    assert evaluate(doc(*reversed(statements)), request).effect == decided.effect
    if decided.effect != "implicit":
        assert decided.statement in statements and decided.statement["Effect"].lower() == decided.effect


@given(st.lists(_statement, max_size=6), st.sampled_from(ACTIONS))
def test_adding_a_deny_never_turns_a_deny_into_an_allow(statements: list[dict], action: str) -> None:
    request = req(action)
    before = evaluate(doc(*statements), request).effect
    after = evaluate(doc(*statements, {"Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*"}), request)
    assert after.effect == "deny"
    assert before != "deny" or after.effect == "deny"
