"""core.verify: the streamed merge-join and every classification, with hand-made listings."""

from __future__ import annotations

import itertools
import tracemalloc
from collections.abc import Iterator

import pytest

from s3xrep_tui.core.verify import (
    Expectations,
    ListingOrderError,
    Outcome,
    RuleScope,
    Summary,
    VersionRecord,
    expectations_for,
    join_versions,
    key_groups,
    rules_to,
    verify_versions,
)

E = "d41d8cd98f00b204e9800998ecf8427e"


def v(key: str, vid: str, size: int = 1, etag: str = E, **kw) -> VersionRecord:
    return VersionRecord(key=key, version_id=vid, size=size, etag=etag, storage_class=kw.pop("sc", "STANDARD"), **kw)


def dm(key: str, vid: str) -> VersionRecord:
    return VersionRecord(key=key, version_id=vid, is_delete_marker=True)


def outcomes(source, destination, facts=None) -> list[tuple[str, str, str]]:
    return [(r.outcome.value, r.key, r.version_id) for r in join_versions(source, destination, facts)]


# -- the join ---------------------------------------------------------------------------------------


def test_both_sides_empty() -> None:
    assert outcomes([], []) == []
    summary = verify_versions([], [])
    assert summary.ok and summary.compared == 0


def test_source_only_and_destination_only() -> None:
    assert outcomes([v("a", "1"), v("b", "2")], []) == [("missing", "a", "1"), ("missing", "b", "2")]
    assert outcomes([], [v("a", "1"), dm("b", "2")]) == [("extra", "a", "1"), ("extra", "b", "2")]


def test_same_key_many_versions_matched_by_version_id_whatever_their_order_within_the_key() -> None:
    source = [v("k", str(i), size=i) for i in range(10)]  # newest first, as S3 lists them
    destination = [v("k", str(i), size=i) for i in (3, 9, 0, 5, 1, 8, 2, 7, 6)]  # any order, 4 missing
    result = outcomes(source, destination)
    assert result == [("missing" if i == 4 else "replicated", "k", str(i)) for i in range(10)]


def test_a_key_group_spread_over_pages_is_one_group() -> None:
    # a producer yields pages one after the other; the same key continues on the next page
    pages = [[v("a", "1"), v("k", "3")], [v("k", "2"), v("k", "1")], [v("z", "1")]]
    groups = list(key_groups(itertools.chain.from_iterable(pages)))
    assert [(key, [r.version_id for r in group]) for key, group in groups] == [
        ("a", ["1"]), ("k", ["3", "2", "1"]), ("z", ["1"])]


def test_version_ids_are_matched_within_the_key_only() -> None:
    # the same version id under two keys is two different versions
    source = [v("a", "X"), v("b", "Y")]
    destination = [v("a", "Y"), v("b", "X")]
    assert outcomes(source, destination) == [
        ("missing", "a", "X"), ("extra", "a", "Y"), ("missing", "b", "Y"), ("extra", "b", "X")]


def test_interleaved_keys_on_both_sides() -> None:
    source = [v("a", "1"), v("c", "1"), v("d", "1"), v("f", "1")]
    destination = [v("b", "1"), v("c", "1"), v("e", "1"), v("f", "1"), v("g", "1")]
    assert outcomes(source, destination) == [
        ("missing", "a", "1"), ("extra", "b", "1"), ("replicated", "c", "1"), ("missing", "d", "1"),
        ("extra", "e", "1"), ("replicated", "f", "1"), ("extra", "g", "1")]


# S3 lists in UTF-8 binary order: uppercase before lowercase, "a/b" before "a0", "é" (U+00E9)
# after "z", U+FF01 before U+1F600 (UTF-16 order would put the emoji first).
BYTE_ORDERED = ["A", "B", "Z", "a", "a/b", "a0", "b", "z", "~", "é", "ꀀ", "！", "😀"]


