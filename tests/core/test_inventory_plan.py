"""core.inventory_plan in the plan: auto from the object count, the delivery statement merged by Sid, the
configuration judged against the one there, and the findings that block it."""

from __future__ import annotations

import json

from s3xrep_tui.core.inventory_plan import INVENTORY_AUTO_OBJECTS, INVENTORY_ID, inventory_configuration
from s3xrep_tui.core.plan import build_plan
from tests.core.conftest import DESTINATION_ACCOUNT, SOURCE_ACCOUNT, make_facts, make_inputs

REPORTS = {"inventory_source_bucket": "src-reports", "inventory_destination_bucket": "dst-reports"}


def _inputs(**kw):
    facts = {"source_inventory_reports": make_facts("src-reports", SOURCE_ACCOUNT),
             "destination_inventory_reports": make_facts("dst-reports", DESTINATION_ACCOUNT)}
    return make_inputs(**{**REPORTS, **facts, **kw})


def _calls(plan):
    return [(s.account, s.call, s.action) for s in plan.steps if "inventory" in (s.document or "")]


def test_auto_is_off_without_a_count_and_below_the_threshold_and_on_above_it():
    assert _calls(build_plan(_inputs())) == []
    small = build_plan(_inputs(source=make_facts(object_count=INVENTORY_AUTO_OBJECTS - 1)))
    assert _calls(small) == [] and not [f for f in small.findings if f.id == "inventory"]  # quiet below it
    big = build_plan(_inputs(source=make_facts(object_count=INVENTORY_AUTO_OBJECTS)))
    assert _calls(big) == [
        ("source", "s3.put_bucket_policy", "create"), ("source", "s3.put_bucket_inventory_configuration", "create"),
        ("destination", "s3.put_bucket_policy", "create"),
        ("destination", "s3.put_bucket_inventory_configuration", "create"),
    ]
    assert "inventory auto: on (1,000,000 objects" in next(f.message for f in big.findings if f.id == "inventory")


def test_the_delivery_statement_is_least_privilege_and_foreign_statements_are_kept():
    foreign = {"Sid": "Theirs", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
               "Action": "s3:GetObject", "Resource": "arn:aws:s3:::dst-reports/*"}
    reports = make_facts("dst-reports", DESTINATION_ACCOUNT,
                         policy=json.dumps({"Version": "2012-10-17", "Statement": [foreign]}))
    plan = build_plan(_inputs(inventory="on", destination_inventory_reports=reports))
    policy = plan.documents["destination_inventory_reports_policy"]
    assert policy["Statement"][0] == foreign
    ours = policy["Statement"][1]
    assert ours["Principal"] == {"Service": "s3.amazonaws.com"} and ours["Action"] == "s3:PutObject"
    assert ours["Resource"] == "arn:aws:s3:::dst-reports/s3xrep/inventory/acme-platform-media/*"
    assert ours["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::acme-platform-media"},
                                 "StringEquals": {"aws:SourceAccount": DESTINATION_ACCOUNT,
                                                  "s3:x-amz-acl": "bucket-owner-full-control"}}
    config = plan.documents["source_inventory_configuration"]
    assert config["IncludedObjectVersions"] == "All" and config["Destination"]["S3BucketDestination"]["Format"] == "Parquet"
    assert set(config["OptionalFields"]) >= {"Size", "ETag", "StorageClass", "ReplicationStatus", "EncryptionStatus"}


def test_our_configuration_already_there_is_a_no_op_and_a_different_one_with_our_id_blocks():
    same = inventory_configuration("src-reports", SOURCE_ACCOUNT, "s3xrep/inventory")
    plan = build_plan(_inputs(inventory="on", source_inventory=same))
    assert ("source", "s3.put_bucket_inventory_configuration", "no-op") in _calls(plan)
    other = {**same, "IsEnabled": False}
    blocked = build_plan(_inputs(inventory="on", source_inventory=other))
    assert any(f.id == "inventory-source-configuration-taken" and f.severity == "blocking" for f in blocked.findings)
    adopted = build_plan(_inputs(inventory="on", source_inventory=other, adopt=True))
    assert ("source", "s3.put_bucket_inventory_configuration", "update") in _calls(adopted)
    assert INVENTORY_ID in blocked.findings[0].message or any(INVENTORY_ID in f.message for f in blocked.findings)


def test_reports_buckets_must_be_given_exist_be_the_sides_own_and_not_be_replicated():
    unset = build_plan(make_inputs(inventory="on"))
    assert {"inventory-source-reports-unset", "inventory-destination-reports-unset"} <= {f.id for f in unset.findings}
    missing = build_plan(_inputs(inventory="on", source_inventory_reports=make_facts("src-reports", exists=False)))
    assert "inventory-source-reports-missing" in {f.id for f in missing.findings}
    foreign = build_plan(_inputs(inventory="on", destination_inventory_reports=make_facts("dst-reports", SOURCE_ACCOUNT)))
    assert "inventory-destination-reports-wrong-owner" in {f.id for f in foreign.findings}
    elsewhere = build_plan(_inputs(inventory="on", source_inventory_reports=make_facts("src-reports", region="eu-west-1")))
    assert "inventory-source-reports-wrong-region" in {f.id for f in elsewhere.findings}
    itself = build_plan(_inputs(inventory="on", inventory_source_bucket="acme-legacy-media"))
    assert "inventory-source-reports-replicated" in {f.id for f in itself.findings}
    assert all(f.severity == "blocking" for f in itself.findings if f.id.startswith("inventory-source"))


def test_the_inventory_requests_are_valid_for_botocores_model():
    import boto3
    from botocore.validate import validate_parameters

    plan = build_plan(_inputs(inventory="on"))
    s3 = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1").client("s3")
    model = s3.meta.service_model
    names = {"s3.put_bucket_policy": "PutBucketPolicy",
             "s3.put_bucket_inventory_configuration": "PutBucketInventoryConfiguration"}
    steps = [s for s in plan.steps if s.call in names and "inventory" in (s.document or "")]
    assert len(steps) == 4
    for step in steps:
        validate_parameters(step.request, model.operation_model(names[step.call]).input_shape)
    enum = model.shape_for("InventoryOptionalField").enum
    assert set(plan.documents["source_inventory_configuration"]["OptionalFields"]) <= set(enum)


def test_every_export_carries_the_inventory_steps():
    from s3xrep_tui.core.exports import export_files

    plan = build_plan(_inputs(inventory="on"))
    script = json.dumps(export_files(plan, "aws-cli"))
    assert "put-bucket-inventory-configuration --bucket acme-legacy-media --id s3xrep-all-versions" in script
    import yaml

    destination = yaml.safe_load(export_files(plan, "cloudformation")["destination-account.cfn.yaml"])
    policies = [r["Properties"]["Bucket"] for r in destination["Resources"].values() if r["Type"] == "AWS::S3::BucketPolicy"]
    assert sorted(policies) == ["acme-platform-media", "dst-reports"]  # the reports policy does not replace the other
    hcl = "".join(export_files(plan, "terraform").values())
    assert 'resource "aws_s3_bucket_inventory" "source_inventory"' in hcl
    assert 'resource "aws_s3_bucket_policy" "destination_inventory_reports"' in hcl
