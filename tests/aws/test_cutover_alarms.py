"""The go/no-go's alarms item: the alarms the journal created (call cloudwatch.put_metric_alarm, target the
alarm's name), their state read with describe_alarms over HTTP; none planned, or all undone: N/A."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from s3xrep_tui.aws.cutover import alarm_states, planned_alarms
from s3xrep_tui.aws.journal import Journal
from s3xrep_tui.core.cutover import alarms_item
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT as A
from s3xrep_tui.sandbox.emulator import Sandbox

NAME = "s3xrep-src-failed-replication"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    monkeypatch.setenv("S3XREP_DATA_DIR", str(tmp_path / "data"))
    with Sandbox(seed="empty", config_path=tmp_path / "aws-config") as sandbox:
        yield sandbox


def _item(world: Sandbox, journal: Journal) -> object:
    entries = planned_alarms(journal)
    names = [e["target"] for e in entries]
    return alarms_item(names, alarm_states({"source": world.clients(A)}, entries) if entries else {})


def test_alarms_item_follows_the_journal_and_the_alarm_state(world: Sandbox) -> None:
    journal = Journal("src-to-dst-00000001")
    assert _item(world, journal).verdict == "n/a"  # nothing journaled: no alarms were planned
    cloudwatch = world.clients(A)("cloudwatch", "us-east-1")
    # TreatMissingData=ignore: the sandbox's evaluator (every second, no datapoints here) keeps the state
    # set_alarm_state sets, as AWS does; with "missing" it could turn it INSUFFICIENT_DATA before the read
    cloudwatch.put_metric_alarm(AlarmName=NAME, Namespace="AWS/S3", MetricName="OperationsFailedReplication",
                                Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=0,
                                ComparisonOperator="GreaterThanThreshold", TreatMissingData="ignore")
    write = journal.record("write", step="alarm", call="cloudwatch.put_metric_alarm", account="source",
                           account_id=A, profile=None, region="us-east-1", target=NAME, before=None, after={})
    cloudwatch.set_alarm_state(AlarmName=NAME, StateValue="ALARM", StateReason="test")
    world.alarms.evaluate()  # an evaluation in between, as the thread may run one: the state stays
    item = _item(world, journal)
    assert item.verdict == "blocked" and f"{NAME}: ALARM" in item.blocks
    cloudwatch.set_alarm_state(AlarmName=NAME, StateValue="OK", StateReason="test")
    world.alarms.evaluate()  # an evaluation in between, as the thread may run one: the state stays
    assert _item(world, journal).verdict == "go"
    cloudwatch.delete_alarms(AlarmNames=[NAME])
    assert "missing" in _item(world, journal).blocks  # deleted behind the journal's back: blocked
    journal.record("undo", ref=write["id"], call="cloudwatch.put_metric_alarm", status="deleted", message="gone")
    assert _item(world, journal).verdict == "n/a"
