"""Spaces of inputs, with hypothesis: bucket names, prefixes, tags, existing policies, any options.

* bucket names: accepted exactly when an independent oracle of S3's rules accepts them;
  a refusal names the name and the broken rule, before any call;
* prefixes: any prefix up to 1,024 characters is accepted, anything longer refused
  with the length and the limit;
* tags: ``KEY=VALUE`` parses back to what was typed; tags with delete markers refused;
* existing destination policies (any statements, any Sids, our Sids with other
  principals, malformed documents) through the whole plan: a foreign statement is
  never lost, altered or moved; what is added is only our Sid family, our role,
  the reference's actions on the destination bucket; a collision or a malformed
  document blocks the plan with a message and a fix, never an exception;
* any options: every generated identity and bucket policy passes parliament with
  no finding (the golden cases are in tests/core/test_documents.py; this is the
  same check over generated options, reusing tests/core/test_documents_properties.py's
  strategy).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import re
from typing import Any

import parliament
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3xrep_tui.commands.plan import tag_spec
from s3xrep_tui.core import documents as d
from s3xrep_tui.core.merge import MergeError, parse_policy
from s3xrep_tui.core.models import Bucket, MigrationOptions, PlanInputs
from s3xrep_tui.core.names import (
    bucket_arn,
    bucket_name_problems,
    check_bucket_name,
    objects_arn,
    sid_family,
)
from s3xrep_tui.core.plan import build_plan
from tests.core.conftest import (
    DESTINATION_ACCOUNT,
    DESTINATION_BUCKET,
    SOURCE_ACCOUNT,
    SOURCE_BUCKET,
    make_facts,
    make_inputs,
)
from tests.core.test_documents_properties import BUCKET_POLICY_ACTIONS, plans

# --- bucket names ------------------------------------------------------------------------------------

_SHAPE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def oracle(name: str) -> bool:
    """S3's general purpose bucket naming rules, written independently of the code under test."""
    if not _SHAPE.match(name) or ".." in name or ".-" in name or "-." in name:
        return False
    try:
        ipaddress.ip_address(name)
        return False
    except ValueError:
        pass
    if name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        return False
    return not name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))


_label = st.text(alphabet="abcz019-", min_size=1, max_size=20).filter(lambda s: s[0] != "-" and s[-1] != "-")
names = st.one_of(
    st.text(alphabet="abcxyz019.-_A/ ", max_size=70),
    st.lists(_label, min_size=1, max_size=4).map(".".join),
    st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", *[st.integers(0, 300)] * 4),
    st.sampled_from(["xn--", "sthree-", "amzn-s3-demo-"]).flatmap(lambda p: _label.map(lambda rest: p + rest)),
    st.sampled_from(["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]).flatmap(
        lambda s: _label.map(lambda rest: rest + s)),
)


@settings(max_examples=400)
@given(names)
def test_bucket_names_are_accepted_exactly_when_s3_would_and_refusals_name_the_rule(name: str) -> None:
    problems = bucket_name_problems(name)
    assert (problems == []) == oracle(name), (name, problems)
    if problems:
        with pytest.raises(ValueError) as refused:
            check_bucket_name(name)
        assert f"bucket name {name!r}" in str(refused.value)
        assert all(problem in str(refused.value) for problem in problems)
        with pytest.raises(ValueError):
            Bucket(name=name)
    else:
        assert bucket_arn(name) == f"arn:aws:s3:::{name}"  # exact: never a trailing wildcard
        assert objects_arn(name) == f"arn:aws:s3:::{name}/*"


# --- prefixes and tags ---------------------------------------------------------------------------------

# XML 1.0's forbidden control characters are refused whatever the length (test_hostile_review tests that):
# these draw everything else.
XML_FORBIDDEN = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]))
xml_text = st.characters(blacklist_categories=("Cs",), blacklist_characters=XML_FORBIDDEN)
prefixes = st.one_of(st.text(xml_text, max_size=40), st.integers(1000, 1100).map(lambda n: "k" * n),
                     st.text(xml_text, min_size=1, max_size=3).map(lambda t: (t * 1100)[:1030]))


@settings(max_examples=150)
@given(prefixes)
def test_a_prefix_is_accepted_up_to_1024_characters_and_refused_beyond_with_the_limit(prefix: str) -> None:
    if len(prefix) <= 1024:
        options = MigrationOptions(prefix=prefix)
        rule = d.replication_rule(make_inputs(options=options), 1)
        assert json.dumps(rule["Filter"]).count(json.dumps(prefix)[1:-1]) >= 1 or prefix == ""
    else:
        with pytest.raises(ValueError) as refused:
            MigrationOptions(prefix=prefix)
        assert f"prefix is {len(prefix)} characters" in str(refused.value) and "at most 1024" in str(refused.value)


