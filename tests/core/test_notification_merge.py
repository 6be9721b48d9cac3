"""The source's notification configuration (PutBucketNotificationConfiguration replaces it whole).

A property test draws any existing configuration (Topic, Queue and LambdaFunction entries
with any Ids, events and filters, EventBridge on or off) and checks that adding ours and
removing it again leaves every foreign entry exactly as it was, in its place.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3xrep_tui.core import alarms
from s3xrep_tui.core.merge import MergeError
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.notification_merge import entry_fingerprint, merge_notifications, remove_ours
from s3xrep_tui.core.plan import build_plan
from tests.core.conftest import make_inputs

TOPIC = "arn:aws:sns:us-east-1:111111111111:s3xrep-replication-acme-legacy-media-to-acme-platform-media"
OURS = {"Id": "s3xrep-replication-events-to-acme-platform-media", "TopicArn": TOPIC,
        "Events": ["s3:Replication:OperationFailedReplication"]}
# events a foreign entry may have without overlapping ours (S3 refuses overlaps)
FOREIGN_EVENTS = ["s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectRemoved:*", "s3:ObjectRestore:Completed",
                  "s3:LifecycleExpiration:*", "s3:ObjectTagging:Put", "s3:IntelligentTiering",
                  "s3:Replication:OperationNotTracked"]

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
_filter = st.one_of(st.none(), st.builds(
    lambda rules: {"Key": {"FilterRules": rules}},
    st.lists(st.builds(lambda n, v: {"Name": n, "Value": v}, st.sampled_from(["prefix", "suffix"]), _text),
             min_size=1, max_size=2)))
# foreign Ids include our prefix: an Id alone never proves an entry ours
_id = st.one_of(_text, _text.map(lambda t: "s3xrep-" + t), st.just("s3xrep-replication-events-to-other"))


def _entry(target_key: str, arn_prefix: str) -> st.SearchStrategy[dict[str, Any]]:
    def build(entry_id: str, n: int, events: list[str], flt: dict[str, Any] | None) -> dict[str, Any]:
        entry = {"Id": entry_id, target_key: f"{arn_prefix}{n}", "Events": events}
        if flt is not None:
            entry["Filter"] = flt
        return entry

    return st.builds(build, _id, st.integers(0, 99), st.lists(st.sampled_from(FOREIGN_EVENTS), min_size=1,
                                                               max_size=3, unique=True), _filter)


configurations = st.fixed_dictionaries({}, optional={
    "TopicConfigurations": st.lists(_entry("TopicArn", "arn:aws:sns:us-east-1:111111111111:t"), max_size=4),
    "QueueConfigurations": st.lists(_entry("QueueArn", "arn:aws:sqs:us-east-1:111111111111:q"), max_size=4),
    "LambdaFunctionConfigurations": st.lists(
        _entry("LambdaFunctionArn", "arn:aws:lambda:us-east-1:111111111111:function:f"), max_size=4),
    "EventBridgeConfiguration": st.just({}),
})


def _foreign(configuration: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in configuration.items() if v != []}


@settings(max_examples=300)
@given(configurations, st.booleans())
def test_adding_and_removing_ours_leaves_every_foreign_entry_as_it_was(existing: dict[str, Any],
                                                                      eventbridge: bool) -> None:
    before = copy.deepcopy(existing)
    merged = merge_notifications(existing, OURS, eventbridge=eventbridge)
    assert existing == before  # the input is not touched
    ours_in = [e for e in merged.configuration["TopicConfigurations"] if e == OURS]
    assert len(ours_in) == 1
    for name in ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations"):
        kept = [e for e in merged.configuration.get(name, []) if e != OURS]
        assert kept == before.get(name, []), name  # same entries, same order, same bytes
    assert merged.foreign == sum(len(before.get(n, [])) for n in ("TopicConfigurations", "QueueConfigurations",
                                                                   "LambdaFunctionConfigurations"))
    # removed again: by the journal's fingerprint, and by equality with what we wrote
    added_eventbridge = eventbridge and "EventBridgeConfiguration" not in before
    for removed in (remove_ours(merged.configuration, [], fingerprints={entry_fingerprint(OURS)},
                                eventbridge_was_off=added_eventbridge),
                    remove_ours(merged.configuration, [OURS], eventbridge_was_off=added_eventbridge)):
        assert removed == _foreign(before)


@settings(max_examples=100)
@given(configurations)
def test_an_entry_is_ours_only_by_proof_not_by_its_id(existing: dict[str, Any]) -> None:
    """Foreign entries with our Id prefix survive a removal that has no proof for them."""
    assert remove_ours(existing, [OURS], fingerprints={entry_fingerprint(OURS)}) == _foreign(existing)


def test_a_foreign_entry_with_our_id_is_refused() -> None:
    impostor = {**OURS, "TopicArn": "arn:aws:sns:us-east-1:111111111111:theirs"}
    with pytest.raises(MergeError) as caught:
        merge_notifications({"TopicConfigurations": [impostor]}, OURS)
    assert caught.value.finding_id == "notification-id-collision" and "refusing to overwrite" in caught.value.message


def test_an_entry_of_ours_recorded_in_the_journal_is_replaced_in_place() -> None:
    older = {**OURS, "Events": ["s3:Replication:*"]}
    other = {"Id": "audit", "QueueArn": "arn:aws:sqs:us-east-1:111111111111:q", "Events": ["s3:ObjectCreated:*"]}
    merged = merge_notifications({"TopicConfigurations": [older], "QueueConfigurations": [other]}, OURS,
                                 fingerprints={entry_fingerprint(older)})
    assert merged.replaced and merged.configuration == {"TopicConfigurations": [OURS], "QueueConfigurations": [other]}


@pytest.mark.parametrize("events", [["s3:Replication:*"], ["s3:Replication:OperationFailedReplication"]])
def test_a_foreign_entry_already_receiving_our_events_blocks_with_the_fix(events: list[str]) -> None:
    theirs = {"Id": "ops", "QueueArn": "arn:aws:sqs:us-east-1:111111111111:ops", "Events": events}
    plan = build_plan(make_inputs(source_notifications={"QueueConfigurations": [theirs]}))
    finding = next(f for f in plan.findings if f.id == "notification-events-overlap")
    assert plan.blocked and "arn:aws:sqs:us-east-1:111111111111:ops" in finding.message
    assert "--alarm-topic-arn" in finding.fix


def test_the_plan_has_the_alarm_steps_before_the_backfill_and_metrics_on_the_rule() -> None:
    plan = build_plan(make_inputs())
    calls = [s.call for s in plan.steps]
    assert calls[-8:] == ["sns.create_topic", "sns.set_topic_attributes", "s3.put_bucket_notification_configuration",
                          "cloudwatch.put_metric_alarm", "cloudwatch.put_metric_alarm", "sqs.create_queue",
                          "sns.subscribe", "s3control.create_job"]
    rule = plan.documents["replication_configuration"]["Rules"][0]
    assert rule["Destination"]["Metrics"]["Status"] == "Enabled"
    failed = plan.documents["alarms"]["alarms"][0]
    assert [d["Name"] for d in failed["Dimensions"]] == ["SourceBucket", "DestinationBucket", "RuleId"]
    assert failed["AlarmActions"] == [TOPIC] and failed["MetricName"] == "OperationsFailedReplication"
    s3_statement = plan.documents["alarms"]["topic_policy"]["Statement"][0]
    assert s3_statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert s3_statement["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-legacy-media"},
                                         "StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_rtc_adds_the_threshold_events_and_no_alarms_adds_nothing() -> None:
    rtc = build_plan(make_inputs(rtc=True))
    assert rtc.documents["alarms"]["notification_configuration"]["TopicConfigurations"][0]["Events"] == [
        alarms.FAILED_EVENT, *alarms.RTC_EVENTS]
    off = build_plan(make_inputs(alarms=False))
    assert not any(s.call.startswith(("sns.", "cloudwatch.")) or "notification" in s.call for s in off.steps)
    assert "Metrics" not in off.documents["replication_configuration"]["Rules"][0]["Destination"]


def test_a_named_topic_or_eventbridge_creates_no_topic_and_an_email_subscribes() -> None:
    arn = "arn:aws:sns:us-east-1:111111111111:ops-alerts"
    named = build_plan(make_inputs(alarm_topic_arn=arn, alarm_email="ops@example.com"))
    calls = [s.call for s in named.steps]
    assert "sns.create_topic" not in calls and calls.count("sns.subscribe") == 2  # our inbox queue, the e-mail
    assert named.documents["alarms"]["subscriptions"][1]["Endpoint"] == "ops@example.com"
    bus = build_plan(make_inputs(alarm_eventbridge=True))
    assert bus.documents["alarms"]["notification_configuration"] == {"EventBridgeConfiguration": {}}
    assert not any(s.call.startswith("sns.") for s in bus.steps)
    assert "AlarmActions" not in bus.documents["alarms"]["alarms"][0]


@pytest.mark.parametrize(("field", "value", "words"), [
    ("alarm_email", "not-an-address", "is not an e-mail address"),
    ("alarm_topic_arn", "ops-alerts", "is not an SNS topic ARN"),
    ("alarm_latency_seconds", -1, "is negative"),
])
def test_bad_alarm_options_are_refused_with_the_fix(field: str, value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        MigrationOptions(**{field: value})
