"""The go/no-go checklist: each item's verdict from its measured value and limit."""

from __future__ import annotations

import datetime as dt

from s3xrep_tui.core.cutover import (
    DestinationFacts,
    alarms_item,
    backlog_item,
    canary_item,
    checklist,
    checklist_lines,
    destination_item,
    failed_item,
    verify_item,
)

NOW = dt.datetime(2026, 12, 3, 18, 0, tzinfo=dt.UTC)


def test_backlog() -> None:
    assert backlog_item(0, 0, metrics_enabled=True).verdict == "go"
    assert backlog_item(None, None, metrics_enabled=True).verdict == "go"
    blocked = backlog_item(2048, 3, metrics_enabled=True)
    assert blocked.verdict == "blocked" and "3 operations, 2.0 KiB pending" in blocked.measured
    assert backlog_item(0, 0, metrics_enabled=False).verdict == "unknown"
    assert backlog_item(None, None, metrics_enabled=True, error="AccessDenied").verdict == "unknown"


def test_failed_versions() -> None:
    assert failed_item(0, 40, truncated=False).verdict == "go"
    item = failed_item(2, 40, truncated=True, examples=["a?versionId=1"])
    assert item.verdict == "blocked" and "s3xrep repair" in item.blocks and "a?versionId=1" in item.blocks
    assert "(more not sampled)" in item.measured
    assert failed_item(None, 0, truncated=False, error="denied").verdict == "unknown"


def test_verify_must_be_clean_and_recent() -> None:
    fresh = {"ts": (NOW - dt.timedelta(minutes=10)).isoformat(), "result": {"ok": True}}
    assert verify_item(fresh, now=NOW, max_age=3600).verdict == "go"
    assert verify_item(fresh, now=NOW, max_age=300).verdict == "blocked"
    dirty = {"ts": NOW.isoformat(), "result": {"ok": False, "differences_that_matter": 4}}
    item = verify_item(dirty, now=NOW, max_age=3600)
    assert item.verdict == "blocked" and "4 difference(s)" in item.measured
    assert verify_item(None, now=NOW, max_age=3600).verdict == "blocked"


def test_canary_within_the_goal() -> None:
    assert canary_item({"result": {"ok": True, "seconds_to_replicate": 2.5}}, goal=60).verdict == "go"
    slow = canary_item({"result": {"ok": True, "seconds_to_replicate": 90}}, goal=60)
    assert slow.verdict == "blocked" and "90.0 s" in slow.measured
    failed = canary_item({"result": {"ok": False, "status": "failed", "fix": "grant the role"}}, goal=60)
    assert failed.verdict == "blocked" and failed.blocks == "grant the role"
    assert canary_item(None, goal=60).verdict == "blocked"


def test_alarms_none_planned_is_neutral() -> None:
    none = alarms_item([], {})
    assert none.verdict == "n/a" and none.green and "no alarms were planned" in none.measured
    assert alarms_item(["a", "b"], {"a": "OK", "b": "OK"}).verdict == "go"
    firing = alarms_item(["a", "b"], {"a": "OK", "b": "ALARM"})
    assert firing.verdict == "blocked" and "b: ALARM" in firing.blocks
    assert alarms_item(["a"], {"a": "INSUFFICIENT_DATA"}).verdict == "unknown"
    assert alarms_item(["a"], {}).verdict == "blocked"  # deleted behind our back


def test_destination_as_planned() -> None:
    ours = {"Sid": "S3xrepabcDst", "Effect": "Allow", "Principal": {"AWS": "r"}, "Action": "s3:ReplicateObject",
            "Resource": "arn:aws:s3:::d/*"}
    planned = {"Statement": [{"Sid": "Foreign"}, ours]}
    good = DestinationFacts("Enabled", {"Statement": [ours, {"Sid": "Other"}]}, "AES256")
    assert destination_item(good, planned_policy=planned, planned_sids=["S3xrepabcDst"],
                            replica_key=None).verdict == "go"
    bad = DestinationFacts("Suspended", {"Statement": [{**ours, "Action": "s3:*"}]}, None, "PendingDeletion")
    item = destination_item(bad, planned_policy=planned, planned_sids=["S3xrepabcDst"], replica_key="arn:k")
    assert item.verdict == "blocked"
    assert "versioning is Suspended" in item.blocks and "S3xrepabcDst" in item.blocks and "PendingDeletion" in item.blocks
    assert destination_item(DestinationFacts(error="denied"), planned_policy=None, planned_sids=[],
                            replica_key=None).verdict == "unknown"


def test_go_needs_every_item_green_and_lines_say_it_in_words() -> None:
    items = [backlog_item(0, 0, metrics_enabled=True), alarms_item([], {})]
    assert checklist("p", "s", "d", items).go
    blocked = checklist("p", "s", "d", items + [verify_item(None, now=NOW, max_age=60)])
    assert not blocked.go and [i.id for i in blocked.blocking] == ["verify"]
    lines = checklist_lines(blocked)
    assert lines[0].startswith("NO-GO") and any("[BLOCKED]" in line for line in lines)
    assert any("[N/A    ]" in line for line in lines)
    assert not checklist("p", "s", "d", []).go
