"""S3 RTC's threshold events, configured with the stock AWS CLI.

AWS page: "Receiving replication failure events with Amazon S3 Event Notifications" (S3 User
Guide, https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-metrics-events.html):
with S3 Replication Time Control on the rule, ``s3:Replication:OperationMissedThreshold`` tells
that an eligible object has not replicated within the 15-minute threshold and
``s3:Replication:OperationReplicatedAfterThreshold`` that it replicated after it; these need RTC
(metrics alone give only the failure event). The message's ``replicationEventData`` carries
``threshold`` (and ``replicationTime``) as the event structure page lists them
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).

The rule says 15 minutes, as S3 requires; the sandbox's ``rtc_threshold`` scales the wait down.
"""

from __future__ import annotations

import json
from typing import Any

from s3xrep_tui.sandbox.replication_threshold import AFTER, MISSED

from ..helpers import make_setup, wait_final, wait_for
from .conftest import as_json
from .test_replication_alarms import _received, _topic_with_queue

RTC = {"ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
       "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}}
THRESHOLD_EVENTS = [MISSED, AFTER]


def _configure(sandbox: Any, aws: Any, destination: dict[str, Any]) -> tuple[Any, str]:
    setup = make_setup(sandbox, replicate=False)
    aws("s3api", "put-bucket-replication", "--bucket", setup.src, "--replication-configuration", as_json({
        "Role": setup.role_arn, "Rules": [{
            "ID": "to-dst", "Priority": 1, "Status": "Enabled", "Filter": {},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{setup.dst}", **destination}}]}))
    topic, url = _topic_with_queue(sandbox, "rtc-events")
    aws("s3api", "put-bucket-notification-configuration", "--bucket", setup.src, "--notification-configuration",
        as_json({"TopicConfigurations": [{"Id": "late", "TopicArn": topic, "Events": THRESHOLD_EVENTS}]}))
    return setup, url


def _late_write(sandbox: Any, setup: Any, key: str, monkeypatch: Any) -> str:
    """A version whose replication takes longer than the (scaled) threshold: the engine's delay stays
    at 1 s until the test ends (set back right after the PUT, a loaded machine's engine could still
    queue the version with the short delay and replicate it in time)."""
    monkeypatch.setattr(sandbox.engine, "replication_delay", 1.0)
    return setup.s3a.put_object(Bucket=setup.src, Key=key, Body=b"slow")["VersionId"]


def test_a_late_version_is_told_missed_then_replicated_after_the_threshold(sandbox: Any, aws: Any,
                                                                         monkeypatch: Any) -> None:
    sandbox.notifications.rtc_threshold = 0.3
    setup, url = _configure(sandbox, aws, RTC)
    (rule,) = setup.s3a.get_bucket_replication(Bucket=setup.src)["ReplicationConfiguration"]["Rules"]
    assert rule["Destination"]["ReplicationTime"]["Time"] == {"Minutes": 15}  # AWS's value stays in the rule
    quick = setup.s3a.put_object(Bucket=setup.src, Key="quick.txt", Body=b"fast")["VersionId"]
    assert wait_final(setup.s3a, setup.src, "quick.txt", quick) == "COMPLETED"
    version = _late_write(sandbox, setup, "slow/report.csv", monkeypatch)

    received: list[dict[str, Any]] = []

    def both() -> bool:
        received.extend(_received(sandbox, url))
        return len(received) >= 2

    wait_for(both, timeout=15, what="the missed and the replicated-after events")
    missed, after = (message["Records"][0] for message in received)
    assert [missed["eventName"], after["eventName"]] == [
        "Replication:OperationMissedThreshold", "Replication:OperationReplicatedAfterThreshold"]
    for record in (missed, after):
        assert record["eventVersion"] == "2.2" and record["eventSource"] == "aws:s3"
        assert record["userIdentity"] == {"principalId": "s3.amazonaws.com"}
        assert record["s3"]["configurationId"] == "late"
        assert record["s3"]["object"]["key"] == "slow/report.csv" and record["s3"]["object"]["versionId"] == version
        data = record["replicationEventData"]
        assert data["replicationRuleId"] == "to-dst" and data["destinationBucket"] == "arn:aws:s3:::dst-bucket"
        assert data["threshold"] == "15" and "failureReason" not in data
    assert float(after["replicationEventData"]["replicationTime"]) > 0.3
    assert wait_final(setup.s3a, setup.src, "slow/report.csv", version) == "COMPLETED"
    # the quick version, replicated within the threshold, was never told about
    assert all(m["message"]["Records"][0]["s3"]["object"]["key"] == "slow/report.csv"
               for m in sandbox.notifications.messages())


def test_no_threshold_events_without_rtc(sandbox: Any, aws: Any, monkeypatch: Any) -> None:
    sandbox.notifications.rtc_threshold = 0.3
    setup, url = _configure(sandbox, aws, {"Metrics": {"Status": "Enabled"}})  # metrics alone: failures only
    version = _late_write(sandbox, setup, "slow/report.csv", monkeypatch)
    # completed at 1 s: a missed-threshold event would have been sent at 0.3 s, before this returns
    assert wait_final(setup.s3a, setup.src, "slow/report.csv", version, timeout=15) == "COMPLETED"
    assert _received(sandbox, url) == [] and sandbox.notifications.messages() == []


def test_the_jobs_list_does_not_count_a_late_version_as_a_failure(sandbox: Any, aws: Any,
                                                                  monkeypatch: Any) -> None:
    from s3xrep_tui.aws.alarm_status import parse_events

    sandbox.notifications.rtc_threshold = 0.3
    setup, url = _configure(sandbox, aws, RTC)
    version = _late_write(sandbox, setup, "slow/report.csv", monkeypatch)
    assert wait_final(setup.s3a, setup.src, "slow/report.csv", version, timeout=15) == "COMPLETED"
    bodies = wait_for(lambda: len(found := sandbox.notifications.messages()) >= 2 and found,
                      what="both threshold events")
    assert not [e for m in bodies for e in parse_events(json.dumps(m["message"]))]


def test_the_threshold_is_a_sandbox_setting(capsys: Any) -> None:
    from s3xrep_tui.cli import main

    assert main(["sandbox", "--rtc-threshold", "0"]) == 2  # refused before anything starts
    assert "--rtc-threshold must be above 0 seconds" in capsys.readouterr().err
