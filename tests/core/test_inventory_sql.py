"""core.inventory_sql: the one Trino text, its DuckDB transpilation and the scope it reads from a configuration."""

from __future__ import annotations

from s3xrep_tui.core.inventory_sql import (
    InventoryScope,
    ScopeRule,
    comparison_sql,
    rows_sql,
    scope_for,
    summary_sql,
    to_duckdb,
)


def _config(*rules):
    return {"Rules": [{"Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dst"}, **r} for r in rules]}


def test_scope_orders_rules_by_priority_and_reads_tags_and_delete_markers():
    scope = scope_for(_config(
        {"Priority": 1, "Filter": {"Prefix": "a/"}, "DeleteMarkerReplication": {"Status": "Enabled"}},
        {"Priority": 5, "Filter": {"And": {"Prefix": "b/", "Tags": [{"Key": "k", "Value": "v"}]}}},
        {"Prefix": "v1/"},  # V1 schema: replicates delete markers
    ), "dst", source_encryption="aws:kms")
    assert scope.rules == (ScopeRule("b/", tagged=True), ScopeRule("a/", delete_markers=True),
                           ScopeRule("v1/", delete_markers=True))
    assert scope.source_kms and not scope.destination_kms


def test_unreadable_configuration_puts_everything_in_scope():
    assert scope_for(None, "dst", readable=False).rules == (ScopeRule(),)
    assert scope_for(None, "dst").rules == ()


def test_prefixes_are_quoted_as_sql_literals():
    sql = comparison_sql("s", "d", InventoryScope(rules=(ScopeRule("it's/"),), prefix="o'k"))
    assert "'it''s/'" in sql and "'o''k'" in sql


def test_every_text_transpiles_to_duckdb():
    scope = InventoryScope(rules=(ScopeRule("a/", delete_markers=True), ScopeRule("b/", tagged=True)), source_kms=True)
    for sql in (comparison_sql("s", "d", scope), summary_sql("s", "d", scope), rows_sql("s", "d", scope, ["missing"], 5)):
        duck = to_duckdb(sql)
        assert "FULL OUTER JOIN" in duck.upper() or "FULL JOIN" in duck.upper()
