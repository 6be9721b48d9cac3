"""verify --engine athena: the Glue database, the two inventory tables and the workgroup, as plan steps.

Everything lives in the source account (the account that runs the comparison
and pays for it): a Glue database of ours (tagged), one table per side over
that side's inventory in AWS's documented Hive-compatible layout ("Querying
Amazon S3 Inventory with Amazon Athena",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-athena-query.html:
``SymlinkTextInputFormat`` over ``.../<config-ID>/hive/``, partitioned by ``dt``),
the partition of the report being compared, and a workgroup of ours (tagged)
whose result location is in our reports bucket and overrides client-side
settings ("Specify a query result location",
https://docs.aws.amazon.com/athena/latest/ug/query-results-specify-location.html).

One deliberate difference from the page's template: ``last_modified_date`` is
declared ``timestamp`` (the Parquet column is int64 TIMESTAMP_MILLIS), so
Athena returns the same type DuckDB reads and the verdict rows compare alike.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from .models import Side, Step, StepAction
from .names import sid_family
from .ownership import MANAGED_TAG, MANAGED_VALUE, PLAN_TAG
from .policy_json import dump_policy

SOURCE_TABLE, DESTINATION_TABLE = "source_inventory", "destination_inventory"
RESULTS_PREFIX = "s3xrep/athena-results"
SYMLINK_INPUT = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
IGNORE_KEY_OUTPUT = "org.apache.hadoop.hive.ql.io.IgnoreKeyTextOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
#: the all-versions columns verify reads ("Querying Amazon S3 Inventory with Amazon Athena", Parquet template)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("bucket", "string"), ("key", "string"), ("version_id", "string"), ("is_latest", "boolean"),
    ("is_delete_marker", "boolean"), ("size", "bigint"), ("last_modified_date", "timestamp"), ("e_tag", "string"),
    ("storage_class", "string"), ("is_multipart_uploaded", "boolean"), ("replication_status", "string"),
    ("encryption_status", "string"), ("checksum_algorithm", "string"),
)
_GLUE_NAME_BAD = re.compile(r"[^a-z0-9_]")


@dataclass(frozen=True)
class InventoryLocation:
    """Where one side's reports are: ``s3://reports_bucket/<prefix>/<bucket>/<config_id>/``, and the one compared."""

    reports_bucket: str
    base: str  # "<prefix>/<bucket>/<config_id>/" (no leading slash)
    dt: str  # the compared report's partition value: YYYY-MM-DD-HH-MM

    @property
    def hive(self) -> str:
        return f"s3://{self.reports_bucket}/{self.base}hive/"

    @property
    def partition(self) -> str:
        return f"{self.hive}dt={self.dt}/"


def _suffix(source_account: str, source_bucket: str, destination_account: str, destination_bucket: str) -> str:
    key = f"{source_account}:{source_bucket}:{destination_account}:{destination_bucket}"
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def database_name(source_account: str, source_bucket: str, destination_account: str, destination_bucket: str) -> str:
    """Ours, one per bucket pair (Glue names: lower-case letters, digits, underscores; at most 255)."""
    stem = _GLUE_NAME_BAD.sub("_", f"s3xrep_{source_bucket}"[:200].lower())
    return f"{stem}_{_suffix(source_account, source_bucket, destination_account, destination_bucket)}"


def workgroup_name(source_account: str, source_bucket: str, destination_account: str, destination_bucket: str) -> str:
    """Ours, one per bucket pair (Athena allows letters, digits, '.', '_', '-', up to 128)."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "-", f"s3xrep-verify-{source_bucket}"[:110])
    return f"{stem}-{_suffix(source_account, source_bucket, destination_account, destination_bucket)}"


def results_location(results_bucket: str, plan_id: str) -> str:
    return f"s3://{results_bucket}/{RESULTS_PREFIX}/{plan_id}/"


def table_input(name: str, location: InventoryLocation) -> dict[str, Any]:
    """Glue's TableInput for one side's inventory (the page's DDL, as the Glue API takes it)."""
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"EXTERNAL": "TRUE", MANAGED_TAG: MANAGED_VALUE},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {
            "Columns": [{"Name": n, "Type": t} for n, t in COLUMNS],
            "Location": location.hive,
            "InputFormat": SYMLINK_INPUT,
            "OutputFormat": IGNORE_KEY_OUTPUT,
            "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
        },
    }


def partition_input(location: InventoryLocation) -> dict[str, Any]:
    descriptor = table_input("-", location)["StorageDescriptor"]
    return {"Values": [location.dt], "StorageDescriptor": dict(descriptor, Location=location.partition)}


