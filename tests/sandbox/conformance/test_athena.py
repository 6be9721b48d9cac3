"""The sandbox's Athena and Glue, driven by the stock AWS CLI: DDL, queries that run, paged results.

Pages each test follows:

* "Querying Amazon S3 Inventory with Amazon Athena",
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-athena-query.html (the table DDL)
* "MSCK REPAIR TABLE", https://docs.aws.amazon.com/athena/latest/ug/msck-repair-table.html
* "Specify a query result location", https://docs.aws.amazon.com/athena/latest/ug/query-results-specify-location.html
* "Find query output files in Amazon S3", https://docs.aws.amazon.com/athena/latest/ug/querying-finding-output-files.html
* "GetQueryResults", https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html
* "QueryExecutionStatus", https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT

from ..helpers import wait_for
from .conftest import as_json

INVENTORY_DDL = """CREATE EXTERNAL TABLE inv.src_inventory(
  bucket string, key string, version_id string, is_latest boolean, is_delete_marker boolean,
  size bigint, last_modified_date bigint, e_tag string, storage_class string,
  is_multipart_uploaded boolean, replication_status string, encryption_status string)
PARTITIONED BY (dt string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.IgnoreKeyTextOutputFormat'
LOCATION 's3://reports/src/all-versions/hive/'"""
RESULTS = "s3://reports/athena-results/"


def _parquet(keys: list[str]) -> bytes:
    import datetime as dt

    n = len(keys)
    table = pa.table({
        "bucket": ["src"] * n, "key": keys, "version_id": [f"v{i}" for i in range(n)], "is_latest": [True] * n,
        "is_delete_marker": [False] * n, "size": list(range(n)),
        "last_modified_date": pa.array([dt.datetime(2026, 1, 1, 0, 0, 1)] * n, pa.timestamp("ms")),
        "e_tag": [f"etag{i}" for i in range(n)],  # storage_class etc. not configured: read as NULL
    })
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _deliver(s3: Any, dt: str, keys: list[str]) -> int:
    """One inventory report in the documented layout; the size of its data file."""
    body = _parquet(keys)
    data_key = f"src/all-versions/data/{dt}.parquet"
    s3.put_object(Bucket="reports", Key=data_key, Body=body)
    s3.put_object(Bucket="reports", Key=f"src/all-versions/hive/dt={dt}/symlink.txt",
                  Body=f"s3://reports/{data_key}\n".encode())
    return len(body)


def _finished(athena: Any, query_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        execution = athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        return execution if execution["Status"]["State"] not in ("QUEUED", "RUNNING") else None

    return wait_for(done, timeout=30, what=f"query {query_id} to finish")


def _start(aws: Any, query: str, *extra: str) -> str:
    return aws("athena", "start-query-execution", "--query-string", query,
               "--result-configuration", as_json({"OutputLocation": RESULTS}), *extra)["QueryExecutionId"]


def _run(athena: Any, query: str, **extra: Any) -> dict[str, Any]:
    query_id = athena.start_query_execution(QueryString=query, ResultConfiguration={"OutputLocation": RESULTS},
                                            **extra)["QueryExecutionId"]
    return _finished(athena, query_id)


def _setup(sandbox: Any) -> Any:
    clients = sandbox.clients(SOURCE_ACCOUNT)
    clients("s3").create_bucket(Bucket="reports")
    return clients


def test_inventory_ddl_through_athena_is_a_glue_table_and_select_reads_the_symlinked_parquet(aws, sandbox):
    """AWS's inventory table DDL run through Athena is in the Glue catalog (glue get-table sees it), MSCK
    REPAIR TABLE registers the dt= partitions, and a SELECT reads the Parquet files symlink.txt lists:
    SUCCEEDED, the header as the first row, a timestamp declared bigint read as epoch milliseconds, a
    column the report lacks read as NULL (an empty Datum)."""
    clients = _setup(sandbox)
    athena = clients("athena")
    _deliver(clients("s3"), "2026-01-01-00-00", ["a", "b"])
    assert _finished(athena, _start(aws, "CREATE DATABASE inv"))["Status"]["State"] == "SUCCEEDED"
    created = _finished(athena, _start(aws, INVENTORY_DDL))
    assert created["Status"]["State"] == "SUCCEEDED" and created["StatementType"] == "DDL"
    table = aws("glue", "get-table", "--database-name", "inv", "--name", "src_inventory")["Table"]
    assert table["StorageDescriptor"]["Location"] == "s3://reports/src/all-versions/hive/"
    assert table["StorageDescriptor"]["InputFormat"] == "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert _run(athena, "MSCK REPAIR TABLE src_inventory",
                QueryExecutionContext={"Database": "inv"})["Status"]["State"] == "SUCCEEDED"
    query_id = _start(aws, "SELECT key, size, last_modified_date, storage_class, dt FROM inv.src_inventory ORDER BY key")
    execution = _finished(athena, query_id)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = aws("athena", "get-query-results", "--query-execution-id", query_id)["ResultSet"]["Rows"]
    assert rows[0] == {"Data": [{"VarCharValue": c} for c in ("key", "size", "last_modified_date", "storage_class", "dt")]}
    assert rows[1] == {"Data": [{"VarCharValue": "a"}, {"VarCharValue": "0"}, {"VarCharValue": "1767225601000"}, {},
                                {"VarCharValue": "2026-01-01-00-00"}]}
    assert len(rows) == 3


def test_results_page_by_next_token_and_max_results_is_at_most_1000(aws, sandbox):
    """GetQueryResults: MaxResults rows a page (the header counts on the first), NextToken until the
    last page, MaxResults above 1000 refused; the result file is <OutputLocation><QueryID>.csv with
    every value quoted."""
    clients = _setup(sandbox)
    athena = clients("athena")
    _deliver(clients("s3"), "2026-01-01-00-00", [f"k{i:02}" for i in range(5)])
    for ddl in ("CREATE DATABASE inv", INVENTORY_DDL, "MSCK REPAIR TABLE inv.src_inventory"):
        assert _run(athena, ddl)["Status"]["State"] == "SUCCEEDED"
    query_id = _run(athena, "SELECT key FROM inv.src_inventory ORDER BY key")["QueryExecutionId"]
    first = aws("athena", "get-query-results", "--query-execution-id", query_id, "--no-paginate", "--max-results", "4")
    assert [r["Data"][0]["VarCharValue"] for r in first["ResultSet"]["Rows"]] == ["key", "k00", "k01", "k02"]
    assert first["ResultSet"]["ResultSetMetadata"]["ColumnInfo"][0]["Type"] == "varchar"
    rest = athena.get_query_results(QueryExecutionId=query_id, NextToken=first["NextToken"], MaxResults=4)
    assert [r["Data"][0]["VarCharValue"] for r in rest["ResultSet"]["Rows"]] == ["k03", "k04"]
    assert "NextToken" not in rest
    error = aws.fails("athena", "get-query-results", "--query-execution-id", query_id, "--no-paginate",
                      "--max-results", "1001")
    assert error.code == "InvalidRequestException" and "less than or equal to 1000" in error.stderr
    csv = clients("s3").get_object(Bucket="reports", Key=f"athena-results/{query_id}.csv")["Body"].read().decode()
    assert csv.splitlines()[:2] == ['"key"', '"k00"']


def test_partitions_prune_and_data_scanned_counts_the_files_read(aws, sandbox):
    """Only registered partitions are read (none before MSCK REPAIR TABLE); a WHERE dt = '...' reads
    that partition's files alone, and Statistics.DataScannedInBytes counts them."""
    clients = _setup(sandbox)
    athena, s3 = clients("athena"), clients("s3")
    first = _deliver(s3, "2026-01-01-00-00", ["a"])
    second = _deliver(s3, "2026-01-02-00-00", ["a", "b", "c"])
    for ddl in ("CREATE DATABASE inv", INVENTORY_DDL):
        assert _run(athena, ddl)["Status"]["State"] == "SUCCEEDED"
    before = _run(athena, "SELECT count(*) AS n FROM inv.src_inventory")
    rows = athena.get_query_results(QueryExecutionId=before["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "0"
    assert _run(athena, "MSCK REPAIR TABLE inv.src_inventory")["Status"]["State"] == "SUCCEEDED"
    query_id = _start(aws, "SELECT count(*) AS n FROM inv.src_inventory WHERE dt = '2026-01-02-00-00'")
    execution = aws("athena", "get-query-execution", "--query-execution-id", _finished(athena, query_id)["QueryExecutionId"])
    assert execution["QueryExecution"]["Statistics"]["DataScannedInBytes"] == second
    assert execution["QueryExecution"]["ResultConfiguration"]["OutputLocation"] == f"{RESULTS}{query_id}.csv"
    rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "3"
    everything = _run(athena, "SELECT count(*) AS n FROM inv.src_inventory")
    assert everything["Statistics"]["DataScannedInBytes"] == first + second


def test_no_output_location_fails_and_an_enforcing_workgroup_overrides_the_client(aws, sandbox):
    """No OutputLocation in the request or the workgroup: InvalidRequestException. A workgroup that
    overrides client-side settings writes its results where it says, whatever the request says."""
    clients = _setup(sandbox)
    error = aws.fails("athena", "start-query-execution", "--query-string", "SELECT 1")
    assert error.code == "InvalidRequestException" and "No output location provided" in error.stderr
    aws("athena", "create-work-group", "--name", "ours", "--configuration", as_json({
        "ResultConfiguration": {"OutputLocation": "s3://reports/enforced/"}, "EnforceWorkGroupConfiguration": True}))
    query_id = _start(aws, "SELECT 1 AS one", "--work-group", "ours")
    execution = _finished(clients("athena"), query_id)
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["ResultConfiguration"]["OutputLocation"] == f"s3://reports/enforced/{query_id}.csv"
    assert clients("s3").head_object(Bucket="reports", Key=f"enforced/{query_id}.csv")["ContentLength"] > 0


def test_a_failing_query_is_failed_with_its_reason_and_has_no_results(aws, sandbox):
    """A query over a table that does not exist ends FAILED with a StateChangeReason naming it;
    GetQueryResults on it is InvalidRequestException."""
    clients = _setup(sandbox)
    query_id = _start(aws, "SELECT * FROM nowhere.missing")
    status = _finished(clients("athena"), query_id)["Status"]
    assert status["State"] == "FAILED"
    assert "nowhere.missing" in status["StateChangeReason"] and "does not exist" in status["StateChangeReason"]
    error = aws.fails("athena", "get-query-results", "--query-execution-id", query_id)
    assert error.code == "InvalidRequestException" and "FAILED" in error.stderr


def test_a_glue_table_made_with_the_glue_api_is_queried_by_athena(aws, sandbox):
    """glue create-database / create-table (moto's Glue) make a table Athena reads: the catalog is one;
    glue delete-table removes it and the next query over it fails."""
    clients = _setup(sandbox)
    athena = clients("athena")
    _deliver(clients("s3"), "2026-01-01-00-00", ["x", "y"])
    aws("glue", "create-database", "--database-input", as_json({"Name": "viaglue"}))
    aws("glue", "create-table", "--database-name", "viaglue", "--table-input", as_json({
        "Name": "flat", "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": {
            "Columns": [{"Name": "key", "Type": "string"}, {"Name": "size", "Type": "bigint"}],
            "Location": "s3://reports/src/all-versions/data/",
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}}))
    execution = _run(athena, "SELECT sum(size) AS total FROM flat", QueryExecutionContext={"Database": "viaglue"})
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1]["Data"][0]["VarCharValue"] == "1"
    aws("glue", "delete-table", "--database-name", "viaglue", "--name", "flat")
    assert _run(athena, "SELECT * FROM viaglue.flat")["Status"]["State"] == "FAILED"


def test_queries_queue_run_and_stop_as_their_states_say(aws, sandbox):
    """QueryExecutionStatus: a query is QUEUED while another runs, RUNNING while it runs;
    StopQueryExecution ("StopQueryExecution", https://docs.aws.amazon.com/athena/latest/APIReference/API_StopQueryExecution.html)
    ends it CANCELLED, after which GetQueryResults refuses and the next query runs."""
    clients = _setup(sandbox)
    athena = clients("athena")
    sandbox.athena.dwell = 60.0  # each query stays RUNNING until stopped
    try:
        first = _start(aws, "SELECT 1 AS one")
        wait_for(lambda: athena.get_query_execution(QueryExecutionId=first)["QueryExecution"]["Status"]["State"]
                 == "RUNNING", timeout=10, what="the first query running")
        second = athena.start_query_execution(QueryString="SELECT 2 AS two", ResultConfiguration={
            "OutputLocation": RESULTS})["QueryExecutionId"]
        assert athena.get_query_execution(QueryExecutionId=second)["QueryExecution"]["Status"]["State"] == "QUEUED"
        aws("athena", "stop-query-execution", "--query-execution-id", first)  # raises unless it exits 0
        status = aws("athena", "get-query-execution", "--query-execution-id", first)["QueryExecution"]["Status"]
        assert status["State"] == "CANCELLED" and "CompletionDateTime" in status
        error = aws.fails("athena", "get-query-results", "--query-execution-id", first)
        assert error.code == "InvalidRequestException" and "CANCELLED" in error.stderr
        sandbox.athena.dwell = 0.0
        assert _finished(athena, second)["Status"]["State"] == "SUCCEEDED"
    finally:
        sandbox.athena.dwell = 0.0
