"""The alarm steps (issue 18 item 1) on the sandbox, over real HTTP: apply, journal, undo, read-only.

Foreign parts survive: a queue entry in the source's notification configuration (there
before apply, and another added after it), a statement someone added to our topic's policy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from s3xrep_tui.aws.errors import ReadOnlyRefused
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.aws.read_only import set_process_read_only
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.core import alarms
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT as B
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox
from tests.apply_world import World, make_world


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    config = tmp_path_factory.mktemp("alarms") / "aws-config"
    with Sandbox(seed="empty", replication_delay=0.05, batch_task_rate=5000.0, config_path=config) as running:
        yield running


@pytest.fixture(scope="module")
def accounts(sandbox: Sandbox) -> dict[str, Any]:
    return {A: sandbox.clients(A), B: sandbox.clients(B)}


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def world(sandbox: Sandbox, accounts: dict[str, Any]) -> Callable[[str], World]:
    return lambda name: make_world(sandbox, accounts, name)


def _queue_entry(w: World, name: str) -> dict[str, Any]:
    sqs = w.accounts[A]("sqs")
    url = sqs.create_queue(QueueName=f"{w.src}-{name}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Id": name, "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": f"{name}/"}]}}}


def _notifications(w: World) -> dict[str, Any]:
    answer = w.s3a().get_bucket_notification_configuration(Bucket=w.src)
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def test_apply_makes_the_topic_events_and_alarms_and_undo_takes_only_ours_away(world: Callable[[str], World]) -> None:
    w = world("alarm")
    foreign = _queue_entry(w, "audit")
    w.s3a().put_bucket_notification_configuration(Bucket=w.src, NotificationConfiguration={
        "QueueConfigurations": [foreign]})
    plan = w.plan()
    assert not plan.blocked
    result = w.apply(plan)
    assert result.ok, [(s.step.call, s.message) for s in result.steps if s.status == "failed"]

    sns, cw = w.accounts[A]("sns"), w.accounts[A]("cloudwatch")
    topic = plan.documents["alarms"]["alarms"][0]["AlarmActions"][0]
    tags = {t["Key"]: t["Value"] for t in sns.list_tags_for_resource(ResourceArn=topic)["Tags"]}
    assert tags["s3xrep:managed-by"] == "s3xrep-tui"
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    principals = [s.get("Principal") for s in policy["Statement"]]
    assert {"Service": "s3.amazonaws.com"} in principals and {"Service": "cloudwatch.amazonaws.com"} in principals
    assert len(policy["Statement"]) == 3  # SNS's default statement kept
    config = _notifications(w)
    assert config["QueueConfigurations"] == [foreign]
    assert [e["Events"] for e in config["TopicConfigurations"]] == [[alarms.FAILED_EVENT]]
    names = sorted(alarms.alarm_names(plan_inputs_of(w)))
    found = cw.describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in found) == names
    assert all(a["AlarmActions"] == [topic] for a in found)
    # the cut-over finds our alarms in the journal: call and target = the alarm's name
    writes = Journal(plan.id).read().writes()
    assert sorted(e["target"] for e in writes if e["call"] == "cloudwatch.put_metric_alarm") == names

    # a re-plan is all no-ops for the alarms; someone adds a queue entry and a topic statement
    again = w.plan()
    alarm_steps = [s.action for s in again.steps if s.call.split(".")[0] in ("sns", "sqs", "cloudwatch")
                   or "notification" in s.call]
    assert alarm_steps == ["no-op"] * 7
    later = _queue_entry(w, "later")
    w.s3a().put_bucket_notification_configuration(Bucket=w.src, NotificationConfiguration={
        **config, "QueueConfigurations": [foreign, later]})

    outcome = undo(plan.id, w.clients)
    assert outcome.ok, [(i.call, i.status, i.message) for i in outcome.items if i.status in ("failed", "skipped")]
    assert _notifications(w) == {"QueueConfigurations": [foreign, later]}
    assert w.alarm_resources() == {"notifications": [], "topics": [], "alarms": []}


def plan_inputs_of(w: World) -> Any:
    from s3xrep_tui.aws.inspect import gather_inputs

    c = w.clients
    return gather_inputs(c["source"], c["destination"], w.src, w.dst, w.options)


def test_a_foreign_alarm_with_our_name_is_not_overwritten(world: Callable[[str], World]) -> None:
    w = world("foreignalarm")
    name = alarms.alarm_names(plan_inputs_of(w))[0]
    cw = w.accounts[A]("cloudwatch")
    cw.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="Theirs", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=5.0, ComparisonOperator="GreaterThanThreshold")
    result = w.apply()
    failed = next(s for s in result.steps if s.status == "failed")
    assert failed.step.call == "cloudwatch.put_metric_alarm" and "refusing to overwrite" in failed.message
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["Namespace"] == "Theirs"


@pytest.mark.parametrize(("service", "call", "kwargs"), [
    ("sns", "create_topic", {"Name": "s3xrep-ro"}),
    ("sns", "set_topic_attributes", {"TopicArn": f"arn:aws:sns:us-east-1:{A}:x", "AttributeName": "Policy",
                                     "AttributeValue": "{}"}),
    ("sns", "subscribe", {"TopicArn": f"arn:aws:sns:us-east-1:{A}:x", "Protocol": "email", "Endpoint": "a@b.co"}),
    ("cloudwatch", "put_metric_alarm", {"AlarmName": "s3xrep-ro"}),
    ("cloudwatch", "delete_alarms", {"AlarmNames": ["s3xrep-ro"]}),
    ("s3", "put_bucket_notification_configuration", {"Bucket": "b", "NotificationConfiguration": {}}),
])
def test_read_only_refuses_the_alarm_writes_where_clients_are_built(
        sandbox: Sandbox, service: str, call: str, kwargs: dict[str, Any]) -> None:
    clients = sandbox.clients(A)
    previous = set_process_read_only(True)  # what the headless --read-only sets
    try:
        with pytest.raises(ReadOnlyRefused):
            getattr(clients(service), call)(**kwargs)
        clients("cloudwatch").describe_alarms()  # reads still go through
        clients("sns").list_topics()
    finally:
        set_process_read_only(previous)
    assert not [t for t in clients("sns").list_topics()["Topics"] if t["TopicArn"].endswith(":s3xrep-ro")]


def test_a_failure_is_seen_as_an_alarm_and_an_event_with_its_reason_in_words(
        sandbox: Sandbox, world: Callable[[str], World]) -> None:
    from s3xrep_tui.aws.alarm_status import alarm_status
    from tests.sandbox.helpers import wait_for

    w = world("failing")
    plan = w.plan()
    assert w.apply(plan).ok
    role = plan.documents["replication_configuration"]["Role"].rsplit("/", 1)[-1]
    iam = w.iam()
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        iam.delete_role_policy(RoleName=role, PolicyName=name)  # the role can no longer read the source
    w.s3a().put_object(Bucket=w.src, Key="photos/new.jpg", Body=b"new")

    def alarmed() -> Any:
        sandbox.metrics.flush()
        sandbox.alarms.evaluate()
        status = alarm_status(w.clients["source"], plan.id)
        failed = [a for a in status.alarms if a.metric == "OperationsFailedReplication" and a.state == "ALARM"]
        ours = [e for e in status.events if e.key == "photos/new.jpg"]  # the backfill's may come first
        return status if failed and ours else None

    status = wait_for(alarmed, what="the alarm and the failure event")
    failed = next(a for a in status.alarms if a.metric == "OperationsFailedReplication")
    assert failed.state == "ALARM" and "greater than the threshold" in failed.reason
    event = next(e for e in status.events if e.key == "photos/new.jpg")
    assert event.reason == "SrcGetObjectNotPermitted" and "read" in event.meaning

    previous = set_process_read_only(True)
    try:
        quiet = alarm_status(w.clients["source"], plan.id)
    finally:
        set_process_read_only(previous)
    assert quiet.alarms and not quiet.events and "read-only" in quiet.note
