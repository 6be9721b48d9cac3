"""Preflight: one test per finding, built from the facts that trigger it."""

from __future__ import annotations

import pytest

from s3xrep_tui.core.documents import replication_trust_policy
from s3xrep_tui.core.models import (
    EncryptionFacts,
    Finding,
    KmsKeyFacts,
    MigrationOptions,
    ObjectLockFacts,
    RoleFacts,
)
from s3xrep_tui.core.ownership import rule_fingerprint
from s3xrep_tui.core.preflight import preflight
from tests.core.conftest import (
    DESTINATION_ACCOUNT,
    DESTINATION_BUCKET,
    SOURCE_ACCOUNT,
    SOURCE_BUCKET,
    make_facts,
    make_inputs,
)

KEY = f"arn:aws:kms:us-east-1:{DESTINATION_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
OUR_RULE = f"s3xrep-to-{DESTINATION_BUCKET}"
OTHER_ROLE = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/service-role/s3crr_role_for_{SOURCE_BUCKET}"


def foreign_role(kind: str) -> RoleFacts:
    """A role with our default name that someone else made: trusted by EC2, with a broad inline policy."""
    name = f"s3xrep-{kind}-{SOURCE_BUCKET}"
    return RoleFacts(
        name=name, exists=True, arn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{name}",
        trust_policy={"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        inline_policies={"broad": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
    )


def src(**overrides):
    return make_facts(SOURCE_BUCKET, SOURCE_ACCOUNT, **overrides)


def dst(**overrides):
    return make_facts(DESTINATION_BUCKET, DESTINATION_ACCOUNT, **overrides)


def v2_rule(rule_id: str, priority: int, bucket: str = "acme-backup") -> dict:
    return {
        "ID": rule_id,
        "Priority": priority,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{bucket}"},
    }


def good_key(**overrides) -> KmsKeyFacts:
    return KmsKeyFacts(**{"arn": KEY, "manager": "CUSTOMER", "region": "us-east-1", "state": "Enabled", **overrides})


LIFECYCLE = ({"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},)

# id -> (severity, inputs factory, text the message must name)
CASES = {
    "source-bucket-missing": ("blocking", lambda: make_inputs(source=src(exists=False)), SOURCE_BUCKET),
    "destination-bucket-missing": ("blocking", lambda: make_inputs(destination=dst(exists=False)), DESTINATION_BUCKET),
    "source-bucket-wrong-owner": (
        "blocking",
        lambda: make_inputs(source=make_facts(SOURCE_BUCKET, "333333333333")),
        "333333333333",
    ),
    "destination-bucket-wrong-owner": (
        "blocking",
        lambda: make_inputs(destination=make_facts(DESTINATION_BUCKET, "333333333333")),
        DESTINATION_BUCKET,
    ),
    "same-bucket": (
        "blocking",
        lambda: make_inputs(same_account=True, destination=make_facts(SOURCE_BUCKET, SOURCE_ACCOUNT)),
        SOURCE_BUCKET,
    ),
    "same-account": ("info", lambda: make_inputs(same_account=True), SOURCE_ACCOUNT),
    "source-versioning-disabled": ("warning", lambda: make_inputs(source=src(versioning="Unversioned")), SOURCE_BUCKET),
    "destination-versioning-disabled": (
        "warning",
        lambda: make_inputs(destination=dst(versioning="Unversioned")),
        DESTINATION_BUCKET,
    ),
    "source-versioning-suspended": ("warning", lambda: make_inputs(source=src(versioning="Suspended")), "suspended"),
    "destination-versioning-suspended": (
        "warning",
        lambda: make_inputs(destination=dst(versioning="Suspended")),
        DESTINATION_BUCKET,
    ),
    "destination-owner-enforced": ("info", lambda: make_inputs(), DESTINATION_BUCKET),
    "destination-ownership-acls": (
        "warning",
        lambda: make_inputs(destination=dst(object_ownership="BucketOwnerPreferred")),
        DESTINATION_BUCKET,
    ),
    "source-kms-without-replica-key": (
        "blocking",
        lambda: make_inputs(source=src(encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id="alias/app"))),
        SOURCE_BUCKET,
    ),
    "replica-key-aws-managed": (
        "blocking",
        lambda: make_inputs(replica_kms_key=KEY, replica_key=good_key(manager="AWS")),
        DESTINATION_BUCKET,
    ),
    "replica-key-wrong-region": (
        "blocking",
        lambda: make_inputs(
            replica_kms_key=KEY.replace("us-east-1", "eu-west-1"),
            replica_key=good_key(arn=KEY.replace("us-east-1", "eu-west-1"), region="eu-west-1"),
        ),
        DESTINATION_BUCKET,
    ),
    "replica-key-not-enabled": (
        "blocking",
        lambda: make_inputs(replica_kms_key=KEY, replica_key=good_key(state="PendingDeletion")),
        DESTINATION_BUCKET,
    ),
    "replica-key-unverified": ("warning", lambda: make_inputs(replica_kms_key=KEY), DESTINATION_BUCKET),
    "replica-key-policy-invalid": (
        "blocking",
        lambda: make_inputs(replica_kms_key=KEY, replica_key=good_key(policy="{not json")),
        KEY,
    ),
    "destination-default-key-aws-managed": (
        "warning",
        lambda: make_inputs(destination=dst(encryption=EncryptionFacts(algorithm="aws:kms"))),
        DESTINATION_BUCKET,
    ),
    "destination-blocks-sse-c": (
        "warning",
        lambda: make_inputs(
            destination=dst(encryption=EncryptionFacts(algorithm="AES256", blocked_encryption_types=("SSE-C",)))
        ),
        DESTINATION_BUCKET,
    ),
    "destination-object-lock-missing": (
        "blocking",
        lambda: make_inputs(source=src(object_lock=ObjectLockFacts(enabled=True))),
        DESTINATION_BUCKET,
    ),
    "destination-requester-pays": (
        "blocking",
        lambda: make_inputs(destination=dst(requester_pays=True)),
        DESTINATION_BUCKET,
    ),
    "source-requester-pays": ("info", lambda: make_inputs(source=src(requester_pays=True)), SOURCE_BUCKET),
    "replication-rule-replaced": (  # ours: an earlier apply of this plan journaled its fingerprint
        "info",
        lambda: make_inputs(source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule(OUR_RULE, 1)]}),
                            rule_fingerprints=(rule_fingerprint(v2_rule(OUR_RULE, 1)),)),
        SOURCE_BUCKET,
    ),
    "replication-rule-id-taken": (  # our ID, someone else's content, never journaled
        "blocking",
        lambda: make_inputs(source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule(OUR_RULE, 1)]})),
        "arn:aws:s3:::acme-backup",
    ),
    "replication-rule-adopted": (
        "warning",
        lambda: make_inputs(adopt=True, source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule(OUR_RULE, 1)]})),
        SOURCE_BUCKET,
    ),
    "replication-role-name-taken": ("blocking", lambda: make_inputs(replication_role=foreign_role("repl")),
                                    "ec2.amazonaws.com"),
    "replication-role-adopted": ("warning", lambda: make_inputs(adopt=True, replication_role=foreign_role("repl")),
                                 "It keeps its other policies (broad)"),
    "batch-role-name-taken": ("blocking", lambda: make_inputs(batch_role=foreign_role("batch")), "ec2.amazonaws.com"),
    "replication-v1-rules": (
        "blocking",
        lambda: make_inputs(
            source=src(
                replication={
                    "Role": OTHER_ROLE,
                    "Rules": [{"ID": "legacy", "Prefix": "", "Status": "Enabled",
                               "Destination": {"Bucket": "arn:aws:s3:::old"}}],
                }
            )
        ),
        SOURCE_BUCKET,
    ),
    "replication-role-reused": (
        "warning",
        lambda: make_inputs(source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule("logs", 1)]})),
        OTHER_ROLE,
    ),
    "replication-role-replaced": (
        "warning",
        lambda: make_inputs(
            replace_existing_role=True,
            source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule("logs", 1, "acme-logs-dr")]}),
        ),
        "acme-logs-dr",
    ),
    "replication-too-many-rules": (
        "blocking",
        lambda: make_inputs(
            source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule(f"r{i}", i + 1) for i in range(1000)]})
        ),
        SOURCE_BUCKET,
    ),
    "replication-priority-taken": (
        "blocking",
        lambda: make_inputs(priority=3, source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule("logs", 3)]})),
        SOURCE_BUCKET,
    ),
    "source-lifecycle-during-backfill": (
        "warning",
        lambda: make_inputs(source=src(lifecycle_rules=LIFECYCLE)),
        SOURCE_BUCKET,
    ),
    "destination-lifecycle-during-backfill": (
        "warning",
        lambda: make_inputs(destination=dst(lifecycle_rules=LIFECYCLE)),
        DESTINATION_BUCKET,
    ),
    "report-bucket-missing": (
        "blocking",
        lambda: make_inputs(report_bucket=make_facts("acme-reports", exists=False)),
        "acme-reports",
    ),
    "report-bucket-wrong-region": (
        "blocking",
        lambda: make_inputs(report_bucket=make_facts("acme-reports", region="eu-west-1")),
        "acme-reports",
    ),
    "report-bucket-wrong-owner": (
        "blocking",
        lambda: make_inputs(report_bucket=make_facts("acme-reports", owner=DESTINATION_ACCOUNT)),
        "acme-reports",
    ),
    "report-bucket-object-lock": (
        "warning",
        lambda: make_inputs(
            report_bucket=make_facts(
                "acme-reports", object_lock=ObjectLockFacts(enabled=True, default_mode="GOVERNANCE", default_days=1)
            )
        ),
        "acme-reports",
    ),
    "manifest-bucket-missing": (
        "blocking",
        lambda: make_inputs(manifest_bucket=make_facts("acme-manifests", exists=False)),
        "acme-manifests",
    ),
    "manifest-bucket-wrong-region": (
        "blocking",
        lambda: make_inputs(manifest_bucket=make_facts("acme-manifests", region="eu-west-1")),
        "acme-manifests",
    ),
    "manifest-bucket-wrong-owner": (
        "blocking",
        lambda: make_inputs(manifest_bucket=make_facts("acme-manifests", owner=DESTINATION_ACCOUNT)),
        "acme-manifests",
    ),
    "destination-policy-invalid": (
        "blocking",
        lambda: make_inputs(destination=dst(policy='{"Version":"2012-10-17","Statement":"Allow"}')),
        DESTINATION_BUCKET,
    ),
    "storage-class-archive": ("info", lambda: make_inputs(storage_class="DEEP_ARCHIVE"), DESTINATION_BUCKET),
    "rtc-cost": ("info", lambda: make_inputs(rtc=True), DESTINATION_BUCKET),
}


