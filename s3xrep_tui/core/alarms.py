"""Alarms while it runs: the SNS topic, its policy, the S3 event notification, the CloudWatch alarms.

Built from ``PlanInputs`` alone (pure, deterministic). What AWS documents:

* replication events (``s3:Replication:OperationFailedReplication``; with RTC also
  ``OperationMissedThreshold`` and ``OperationReplicatedAfterThreshold``) need replication
  metrics on the rule (AWS: S3 User Guide, "Receiving replication failure events with Amazon
  S3 Event Notifications", https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html);
* the topic policy lets ``s3.amazonaws.com`` publish, conditioned on ``aws:SourceArn`` (the
  bucket) and ``aws:SourceAccount`` (its owner) (AWS: "Granting permissions to publish event
  notification messages to a destination",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html),
  and CloudWatch alarm actions to publish, conditioned on the same account;
* the topic lives in the bucket's account and Region;
* the alarms watch ``OperationsFailedReplication`` (Sum) and ``ReplicationLatency`` (Maximum) in
  ``AWS/S3`` with the dimensions ``SourceBucket``, ``DestinationBucket``, ``RuleId`` (AWS:
  "Monitoring progress with replication metrics and Amazon S3 event notifications").

Missing data is ``notBreaching``: these metrics are written only while something replicates or
fails, so no data means no failures; AWS's general advice for replication alarms ("ignore")
would hold an alarm in ALARM forever once the failures were fixed and block the cut-over.
With ``alarm_eventbridge`` S3 sends its events to EventBridge and no topic is made (CloudWatch
sends alarm state changes to EventBridge by itself).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from .merge import MergeError, merge_policy
from .models import PlanInputs
from .names import MAX_RULE_ID_LENGTH, sid_family
from .notification_merge import NotificationMerge, merge_notifications
from .ownership import MANAGED_TAG, MANAGED_VALUE, PLAN_TAG
from .policy_json import dump_policy
from .policy_parts import sid, statement

FAILED_EVENT = "s3:Replication:OperationFailedReplication"
RTC_EVENTS = ("s3:Replication:OperationMissedThreshold", "s3:Replication:OperationReplicatedAfterThreshold")
NAMESPACE = "AWS/S3"
PERIOD_SECONDS = 60
TOPIC_POLICY_LIMIT = 30 * 1024  # SNS: a topic policy is at most 30 KB
_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]")
# the alarm settings put_metric_alarm takes that describe_alarms returns (what the journal keeps)
ALARM_FIELDS = ("AlarmName", "AlarmDescription", "MetricName", "Namespace", "Statistic", "Dimensions", "Period",
                "EvaluationPeriods", "Threshold", "ComparisonOperator", "TreatMissingData", "AlarmActions",
                "OKActions", "Unit")


def alarm_settings(alarm: dict[str, Any]) -> dict[str, Any]:
    """An alarm (a request, or describe_alarms' answer) reduced to what put_metric_alarm takes."""
    return {k: alarm[k] for k in ALARM_FIELDS if alarm.get(k) not in (None, [])}


def _pair(inputs: PlanInputs) -> str:
    return _NAME_BAD.sub("-", f"{inputs.source.bucket.name}-to-{inputs.destination.bucket.name}")


def region(inputs: PlanInputs) -> str:
    """The topic must be in the bucket's Region."""
    return inputs.source.bucket.region or "us-east-1"


def topic_name(inputs: PlanInputs) -> str:
    return f"s3xrep-replication-{_pair(inputs)}"[:256]


def topic_arn(inputs: PlanInputs) -> str | None:
    """The topic events and alarm actions go to (None with EventBridge)."""
    o = inputs.options
    if o.alarm_eventbridge:
        return None
    if o.alarm_topic_arn:
        return o.alarm_topic_arn
    return f"arn:{inputs.partition}:sns:{region(inputs)}:{inputs.source_account.id}:{topic_name(inputs)}"


def inbox_name(inputs: PlanInputs) -> str:
    """Our SQS queue subscribed to the topic, where the monitor reads failure events (SQS names: 80 characters)."""
    name = f"s3xrep-events-{_pair(inputs)}"
    if len(name) > 80:
        name = name[:71] + "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return name


def inbox_arn(inputs: PlanInputs) -> str:
    return f"arn:{inputs.partition}:sqs:{region(inputs)}:{inputs.source_account.id}:{inbox_name(inputs)}"


def inbox_request(inputs: PlanInputs, plan_id: str, topic: str) -> dict[str, Any]:
    """create_queue: the queue policy lets only our topic send (aws:SourceArn); kept a day; tagged ours."""
    policy = {"Version": "2012-10-17", "Statement": [statement(
        sid(inputs, "TopicToInbox"), ["sqs:SendMessage"], inbox_arn(inputs), principal={"Service": "sns.amazonaws.com"},
        condition={"ArnEquals": {"aws:SourceArn": topic}})]}
    return {"QueueName": inbox_name(inputs),
            "Attributes": {"Policy": dump_policy(policy), "MessageRetentionPeriod": "86400"},
            "tags": {t["Key"]: t["Value"] for t in tags(inputs, plan_id)}}


def events(inputs: PlanInputs) -> list[str]:
    return [FAILED_EVENT, *(RTC_EVENTS if inputs.options.rtc else ())]


def notification_id(destination: str) -> str:
    return f"s3xrep-replication-events-to-{destination}"[:255]


def notification_entry(inputs: PlanInputs) -> dict[str, Any] | None:
    """Our TopicConfigurations entry (Id starts ``s3xrep-``: one proof of ours, with equality or the journal)."""
    arn = topic_arn(inputs)
    if arn is None:
        return None
    return {"Id": notification_id(inputs.destination.bucket.name), "TopicArn": arn,
            "Events": events(inputs)}


def merged_notifications(inputs: PlanInputs) -> NotificationMerge:
    """Raises MergeError (a collision or an overlap)."""
    return merge_notifications(
        inputs.source_notifications, notification_entry(inputs), fingerprints=inputs.notification_fingerprints,
        eventbridge=inputs.options.alarm_eventbridge, bucket=inputs.source.bucket.name,
    )


def topic_statements(inputs: PlanInputs, arn: str) -> list[dict[str, Any]]:
    account = inputs.source_account.id
    alarm_arns = f"arn:{inputs.partition}:cloudwatch:{region(inputs)}:{account}:alarm:s3xrep-*"
    return [
        statement(sid(inputs, "S3Events"), ["SNS:Publish"], arn, principal={"Service": "s3.amazonaws.com"},
                  condition={"ArnLike": {"aws:SourceArn": inputs.source.bucket.arn},
                             "StringEquals": {"aws:SourceAccount": account}}),
        statement(sid(inputs, "AlarmActions"), ["SNS:Publish"], arn,
                  principal={"Service": "cloudwatch.amazonaws.com"},
                  condition={"ArnLike": {"aws:SourceArn": alarm_arns}, "StringEquals": {"aws:SourceAccount": account}}),
    ]


def tags(inputs: PlanInputs, plan_id: str) -> list[dict[str, str]]:
    return [{"Key": MANAGED_TAG, "Value": MANAGED_VALUE}, {"Key": PLAN_TAG, "Value": plan_id[:256]}]


def alarm_names(inputs: PlanInputs) -> tuple[str, str]:
    base = f"s3xrep-{_pair(inputs)}"[:230]
    return f"{base}-failed-replication", f"{base}-replication-latency"


def dimensions(inputs: PlanInputs) -> list[dict[str, str]]:
    rule = inputs.options.rule_id_for(inputs.destination.bucket.name)[:MAX_RULE_ID_LENGTH]
    return [{"Name": "SourceBucket", "Value": inputs.source.bucket.name},
            {"Name": "DestinationBucket", "Value": inputs.destination.bucket.name},
            {"Name": "RuleId", "Value": rule}]


def alarm_requests(inputs: PlanInputs, plan_id: str) -> list[dict[str, Any]]:
    """The two put_metric_alarm requests (tagged ours at creation)."""
    o = inputs.options
    arn = topic_arn(inputs)
    actions = {"AlarmActions": [arn], "OKActions": [arn]} if arn else {}
    failed, latency = alarm_names(inputs)
    pair = f"{inputs.source.bucket.name} to {inputs.destination.bucket.name}"
    common = {"Namespace": NAMESPACE, "Dimensions": dimensions(inputs), "Period": PERIOD_SECONDS,
              "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold",
              "TreatMissingData": "notBreaching", **actions, "Tags": tags(inputs, plan_id)}
    return [
        {"AlarmName": failed, "AlarmDescription": f"s3xrep: more than {o.alarm_failed_threshold} replication "
         f"operation(s) failed in a minute ({pair})", "MetricName": "OperationsFailedReplication",
         "Statistic": "Sum", "Threshold": float(o.alarm_failed_threshold), "Unit": "Count", **common},
        {"AlarmName": latency, "AlarmDescription": f"s3xrep: replication is more than {o.alarm_latency_seconds} s "
         f"behind ({pair})", "MetricName": "ReplicationLatency", "Statistic": "Maximum",
         "Threshold": float(o.alarm_latency_seconds), "Unit": "Seconds", **common},
    ]


def documents(inputs: PlanInputs, plan_id: str) -> tuple[dict[str, Any], list[MergeError]]:
    """The alarm documents (none without ``alarms``) and the merge problems found.

    One, ``alarms`` (one Preview tab): the topic policy and the source's notification configuration,
    each merged with what is there, then the topic, the two alarms, our inbox queue and the
    subscriptions, as the requests apply sends.
    """
    if not inputs.options.alarms:
        return {}, []
    found: dict[str, Any] = {}
    problems: list[MergeError] = []
    arn = topic_arn(inputs)
    if arn is not None:
        ours = topic_statements(inputs, arn)
        facts = inputs.alarm_facts
        existing = dump_policy(facts.topic_policy) if facts and facts.topic_policy else None
        family = sid_family(inputs.source_account.id, inputs.source.bucket.name, inputs.destination.bucket.name)
        try:
            found["alarm_topic_policy"] = merge_policy(existing, ours, family=family, what=f"the policy of topic {arn}",
                                                       limit=TOPIC_POLICY_LIMIT,
                                                       proven=inputs.statement_fingerprints).policy
        except MergeError as error:
            problems.append(error)
            found["alarm_topic_policy"] = {"Version": "2012-10-17", "Statement": ours}
    try:
        found["notification_configuration"] = merged_notifications(inputs).configuration
    except MergeError as error:
        problems.append(error)
        found["notification_configuration"] = None
    subscriptions: list[dict[str, Any]] = []
    if arn is not None:
        subscriptions.append({"TopicArn": arn, "Protocol": "sqs", "Endpoint": inbox_arn(inputs),
                              "Attributes": {"RawMessageDelivery": "true"}, "ReturnSubscriptionArn": True})
        if inputs.options.alarm_email:
            subscriptions.append({"TopicArn": arn, "Protocol": "email", "Endpoint": inputs.options.alarm_email,
                                  "ReturnSubscriptionArn": True})
    found["alarms"] = {
        "topic_policy": found.pop("alarm_topic_policy", None),
        "notification_configuration": found.pop("notification_configuration"),
        "topic": {"Name": topic_name(inputs), "Tags": tags(inputs, plan_id)}
        if arn is not None and not inputs.options.alarm_topic_arn else None,
        "alarms": alarm_requests(inputs, plan_id),
        "inbox": inbox_request(inputs, plan_id, arn) if arn is not None else None,
        "subscriptions": subscriptions,
    }
    return found, problems


def add_steps(inputs: PlanInputs, found: dict[str, Any], add: Any) -> None:
    """The alarm steps, in order (``add`` is the plan's step collector). Each is judged again at apply."""
    if not inputs.options.alarms:
        return
    src = inputs.source.bucket.name
    arn = topic_arn(inputs)
    facts = inputs.alarm_facts
    parts = found["alarms"]
    if parts["topic"] is not None:
        add("source", "sns.create_topic", "no-op" if facts and facts.topic_exists else "create",
            f"Create SNS topic {topic_name(inputs)} for replication events and alarms (tagged ours)",
            dict(parts["topic"]), "alarms")
    if arn is not None:
        same = bool(facts and facts.topic_policy == parts["topic_policy"])
        add("source", "sns.set_topic_attributes", "no-op" if same else "update", f"Let S3 (events of {src}) and our CloudWatch alarms "
            "publish to the topic (merged by Sid into its policy)",
            {"TopicArn": arn, "AttributeName": "Policy", "AttributeValue": dump_policy(parts["topic_policy"])},
            "alarms")
    configuration = parts["notification_configuration"]
    if configuration is not None:
        current = {k: v for k, v in (inputs.source_notifications or {}).items() if k != "ResponseMetadata"}
        kept = sum(len(current.get(k) or []) for k in ("TopicConfigurations", "QueueConfigurations",
                                                       "LambdaFunctionConfigurations"))
        to = "EventBridge" if inputs.options.alarm_eventbridge else "the topic"
        add("source", "s3.put_bucket_notification_configuration",
            "no-op" if configuration == current else ("create" if not current else "update"),
            f"Send {', '.join(e.rsplit(':', 1)[1] for e in events(inputs))} events of {src} to {to} "
            f"(merged: other entries kept; {kept} there now)",
            {"Bucket": src, "NotificationConfiguration": configuration,
             "ExpectedBucketOwner": inputs.source_account.id},
            "alarms")
    for request in parts["alarms"]:
        there = (facts.alarms if facts else {}).get(request["AlarmName"])
        add("source", "cloudwatch.put_metric_alarm",
            "create" if there is None else ("no-op" if there == alarm_settings(request) else "update"),
            f"Alarm {request['AlarmName']} on {request['MetricName']} ({request['Statistic']} > "
            f"{request['Threshold']:g} in {PERIOD_SECONDS} s)", dict(request), "alarms")
    if parts["inbox"] is not None:
        add("source", "sqs.create_queue", "no-op" if facts and facts.inbox_exists else "create",
            f"Create SQS queue {inbox_name(inputs)} where the monitor reads failure events (tagged ours; only the "
            "topic may send)", dict(parts["inbox"]), "alarms")
    for subscription in parts["subscriptions"]:
        done = bool(facts and subscription["Endpoint"] in facts.subscribed)
        what = "our inbox queue" if subscription["Protocol"] == "sqs" else f"{subscription['Endpoint']} (the " \
            "address must confirm)"
        add("source", "sns.subscribe", "no-op" if done else "create", f"Subscribe {what} to the topic",
            dict(subscription), "alarms")