def create_table_ddl(database: str, name: str, location: InventoryLocation) -> str:
    """The same table as Athena DDL (shown in the preview; the steps use the Glue API)."""
    columns = ",\n  ".join(f"`{n}` {t}" for n, t in COLUMNS)
    return (f"CREATE EXTERNAL TABLE `{database}`.`{name}`(\n  {columns})\nPARTITIONED BY (`dt` string)\n"
            f"ROW FORMAT SERDE '{PARQUET_SERDE}'\nSTORED AS INPUTFORMAT '{SYMLINK_INPUT}'\n"
            f"OUTPUTFORMAT '{IGNORE_KEY_OUTPUT}'\nLOCATION '{location.hive}'")


def relation(database: str, table: str, dt: str) -> str:
    """The SQL relation of one side's compared report: its table, pruned to the report's partition."""
    return f"(SELECT * FROM \"{database}\".\"{table}\" WHERE dt = '{dt}')"


def reports_family(source_account: str, source_bucket: str, destination_bucket: str) -> str:
    """Our Sid family for the Athena grant in the destination's reports bucket: the pair's digest under a
    prefix of its own, so the pair family's merges (the inventory delivery statement in the same policy)
    and this one each see the other's statements as foreign, neither refusing nor removing them."""
    return "S3xrepAthena" + sid_family(source_account, source_bucket, destination_bucket)[len("S3xrep"):]


def reports_read_statements(family: str, partition: str, source_account: str,
                            location: InventoryLocation) -> list[dict[str, Any]]:
    """Let the source account (its IAM policies decide who in it) read the destination's inventory prefix only."""
    principal = {"AWS": f"arn:{partition}:iam::{source_account}:root"}
    bucket = f"arn:{partition}:s3:::{location.reports_bucket}"
    return [
        {"Sid": f"{family}Read", "Effect": "Allow", "Principal": principal, "Action": "s3:GetObject",
         "Resource": f"{bucket}/{location.base}*"},
        {"Sid": f"{family}List", "Effect": "Allow", "Principal": principal, "Action": "s3:ListBucket",
         "Resource": bucket, "Condition": {"StringLike": {"s3:prefix": f"{location.base}*"}}},
    ]


def athena_steps(plan_id: str, source_account: str, source_bucket: str, destination_account: str,
                 destination_bucket: str, *, source: InventoryLocation, destination: InventoryLocation,
                 results_bucket: str, partition: str = "aws") -> tuple[Step, ...]:
    """The writes, in order: the destination's reports bucket policy (cross-account only: Athena in the source
    account reads the destination's reports), database, tables, the compared partitions, the workgroup."""
    database = database_name(source_account, source_bucket, destination_account, destination_bucket)
    workgroup = workgroup_name(source_account, source_bucket, destination_account, destination_bucket)
    tags = {MANAGED_TAG: MANAGED_VALUE, PLAN_TAG: plan_id[:256]}
    steps: list[Step] = []

    def add(call: str, summary: str, request: dict[str, Any], action: StepAction = "create",
            account: Side = "source") -> None:
        steps.append(Step(id=f"athena-{len(steps) + 1:02d}-{call.split('.', 1)[1].replace('_', '-')}",
                          account=account, call=call, action=action, summary=summary, request=request))

    if source_account != destination_account:
        family = reports_family(source_account, source_bucket, destination_bucket)
        add("s3.put_bucket_policy",
            f"Let account {source_account} read {destination_bucket}'s inventory in {destination.reports_bucket} "
            "(merged by Sid)",
            {"Bucket": destination.reports_bucket, "ExpectedBucketOwner": destination_account,
             "Policy": dump_policy({"Version": "2012-10-17", "Statement": reports_read_statements(
                 family, partition, source_account, destination)})}, "update", "destination")
    add("glue.create_database", f"Create the Glue database {database} (ours, tagged) for the inventory tables",
        {"DatabaseInput": {"Name": database, "Description": f"s3xrep verify --engine athena: {plan_id}"},
         "Tags": tags})
    for name, where, side in ((SOURCE_TABLE, source, source_bucket), (DESTINATION_TABLE, destination, destination_bucket)):
        add("glue.create_table", f"Create the table {database}.{name} over {side}'s inventory ({where.hive})",
            {"DatabaseName": database, "TableInput": table_input(name, where)})
        add("glue.create_partition", f"Register {side}'s report of {where.dt} in {database}.{name}",
            {"DatabaseName": database, "TableName": name, "PartitionInput": partition_input(where)})
    add("athena.create_work_group",
        f"Create the Athena workgroup {workgroup} (ours, tagged): results in {results_location(results_bucket, plan_id)}",
        {"Name": workgroup, "Description": f"s3xrep verify --engine athena: {plan_id}",
         "Configuration": {"ResultConfiguration": {"OutputLocation": results_location(results_bucket, plan_id)},
                           "EnforceWorkGroupConfiguration": True, "PublishCloudWatchMetricsEnabled": False},
         "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]})
    return tuple(steps)


__all__ = ["reports_family", "reports_read_statements", "COLUMNS", "DESTINATION_TABLE", "InventoryLocation", "SOURCE_TABLE", "athena_steps", "create_table_ddl",
           "database_name", "partition_input", "relation", "results_location", "table_input", "workgroup_name"]
