"""core.repair: verify's results -> a CSV manifest of exactly the repairable versions, and the rest with reasons."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from s3xrep_tui.core.repair import (
    NotRepairable,
    Row,
    SourceFacts,
    kms_opted_in,
    manifest_csv,
    manifest_key,
    manifest_read_policy,
    read_manifest,
    repair_job_request,
    triage,
)
from s3xrep_tui.core.verify import Outcome, Result, VersionRecord

keys = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
outcomes = st.sampled_from(list(Outcome))


def _result(outcome: Outcome, key: str, version: str) -> Result:
    return Result(outcome, key, version, VersionRecord(key, version), None, "why")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.tuples(keys, st.sampled_from(["v1", "v2", "null"])), outcomes, max_size=30))
def test_every_repairable_version_appears_exactly_once_and_no_other(verdicts) -> None:
    results = [_result(o, k, v) for (k, v), o in verdicts.items()]
    rows, skipped = triage(results + results[:3], "src")  # a result seen twice is still one row
    expected = sorted(i for i, o in verdicts.items() if o in (Outcome.MISSING, Outcome.DELETE_MARKER_MISSING))
    assert sorted((r.key, r.version_id) for r in rows) == expected
    assert len(rows) == len(expected)
    listed = sorted((s.key, s.version_id) for s in skipped)
    assert listed == sorted(i for i, o in verdicts.items() if o in (
        Outcome.OUT_OF_SCOPE, Outcome.NOT_ELIGIBLE, Outcome.SIZE_MISMATCH, Outcome.ETAG_MISMATCH, Outcome.KIND_MISMATCH))
    assert all(s.by_design == (verdicts[(s.key, s.version_id)] in (Outcome.OUT_OF_SCOPE, Outcome.NOT_ELIGIBLE))
               for s in skipped)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(keys, st.text(alphabet="abcXYZ0123._", min_size=1, max_size=32)), max_size=20))
def test_keys_with_commas_quotes_unicode_and_newlines_round_trip(pairs) -> None:
    rows = [Row("src", k, v) for k, v in pairs]
    data = manifest_csv(rows)
    assert read_manifest(data) == rows
    assert data.count(b"\n") == len(rows)  # one line a version: newlines in keys are URL-encoded


def test_a_key_is_url_encoded_in_the_csv() -> None:
    assert manifest_csv([Row("src", 'a,b "c"/d\né', "v1")]) == b"src,a%2Cb%20%22c%22/d%0A%C3%A9,v1\n"


def test_replicas_and_excluded_kms_objects_are_listed_with_their_reason() -> None:
    results = [_result(Outcome.MISSING, "replica", "1"), _result(Outcome.MISSING, "kms", "2"),
               _result(Outcome.MISSING, "hard-deleted", "5"),
               _result(Outcome.MISSING, "plain", "3"), _result(Outcome.OUT_OF_SCOPE, "elsewhere", "4")]
    facts = {"replica": SourceFacts("REPLICA", None), "kms": SourceFacts("FAILED", "aws:kms"),
             "plain": SourceFacts("FAILED", "AES256"), "hard-deleted": SourceFacts("COMPLETED", None)}
    rows, skipped = triage(results, "src", kms_replicated=False, facts_of=lambda r: facts[r.key])
    assert rows == [Row("src", "plain", "3")]
    reasons = {s.key: s.reason for s in skipped}
    assert "REPLICA" in reasons["replica"] and "SseKmsEncryptedObjects" in reasons["kms"]
    assert reasons["elsewhere"] == "why"
    assert "DstObjectHardDeleted" in reasons["hard-deleted"]
    rows, skipped = triage(results, "src", statuses=("NONE", "FAILED", "REPLICA"), facts_of=lambda r: facts[r.key])
    assert [r.key for r in rows] == ["replica", "kms", "plain"]
    assert all(isinstance(s, NotRepairable) for s in skipped)


def test_kms_opt_in_is_read_from_the_rules_to_the_destination() -> None:
    rule = {"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dst"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}}}
    assert kms_opted_in({"Rules": [rule]}, "dst")
    assert not kms_opted_in({"Rules": [rule]}, "other")
    assert not kms_opted_in(None, "dst")


def test_the_job_request_names_the_manifest_with_its_etag_and_the_role_may_read_exactly_it() -> None:
    job = {"AccountId": "111111111111", "RoleArn": "arn:aws:iam::111111111111:role/b", "Priority": 10,
           "Report": {"Enabled": False}}
    request = repair_job_request(job, manifest_bucket="rep", manifest_key="s3xrep/repair/p/x.csv", etag='"abc"',
                                 version_id="v9", description="d")
    assert request["Manifest"] == {
        "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key", "VersionId"]},
        "Location": {"ObjectArn": "arn:aws:s3:::rep/s3xrep/repair/p/x.csv", "ETag": "abc", "ObjectVersionId": "v9"}}
    assert request["ClientRequestToken"] and request["ConfirmationRequired"] is False
    statement = manifest_read_policy("rep", "s3xrep/repair/p/x.csv", by_version=True)["Statement"][0]
    assert statement["Action"] == ["s3:GetObject", "s3:GetObjectVersion"]
    assert statement["Resource"] == "arn:aws:s3:::rep/s3xrep/repair/p/x.csv"
    assert manifest_read_policy("rep", "k")["Statement"][0]["Action"] == ["s3:GetObject"]


def test_manifests_go_under_our_prefix_per_plan_run_and_round() -> None:
    assert manifest_key("s3xrep/batch-reports/", "p-1", "20261203T150000Z", 2) == \
        "s3xrep/batch-reports/repair/p-1/20261203T150000Z-round2.csv"
    assert manifest_key(None, "p-1", "S", 1) == "s3xrep/repair/p-1/S-round1.csv"
