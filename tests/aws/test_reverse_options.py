"""The way back mirrors the forward options: what the user declined forward is not created backward."""

from __future__ import annotations

from s3xrep_tui.aws.reverse import reverse_options
from s3xrep_tui.core.models import MigrationOptions


def test_a_forward_no_alarms_means_no_alarms_on_the_way_back() -> None:
    assert reverse_options(MigrationOptions(alarms=False), replica_modifications=None).alarms is False


def test_the_alarm_choices_carry_over_but_not_the_other_accounts_topic() -> None:
    forward = MigrationOptions(prefix="data/", alarm_failed_threshold=3, alarm_latency_seconds=120,
                               alarm_email="ops@example.com", alarm_topic_arn="arn:aws:sns:us-east-1:111111111111:t")
    back = reverse_options(forward, replica_modifications=True)
    assert (back.alarms, back.alarm_failed_threshold, back.alarm_latency_seconds, back.alarm_email) == (
        True, 3, 120, "ops@example.com")
    assert back.alarm_topic_arn is None  # the forward topic lives in the source account, not the way back's
    assert back.prefix == "data/" and back.replicate_existing is False and back.replica_modifications is True
