"""Golden, parliament and botocore checks of the least-privilege document builders.

The golden files in tests/core/golden/<case>.json ARE the product: review them by eye.
Regenerate them after an intended change with

    S3XREP_REGEN_GOLDEN=1 /work/venv/bin/python -m pytest tests/core/test_documents.py

and read the diff (git diff tests/core/golden) before committing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
import parliament
import pytest
from botocore.validate import ParamValidator

from s3xrep_tui.core import documents as d
from s3xrep_tui.core.models import (
    EncryptionFacts,
    KmsKeyFacts,
    MigrationOptions,
    ObjectLockFacts,
    PlanInputs,
    RoleFacts,
)
from tests.core.conftest import DESTINATION_ACCOUNT, DESTINATION_BUCKET, SOURCE_ACCOUNT, make_facts, make_inputs

GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("S3XREP_REGEN_GOLDEN") == "1"

SOURCE_KEY = "arn:aws:kms:us-east-1:111111111111:key/0b1c2d3e-1111-4aaa-8bbb-000000000001"
REPLICA_KEY = "arn:aws:kms:us-east-1:222222222222:key/0b1c2d3e-2222-4aaa-8bbb-000000000002"
DEFAULT_KEY = "arn:aws:kms:us-east-1:222222222222:key/0b1c2d3e-4444-4aaa-8bbb-000000000004"
CN_REPLICA_KEY = "arn:aws-cn:kms:cn-north-1:222222222222:key/0b1c2d3e-3333-4aaa-8bbb-000000000003"


def _kms_source(region: str = "us-east-1", key: str = SOURCE_KEY, bucket_keys: bool = False):
    return make_facts(
        region=region,
        encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id="alias/legacy-media", bucket_key_enabled=bucket_keys),
        default_kms_key=KmsKeyFacts(arn=key, manager="CUSTOMER", region=region, state="Enabled"),
    )


def _destination(**overrides: Any):
    return make_facts(DESTINATION_BUCKET, DESTINATION_ACCOUNT, **overrides)


# case name -> (inputs, also_destinations)
CASES: dict[str, Callable[[], tuple[PlanInputs, tuple[str, ...]]]] = {
    "defaults": lambda: (make_inputs(), ()),
    "prefix": lambda: (make_inputs(prefix="media/2024/"), ()),
    "tag": lambda: (make_inputs(tags=(("replicate", "yes"),)), ()),
    "tags": lambda: (make_inputs(tags=(("team", "media"), ("replicate", "yes"))), ()),
    "prefix_tags": lambda: (make_inputs(prefix="media/", tags=(("replicate", "yes"),)), ()),
    "delete_markers": lambda: (make_inputs(delete_markers=True), ()),
    "storage_class": lambda: (make_inputs(storage_class="STANDARD_IA"), ()),
    "rtc": lambda: (make_inputs(rtc=True), ()),
    "metrics": lambda: (make_inputs(metrics=True), ()),
    "kms": lambda: (make_inputs(replica_kms_key=REPLICA_KEY, source=_kms_source()), ()),
    # issue 17.7: a Bucket-Key source to a destination without Bucket Keys (replicas keep them)
    "kms_source_bucket_keys": lambda: (make_inputs(replica_kms_key=REPLICA_KEY, source=_kms_source(bucket_keys=True)), ()),
    # issue 17.7: plaintext objects to a destination whose default encryption is SSE-KMS
    "kms_default_destination": lambda: (
        make_inputs(
            destination=_destination(
                encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id=DEFAULT_KEY),
                default_kms_key=KmsKeyFacts(arn=DEFAULT_KEY, manager="CUSTOMER", region="us-east-1", state="Enabled"),
            )
        ),
        (),
    ),
    "kms_bucket_keys_prefix": lambda: (
        make_inputs(
            prefix="media/",
            replica_kms_key=REPLICA_KEY,
            source=_kms_source(bucket_keys=True),
            destination=_destination(
                encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id=REPLICA_KEY, bucket_key_enabled=True)
            ),
        ),
        (),
    ),
    "single_role": lambda: (make_inputs(single_role=True), ()),
    "object_lock": lambda: (
        make_inputs(source=make_facts(object_lock=ObjectLockFacts(enabled=True, default_mode="GOVERNANCE", default_days=30))),
        (),
    ),
    "owner_not_enforced": lambda: (make_inputs(destination=_destination(object_ownership="ObjectWriter")), ()),
    "same_account": lambda: (make_inputs(same_account=True, destination=make_facts(DESTINATION_BUCKET, SOURCE_ACCOUNT, object_ownership=None)), ()),
    "report_manifest": lambda: (
        make_inputs(
            report_bucket=make_facts("acme-ops-reports", "333333333333"),
            options=MigrationOptions(
                report_bucket="acme-ops-reports",
                report_failed_only=True,
                manifest_bucket="acme-legacy-manifests",
                manifest_prefix="s3xrep/manifests/",
                existing_statuses=("FAILED",),
                job_priority=50,
            ),
        ),
        (),
    ),
    "existing_role_other_rules": lambda: (
        make_inputs(
            prefix="media/",
            replication_role=RoleFacts(
                name="s3crr_role_for_acme-legacy-media",
                exists=True,
                arn="arn:aws:iam::111111111111:role/service-role/s3crr_role_for_acme-legacy-media",
            ),
            replace_existing_role=True,
        ),
        ("arn:aws:s3:::acme-legacy-media-dr", "acme-archive", DESTINATION_BUCKET),
    ),
    "aws_cn": lambda: (
        make_inputs(
            partition="aws-cn",
            replica_kms_key=CN_REPLICA_KEY,
            source=_kms_source("cn-north-1", SOURCE_KEY.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1")),
            destination=make_facts(DESTINATION_BUCKET, DESTINATION_ACCOUNT, "cn-north-1", object_ownership="BucketOwnerPreferred"),
            report_bucket="acme-ops-reports",
        ),
        (),
    ),
    "aws_us_gov": lambda: (make_inputs(partition="aws-us-gov", prefix="media/", delete_markers=True, manifest_bucket="acme-gov-manifests"), ()),
    "wildcard_prefix": lambda: (make_inputs(prefix="odd*name?/$x/"), ()),
    "everything": lambda: (
        make_inputs(
            prefix="media/",
            delete_markers=True,
            storage_class="GLACIER_IR",
            rtc=True,
            replica_kms_key=REPLICA_KEY,
            source=make_facts(
                encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id=SOURCE_KEY),
                object_lock=ObjectLockFacts(enabled=True),
            ),
            destination=_destination(object_ownership=None, object_lock=ObjectLockFacts(enabled=True)),
            report_bucket="acme-ops-reports",
            manifest_bucket="acme-ops-reports",
            rule_id="legacy-to-platform",
        ),
        (),
    ),
}


def build_all(inputs: PlanInputs, also: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every document of one plan, in the order a reviewer reads them."""
    role = d.replication_role_arn(inputs)
    batch_role = d.batch_role_arn(inputs)
    docs: dict[str, Any] = {
        "replication_role_arn": role,
        "batch_role_arn": batch_role,
        "replication_trust_policy": d.replication_trust_policy(inputs),
    }
    if inputs.options.single_role:
        docs["single_role_policy"] = d.single_role_policy(inputs, also)
    else:
        docs["replication_role_policy"] = d.replication_role_policy(inputs, also)
        docs["batch_trust_policy"] = d.batch_trust_policy(inputs)
        docs["batch_role_policy"] = d.batch_role_policy(inputs)
    docs["destination_policy_statements"] = d.destination_policy_statements(inputs, role)
    docs["destination_kms_statements"] = d.destination_kms_statements(inputs, role)
    docs["replication_rule"] = d.replication_rule(inputs, 1)
    docs["batch_job_request"] = d.batch_job_request(inputs, batch_role)
    return docs


