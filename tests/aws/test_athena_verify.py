"""verify --engine athena on the sandbox: the same SQL in (the sandbox's) Athena gives the verdicts of the
DuckDB engine and of listing verify; what it makes is journaled, refused read-only, and undone."""

from __future__ import annotations

from typing import Any

import pytest

from s3xrep_tui.aws.athena_verify import verify_with_athena
from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.inventory_verify import verify_from_inventory
from s3xrep_tui.aws.journal import Journal, journal_dir
from s3xrep_tui.aws.undo import undo
from s3xrep_tui.aws.verify import verify_replication
from s3xrep_tui.core.athena_plan import DESTINATION_TABLE, SOURCE_TABLE
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT
from tests.aws.inventory_helpers import configure_pair, deliver_pair
from tests.aws.test_inventory_verify import verdicts
from tests.aws.test_verify import new_pair, sandbox  # noqa: F401  (the module's shared sandbox)
from tests.sandbox.helpers import wait_final


def _args(sandbox: Any, setup: Any) -> tuple[Any, Any, str, str]:
    return sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), setup.src, setup.dst


def _history(sandbox: Any, setup: Any) -> None:
    put = lambda key, body=b"data", **kw: setup.s3a.put_object(Bucket=setup.src, Key=key, Body=body, **kw)["VersionId"]
    for key in ("in/a", "in/b"):
        assert wait_final(setup.s3a, setup.src, key, put(key, key.encode())) == "COMPLETED"
    put("out/x")  # outside the rule's prefix
    put("in/cold", StorageClass="GLACIER")  # not eligible
    setup.s3b.put_object(Bucket=setup.dst, Key="in/extra", Body=b"direct")  # only on the destination
    replica = setup.s3b.list_object_versions(Bucket=setup.dst, Prefix="in/a")["Versions"][-1]
    setup.s3b.delete_object(Bucket=setup.dst, Key="in/a", VersionId=replica["VersionId"])  # now missing


def test_athena_verdicts_equal_duckdb_and_listing_verdicts(sandbox) -> None:
    """One history, three engines: listing verify, DuckDB over the inventories, Athena over the same reports."""
    setup = new_pair(sandbox, flt={"Prefix": "in/"})
    configure_pair(setup)
    _history(sandbox, setup)
    sandbox.engine.stop()  # nothing replicates between the listing and the inventories
    try:
        deliver_pair(sandbox, setup)
        listing = verify_replication(*_args(sandbox, setup), limit=None)
        duck = verify_from_inventory(*_args(sandbox, setup), limit=None)
        athena = verify_with_athena(*_args(sandbox, setup), limit=None, timeout=60)
    finally:
        sandbox.engine.start()
    assert verdicts(athena) == verdicts(duck) == verdicts(listing)
    assert [r.reason for r in athena.summary.differences] == [r.reason for r in duck.summary.differences]
    assert athena.replication_status == duck.replication_status
    assert athena.ok is duck.ok is listing.ok is False
    data = athena.as_dict()
    assert data["engine"] == "athena" and data["athena"]["queries"] == 4  # the summary, then each group of kept rows
    assert data["athena"]["data_scanned_bytes"] > 0
    projected = data["athena"]["projected_billion"]
    assert projected["versions_per_side"] == 10**9 and projected["cost_usd"] > 0


def test_athena_setup_is_journaled_idempotent_and_undone(sandbox) -> None:
    """The destination reports bucket's read grant (merged by Sid), the database, tables, partitions and
    workgroup are journaled writes; a second verify writes nothing; undo removes all of it and keeps the
    inventory delivery statement of the reports bucket."""
    setup = new_pair(sandbox, flt={"Prefix": "in/"})
    configure_pair(setup)
    deliver_pair(sandbox, setup)
    first = verify_with_athena(*_args(sandbox, setup), timeout=60)
    journals = list(journal_dir().glob(f"{setup.src}-to-{setup.dst}-*.jsonl"))
    assert len(journals) == 1
    plan_id = journals[0].name[: -len(".jsonl")]
    calls = [w["call"] for w in Journal(plan_id).read().writes()]
    assert calls == ["s3.put_bucket_policy", "glue.create_database", "glue.create_table", "glue.create_partition", "glue.create_table",
                     "glue.create_partition", "athena.create_work_group"]
    verify_with_athena(*_args(sandbox, setup), timeout=60)
    assert len(Journal(plan_id).read().writes()) == len(calls)  # nothing written twice
    glue = sandbox.clients(SOURCE_ACCOUNT)("glue")
    assert {t["Name"] for t in glue.get_tables(DatabaseName=first.database)["TableList"]} == {SOURCE_TABLE,
                                                                                              DESTINATION_TABLE}
    result = undo(plan_id, {"source": sandbox.clients(SOURCE_ACCOUNT), "destination": sandbox.clients(DESTINATION_ACCOUNT)})
    assert result.ok, [(i.call, i.status, i.message) for i in result.items]
    assert {(i.call, i.status) for i in result.items} >= {("s3.put_bucket_policy", "restored"),
                                                          ("glue.create_database", "deleted")}
    assert {i.status for i in result.items} == {"deleted", "restored"}
    reports_policy = sandbox.clients(DESTINATION_ACCOUNT)("s3").get_bucket_policy(Bucket=f"{setup.dst}-inv")["Policy"]
    assert "Athena" not in reports_policy and "InventoryDelivery" in reports_policy  # theirs kept, ours gone
    with pytest.raises(Exception):
        glue.get_database(Name=first.database)
    workgroups = sandbox.clients(SOURCE_ACCOUNT)("athena").list_work_groups()["WorkGroups"]
    assert first.workgroup not in {w["Name"] for w in workgroups}


def test_read_only_refuses_the_athena_engine_before_anything_is_written(sandbox) -> None:
    """Athena queries write their results (and the setup writes Glue): read-only refuses, naming DuckDB."""
    setup = new_pair(sandbox)
    configure_pair(setup)
    deliver_pair(sandbox, setup)
    with pytest.raises(AwsError) as caught:
        verify_with_athena(*_args(sandbox, setup), read_only=True, timeout=60)
    assert caught.value.code == "ReadOnly" and "read-only" in caught.value.message
    names = {d["Name"] for d in sandbox.clients(SOURCE_ACCOUNT)("glue").get_databases()["DatabaseList"]}
    assert not any(setup.src.replace("-", "_") in name for name in names)
    for journal in journal_dir().glob(f"{setup.src}-to-{setup.dst}-*.jsonl"):
        assert Journal(journal.stem).read().writes() == []
