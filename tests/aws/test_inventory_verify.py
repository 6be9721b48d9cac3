"""verify --inventory on the sandbox: the newest complete reports of both sides, compared in DuckDB,
give the verdicts of today's listing verify."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from s3xrep_tui.aws.errors import AwsError
from s3xrep_tui.aws.inventory_duckdb import connect
from s3xrep_tui.aws.inventory_verify import verify_from_inventory
from s3xrep_tui.aws.verify import verify_replication
from s3xrep_tui.core.verify import Outcome
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT
from tests.aws.inventory_helpers import configure_pair, deliver_pair
from tests.aws.test_verify import new_pair, sandbox  # noqa: F401  (the module's shared sandbox)
from tests.sandbox.helpers import wait_final, wait_for


def verdicts(report: Any) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    counts = {o.value: n for o, n in report.summary.counts.items() if n}
    rows = sorted((r.outcome.value, r.key, r.version_id) for r in report.summary.differences + report.summary.expected)
    return counts, rows


def both(sandbox, setup, **kw):
    args = (sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), setup.src, setup.dst)
    return verify_replication(*args, limit=None, **kw), verify_from_inventory(*args, limit=None, **kw)


def test_inventory_verdicts_equal_listing_verdicts(sandbox) -> None:
    setup = new_pair(sandbox, flt={"Prefix": "in/"}, delete_markers=True)
    configure_pair(setup)
    put = lambda key, body=b"data", **kw: setup.s3a.put_object(Bucket=setup.src, Key=key, Body=body, **kw)["VersionId"]
    written = [(k, put(k, k.encode())) for k in ("in/a", "in/b", "in/é")] + [("in/a", put("in/a", b"again"))]
    for key, version in written:
        assert wait_final(setup.s3a, setup.src, key, version) == "COMPLETED"
    put("out/x")  # outside the rule's prefix
    put("in/cold", StorageClass="GLACIER")  # not eligible
    setup.s3a.delete_object(Bucket=setup.src, Key="in/b")  # a delete marker, replicated
    wait_for(lambda: setup.s3b.list_object_versions(Bucket=setup.dst, Prefix="in/b").get("DeleteMarkers"),
             what="the delete marker replicated")
    setup.s3b.put_object(Bucket=setup.dst, Key="in/extra", Body=b"direct")  # only on the destination
    replica = setup.s3b.list_object_versions(Bucket=setup.dst, Prefix="in/a")["Versions"][-1]
    setup.s3b.delete_object(Bucket=setup.dst, Key="in/a", VersionId=replica["VersionId"])  # now missing
    sandbox.engine.stop()  # nothing replicates between the listing and the inventories
    try:
        deliver_pair(sandbox, setup)
        listing, inventory = both(sandbox, setup)
    finally:
        sandbox.engine.start()
    assert verdicts(inventory) == verdicts(listing)
    counts, _ = verdicts(inventory)
    assert counts["missing"] == 1 and counts["extra"] == 1 and counts["out-of-scope"] == 1
    assert counts["not-eligible"] == 1 and counts["delete-marker-replicated"] == 1
    assert inventory.ok is listing.ok is False and inventory.rules == listing.rules == 1
    assert (inventory.summary.source_bytes, inventory.summary.destination_bytes) == \
        (listing.summary.source_bytes, listing.summary.destination_bytes)
    assert inventory.replication_status == {"COMPLETED": 4}
    data = inventory.as_dict()
    assert data["engine"] == "inventory" and data["inventory"]["source"]["as_of"]


def test_no_inventory_is_a_clear_error(sandbox) -> None:
    setup = new_pair(sandbox)
    with pytest.raises(AwsError) as caught:
        verify_from_inventory(sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), setup.src, setup.dst)
    assert caught.value.code == "NoInventory" and "all-versions Parquet inventory" in caught.value.message
    assert "without --inventory" in caught.value.fix


def test_a_report_whose_checksum_does_not_match_is_passed_over(sandbox) -> None:
    setup = new_pair(sandbox)
    configure_pair(setup)
    deliver_pair(sandbox, setup)
    # a newer report still being written: its manifest.checksum is not the MD5 of its manifest.json
    keys = [o["Key"] for o in setup.s3a.list_objects_v2(Bucket=f"{setup.src}-inv")["Contents"]]
    manifest = next(k for k in keys if k.endswith("manifest.json"))
    newer = manifest.replace(manifest.split("/")[-2], "2999-01-01T00-00Z")
    setup.s3a.put_object(Bucket=f"{setup.src}-inv", Key=newer, Body=b'{"files": []}')
    setup.s3a.put_object(Bucket=f"{setup.src}-inv", Key=newer.replace(".json", ".checksum"),
                         Body=hashlib.md5(b"something else").hexdigest().encode())
    report = verify_from_inventory(sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT),
                                   setup.src, setup.dst)
    assert report.inventories[0].manifest_key == manifest


def test_duckdb_never_installs_or_loads_an_extension(tmp_path) -> None:
    con = connect(tmp_path)
    assert con.execute("SELECT current_setting('autoinstall_known_extensions'), "
                       "current_setting('autoload_known_extensions')").fetchone() == (False, False)
    with pytest.raises(Exception, match="requires the extension httpfs"):  # would be fetched with autoload on
        con.execute("SELECT * FROM read_parquet('s3://bucket/file.parquet')")
    loaded = {name for (name,) in con.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()}
    assert "httpfs" not in loaded and "parquet" in loaded
    # DuckDB draws its progress bar on stdout after two seconds: it would break verify --json
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone() == (False,)


def test_a_tag_filtered_rule_is_decided_with_the_tags_as_listing_verify_decides(sandbox) -> None:
    """The inventory has no tags: versions only a tag-filtered rule may cover are looked up one by one."""
    tagged = {"And": {"Prefix": "t/", "Tags": [{"Key": "team", "Value": "media"}]}}
    setup = new_pair(sandbox, replicate=False)
    configure_pair(setup)
    put = lambda key, **kw: setup.s3a.put_object(Bucket=setup.src, Key=key, Body=b"x", **kw)["VersionId"]
    put("t/tagged", Tagging="team=media")
    put("t/untagged", Tagging="team=other")
    put("u/outside")
    setup.put_rules({"ID": "tags", "Priority": 1, "Status": "Enabled", "Filter": tagged,
                     "DeleteMarkerReplication": {"Status": "Disabled"},
                     "Destination": {"Bucket": f"arn:aws:s3:::{setup.dst}"}})
    deliver_pair(sandbox, setup)
    listing, inventory = both(sandbox, setup)
    assert verdicts(inventory) == verdicts(listing)
    counts, rows = verdicts(inventory)
    assert counts == {"missing": 1, "out-of-scope": 2}
    assert ("missing", "t/tagged") == rows[0][:2]


def test_undecided_rows_past_the_limit_are_not_kept_and_the_kept_are_listing_verifys(sandbox) -> None:
    """Versions a tag filter leaves undecided are trimmed to ``limit`` as they stream in (the first in key order)."""
    tagged = {"And": {"Prefix": "t/", "Tags": [{"Key": "team", "Value": "media"}]}}
    setup = new_pair(sandbox, replicate=False)
    configure_pair(setup)
    for key in ("t/d", "t/b", "t/e", "t/a", "t/c"):
        setup.s3a.put_object(Bucket=setup.src, Key=key, Body=b"x", Tagging="team=media")
    setup.put_rules({"ID": "tags", "Priority": 1, "Status": "Enabled", "Filter": tagged,
                     "DeleteMarkerReplication": {"Status": "Disabled"},
                     "Destination": {"Bucket": f"arn:aws:s3:::{setup.dst}"}})
    deliver_pair(sandbox, setup)
    args = (sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), setup.src, setup.dst)
    listing, inventory = verify_replication(*args, limit=2), verify_from_inventory(*args, limit=2)
    assert verdicts(inventory) == verdicts(listing)
    assert inventory.summary.counts[Outcome.MISSING] == 5
    assert [r.key for r in inventory.summary.differences] == ["t/a", "t/b"]