def by_id(findings: list[Finding]) -> dict[str, Finding]:
    return {finding.id: finding for finding in findings}


@pytest.mark.parametrize("finding_id", sorted(CASES))
def test_finding(finding_id):
    severity, build, named = CASES[finding_id]
    findings = by_id(preflight(build()))
    assert finding_id in findings, sorted(findings)
    finding = findings[finding_id]
    assert finding.severity == severity
    assert named in finding.message
    buckets = (SOURCE_BUCKET, DESTINATION_BUCKET, "acme-reports", "acme-manifests")
    assert any(bucket in finding.message for bucket in buckets), finding.message
    assert finding.fix.strip()


def test_ids_are_kebab_case_and_unique_per_run():
    import re

    for _, build, _ in CASES.values():
        findings = preflight(build())
        ids = [finding.id for finding in findings]
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)


def test_clean_default_inputs_have_no_blocking_or_warning():
    findings = preflight(make_inputs())
    assert [f.severity for f in findings] == ["info"]
    assert [f.id for f in findings] == ["destination-owner-enforced"]


def test_clean_inputs_with_good_replica_key_have_no_blocking():
    inputs = make_inputs(
        replica_kms_key=KEY,
        replica_key=good_key(policy='{"Version":"2012-10-17","Statement":[]}'),
        source=src(encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id="alias/app")),
    )
    assert not [f for f in preflight(inputs) if f.severity != "info"]


