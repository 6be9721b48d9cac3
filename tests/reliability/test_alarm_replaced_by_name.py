"""An alarm with our name that someone else put in place of ours is not ours: apply does not overwrite it.

The journal once wrote an alarm of that name; the one there now is untagged and is not what the
journal wrote (its fingerprint differs), so its name alone proves nothing. On the sandbox, over HTTP.
"""

from __future__ import annotations

from typing import Any

from s3xrep_tui.aws.apply import apply_plan
from s3xrep_tui.aws.inspect import gather_inputs
from s3xrep_tui.core.models import MigrationOptions
from s3xrep_tui.core.plan import build_plan
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from tests.apply_world import FAST


def test_a_foreign_alarm_in_place_of_ours_is_not_overwritten(world: Any) -> None:
    w = world("alarm-swap")
    w.apply()
    cw = w.accounts[A]("cloudwatch")
    (name, *_) = sorted(m["AlarmName"] for m in cw.describe_alarms(AlarmNamePrefix=f"s3xrep-{w.src}-")["MetricAlarms"])
    theirs = {"AlarmName": name, "Namespace": "Team/Metrics", "MetricName": "Errors", "Statistic": "Sum",
              "Period": 300, "EvaluationPeriods": 2, "Threshold": 10.0, "ComparisonOperator": "GreaterThanThreshold"}
    arn = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    cw.delete_alarms(AlarmNames=[name])
    cw.put_metric_alarm(**theirs)  # someone else's alarm, untagged, under our name
    # on AWS the tags went with the deleted alarm; the sandbox (moto) keeps them by ARN, so take them off
    cw.untag_resource(ResourceARN=arn, TagKeys=[t["Key"] for t in cw.list_tags_for_resource(ResourceARN=arn)["Tags"]])

    options = MigrationOptions(report_bucket=w.report, alarm_failed_threshold=3, alarm_latency_seconds=600)
    c = w.clients
    plan = build_plan(gather_inputs(c["source"], c["destination"], w.src, w.dst, options))
    result = apply_plan(plan, c, options=options, backoff=FAST)
    failed = [s for s in result.steps if s.status == "failed"]
    assert failed and failed[0].step.call == "cloudwatch.put_metric_alarm", result.summary()
    assert failed[0].error is not None and failed[0].error.code == "AlarmNotOurs"
    now = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert (now["Namespace"], now["MetricName"], now["Threshold"]) == ("Team/Metrics", "Errors", 10.0)


def test_a_topic_of_our_name_no_longer_tagged_ours_gets_no_statement_of_ours(world: Any) -> None:
    """The journal created a topic of that name; untagged now, it is someone's: no policy, no subscription."""
    w = world("topic-swap")
    w.apply()
    sns = w.accounts[A]("sns")
    (arn,) = [t["TopicArn"] for t in sns.list_topics()["Topics"] if f"-{w.src}-" in t["TopicArn"]]
    sns.untag_resource(ResourceArn=arn, TagKeys=[t["Key"] for t in sns.list_tags_for_resource(ResourceArn=arn)["Tags"]])
    policy = sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy")

    options = MigrationOptions(report_bucket=w.report, alarm_email="ops@example.com")  # a change of ours to make
    c = w.clients
    plan = build_plan(gather_inputs(c["source"], c["destination"], w.src, w.dst, options))
    result = apply_plan(plan, c, options=options, backoff=FAST)
    failed = [s for s in result.steps if s.status == "failed"]
    assert failed and failed[0].step.call == "sns.create_topic", result.summary()
    assert failed[0].error is not None and failed[0].error.code == "TopicNotOurs"
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"].get("Policy") == policy
    endpoints = [s["Endpoint"] for s in sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]]
    assert "ops@example.com" not in endpoints
