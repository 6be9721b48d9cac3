"""core.athena_plan (the Athena engine's steps and documents) and core.athena_cost (the projection)."""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.validate import ParamValidator

from s3xrep_tui.core.athena_cost import MIN_BYTES_PER_QUERY, TB, bytes_per_version, project_athena
from s3xrep_tui.core.athena_plan import (
    InventoryLocation,
    athena_steps,
    create_table_ddl,
    database_name,
    relation,
    workgroup_name,
)
from s3xrep_tui.core.ownership import MANAGED_TAG, MANAGED_VALUE

SRC = InventoryLocation("src-reports", "src-bucket/s3xrep-all-versions/", "2026-12-01-00-00")
DST = InventoryLocation("dst-reports", "dst-bucket/s3xrep-all-versions/", "2026-12-01-01-00")


def _steps():
    return athena_steps("plan-1", "111111111111", "src-bucket", "222222222222", "dst-bucket",
                        source=SRC, destination=DST, results_bucket="src-reports")


def test_every_step_request_is_valid_for_botocore() -> None:
    """Each step's request passes botocore's own model for its call (Glue and Athena)."""
    session = botocore.session.get_session()
    for step in _steps():
        service, call = step.call.split(".", 1)
        model = session.get_service_model(service)
        operation = model.operation_model("".join(part.title() for part in call.split("_")))
        report = ParamValidator().validate(step.request, operation.input_shape)
        assert not report.has_errors(), (step.call, report.generate_report())


def test_the_steps_make_our_tagged_database_tables_partitions_and_enforcing_workgroup() -> None:
    steps = _steps()
    assert [s.call for s in steps] == ["s3.put_bucket_policy", "glue.create_database", "glue.create_table", "glue.create_partition",
                                       "glue.create_table", "glue.create_partition", "athena.create_work_group"]
    assert [s.account for s in steps] == ["destination"] + ["source"] * 6
    grant = json.loads(steps[0].request["Policy"])["Statement"]
    assert {g["Principal"]["AWS"] for g in grant} == {"arn:aws:iam::111111111111:root"}
    assert grant[0]["Resource"] == "arn:aws:s3:::dst-reports/dst-bucket/s3xrep-all-versions/*"
    assert grant[1]["Condition"] == {"StringLike": {"s3:prefix": "dst-bucket/s3xrep-all-versions/*"}}
    steps = steps[1:]
    assert steps[0].request["Tags"][MANAGED_TAG] == MANAGED_VALUE
    table = steps[1].request["TableInput"]["StorageDescriptor"]
    assert table["Location"] == "s3://src-reports/src-bucket/s3xrep-all-versions/hive/"
    assert table["InputFormat"] == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
    assert steps[4].request["PartitionInput"] == {"Values": ["2026-12-01-01-00"], "StorageDescriptor": {
        **steps[3].request["TableInput"]["StorageDescriptor"],
        "Location": "s3://dst-reports/dst-bucket/s3xrep-all-versions/hive/dt=2026-12-01-01-00/"}}
    workgroup = steps[5].request
    assert workgroup["Configuration"]["EnforceWorkGroupConfiguration"] is True
    assert workgroup["Configuration"]["ResultConfiguration"]["OutputLocation"] == \
        "s3://src-reports/s3xrep/athena-results/plan-1/"
    assert {"Key": MANAGED_TAG, "Value": MANAGED_VALUE} in workgroup["Tags"]


def test_one_account_needs_no_reports_grant() -> None:
    steps = athena_steps("p", "111111111111", "a", "111111111111", "b", source=SRC, destination=DST,
                         results_bucket="src-reports")
    assert steps[0].call == "glue.create_database"


def test_names_are_valid_and_one_per_pair() -> None:
    name = database_name("111111111111", "My.Bucket-1", "222222222222", "dst")
    assert name.startswith("s3xrep_my_bucket_1_") and name == name.lower() and len(name) <= 255
    assert name != database_name("111111111111", "My.Bucket-1", "222222222222", "other")
    long = workgroup_name("111111111111", "b" * 63, "222222222222", "dst")
    assert len(long) <= 128 and long.startswith("s3xrep-verify-")


def test_the_ddl_is_the_documented_inventory_table_and_the_relation_prunes_to_the_report() -> None:
    ddl = create_table_ddl("db", "source_inventory", SRC)
    assert "PARTITIONED BY (`dt` string)" in ddl and "SymlinkTextInputFormat" in ddl and "ParquetHiveSerDe" in ddl
    assert ddl.endswith("LOCATION 's3://src-reports/src-bucket/s3xrep-all-versions/hive/'")
    assert relation("db", "source_inventory", "2026-12-01-00-00") == \
        "(SELECT * FROM \"db\".\"source_inventory\" WHERE dt = '2026-12-01-00-00')"


def test_the_projection_scales_measured_bytes_to_a_billion_versions() -> None:
    per_version = bytes_per_version(30_000_000, 1_000_000)  # 30 bytes a row, as measured
    projection = project_athena(per_version, per_version)
    assert projection.bytes_per_query == 60 * 10**9  # both sides, a billion rows each
    assert projection.bytes_scanned == 4 * 60 * 10**9
    assert projection.cost_usd == pytest.approx(4 * 60 * 10**9 / TB * 5.0)
    assert projection.seconds == pytest.approx(240.0)
    assert "1,000,000,000 versions a side" in projection.text() and "$1.20" in projection.text()


def test_the_projection_bills_athena_minimum_and_refuses_nonsense() -> None:
    tiny = project_athena(10.0, 10.0, versions_per_side=10)
    assert tiny.cost_usd == pytest.approx(4 * MIN_BYTES_PER_QUERY / TB * 5.0)
    assert bytes_per_version(100, 0) == 0.0
    with pytest.raises(ValueError):
        project_athena(1.0, 1.0, scan_bytes_per_second=0)


def test_the_reports_grant_and_the_pair_s_own_statements_leave_each_other_alone() -> None:
    """The grant's Sids are outside the pair's Sid family: re-merging the pair's statements (the inventory
    delivery statement in the same reports bucket) keeps the grant, and merging the grant keeps theirs."""
    from s3xrep_tui.core.athena_plan import reports_family, reports_read_statements
    from s3xrep_tui.core.merge import merge_bucket_policy
    from s3xrep_tui.core.names import sid_family

    pair = sid_family("111111111111", "src-bucket", "dst-bucket")
    delivery = {"Sid": f"{pair}InventoryDestination", "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "s3:PutObject", "Resource": "arn:aws:s3:::dst-reports/*"}
    grant = reports_read_statements(reports_family("111111111111", "src-bucket", "dst-bucket"), "aws",
                                    "111111111111", DST)
    assert not any(g["Sid"].startswith(pair) for g in grant)
    both = merge_bucket_policy(json.dumps({"Version": "2012-10-17", "Statement": [delivery]}), grant,
                               family=reports_family("111111111111", "src-bucket", "dst-bucket"), bucket="dst-reports")
    again = merge_bucket_policy(json.dumps(both.policy), [delivery], family=pair, bucket="dst-reports")
    assert [s["Sid"] for s in again.policy["Statement"]] == [s["Sid"] for s in both.policy["Statement"]]
    assert len(again.policy["Statement"]) == 3


def test_a_projection_from_a_small_report_says_it_is_an_upper_bound() -> None:
    assert "an upper bound" in project_athena(2700.0, 2700.0, measured_versions=3).text()
    assert "upper bound" not in project_athena(17.0, 17.0, measured_versions=1_000_000).text()
