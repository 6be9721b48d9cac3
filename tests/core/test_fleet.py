"""The fleet plan: N pairs composed of today's single-pair plan (issue 20)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3xrep_tui.core.fleet import ROLE_INLINE_LIMIT, build_fleet, migration_id, shared_role_names
from s3xrep_tui.core.fleet_pairs import PairSpec
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from tests.core.conftest import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, make_facts, make_inputs


def _pair(src: str, dst: str, **options: object) -> tuple[PairSpec, object]:
    spec = PairSpec("s", src, "d", dst, dict(options))
    mid = "m-test"
    inputs = make_inputs(source=make_facts(src), destination=make_facts(dst, owner=DESTINATION_ACCOUNT),
                         options=MigrationOptions(migration_id=mid, **options))
    return spec, inputs


def _fleet(pairs: list[tuple[PairSpec, object]], **kw: object):
    return build_fleet("m-test", pairs, **kw)


def test_one_role_per_source_account_each_pair_adds_its_own_inline_policy() -> None:
    fleet = _fleet([_pair(f"acme-legacy-b{i}", f"acme-platform-b{i}") for i in range(5)])
    repl, batch = shared_role_names("m-test")
    assert {r.name for r in fleet.roles} == {repl, batch}
    creates = [(p.index, s.request["RoleName"]) for p in fleet.pairs for s in p.plan.steps if s.call == "iam.create_role"]
    assert creates == [(1, repl), (1, batch)]  # created once, by the first pair
    for pair in fleet.pairs:
        puts = [s.request for s in pair.plan.steps if s.call == "iam.put_role_policy"]
        assert {p["RoleName"] for p in puts} == {repl, batch}
        names = {p["PolicyName"] for p in puts}
        assert all(pair.spec.source_bucket in n and pair.spec.destination_bucket in n for n in names)
        text = json.dumps([json.loads(p["PolicyDocument"]) for p in puts])
        others = [q for q in fleet.pairs if q is not pair]
        assert not any(f"arn:aws:s3:::{q.spec.source_bucket}" in text for q in others)  # exactly its own buckets
    assert len({p.lane for p in fleet.pairs}) == 5  # no shared buckets: every pair in its own lane
    assert not fleet.blocked


def test_two_pairs_from_one_source_share_its_configuration_and_one_job() -> None:
    fleet = _fleet([_pair("acme-legacy-a", "acme-platform-x"), _pair("acme-legacy-a", "acme-platform-y")])
    first, second = fleet.pairs
    config = [s for s in second.plan.steps if s.call == "s3.put_bucket_replication"][0].request
    ids = [r["ID"] for r in config["ReplicationConfiguration"]["Rules"]]
    assert ids == ["s3xrep-to-acme-platform-x", "s3xrep-to-acme-platform-y"]  # the first pair's rule merged in
    jobs = [p.index for p in fleet.pairs for s in p.plan.steps if s.call == "s3control.create_job"]
    assert jobs == [2]  # one Batch job per source bucket, after every rule is there
    assert first.lane == second.lane


def test_one_destination_bucket_policy_holds_every_pairs_statements() -> None:
    fleet = _fleet([_pair("acme-legacy-a", "acme-platform-x", prefix="a/"),
                    _pair("acme-legacy-b", "acme-platform-x", prefix="b/")])
    last = [s for s in fleet.pairs[1].plan.steps if s.call == "s3.put_bucket_policy"][0]
    policy = json.loads(last.request["Policy"])
    assert len(policy["Statement"]) == 2
    assert not fleet.blocked


@pytest.mark.parametrize(("pairs", "finding"), [
    ([("acme-legacy-a", "acme-platform-x"), ("acme-legacy-b", "acme-platform-x")], "fleet-destination-overlap"),
    ([("acme-legacy-a", "acme-platform-x"), ("acme-legacy-a", "acme-platform-x")], "fleet-duplicate-pair"),
    ([("acme-legacy-a", "acme-legacy-b"), ("acme-legacy-b", "acme-legacy-a")], "fleet-replication-loop"),
])
def test_cross_pair_preflight_blocks(pairs: list[tuple[str, str]], finding: str) -> None:
    fleet = _fleet([_pair(s, d) for s, d in pairs])
    assert finding in {f.id for f in fleet.findings}
    assert fleet.blocked


def test_a_fleet_past_iams_inline_limit_is_split_into_more_roles() -> None:
    """IAM User Guide, "IAM and AWS STS quotas" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
    a role's inline policies total at most 10,240 characters, white space not counted."""
    fleet = _fleet([_pair(f"acme-legacy-{i:03d}", f"acme-platform-{i:03d}") for i in range(40)])
    repl_roles = [r for r in fleet.roles if r.kind == "replication"]
    assert len(repl_roles) > 1
    assert all(r.characters <= ROLE_INLINE_LIMIT for r in fleet.roles)
    assert all(r.creator is not None for r in fleet.roles)
    assert not fleet.blocked


