"""Property test: whatever the options, every document stays inside what the user chose.

Resources name only the chosen buckets (exact bucket ARN, or that bucket's objects under
the chosen prefix) or the chosen KMS keys ("*" only inside key policies); principals are
only our role or the two S3 services; actions come from the allow-lists below, which are
copied from the reference (aws-s3-replication.md §2.2, §2.3, §3.1, §1.5).
"""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3xrep_tui.core import documents as d
from s3xrep_tui.core.models import (
    Account,
    Bucket,
    BucketFacts,
    EncryptionFacts,
    KmsKeyFacts,
    MigrationOptions,
    ObjectLockFacts,
    PlanInputs,
    RoleFacts,
)
from s3xrep_tui.core.names import sid_family

# --- allow-lists from the reference ------------------------------------------------------------

REPLICATION_ROLE_ACTIONS = {
    # §2.2 base
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
    "s3:ReplicateObject",
    "s3:ReplicateTags",
    # §2.2 conditional additions
    "s3:ReplicateDelete",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:GetObjectRetention",
    "s3:GetObjectLegalHold",
    # §1.5 KMS
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
}
BATCH_ROLE_ACTIONS = {  # §2.3, generated manifest
    "s3:InitiateReplication",
    "s3:GetReplicationConfiguration",
    "s3:PutInventoryConfiguration",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
}
BUCKET_POLICY_ACTIONS = {  # §3.1 (no PutBucketVersioning, no List*)
    "s3:ReplicateObject",
    "s3:ReplicateTags",
    "s3:ReplicateDelete",
    "s3:ObjectOwnerOverrideToBucketOwner",
    "s3:GetBucketVersioning",
}
KEY_POLICY_ACTIONS = {"kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"}  # §1.5
TRUST_ACTIONS = {"sts:AssumeRole"}
BUCKET_LEVEL_ACTIONS = {
    "s3:GetReplicationConfiguration",
    "s3:ListBucket",
    "s3:PutInventoryConfiguration",
    "s3:GetBucketVersioning",
}
SERVICES = {"s3.amazonaws.com", "batchoperations.s3.amazonaws.com"}

REGIONS = {
    "aws": ["us-east-1", "eu-west-1"],
    "aws-cn": ["cn-north-1", "cn-northwest-1"],
    "aws-us-gov": ["us-gov-west-1", "us-gov-east-1"],
}
SRC, DST, OTHER_ACCOUNT = "111111111111", "222222222222", "333333333333"
SRC_BUCKET, DST_BUCKET = "acme-legacy-media", "acme-platform-media"


def literal(text: str) -> str:
    """What a literal S3 key prefix must look like inside an IAM ARN (independent of the code under test)."""
    return text.replace("$", "${$}").replace("*", "${*}").replace("?", "${?}")


key_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    max_size=30,
)
tag_text = st.text(alphabet="abcXYZ019 +-=._:/@", min_size=1, max_size=12)


