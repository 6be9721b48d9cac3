"""The rule with replica modification sync: SourceSelectionCriteria.ReplicaModifications, beside SSE-KMS."""

from __future__ import annotations

from s3xrep_tui.core.models import Account, Bucket, BucketFacts, MigrationOptions, PlanInputs
from s3xrep_tui.core.replication_rule import explain_rule, replication_rule


def _inputs(**options: object) -> PlanInputs:
    return PlanInputs(
        source_account=Account(id="111111111111"), destination_account=Account(id="222222222222"),
        source=BucketFacts(bucket=Bucket(name="src-bucket", region="us-east-1"), owner_account_id="111111111111",
                           versioning="Enabled"),
        destination=BucketFacts(bucket=Bucket(name="dst-bucket", region="us-east-1"),
                                owner_account_id="222222222222", versioning="Enabled"),
        options=MigrationOptions(**options))  # type: ignore[arg-type]


def test_replica_modifications_only_when_asked() -> None:
    assert "SourceSelectionCriteria" not in replication_rule(_inputs(), priority=0)
    rule = replication_rule(_inputs(replica_modifications=True), priority=0)
    assert rule["SourceSelectionCriteria"] == {"ReplicaModifications": {"Status": "Enabled"}}
    assert "Filter" in rule  # a V2 rule: S3 refuses the element in a V1 rule
    assert "replica changes synced back" in explain_rule(rule)


def test_with_a_replica_key_both_criteria() -> None:
    key = "arn:aws:kms:us-east-1:222222222222:key/1234"
    rule = replication_rule(_inputs(replica_modifications=True, replica_kms_key=key), priority=0)
    assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"},
                                               "ReplicaModifications": {"Status": "Enabled"}}


def _deployed(inputs: PlanInputs, *, synced: bool) -> PlanInputs:
    rule = replication_rule(inputs.model_copy(update={"options": MigrationOptions(replica_modifications=synced)}),
                            priority=1)
    source = inputs.source.model_copy(update={"replication": {"Role": "arn:aws:iam::111111111111:role/r",
                                                              "Rules": [rule]}})
    return inputs.model_copy(update={"source": source})


def test_neither_flag_keeps_what_our_deployed_rule_has() -> None:
    from s3xrep_tui.core.replication_rule import replica_modifications_findings

    synced = _deployed(_inputs(), synced=True)
    assert "ReplicaModifications" in replication_rule(synced, priority=0)["SourceSelectionCriteria"]
    assert [f.id for f in replica_modifications_findings(synced)] == ["replica-modifications-kept"]
    off = _deployed(_inputs(replica_modifications=False), synced=True)  # asked: off
    assert "SourceSelectionCriteria" not in replication_rule(off, priority=0)
    assert replica_modifications_findings(off) == []
    assert "SourceSelectionCriteria" not in replication_rule(_deployed(_inputs(), synced=False), priority=0)