def explanations(docs: dict[str, Any]) -> list[str]:
    lines = []
    for name in ("replication_trust_policy", "single_role_policy", "replication_role_policy", "batch_trust_policy", "batch_role_policy"):
        if name in docs:
            lines += [f"{name}: {d.explain_statement(s)}" for s in docs[name]["Statement"]]
    for name in ("destination_policy_statements", "destination_kms_statements"):
        lines += [f"{name}: {d.explain_statement(s)}" for s in docs[name]]
    lines.append("replication_rule: " + d.explain_rule(docs["replication_rule"]))
    return lines


def wrap(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def identity_policies(docs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: docs[k] for k in ("replication_role_policy", "batch_role_policy", "single_role_policy") if k in docs}


def trust_policies(docs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: docs[k] for k in ("replication_trust_policy", "batch_trust_policy") if k in docs}


def dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture(params=sorted(CASES), scope="module")
def case(request: pytest.FixtureRequest) -> tuple[str, PlanInputs, tuple[str, ...], dict[str, Any]]:
    inputs, also = CASES[request.param]()
    return request.param, inputs, also, build_all(inputs, also)


# --- golden -------------------------------------------------------------------------------


def test_golden(case) -> None:
    name, _inputs, also, docs = case
    text = dump({"also_destinations": list(also), **docs, "explanations": explanations(docs)})
    path = GOLDEN / f"{name}.json"
    if REGEN:
        path.write_text(text)
    assert path.exists(), f"no golden file {path.name}: run with S3XREP_REGEN_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{name} differs from its golden file (S3XREP_REGEN_GOLDEN=1 to accept)"


def test_no_stale_golden_files() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(CASES)


def test_deterministic(case) -> None:
    name, _inputs, also, docs = case
    inputs_again, also_again = CASES[name]()
    assert dump(build_all(inputs_again, also_again)) == dump(docs)


# --- parliament -----------------------------------------------------------------------------


def _findings(document: dict[str, Any]) -> list[str]:
    return [f"{f.issue}: {f.detail}" for f in parliament.analyze_policy_string(json.dumps(document)).findings]


def test_identity_policies_pass_parliament(case) -> None:
    _name, _inputs, _also, docs = case
    for name, document in identity_policies(docs).items():
        assert _findings(document) == [], name


def test_destination_bucket_policy_passes_parliament(case) -> None:
    _name, inputs, _also, docs = case
    statements = docs["destination_policy_statements"]
    if not inputs.cross_account:
        assert statements == []
        return
    assert _findings(wrap(statements)) == []


def test_key_policy_passes_parliament(case) -> None:
    """parliament has no key-policy mode: it reads ``Resource: "*"`` as RESOURCE_STAR.

    In a key policy ``"*"`` means "this key" and is the only form KMS documents, so we
    check that RESOURCE_STAR is the only finding, and that the same statements with
    ``"*"`` replaced by the key ARN (their meaning) have no finding at all — which still
    lets parliament check the actions and the condition keys and operators.
    """
    _name, inputs, _also, docs = case
    statements = docs["destination_kms_statements"]
    if not inputs.options.replica_kms_key:
        assert statements == []
        return
    assert {f.split(":")[0] for f in _findings(wrap(statements))} == {"RESOURCE_STAR"}
    as_key = [{**s, "Resource": inputs.options.replica_kms_key} for s in statements]
    assert _findings(wrap(as_key)) == []


def test_trust_policies_pass_parliament(case) -> None:
    """parliament treats every document as an identity policy and stops at "no Resource".

    A trust policy must not have a Resource (IAM rejects it), so the only acceptable
    finding is that MALFORMED one per statement; parliament checks the Principal before
    it (an unknown principal would show up as another finding).
    """
    _name, _inputs, _also, docs = case
    for name, document in trust_policies(docs).items():
        expected = ["MALFORMED: Statement contains neither Resource nor NotResource"] * len(document["Statement"])
        assert _findings(document) == expected, name


def test_parliament_is_not_blind() -> None:
    # the checks above must be able to fail: parliament does flag a broad policy
    broad = wrap([{"Effect": "Allow", "Action": ["s3:List*"], "Resource": "arn:aws:s3:::acme-platform-media/*"}])
    assert _findings(broad)


# --- botocore parameter validation --------------------------------------------------------------


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    session = botocore.session.get_session()
    session.set_credentials("AKIDEXAMPLE", "secret")
    return {
        service: session.create_client(service, region_name="us-east-1")
        for service in ("iam", "s3", "s3control", "kms")
    }


def _validate(models: dict[str, Any], service: str, operation: str, params: dict[str, Any]) -> None:
    client = models[service]
    op = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[operation])
    report = ParamValidator().validate(params, op.input_shape)
    assert not report.has_errors(), f"{service}.{operation}: {report.generate_report()}"


