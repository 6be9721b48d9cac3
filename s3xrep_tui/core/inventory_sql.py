"""The inventory comparison as ONE SQL text (Trino dialect), for DuckDB (transpiled by sqlglot) and Athena.

Inputs are two relations with S3 Inventory's all-versions column names
("Locating your inventory list", https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-inventory-location.html):
``bucket, key, version_id, is_latest, is_delete_marker, size, last_modified_date, e_tag, storage_class,
is_multipart_uploaded, replication_status, encryption_status, checksum_algorithm``.

:func:`comparison_sql` is a full outer join on (key, version id) that gives every
distinct pair the outcome ``core.verify`` would give it (the same rules, written
as CASE expressions, in the same order as ``compare_pair`` / ``source_only`` /
``destination_only``), so inventory verify and listing verify cannot drift:
a property test checks that they agree. Two things SQL cannot decide:

* a source object whose only matching rules filter on tags: the inventory has no
  tags, so its outcome is ``undecided`` and the caller resolves it with
  ``core.verify.source_only`` and a tag lookup (as listing verify does);
* the reason text: the caller rebuilds the few rows it keeps with ``core.verify``.

One difference from listing verify, on purpose: a source object whose
replication status is ``REPLICA`` (a replica made by another rule) is
``not-eligible`` when it is missing, because S3 does not replicate replicas
("What does Amazon S3 replicate?"); a listing cannot see that status.

:func:`summary_sql` aggregates the comparison (counts, versions and bytes per
side, the source's replication statuses of in-scope objects), so memory never
grows with the number of versions; :func:`rows_sql` selects the rows of some
outcomes, key ordered, optionally limited. :func:`to_duckdb` transpiles.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot

from .verify import KMS_ALGORITHMS, NOT_REPLICATED_STORAGE_CLASSES, Outcome, rule_prefix, rule_tags, rules_to

UNDECIDED = "undecided"  # a tag-filtered rule may cover it: the caller looks the tags up
#: The inventory's encryption_status values whose ETag is not an MD5 (KMS_ALGORITHMS and SSE-C in listing terms).
NOT_MD5_ENCRYPTION = ("SSE-KMS", "DSSE-KMS", "SSE-C")
#: encryption_status -> the ServerSideEncryption value core.verify knows.
ENCRYPTION_OF_STATUS = {"SSE-KMS": "aws:kms", "DSSE-KMS": "aws:kms:dsse", "SSE-C": "SSE-C", "SSE-S3": "AES256"}

#: The columns of one side in the comparison's rows (``src_<name>`` and ``dst_<name>``).
SIDE_COLUMNS = ("present", "is_latest", "is_delete_marker", "size", "e_tag", "storage_class", "last_modified_date",
                "encryption_status", "replication_status", "is_multipart_uploaded")


@dataclass(frozen=True)
class ScopeRule:
    """One enabled rule to the destination, as the SQL needs it (rules are given highest priority first)."""

    prefix: str = ""
    tagged: bool = False  # filters on tags: the inventory cannot decide it
    delete_markers: bool = False  # replicates delete markers


@dataclass(frozen=True)
class InventoryScope:
    """What the rules promise and the ETag facts: ``core.verify.Expectations`` without callables."""

    rules: tuple[ScopeRule, ...] = ()
    source_kms: bool = False
    destination_kms: bool = False
    prefix: str = ""  # compare only keys under it (verify --prefix)


def scope_for(configuration: Mapping[str, Any] | None, destination_bucket: str, *, source_encryption: str | None = None,
              destination_encryption: str | None = None, prefix: str = "", readable: bool = True) -> InventoryScope:
    """The scope of a ReplicationConfiguration, as ``core.verify.expectations_for`` reads it.

    ``readable=False`` (the configuration could not be read): every version is in
    scope and delete markers are not replicated, as listing verify assumes.
    """
    if not readable:
        rules: tuple[ScopeRule, ...] = (ScopeRule(),)
    else:
        ordered = sorted(rules_to(configuration, destination_bucket), key=lambda r: -int(r.get("Priority") or 0))
        rules = tuple(
            ScopeRule(prefix=rule_prefix(r), tagged=bool(rule_tags(r)),
                      delete_markers="Filter" not in r or (r.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled")
            for r in ordered
        )
    return InventoryScope(rules=rules, source_kms=source_encryption in KMS_ALGORITHMS,
                          destination_kms=destination_encryption in KMS_ALGORITHMS, prefix=prefix)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _starts(column: str, prefix: str) -> str:
    """A prefix test both engines run alike (substr counts code points in both)."""
    if not prefix:
        return "TRUE"
    return f"substr({column}, 1, {len(prefix)}) = {_literal(prefix)}"


def _any(conditions: Iterable[str]) -> str:
    parts = list(conditions)
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN (" + ", ".join(_literal(v) for v in sorted(values)) + ")"


def _side(table: str, prefix: str) -> str:
    return f"""
  SELECT "key" AS k,
         COALESCE(NULLIF(version_id, ''), 'null') AS v,
         COALESCE(is_latest, FALSE) AS is_latest,
         COALESCE(is_delete_marker, FALSE) AS is_delete_marker,
         CASE WHEN COALESCE(is_delete_marker, FALSE) THEN 0 ELSE COALESCE(size, 0) END AS size,
         NULLIF(replace(e_tag, '"', ''), '') AS e_tag,
         storage_class,
         last_modified_date,
         NULLIF(encryption_status, '') AS encryption_status,
         NULLIF(replication_status, '') AS replication_status,
         COALESCE(is_multipart_uploaded, FALSE) AS is_multipart_uploaded
  FROM {table}
  WHERE {_starts('"key"', prefix)}"""


def comparison_sql(source_table: str, destination_table: str, scope: InventoryScope) -> str:
    """Trino SQL: one row per distinct (key, version id) of either side, with ``outcome`` and both sides' columns.

    ``source_table`` / ``destination_table`` are SQL relations (quoted as the
    engine needs: ``"db"."table"`` in Athena, a view name in DuckDB).
    """
    untagged = [r for r in scope.rules if not r.tagged]
    tagged = [r for r in scope.rules if r.tagged]
    in_scope = _any(_starts("key", r.prefix) for r in untagged)  # delete markers skip tag rules; objects too when this holds
    maybe_tagged = _any(_starts("key", r.prefix) for r in tagged)
    dm_replicated = ("CASE " + " ".join(f"WHEN {_starts('key', r.prefix)} THEN {'TRUE' if r.delete_markers else 'FALSE'}"
                                        for r in untagged) + " ELSE FALSE END") if untagged else "FALSE"
    multipart = "(strpos(COALESCE(src_e_tag, ''), '-') > 0 OR strpos(COALESCE(dst_e_tag, ''), '-') > 0)"
    explained = (f"({multipart} OR {_in('src_encryption_status', NOT_MD5_ENCRYPTION)} OR "
                 f"{_in('dst_encryption_status', NOT_MD5_ENCRYPTION)} OR "
                 f"{'TRUE' if scope.source_kms else 'FALSE'} OR {'TRUE' if scope.destination_kms else 'FALSE'})")
    etag_equal = "(src_e_tag = dst_e_tag OR src_e_tag IS NULL OR dst_e_tag IS NULL)"
    o = Outcome
    side_columns = ",\n         ".join(
        f"s.{c} AS src_{c}, d.{c} AS dst_{c}" for c in SIDE_COLUMNS if c != "present")
    return f"""WITH src AS ({_side(source_table, scope.prefix)}
),
dst AS ({_side(destination_table, scope.prefix)}
),
joined AS (
  SELECT COALESCE(s.k, d.k) AS key,
         COALESCE(s.v, d.v) AS version_id,
         s.k IS NOT NULL AS src_present,
         d.k IS NOT NULL AS dst_present,
         {side_columns}
  FROM src AS s FULL OUTER JOIN dst AS d ON s.k = d.k AND s.v = d.v
)
SELECT joined.*,
       CASE
         WHEN src_present AND dst_present THEN
           CASE
             WHEN src_is_delete_marker <> dst_is_delete_marker THEN '{o.KIND_MISMATCH.value}'
             WHEN src_is_delete_marker THEN '{o.DELETE_MARKER_REPLICATED.value}'
             WHEN src_size <> dst_size THEN '{o.SIZE_MISMATCH.value}'
             WHEN {etag_equal} THEN '{o.REPLICATED.value}'
             WHEN {explained} THEN '{o.REPLICATED.value}'
             ELSE '{o.ETAG_MISMATCH.value}'
           END
         WHEN src_present THEN
           CASE
             WHEN src_is_delete_marker AND NOT {in_scope} THEN '{o.OUT_OF_SCOPE.value}'
             WHEN src_is_delete_marker AND {dm_replicated} THEN '{o.DELETE_MARKER_MISSING.value}'
             WHEN src_is_delete_marker THEN '{o.DELETE_MARKER_NOT_REPLICATED.value}'
             WHEN {_in('src_storage_class', NOT_REPLICATED_STORAGE_CLASSES)} THEN '{o.NOT_ELIGIBLE.value}'
             WHEN src_replication_status = 'REPLICA' THEN '{o.NOT_ELIGIBLE.value}'
             WHEN {in_scope} THEN '{o.MISSING.value}'
             WHEN {maybe_tagged} THEN '{UNDECIDED}'
             ELSE '{o.OUT_OF_SCOPE.value}'
           END
         ELSE '{o.EXTRA.value}'
       END AS outcome,
       (src_present AND dst_present AND NOT src_is_delete_marker AND NOT dst_is_delete_marker
        AND src_size = dst_size AND NOT {etag_equal} AND {explained}) AS etag_explained
