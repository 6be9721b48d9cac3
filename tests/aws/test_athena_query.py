"""aws.athena_query against the sandbox's Athena: a bounded wait (a query past its timeout is stopped and
fails in one line), results paged back typed (more rows than one page, the header skipped)."""

from __future__ import annotations

import time

import pytest

from s3xrep_tui.aws.athena_query import AthenaRunner
from s3xrep_tui.aws.backoff import Backoff
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.sandbox.emulator import SOURCE_ACCOUNT
from tests.sandbox.conftest import sandbox  # noqa: F401  (a sandbox per test)

RESULTS = "s3://results/q/"


def _runner(sandbox, **kw) -> AthenaRunner:
    clients = sandbox.clients(SOURCE_ACCOUNT)
    clients("s3").create_bucket(Bucket="results")
    athena = clients("athena")
    athena.create_work_group(Name="wg", Configuration={"ResultConfiguration": {"OutputLocation": RESULTS},
                                                       "EnforceWorkGroupConfiguration": True})
    athena.start_query_execution(QueryString="CREATE DATABASE db", WorkGroup="wg")
    return AthenaRunner(athena, "wg", "db", poll=Backoff(first=0.05, factor=1.5, max_delay=0.2), **kw)


def test_a_query_past_its_timeout_is_stopped_and_fails_in_one_line(sandbox) -> None:
    runner = _runner(sandbox, timeout=0.5)
    sandbox.athena.dwell = 60.0
    started = time.monotonic()
    try:
        with pytest.raises(AwsError) as caught:
            runner.execute("SELECT 1 AS one")
    finally:
        sandbox.athena.dwell = 0.0
    assert time.monotonic() - started < 10
    assert caught.value.code == "AthenaTimeout" and "did not finish within 0.5 s" in caught.value.message
    assert "\n" not in caught.value.message
    executions = sandbox.athena._executions.values()
    assert [e.state for e in executions if e.query == "SELECT 1 AS one"] == ["CANCELLED"]


def test_rows_come_back_typed_over_several_pages(sandbox) -> None:
    runner = _runner(sandbox, timeout=60)
    cursor = runner.execute("SELECT n, n % 2 = 0 AS even, CAST(NULL AS varchar) AS nothing, "
                            "TIMESTAMP '2026-01-02 03:04:05' AS at FROM UNNEST(sequence(1, 2500)) AS t(n)")
    assert [name for name, _ in cursor.description] == ["n", "even", "nothing", "at"]
    rows = cursor.fetchall()
    assert len(rows) == 2500 and rows[0][:3] == (1, False, None) and rows[-1][:2] == (2500, True)
    assert rows[0][3].isoformat() == "2026-01-02T03:04:05"
    assert runner.queries == 1


def test_a_failed_query_names_its_reason(sandbox) -> None:
    runner = _runner(sandbox, timeout=60)
    with pytest.raises(AwsError) as caught:
        runner.execute("SELECT * FROM missing_table")
    assert caught.value.code == "AthenaQueryFailed" and "does not exist" in caught.value.message