tag_keys = st.text(alphabet=st.characters(blacklist_characters="=" + XML_FORBIDDEN, blacklist_categories=("Cs",)),
                   min_size=1, max_size=20)
tag_values = st.text(alphabet=xml_text, max_size=20)


@given(tag_keys, tag_values)
def test_tags_parse_back_to_what_was_typed_and_no_equals_sign_is_refused(key: str, value: str) -> None:
    assert tag_spec(f"{key}={value}") == (key, value)
    with pytest.raises(argparse.ArgumentTypeError, match="is not KEY=VALUE"):
        tag_spec(key)


@given(st.lists(st.tuples(tag_keys, tag_values), min_size=1, max_size=4, unique_by=lambda t: t[0]))
def test_tags_scope_the_rule_and_refuse_delete_markers(tags: list[tuple[str, str]]) -> None:
    rule = d.replication_rule(make_inputs(options=MigrationOptions(tags=tuple(tags))), 1)
    found = rule["Filter"].get("And", {}).get("Tags") or [rule["Filter"].get("Tag")]
    assert sorted((t["Key"], t["Value"]) for t in found) == sorted(tags)
    with pytest.raises(ValueError, match="delete-marker replication cannot be used with a tag filter"):
        MigrationOptions(tags=tuple(tags), delete_markers=True)


# --- existing destination policies through the whole plan ----------------------------------------

FAMILY = sid_family(SOURCE_ACCOUNT, SOURCE_BUCKET, DESTINATION_BUCKET)
OUR_ROLE = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3xrep-repl-{SOURCE_BUCKET}"
DST_ARNS = {f"arn:aws:s3:::{DESTINATION_BUCKET}", f"arn:aws:s3:::{DESTINATION_BUCKET}/*"}
_words = st.text(alphabet="abcdefgh0123:/*-", max_size=12)
_sids = st.one_of(
    st.text(alphabet="ABCabc0123", min_size=1, max_size=10),
    st.sampled_from(["Objects", "Bucket", "OwnerOverride", "X", "ReplicateObjects"]).map(lambda s: FAMILY + s),  # ours
)
_principals = st.one_of(
    st.just("*"),
    st.sampled_from([OUR_ROLE, f"arn:aws:iam::{DESTINATION_ACCOUNT}:root", "arn:aws:iam::999999999999:role/x"]).map(
        lambda a: {"AWS": a}),
    st.just({"Service": "cloudtrail.amazonaws.com"}),
)
_statements = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"]), "Principal": _principals,
     "Action": st.one_of(_words, st.lists(_words, max_size=3)), "Resource": st.one_of(_words, st.lists(_words, max_size=2))},
    optional={"Sid": _sids, "Condition": st.dictionaries(_words, st.dictionaries(_words, _words, max_size=1), max_size=1)},
)
_documents = st.one_of(
    st.builds(lambda s, i: json.dumps({"Version": "2012-10-17", "Statement": s}, indent=i),
              st.lists(_statements, max_size=6), st.sampled_from([None, 2])),
    st.builds(lambda s: json.dumps({"Version": "2012-10-17", "Statement": s}), _statements),  # a single object
    st.text(max_size=30),  # anything at all
    st.sampled_from(["[]", '"text"', "{\"Statement\": 3}", "{\"Statement\": [1]}", "null", "{"]),
)