def test_keys_in_utf8_byte_order_are_joined() -> None:
    assert BYTE_ORDERED == sorted(BYTE_ORDERED, key=lambda k: k.encode("utf-8"))
    assert BYTE_ORDERED == sorted(BYTE_ORDERED)  # Python's str order is the same order
    source = [v(k, "1") for k in BYTE_ORDERED]
    destination = [v(k, "1") for k in BYTE_ORDERED if k not in ("a", "😀")]
    result = outcomes(source, destination)
    assert [key for _, key, _ in result] == BYTE_ORDERED
    assert {key for outcome, key, _ in result if outcome == "missing"} == {"a", "😀"}


@pytest.mark.parametrize(
    "keys",
    [
        ["a", "B"],  # case-insensitive order
        ["😀", "！"],  # UTF-16 code-unit order
        ["a0", "a/b"],  # "natural" order
    ],
)
def test_a_listing_in_another_order_is_refused_not_joined_wrongly(keys: list[str]) -> None:
    with pytest.raises(ListingOrderError, match="not in key order"):
        list(join_versions([v(k, "1") for k in keys], []))
    with pytest.raises(ListingOrderError, match="destination"):
        list(join_versions([], [v(k, "1") for k in keys]))


def test_a_repeated_version_is_refused() -> None:
    with pytest.raises(ListingOrderError, match="repeats version"):
        list(join_versions([v("a", "1"), v("a", "1")], []))


# -- classifications --------------------------------------------------------------------------------


def _one(source, destination, facts=None):
    (result,) = list(join_versions(source, destination, facts))
    return result


def test_replicated_when_size_and_etag_equal() -> None:
    result = _one([v("k", "1", size=5)], [v("k", "1", size=5)])
    assert result.outcome is Outcome.REPLICATED and not result.matters and result.reason == ""


def test_size_mismatch_matters() -> None:
    result = _one([v("k", "1", size=5)], [v("k", "1", size=4)])
    assert result.outcome is Outcome.SIZE_MISMATCH and result.matters
    assert "size 5 on the source, 4 on the destination" in result.reason


def test_etag_mismatch_matters_without_an_explanation() -> None:
    result = _one([v("k", "1", etag="a" * 32)], [v("k", "1", etag="b" * 32)])
    assert result.outcome is Outcome.ETAG_MISMATCH and result.matters


@pytest.mark.parametrize(
    ("source", "destination", "facts", "why"),
    [
        (v("k", "1", etag="a" * 32 + "-3"), v("k", "1", etag="b" * 32 + "-2"), Expectations(), "multipart"),
        (v("k", "1", etag="a" * 32), v("k", "1", etag="b" * 32 + "-2"), Expectations(), "multipart"),
        (v("k", "1", etag="a" * 32, encryption="aws:kms"), v("k", "1", etag="b" * 32), Expectations(), "source is aws:kms"),
        (v("k", "1", etag="a" * 32), v("k", "1", etag="b" * 32, encryption="aws:kms:dsse"), Expectations(), "replica is aws:kms:dsse"),
        (v("k", "1", etag="a" * 32, encryption="SSE-C"), v("k", "1", etag="b" * 32), Expectations(), "SSE-C"),
        (v("k", "1", etag="a" * 32), v("k", "1", etag="b" * 32), Expectations(source_kms=True), "source bucket encrypts"),
        (v("k", "1", etag="a" * 32), v("k", "1", etag="b" * 32), Expectations(destination_kms=True), "re-encrypts"),
    ],
)
def test_legitimate_etag_differences_count_as_replicated(source, destination, facts, why) -> None:
    result = _one([source], [destination], facts)
    assert result.outcome is Outcome.REPLICATED and why in result.reason
    summary = verify_versions([source], [destination], facts)
    assert summary.ok and summary.etag_differs_expected == 1


def test_a_known_unencrypted_object_is_not_excused_by_a_kms_default() -> None:
    # the record says SSE-S3 on both sides: the bucket default does not apply to this version
    facts = Expectations(source_kms=True, destination_kms=True)
    result = _one([v("k", "1", etag="a" * 32, encryption="AES256")],
                  [v("k", "1", etag="b" * 32, encryption="AES256")], facts)
    assert result.outcome is Outcome.ETAG_MISMATCH


