"""core.finish: only what the journal proves ours comes out of a document; everything else stays as it was."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3xrep_tui.core.finish import (
    FinishRow,
    action_of,
    cut_over,
    element_of,
    finished,
    strip_policy,
    strip_replication,
)

OURS = {"Sid": "S3xrepReplicationWrite", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/r"},
        "Action": ["s3:ReplicateObject"], "Resource": "arn:aws:s3:::dst/*"}
FOREIGN = {"Sid": "TeamRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"},
           "Action": "s3:GetObject", "Resource": "arn:aws:s3:::dst/*"}


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_our_statement_comes_out_and_foreign_ones_stay_even_if_added_after_apply() -> None:
    later = {**FOREIGN, "Sid": "AddedLater"}
    stripped = strip_policy(_policy(FOREIGN, OURS, later), [(_policy(FOREIGN), _policy(FOREIGN, OURS))])
    assert stripped.document == _policy(FOREIGN, later)
    assert stripped.removed == ("statement S3xrepReplicationWrite",)
    assert stripped.kept == ("statement TeamRead", "statement AddedLater")


def test_a_policy_of_only_our_statements_is_deleted() -> None:
    assert strip_policy(_policy(OURS), [(None, _policy(OURS))]).document is None


def test_our_sid_with_changed_content_is_not_proven_ours_and_stays_named() -> None:
    changed = {**OURS, "Action": ["s3:*"]}
    stripped = strip_policy(_policy(FOREIGN, changed), [(_policy(FOREIGN), _policy(FOREIGN, OURS))])
    assert stripped.removed == () and stripped.document == _policy(FOREIGN, changed)
    assert stripped.changed == ("statement S3xrepReplicationWrite",)


def test_s3_storing_a_one_element_list_as_a_string_is_still_ours() -> None:
    stored = {**OURS, "Action": "s3:ReplicateObject"}
    assert strip_policy(_policy(stored), [(None, _policy(OURS))]).removed == ("statement S3xrepReplicationWrite",)


RULE = {"ID": "s3xrep-to-dst", "Priority": 1, "Status": "Enabled", "Filter": {},
        "Destination": {"Bucket": "arn:aws:s3:::dst"}, "DeleteMarkerReplication": {"Status": "Disabled"}}
THEIRS = {"ID": "team-dr", "Priority": 5, "Status": "Enabled", "Filter": {"Prefix": "dr/"},
          "Destination": {"Bucket": "arn:aws:s3:::dr"}, "DeleteMarkerReplication": {"Status": "Disabled"}}


def test_our_rule_comes_out_and_the_foreign_rules_keep_their_role() -> None:
    before = {"Role": "arn:aws:iam::1:role/team", "Rules": [THEIRS]}
    after = {"Role": "arn:aws:iam::1:role/s3xrep-repl", "Rules": [THEIRS, RULE]}
    stripped = strip_replication({**after, "Rules": [THEIRS, {**RULE, "Priority": 7}]}, [(before, after)])
    assert stripped.document == before  # the priority S3 or a later merge gave our rule does not hide it
    assert stripped.removed == ("rule s3xrep-to-dst",) and stripped.kept == ("rule team-dr",)


def test_a_configuration_of_only_our_rule_is_deleted_and_nothing_of_ours_leaves_it_alone() -> None:
    config = {"Role": "arn:aws:iam::1:role/s3xrep-repl", "Rules": [RULE]}
    assert strip_replication(config, [(None, config)]).document is None
    untouched = strip_replication({"Role": "x", "Rules": [THEIRS]}, [(None, config)])
    assert untouched.removed == () and untouched.document == {"Role": "x", "Rules": [THEIRS]}


def test_the_journal_records_cut_over_and_finish() -> None:
    entries = [{"kind": "write"}, {"kind": "finish", "complete": False, "ts": "1"}]
    assert cut_over(entries) is None and finished(entries) is None  # an incomplete finish is not finished
    entries += [{"kind": "cutover", "ts": "2"}, {"kind": "finish", "complete": True, "ts": "3"}]
    assert cut_over(entries)["ts"] == "2" and finished(entries)["ts"] == "3"


def test_actions_and_elements_are_named_for_the_table() -> None:
    assert [action_of(s) for s in ("would-delete", "deleted", "unchanged", "note", "skipped", "failed")] == [
        "remove", "removed", "gone", "stays", "not removed", "failed"]
    assert element_of("iam.put_role_policy", "role r policy p") == "inline policy p of role r"
    assert element_of("sns.create_topic", "topic t") == "topic t"  # a call finish has no words for: its target
    assert FinishRow("e", "source", "stays", "why").action == "stays"


_text = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789", min_size=1, max_size=12)
_statement = st.fixed_dictionaries({
    "Sid": _text, "Effect": st.sampled_from(["Allow", "Deny"]),
    "Principal": st.fixed_dictionaries({"AWS": _text.map(lambda t: f"arn:aws:iam::222222222222:role/{t}")}),
    "Action": st.lists(_text.map(lambda t: f"s3:{t}"), min_size=1, max_size=3),
    "Resource": _text.map(lambda t: f"arn:aws:s3:::{t}/*"),
})


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(foreign=st.lists(_statement, max_size=6), later=st.lists(_statement, max_size=3),
       ours=st.lists(_statement.map(lambda s: {**s, "Sid": "S3xrep" + s["Sid"]}), min_size=1, max_size=3),
       data=st.data())
def test_any_foreign_statements_survive_adding_and_removing_ours(foreign: list, later: list, ours: list,
                                                                 data: st.DataObject) -> None:
    """Whatever was there, and whatever was added since, stays as it was (same content, same order)."""
    ours = [s for s in ours if s not in foreign and s not in later]
    before = _policy(*foreign)
    after = _policy(*foreign, *ours)
    mixed = list(foreign)
    for statement in ours + later:
        mixed.insert(data.draw(st.integers(0, len(mixed))), statement)
    current = _policy(*copy.deepcopy(mixed))
    stripped = strip_policy(current, [(before, after)])
    left = stripped.document["Statement"] if stripped.document else []
    assert left == [s for s in mixed if s not in ours]
    assert not any(s in left for s in ours)
