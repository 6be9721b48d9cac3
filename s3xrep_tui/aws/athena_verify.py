"""``verify --inventory --engine athena``: the same comparison SQL, run in Athena in the source account.

The reports are found as for DuckDB (``aws.inventory_reports.find_report``,
each side with its own credentials), then the Glue database, the two tables
over the reports' ``hive/`` folders, the compared partitions and our workgroup
are made if absent (``aws.athena_setup``: journaled in the pair's journal,
undoable, refused read-only), and ``aws.inventory_duckdb.compare`` runs the
``core.inventory_sql`` texts through :class:`AthenaConnection` instead of
DuckDB. So both engines give the same counts, kept rows and reasons from one
SQL text; each relation is the table pruned to the compared report's ``dt``.

The destination's reports are read by Athena in the source account: on AWS the
destination's reports bucket must let the source account read the inventory
prefix (the sandbox, like moto, does not check cross-account reads).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlglot

from ..core.athena_cost import AthenaProjection, bytes_per_version, project_athena
from ..core.athena_plan import (
    DESTINATION_TABLE,
    SOURCE_TABLE,
    InventoryLocation,
    athena_steps,
    database_name,
    relation,
    workgroup_name,
)
from ..core.inventory_sql import UNDECIDED, InventoryScope, rows_sql, summary_sql, to_duckdb
from ..core.verify import _AGREES, _MATTERS, Outcome
from .athena_query import DEFAULT_TIMEOUT, AthenaCursor, AthenaRunner
from .athena_setup import pair_plan, set_up
from .clients import Clients
from .errors import AwsError
from .inventory_duckdb import compare
from .inventory_reports import InventoryReport, find_report
from .inventory_verify import InventoryVerifyReport, _scope
from .read_only import process_read_only
from .results import find_plan_id, plan_id_for
from .verify import _account, _Bucket


class AthenaConnection:
    """What ``compare`` needs of a DuckDB connection (``execute(sql)`` -> cursor), answered by Athena.

    ``compare`` hands over the DuckDB text of each query; the Trino text it came
    from is looked up (made from the same arguments), so Athena runs the one SQL
    text as written, never a translation of a translation. A text not foreseen
    is transpiled back by sqlglot.
    """

    def __init__(self, runner: AthenaRunner, texts: list[str]) -> None:
        self.runner = runner
        self._trino = {to_duckdb(text): text for text in texts}

    def execute(self, sql: str) -> AthenaCursor:
        text = self._trino.get(sql) or ";\n".join(sqlglot.transpile(sql, read="duckdb", write="trino"))
        return self.runner.execute(text)

    def close(self) -> None:
        return None


def compare_texts(source: str, destination: str, scope: InventoryScope, limit: int | None) -> list[str]:
    """The Trino texts ``inventory_duckdb.compare`` issues for these arguments."""
    matters = [o.value for o in _MATTERS]
    expected = [o.value for o in set(Outcome) - _MATTERS - _AGREES]
    return [summary_sql(source, destination, scope), rows_sql(source, destination, scope, matters, limit),
            rows_sql(source, destination, scope, expected, limit), rows_sql(source, destination, scope, [UNDECIDED])]


def location_of(report: InventoryReport) -> InventoryLocation:
    """The report's hive folder and partition (``<base><stamp>/manifest.json`` -> ``<base>hive/dt=...``)."""
    base = report.manifest_key.rsplit("/", 2)[0] + "/"
    return InventoryLocation(report.reports_bucket, base, report.started.strftime("%Y-%m-%d-%H-%M"))


@dataclass
class AthenaVerifyReport(InventoryVerifyReport):
    """An inventory verify run in Athena: also the bytes it scanned and the projection at a billion versions."""

    database: str = ""
    workgroup: str = ""
    queries: int = 0
    scanned_bytes: int = 0
    projection: AthenaProjection | None = None

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["engine"] = "athena"
        data["athena"] = {"database": self.database, "workgroup": self.workgroup, "queries": self.queries,
                          "data_scanned_bytes": self.scanned_bytes,
                          "projected_billion": self.projection.as_dict() if self.projection else None}
        return data


