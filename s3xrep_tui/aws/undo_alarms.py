"""Undo (and finish) of the alarm steps: each takes away exactly what apply wrote, and nothing foreign.

* the notification configuration: our entries taken out of what is there NOW (not the
  old document put back), so an entry someone added since apply survives; EventBridge
  switched off only when the journal says apply switched it on;
* the topic policy: our statements (by Sid) taken out, the others kept;
* an alarm apply created is deleted; one it updated gets its old settings back;
* the topic apply created is deleted, unless someone else subscribed to it meanwhile;
* an e-mail subscription is unsubscribed (a pending one goes with its topic, or expires).

Each is a function of the undoer (``aws.undo._Undoer``) and the journal's write entry,
answering ``(status, message, fix)`` like the undoer's own handlers.
"""

from __future__ import annotations

from typing import Any

from ..core.notification_merge import clean, remove_ours
from ..core.ownership import MANAGED_TAG, MANAGED_VALUE
from ..core.policy_json import dump_policy, load_policy

Outcome = tuple[str, str, str]


def _arn(entry: dict[str, Any]) -> str:
    return str(entry["target"]).split(" ", 1)[-1]


def _subscribed_by_journal(undoer: Any, topic: str) -> set[str]:
    return {str((e.get("after") or {}).get("Endpoint")) for e in undoer.read.writes()
            if e.get("call") == "sns.subscribe" and (e.get("after") or {}).get("TopicArn") == topic}


def topic(undoer: Any, entry: dict[str, Any]) -> Outcome:
    arn = _arn(entry)
    sns = undoer.client(entry, "sns")
    found = undoer.call(entry, f"sns.get_topic_attributes {arn}", lambda: sns.get_topic_attributes(TopicArn=arn),
                        absent=("NotFound", "NotFoundException"))
    if found is None:
        return "unchanged", f"topic {arn} no longer exists", ""
    tags = undoer.call(entry, f"sns.list_tags_for_resource {arn}",
                       lambda: sns.list_tags_for_resource(ResourceArn=arn)).get("Tags") or []
    if not any(t.get("Key") == MANAGED_TAG and t.get("Value") == MANAGED_VALUE for t in tags):
        return "skipped", f"topic {arn} is no longer tagged ours: not deleted", "delete it by hand if it should go"
    ours = _subscribed_by_journal(undoer, arn)
    subscriptions = undoer.call(entry, f"sns.list_subscriptions_by_topic {arn}",
                                lambda: sns.list_subscriptions_by_topic(TopicArn=arn)).get("Subscriptions") or []
    others = [str(s.get("Endpoint")) for s in subscriptions if str(s.get("Endpoint")) not in ours]
    if others:
        return ("skipped", f"topic {arn} has subscriptions s3xrep did not make ({', '.join(others)}): not deleted",
                f"remove them if the topic should go (aws sns delete-topic --topic-arn {arn})")
    if undoer.dry_run:
        return "would-delete", f"would delete topic {arn} (apply created it)", ""
    undoer.call(entry, f"sns.delete_topic {arn}", lambda: sns.delete_topic(TopicArn=arn))
    return "deleted", f"topic {arn} deleted (apply created it)", ""


def queue(undoer: Any, entry: dict[str, Any]) -> Outcome:
    arn = _arn(entry)
    name, account = arn.rsplit(":", 1)[-1], arn.split(":")[4]
    sqs = undoer.client(entry, "sqs")
    found = undoer.call(entry, f"sqs.get_queue_url {name!r}",
                        lambda: sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account),
                        absent=("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"))
    if found is None:
        return "unchanged", f"queue {name} no longer exists", ""
    url = found["QueueUrl"]
    tags = undoer.call(entry, f"sqs.list_queue_tags {name!r}", lambda: sqs.list_queue_tags(QueueUrl=url)).get("Tags") or {}
    if tags.get(MANAGED_TAG) != MANAGED_VALUE:
        return "skipped", f"queue {name} is no longer tagged ours: not deleted", "delete it by hand if it should go"
    if undoer.dry_run:
        return "would-delete", f"would delete queue {name} (apply created it)", ""
    undoer.call(entry, f"sqs.delete_queue {name!r}", lambda: sqs.delete_queue(QueueUrl=url))
    return "deleted", f"queue {name} deleted (apply created it, with the failure events in it)", ""


