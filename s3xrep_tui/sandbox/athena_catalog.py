"""Athena's DDL for the sandbox, kept in moto's Glue Data Catalog (moto parses none of it).

Athena keeps databases, tables and partitions in the Glue Data Catalog, so a
``CREATE EXTERNAL TABLE`` run through Athena is a Glue table and
``glue.get_table`` sees it ("Understanding tables, databases, and the Data
Catalog", https://docs.aws.amazon.com/athena/latest/ug/understanding-tables-databases-and-the-data-catalog.html).
Handled statements, the ones the S3 Inventory page uses
("Querying Amazon S3 Inventory with Amazon Athena",
https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-athena-query.html):
``CREATE DATABASE|SCHEMA [IF NOT EXISTS]``, ``CREATE EXTERNAL TABLE [IF NOT EXISTS]``,
``DROP TABLE [IF EXISTS]``, ``DROP DATABASE|SCHEMA [IF EXISTS] [CASCADE]`` and
``MSCK REPAIR TABLE`` (registers the ``key=value/`` folders under the table's
location as partitions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .moto_access import find_bucket


class AthenaQueryError(Exception):
    """The query FAILED: ``str()`` is Athena's StateChangeReason."""


@dataclass(frozen=True)
class Statement:
    kind: str  # "DDL" | "DML"
    parsed: Any  # sqlglot expression, or None for MSCK (sqlglot has no node for it)
    text: str


_MSCK = re.compile(r"^\s*MSCK\s+REPAIR\s+TABLE\s+([`\"\w.]+)\s*;?\s*$", re.IGNORECASE)


def glue(account: str, region: str) -> Any:
    from moto.glue.models import glue_backends

    return glue_backends[account][region]


def parse(text: str) -> Statement:
    import sqlglot
    from sqlglot import exp

    if _MSCK.match(text):
        return Statement("DDL", None, text)
    try:
        statements = [s for s in sqlglot.parse(text, read="athena") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise AthenaQueryError(f"line 1:1: mismatched input: {_first_line(exc)}") from None
    if len(statements) != 1:
        raise AthenaQueryError("Only one sql statement is allowed.")
    statement = statements[0]
    if isinstance(statement, (exp.Create, exp.Drop)):
        return Statement("DDL", statement, text)
    if isinstance(statement, (exp.Query,)):
        return Statement("DML", statement, text)
    raise AthenaQueryError(f"the sandbox's Athena does not run this statement: {text.strip()[:60]!r}")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]


def _names(table: Any, default_db: str | None) -> tuple[str, str]:
    database = table.db or default_db or "default"
    return database.lower(), table.name.lower()


def run_ddl(statement: Statement, account: str, region: str, database: str | None) -> None:
    """Apply one DDL statement to moto's Glue catalog; AthenaQueryError when Athena would fail it."""
    from sqlglot import exp

    catalog = glue(account, region)
    if statement.parsed is None:
        match = _MSCK.match(statement.text)
        assert match is not None
        parts = [p.strip('`"') for p in match.group(1).split(".")]
        db, name = (parts[-2] if len(parts) > 1 else (database or "default")).lower(), parts[-1].lower()
        repair_partitions(account, region, db, name)
        return
    node = statement.parsed
    kind = str(node.args.get("kind") or "").upper()
    exists = bool(node.args.get("exists"))
    if isinstance(node, exp.Create) and kind in ("DATABASE", "SCHEMA"):
        target = node.this
        name = (target.name or target.db).lower()
        if name in catalog.databases:
            if exists:
                return
            raise AthenaQueryError(f"FAILED: Execution Error, return code 1 from ... Database {name} already exists")
        catalog.create_database(name, {"Name": name})
        return
    if isinstance(node, exp.Drop) and kind in ("DATABASE", "SCHEMA"):
        name = (node.this.name or node.this.db).lower()
        if name not in catalog.databases:
            if exists:
                return
            raise AthenaQueryError(f"FAILED: SemanticException [Error 10072]: Database does not exist: {name}")
        if catalog.databases[name].tables and not node.args.get("cascade"):
            raise AthenaQueryError(f"FAILED: InvalidOperationException(message:Database {name} is not empty. "
                                   "One or more tables exist.)")
        catalog.delete_database(name)
        return
    if isinstance(node, exp.Create) and kind == "TABLE":
        _create_table(catalog, node, database, exists)
        return
    if isinstance(node, exp.Drop) and kind == "TABLE":
        db, name = _names(node.this, database)
        if db not in catalog.databases or name not in catalog.databases[db].tables:
            if exists:
                return
            raise AthenaQueryError(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}")
        catalog.delete_table(db, name)
        return
    raise AthenaQueryError(f"the sandbox's Athena does not run this DDL: {statement.text.strip()[:60]!r}")


