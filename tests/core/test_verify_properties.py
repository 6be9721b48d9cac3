"""core.verify: the streamed join gives what a naive all-in-memory comparison gives."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from s3xrep_tui.core.verify import (
    Expectations,
    VersionRecord,
    join_versions,
    verify_versions,
)

# letters whose code point / UTF-8 order differs from case-insensitive and UTF-16 orders
ALPHABET = ["a", "B", "b", "/", "0", "é", "ꀀ", "！", "😀"]
NOT_ELIGIBLE = {"GLACIER", "DEEP_ARCHIVE"}

keys = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=3), min_size=0, max_size=8, unique=True)
entry = st.fixed_dictionaries({
    "marker": st.booleans(),
    "size": st.integers(0, 2),
    "etag": st.sampled_from(["e1", "e2", "m1-2"]),
    "storage_class": st.sampled_from(["STANDARD", "GLACIER", "DEEP_ARCHIVE", "STANDARD_IA"]),
})


@st.composite
def listings(draw):
    """Two listings in S3's key order; within a key, versions in any order."""
    source: dict[tuple[str, str], VersionRecord] = {}
    destination: dict[tuple[str, str], VersionRecord] = {}
    for key in draw(keys):
        for side in (source, destination):
            for vid in draw(st.sets(st.sampled_from(["v1", "v2", "v3", "v4", "null"]), max_size=4)):
                e = draw(entry)
                side[(key, vid)] = VersionRecord(
                    key=key, version_id=vid, is_delete_marker=e["marker"],
                    size=0 if e["marker"] else e["size"], etag=None if e["marker"] else e["etag"],
                    storage_class=None if e["marker"] else e["storage_class"])
    seed = draw(st.integers(0, 2**16))
    scoped = draw(st.sampled_from(ALPHABET))
    delete_markers = draw(st.booleans())
    return source, destination, seed, scoped, delete_markers


def ordered(records: dict[tuple[str, str], VersionRecord], seed: int) -> list[VersionRecord]:
    rng = random.Random(seed)
    by_key: dict[str, list[VersionRecord]] = {}
    for (key, _), record in records.items():
        by_key.setdefault(key, []).append(record)
    out: list[VersionRecord] = []
    for key in sorted(by_key, key=lambda k: k.encode("utf-8")):  # S3's order, as bytes
        group = by_key[key]
        rng.shuffle(group)  # the join must not rely on the order within a key
        out += group
    return out


def naive(source, destination, in_scope, delete_markers) -> Counter:
    """Every (key, version id) of either side classified from two dicts, independently of the join."""
    result: Counter = Counter()
    for ident in set(source) | set(destination):
        s, d = source.get(ident), destination.get(ident)
        if s is None:
            outcome = "extra"
        elif d is None:
            if s.is_delete_marker:
                outcome = ("out-of-scope" if not in_scope(s) else
                           "delete-marker-missing" if delete_markers else "delete-marker-not-replicated")
            elif s.storage_class in NOT_ELIGIBLE:
                outcome = "not-eligible"
            else:
                outcome = "out-of-scope" if not in_scope(s) else "missing"
        elif s.is_delete_marker != d.is_delete_marker:
            outcome = "kind-mismatch"
        elif s.is_delete_marker:
            outcome = "delete-marker-replicated"
        elif s.size != d.size:
            outcome = "size-mismatch"
        elif s.etag == d.etag or "-" in str(s.etag) or "-" in str(d.etag):
            outcome = "replicated"
        else:
            outcome = "etag-mismatch"
        result[(outcome, *ident)] += 1
    return result


@settings(max_examples=200, deadline=None)
@given(listings())
def test_join_equals_naive_comparison(data) -> None:
    source, destination, seed, scoped, delete_markers = data

    def in_scope(record: VersionRecord) -> bool:
        return not record.key.startswith(scoped)

    facts = Expectations(in_scope=in_scope, delete_markers=delete_markers)
    joined = Counter(
        (r.outcome.value, r.key, r.version_id)
        for r in join_versions(ordered(source, seed), ordered(destination, seed + 1), facts)
    )
    assert joined == naive(source, destination, in_scope, delete_markers)
    assert max(joined.values(), default=1) == 1  # one result per distinct (key, version id)


@settings(max_examples=100, deadline=None)
@given(listings())
def test_summary_counts_match_the_results_and_the_inputs(data) -> None:
    source, destination, seed, _, _ = data
    summary = verify_versions(ordered(source, seed), ordered(destination, seed), limit=2)
    assert summary.compared == len(set(source) | set(destination))
    assert summary.source_versions == len(source) and summary.destination_versions == len(destination)
    assert summary.source_bytes == sum(r.size for r in source.values())
    assert len(summary.differences) == min(2, summary.mattering)
    assert len(summary.expected) == min(2, summary.expected_differences)


def test_partitions_concatenated_in_key_order_give_the_single_stream_result() -> None:
    # what a partitioned, concurrent listing must preserve: same records, same order -> same output
    records = [VersionRecord(f"{p}/{i:03}", "v1", size=i) for p in "abc" for i in range(50)]
    replicas = [r for r in records if r.size % 3]
    single = [r.as_dict() for r in join_versions(records, replicas)]
    parts = [[r for r in records if r.key.startswith(p)] for p in "abc"]
    replica_parts = [[r for r in replicas if r.key.startswith(p)] for p in "abc"]
    partitioned = [res.as_dict() for s, d in zip(parts, replica_parts) for res in join_versions(s, d)]
    assert partitioned == single