def test_order_is_blocking_then_warning_then_info_and_deterministic():
    inputs = make_inputs(
        rtc=True,
        source=src(versioning="Unversioned", requester_pays=True, object_lock=ObjectLockFacts(enabled=True)),
        destination=dst(versioning="Suspended", object_ownership="ObjectWriter"),
    )
    findings = preflight(inputs)
    ranks = [{"blocking": 0, "warning": 1, "info": 2}[f.severity] for f in findings]
    assert ranks == sorted(ranks)
    assert {"blocking", "warning", "info"} == {f.severity for f in findings}
    assert findings == preflight(inputs)


def test_missing_bucket_suppresses_fact_findings():
    inputs = make_inputs(destination=dst(exists=False, versioning="Unversioned", requester_pays=True))
    ids = [f.id for f in preflight(inputs)]
    assert "destination-bucket-missing" in ids
    assert "destination-versioning-disabled" not in ids and "destination-requester-pays" not in ids


def test_same_account_skips_ownership_policy_and_requester_pays():
    inputs = make_inputs(
        same_account=True,
        destination=make_facts(
            DESTINATION_BUCKET, SOURCE_ACCOUNT, object_ownership="ObjectWriter", policy="{bad", requester_pays=True
        ),
    )
    ids = {f.id for f in preflight(inputs)}
    assert not ids & {"destination-ownership-acls", "destination-owner-enforced", "destination-policy-invalid",
                      "destination-requester-pays"}