def test_encryption_is_looked_up_only_for_unexplained_etag_differences() -> None:
    calls: list[tuple[str, str]] = []

    def encryption_of(record: VersionRecord, side: str) -> str | None:
        calls.append((record.key, side))
        return "aws:kms" if record.key == "kms" else "AES256"

    facts = Expectations(encryption_of=encryption_of)
    source = [v("kms", "1", etag="a" * 32), v("plain", "1", etag="a" * 32), v("same", "1")]
    destination = [v("kms", "1", etag="b" * 32), v("plain", "1", etag="b" * 32), v("same", "1")]
    result = {r.key: r.outcome for r in join_versions(source, destination, facts)}
    assert result == {"kms": Outcome.REPLICATED, "plain": Outcome.ETAG_MISMATCH, "same": Outcome.REPLICATED}
    assert ("same", "source") not in calls and ("kms", "source") in calls


def test_delete_markers_on_both_sides() -> None:
    result = _one([dm("k", "1")], [dm("k", "1")])
    assert result.outcome is Outcome.DELETE_MARKER_REPLICATED and not result.matters


def test_delete_marker_not_replicated_is_expected_when_the_rule_does_not_replicate_them() -> None:
    result = _one([dm("k", "1")], [], Expectations(delete_markers=False))
    assert result.outcome is Outcome.DELETE_MARKER_NOT_REPLICATED and not result.matters
    assert "expected" in result.reason


def test_delete_marker_missing_matters_when_the_rule_replicates_them() -> None:
    result = _one([dm("k", "1")], [], Expectations(delete_markers=True))
    assert result.outcome is Outcome.DELETE_MARKER_MISSING and result.matters


def test_delete_marker_against_an_object_with_the_same_version_id() -> None:
    assert _one([dm("k", "1")], [v("k", "1")]).outcome is Outcome.KIND_MISMATCH


def test_extra_delete_marker_on_the_destination() -> None:
    result = _one([], [dm("k", "1")])
    assert result.outcome is Outcome.EXTRA and "delete marker" in result.reason and not result.matters


def test_out_of_scope_versions_are_expected() -> None:
    facts = Expectations(in_scope=lambda r: r.key.startswith("in/"))
    assert outcomes([v("in/a", "1"), v("out/a", "1"), dm("out/b", "2")], [], facts) == [
        ("missing", "in/a", "1"), ("out-of-scope", "out/a", "1"), ("out-of-scope", "out/b", "2")]


def test_out_of_scope_but_replicated_anyway_is_compared() -> None:
    facts = Expectations(in_scope=lambda r: False)
    assert _one([v("k", "1")], [v("k", "1")], facts).outcome is Outcome.REPLICATED


@pytest.mark.parametrize("storage_class", ["GLACIER", "DEEP_ARCHIVE"])
def test_archived_objects_are_not_eligible(storage_class: str) -> None:
    scope_calls: list[str] = []
    facts = Expectations(in_scope=lambda r: scope_calls.append(r.key) or True)
    result = _one([v("k", "1", sc=storage_class)], [], facts)
    assert result.outcome is Outcome.NOT_ELIGIBLE and storage_class in result.reason
    assert scope_calls == []  # no tag lookup needed for what is not eligible anyway


def test_glacier_ir_is_eligible() -> None:
    assert _one([v("k", "1", sc="GLACIER_IR")], []).outcome is Outcome.MISSING


# -- rules and scope --------------------------------------------------------------------------------


