"""Running an Athena SELECT in the sandbox: DuckDB over the Parquet files the Glue tables point at.

Each table the query names is looked up in moto's Glue catalog and becomes a
DuckDB view over its files, fetched from moto's S3 into a temporary folder
(removed after the query). Athena's rules that matter here:

* A table stored with ``SymlinkTextInputFormat`` lists its data files in
  text files under its location, one ``s3://`` URI a line (the layout S3
  Inventory delivers under ``hive/dt=.../symlink.txt``: "Querying Amazon S3
  Inventory with Amazon Athena",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-athena-query.html).
* A partitioned table reads only the partitions registered in the catalog
  (``MSCK REPAIR TABLE``, "MSCK REPAIR TABLE - Amazon Athena",
  https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html); a
  literal ``col = 'v'`` (or ``IN``) on a partition column in the WHERE of the
  SELECT that reads the table prunes the others, so they are neither read nor
  counted in ``DataScannedInBytes``.
* Columns are matched by name ("Schema updates and data formats in Athena",
  Parquet reads by name); a declared column missing from a file reads NULL.

``DataScannedInBytes`` counts the whole size of every data file read; Athena
reads only the columns a query needs from Parquet, so it reports less.
The SQL (Trino's dialect, which Athena engine v3 speaks) is transpiled to
DuckDB's with sqlglot.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .athena_catalog import AthenaQueryError, Statement, glue, object_keys, split_s3_uri
from .moto_access import find_bucket, is_delete_marker

MEMORY_LIMIT = "512MB"  # DuckDB spills to the query's temporary folder past this
_HIVE_TO_DUCKDB = {"string": "VARCHAR", "varchar": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER",
                   "integer": "INTEGER", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP", "double": "DOUBLE",
                   "date": "DATE", "smallint": "SMALLINT", "tinyint": "TINYINT", "float": "FLOAT"}
_DUCKDB_TO_ATHENA = {"VARCHAR": "varchar", "BIGINT": "bigint", "HUGEINT": "bigint", "INTEGER": "integer",
                     "BOOLEAN": "boolean", "DOUBLE": "double", "FLOAT": "float", "TIMESTAMP": "timestamp",
                     "DATE": "date", "SMALLINT": "smallint", "TINYINT": "tinyint", "UBIGINT": "bigint"}


@dataclass
class QueryOutput:
    columns: list[tuple[str, str]]  # (name, Athena type)
    rows: list[list[str | None]]
    scanned_bytes: int


def _pruned_values(table: Any, partition_keys: list[str]) -> dict[str, set[str]]:
    """Partition values a literal ``=``/``IN`` in the reading SELECT's WHERE allows (missing key: any)."""
    from sqlglot import exp

    select = table.find_ancestor(exp.Select)
    where = select.args.get("where") if select is not None else None
    if where is None:
        return {}
    names = {table.alias_or_name.lower(), table.name.lower()}
    readers = [t for t in select.find_all(exp.Table) if t.find_ancestor(exp.Select) is select]
    allowed: dict[str, set[str]] = {}
    condition = where.this
    conjuncts = condition.flatten() if isinstance(condition, exp.And) else [condition]
    for term in conjuncts:
        column, values = None, None
        if isinstance(term, exp.EQ) and isinstance(term.left, exp.Column) and isinstance(term.right, exp.Literal):
            column, values = term.left, {term.right.name}
        elif isinstance(term, exp.In) and isinstance(term.this, exp.Column) and term.expressions and all(
                isinstance(v, exp.Literal) for v in term.expressions):
            column, values = term.this, {v.name for v in term.expressions}
        if column is None or values is None or column.name.lower() not in partition_keys:
            continue
        qualifier = column.table.lower()
        if (qualifier and qualifier in names) or (not qualifier and len(readers) == 1):
            key = column.name.lower()
            allowed[key] = allowed[key] & values if key in allowed else set(values)
    return allowed


def _object_bytes(uri: str) -> bytes:
    bucket_name, key = split_s3_uri(uri)
    bucket = find_bucket(bucket_name)
    latest = bucket.keys.get(key) if bucket is not None else None
    if latest is None or is_delete_marker(latest):
        raise AthenaQueryError(f"HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split {uri}: The specified key does "
                               "not exist. (Service: Amazon S3; Status Code: 404; Error Code: NoSuchKey)")
    return bytes(latest.value)


def _data_files(location: str, symlink: bool) -> list[str]:
    bucket, prefix = split_s3_uri(location if location.endswith("/") else location + "/")
    files: list[str] = []
    for key, obj in object_keys(bucket, prefix):
        name = key.rsplit("/", 1)[-1]
        if not name or name.startswith(("_", ".")):  # Hive skips these
            continue
        if symlink:
            files += [line.strip() for line in bytes(obj.value).decode().splitlines() if line.strip()]
        else:
            files.append(f"s3://{bucket}/{key}")
    return files


