"""What the alarms of a migration say now: each alarm's state and reason, and recent failure events.

The alarms are the ones this plan's journal created (``cloudwatch.put_metric_alarm`` writes,
target = the alarm's name, not undone); the failure events are read from our inbox queue
(``sqs.create_queue``), where the topic delivers S3's ``OperationFailedReplication`` events.
Messages are peeked (``VisibilityTimeout=0``): the queue keeps them for a day for others to
read too. SQS calls ``ReceiveMessage`` a write, so read-only mode reads no events, and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from ..core.failure_codes import meaning_for
from .clients import Clients
from .errors import AwsError, explain
from .identity import profile_of
from .journal import Journal, JournalRead

SETTLED = frozenset({"deleted", "restored"})


@dataclass(frozen=True)
class AlarmState:
    name: str
    state: str  # OK | ALARM | INSUFFICIENT_DATA
    reason: str
    metric: str = ""
    updated: datetime | None = None


@dataclass(frozen=True)
class FailureEvent:
    key: str
    version_id: str
    reason: str  # AWS's failureReason code
    meaning: str  # the reason in words (core.failure_codes)
    time: str = ""
    rule: str = ""


@dataclass
class AlarmStatus:
    alarms: list[AlarmState] = field(default_factory=list)
    events: list[FailureEvent] = field(default_factory=list)
    note: str = ""  # why something could not be read

    @property
    def any_alarm(self) -> bool:
        return any(a.state == "ALARM" for a in self.alarms)


def _live_targets(read: JournalRead, call: str) -> list[str]:
    undone = read.undone()
    found: list[str] = []
    for entry in read.writes():
        target = str(entry.get("target") or "")
        if entry.get("call") == call and undone.get(entry["id"], {}).get("status") not in SETTLED and target not in found:
            found.append(target)
    return found


def parse_events(body: str) -> list[FailureEvent]:
    """The replication failure events in one message body (raw delivery: the S3 event itself)."""
    try:
        message = json.loads(body)
    except ValueError:
        return []
    if isinstance(message, dict) and isinstance(message.get("Message"), str):  # an SNS envelope
        return parse_events(message["Message"])
    events: list[FailureEvent] = []
    for record in (message.get("Records") if isinstance(message, dict) else None) or []:
        data = record.get("replicationEventData") if isinstance(record, dict) else None
        if not isinstance(data, dict) or str(record.get("eventName", "")).endswith("Threshold"):
            continue  # RTC's threshold events (late, not failed) carry no failureReason
        obj = (record.get("s3") or {}).get("object") or {}
        code = str(data.get("failureReason") or "")
        events.append(FailureEvent(str(obj.get("key", "")), str(obj.get("versionId", "")), code, meaning_for(code),
                                   str(record.get("eventTime", "")), str(data.get("replicationRuleId", ""))))
    return events


def has_alarms(plan_id: str) -> bool:
    """Whether this plan's journal created alarms or an inbox still there (no AWS call)."""
    journal = Journal(plan_id)
    if not journal.exists():
        return False
    read = journal.read()
    return bool(_live_targets(read, "cloudwatch.put_metric_alarm") or _live_targets(read, "sqs.create_queue"))


def alarm_status(clients: Clients, plan_id: str, *, region: str | None = None) -> AlarmStatus:
    """The journal's alarms as CloudWatch has them now, and the failure events in our inbox queue."""
    read = Journal(plan_id).read()
    status = AlarmStatus()
    names = _live_targets(read, "cloudwatch.put_metric_alarm")
    profile = profile_of(clients)
    if names:
        try:
            answer = clients("cloudwatch", region).describe_alarms(AlarmNames=names[:100])
        except Exception as exc:
            raise explain(exc, profile=profile, what="cloudwatch.describe_alarms") from exc
        for alarm in answer.get("MetricAlarms") or []:
            status.alarms.append(AlarmState(alarm["AlarmName"], alarm.get("StateValue", "?"),
                                            alarm.get("StateReason", ""), alarm.get("MetricName", ""),
                                            alarm.get("StateUpdatedTimestamp")))
    queues = [t.split(" ", 1)[-1] for t in _live_targets(read, "sqs.create_queue")]
    if queues and clients.read_only:
        status.note = "failure events not read: read-only mode (SQS counts ReceiveMessage as a write)"
    elif queues:
        try:
            status.events = _peek(clients, queues[-1], region)
        except AwsError as error:
            status.note = f"failure events not read: {error.message}"
    return status


def _peek(clients: Clients, queue_arn: str, region: str | None) -> list[FailureEvent]:
    parts = queue_arn.split(":")
    name, account = parts[-1], parts[4] if len(parts) > 5 else None
    sqs = clients("sqs", region or (parts[3] if len(parts) > 5 else None))
    try:
        url = sqs.get_queue_url(QueueName=name, **({"QueueOwnerAWSAccountId": account} if account else {}))["QueueUrl"]
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0)
    except Exception as exc:
        raise explain(exc, profile=profile_of(clients), what=f"sqs.receive_message on {name}") from exc
    events: list[FailureEvent] = []
    for message in answer.get("Messages") or []:
        events.extend(parse_events(str(message.get("Body", ""))))
    return sorted(events, key=lambda e: e.time, reverse=True)


def merge_events(seen: list[FailureEvent], new: list[FailureEvent], keep: int = 20) -> list[FailureEvent]:
    """The newest ``keep`` distinct events of both lists (a peeked message comes back on the next poll)."""
    unique = {(e.key, e.version_id, e.reason, e.time): e for e in [*seen, *new]}
    return sorted(unique.values(), key=lambda e: e.time, reverse=True)[:keep]


__all__ = ["AlarmState", "AlarmStatus", "FailureEvent", "alarm_status", "has_alarms", "merge_events", "parse_events"]