@st.composite
def plans(draw: st.DrawFn) -> tuple[PlanInputs, tuple[str, ...]]:
    part = draw(st.sampled_from(sorted(REGIONS)))
    src_region = draw(st.sampled_from(REGIONS[part]))
    dst_region = draw(st.sampled_from(REGIONS[part]))
    same_account = draw(st.booleans())
    dst_account = SRC if same_account else DST

    tag_keys = draw(st.lists(tag_text, max_size=3, unique=True))
    tags = tuple((k, draw(tag_text)) for k in tag_keys)
    replica_key = draw(st.sampled_from([None, f"arn:{part}:kms:{dst_region}:{dst_account}:key/1111-replica"]))
    source_key = f"arn:{part}:kms:{src_region}:{SRC}:key/2222-source"
    source_kms = draw(st.sampled_from(["none", "described", "configured-arn", "alias"]))
    encryption = EncryptionFacts(
        algorithm=None if source_kms == "none" else draw(st.sampled_from(["aws:kms", "aws:kms:dsse"])),
        kms_key_id={"configured-arn": source_key, "alias": "alias/media"}.get(source_kms),
        bucket_key_enabled=draw(st.booleans()),
    )
    report = draw(st.sampled_from([None, "acme-ops-reports", SRC_BUCKET]))
    manifest = draw(st.sampled_from([None, "acme-ops-reports", "acme-manifests"]))
    options = MigrationOptions(
        prefix=draw(key_text),
        tags=tags,
        delete_markers=False if tags else draw(st.booleans()),
        storage_class=draw(st.sampled_from([None, "STANDARD_IA", "GLACIER_IR", "DEEP_ARCHIVE"])),
        rtc=draw(st.booleans()),
        metrics=draw(st.booleans()),
        replica_kms_key=replica_key,
        single_role=draw(st.booleans()),
        report_bucket=report,
        report_prefix=draw(st.sampled_from(["s3xrep/batch-reports", "", "/odd*/", "r"])),
        report_failed_only=draw(st.booleans()),
        manifest_bucket=manifest,
        manifest_prefix=draw(st.sampled_from(["s3xrep/batch-manifests", "", "m?/"])),
        existing_statuses=tuple(draw(st.lists(st.sampled_from(["NONE", "FAILED", "COMPLETED", "REPLICA"]), min_size=1, max_size=4))),
        job_priority=draw(st.integers(0, 2_147_483_647)),
    )
    source = BucketFacts(
        bucket=Bucket(name=SRC_BUCKET, region=src_region),
        owner_account_id=SRC,
        versioning="Enabled",
        object_ownership=draw(st.sampled_from(["BucketOwnerEnforced", "ObjectWriter", None])),
        encryption=encryption,
        default_kms_key=KmsKeyFacts(arn=source_key) if source_kms == "described" else None,
        object_lock=ObjectLockFacts(enabled=draw(st.booleans())),
    )
    destination = BucketFacts(
        bucket=Bucket(name=DST_BUCKET, region=dst_region),
        owner_account_id=dst_account,
        versioning="Enabled",
        object_ownership=draw(st.sampled_from(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter", None])),
        encryption=EncryptionFacts(algorithm="aws:kms", bucket_key_enabled=draw(st.booleans())),
    )
    existing = draw(st.booleans())
    role = (
        RoleFacts(name="crr", exists=True, arn=f"arn:{part}:iam::{SRC}:role/service-role/crr") if existing else None
    )
    also = tuple(draw(st.lists(st.sampled_from(["acme-dr", f"arn:{part}:s3:::acme-archive", DST_BUCKET]), max_size=3)))
    inputs = PlanInputs(
        source_account=Account(id=SRC, partition=part),
        destination_account=Account(id=dst_account, partition=part),
        source=source,
        destination=destination,
        options=options,
        replication_role=role,
        report_bucket=BucketFacts(bucket=Bucket(name=report, region=src_region), owner_account_id=OTHER_ACCOUNT)
        if report and draw(st.booleans())
        else None,
    )
    return inputs, also


def _statements(document: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
    return document if isinstance(document, list) else document["Statement"]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_VALIDATOR = ParamValidator()
_session = botocore.session.get_session()
_S3 = _session.get_service_model("s3")
_S3CONTROL = _session.get_service_model("s3control")


def _valid(model: Any, operation: str, params: dict[str, Any]) -> None:
    report = _VALIDATOR.validate(params, model.operation_model(operation).input_shape)
    assert not report.has_errors(), report.generate_report()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_documents_stay_inside_the_chosen_scope(plan: tuple[PlanInputs, tuple[str, ...]]) -> None:
    inputs, also = plan
    o = inputs.options
    part = inputs.partition
    s3 = f"arn:{part}:s3:::"
    others = {n.split(":::")[-1] for n in also} - {DST_BUCKET}

    role = d.replication_role_arn(inputs)
    batch_role = d.batch_role_arn(inputs)
    assert role.startswith(f"arn:{part}:iam::{SRC}:role/")
    assert batch_role.startswith(f"arn:{part}:iam::{SRC}:role/")
    assert (batch_role == role) == o.single_role

    src_objects = {f"{s3}{SRC_BUCKET}/{literal(o.prefix)}*"}
    if others:
        src_objects.add(f"{s3}{SRC_BUCKET}/*")
    allowed_objects = src_objects | {f"{s3}{DST_BUCKET}/{literal(o.prefix)}*"} | {f"{s3}{n}/*" for n in others}
    for bucket, prefix in ((o.report_bucket, o.report_prefix), (o.manifest_bucket, o.manifest_prefix)):
        if bucket:
            clean = prefix.strip("/")
            allowed_objects.add(f"{s3}{bucket}/{literal(clean) + '/' if clean else ''}*")
    allowed_buckets = {f"{s3}{SRC_BUCKET}", f"{s3}{DST_BUCKET}"}

    identity: dict[str, Any] = {
        "replication": d.replication_role_policy(inputs, also),
        "batch": d.batch_role_policy(inputs),
        "single": d.single_role_policy(inputs, also),
    }
    resource_policies = {
        "bucket": d.destination_policy_statements(inputs, role),
        "key": d.destination_kms_statements(inputs, role),
    }
    trusts = {"replication": d.replication_trust_policy(inputs), "batch": d.batch_trust_policy(inputs)}
    allow = {
        "replication": REPLICATION_ROLE_ACTIONS,
        "batch": BATCH_ROLE_ACTIONS,
        "single": REPLICATION_ROLE_ACTIONS | BATCH_ROLE_ACTIONS,
        "bucket": BUCKET_POLICY_ACTIONS,
        "key": KEY_POLICY_ACTIONS,
    }
    family = sid_family(SRC, SRC_BUCKET, DST_BUCKET)

    every = {**identity, **resource_policies, **{f"trust-{k}": v for k, v in trusts.items()}}
    for name, document in every.items():
        sids = [s["Sid"] for s in _statements(document)]
        assert len(sids) == len(set(sids)), name
        for sid in sids:
            assert sid.startswith(family) and sid[len(family) :].isalnum(), sid

    for name, document in {**identity, **resource_policies}.items():
        for statement in _statements(document):
            assert statement["Effect"] == "Allow"
            actions = _as_list(statement["Action"])
            assert set(actions) <= allow[name], (name, actions)
            assert not any("*" in a for a in actions)
            for resource in _as_list(statement["Resource"]):
                if resource == "*":
                    assert name == "key", "Resource * outside a key policy"
                elif resource.startswith(f"arn:{part}:kms:"):
                    assert resource in {o.replica_kms_key, f"arn:{part}:kms:{inputs.source.bucket.region}:{SRC}:key/2222-source"}
                    assert set(actions) <= KEY_POLICY_ACTIONS
                elif set(actions) & BUCKET_LEVEL_ACTIONS:
                    assert set(actions) <= BUCKET_LEVEL_ACTIONS, (name, actions)
                    assert resource in allowed_buckets, (name, resource)
                else:
                    assert resource in allowed_objects, (name, resource, allowed_objects)
            if name in resource_policies:
                assert statement["Principal"] == {"AWS": role}
            else:
                assert "Principal" not in statement
            if any(a.startswith("kms:") for a in actions):
                condition = statement["Condition"]
                via = [v for block in condition.values() for k, v in block.items() if k == "kms:ViaService"]
                assert len(via) == 1 and via[0].startswith("s3.")

    # conditional permissions appear exactly when the configuration uses them
    repl_actions = {a for s in identity["replication"]["Statement"] for a in s["Action"]}
    owner_override = inputs.cross_account and inputs.destination.object_ownership != "BucketOwnerEnforced"
    assert ("s3:ObjectOwnerOverrideToBucketOwner" in repl_actions) == owner_override
    # the other destinations come without their rules here: none replicates delete markers
    assert ("s3:ReplicateDelete" in repl_actions) == o.delete_markers
    assert ("s3:GetObjectRetention" in repl_actions) == inputs.source.object_lock.enabled
    assert ("kms:Encrypt" in repl_actions) == bool(o.replica_kms_key)
    if not o.replica_kms_key:
        assert "kms:Decrypt" not in repl_actions and resource_policies["key"] == []
    if not inputs.cross_account:
        assert resource_policies["bucket"] == []

    for name, trust in trusts.items():
        for statement in trust["Statement"]:
            assert set(_as_list(statement["Action"])) <= TRUST_ACTIONS
            assert set(statement) == {"Sid", "Effect", "Principal", "Action"}
            services = set(_as_list(statement["Principal"]["Service"]))
            assert services <= SERVICES and set(statement["Principal"]) == {"Service"}
            if name == "batch":
                assert services == {"batchoperations.s3.amazonaws.com"}
            else:
                assert services == (SERVICES if o.single_role else {"s3.amazonaws.com"})

    # the rule and the job request stay valid S3 requests for any of these inputs
    rule = d.replication_rule(inputs, 7)
    assert "ExistingObjectReplication" not in rule
    _valid(_S3, "PutBucketReplication", {"Bucket": SRC_BUCKET, "ReplicationConfiguration": {"Role": role, "Rules": [rule]}})
    request = d.batch_job_request(inputs, batch_role)
    assert request["ConfirmationRequired"] is False and "Tags" not in request
    _valid(_S3CONTROL, "CreateJob", request)
    for document in every.values():
        json.dumps(document)
    assert isinstance(d.explain_rule(rule), str)
    for document in {**identity, **resource_policies}.values():
        for statement in _statements(document):
            assert d.explain_statement(statement)
