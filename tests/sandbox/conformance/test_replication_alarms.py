"""Replication failure events and CloudWatch alarms on the replication metrics, driven with the stock AWS CLI.

AWS pages:
* "Receiving replication failure events with Amazon S3 Event Notifications" (S3 User Guide,
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html): the
  ``s3:Replication:OperationFailedReplication`` event needs replication metrics on the rule; its
  message (eventVersion 2.2, eventName ``Replication:OperationFailedReplication``,
  ``replicationEventData.failureReason``);
* "Amazon S3 replication failure reasons"
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-failure-codes.html);
* "Granting permissions to publish event notification messages to a destination"
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html):
  S3 publishes only as the topic policy allows ``s3.amazonaws.com`` (aws:SourceArn, aws:SourceAccount);
* "Using Amazon CloudWatch alarms" (CloudWatch User Guide,
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html): state
  changes with a reason, alarm actions to SNS; missing data treated per TreatMissingData.
"""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A

from ..helpers import make_setup, wait_final, wait_for
from .conftest import as_json

METRICS = {"Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}}


def _topic_with_queue(sandbox: Any, name: str, *, allow_s3: bool = True) -> tuple[str, str]:
    """A topic (its policy letting S3 publish for src-bucket, or not) with an SQS queue subscribed."""
    a = sandbox.clients(A)
    sns, sqs = a("sns"), a("sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    if allow_s3:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Sid": "S3", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "SNS:Publish",
                "Resource": topic, "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::src-bucket"},
                                                 "StringEquals": {"aws:SourceAccount": A}}}]}))
    url = sqs.create_queue(QueueName=f"{name}-inbox")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"})
    return topic, url


def _received(sandbox: Any, url: str) -> list[dict[str, Any]]:
    answer = sandbox.clients(A)("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
    bodies = [json.loads(m["Body"]) for m in answer.get("Messages") or []]
    return [b for b in bodies if b.get("Event") != "s3:TestEvent"]  # S3's test message when the PUT is saved


def _fail_replication(setup: Any) -> str:
    """Take the role's permission to write replicas away, so the next version fails."""
    setup.iam.delete_role_policy(RoleName="s3-repl", PolicyName="replication")
    version = setup.s3a.put_object(Bucket=setup.src, Key="reports/q3.csv", Body=b"x" * 7)["VersionId"]
    assert wait_final(setup.s3a, setup.src, "reports/q3.csv", version) == "FAILED"
    return version


def test_a_failed_replication_sends_the_documented_event_with_its_failure_reason(sandbox: Any, aws: Any) -> None:
    setup = make_setup(sandbox, **METRICS)
    topic, url = _topic_with_queue(sandbox, "repl-events")
    aws("s3api", "put-bucket-notification-configuration", "--bucket", setup.src, "--notification-configuration",
        as_json({"TopicConfigurations": [{"Id": "repl", "TopicArn": topic,
                                          "Events": ["s3:Replication:OperationFailedReplication"]}]}))
    version = _fail_replication(setup)
    (message,) = wait_for(lambda: _received(sandbox, url), what="the failure event in the queue")
    (record,) = message["Records"]
    assert record["eventVersion"] == "2.2" and record["eventSource"] == "aws:s3"
    assert record["eventName"] == "Replication:OperationFailedReplication"
    assert record["userIdentity"] == {"principalId": "s3.amazonaws.com"}
    assert record["s3"]["bucket"]["name"] == setup.src and record["s3"]["configurationId"] == "repl"
    assert record["s3"]["object"]["key"] == "reports/q3.csv" and record["s3"]["object"]["versionId"] == version
    data = record["replicationEventData"]
    assert data["replicationRuleId"] == "to-dst" and data["destinationBucket"] == f"arn:aws:s3:::{setup.dst}"
    assert data["failureReason"] == setup.failure("reports/q3.csv", version) == "SrcGetObjectNotPermitted"


def test_no_event_without_replication_metrics_or_without_the_topic_policy(sandbox: Any, aws: Any) -> None:
    setup = make_setup(sandbox)  # no Metrics on the rule
    topic, url = _topic_with_queue(sandbox, "no-metrics")
    closed, closed_url = _topic_with_queue(sandbox, "closed", allow_s3=False)
    aws("s3api", "put-bucket-notification-configuration", "--bucket", setup.src, "--notification-configuration",
        as_json({"TopicConfigurations": [
            {"Id": "a", "TopicArn": topic, "Events": ["s3:Replication:*"]},
            {"Id": "b", "TopicArn": closed, "Events": ["s3:Replication:OperationFailedReplication"],
             "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "reports/"}]}}}]}))
    _fail_replication(setup)
    assert sandbox.notifications.messages() == []
    setup.put_rules({**json.loads(json.dumps(setup.s3a.get_bucket_replication(Bucket=setup.src)[
        "ReplicationConfiguration"]["Rules"][0])), "Destination": {"Bucket": f"arn:aws:s3:::{setup.dst}", **METRICS}})
    setup.s3a.put_object(Bucket=setup.src, Key="reports/q4.csv", Body=b"y")
    wait_for(lambda: _received(sandbox, url), what="the event to the open topic")
    assert _received(sandbox, closed_url) == []  # the closed topic's policy does not let S3 publish
    assert [m["destination"] for m in sandbox.notifications.messages()] == [topic]


def test_an_alarm_on_operations_failed_goes_to_alarm_with_a_reason_and_notifies_the_topic(
        sandbox: Any, aws: Any) -> None:
    setup = make_setup(sandbox, **METRICS)
    topic, url = _topic_with_queue(sandbox, "alarms")
    aws("cloudwatch", "put-metric-alarm", "--alarm-name", "repl-failed", "--namespace", "AWS/S3",
        "--metric-name", "OperationsFailedReplication", "--dimensions",
        f"Name=SourceBucket,Value={setup.src}", f"Name=DestinationBucket,Value={setup.dst}", "Name=RuleId,Value=to-dst",
        "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1", "--threshold", "0",
        "--comparison-operator", "GreaterThanThreshold", "--treat-missing-data", "notBreaching",
        "--alarm-actions", topic, "--ok-actions", topic)
    sandbox.alarms.evaluate()
    (first,) = aws("cloudwatch", "describe-alarms", "--alarm-names", "repl-failed")["MetricAlarms"]
    assert first["StateValue"] == "OK" and "treated as [NonBreaching]" in first["StateReason"]
    _fail_replication(setup)

    def alarmed() -> Any:
        sandbox.metrics.flush()
        sandbox.alarms.evaluate()
        return [m for m in _received(sandbox, url) if m.get("NewStateValue") == "ALARM"]

    (notice,) = wait_for(alarmed, what="the alarm notification")
    assert notice["AlarmName"] == "repl-failed" and notice["OldStateValue"] == "OK"
    assert notice["Trigger"]["MetricName"] == "OperationsFailedReplication"
    (alarm,) = aws("cloudwatch", "describe-alarms", "--alarm-names", "repl-failed")["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM"
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [1 (")
    assert "was greater than the threshold (0)" in alarm["StateReason"]
