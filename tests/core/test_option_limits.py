"""MigrationOptions refuses what S3 would refuse at PutBucketReplication, naming S3's limit (issue 14.10)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from s3xrep_tui.core.merge import MergeError, merge_replication, rule_limit_problem
from s3xrep_tui.core.models import MigrationOptions


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"rule_id": "r" * 256}, "rule ID is 256 characters; S3 allows at most 255"),
        ({"rule_id": ""}, "rule ID is empty"),
        ({"priority": -1}, "rule priority -1 is not allowed; S3 takes a priority from 0 to 2147483647"),
        ({"priority": 2_147_483_648}, "S3 takes a priority from 0 to 2147483647"),
        ({"tags": (("team", "a"), ("env", "x"), ("team", "b"))}, "tag key 'team' is given more than once"),
    ],
)
def test_refused_with_s3s_limit(options: dict, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MigrationOptions(**options)
    assert words in str(caught.value)


def test_at_the_limits_accepted() -> None:
    options = MigrationOptions(rule_id="r" * 255, priority=0, tags=(("team", "a"), ("env", "a")))
    assert options.rule_id_for("dst") == "r" * 255
    assert len(MigrationOptions().rule_id_for("d" * 300)) == 255


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"ID": "r" * 300}, "rule ID is 300 characters; S3 allows at most 255"),
        ({"Filter": {"And": {"Tags": [{"Key": "k", "Value": "a"}, {"Key": "k", "Value": "b"}]}}},
         "repeats a tag key"),
        ({"Destination": {"Bucket": "arn:aws:s3:::d",
                          "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 30}},
                          "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}}},
         "ReplicationTime.Time.Minutes is 30; S3 takes only 15"),
        ({"Destination": {"Bucket": "arn:aws:s3:::d",
                          "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 5}}}},
         "Metrics.EventThreshold.Minutes is 5"),
    ],
)
def test_the_merge_refuses_a_rule_s3_would_refuse(change: dict, words: str) -> None:
    rule = {"ID": "ours", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::d"}, **change}
    with pytest.raises(MergeError) as caught:
        merge_replication(None, rule, role="arn:aws:iam::111111111111:role/r")
    assert caught.value.finding_id == "replication-rule-over-limits" and words in caught.value.message
    assert rule_limit_problem({**rule, "ID": "r" * 255, "Filter": {}, "Destination": {}}) is None