def test_requests_pass_botocore_validation(case, models) -> None:
    _name, inputs, _also, docs = case
    role_name = docs["replication_role_arn"].rsplit("/", 1)[-1]
    for name, trust in trust_policies(docs).items():
        _validate(models, "iam", "create_role", {"RoleName": role_name, "AssumeRolePolicyDocument": json.dumps(trust)})
    for name, document in identity_policies(docs).items():
        text = json.dumps(document, separators=(",", ":"))
        assert len(text) <= 10_240, f"{name} exceeds IAM's inline policy size"
        _validate(models, "iam", "put_role_policy", {"RoleName": role_name, "PolicyName": "s3xrep", "PolicyDocument": text})
    if docs["destination_policy_statements"]:
        _validate(
            models,
            "s3",
            "put_bucket_policy",
            {"Bucket": DESTINATION_BUCKET, "Policy": json.dumps(wrap(docs["destination_policy_statements"])), "ExpectedBucketOwner": DESTINATION_ACCOUNT},
        )
    _validate(
        models,
        "s3",
        "put_bucket_replication",
        {
            "Bucket": inputs.source.bucket.name,
            "ReplicationConfiguration": {"Role": docs["replication_role_arn"], "Rules": [docs["replication_rule"]]},
            "ExpectedBucketOwner": SOURCE_ACCOUNT,
        },
    )
    _validate(models, "s3control", "create_job", docs["batch_job_request"])
    if docs["destination_kms_statements"]:
        _validate(
            models,
            "kms",
            "put_key_policy",
            {"KeyId": inputs.options.replica_kms_key, "PolicyName": "default", "Policy": json.dumps(wrap(docs["destination_kms_statements"]))},
        )
    for bucket, owner in ((inputs.source.bucket.name, SOURCE_ACCOUNT), (DESTINATION_BUCKET, inputs.destination_account.id)):
        _validate(
            models,
            "s3",
            "put_bucket_versioning",
            {"Bucket": bucket, "VersioningConfiguration": {"Status": "Enabled"}, "ExpectedBucketOwner": owner},
        )


