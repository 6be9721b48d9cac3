"""apply's alarm steps (core.alarms): the SNS topic and its policy, the source's event notifications,
the CloudWatch alarms and the e-mail subscription.

Each re-reads what is there first and converges. Nothing foreign is taken over: a topic
or alarm with our name is ours only when tagged ours or written by this plan's journal;
the topic policy is merged by Sid and the notification configuration by entry
(core.notification_merge), so every foreign statement and entry survives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..core import alarms
from ..core.alarms import ALARM_FIELDS, alarm_settings
from ..core.merge import merge_policy
from ..core.models import Step
from ..core.notification_merge import clean, entry_fingerprint, merge_notifications
from ..core.ownership import MANAGED_TAG, MANAGED_VALUE
from ..core.policy_json import dump_policy, load_policy
from .apply_executor import ExecutorBase, _message
from .apply_result import Outcome
from .backoff import ABSENT
from .errors import AwsError, error_code

QUEUE_ABSENT = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _region(arn: str, default: str | None) -> str | None:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else default


class AlarmSteps(ExecutorBase):
    def alarm_handlers(self) -> dict[str, Callable[[Step], Outcome]]:
        return {
            "sns.create_topic": self.create_topic,
            "sns.set_topic_attributes": self.topic_policy,
            "s3.put_bucket_notification_configuration": self.notifications,
            "cloudwatch.put_metric_alarm": self.metric_alarm,
            "sns.subscribe": self.subscribe,
            "sqs.create_queue": self.create_queue,
        }

    def _wrote_exactly(self, call: str, target: str, content: Any) -> bool:
        """This plan's journal wrote exactly ``content`` to ``target`` (no undo took it back): its fingerprint."""
        read = self.journal.read()
        undone = read.undone()
        return any(e.get("call") == call and e.get("target") == target and e.get("after") == content
                   and undone.get(e["id"], {}).get("status") not in ("deleted", "restored")
                   for e in read.writes())

    def _tags_ours(self, tags: list[dict[str, Any]]) -> bool:
        return any(t.get("Key") == MANAGED_TAG and t.get("Value") == MANAGED_VALUE for t in tags)

    # -- the topic -------------------------------------------------------------------------------

    def create_topic(self, step: Step) -> Outcome:
        side = self.side(step.account)
        region = self.region_of("source") or side.clients.default_region or "us-east-1"
        name = step.request["Name"]
        arn = f"arn:{self.plan.source_account.partition}:sns:{region}:{side.account_id}:{name}"
        sns = side.clients("sns", region)
        found = self.call(side, f"sns.get_topic_attributes {arn}", lambda: sns.get_topic_attributes(TopicArn=arn),
                          absent=("NotFound", "NotFoundException"))
        target = f"topic {arn}"
        if found is not ABSENT:
            tags = self.call(side, f"sns.list_tags_for_resource {arn}",
                             lambda: sns.list_tags_for_resource(ResourceArn=arn)).get("Tags") or []
            if self._tags_ours(tags):  # we create it tagged; untagged, it is not provably ours (as undo has it)
                return Outcome("no-op", f"topic {name} already exists (ours)")
            raise AwsError(
                f"SNS topic {arn} exists and is not ours (no {MANAGED_TAG}={MANAGED_VALUE} tag): refusing to take "
                "it over",
                f"to use it, plan with --alarm-topic-arn {arn} (its policy is merged by Sid); or plan with --no-alarms",
                "TopicNotOurs",
            )
        self.write(side, step, call=step.call, target=target, region=region, before=None,
                   after={"TopicArn": arn, "Tags": step.request.get("Tags") or []},
                   send=lambda: sns.create_topic(Name=name, Tags=step.request.get("Tags") or []))
        return Outcome("done", f"topic {name} created")

    def topic_policy(self, step: Step) -> Outcome:
        side = self.side(step.account)
        arn = step.request["TopicArn"]
        region = _region(arn, self.region_of("source"))
        sns = side.clients("sns", region)
        answer = self.call(side, f"sns.get_topic_attributes {arn}", lambda: sns.get_topic_attributes(TopicArn=arn))
        current_text = (answer.get("Attributes") or {}).get("Policy")
        current = load_policy(current_text) if current_text else None
        planned = load_policy(step.request.get("AttributeValue")) or {}
        ours = [s for s in planned.get("Statement") or [] if str(s.get("Sid", "")).startswith(self.family)]
        merged = merge_policy(current_text, ours, family=self.family, what=f"the policy of topic {arn}",
                              limit=alarms.TOPIC_POLICY_LIMIT, proven=self.proven())
        if current == merged.policy:
            return Outcome("no-op", f"the policy of topic {arn} already holds our statements")
        self.write(side, step, call=step.call, target=f"topic {arn}", region=region, before=current,
                   after=merged.policy,
                   send=lambda: sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy",
                                                         AttributeValue=dump_policy(merged.policy)))
        return Outcome("done", f"topic policy set ({merged.foreign} other statement(s) kept)")

    def subscribe(self, step: Step) -> Outcome:
        side = self.side(step.account)
        request = step.request
        arn = request["TopicArn"]
        region = _region(arn, self.region_of("source"))
        sns = side.clients("sns", region)
        subscriptions = self.call(side, f"sns.list_subscriptions_by_topic {arn}",
                                  lambda: sns.list_subscriptions_by_topic(TopicArn=arn)).get("Subscriptions") or []
        if any(s.get("Protocol") == request["Protocol"] and s.get("Endpoint") == request["Endpoint"]
               for s in subscriptions):
            return Outcome("no-op", f"{request['Endpoint']} is already subscribed")
        self.write(side, step, call=step.call, target=f"topic {arn}", region=region, before=None, after=request,
                   send=lambda: sns.subscribe(**request))
        return Outcome("done", f"{request['Endpoint']} subscribed (it must confirm from the e-mail AWS sends)")

    def create_queue(self, step: Step) -> Outcome:
        """Our inbox queue (the monitor reads failure events from it): ours only when tagged ours."""
        side = self.side(step.account)
        region = self.region_of("source") or side.clients.default_region or "us-east-1"
        name = step.request["QueueName"]
        arn = f"arn:{self.plan.source_account.partition}:sqs:{region}:{side.account_id}:{name}"
        sqs = side.clients("sqs", region)
        found = self.call(side, f"sqs.get_queue_url {name!r}",
                          lambda: sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=side.account_id),
                          absent=QUEUE_ABSENT)
        target = f"queue {arn}"
        if found is not ABSENT:
            tags = self.call(side, f"sqs.list_queue_tags {name!r}",
                             lambda: sqs.list_queue_tags(QueueUrl=found["QueueUrl"])).get("Tags") or {}
            if tags.get(MANAGED_TAG) == MANAGED_VALUE:  # created tagged; untagged, not provably ours
                return Outcome("no-op", f"queue {name} already exists (ours)")
            raise AwsError(f"SQS queue {name} exists and is not ours (no {MANAGED_TAG}={MANAGED_VALUE} tag): "
                           "refusing to use it", "delete or rename that queue, or plan with --no-alarms",
                           "QueueNotOurs")
        self.write(side, step, call=step.call, target=target, region=region, before=None, after=step.request,
                   send=lambda: sqs.create_queue(**step.request))
        return Outcome("done", f"queue {name} created")

    # -- the source's event notifications --------------------------------------------------------

    def notifications(self, step: Step) -> Outcome:
        side = self.side(step.account)
        request = step.request
        bucket, owner = request["Bucket"], request.get("ExpectedBucketOwner", side.account_id)
        region = self.region_of(step.account)
        s3 = side.clients("s3", region)
        planned = request["NotificationConfiguration"]
        our_id = alarms.notification_id(self.plan.destination.name)
        ours = next((e for e in planned.get("TopicConfigurations") or [] if e.get("Id") == our_id), None)
        answer = self.call(side, f"s3.get_bucket_notification_configuration on bucket {bucket!r}",
                           lambda: s3.get_bucket_notification_configuration(Bucket=bucket, ExpectedBucketOwner=owner))
        current = clean(answer)
        read = self.journal.read()
        fingerprints = {e["entry_fingerprint"] for e in read.writes()
                        if e.get("call") == step.call and e.get("entry_fingerprint")}
        eventbridge = "EventBridgeConfiguration" in planned
        merged = merge_notifications(current, ours, fingerprints=fingerprints, eventbridge=eventbridge, bucket=bucket)
        if merged.configuration == current:
            return Outcome("no-op", f"{bucket} already sends its replication events as planned")
        if merged.configuration != planned:
            self.emit("info", f"the notification configuration of {bucket} changed since the plan was made: merged "
                      f"our entry into it again ({merged.foreign} other entr(ies) kept)")

        def not_validated(exc: ClientError) -> str | None:
            # S3 tests the topic before saving; a policy set a moment ago may not be in effect yet
            if error_code(exc) == "InvalidArgument" and "validate" in _message(exc).lower():
                return "waiting for the topic policy to let S3 publish"
            return None

        extra: dict[str, Any] = {"eventbridge_added": eventbridge and "EventBridgeConfiguration" not in current}
        if ours is not None:
            extra["entry_fingerprint"] = entry_fingerprint(ours)  # the proof, for later plans, that it is ours
        self.write(side, step, call=step.call, target=f"bucket {bucket}", region=region, before=current or None,
                   after=merged.configuration, retry=not_validated, extra=extra,
                   send=lambda: s3.put_bucket_notification_configuration(
                       Bucket=bucket, NotificationConfiguration=merged.configuration, ExpectedBucketOwner=owner))
        return Outcome("done", f"{bucket} sends its replication events ({merged.foreign} other entr(ies) kept)")

    # -- the alarms ------------------------------------------------------------------------------

    def metric_alarm(self, step: Step) -> Outcome:
        side = self.side(step.account)
        request = step.request
        name = request["AlarmName"]
        region = self.region_of("source")
        cw = side.clients("cloudwatch", region)
        found = self.call(side, f"cloudwatch.describe_alarms {name!r}",
                          lambda: cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"]))
        existing = next(iter(found.get("MetricAlarms") or []), None)
        wanted = alarm_settings(request)
        before = None
        if existing is not None:
            before = alarm_settings(existing)
            if before == wanted:
                return Outcome("no-op", f"alarm {name} already as planned")
            arn = existing.get("AlarmArn", "")
            tags = self.call(side, f"cloudwatch.list_tags_for_resource {name!r}",
                             lambda: cw.list_tags_for_resource(ResourceARN=arn)).get("Tags") or []
            if not (self._tags_ours(tags) or self._wrote_exactly(step.call, name, before)):  # never by name alone
                raise AwsError(
                    f"CloudWatch alarm {name} exists and is not ours (no {MANAGED_TAG}={MANAGED_VALUE} tag): "
                    "refusing to overwrite it",
                    "rename or delete that alarm, or plan with --no-alarms", "AlarmNotOurs")
        # the journal's target is the alarm's name: the cut-over's go/no-go finds our alarms by it
        self.write(side, step, call=step.call, target=name, region=region, before=before, after=wanted,
                   send=lambda: cw.put_metric_alarm(**request))
        return Outcome("done", f"alarm {name} {'updated' if existing else 'created'}")


__all__ = ["ALARM_FIELDS", "AlarmSteps", "alarm_settings"]
