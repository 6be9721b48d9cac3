"""S3 Event Notifications for the replication events the emulator raises.

What AWS documents (S3 User Guide, "Receiving replication failure events with Amazon S3 Event
Notifications", https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html;
"Event message structure", https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html;
"Amazon S3 replication failure reasons",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html):

* ``s3:Replication:OperationFailedReplication`` is sent when an object eligible for replication
  fails to replicate, only when the rule has replication metrics enabled;
* the message is ``{"Records": [...]}`` with ``eventVersion`` 2.2, ``eventSource`` ``aws:s3``,
  ``eventName`` ``Replication:OperationFailedReplication``, ``userIdentity.principalId``
  ``s3.amazonaws.com``, the bucket and object, and ``replicationEventData`` (``replicationRuleId``,
  ``destinationBucket``, ``s3Operation``, ``requestTime``, ``failureReason``);
* it goes to every topic (or queue) entry of the source bucket's notification configuration
  whose events and key filter match; S3 publishes only as the destination's policy allows
  (``s3.amazonaws.com`` with ``aws:SourceArn`` and ``aws:SourceAccount``), else it is dropped.

With RTC on the rule, ``s3:Replication:OperationMissedThreshold`` and
``s3:Replication:OperationReplicatedAfterThreshold`` too (:mod:`.replication_threshold` times them;
their ``replicationEventData`` carries ``threshold``, and ``replicationTime`` once replicated, in
place of ``failureReason``), delivered the same way. Every message delivered is also kept
(``delivered``) so tests can read them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from typing import Any

from . import iam_eval
from .moto_access import find_bucket
from .replication_threshold import ThresholdWatch

log = logging.getLogger(__name__)

FAILED = "s3:Replication:OperationFailedReplication"
KEEP = 200  # messages kept for tests and the sandbox UI


def _arn(bucket: str) -> str:
    return bucket if bucket.startswith("arn:") else f"arn:aws:s3:::{bucket}"


def event_record(event: Any, bucket: Any, configuration_id: str, now: dt.datetime, *,
                 name: str = FAILED, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """One Records[] entry, in the documented shape (``data``: replicationEventData past the failure's)."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    event_data = {"failureReason": event.failure_code} if data is None else data
    return {
        "eventVersion": "2.2", "eventSource": "aws:s3", "awsRegion": bucket.region_name, "eventTime": stamp,
        "eventName": name.removeprefix("s3:"),
        "userIdentity": {"principalId": "s3.amazonaws.com"},
        "requestParameters": {"sourceIPAddress": "s3.amazonaws.com"},
        "responseElements": {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
        "s3": {
            "s3SchemaVersion": "1.0", "configurationId": configuration_id,
            "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": bucket.account_id},
                       "arn": f"arn:aws:s3:::{bucket.name}"},
            "object": {"key": event.key, "size": event.size, "versionId": event.version_id,
                       "sequencer": f"{int(now.timestamp() * 1e6):016X}"},
        },
        "replicationEventData": {
            "replicationRuleId": event.rule_id, "destinationBucket": _arn(event.destination_bucket),
            "s3Operation": "OBJECT_PUT", "requestTime": stamp, **event_data,
        },
    }


class ReplicationNotifications:
    """Listens to the ReplicationEngine and delivers its replication events to SNS topics and SQS queues."""

    def __init__(self, engine: Any, *, rtc_threshold: float | None = None) -> None:
        self.engine = engine
        self.delivered: list[dict[str, Any]] = []  # {"destination": arn, "message": the S3 event}
        self._lock = threading.Lock()
        self._listening = False
        self.threshold = ThresholdWatch(self._rule_of, self._late, seconds=rtc_threshold)

    @property
    def rtc_threshold(self) -> float | None:
        """Seconds after which a version of an RTC rule is late (None: the rule's EventThreshold, AWS's 15 minutes)."""
        return self.threshold.seconds

    @rtc_threshold.setter
    def rtc_threshold(self, seconds: float | None) -> None:
        self.threshold.seconds = seconds

    def start(self) -> None:
        if not self._listening:
            self.threshold.start()
            self.engine.add_listener(self.on_event)
            self.engine.add_listener(self.threshold.on_event)
            self._listening = True

    def stop(self) -> None:
        if self._listening:
            self.engine.remove_listener(self.on_event)
            self.engine.remove_listener(self.threshold.on_event)
            self.threshold.stop()
            self._listening = False

    def _rule_of(self, event: Any) -> dict[str, Any] | None:
        config = self.engine.configuration(event.source_bucket) or {}
        return next((r for r in config.get("Rules") or [] if str(r.get("ID", "")) == event.rule_id), None)

    def _late(self, event: Any, name: str, minutes: int) -> None:
        data: dict[str, Any] = {"threshold": str(minutes)}
        if event.latency is not None:  # replicated after the threshold: how long it took
            data["replicationTime"] = str(round(event.latency, 3))
        self.publish(event, name, data)

    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.delivered)

    def on_event(self, event: Any) -> None:
        if event.kind == "failed" and event.metrics_enabled:
            self.publish(event, FAILED)

    def publish(self, event: Any, name: str, data: dict[str, Any] | None = None) -> None:
        """Send one event of type ``name`` to every matching entry of the source bucket's configuration."""
        bucket = find_bucket(event.source_bucket)
        config = getattr(bucket, "notification_configuration", None) if bucket is not None else None
        if config is None:
            return
        now = dt.datetime.now(dt.timezone.utc)
        for kind, entries in (("topic", config.topic), ("queue", config.queue)):
            for entry in entries:
                if not entry.matches(name, event.key):
                    continue
                message = {"Records": [event_record(event, bucket, entry.id, now, name=name, data=data)]}
                if self._deliver(kind, entry.arn, bucket, message):
                    with self._lock:
                        self.delivered.append({"destination": entry.arn, "message": message})
                        del self.delivered[:-KEEP]

    def _deliver(self, kind: str, arn: str, bucket: Any, message: dict[str, Any]) -> bool:
        parts = arn.split(":")
        if len(parts) < 6:
            return False
        region, account, name = parts[3], parts[4], parts[5]
        context = {"aws:SourceArn": f"arn:aws:s3:::{bucket.name}", "aws:SourceAccount": bucket.account_id}
        try:
            if kind == "topic":
                from moto.sns.models import sns_backends

                topic = sns_backends[account][region].get_topic(arn)
                action = "SNS:Publish"
                policy = topic.policy
            else:
                from moto.sqs.models import sqs_backends

                queue = sqs_backends[account][region].get_queue(name)
                action = "SQS:SendMessage"
                policy = queue.policy
        except Exception:
            log.info("replication event for %s dropped: destination %s not found", bucket.name, arn)
            return False
        if iam_eval.resource_policy_decision(policy, "s3.amazonaws.com", action, arn, context) != "allow":
            log.info("replication event for %s dropped: the policy of %s does not let S3 send", bucket.name, arn)
            return False
        text = json.dumps(message)
        if kind == "topic":
            topic.publish(text, subject="Amazon S3 Notification")
        else:
            sqs_backends[account][region].send_message(name, text)
        return True
