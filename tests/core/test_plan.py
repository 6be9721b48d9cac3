"""The plan: step order, convergence, role reuse, and every request valid for botocore."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore import xform_name
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from s3xrep_tui.core.alarms import alarm_settings
from s3xrep_tui.core.models import AlarmFacts, KmsKeyFacts, MigrationOptions, RoleFacts
from s3xrep_tui.core.ownership import MANAGED_TAG, MANAGED_VALUE
from s3xrep_tui.core.plan import build_plan, inline_policy_name, plan_id
from tests.core.conftest import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, make_facts, make_inputs

REPLICA_KEY = f"arn:aws:kms:us-east-1:{DESTINATION_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _calls(plan):
    return [(s.account, s.call, s.action) for s in plan.steps]


def test_fresh_migration_runs_every_step_in_the_reference_order() -> None:
    inputs = make_inputs(
        source=make_facts(versioning="Unversioned"),
        destination=make_facts("acme-platform-media", DESTINATION_ACCOUNT, versioning="Suspended"),
        report_bucket="acme-legacy-batch-reports",
    )
    plan = build_plan(inputs)
    assert _calls(plan) == [
        ("source", "s3.put_bucket_versioning", "create"),
        ("destination", "s3.put_bucket_versioning", "update"),
        ("source", "iam.create_role", "create"),
        ("source", "iam.put_role_policy", "create"),
        ("source", "iam.create_role", "create"),
        ("source", "iam.put_role_policy", "create"),
        ("destination", "s3.put_bucket_policy", "create"),
        ("source", "s3.put_bucket_replication", "create"),
        ("source", "sns.create_topic", "create"),  # the alarms (issue 18), before the backfill
        ("source", "sns.set_topic_attributes", "update"),
        ("source", "s3.put_bucket_notification_configuration", "create"),
        ("source", "cloudwatch.put_metric_alarm", "create"),
        ("source", "cloudwatch.put_metric_alarm", "create"),
        ("source", "sqs.create_queue", "create"),  # the monitor's inbox of failure events
        ("source", "sns.subscribe", "create"),
        ("source", "s3control.create_job", "create"),
    ]
    assert [s.id for s in plan.steps][:2] == ["01-put-bucket-versioning", "02-put-bucket-versioning"]
    assert not plan.blocked


def _applied(inputs, plan):
    """The facts as they are after apply ran the plan."""
    docs = plan.documents
    o = inputs.options
    roles = {}
    for kind, name_of, trust_doc, policy_doc in (
        ("replication", o.replication_role_for, "replication_role_trust_policy", "replication_role_policy"),
        ("batch", o.batch_role_for, "batch_role_trust_policy", "batch_role_policy"),
    ):
        name = name_of(inputs.source.bucket.name)
        roles[kind] = RoleFacts(
            name=name,
            exists=True,
            arn=f"arn:aws:iam::{SOURCE_ACCOUNT}:role/{name}",
            trust_policy=docs[trust_doc],
            inline_policies={inline_policy_name(inputs, kind): docs[policy_doc]},
            tags={MANAGED_TAG: MANAGED_VALUE},  # apply tags the roles it creates
        )
    replica_key = inputs.replica_key
    if docs.get("destination_kms_key_policy"):
        replica_key = replica_key.model_copy(update={"policy": json.dumps(docs["destination_kms_key_policy"])})
    return inputs.model_copy(
        update={
            "source": inputs.source.model_copy(update={"replication": docs["replication_configuration"]}),
            "destination": inputs.destination.model_copy(
                update={"policy": json.dumps(docs["destination_bucket_policy"])}
            ),
            "replication_role": roles["replication"],
            "batch_role": roles["batch"],
            "replica_key": replica_key,
            # the alarms (issue 18): the topic with its policy, our notification entry, the two alarms
            "source_notifications": docs["alarms"]["notification_configuration"],
            "alarm_facts": AlarmFacts(
                topic_exists=True, topic_policy=docs["alarms"]["topic_policy"], inbox_exists=True,
                subscribed=tuple(s["Endpoint"] for s in docs["alarms"]["subscriptions"]),
                alarms={d["AlarmName"]: alarm_settings(d) for d in docs["alarms"]["alarms"]},
            ),
        }
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"prefix": "photos/", "delete_markers": True},
        {"tags": (("team", "media"),), "rtc": True},
        {
            "replica_kms_key": REPLICA_KEY,
        },
    ],
    ids=["defaults", "prefix-delete-markers", "tags-rtc", "kms"],
)
def test_a_rerun_after_apply_changes_nothing(options) -> None:
    extra = {}
    if "replica_kms_key" in options:
        extra["replica_key"] = KmsKeyFacts(arn=REPLICA_KEY, manager="CUSTOMER", region="us-east-1", state="Enabled")
    inputs = make_inputs(**options, **extra)
    first = build_plan(inputs)
    second = build_plan(_applied(inputs, first))
    not_noop = [(s.call, s.action) for s in second.steps if s.action != "no-op"]
    # creating the job is judged at apply time (list_jobs); everything else already holds
    assert not_noop == [("s3control.create_job", "create")]
    assert second.documents == first.documents
    assert second.id == first.id


def test_the_destination_policy_keeps_foreign_statements_and_a_rerun_keeps_them_too() -> None:
    foreign = {
        "Sid": "PlatformReadOnlyAudit",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{DESTINATION_ACCOUNT}:role/audit"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::acme-platform-media/*",
    }
    existing = json.dumps({"Version": "2012-10-17", "Id": "platform", "Statement": [foreign]})
    inputs = make_inputs(destination=make_facts("acme-platform-media", DESTINATION_ACCOUNT, policy=existing))
    policy = build_plan(inputs).documents["destination_bucket_policy"]
    assert policy["Statement"][0] == foreign and policy["Id"] == "platform"
    assert len(policy["Statement"]) == 2  # theirs and our ReplicateObjects (no dead GetBucketVersioning grant)
    step = next(s for s in build_plan(inputs).steps if s.call == "s3.put_bucket_policy")
    assert step.action == "update"


def test_same_account_writes_no_bucket_policy() -> None:
    plan = build_plan(make_inputs(same_account=True))
    assert "s3.put_bucket_policy" not in [s.call for s in plan.steps]
    assert plan.documents["destination_bucket_policy"] is None


def test_an_existing_role_on_the_source_is_reused_and_gets_our_inline_policy() -> None:
    other_role = f"arn:aws:iam::{SOURCE_ACCOUNT}:role/service-role/s3crr_role_for_acme"
    existing = {
        "Role": other_role,
        "Rules": [
            {
                "ID": "to-dr",
                "Priority": 1,
                "Status": "Enabled",
                "Filter": {"Prefix": "dr/"},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {"Bucket": "arn:aws:s3:::acme-dr"},
            }
        ],
    }
    plan = build_plan(make_inputs(source=make_facts(replication=existing)))
    config = plan.documents["replication_configuration"]
    assert config["Role"] == other_role
    assert config["Rules"][0] == existing["Rules"][0]
    assert config["Rules"][1]["Priority"] == 2
    calls = [(s.call, s.request.get("RoleName")) for s in plan.steps if s.call.startswith("iam.")]
    assert ("iam.put_role_policy", "s3crr_role_for_acme") in calls
    assert ("iam.create_role", "s3crr_role_for_acme") not in calls  # never touch its trust
    principal = plan.documents["destination_bucket_policy"]["Statement"][0]["Principal"]["AWS"]
    assert principal == other_role
    assert any(f.id == "replication-role-reused" for f in plan.findings)


def test_replacing_the_role_grants_ours_every_other_destination() -> None:
    existing = {
        "Role": f"arn:aws:iam::{SOURCE_ACCOUNT}:role/old",
        "Rules": [
            {
                "ID": "to-dr",
                "Priority": 1,
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {"Bucket": "arn:aws:s3:::acme-dr"},
            }
        ],
    }
    plan = build_plan(make_inputs(source=make_facts(replication=existing), replace_existing_role=True))
    assert plan.documents["replication_configuration"]["Role"].endswith("role/s3xrep-repl-acme-legacy-media")
    resources = json.dumps(plan.documents["replication_role_policy"])
    assert "arn:aws:s3:::acme-dr/*" in resources


def test_v1_rules_block_the_plan_once() -> None:
    v1 = {"Role": "arn:aws:iam::111111111111:role/old",
          "Rules": [{"ID": "legacy", "Prefix": "", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::x-dr"}}]}
    plan = build_plan(make_inputs(source=make_facts(replication=v1)))
    assert plan.blocked
    assert [f.id for f in plan.findings].count("replication-v1-rules") == 1
    assert "s3.put_bucket_replication" not in [s.call for s in plan.steps]


def test_plan_id_is_stable_and_names_both_buckets() -> None:
    assert plan_id(make_inputs()) == plan_id(make_inputs(rtc=True))
    assert plan_id(make_inputs()) != plan_id(make_inputs(rule_id="other"))
    assert plan_id(make_inputs()).startswith("acme-legacy-media-to-acme-platform-media-")


def _input_shape(session, service: str, operation: str):
    model = session.client(service).meta.service_model
    api_name = {xform_name(name): name for name in model.operation_names}[operation]
    return model.operation_model(api_name).input_shape


@pytest.mark.parametrize(
    "options",
    [
        MigrationOptions(report_bucket="acme-legacy-batch-reports", manifest_bucket="acme-legacy-batch-reports"),
        MigrationOptions(prefix="photos/2024/", tags=(("team", "media"),), rtc=True, storage_class="STANDARD_IA"),
        MigrationOptions(replica_kms_key=REPLICA_KEY, single_role=True, delete_markers=True),
    ],
    ids=["report-manifest", "scoped-rtc", "kms-single-role"],
)
def test_every_step_request_is_valid_for_the_real_service_model(options) -> None:
    inputs = make_inputs(
        options=options,
        destination=make_facts("acme-platform-media", DESTINATION_ACCOUNT, object_ownership="ObjectWriter"),
        source=make_facts(versioning="Unversioned"),
        replica_key=KmsKeyFacts(arn=REPLICA_KEY, manager="CUSTOMER", region="us-east-1", state="Enabled")
        if options.replica_kms_key
        else None,
    )
    plan = build_plan(inputs)
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    for step in plan.steps:
        service, operation = step.call.split(".")
        # raises ParamValidationError naming the bad field
        validate_parameters(step.request, _input_shape(session, service, operation))
    broken = dict(plan.steps[-1].request, Priority="high")
    with pytest.raises(ParamValidationError):
        validate_parameters(broken, _input_shape(session, "s3control", "create_job"))