def _unique(statements: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(json.dumps(s, sort_keys=True) for s in statements))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_documents, st.booleans(), st.sampled_from(["BucketOwnerEnforced", "ObjectWriter"]))
def test_any_existing_policy_keeps_every_foreign_statement_and_gains_only_ours(
    text: str, delete_markers: bool, ownership: str
) -> None:
    inputs = make_inputs(destination=make_facts(DESTINATION_BUCKET, DESTINATION_ACCOUNT, policy=text,
                                                object_ownership=ownership),
                         options=MigrationOptions(delete_markers=delete_markers))
    plan = build_plan(inputs)  # never raises, whatever the document
    findings = {f.id: f for f in plan.findings}
    policy_steps = [s for s in plan.steps if s.call == "s3.put_bucket_policy"]
    try:
        existing = parse_policy(text, what="x")
    except MergeError:
        finding = findings["destination-policy-invalid"]
        assert finding.severity == "blocking" and DESTINATION_BUCKET in finding.message and "by hand" in finding.fix
        assert policy_steps == [] and plan.blocked
        return
    if "policy-sid-collision" in findings:
        finding = findings["policy-sid-collision"]
        assert "refusing to overwrite" in finding.message and "rename the Sid" in finding.fix
        assert policy_steps == [] and plan.blocked
        # in our Sid family, but not ours: another principal, or a shape we never write (a Deny naming our role)
        assert any(isinstance(s.get("Sid"), str) and s["Sid"].startswith(FAMILY)
                   and (s.get("Principal") != {"AWS": OUR_ROLE} or s.get("Effect") != "Allow"
                        or set(s) - {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"})
                   for s in existing["Statement"])
        return
    if "policy-statement-not-ours" in findings:  # our Sid, our role, other content, no journal proof: not replaced
        assert policy_steps == [] and plan.blocked
        assert any(s.get("Sid") == FAMILY + "ReplicateObjects" for s in existing["Statement"])
        return
    merged = plan.documents["destination_bucket_policy"]
    # no journal here, so nothing is proven ours: every statement there stays, as it was, in its order
    ours = [s for s in merged["Statement"] if s not in existing["Statement"]]
    theirs = [s for s in merged["Statement"] if s in existing["Statement"]]
    assert _unique(theirs) == _unique(existing["Statement"])
    assert {k: v for k, v in merged.items() if k != "Statement"} == {k: v for k, v in existing.items() if k != "Statement"}
    assert ours or any(s.get("Sid") == FAMILY + "ReplicateObjects" for s in theirs), "ours are always there"
    for statement in ours:
        assert statement["Principal"] == {"AWS": OUR_ROLE} and statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert set(actions) <= BUCKET_POLICY_ACTIONS
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert set(resources) <= DST_ARNS
    step = policy_steps[0]
    assert json.loads(step.request["Policy"]) == merged


@settings(max_examples=300)
@given(st.one_of(st.text(max_size=60), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["Statement", "Sid", "Version", "x"]),
                                                                  inner, max_size=3),
    max_leaves=10).map(json.dumps)))
def test_a_malformed_policy_is_a_merge_error_with_a_fix_never_another_exception(text: str) -> None:
    try:
        policy = parse_policy(text, what="the bucket policy of b")
    except MergeError as error:
        assert error.message.startswith("the bucket policy of b") and error.fix and error.finding_id.startswith("policy-")
    else:
        assert isinstance(policy["Statement"], list) and all(isinstance(s, dict) for s in policy["Statement"])


# --- least privilege for any options: parliament ---------------------------------------------------


def _findings(statements: list[dict[str, Any]]) -> list[str]:
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return [f"{f.issue}: {f.detail}" for f in parliament.analyze_policy_string(document).findings]


def _colons_out_of_keys(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """parliament splits a whole ARN on ':' and so misreads an object key containing one
    (``arn:aws:s3:::b/a:b*`` is a valid S3 object ARN); the same key with '_' instead."""
    def fix(resource: Any) -> Any:
        if isinstance(resource, list):
            return [fix(r) for r in resource]
        head, sep, path = str(resource).partition(":::")
        return head + sep + path.replace(":", "_") if sep else resource

    return [{**s, "Resource": fix(s["Resource"])} for s in statements]


def _lint(statements: list[dict[str, Any]]) -> None:
    findings = _findings(statements)
    if findings and any(":" in json.dumps(s["Resource"]).split(":::", 1)[-1] for s in statements):
        assert all(f.startswith("RESOURCE_MISMATCH") for f in findings), findings
        findings = _findings(_colons_out_of_keys(statements))
    assert findings == []


def test_parliament_misreads_a_colon_in_an_object_key_and_only_that() -> None:
    statement = {"Effect": "Allow", "Action": "s3:ReplicateObject", "Resource": "arn:aws:s3:::b/logs:2024/*"}
    assert [f.split(":")[0] for f in _findings([statement])] == ["RESOURCE_MISMATCH"]
    assert _findings(_colons_out_of_keys([statement])) == []


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_for_any_options_the_policies_pass_parliament_with_no_finding(case: tuple[PlanInputs, tuple[str, ...]]) -> None:
    inputs, also = case
    identity = {
        "replication": d.replication_role_policy(inputs, also),
        "batch": d.batch_role_policy(inputs),
        "single": d.single_role_policy(inputs, also),
    }
    for document in identity.values():
        _lint(document["Statement"])
    statements = d.destination_policy_statements(inputs, d.replication_role_arn(inputs))
    if statements:
        _lint(statements)
    key = d.destination_kms_statements(inputs, d.replication_role_arn(inputs))
    if key:  # "*" in a key policy means the key itself: checked as the key's ARN
        _lint([{**s, "Resource": inputs.options.replica_kms_key} for s in key])