def topic_policy(undoer: Any, entry: dict[str, Any]) -> Outcome:
    arn = _arn(entry)
    sns = undoer.client(entry, "sns")
    found = undoer.call(entry, f"sns.get_topic_attributes {arn}", lambda: sns.get_topic_attributes(TopicArn=arn),
                        absent=("NotFound", "NotFoundException"))
    if found is None:
        return "unchanged", f"topic {arn} no longer exists: nothing to restore", ""
    text = (found.get("Attributes") or {}).get("Policy")
    current = load_policy(text) if text else {"Statement": []}
    before = entry.get("before") or {}
    was = {s.get("Sid") for s in before.get("Statement") or []}
    ours = {s.get("Sid"): s for s in (entry.get("after") or {}).get("Statement") or [] if s.get("Sid") not in was}
    statements = current.get("Statement") or []
    mine = [s for s in statements if s.get("Sid") in ours]
    if not mine:
        return "unchanged", f"the policy of topic {arn} no longer has our statements", ""
    if any(s != ours[s.get("Sid")] for s in mine):
        raise undoer._changed(f"our statements in the policy of topic {arn}")
    kept = [s for s in statements if s.get("Sid") not in ours]
    policy = {**current, "Statement": kept} if kept else before
    if not policy.get("Statement"):
        return "note", f"the policy of topic {arn} holds only our statements; it goes with the topic", ""
    if undoer.dry_run:
        return "would-restore", f"would take our statements out of the policy of topic {arn}", ""
    undoer.call(entry, f"sns.set_topic_attributes {arn}", lambda: sns.set_topic_attributes(
        TopicArn=arn, AttributeName="Policy", AttributeValue=dump_policy(policy)))
    return "restored", f"our statements taken out of the policy of topic {arn} ({len(kept)} other(s) kept)", ""


def subscription(undoer: Any, entry: dict[str, Any]) -> Outcome:
    request = entry.get("after") or {}
    arn, endpoint = request.get("TopicArn"), request.get("Endpoint")
    sns = undoer.client(entry, "sns")
    found = undoer.call(entry, f"sns.list_subscriptions_by_topic {arn}",
                        lambda: sns.list_subscriptions_by_topic(TopicArn=arn), absent=("NotFound", "NotFoundException"))
    match = next((s for s in (found or {}).get("Subscriptions") or [] if s.get("Endpoint") == endpoint
                  and s.get("Protocol") == request.get("Protocol")), None)
    if match is None:
        return "unchanged", f"{endpoint} is no longer subscribed to {arn}", ""
    subscription_arn = str(match.get("SubscriptionArn") or "")
    if not subscription_arn.startswith("arn:"):  # "PendingConfirmation": SNS cannot unsubscribe it
        return ("note", f"the subscription of {endpoint} to {arn} awaits confirmation: it cannot be removed; it "
                "lapses unconfirmed (and goes with the topic when the topic is deleted)", "")
    if undoer.dry_run:
        return "would-delete", f"would unsubscribe {endpoint} from {arn}", ""
    undoer.call(entry, f"sns.unsubscribe {subscription_arn}", lambda: sns.unsubscribe(SubscriptionArn=subscription_arn))
    return "deleted", f"{endpoint} unsubscribed from {arn}", ""


def notifications(undoer: Any, entry: dict[str, Any]) -> Outcome:
    bucket = str(entry["target"]).split(" ", 1)[-1]
    owner = entry.get("account_id")
    owner_kw = {"ExpectedBucketOwner": owner} if owner else {}
    s3 = undoer.client(entry, "s3")
    answer = undoer.call(entry, f"s3.get_bucket_notification_configuration on bucket {bucket!r}",
                         lambda: s3.get_bucket_notification_configuration(Bucket=bucket, **owner_kw))
    current = clean(answer)
    fingerprint = entry.get("entry_fingerprint")
    result = remove_ours(current, [], fingerprints={fingerprint} if fingerprint else set(),
                         eventbridge_was_off=bool(entry.get("eventbridge_added")))
    what = f"our replication-event entry in the notification configuration of {bucket}"
    if result == current:
        return "unchanged", f"{what} is no longer there", ""
    if undoer.dry_run:
        return "would-restore", f"would take {what} out (every other entry kept)", ""
    undoer.call(entry, f"s3.put_bucket_notification_configuration on bucket {bucket!r}",
                lambda: s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=result,
                                                                 **owner_kw))
    return "restored", f"{what} taken out (every other entry kept)", ""


def alarm(undoer: Any, entry: dict[str, Any]) -> Outcome:
    name = str(entry["target"])
    cw = undoer.client(entry, "cloudwatch")
    found = undoer.call(entry, f"cloudwatch.describe_alarms {name!r}",
                        lambda: cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"]))
    existing = next(iter(found.get("MetricAlarms") or []), None)
    if existing is None:
        return "unchanged", f"alarm {name} no longer exists", ""
    from_alarm = {k: existing[k] for k in (entry.get("after") or {}) if k in existing}
    if from_alarm != {k: v for k, v in (entry.get("after") or {}).items() if k in existing}:
        raise undoer._changed(f"alarm {name}")
    before = entry.get("before")
    if before is None:
        if undoer.dry_run:
            return "would-delete", f"would delete alarm {name} (apply created it)", ""
        undoer.call(entry, f"cloudwatch.delete_alarms {name!r}", lambda: cw.delete_alarms(AlarmNames=[name]))
        return "deleted", f"alarm {name} deleted (apply created it)", ""
    if undoer.dry_run:
        return "would-restore", f"would restore the previous settings of alarm {name}", ""
    undoer.call(entry, f"cloudwatch.put_metric_alarm {name!r}", lambda: cw.put_metric_alarm(**before))
    return "restored", f"previous settings of alarm {name} restored", ""
