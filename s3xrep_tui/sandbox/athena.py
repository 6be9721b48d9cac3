"""Athena for the sandbox: queries that really run (moto's never do).

moto accepts ``StartQueryExecution`` but never executes anything, reports
SUCCEEDED at once with empty results and no paging. This middleware answers
``StartQueryExecution``, ``GetQueryExecution``, ``GetQueryResults`` and
``StopQueryExecution`` itself, over botocore's JSON protocol; every other
Athena call (work groups, named queries, ...) goes on to moto, and Glue calls
go to moto's Glue, which holds what DDL through Athena creates.

Behaviours, each from AWS's pages:

* A query is QUEUED, then RUNNING, then SUCCEEDED or FAILED with a
  ``StateChangeReason`` (``QueryExecutionStatus``,
  https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html);
  one worker thread runs them in order, so later ones wait QUEUED.
* The output location is the workgroup's when the workgroup overrides
  client-side settings (``EnforceWorkGroupConfiguration``), else the request's,
  else the workgroup's; with none the call fails with InvalidRequestException
  ("Specify a query result location",
  https://docs.aws.amazon.com/athena/latest/ug/query-results-specify-location.html).
* Results are written to ``<OutputLocation><QueryID>.csv`` (every value quoted,
  a header line) for DML and ``<QueryID>.txt`` for DDL ("Find query output files
  in Amazon S3", https://docs.aws.amazon.com/athena/latest/ug/querying-finding-output-files.html),
  in the output bucket, which must exist.
* ``GetQueryResults`` pages by ``NextToken`` with ``MaxResults`` up to 1000; the
  first row of a SELECT's first page is the column names ("GetQueryResults",
  https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html);
  a query not SUCCEEDED gives InvalidRequestException.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Response

from .athena_catalog import AthenaQueryError, glue, parse, run_ddl, split_s3_uri
from .athena_engine import QueryOutput, run_select
from .moto_access import find_bucket, s3_backend
from .server import Call, Forward

log = logging.getLogger(__name__)

MAX_RESULTS = 1000
_TARGET = "AmazonAthena."


@dataclass
class Execution:
    id: str
    query: str
    account: str
    region: str
    workgroup: str
    database: str | None
    catalog: str
    output_location: str
    statement_type: str = "DML"
    state: str = "QUEUED"
    reason: str | None = None
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    completed: float | None = None
    output: QueryOutput | None = None

    def as_dict(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.reason is not None:
            status["StateChangeReason"] = self.reason
            status["AthenaError"] = {"ErrorCategory": 2, "Retryable": False, "ErrorMessage": self.reason}
        queued = ((self.started or time.time()) - self.submitted) * 1000
        engine = ((self.completed or time.time()) - self.started) * 1000 if self.started else 0
        context: dict[str, Any] = {"Catalog": self.catalog}
        if self.database:
            context["Database"] = self.database
        return {
            "QueryExecutionId": self.id, "Query": self.query, "StatementType": self.statement_type,
            "ResultConfiguration": {"OutputLocation": self.result_uri},
            "QueryExecutionContext": context, "Status": status, "WorkGroup": self.workgroup,
            "Statistics": {"EngineExecutionTimeInMillis": int(engine), "QueryQueueTimeInMillis": int(queued),
                           "TotalExecutionTimeInMillis": int(engine + queued),
                           "DataScannedInBytes": self.output.scanned_bytes if self.output else 0},
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        }

    @property
    def result_uri(self) -> str:
        suffix = "txt" if self.statement_type == "DDL" else "csv"
        return f"{self.output_location.rstrip('/')}/{self.id}.{suffix}"


def _json(payload: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(payload, default=str), status=status, content_type="application/x-amz-json-1.1")


def _error(code: str, message: str, status: int = 400) -> Response:
    body: dict[str, Any] = {"__type": code, "Message": message}
    if code == "InvalidRequestException":
        body["AthenaErrorCode"] = "INVALID_INPUT"
    return _json(body, status)


class AthenaQueries:
    """Sandbox middleware: Athena query execution over moto's Glue catalog and S3."""

    def __init__(self, *, dwell: float = 0.0) -> None:
        self.dwell = dwell  # least seconds a query stays RUNNING (tests of waits and StopQueryExecution set it)
        self._stopping = threading.Event()
        self._executions: dict[str, Execution] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="s3xrep-sandbox-athena", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def __call__(self, call: Call, forward: Forward) -> Response:
        target = call.request.headers.get("X-Amz-Target", "")
        if call.service != "athena" or not target.startswith(_TARGET):
            return forward()
        operation = target[len(_TARGET):]
        handler = {"StartQueryExecution": self._start, "GetQueryExecution": self._get,
                   "GetQueryResults": self._results, "StopQueryExecution": self._stop_query}.get(operation)
        if handler is None:
            return forward()
        try:
            body = json.loads(call.body or b"{}")
        except ValueError:
            return _error("SerializationException", "the request body is not JSON")
        return handler(call, body)

    # -- the calls --------------------------------------------------------------------------

    def _start(self, call: Call, body: dict[str, Any]) -> Response:
        from moto.athena.models import athena_backends

        query = body.get("QueryString") or ""
        if not query.strip():
            return _error("InvalidRequestException", "QueryString must not be empty")
        region = call.region or "us-east-1"
        workgroup_name = body.get("WorkGroup") or "primary"
        workgroup = athena_backends[call.account_id][region].work_groups.get(workgroup_name)
        if workgroup is None:
            return _error("InvalidRequestException", f"WorkGroup {workgroup_name} is not found.")
        configuration = workgroup.configuration or {}
        group_location = (configuration.get("ResultConfiguration") or {}).get("OutputLocation")
        client_location = (body.get("ResultConfiguration") or {}).get("OutputLocation")
        if configuration.get("EnforceWorkGroupConfiguration") and group_location:
            location = group_location
        else:
            location = client_location or group_location
        if not location:
            return _error("InvalidRequestException", "No output location provided. An output location is required "
                          "either through the Workgroup result configuration setting or as an API input.")
        context = body.get("QueryExecutionContext") or {}
        execution = Execution(id=str(uuid.uuid4()), query=query, account=call.account_id, region=region,
                              workgroup=workgroup_name, database=(context.get("Database") or None),
                              catalog=context.get("Catalog") or "AwsDataCatalog", output_location=location)
        with self._lock:
            self._executions[execution.id] = execution
        self._queue.put(execution.id)
        return _json({"QueryExecutionId": execution.id})

    def _find(self, call: Call, body: dict[str, Any]) -> Execution | None:
        execution = self._executions.get(str(body.get("QueryExecutionId") or ""))
        if execution is None or execution.account != call.account_id:
            return None
        return execution

    def _not_found(self, body: dict[str, Any]) -> Response:
        return _error("InvalidRequestException", f"QueryExecution {body.get('QueryExecutionId')} was not found")

    def _get(self, call: Call, body: dict[str, Any]) -> Response:
        execution = self._find(call, body)
        if execution is None:
            return self._not_found(body)
        with self._lock:
            return _json({"QueryExecution": execution.as_dict()})

    def _stop_query(self, call: Call, body: dict[str, Any]) -> Response:
        execution = self._find(call, body)
        if execution is None:
            return self._not_found(body)
        with self._lock:
            if execution.state in ("QUEUED", "RUNNING"):
                execution.state, execution.completed = "CANCELLED", time.time()
        return _json({})

    def _results(self, call: Call, body: dict[str, Any]) -> Response:
        execution = self._find(call, body)
        if execution is None:
            return self._not_found(body)
        limit = body.get("MaxResults", MAX_RESULTS)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_RESULTS:
            return _error("InvalidRequestException", f"1 validation error detected: Value '{limit}' at "
                          "'maxResults' failed to satisfy constraint: Member must have value less than or equal "
                          f"to {MAX_RESULTS}")
        if execution.state != "SUCCEEDED":
            if execution.state in ("QUEUED", "RUNNING"):
                message = f"Query has not yet finished. Current state: {execution.state}"
            else:
                message = f"Query did not finish successfully. Final query state: {execution.state}"
            return _error("InvalidRequestException", message)
        output = execution.output
        assert output is not None
        rows: list[list[str | None]] = []
        if execution.statement_type == "DML":
            rows = [[name for name, _ in output.columns], *output.rows]
        start = 0
        token = body.get("NextToken")
        if token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
                start = int(decoded["offset"]) if decoded["id"] == execution.id else -1
            except (ValueError, KeyError, TypeError):
                start = -1
            if start < 0:
                return _error("InvalidRequestException", "The NextToken is not valid for this query execution")
        page = rows[start:start + limit]
        metadata = [{"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name,
                     "Type": kind, "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": kind == "varchar"}
                    for name, kind in output.columns]
        answer: dict[str, Any] = {
            "ResultSet": {"Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page],
                          "ResultSetMetadata": {"ColumnInfo": metadata}},
            "UpdateCount": 0,
        }
        if start + limit < len(rows):
            answer["NextToken"] = base64.urlsafe_b64encode(
                json.dumps({"id": execution.id, "offset": start + limit}).encode()).decode()
        return _json(answer)

    # -- the worker ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            query_id = self._queue.get()
            if query_id is None:
                return
            execution = self._executions.get(query_id)
            with self._lock:
                if execution is None or execution.state != "QUEUED":
                    continue
                execution.state, execution.started = "RUNNING", time.time()
            try:
                output, kind = self._execute(execution)
            except AthenaQueryError as exc:
                output, kind, reason = None, execution.statement_type, str(exc)
            except Exception as exc:  # a bug here fails the query, never the worker
                log.exception("sandbox Athena query %s failed", query_id)
                output, kind, reason = None, execution.statement_type, f"INTERNAL_ERROR: {type(exc).__name__}"
            else:
                reason = None
            self._dwell(execution)
            with self._lock:
                if execution.state == "CANCELLED":
                    continue
                execution.statement_type, execution.output = kind, output
                execution.state = "SUCCEEDED" if reason is None else "FAILED"
                execution.reason, execution.completed = reason, time.time()

    def _dwell(self, execution: Execution) -> None:
        """Stay RUNNING until ``dwell`` seconds after the start (or the query is stopped, or the sandbox is)."""
        assert execution.started is not None
        while execution.state == "RUNNING" and not self._stopping.is_set():
            left = execution.started + self.dwell - time.time()
            if left <= 0:
                return
            self._stopping.wait(min(left, 0.05))

    def _execute(self, execution: Execution) -> tuple[QueryOutput, str]:
        statement = parse(execution.query)
        execution.statement_type = statement.kind
        if statement.kind == "DDL":
            run_ddl(statement, execution.account, execution.region, execution.database)
            output = QueryOutput([], [], 0)
            self._write(execution, b"")
            return output, "DDL"
        if execution.database and execution.database.lower() not in glue(execution.account, execution.region).databases:
            raise AthenaQueryError(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{execution.database}' does not exist")
        output = run_select(statement, execution.account, execution.region, execution.database)
        self._write(execution, _csv(output))
        return output, "DML"

    def _write(self, execution: Execution, data: bytes) -> None:
        bucket_name, key = split_s3_uri(execution.result_uri)
        bucket = find_bucket(bucket_name)
        if bucket is None:
            raise AthenaQueryError(f"Unable to verify/create output bucket {bucket_name}")
        s3_backend(bucket.account_id).put_object(bucket_name, key, data)


def _csv(output: QueryOutput) -> bytes:
    """Every value quoted; a NULL is left empty and unquoted, as Athena writes it."""
    def cell(value: str | None) -> str:
        return "" if value is None else '"' + value.replace('"', '""') + '"'

    lines = [",".join(cell(name) for name, _ in output.columns)]
    lines += [",".join(cell(v) for v in row) for row in output.rows]
    return ("\n".join(lines) + "\n").encode()