FROM joined"""


def summary_sql(source_table: str, destination_table: str, scope: InventoryScope) -> str:
    """Trino SQL: the comparison aggregated per (outcome, source replication status): a few dozen rows at most.

    Columns: ``outcome, replication_status`` (of source objects; NULL for delete
    markers and destination-only rows; ``NONE`` when empty), ``n``,
    ``source_versions, source_bytes, destination_versions, destination_bytes,
    etag_explained``.
    """
    return f"""WITH compared AS (
{comparison_sql(source_table, destination_table, scope)}
)
SELECT outcome,
       CASE WHEN src_present AND NOT src_is_delete_marker THEN COALESCE(src_replication_status, 'NONE') END
         AS replication_status,
       count(*) AS n,
       sum(CASE WHEN src_present THEN 1 ELSE 0 END) AS source_versions,
       sum(CASE WHEN src_present THEN src_size ELSE 0 END) AS source_bytes,
       sum(CASE WHEN dst_present THEN 1 ELSE 0 END) AS destination_versions,
       sum(CASE WHEN dst_present THEN dst_size ELSE 0 END) AS destination_bytes,
       sum(CASE WHEN etag_explained THEN 1 ELSE 0 END) AS etag_explained
FROM compared
GROUP BY 1, 2"""


def rows_sql(source_table: str, destination_table: str, scope: InventoryScope, outcomes: Iterable[str],
             limit: int | None = None) -> str:
    """Trino SQL: the comparison's rows whose outcome is one of ``outcomes``, in key order (``limit`` of them)."""
    wanted = ", ".join(_literal(str(o)) for o in sorted(set(map(str, outcomes)))) or "''"
    tail = f"\nLIMIT {int(limit)}" if limit is not None else ""
    return f"""WITH compared AS (
{comparison_sql(source_table, destination_table, scope)}
)
SELECT * FROM compared
WHERE outcome IN ({wanted})
ORDER BY key, version_id{tail}"""


def to_duckdb(sql: str) -> str:
    """The Trino text in DuckDB's dialect (sqlglot); the two differ little here, but never by hand."""
    return ";\n".join(sqlglot.transpile(sql, read="trino", write="duckdb"))


__all__ = ["ENCRYPTION_OF_STATUS", "InventoryScope", "SIDE_COLUMNS", "ScopeRule", "UNDECIDED", "comparison_sql",
           "rows_sql", "scope_for", "summary_sql", "to_duckdb"]