class _Tables:
    """The DuckDB views standing for the query's tables, and the bytes their files hold."""

    def __init__(self, con: Any, folder: Path, account: str, region: str, database: str | None) -> None:
        self.con, self.folder, self.account, self.region, self.database = con, folder, account, region, database
        self.scanned = 0
        self._fetched: dict[str, str] = {}

    def _local(self, uri: str) -> str:
        if uri not in self._fetched:
            data = _object_bytes(uri)
            self.scanned += len(data)
            path = self.folder / f"{len(self._fetched)}.parquet"
            path.write_bytes(data)
            self._fetched[uri] = str(path)
        return self._fetched[uri]

    def view_for(self, table: Any, view: str) -> None:
        database = (table.db or self.database or "default").lower()
        name = table.name.lower()
        try:
            info = glue(self.account, self.region).get_table(database, name).as_dict()
            partitions = glue(self.account, self.region).get_table(database, name).partitions.values()
        except Exception:  # noqa: BLE001 moto's TableNotFound / DatabaseNotFound
            raise AthenaQueryError(f"TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.{database}.{name}' does not "
                                   "exist") from None
        storage = info.get("StorageDescriptor") or {}
        serde = str((storage.get("SerdeInfo") or {}).get("SerializationLibrary") or "")
        input_format = str(storage.get("InputFormat") or "")
        if "parquet" not in serde.lower() and "parquet" not in input_format.lower():
            raise AthenaQueryError(f"the sandbox's Athena reads Parquet tables only ({database}.{name} is "
                                   f"{serde or input_format or 'of no known format'})")
        symlink = "SymlinkTextInputFormat" in input_format
        columns = [(c["Name"].lower(), c["Type"].lower()) for c in storage.get("Columns") or []]
        keys = [k["Name"].lower() for k in info.get("PartitionKeys") or []]
        branches: list[tuple[dict[str, str], list[str]]] = []
        if keys:
            allowed = _pruned_values(table, keys)
            for partition in partitions:
                values = dict(zip(keys, (str(v) for v in partition.values)))
                if all(values.get(k) in allowed[k] for k in allowed):
                    location = (partition.partition_input.get("StorageDescriptor") or {}).get("Location") or ""
                    branches.append((values, _data_files(location, symlink)))
        else:
            branches.append(({}, _data_files(storage.get("Location") or "", symlink)))
        selects = [self._branch(columns, keys, values, files) for values, files in branches]
        selects = [s for s in selects if s] or [self._empty(columns, keys)]
        self.con.execute(f'CREATE VIEW "{view}" AS ' + " UNION ALL BY NAME ".join(selects))

    def _branch(self, columns: list[tuple[str, str]], keys: list[str], values: dict[str, str],
                files: list[str]) -> str | None:
        if not files:
            return None
        local = ", ".join(_quote(self._local(uri)) for uri in files)
        source = f"read_parquet([{local}], union_by_name = true)"
        present = {row[0].lower(): str(row[1]).upper() for row in self.con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
        parts = []
        for name, hive_type in columns:
            duck = _HIVE_TO_DUCKDB.get(hive_type.split("(")[0], "VARCHAR")
            if name not in present:
                parts.append(f'CAST(NULL AS {duck}) AS "{name}"')
            elif present[name].startswith("TIMESTAMP") and duck == "BIGINT":  # int64 TIMESTAMP_MILLIS as bigint
                parts.append(f'epoch_ms("{name}") AS "{name}"')
            else:
                parts.append(f'CAST("{name}" AS {duck}) AS "{name}"')
        parts += [f'{_quote(values[k])} AS "{k}"' for k in keys]
        return f"SELECT {', '.join(parts)} FROM {source}"

    def _empty(self, columns: list[tuple[str, str]], keys: list[str]) -> str:
        parts = [f'CAST(NULL AS {_HIVE_TO_DUCKDB.get(t.split("(")[0], "VARCHAR")}) AS "{n}"' for n, t in columns]
        parts += [f'CAST(NULL AS VARCHAR) AS "{k}"' for k in keys]
        return f"SELECT {', '.join(parts) or '1 AS _'} WHERE false"


def _athena_type(duckdb_type: str) -> str:
    name = duckdb_type.upper().split("(")[0]
    if name.startswith("TIMESTAMP"):  # TIMESTAMP_S / _MS / _NS: Athena's timestamp(3)
        return "timestamp"
    if name.startswith("DECIMAL"):
        return "decimal"
    return _DUCKDB_TO_ATHENA.get(name, "varchar")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def run_select(statement: Statement, account: str, region: str, database: str | None) -> QueryOutput:
    """Run one SELECT (Trino SQL) over the catalog's tables; AthenaQueryError when it fails."""
    import duckdb
    from sqlglot import exp

    tree = statement.parsed.copy()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    with tempfile.TemporaryDirectory(prefix="s3xrep-athena-") as folder:
        con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "temp_directory": folder,
                                     "autoinstall_known_extensions": False, "autoload_known_extensions": False})
        try:
            tables = _Tables(con, Path(folder), account, region, database)
            for index, table in enumerate(list(tree.find_all(exp.Table))):
                if not table.db and table.name.lower() in ctes or not table.name:
                    continue
                view = f"_s3xrep_table_{index}"
                tables.view_for(table, view)
                alias = table.alias_or_name
                table.replace(exp.table_(view, alias=alias))
            try:
                result = con.execute(tree.sql(dialect="duckdb"))
                description = result.description or []
                rows = [[_text(v) for v in row] for row in result.fetchall()]
            except duckdb.Error as exc:
                raise AthenaQueryError(f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from None
            columns = [(str(d[0]), _athena_type(str(d[1]))) for d in description]
            return QueryOutput(columns, rows, tables.scanned)
        finally:
            con.close()