def _rule(rid: str, flt: dict, priority: int = 1, dmr: bool = False, dest: str = "dst", status: str = "Enabled") -> dict:
    return {"ID": rid, "Priority": priority, "Status": status, "Filter": flt,
            "DeleteMarkerReplication": {"Status": "Enabled" if dmr else "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}}


def test_rules_to_keeps_enabled_rules_to_the_destination() -> None:
    config = {"Rules": [_rule("a", {}), _rule("b", {}, dest="other"), _rule("c", {}, status="Disabled")]}
    assert [r["ID"] for r in rules_to(config, "dst")] == ["a"]
    assert rules_to(None, "dst") == []


def test_rule_scope_prefix_tags_and_priority() -> None:
    tag_calls: list[str] = []

    def tags_of(record: VersionRecord) -> dict[str, str]:
        tag_calls.append(record.key)
        return {"replicate": "yes"} if "tagged" in record.key else {}

    scope = RuleScope(
        [_rule("logs", {"Prefix": "logs/"}, priority=1, dmr=True),
         _rule("tagged", {"And": {"Prefix": "logs/", "Tags": [{"Key": "replicate", "Value": "yes"}]}}, priority=2),
         _rule("one-tag", {"Tag": {"Key": "replicate", "Value": "yes"}}, priority=0)],
        tags_of=tags_of,
    )
    assert scope.rule_for(v("logs/tagged", "1"))["ID"] == "tagged"  # the higher priority wins
    assert scope.rule_for(v("logs/plain", "1"))["ID"] == "logs"
    assert scope.rule_for(v("other/tagged", "1"))["ID"] == "one-tag"
    assert scope.rule_for(v("other/plain", "1")) is None
    # delete markers have no tags: only the prefix rule covers them, and it replicates them
    assert scope.replicates_delete_marker(dm("logs/tagged", "1"))
    assert not scope.covers(dm("other/x", "1"))
    assert "other/x" not in tag_calls  # delete markers never trigger a tag lookup


def test_v1_rules_cover_by_prefix_and_replicate_delete_markers() -> None:
    scope = RuleScope([{"ID": "v1", "Status": "Enabled", "Prefix": "a/", "Destination": {"Bucket": "arn:aws:s3:::dst"}}])
    assert scope.covers(v("a/x", "1")) and not scope.covers(v("b/x", "1"))
    assert scope.replicates_delete_marker(dm("a/x", "1"))


def test_expectations_from_a_configuration() -> None:
    config = {"Rules": [_rule("r", {"Prefix": "p/"}, dmr=True)]}
    facts = expectations_for(config, "dst", source_encryption="AES256", destination_encryption="aws:kms")
    assert facts.in_scope(v("p/a", "1")) and not facts.in_scope(v("q/a", "1"))
    assert facts.replicates_delete_marker(dm("p/a", "1"))
    assert not facts.source_kms and facts.destination_kms and facts.notes == ()
    assert outcomes([dm("p/a", "1"), dm("q/a", "2")], [], facts) == [
        ("delete-marker-missing", "p/a", "1"), ("out-of-scope", "q/a", "2")]


def test_expectations_without_a_rule_say_so() -> None:
    facts = expectations_for(None, "dst")
    assert "no enabled replication rule to dst" in facts.notes[0]
    summary = verify_versions([v("a", "1")], [], facts)
    assert summary.counts[Outcome.OUT_OF_SCOPE] == 1 and summary.ok and summary.notes == facts.notes


# -- the summary ------------------------------------------------------------------------------------


def test_summary_counts_bytes_and_keeps_the_first_differences() -> None:
    source = [v(f"k{i:03}", "1", size=10) for i in range(50)] + [dm("z", "9")]
    destination = [v(f"k{i:03}", "1", size=10) for i in range(0, 50, 2)] + [v("zz", "1", size=3)]
    summary = verify_versions(source, destination, limit=5)
    assert summary.counts[Outcome.REPLICATED] == 25
    assert summary.counts[Outcome.MISSING] == 25
    assert summary.counts[Outcome.DELETE_MARKER_NOT_REPLICATED] == 1
    assert summary.counts[Outcome.EXTRA] == 1
    assert summary.compared == 52
    assert (summary.source_versions, summary.destination_versions) == (51, 26)
    assert (summary.source_bytes, summary.destination_bytes) == (500, 253)
    assert [r.key for r in summary.differences] == ["k001", "k003", "k005", "k007", "k009"]
    assert summary.differences_not_kept == 20
    assert [r.outcome for r in summary.expected] == [Outcome.DELETE_MARKER_NOT_REPLICATED, Outcome.EXTRA]
    assert not summary.ok and summary.mattering == 25
    data = summary.as_dict()
    assert data["counts"]["missing"] == 25 and data["differences_not_kept"] == 20
    assert data["differences"][0]["source"]["size"] == 10


def test_unlimited_summary_keeps_every_difference() -> None:
    summary = verify_versions([v(f"k{i:03}", "1") for i in range(100)], [], limit=None)
    assert len(summary.differences) == 100 and summary.differences_not_kept == 0


def test_on_result_sees_every_result() -> None:
    seen: list[str] = []
    verify_versions([v("a", "1")], [v("b", "1")], on_result=lambda r, s: seen.append(f"{r.outcome}:{s.compared}"))
    assert seen == ["missing:1", "extra:2"]


def test_from_listing() -> None:
    version = VersionRecord.from_listing(
        {"Key": "k", "VersionId": "v1", "IsLatest": True, "Size": 3, "ETag": '"abc"', "StorageClass": "STANDARD"})
    assert version == VersionRecord("k", "v1", True, 3, "abc", "STANDARD")
    marker = VersionRecord.from_listing({"Key": "k", "VersionId": "v2", "IsLatest": False}, delete_marker=True)
    assert marker.is_delete_marker and marker.size == 0 and marker.etag is None
    assert VersionRecord.from_listing({"Key": "k", "VersionId": None, "Size": 1}).version_id == "null"


# -- streaming at scale -----------------------------------------------------------------------------


class Counting:
    """A record generator that counts how far it has been pulled."""

    def __init__(self, records: Iterator[VersionRecord]) -> None:
        self.records = records
        self.pulled = 0

    def __iter__(self) -> Iterator[VersionRecord]:
        for record in self.records:
            self.pulled += 1
            yield record


def test_the_join_pulls_lazily_one_key_group_ahead() -> None:
    n = 1000
    source = Counting(v(f"k{i:06}", "1") for i in range(n))
    destination = Counting(v(f"k{i:06}", "1") for i in range(n))
    for index, result in enumerate(join_versions(source, destination)):
        assert source.pulled <= index + 2 and destination.pulled <= index + 2


def _synthetic(n: int, side: str) -> Iterator[VersionRecord]:
    for i in range(n):
        key = f"data/{i // 4:08}"
        if side == "destination" and i % 7 == 0:
            continue  # missing on the destination
        size = 100 if side == "source" or i % 11 else 99  # an occasional size mismatch
        yield VersionRecord(key, f"v{i % 4}", size=size, etag=E, storage_class="STANDARD")


def test_two_hundred_thousand_versions_per_side_complete_with_the_kept_list_at_n() -> None:
    n = 200_000
    summary = verify_versions(_synthetic(n, "source"), _synthetic(n, "destination"), limit=25)
    assert summary.counts[Outcome.MISSING] == len(range(0, n, 7))
    assert summary.compared == n
    assert summary.counts[Outcome.SIZE_MISMATCH] == sum(1 for i in range(n) if i % 7 and not i % 11)
    assert len(summary.differences) == 25 and len(summary.expected) == 0
    assert summary.differences_not_kept == summary.mattering - 25


def test_memory_does_not_grow_with_the_listing() -> None:
    peaks = []
    for n in (2_000, 20_000):
        tracemalloc.start()
        try:
            verify_versions(_synthetic(n, "source"), _synthetic(n, "destination"), limit=25)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.5 + 50_000, f"peaks {peaks}: memory grows with the number of versions"


def test_summary_is_a_plain_dataclass() -> None:
    assert Summary().ok and Summary(limit=0).limit == 0