def test_botocore_validation_is_not_blind(models) -> None:
    with pytest.raises(AssertionError):
        _validate(models, "s3control", "create_job", {"AccountId": SOURCE_ACCOUNT, "Operation": {"S3ReplicateObject": {}}})


# --- focused behaviour ------------------------------------------------------------------------


def _actions(document: dict[str, Any] | list[dict[str, Any]]) -> set[str]:
    statements = document if isinstance(document, list) else document["Statement"]
    return {a for s in statements for a in s["Action"]}


def test_request_token_is_stable_per_plan_and_changes_with_it() -> None:
    inputs = make_inputs()
    role = d.batch_role_arn(inputs)
    first = d.batch_job_request(inputs, role)
    assert d.batch_job_request(make_inputs(), role)["ClientRequestToken"] == first["ClientRequestToken"]
    import uuid

    assert uuid.UUID(first["ClientRequestToken"]).version == 5
    for changed in (make_inputs(prefix="media/"), make_inputs(existing_statuses=("FAILED",)), make_inputs(job_priority=11)):
        assert d.batch_job_request(changed, d.batch_role_arn(changed))["ClientRequestToken"] != first["ClientRequestToken"]
    assert d.batch_job_request(inputs, role + "x")["ClientRequestToken"] != first["ClientRequestToken"]
    assert d.client_request_token(first) == first["ClientRequestToken"]


def test_job_request_always_sends_confirmation_false_and_no_tags() -> None:
    request = d.batch_job_request(make_inputs(), "arn:aws:iam::111111111111:role/b")
    assert request["ConfirmationRequired"] is False
    assert "Tags" not in request
    assert request["Report"] == {"Enabled": False}
    assert request["ManifestGenerator"]["S3JobManifestGenerator"]["EnableManifestOutput"] is False
    assert len(request["Description"]) <= 256


def test_report_owner_comes_from_its_facts_only_when_they_describe_that_bucket() -> None:
    facts = make_facts("some-other-bucket", "333333333333")
    inputs = make_inputs(report_bucket=facts, options=MigrationOptions(report_bucket="acme-ops-reports"))
    assert d.batch_job_request(inputs, "arn:aws:iam::111111111111:role/b")["Report"]["ExpectedBucketOwner"] == SOURCE_ACCOUNT


def test_existing_role_keeps_its_path_and_single_role_shares_it() -> None:
    arn = "arn:aws:iam::111111111111:role/service-role/legacy"
    inputs = make_inputs(single_role=True, replication_role=RoleFacts(name="legacy", exists=True, arn=arn))
    assert d.replication_role_arn(inputs) == d.batch_role_arn(inputs) == arn
    not_yet = make_inputs(replication_role=RoleFacts(name="s3xrep-repl-acme-legacy-media", exists=False))
    assert d.replication_role_arn(not_yet) == "arn:aws:iam::111111111111:role/s3xrep-repl-acme-legacy-media"


