"""The inventory comparison in DuckDB, embedded: local Parquet files in, a ``core.verify.Summary`` out.

The SQL is ``core.inventory_sql``'s Trino text transpiled by sqlglot; this module
only makes the two relations (views over the fetched Parquet files, with any
column a foreign configuration left out as NULL) and reads the answers back:
the aggregate (a few dozen rows), the first ``limit`` rows of each kind, and the
rows a tag filter leaves undecided, fetched a batch at a time. Memory is
DuckDB's ``memory_limit`` (it spills to ``temp_directory``), never the number of
versions. DuckDB reads Parquet with its core alone, and extensions are never
installed or loaded (``autoinstall_known_extensions`` / ``autoload_known_extensions``
off): the machine may be offline from DuckDB's extension repository.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timezone
from pathlib import Path
from typing import Any

import duckdb

from ..core.inventory_sql import (
    ENCRYPTION_OF_STATUS,
    SIDE_COLUMNS,
    UNDECIDED,
    InventoryScope,
    rows_sql,
    summary_sql,
    to_duckdb,
)
from ..core.verify import (
    _AGREES,
    _MATTERS,
    Expectations,
    Outcome,
    Result,
    Summary,
    VersionRecord,
    compare_pair,
    destination_only,
    source_only,
)

# The join spills past this from 1M versions a side on, so peak RSS is flat: 0.34 GB at 1M, 0.36 GB at 10M
# (bench/inventory_verify.py); with 512MB, 1M alone takes 0.41 GB; with 128MB, 10M runs out of memory.
MEMORY_LIMIT = os.environ.get("S3XREP_DUCKDB_MEMORY") or "256MB"
THREADS = 2
BATCH = 10_000
#: every column the comparison reads, with its type when a report lacks it
COLUMNS = {"bucket": "VARCHAR", "key": "VARCHAR", "version_id": "VARCHAR", "is_latest": "BOOLEAN",
           "is_delete_marker": "BOOLEAN", "size": "BIGINT", "last_modified_date": "TIMESTAMP", "e_tag": "VARCHAR",
           "storage_class": "VARCHAR", "is_multipart_uploaded": "BOOLEAN", "replication_status": "VARCHAR",
           "encryption_status": "VARCHAR", "checksum_algorithm": "VARCHAR"}
REPLICA_REASON = "expected: a replica made by another rule (ReplicationStatus REPLICA) is not replicated again"


def connect(temp_directory: Path, *, memory_limit: str = MEMORY_LIMIT, threads: int = THREADS) -> Any:
    """An in-memory DuckDB that spills to ``temp_directory`` and never fetches an extension."""
    con = duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "allow_community_extensions": False,
        "memory_limit": memory_limit,
        "temp_directory": str(temp_directory),
        "threads": threads,
        "preserve_insertion_order": False,
    })
    con.execute("SET enable_progress_bar = false")  # it draws on stdout: it would break verify --json
    return con


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_view(con: Any, name: str, files: Sequence[Path]) -> None:
    """``name`` over ``files`` with every column of :data:`COLUMNS` (NULL where the report has none)."""
    if files:
        source = "read_parquet([" + ", ".join(_quote(str(f)) for f in files) + "], union_by_name = true)"
        present = {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    else:
        source, present = "(SELECT 1 AS none WHERE FALSE)", set()
    projection = ", ".join(f'"{c}"' if c in present else f'CAST(NULL AS {t}) AS "{c}"' for c, t in COLUMNS.items())
    con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT {projection} FROM {source}')


def _record(row: dict[str, Any], side: str) -> VersionRecord | None:
    if not row[f"{side}_present"]:
        return None
    modified = row[f"{side}_last_modified_date"]
    if modified is not None and modified.tzinfo is None:
        modified = modified.replace(tzinfo=timezone.utc)
    marker = bool(row[f"{side}_is_delete_marker"])
    return VersionRecord(key=row["key"], version_id=row["version_id"], is_latest=bool(row[f"{side}_is_latest"]),
                         size=0 if marker else int(row[f"{side}_size"] or 0), etag=row[f"{side}_e_tag"],
                         storage_class=None if marker else row[f"{side}_storage_class"], last_modified=modified,
                         is_delete_marker=marker,
                         encryption=ENCRYPTION_OF_STATUS.get(row[f"{side}_encryption_status"] or ""))


def result_of(row: dict[str, Any], facts: Expectations) -> Result:
    """One comparison row as ``core.verify`` words it (the SQL's outcome kept; ``undecided`` decided here)."""
    source, destination = _record(row, "src"), _record(row, "dst")
    if source is not None and destination is not None:
        result = compare_pair(source, destination, facts)
    elif source is not None:
        if row["src_replication_status"] == "REPLICA" and not source.is_delete_marker and row["outcome"] != UNDECIDED:
            return Result(Outcome.NOT_ELIGIBLE, source.key, source.version_id, source, None, REPLICA_REASON)
        result = source_only(source, facts)
    else:
        assert destination is not None
        result = destination_only(destination)
    if row["outcome"] in (UNDECIDED, result.outcome.value):
        return result
    return Result(Outcome(row["outcome"]), result.key, result.version_id, source, destination, "")


_DIFFERING = "s3xrep_differing"
_AGREES_VALUES = frozenset(o.value for o in _AGREES)


def _select(outcomes: list[str], limit: int | None) -> str:
    """The kept differing rows of some outcomes, in key order (DuckDB's SQL: a plain select of a temp table)."""
    wanted = ", ".join("'" + o + "'" for o in outcomes)
    return f"SELECT * FROM {_DIFFERING} WHERE outcome IN ({wanted}) ORDER BY key, version_id" + (
        f" LIMIT {int(limit)}" if limit is not None else "")


def _rows(con: Any, sql: str) -> Iterator[dict[str, Any]]:
    """DuckDB's rows of ``sql``, a batch at a time, as dicts."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    while batch := cursor.fetchmany(BATCH):
        for values in batch:
            yield dict(zip(names, values))


def _trim(results: list[Result], limit: int | None) -> None:
    """Keep the first ``limit`` in key order once the list is twice that: memory by the limit, not the versions."""
    if limit is not None and len(results) >= 2 * max(limit, 1):
        results.sort(key=lambda r: (r.key, r.version_id))
        del results[limit:]


@dataclass
class InventoryComparison:
    summary: Summary
    replication_status: dict[str, int] = field(default_factory=dict)  # of in-scope source objects


_NOT_IN_SCOPE = frozenset({Outcome.OUT_OF_SCOPE.value, Outcome.NOT_ELIGIBLE.value, Outcome.EXTRA.value, UNDECIDED})


def compare(con: Any, scope: InventoryScope, facts: Expectations, *, limit: int | None = 20,
            source: str = "source_inventory", destination: str = "destination_inventory",
            cancel: Callable[[], bool] | None = None, materialize: bool = True) -> InventoryComparison:
    """The comparison of the two views, as listing verify's :class:`Summary` (same counts, same kept rows).

    ``materialize``: the differing rows are joined once into a DuckDB temp table and read from it;
    off for an engine without temp tables (Athena, through ``aws.athena_verify``), where each group
    of kept rows is its own query of the same ``rows_sql`` text.
    """
    summary = Summary(limit=limit, notes=facts.notes)
    statuses: dict[str, int] = {}
    seen: set[str] = set()
    for outcome, status, n, sv, sb, dv, db, explained in con.execute(to_duckdb(summary_sql(source, destination, scope))).fetchall():
        summary.source_versions += int(sv or 0)
        summary.source_bytes += int(sb or 0)
        summary.destination_versions += int(dv or 0)
        summary.destination_bytes += int(db or 0)
        summary.etag_differs_expected += int(explained or 0)
        seen.add(outcome)
        if outcome != UNDECIDED:
            summary.counts[Outcome(outcome)] += int(n)
        if status is not None and outcome not in _NOT_IN_SCOPE:
            statuses[status] = statuses.get(status, 0) + int(n)
    kept: dict[bool, list[Result]] = {True: [], False: []}
    if seen - set(_AGREES_VALUES):  # the rows that differ, joined once more and kept (DuckDB spills them if need be)
        differing = [o.value for o in set(Outcome) - _AGREES] + [UNDECIDED]
        def select(outcomes: list[str], most: int | None) -> str:
            if materialize:
                return _select(outcomes, most)
            return to_duckdb(rows_sql(source, destination, scope, outcomes, most))

        if materialize:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {_DIFFERING} AS "
                        + to_duckdb(rows_sql(source, destination, scope, differing)))
        for matters in (True, False):
            wanted = [o.value for o in (_MATTERS if matters else set(Outcome) - _MATTERS - _AGREES)]
            kept[matters] = [result_of(row, facts) for row in _rows(con, select(wanted, limit))]
        # versions only a tag filter can place: decided one by one with their tags, as listing verify does
        for row in _rows(con, select([UNDECIDED], None)):
            if cancel is not None and cancel():
                break
            result = result_of(row, facts)
            summary.counts[result.outcome] += 1
            if result.outcome is Outcome.MISSING:
                status = row["src_replication_status"] or "NONE"
                statuses[status] = statuses.get(status, 0) + 1
            kept[result.outcome.matters].append(result)
            _trim(kept[result.outcome.matters], limit)
        if materialize:
            con.execute(f"DROP TABLE {_DIFFERING}")
    for matters, results in kept.items():
        results.sort(key=lambda r: (r.key, r.version_id))
        (summary.differences if matters else summary.expected).extend(results if limit is None else results[:limit])
    return InventoryComparison(summary, statuses)


__all__ = ["COLUMNS", "InventoryComparison", "SIDE_COLUMNS", "compare", "connect", "create_view", "result_of"]
