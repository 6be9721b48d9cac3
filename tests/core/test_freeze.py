"""The cut-over's write freeze: built, merged by Sid, lifted; foreign statements survive (property test)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3xrep_tui.core.freeze import (
    FROZEN_ACTIONS,
    check_exempt,
    freeze_sid,
    freeze_statement,
    frozen_statement,
    lift_freeze,
    merge_freeze,
)
from s3xrep_tui.core.merge import MergeError
from s3xrep_tui.core.names import sid_family

FAMILY = sid_family("111111111111", "src-bucket", "dst-bucket")
ROLE = "arn:aws:iam::111111111111:role/s3xrep-repl-src-bucket"
STATEMENT = freeze_statement("src-bucket", family=FAMILY, exempt=[ROLE])


def test_the_statement_denies_object_writes_to_all_but_the_exempt() -> None:
    assert STATEMENT["Effect"] == "Deny" and STATEMENT["Principal"] == "*"
    assert STATEMENT["Resource"] == "arn:aws:s3:::src-bucket/*"
    assert "s3:PutObject" in STATEMENT["Action"] and "s3:DeleteObjectVersion" in STATEMENT["Action"]
    assert not any(a.startswith("s3:PutBucket") or a.startswith("s3:Replicate") for a in FROZEN_ACTIONS)
    assert STATEMENT["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": [ROLE]}}
    assert STATEMENT["Sid"] == freeze_sid(FAMILY) and STATEMENT["Sid"].isalnum()


def test_exempt_principals_are_checked() -> None:
    assert check_exempt([" arn:aws:iam::222222222222:user/app ", "arn:aws:iam::222222222222:root"]) == (
        "arn:aws:iam::222222222222:user/app", "arn:aws:iam::222222222222:root")
    with pytest.raises(ValueError, match="not an IAM principal ARN"):
        check_exempt(["app-user"])
    with pytest.raises(ValueError):
        freeze_statement("src-bucket", family=FAMILY, exempt=[])


def test_merge_appends_then_replaces_in_place_and_lift_removes() -> None:
    foreign = {"Sid": "Keep", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
               "Action": "s3:GetObject", "Resource": "arn:aws:s3:::src-bucket/*"}
    existing = json.dumps({"Version": "2012-10-17", "Statement": [foreign]})
    merged = merge_freeze(existing, STATEMENT, bucket="src-bucket")
    assert merged.changed and merged.policy["Statement"] == [foreign, STATEMENT]
    again = merge_freeze(json.dumps(merged.policy), STATEMENT, bucket="src-bucket", written=STATEMENT)
    assert not again.changed
    wider = freeze_statement("src-bucket", family=FAMILY, exempt=[ROLE, "arn:aws:iam::111111111111:user/ops"])
    replaced = merge_freeze(json.dumps(merged.policy), wider, bucket="src-bucket", written=STATEMENT)
    assert replaced.policy["Statement"] == [foreign, wider]
    lifted = lift_freeze(json.dumps(replaced.policy), wider, bucket="src-bucket")
    assert lifted.changed and lifted.policy["Statement"] == [foreign]
    assert frozen_statement(replaced.policy, wider["Sid"]) == wider


def test_lifting_the_only_statement_deletes_the_policy() -> None:
    merged = merge_freeze(None, STATEMENT, bucket="src-bucket")
    lifted = lift_freeze(json.dumps(merged.policy), STATEMENT, bucket="src-bucket")
    assert lifted.changed and lifted.policy is None
    assert not lift_freeze(None, STATEMENT, bucket="src-bucket").changed


def test_a_statement_with_our_sid_the_journal_did_not_write_is_refused() -> None:
    impostor = {**STATEMENT, "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::9:role/x"]}}}
    existing = json.dumps({"Statement": [impostor]})
    with pytest.raises(MergeError, match="refusing to overwrite"):
        merge_freeze(existing, STATEMENT, bucket="src-bucket")
    with pytest.raises(MergeError, match="refusing"):
        lift_freeze(existing, STATEMENT, bucket="src-bucket")


_text = st.text(alphabet="abcXYZ019:/*-", min_size=1, max_size=12)
_statement = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"]), "Action": st.one_of(_text, st.lists(_text, max_size=3)),
     "Resource": _text, "Principal": st.one_of(st.just("*"), st.fixed_dictionaries({"AWS": _text}))},
    optional={"Sid": st.one_of(_text, st.just(FAMILY + "Other"), st.just(FAMILY)),
              "Condition": st.fixed_dictionaries({"StringEquals": st.dictionaries(_text, _text, max_size=2)})},
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_statement, max_size=8), st.integers(0, 8), st.booleans())
def test_any_foreign_policy_survives_freeze_and_lift(foreign: list[dict], at: int, earlier: bool) -> None:
    """For any existing policy (no statement with our Sid), freezing then lifting leaves it exactly as it was."""
    policy = {"Version": "2012-10-17", "Statement": foreign}
    if earlier:  # an earlier freeze of ours, in the middle: replaced in place, still only ours removed
        old = freeze_statement("src-bucket", family=FAMILY, exempt=["arn:aws:iam::111111111111:root"])
        policy["Statement"] = foreign[:at] + [old] + foreign[at:]
        merged = merge_freeze(json.dumps(policy), STATEMENT, bucket="src-bucket", written=old)
        assert [s for s in merged.policy["Statement"] if s != STATEMENT] == foreign
        assert merged.policy["Statement"].index(STATEMENT) == min(at, len(foreign))
    else:
        merged = merge_freeze(json.dumps(policy), STATEMENT, bucket="src-bucket")
        assert merged.policy["Statement"][:-1] == foreign
    assert merged.foreign == len(foreign)
    lifted = lift_freeze(json.dumps(merged.policy), STATEMENT, bucket="src-bucket")
    if foreign:
        assert lifted.policy == {"Version": "2012-10-17", "Statement": foreign}
    else:
        assert lifted.policy is None