def test_ownership_not_set_counts_as_object_writer():
    finding = by_id(preflight(make_inputs(destination=dst(object_ownership=None))))["destination-ownership-acls"]
    assert "ObjectWriter" in finding.message and "BucketOwnerEnforced" in finding.fix


def test_dsse_counts_as_kms():
    inputs = make_inputs(source=src(encryption=EncryptionFacts(algorithm="aws:kms:dsse")))
    assert "DSSE-KMS" in by_id(preflight(inputs))["source-kms-without-replica-key"].message


def test_alias_aws_s3_in_key_text_is_aws_managed():
    key = f"arn:aws:kms:us-east-1:{DESTINATION_ACCOUNT}:alias/aws/s3"
    assert "replica-key-aws-managed" in by_id(preflight(make_inputs(replica_kms_key=key)))


def test_replica_key_region_from_arn_when_not_described():
    key = KEY.replace("us-east-1", "eu-west-1")
    assert "replica-key-wrong-region" in by_id(preflight(make_inputs(replica_kms_key=key)))


def test_versioning_warning_names_expiration_rules():
    inputs = make_inputs(source=src(versioning="Unversioned", lifecycle_rules=LIFECYCLE))
    finding = by_id(preflight(inputs))["source-versioning-disabled"]
    assert "expire-tmp" in finding.message and "NoncurrentVersionExpiration" in finding.message
    assert "irreversible" in finding.message and "15 minutes" in finding.message
    assert "put-bucket-versioning" in finding.fix