def _report_bytes(report: InventoryReport) -> int:
    return sum(int(f.get("size") or 0) for f in report.files)


def verify_with_athena(
    source: Clients,
    destination: Clients,
    source_bucket: str,
    destination_bucket: str,
    *,
    prefix: str = "",
    limit: int | None = 20,
    plan_id: str | None = None,
    read_only: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Callable[[str], None] | None = None,
) -> AthenaVerifyReport:
    """Compare the newest complete inventories of both buckets in Athena (set up first, journaled)."""
    if read_only or process_read_only():  # before any call: the whole engine writes
        raise AwsError("read-only mode: verify --engine athena writes (a Glue database and tables, a workgroup, "
                       "each query's results) and Athena bills the bytes it scans",
                       "verify with --engine duckdb (it only reads), or without --read-only", "ReadOnly")
    started = time.monotonic()
    say = progress or (lambda _: None)
    source_owner, destination_owner = _account(source, "source"), _account(destination, "destination")
    src = _Bucket(source, source_bucket, source_owner, "source")
    dst = _Bucket(destination, destination_bucket, destination_owner, "destination")
    scope, facts, rules = _scope(src, dst, prefix)
    say("finding the newest complete inventory reports")
    reports = (find_report(src), find_report(dst))
    where = (location_of(reports[0]), location_of(reports[1]))
    plan_id = plan_id or find_plan_id(source_bucket, destination_bucket, source_account=source_owner,
                                      destination_account=destination_owner) \
        or plan_id_for(source_owner, source_bucket, destination_owner, destination_bucket)
    steps = athena_steps(plan_id, source_owner, source_bucket, destination_owner, destination_bucket,
                         source=where[0], destination=where[1], results_bucket=reports[0].reports_bucket)
    plan = pair_plan(plan_id, source_owner, source_bucket, src.region, destination_owner, destination_bucket,
                     dst.region, steps)
    say(f"making the Glue tables and the Athena workgroup (journal of plan {plan_id})")
    made = set_up(plan, {"source": source, "destination": destination}, read_only=read_only)
    if not made.ok and made.error is not None:
        raise made.error
    database = database_name(source_owner, source_bucket, destination_owner, destination_bucket)
    workgroup = workgroup_name(source_owner, source_bucket, destination_owner, destination_bucket)
    runner = AthenaRunner(source("athena", src.region), workgroup, database, timeout=timeout, profile=src.profile)
    left = relation(database, SOURCE_TABLE, where[0].dt)
    right = relation(database, DESTINATION_TABLE, where[1].dt)
    say(f"comparing in Athena (workgroup {workgroup})")
    connection = AthenaConnection(runner, compare_texts(left, right, scope, limit))
    compared = compare(connection, scope, facts, limit=limit, source=left, destination=right,
                       materialize=False)  # Athena has no temp tables
    summary = compared.summary
    projection = project_athena(bytes_per_version(_report_bytes(reports[0]), summary.source_versions),
                                bytes_per_version(_report_bytes(reports[1]), summary.destination_versions),
                                measured_versions=min(summary.source_versions, summary.destination_versions))
    return AthenaVerifyReport(
        source_bucket=source_bucket, destination_bucket=destination_bucket, source_account=source_owner,
        destination_account=destination_owner, source_region=src.region, destination_region=dst.region,
        prefix=prefix, summary=summary, seconds=time.monotonic() - started, rules=rules, inventories=reports,
        replication_status=compared.replication_status, database=database, workgroup=workgroup,
        queries=runner.queries, scanned_bytes=runner.scanned_bytes, projection=projection,
    )


__all__ = ["AthenaConnection", "AthenaVerifyReport", "compare_texts", "location_of", "verify_with_athena"]
