"""Property: on generated histories, verify --engine athena, verify --inventory (DuckDB) and listing verify
give the same verdicts (counts, the kept rows and their reasons) on the sandbox.

A history is a rule (prefix ``in/``, delete markers replicated or not, a storage-class override or not)
and a few operations: versions written, delete markers, GLACIER objects (not eligible), keys outside the
rule's scope, versions written directly to the destination (extra), replicas removed (missing), and
versions written while the destination refuses replicas (FAILED).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from s3xrep_tui.aws.athena_verify import verify_with_athena
from s3xrep_tui.aws.inventory_verify import verify_from_inventory
from s3xrep_tui.aws.verify import verify_replication
from s3xrep_tui.sandbox.emulator import DESTINATION_ACCOUNT, SOURCE_ACCOUNT
from tests.aws.inventory_helpers import configure_pair, deliver_pair
from tests.aws.test_inventory_verify import verdicts
from tests.aws.test_verify import new_pair, sandbox  # noqa: F401  (the module's shared sandbox)
from tests.sandbox.helpers import wait_for

KEYS = st.sampled_from(["in/a", "in/b", "in/c/d", "out/x"])
OPERATIONS = st.lists(st.tuples(st.sampled_from(["put", "glacier", "delete", "dest-only", "drop-replica", "failing"]),
                                KEYS), min_size=1, max_size=7)


def _settle(sandbox: Any, setup: Any, written: list[tuple[str, str]]) -> None:
    engine = sandbox.engine
    wait_for(lambda: engine.pending_count() == 0, timeout=20, what="the replication queue to drain")
    for key, version in written:
        wait_for(lambda: engine.status(setup.src, key, version) != "PENDING", timeout=20, what=f"{key} settled")


def _apply(sandbox: Any, setup: Any, operations: list[tuple[str, str]]) -> None:
    s3a, s3b = setup.s3a, setup.s3b
    written: list[tuple[str, str]] = []
    for kind, key in operations:
        if kind in ("put", "glacier"):
            extra = {"StorageClass": "GLACIER"} if kind == "glacier" else {}
            written.append((key, s3a.put_object(Bucket=setup.src, Key=key, Body=key.encode(), **extra)["VersionId"]))
        elif kind == "delete":
            marker = s3a.delete_object(Bucket=setup.src, Key=key).get("VersionId")
            if marker:  # (the sandbox writes none for a key that never existed)
                written.append((key, marker))
        elif kind == "dest-only":
            s3b.put_object(Bucket=setup.dst, Key=key, Body=b"direct")
        elif kind == "failing":  # the destination's grant gone: replication FAILED
            policy = s3b.get_bucket_policy(Bucket=setup.dst)["Policy"]
            s3b.delete_bucket_policy(Bucket=setup.dst)
            written.append((key, s3a.put_object(Bucket=setup.src, Key=key, Body=b"refused")["VersionId"]))
            _settle(sandbox, setup, written)
            s3b.put_bucket_policy(Bucket=setup.dst, Policy=policy)
        elif kind == "drop-replica":
            _settle(sandbox, setup, written)
            versions = s3b.list_object_versions(Bucket=setup.dst, Prefix=key).get("Versions") or []
            mine = [v for v in versions if v["Key"] == key]
            if mine:
                s3b.delete_object(Bucket=setup.dst, Key=key, VersionId=mine[0]["VersionId"])
    _settle(sandbox, setup, written)


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=OPERATIONS, delete_markers=st.booleans(), override=st.booleans())
def test_three_engines_agree_on_generated_histories(sandbox, operations, delete_markers, override) -> None:
    destination = {"StorageClass": "STANDARD_IA"} if override else {}
    setup = new_pair(sandbox, flt={"Prefix": "in/"}, delete_markers=delete_markers, **destination)
    configure_pair(setup)
    _apply(sandbox, setup, operations)
    args = (sandbox.clients(SOURCE_ACCOUNT), sandbox.clients(DESTINATION_ACCOUNT), setup.src, setup.dst)
    sandbox.engine.stop()  # nothing replicates between the listing and the inventories
    try:
        deliver_pair(sandbox, setup)
        listing = verify_replication(*args, limit=None)
        duck = verify_from_inventory(*args, limit=None)
        athena = verify_with_athena(*args, limit=None, timeout=60)
    finally:
        sandbox.engine.start()
    assert verdicts(athena) == verdicts(duck) == verdicts(listing)
    reasons = lambda report: sorted((r.key, r.version_id, r.reason) for r in report.summary.differences)
    assert reasons(athena) == reasons(duck)
    assert athena.replication_status == duck.replication_status
    assert (athena.summary.source_bytes, athena.summary.destination_bytes) == \
        (listing.summary.source_bytes, listing.summary.destination_bytes)