def test_lifecycle_ignored_without_backfill_and_disabled_rules_ignored():
    assert "source-lifecycle-during-backfill" not in by_id(
        preflight(make_inputs(replicate_existing=False, source=src(lifecycle_rules=LIFECYCLE)))
    )
    disabled = ({**LIFECYCLE[0], "Status": "Disabled"},)
    assert "source-lifecycle-during-backfill" not in by_id(preflight(make_inputs(source=src(lifecycle_rules=disabled))))


def test_our_role_in_existing_config_is_no_finding_even_with_a_path():
    role = RoleFacts(name=f"s3xrep-repl-{SOURCE_BUCKET}", exists=True,
                     arn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/custom/s3xrep-repl-{SOURCE_BUCKET}")
    plain = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/s3xrep-repl-{SOURCE_BUCKET}"
    for replication_role in (None, role):
        inputs = make_inputs(replication_role=replication_role,
                             source=src(replication={"Role": plain, "Rules": [v2_rule("logs", 1)]}))
        ids = by_id(preflight(inputs))
        assert "replication-role-reused" not in ids and "replication-role-replaced" not in ids


def test_rule_limit_not_reached_when_ours_is_among_them():
    rules = [v2_rule(f"r{i}", i + 1) for i in range(999)] + [v2_rule(OUR_RULE, 1000)]
    ids = by_id(preflight(make_inputs(source=src(replication={"Role": OTHER_ROLE, "Rules": rules}),
                                      rule_fingerprints=(rule_fingerprint(rules[-1]),))))
    assert "replication-too-many-rules" not in ids and "replication-rule-replaced" in ids


def test_priority_of_our_own_rule_is_not_taken():
    inputs = make_inputs(priority=3, source=src(replication={"Role": OTHER_ROLE, "Rules": [v2_rule(OUR_RULE, 3)]}))
    assert "replication-priority-taken" not in by_id(preflight(inputs))


def test_batch_buckets_ignored_without_backfill():
    inputs = make_inputs(replicate_existing=False, report_bucket=make_facts("acme-reports", exists=False))
    assert "report-bucket-missing" not in by_id(preflight(inputs))


def test_options_object_is_respected():
    inputs = make_inputs(options=MigrationOptions(rtc=True, storage_class="GLACIER"))
    ids = by_id(preflight(inputs))
    assert "rtc-cost" in ids and "storage-class-archive" in ids


def test_a_role_with_our_name_is_ours_by_our_tag_or_by_being_exactly_what_we_write():
    tagged = foreign_role("repl").model_copy(update={"tags": {"s3xrep:managed-by": "s3xrep-tui"}})
    assert "replication-role-name-taken" not in by_id(preflight(make_inputs(replication_role=tagged)))
    inputs = make_inputs()
    exported = foreign_role("repl").model_copy(update={  # what an export of ours creates: untagged, our trust
        "trust_policy": replication_trust_policy(inputs),
        "inline_policies": {f"s3xrep-replication-to-{DESTINATION_BUCKET}": {"Version": "2012-10-17", "Statement": []}},
    })
    assert "replication-role-name-taken" not in by_id(preflight(make_inputs(replication_role=exported)))
    extra = exported.model_copy(update={"inline_policies": {**exported.inline_policies, "broad": {}}})
    assert "replication-role-name-taken" in by_id(preflight(make_inputs(replication_role=extra)))
    attached = exported.model_copy(update={"attached_policies": ("arn:aws:iam::aws:policy/AdministratorAccess",)})
    assert "replication-role-name-taken" in by_id(preflight(make_inputs(replication_role=attached)))


def test_a_foreign_role_we_do_not_write_is_not_a_finding():
    """The source already replicates with another role: the plan reuses that one, our named role is not touched."""
    replication = {"Role": OTHER_ROLE, "Rules": [v2_rule("theirs", 1)]}
    ids = by_id(preflight(make_inputs(source=src(replication=replication), replication_role=foreign_role("repl"))))
    assert "replication-role-name-taken" not in ids and "replication-role-reused" in ids