def _create_table(catalog: Any, node: Any, database: str | None, exists: bool) -> None:
    from sqlglot import exp

    schema = node.this
    db, name = _names(schema.this, database)
    if db not in catalog.databases:
        raise AthenaQueryError(f"FAILED: SemanticException [Error 10072]: Database does not exist: {db}")
    if name in catalog.databases[db].tables:
        if exists:
            return
        raise AthenaQueryError(f"FAILED: AlreadyExistsException(message:Table {name} already exists)")
    columns = [{"Name": c.name.lower(), "Type": c.kind.sql(dialect="hive").lower()} for c in schema.expressions]
    storage: dict[str, Any] = {"Columns": columns, "SerdeInfo": {}}
    table: dict[str, Any] = {"Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": {"EXTERNAL": "TRUE"},
                             "PartitionKeys": [], "StorageDescriptor": storage}
    for prop in node.args["properties"].expressions:
        if isinstance(prop, exp.PartitionedByProperty):
            table["PartitionKeys"] = [{"Name": c.name.lower(), "Type": c.kind.sql(dialect="hive").lower()}
                                      for c in prop.this.expressions]
        elif isinstance(prop, exp.LocationProperty):
            storage["Location"] = prop.this.name
        elif isinstance(prop, exp.RowFormatSerdeProperty):
            storage["SerdeInfo"]["SerializationLibrary"] = prop.this.name
        elif isinstance(prop, exp.FileFormatProperty):
            formats = prop.this
            if isinstance(formats, exp.InputOutputFormat):
                storage["InputFormat"] = formats.args["input_format"].name
                storage["OutputFormat"] = formats.args["output_format"].name
            else:  # STORED AS PARQUET
                storage["InputFormat"] = formats.name.upper()
        elif isinstance(prop, exp.Property):
            table["Parameters"][prop.name] = prop.text("value")
    if not str(storage.get("Location", "")).startswith("s3://"):
        raise AthenaQueryError("FAILED: the table needs LOCATION 's3://bucket/prefix/' (Athena reads tables from S3)")
    catalog.create_table(db, name, table)


def split_s3_uri(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise AthenaQueryError(f"{uri!r} is not an s3:// location")
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    return bucket, prefix


def object_keys(bucket_name: str, prefix: str) -> list[tuple[str, Any]]:
    """The current (non-delete-marker) objects under ``prefix``, as (key, moto's FakeKey), in key order."""
    bucket = find_bucket(bucket_name)
    if bucket is None:
        raise AthenaQueryError(f"com.amazonaws.services.s3.model.AmazonS3Exception: The specified bucket does not "
                               f"exist (Bucket: {bucket_name})")
    from .moto_access import is_delete_marker

    found = []
    for key in sorted(bucket.keys.keys()):
        if not key.startswith(prefix):
            continue
        latest = bucket.keys.get(key)
        if latest is None or is_delete_marker(latest):
            continue
        found.append((key, latest))
    return found


def repair_partitions(account: str, region: str, db: str, name: str) -> None:
    """MSCK REPAIR TABLE: register each ``k=v/`` folder under the table's location as a Glue partition."""
    catalog = glue(account, region)
    try:
        table = catalog.get_table(db, name)
    except Exception:  # noqa: BLE001 moto's TableNotFound / DatabaseNotFound
        raise AthenaQueryError(f"FAILED: SemanticException [Error 10001]: Table not found {db}.{name}") from None
    info = table.as_dict()
    keys = [k["Name"] for k in info.get("PartitionKeys") or []]
    if not keys:
        return
    location = info["StorageDescriptor"]["Location"]
    bucket, prefix = split_s3_uri(location if location.endswith("/") else location + "/")
    seen: set[tuple[str, ...]] = set()
    for key, _ in object_keys(bucket, prefix):
        parts = key[len(prefix):].split("/")[: len(keys)]
        if len(parts) < len(keys) or not all(p.startswith(f"{k}=") for p, k in zip(parts, keys)):
            continue
        values = tuple(p.split("=", 1)[1] for p in parts)
        if values in seen or str(list(values)) in table.partitions:
            continue
        seen.add(values)
        storage = dict(info["StorageDescriptor"], Location=f"s3://{bucket}/{prefix}{'/'.join(parts)}/")
        table.create_partition({"Values": list(values), "StorageDescriptor": storage})
