"""MigrationOptions refuses what S3 would refuse at PutBucketReplication, naming S3's limit (issue 14.10)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

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
