"""Merges lose nothing: foreign statements and rules survive unchanged, ours converge."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3xrep_tui.core.merge import (
    BUCKET_POLICY_LIMIT,
    KEY_POLICY_LIMIT,
    MergeError,
    merge_bucket_policy,
    merge_key_policy,
    merge_policy,
    merge_replication,
    next_priority,
    parse_policy,
    policy_size,
)
from s3xrep_tui.core.names import sid_family
from s3xrep_tui.core.statement_proof import statement_fingerprint

FAMILY = sid_family("111111111111", "acme-src", "acme-platform-media")
ROLE = "arn:aws:iam::111111111111:role/s3xrep-repl-acme-src"
OTHER_ROLE = "arn:aws:iam::111111111111:role/service-role/s3crr_role_for_acme-src"
DST = "acme-platform-media"


def our_statements(*, delete: bool = False) -> list[dict]:
    statements = [
        {
            "Sid": f"{FAMILY}Objects",
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": ["s3:ReplicateObject", "s3:ReplicateTags"] + (["s3:ReplicateDelete"] if delete else []),
            "Resource": f"arn:aws:s3:::{DST}/*",
        },
        {
            "Sid": f"{FAMILY}Bucket",
            "Effect": "Allow",
            "Principal": {"AWS": ROLE},
            "Action": ["s3:GetBucketVersioning"],
            "Resource": f"arn:aws:s3:::{DST}",
        },
    ]
    return statements


def foreign_statement(sid: str | None = "DenyInsecure") -> dict:
    statement = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{DST}", f"arn:aws:s3:::{DST}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    if sid is not None:
        statement = {"Sid": sid, **statement}
    return statement


def proof(*statements: dict) -> set[str]:
    """What the journal holds about statements an earlier apply wrote (core.statement_proof)."""
    return {statement_fingerprint(s) for s in statements}


def policy_text(statements, **top) -> str:
    return json.dumps({"Version": "2012-10-17", **top, "Statement": statements}, indent=2)


# --------------------------------------------------------------------------- parse_policy


def test_parse_none_is_empty_policy():
    assert parse_policy(None, what="x") == {"Version": "2012-10-17", "Statement": []}


def test_parse_single_statement_object_becomes_list():
    statement = foreign_statement()
    parsed = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": statement}), what="x")
    assert parsed["Statement"] == [statement]


def test_parse_missing_statement_is_empty_list_and_keeps_top_level():
    parsed = parse_policy('{"Version":"2012-10-17","Id":"Policy1"}', what="x")
    assert parsed == {"Version": "2012-10-17", "Id": "Policy1", "Statement": []}


def test_parse_invalid_json_names_document_and_position():
    with pytest.raises(MergeError) as caught:
        parse_policy('{"Version": "2012-10-17",\n "Statement": [}', what="the bucket policy of acme-platform-media")
    error = caught.value
    assert "the bucket policy of acme-platform-media" in error.message
    assert "line 2" in error.message and "column" in error.message
    assert error.finding_id == "policy-invalid-json"
    assert error.fix


def test_parse_top_level_list_refused():
    with pytest.raises(MergeError) as caught:
        parse_policy("[]", what="the bucket policy of acme-platform-media")
    assert caught.value.finding_id == "policy-not-object"
    assert "acme-platform-media" in caught.value.message and "list" in caught.value.message


@pytest.mark.parametrize("statement", ['"Allow everything"', "42", "null", '["not a statement"]'])
def test_parse_statement_of_wrong_type_refused(statement):
    with pytest.raises(MergeError) as caught:
        parse_policy('{"Version":"2012-10-17","Statement":%s}' % statement, what="the key policy of k")
    assert caught.value.finding_id == "policy-statement-invalid"
    assert "the key policy of k" in caught.value.message
    assert "Statement" in caught.value.message


def test_merge_error_is_a_value_error_with_readable_str():
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_policy("{", what="x")


# --------------------------------------------------------------------------- merge_policy


def test_merge_into_no_policy_adds_ours():
    result = merge_bucket_policy(None, our_statements(), family=FAMILY, bucket=DST)
    assert result.policy == {"Version": "2012-10-17", "Statement": our_statements()}
    assert result.added == (f"{FAMILY}Objects", f"{FAMILY}Bucket")
    assert result.replaced == result.removed == ()
    assert result.foreign == 0
    assert result.changed
    assert result.size == len(json.dumps(result.policy, separators=(",", ":")).encode())


def test_merge_keeps_foreign_and_top_level_keys_and_appends_ours():
    existing = policy_text([foreign_statement(), foreign_statement(None)], Id="AcmePolicy")
    result = merge_bucket_policy(existing, our_statements(), family=FAMILY, bucket=DST)
    assert result.policy["Id"] == "AcmePolicy"
    assert result.policy["Version"] == "2012-10-17"
    assert result.policy["Statement"] == [foreign_statement(), foreign_statement(None), *our_statements()]
    assert result.foreign == 2


def test_merge_twice_is_merge_once_and_second_is_noop():
    existing = policy_text([foreign_statement()])
    first = merge_bucket_policy(existing, our_statements(), family=FAMILY, bucket=DST)
    second = merge_bucket_policy(json.dumps(first.policy), our_statements(), family=FAMILY, bucket=DST)
    assert second.policy == first.policy
    assert not second.changed
    assert second.added == second.replaced == second.removed == ()


def test_merge_replaces_ours_in_place():
    old = our_statements()
    existing = policy_text([foreign_statement("A"), old[0], foreign_statement("B"), old[1]])
    new = our_statements(delete=True)
    result = merge_bucket_policy(existing, new, family=FAMILY, bucket=DST, proven=proof(*old))
    assert result.policy["Statement"] == [foreign_statement("A"), new[0], foreign_statement("B"), new[1]]
    assert result.replaced == (f"{FAMILY}Objects",)
    assert result.changed


def test_merge_removes_our_obsolete_statements():
    extra = {**our_statements()[0], "Sid": f"{FAMILY}OwnerOverride", "Action": "s3:ObjectOwnerOverrideToBucketOwner"}
    existing = policy_text([*our_statements(), foreign_statement(), extra])
    result = merge_bucket_policy(existing, our_statements(), family=FAMILY, bucket=DST, proven=proof(extra))
    assert result.removed == (f"{FAMILY}OwnerOverride",)
    assert result.policy["Statement"] == [*our_statements(), foreign_statement()]
    assert result.changed


def test_principal_list_and_string_are_the_same_principal():
    listed = [{**s, "Principal": {"AWS": [ROLE]}} for s in our_statements()]
    result = merge_bucket_policy(policy_text(listed), our_statements(), family=FAMILY, bucket=DST)
    assert result.replaced == (f"{FAMILY}Objects", f"{FAMILY}Bucket")  # rewritten in our form, not a collision
    assert result.foreign == 0


def test_foreign_statement_using_our_sid_is_a_collision():
    squatter = {**our_statements()[0], "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}
    with pytest.raises(MergeError) as caught:
        merge_bucket_policy(policy_text([squatter]), our_statements(), family=FAMILY, bucket=DST)
    error = caught.value
    assert error.finding_id == "policy-sid-collision"
    assert f"{FAMILY}Objects" in error.message and DST in error.message
    assert "rename" in error.fix


def test_foreign_statement_in_our_family_with_other_sid_is_a_collision():
    squatter = {**foreign_statement(f"{FAMILY}Theirs")}
    with pytest.raises(MergeError) as caught:
        merge_bucket_policy(policy_text([squatter]), our_statements(), family=FAMILY, bucket=DST)
    assert caught.value.finding_id == "policy-sid-collision"


def test_statements_of_another_family_are_foreign():
    other_family = sid_family("111111111111", "acme-src", "acme-other-dest")
    theirs = [{**s, "Sid": s["Sid"].replace(FAMILY, other_family)} for s in our_statements()]
    result = merge_bucket_policy(policy_text(theirs), our_statements(), family=FAMILY, bucket=DST)
    assert result.policy["Statement"] == [*theirs, *our_statements()]
    assert result.foreign == 2


def test_empty_ours_leaves_policy_alone():
    existing = policy_text([foreign_statement(), *our_statements()])
    result = merge_bucket_policy(existing, [], family=FAMILY, bucket=DST)
    assert not result.changed
    assert result.policy == json.loads(existing)


def test_empty_when_only_ours_removed():
    only = our_statements()[:1]
    result = merge_bucket_policy(policy_text(only), our_statements()[1:], family=FAMILY, bucket=DST, proven=proof(*only))
    assert not result.empty
    assert result.removed == (f"{FAMILY}Objects",)


def test_our_statement_outside_family_is_a_programming_error():
    with pytest.raises(ValueError, match="family"):
        merge_bucket_policy(None, [{"Sid": "Other", "Principal": {"AWS": ROLE}}], family=FAMILY, bucket=DST)


def test_normalisation_only_is_not_a_change():
    single = json.dumps({"Version": "2012-10-17", "Statement": foreign_statement()})
    assert not merge_bucket_policy(single, [], family=FAMILY, bucket=DST).changed


def _padded_policy(limit: int, slack: int) -> tuple[str, list[dict]]:
    """An existing policy whose merge with ours is exactly ``limit + slack`` bytes."""
    ours = our_statements()
    filler = {"Sid": "Filler", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": ""}
    base = policy_size({"Version": "2012-10-17", "Statement": [filler, *ours]})
    filler["Resource"] = "x" * (limit + slack - base)
    return json.dumps({"Version": "2012-10-17", "Statement": [filler]}), ours


@pytest.mark.parametrize(
    ("merge", "limit", "name"),
    [(merge_bucket_policy, BUCKET_POLICY_LIMIT, "bucket"), (merge_key_policy, KEY_POLICY_LIMIT, "key")],
)
def test_size_limits(merge, limit, name):
    assert limit == {"bucket": 20480, "key": 32768}[name]
    kwargs = {"bucket": DST} if name == "bucket" else {"key": "arn:aws:kms:eu-west-1:222222222222:key/k"}
    at_limit, ours = _padded_policy(limit, 0)
    assert merge(at_limit, ours, family=FAMILY, **kwargs).size == limit
    under, ours = _padded_policy(limit, -1)
    assert merge(under, ours, family=FAMILY, **kwargs).size == limit - 1
    over, ours = _padded_policy(limit, 1)
    with pytest.raises(MergeError) as caught:
        merge(over, ours, family=FAMILY, **kwargs)
    assert caught.value.finding_id == "policy-too-large"
    assert f"{limit + 1:,}" in caught.value.message and f"{limit:,}" in caught.value.message
    assert caught.value.fix


def test_size_is_measured_minified_not_as_stored():
    existing = json.dumps({"Version": "2012-10-17", "Statement": [foreign_statement()]}, indent=8)
    result = merge_policy(existing, our_statements(), family=FAMILY, what="w", limit=10_000)
    assert result.size == len(json.dumps(result.policy, separators=(",", ":")).encode())


# --------------------------------------------------------------------------- property: nothing foreign is lost

_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789:/*-", min_size=0, max_size=12)
_principal = st.one_of(
    st.just("*"),
    st.builds(lambda a: {"AWS": a}, st.sampled_from([ROLE, "arn:aws:iam::999999999999:root", OTHER_ROLE])),
    st.builds(lambda s: {"Service": s}, st.sampled_from(["s3.amazonaws.com", "cloudtrail.amazonaws.com"])),
)
_foreign = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Principal": _principal,
        "Action": st.one_of(_text, st.lists(_text, max_size=3)),
        "Resource": st.one_of(_text, st.lists(_text, max_size=3)),
    },
    optional={
        "Sid": st.text(alphabet="ABCabc0123", min_size=1, max_size=10),
        "Condition": st.dictionaries(_text, st.dictionaries(_text, _text, max_size=2), max_size=2),
    },
)


@st.composite
def existing_policies(draw):
    foreign = draw(st.lists(_foreign, max_size=8))
    ours_present = draw(st.lists(st.sampled_from(our_statements() + our_statements(delete=True)), max_size=3))
    seen, kept_ours = set(), []
    for statement in ours_present:
        if statement["Sid"] not in seen:
            seen.add(statement["Sid"])
            kept_ours.append(statement)
    statements = list(foreign)
    for statement in kept_ours:
        statements.insert(draw(st.integers(0, len(statements))), statement)
    top = draw(st.fixed_dictionaries({}, optional={"Id": _text}))
    single = len(statements) == 1 and draw(st.booleans())
    document = {"Version": "2012-10-17", **top, "Statement": statements[0] if single else statements}
    return json.dumps(document, indent=draw(st.sampled_from([None, 2]))), foreign, top


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(existing_policies(), st.sampled_from([[], our_statements()[:1], our_statements(), our_statements(delete=True)]))
def test_property_foreign_statements_survive_unchanged_in_order(case, ours):
    text, foreign, top = case
    earlier = proof(*our_statements(), *our_statements(delete=True))  # the journal wrote them
    result = merge_policy(text, ours, family=FAMILY, what="p", limit=1_000_000, proven=earlier)
    statements = result.policy["Statement"]
    if ours:
        theirs = [s for s in statements if not str(s.get("Sid", "")).startswith(FAMILY)]
        assert theirs == foreign
        mine = [s for s in statements if str(s.get("Sid", "")).startswith(FAMILY)]
        assert sorted(mine, key=lambda s: s["Sid"]) == sorted(ours, key=lambda s: s["Sid"])
        assert result.foreign == len(foreign)
    else:
        assert result.policy == parse_policy(text, what="p")
    for key, value in top.items():
        assert result.policy[key] == value
    again = merge_policy(json.dumps(result.policy), ours, family=FAMILY, what="p", limit=1_000_000, proven=earlier)
    assert again.policy == result.policy
    assert not again.changed


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(existing_policies(), st.sampled_from([our_statements()[:1], our_statements(), our_statements(delete=True)]),
       st.booleans())
def test_property_unproven_statements_in_our_family_are_never_changed_silently(case, ours, adopt):
    """Without the journal's proof, a statement with our Sid and our role is ours only when it is exactly ours:
    anything else is kept byte for byte, refused (its Sid is one we write), or replaced only by ``adopt``."""
    text, _, _ = case
    before = parse_policy(text, what="p")["Statement"]
    exact = {json.dumps(s, sort_keys=True) for s in ours}
    try:
        result = merge_policy(text, ours, family=FAMILY, what="p", limit=1_000_000, adopt=adopt)
    except MergeError as error:
        assert error.finding_id == "policy-statement-not-ours" and not adopt
        return
    after = [json.dumps(s, sort_keys=True) for s in result.policy["Statement"]]
    wanted = {s["Sid"] for s in ours}
    for statement in before:
        dumped = json.dumps(statement, sort_keys=True)
        if dumped in exact:
            continue
        if statement.get("Sid") in wanted:
            assert adopt and statement["Sid"] in result.adopted
        else:
            assert dumped in after  # kept as it was
    assert not result.removed  # nothing of ours is proven, so nothing is removed


def test_unproven_statement_with_our_sid_and_role_is_refused_and_adopt_replaces_it():
    theirs = {**our_statements()[0], "Action": ["s3:ReplicateObject", "s3:GetObject"]}
    with pytest.raises(MergeError) as caught:
        merge_bucket_policy(policy_text([theirs]), our_statements(), family=FAMILY, bucket=DST, adopt=False)
    assert caught.value.finding_id == "policy-statement-not-ours" and "--adopt" in caught.value.fix
    adopted = merge_bucket_policy(policy_text([theirs]), our_statements(), family=FAMILY, bucket=DST, adopt=True)
    assert adopted.adopted == (f"{FAMILY}Objects",)
    assert adopted.policy["Statement"] == our_statements()


def test_unproven_statement_in_our_family_with_another_sid_is_kept():
    theirs = {**our_statements()[0], "Sid": f"{FAMILY}Audit", "Action": "s3:GetObject"}
    result = merge_bucket_policy(policy_text([theirs]), our_statements(), family=FAMILY, bucket=DST, adopt=True)
    assert result.unproven == (f"{FAMILY}Audit",) and not result.removed
    assert result.policy["Statement"] == [theirs, *our_statements()]
    proven = merge_bucket_policy(policy_text([theirs]), our_statements(), family=FAMILY, bucket=DST,
                                 proven=proof(theirs))
    assert proven.removed == (f"{FAMILY}Audit",)  # the journal wrote it: ours, no longer wanted


# --------------------------------------------------------------------------- replication


def our_rule(rule_id: str = f"s3xrep-to-{DST}", **extra) -> dict:
    return {
        "ID": rule_id,
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{DST}", "Account": "222222222222"},
        **extra,
    }


def other_rule(rule_id: str, priority: int, bucket: str = "acme-backup") -> dict:
    return {
        "ID": rule_id,
        "Priority": priority,
        "Status": "Enabled",
        "Filter": {"Prefix": f"{rule_id}/"},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{bucket}", "StorageClass": "STANDARD_IA"},
    }


def test_replication_from_nothing():
    for existing in (None, {}, {"Role": ROLE, "Rules": []}):
        result = merge_replication(existing, our_rule(), role=ROLE)
        assert result.configuration == {"Role": ROLE, "Rules": [our_rule()]}
        assert result.priority == 1 and result.changed and not result.replaced_rule
        assert not result.reused_existing_role


def test_replication_keeps_other_rules_and_appends_ours():
    existing = {"Role": ROLE, "Rules": [other_rule("logs", 1), other_rule("media", 3)]}
    result = merge_replication(existing, our_rule(), role=ROLE)
    assert result.configuration["Rules"][:2] == existing["Rules"]
    assert result.configuration["Rules"][2] == {**our_rule(), "Priority": 2}
    assert result.priority == 2
    assert result.other_rules == tuple(existing["Rules"])


def test_replication_replaces_our_rule_in_place_keeping_its_priority():
    existing = {"Role": ROLE, "Rules": [other_rule("logs", 1), our_rule(Priority=7), other_rule("media", 3)]}
    new = our_rule(Status="Disabled")
    result = merge_replication(existing, new, role=ROLE)
    assert result.replaced_rule
    assert result.configuration["Rules"] == [other_rule("logs", 1), {**new, "Priority": 7}, other_rule("media", 3)]
    assert result.priority == 7
    assert result.changed


def test_replication_explicit_priority_overrides_replaced_one():
    existing = {"Role": ROLE, "Rules": [our_rule(Priority=7), other_rule("logs", 1)]}
    assert merge_replication(existing, our_rule(), role=ROLE, priority=9).priority == 9


def test_replication_explicit_priority_taken_is_refused():
    existing = {"Role": ROLE, "Rules": [other_rule("logs", 4)]}
    with pytest.raises(MergeError) as caught:
        merge_replication(existing, our_rule(), role=ROLE, priority=4)
    assert caught.value.finding_id == "replication-priority-taken"
    assert "logs" in caught.value.message


def test_replication_hint_used_when_free_else_lowest_unused():
    existing = {"Role": ROLE, "Rules": [other_rule("a", 1), other_rule("b", 2)]}
    assert merge_replication(existing, our_rule(Priority=5), role=ROLE).priority == 5
    assert merge_replication(existing, our_rule(Priority=2), role=ROLE).priority == 3
    assert merge_replication(existing, our_rule(Priority=0), role=ROLE).priority == 3  # 0: no hint
    assert merge_replication(None, our_rule(Priority=0), role=ROLE).priority == 1


def test_next_priority():
    rules = [{"Priority": 1}, {"Priority": 2}, {"Priority": 4}, {"ID": "no-priority"}]
    assert next_priority(rules, None) == 3
    assert next_priority([], None) == 1
    assert next_priority(rules, 10) == 10
    with pytest.raises(MergeError):
        next_priority(rules, 4)
    with pytest.raises(MergeError):
        next_priority(rules, -1)


def test_replication_idempotent():
    existing = {"Role": ROLE, "Rules": [other_rule("logs", 1)]}
    first = merge_replication(existing, our_rule(), role=ROLE)
    second = merge_replication(first.configuration, our_rule(), role=ROLE)
    assert second.configuration == first.configuration
    assert not second.changed


def test_replication_v1_rules_refused():
    v1 = {"ID": "legacy", "Prefix": "logs/", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::old"}}
    with pytest.raises(MergeError) as caught:
        merge_replication({"Role": ROLE, "Rules": [v1]}, our_rule(), role=ROLE)
    error = caught.value
    assert error.finding_id == "replication-v1-rules"
    assert "legacy" in error.message and "legacy" in error.fix
    assert "delete-marker" in error.message


def test_replication_rule_limit():
    full = {"Role": ROLE, "Rules": [other_rule(f"r{i}", i + 1) for i in range(1000)]}
    with pytest.raises(MergeError) as caught:
        merge_replication(full, our_rule(), role=ROLE)
    assert caught.value.finding_id == "replication-too-many-rules"
    # replacing our own rule among 1,000 is fine
    full["Rules"][10] = our_rule(Priority=11)
    assert merge_replication(full, our_rule(), role=ROLE).replaced_rule


def test_replication_reuses_existing_role_by_default():
    existing = {"Role": OTHER_ROLE, "Rules": [other_rule("logs", 1)]}
    result = merge_replication(existing, our_rule(), role=ROLE)
    assert result.reused_existing_role
    assert result.role == OTHER_ROLE == result.configuration["Role"]
    assert result.other_destinations == ()
    assert not merge_replication(result.configuration, our_rule(), role=ROLE).changed


def test_replication_replace_role_reports_other_destinations():
    existing = {
        "Role": OTHER_ROLE,
        "Rules": [other_rule("logs", 1, "acme-logs-dr"), our_rule(Priority=2), other_rule("b", 3, "acme-backup"),
                  other_rule("c", 4, "acme-logs-dr")],
    }
    result = merge_replication(existing, our_rule(), role=ROLE, replace_role=True)
    assert not result.reused_existing_role
    assert result.role == ROLE == result.configuration["Role"]
    assert result.other_destinations == ("acme-logs-dr", "acme-backup")
    again = merge_replication(result.configuration, our_rule(), role=ROLE, replace_role=True)
    assert not again.changed and again.other_destinations == ()


def test_replication_does_not_mutate_inputs():
    existing = {"Role": ROLE, "Rules": [other_rule("logs", 1)]}
    snapshot = json.dumps(existing)
    rule = our_rule(Priority=1)
    merge_replication(existing, rule, role=ROLE)
    assert json.dumps(existing) == snapshot and rule["Priority"] == 1


def test_replication_rule_without_id_is_a_programming_error():
    with pytest.raises(ValueError):
        merge_replication(None, {"Status": "Enabled"}, role=ROLE)


_other_rules = st.lists(
    st.builds(
        lambda i, p, b, s: other_rule(f"rule-{i}", p, b) | {"Status": s},
        st.integers(0, 10_000),
        st.integers(1, 50),
        st.sampled_from(["acme-backup", "acme-logs-dr", DST]),
        st.sampled_from(["Enabled", "Disabled"]),
    ),
    max_size=12,
    unique_by=(lambda r: r["ID"], lambda r: r["Priority"]),
)


@settings(max_examples=200)
@given(
    _other_rules,
    st.booleans(),
    st.integers(0, 12),
    st.sampled_from([ROLE, OTHER_ROLE]),
    st.booleans(),
    st.one_of(st.none(), st.integers(51, 60)),
)
def test_property_other_rules_survive_unchanged(others, with_ours, at, existing_role, replace_role, wanted):
    rules = list(others)
    if with_ours:
        rules.insert(min(at, len(rules)), our_rule(Priority=99))
    existing = {"Role": existing_role, "Rules": rules}
    snapshot = json.dumps(existing)
    result = merge_replication(existing, our_rule(), role=ROLE, replace_role=replace_role, priority=wanted)
    merged = result.configuration["Rules"]
    assert [r for r in merged if r["ID"] != our_rule()["ID"]] == others
    assert list(result.other_rules) == others
    ours = [r for r in merged if r["ID"] == our_rule()["ID"]]
    assert len(ours) == 1 and ours[0]["Priority"] == result.priority
    if with_ours:
        assert merged.index(ours[0]) == min(at, len(others))
    assert result.priority not in {r["Priority"] for r in others}
    assert len({r["Priority"] for r in merged}) == len(merged)
    assert json.dumps(existing) == snapshot
    again = merge_replication(result.configuration, our_rule(), role=ROLE, replace_role=replace_role, priority=wanted)
    assert again.configuration == result.configuration and not again.changed