def test_same_account_needs_no_bucket_policy_and_no_owner_override() -> None:
    inputs = make_inputs(same_account=True, destination=make_facts(DESTINATION_BUCKET, SOURCE_ACCOUNT, object_ownership="ObjectWriter"))
    assert d.destination_policy_statements(inputs, d.replication_role_arn(inputs)) == []
    destination = d.replication_rule(inputs, 1)["Destination"]
    assert "Account" not in destination and "AccessControlTranslation" not in destination
    assert "s3:ObjectOwnerOverrideToBucketOwner" not in _actions(d.replication_role_policy(inputs))


def test_source_key_alias_is_never_a_resource_but_a_configured_key_arn_is() -> None:
    alias = make_facts(encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id="alias/media"))
    inputs = make_inputs(replica_kms_key=REPLICA_KEY, source=alias)
    assert "kms:Decrypt" not in _actions(d.replication_role_policy(inputs))
    arn = make_facts(encryption=EncryptionFacts(algorithm="aws:kms", kms_key_id=SOURCE_KEY))
    policy = d.replication_role_policy(make_inputs(replica_kms_key=REPLICA_KEY, source=arn))
    assert [s["Resource"] for s in policy["Statement"] if s["Action"] == ["kms:Decrypt"]] == [SOURCE_KEY]
    # no replica key: SSE-KMS objects do not replicate, so no KMS right at all
    assert not any(a.startswith("kms:") for a in _actions(d.replication_role_policy(make_inputs(source=arn))))


def test_other_rules_destinations_widen_only_what_they_need() -> None:
    inputs = make_inputs(prefix="media/")
    statements = d.replication_role_policy(inputs, ["acme-dr", "arn:aws:s3:::acme-dr", DESTINATION_BUCKET])["Statement"]
    keep = [s for s in statements if s["Sid"].endswith("KeepOtherRules")]
    assert keep and keep[0]["Resource"] == ["arn:aws:s3:::acme-dr/*"]
    read = next(s for s in statements if s["Sid"].endswith("ReadSourceObjects"))
    assert read["Resource"] == "arn:aws:s3:::acme-legacy-media/*"  # other rules' filters are not ours
    assert next(s for s in statements if s["Sid"].endswith("ReplicateObjects"))["Resource"] == "arn:aws:s3:::acme-platform-media/media/*"


def test_resource_policy_statements_are_ours_by_sid_and_principal() -> None:
    inputs = make_inputs(replica_kms_key=REPLICA_KEY)
    role = d.replication_role_arn(inputs)
    family = "S3xrep"
    for statement in d.destination_policy_statements(inputs, role) + d.destination_kms_statements(inputs, role):
        assert statement["Principal"] == {"AWS": role}
        assert statement["Sid"].startswith(family)


def test_explanations_read_like_the_issue_asks() -> None:
    inputs = make_inputs()
    role = d.replication_role_arn(inputs)
    objects = d.destination_policy_statements(inputs, role)[0]
    assert d.explain_statement(objects) == (
        "Lets role s3xrep-repl-acme-legacy-media write replicas (and their tags) into acme-platform-media/*"
    )
    assert d.explain_rule(d.replication_rule(inputs, 3)) == (
        "Rule s3xrep-to-acme-platform-media (priority 3, enabled): replicates every object to "
        "acme-platform-media in account 222222222222, without delete markers, metrics on"  # (for the alarms)
    )
    # foreign statements and legacy V1 rules are explained too
    assert "use s3:PutBucketAcl" in d.explain_statement({"Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketAcl", "Resource": "arn:aws:s3:::x"})
    assert "objects under 'logs/'" in d.explain_rule({"ID": "old", "Status": "Enabled", "Prefix": "logs/", "Destination": {"Bucket": "arn:aws:s3:::x"}})


def test_unknown_destination_region_falls_back_to_the_replica_keys_region() -> None:
    key = "arn:aws:kms:eu-west-1:222222222222:key/abc"
    inputs = make_inputs(replica_kms_key=key, destination=_destination(region=None))
    [statement] = d.destination_kms_statements(inputs, d.replication_role_arn(inputs))
    assert statement["Condition"]["StringEquals"]["kms:ViaService"] == "s3.eu-west-1.amazonaws.com"