def test_missing_role_facts_are_named_for_the_caller_to_inspect() -> None:
    fleet = _fleet([_pair("acme-legacy-a", "acme-platform-x")])
    assert (SOURCE_ACCOUNT, shared_role_names("m-test")[0]) in fleet.missing_role_facts


def test_migration_id_is_stable_and_order_free() -> None:
    a, b = PairSpec("s", "acme-a", "d", "acme-x"), PairSpec("s", "acme-b", "d", "acme-y")
    assert migration_id([a, b], "Acme Move") == migration_id([b, a], "Acme Move")
    assert migration_id([a, b]).startswith("fleet-")
    assert migration_id([a]) != migration_id([a, b])


def test_single_pair_plan_is_unchanged_without_a_migration() -> None:
    plan = build_plan(make_inputs())
    names = {s.request["PolicyName"] for s in plan.steps if s.call == "iam.put_role_policy"}
    assert names == {"s3xrep-replication-to-acme-platform-media", "s3xrep-batch-to-acme-platform-media"}


_names = st.integers(min_value=0, max_value=60).map(lambda i: f"acme-bucket-{i:02d}")


@given(st.lists(st.tuples(_names, _names), min_size=1, max_size=25, unique_by=lambda t: t[0]))
def test_property_roles_within_limits_and_naming_exactly_the_listed_buckets(raw: list[tuple[str, str]]) -> None:
    pairs = [(s, d.replace("bucket", "dest")) for s, d in raw]
    fleet = _fleet([_pair(s, d) for s, d in pairs])
    listed = {b for p in pairs for b in p}
    for role in fleet.roles:
        assert role.characters <= ROLE_INLINE_LIMIT
    for pair in fleet.pairs:
        for step in pair.plan.steps:
            if step.call == "iam.put_role_policy":
                text = step.request["PolicyDocument"]
                named = {a.split(":::")[1].split("/")[0] for a in _resources(json.loads(text))}
                assert named <= listed
                assert named <= {pair.spec.source_bucket, pair.spec.destination_bucket}
    sids = [s["Sid"] for p in fleet.pairs for st_ in p.plan.steps if st_.call == "iam.put_role_policy"
            for s in json.loads(st_.request["PolicyDocument"])["Statement"]]
    assert len(sids) == len(set(sids))  # no two pairs' statements collide
    final: dict[str, dict] = {}
    for p in fleet.pairs:
        for step in p.plan.steps:
            if step.call == "s3.put_bucket_replication":
                final[p.spec.source_bucket] = step.request["ReplicationConfiguration"]
    for config in final.values():  # within each source's configuration no two rules collide
        ids = [r["ID"] for r in config["Rules"]]
        priorities = [r["Priority"] for r in config["Rules"]]
        assert len(ids) == len(set(ids)) and len(priorities) == len(set(priorities))


def _resources(policy: dict) -> list[str]:
    out = []
    for statement in policy["Statement"]:
        res = statement.get("Resource", [])
        out += [res] if isinstance(res, str) else res
    return [r for r in out if r.startswith("arn:aws:s3:::")]


def test_role_per_pair_gives_each_source_bucket_its_own_roles() -> None:
    pairs = []
    for i in range(3):
        spec, inputs = _pair(f"acme-legacy-r{i}", f"acme-platform-r{i}")
        options = inputs.options.model_copy(update={"replication_role_name": None, "batch_role_name": None})
        pairs.append((spec, inputs.model_copy(update={"options": options})))
    fleet = _fleet(pairs, role_per_pair=True)
    assert {r.name for r in fleet.roles if r.kind == "replication"} == {f"s3xrep-repl-acme-legacy-r{i}" for i in range(3)}
    assert all(r.creator == r.pairs[0] and len(r.pairs) == 1 for r in fleet.roles)
    assert not fleet.missing_role_facts and not fleet.blocked


def test_one_source_bucket_past_iams_limit_on_its_own_is_blocked_with_the_limit() -> None:
    fleet = _fleet([_pair("acme-legacy-fan", f"acme-platform-fan-{i:02d}", prefix=f"p{i:02d}/") for i in range(30)])
    [finding] = [f for f in fleet.findings if f.id == "fleet-role-policy-too-large"]
    assert "10240" in finding.message and finding.severity == "blocking"
    assert fleet.blocked
